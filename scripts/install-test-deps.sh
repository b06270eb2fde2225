#!/bin/sh
# Install what mxdoctor's tests need on Debian/Ubuntu: a Rust toolchain (if cargo is
# missing), gcc, and the real servers and tools the integration tests run against
# (NSD, Postfix, dig, named-checkzone, opendkim-testkey, swaks, openssl).
# Idempotent and non-interactive; uses sudo when not run as root.
set -eu

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

packages="build-essential ca-certificates curl nsd postfix dnsutils bind9-utils opendkim-tools swaks libnet-ssleay-perl openssl iproute2 util-linux shellcheck"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    # "No configuration": the package writes no main.cf and starts no Postfix on port 25.
    echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi

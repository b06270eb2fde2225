#!/bin/sh
# Install what the tests need, then run every test.
# With MXDOCTOR_TEST_DATA pointing at the reference data folder (spf/, bounces/, dnsbl/),
# the tests marked ignored that read it run too.
set -eu
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
if [ -n "${MXDOCTOR_TEST_DATA:-}" ]; then
    cargo test --locked -- --include-ignored
else
    cargo test --locked
fi

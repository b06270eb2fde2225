//! mxdoctor's integration tests: the built binary against real servers on loopback.

/// NSD, Postfix and fake peers started on free loopback ports.
mod harness;

/// `check` against NSD: MX, mail host and reverse DNS findings, the correct domain, exit codes.
mod check_dns;
/// Bad input and broken networks: clear errors, exit 2 or 4, never a crash.
mod check_errors;
/// SPF findings, hostile zones and the `spf` command, through the binary against NSD.
mod check_spf;
/// RFC 7208 check_host() through NSD: mxdoctor's own cases and the official suite (ignored).
mod spf_suite;

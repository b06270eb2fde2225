//! mxdoctor's integration tests: the built binary against real servers on loopback.

/// NSD, Postfix and fake peers started on free loopback ports.
mod harness;

/// `check` against NSD: MX, mail host and reverse DNS findings, the correct domain, exit codes.
mod check_dns;
/// Blocklists: every return code, refusals, timeouts, IPv6, DQS, checklists, progress.
mod check_dnsbl;
/// Bad input and broken networks: clear errors, exit 2 or 4, never a crash.
mod check_errors;

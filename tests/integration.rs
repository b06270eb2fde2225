//! mxdoctor's integration tests: the built binary against real servers on loopback.

/// NSD, Postfix and fake peers started on free loopback ports.
mod harness;

/// `check` against NSD: MX, mail host and reverse DNS findings, the correct domain, exit codes.
mod check_dns;
/// Bad input and broken networks: clear errors, exit 2 or 4, never a crash.
mod check_errors;
/// The local Postfix configuration: fixtures read by the real postconf.
mod check_postfix;
/// SMTP probes in `check`: real Postfix on loopback, hostile fake peers, egress, public address.
mod check_smtp;
/// `relay-test`: the matrix against real Postfix and fakes; never DATA.
mod relay_test;

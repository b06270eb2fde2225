//! mxdoctor's integration tests: the built binary against real servers on loopback.

/// NSD, Postfix and fake peers started on free loopback ports.
mod harness;

/// `bounce` on the labelled corpus: agreement with Sisimai's reasons (ignored; needs data).
mod bounce_accuracy;
/// `bounce` through the binary: files, stdin, formats, exit codes, bad input.
mod bounce_cli;
/// The bounce explainer as a library: pasted replies, fixture bounces, JSON, playbook texts.
mod bounce_explain;
/// `check` against NSD: MX, mail host and reverse DNS findings, the correct domain, exit codes.
mod check_dns;
/// Bad input and broken networks: clear errors, exit 2 or 4, never a crash.
mod check_errors;

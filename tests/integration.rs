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
/// Blocklists: every return code, refusals, timeouts, IPv6, DQS, checklists, progress.
mod check_dnsbl;
/// Bad input and broken networks: clear errors, exit 2 or 4, never a crash.
mod check_errors;
/// The local Postfix configuration: fixtures read by the real postconf.
mod check_postfix;
/// `check` against NSD and a loopback HTTPS server: DKIM, DMARC, MTA-STS and TLS-RPT findings.
mod check_records;
/// SMTP probes in `check`: real Postfix on loopback, hostile fake peers, egress, public address.
mod check_smtp;
/// SPF findings, hostile zones and the `spf` command, through the binary against NSD.
mod check_spf;
/// `dkim keygen`: keys, records and settings checked with NSD, opendkim-testkey and OpenSSL.
mod dkim_keygen;
/// `generate`: output accepted by named-checkzone, NSD, nsupdate, opendkim-testkey; secrets, --force, --dry-run, injection.
mod generate;
/// Generated Postfix settings: postconf for every smarthost preset, apply.sh, and a live Postfix refusing relay.
mod generate_postfix;
/// Snapshots of generated files (keys and version redacted).
mod generate_snapshots;
/// `relay-test`: the matrix against real Postfix and fakes; never DATA.
mod relay_test;
/// RFC 7208 check_host() through NSD: mxdoctor's own cases and the official suite (ignored).
mod spf_suite;
/// `check --watch`: the domain's own name servers asked directly until the kit's records are live.
mod watch;
/// The wizard on a pseudo-terminal against NSD and Postfix: every prompt, the kit, its command line, cancelling.
mod wizard;

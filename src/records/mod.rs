//! Pure parsers and linters for the mail DNS records: no I/O here.

pub mod spf;

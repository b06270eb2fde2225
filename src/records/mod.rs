//! Pure parsers and linters for the mail DNS records: no I/O here.

pub mod dkim;
pub mod dmarc;
pub mod mta_sts;
pub mod spf;
pub mod tags;
pub mod tlsrpt;

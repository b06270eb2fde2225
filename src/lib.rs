//! mxdoctor: gets a self-hosted mail server's mail delivered.
//!
//! The pipeline, one module per stage:
//! answers → [`probe`] (all I/O) → [`facts`] → [`diagnose`] (pure) → findings → [`plan`] →
//! [`render`] → [`report`] and files ([`output`]).

pub mod answers;
pub mod app;
pub mod assets;
pub mod blocklist;
pub mod bounce;
pub mod cli;
pub mod diagnose;
pub mod exit;
pub mod facts;
pub mod generate;
pub mod keys;
pub mod output;
pub mod plan;
pub mod probe;
pub mod recommend;
pub mod records;
pub mod render;
pub mod report;
pub mod smtp;
pub mod wizard;

#[cfg(test)]
mod testing;

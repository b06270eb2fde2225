//! The mxdoctor binary: parse the command line, run, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

use mxdoctor::{app, cli::Cli, exit};

fn main() -> ExitCode {
    // One crypto provider for every TLS client (reqwest and the SMTP probe).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("mxdoctor: cannot start: {err}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    let code = runtime.block_on(async {
        tokio::select! {
            result = app::run(cli) => match result {
                Ok(code) => code,
                Err(err) => {
                    if is_broken_pipe(&err) {
                        return exit::CLEAN;
                    }
                    eprintln!("mxdoctor: error: {err:#}");
                    exit::FAILURE
                }
            },
            _ = tokio::signal::ctrl_c() => {
                eprintln!("mxdoctor: cancelled");
                exit::CANCELLED
            }
        }
    });
    // Do not wait for lookups still in flight after a cancel or an early error.
    runtime.shutdown_background();
    ExitCode::from(code)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

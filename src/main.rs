//! The mxdoctor binary: parse the command line, run, map the result to an exit code.

use std::process::ExitCode;
use std::time::Duration;

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
        let run = app::run(cli);
        tokio::pin!(run);
        tokio::select! {
            result = &mut run => exit_code(result),
            _ = tokio::signal::ctrl_c() => {
                // Commands that handle Ctrl-C themselves (the wizard, `check --watch`) get a
                // moment to end cleanly and say so; anything else is cut off here.
                match tokio::time::timeout(Duration::from_millis(300), &mut run).await {
                    Ok(result) => exit_code(result),
                    Err(_) => {
                        eprintln!("mxdoctor: cancelled");
                        exit::CANCELLED
                    }
                }
            }
        }
    });
    // Do not wait for lookups still in flight after a cancel or an early error.
    runtime.shutdown_background();
    ExitCode::from(code)
}

fn exit_code(result: anyhow::Result<u8>) -> u8 {
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => exit::CLEAN,
        Err(err) => {
            eprintln!("mxdoctor: error: {err:#}");
            exit::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

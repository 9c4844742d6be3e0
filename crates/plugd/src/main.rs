//! plugd's entry point: parse the command line, set up logging, load the device database, start
//! the actors and listeners (`wiring.rs`), and on Ctrl-C or SIGTERM stop every device before
//! exiting.

mod cli;
mod settings;
mod wiring;

use clap::Parser;
use cli::{Cli, LogFormat};
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn init_logging(cli: &Cli) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{},actix_server=warn", cli.log)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match cli.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let settings = match settings::Settings::from_cli(&cli) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("plugd: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    raise_open_files_limit();
    let system = actix_rt::System::new();
    let result = system.block_on(async move {
        let running = wiring::start(settings).await?;
        wait_for_shutdown_signal().await;
        tracing::info!("shutdown requested");
        running.shutdown().await;
        anyhow::Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("plugd: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Every client and device is a socket: raise the open-files limit to what the OS allows.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open-files limit"),
        Err(error) => tracing::warn!(
            %error,
            "cannot raise the open-files limit; many clients may be refused (ulimit -n)"
        ),
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn wait_for_shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops plugd");
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

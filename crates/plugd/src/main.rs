//! plugd's entry point: parse the command line, set up logging, load the device database, start
//! the actors and listeners (`wiring.rs`), re-read the device database and user config on SIGHUP,
//! and on Ctrl-C or SIGTERM stop every device before exiting. `plugd device-config ...` runs a
//! tool (`device_config_tool.rs`) instead of the server.

mod cli;
mod config_file;
mod device_config_tool;
mod settings;
mod wiring;

use clap::Parser;
use cli::{Cli, Command, LogFormat};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
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
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = Cli::parse_from(&args);
    if cli.server_version {
        println!("{}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if let Some(Command::DeviceConfig(command)) = &cli.command {
        init_logging(&cli);
        return match device_config_tool::run(command) {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("plugd: {}", one_line(&error));
                ExitCode::FAILURE
            }
        };
    }
    let cli = match config_file::resolve(&args, cli) {
        Ok(cli) => cli,
        Err(error) => {
            eprintln!("plugd: {}", one_line(&error));
            return ExitCode::FAILURE;
        }
    };
    if let Some(reason) = cli.refused() {
        eprintln!("plugd: {reason}");
        return ExitCode::FAILURE;
    }
    init_logging(&cli);
    let mut settings = match settings::Settings::from_cli(&cli) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("plugd: {}", one_line(&error));
            return ExitCode::FAILURE;
        }
    };
    settings.reload = Some(store_loader(args, &cli));
    raise_open_files_limit();
    let system = actix_rt::System::new();
    let result = system.block_on(async move {
        let running = wiring::start(settings).await?;
        let reloads = actix_rt::spawn(reload_on_hangup(running.device_config()));
        wait_for_shutdown_signal().await;
        reloads.abort();
        tracing::info!("shutdown requested");
        running.shutdown().await;
        anyhow::Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("plugd: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each cause once: a cause whose text its parent already
/// shows (plugd-config's file errors include their inner error) is not repeated.
fn one_line(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if text.is_empty() {
            text = cause;
        } else if !text.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// What a reload runs: the command line again with the config file as it is now, then the
/// device database and user config it names. Options other than those files take effect only
/// at the next start; a reload that finds them changed says so.
fn store_loader(args: Vec<OsString>, started_with: &Cli) -> plugd_device::StoreLoader {
    let baseline = needs_restart(started_with);
    Arc::new(move || {
        let cli = Cli::try_parse_from(&args).map_err(|error| error.to_string())?;
        let cli = config_file::resolve(&args, cli).map_err(|error| one_line(&error))?;
        if let Some(reason) = cli.refused() {
            return Err(reason);
        }
        let loaded = settings::load_device_config(&cli).map_err(|error| one_line(&error))?;
        if needs_restart(&cli) != baseline {
            tracing::warn!(
                "the config file changed options other than the device config files; they take effect at the next start"
            );
        }
        Ok((loaded.store, loaded.summary))
    })
}

/// The options a reload cannot apply, as one comparable text.
fn needs_restart(cli: &Cli) -> String {
    let mut rest = cli.clone();
    rest.device_config_file = None;
    rest.user_device_config_file = None;
    rest.data_dir = None;
    format!("{rest:?}")
}

/// SIGHUP: re-read the device database and the user config. A file that does not load is
/// refused with its reason and the previous configuration stays; devices and clients are not
/// touched either way.
async fn reload_on_hangup(config: actix::Addr<plugd_device::DeviceConfig>) {
    #[cfg(unix)]
    {
        let mut hangups =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
                Ok(signal) => signal,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGHUP; reload with a restart");
                    return;
                }
            };
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the device config");
            if config.send(plugd_device::ReloadDeviceConfig).await.is_err() {
                tracing::warn!("device config actor gone; cannot reload");
                return;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = config;
        std::future::pending::<()>().await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_chain_is_one_line_with_each_cause_once() {
        let inner = anyhow::anyhow!("line 2, column 26: EOF while parsing a value");
        let file = inner.context("db.json: line 2, column 26: EOF while parsing a value");
        let outer = file.context("loading device config db.json");
        assert_eq!(
            one_line(&outer),
            "loading device config db.json: db.json: line 2, column 26: EOF while parsing a value"
        );
    }
}

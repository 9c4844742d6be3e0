//! The `plugd-loadgen` binary: parses the options, runs the scenario (or, with `--relay-only`,
//! the minimal relay), prints the report table on stdout and writes `--json FILE`. Exits 0 when
//! every command was delivered without an error, 1 when the run finished with errors or
//! undelivered commands, 2 when it could not run.

use std::process::ExitCode;

use clap::Parser;
use plugd_loadgen::Options;

fn main() -> ExitCode {
    let options = Options::parse();
    if options.relay_only {
        return match plugd_loadgen::relay_main(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("plugd-loadgen relay: {error:#}");
                ExitCode::from(2)
            }
        };
    }
    let report = match plugd_loadgen::run(&options) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("plugd-loadgen: {error:#}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.table());
    if let Some(path) = &options.json {
        let written = serde_json::to_string_pretty(&report)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(path, json + "\n"));
        if let Err(error) = written {
            eprintln!("plugd-loadgen: writing {}: {error}", path.display());
            return ExitCode::from(2);
        }
    }
    if report.clean() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "plugd-loadgen: {} errors, {} commands undelivered",
            report.counts.errors, report.counts.undelivered
        );
        ExitCode::from(1)
    }
}

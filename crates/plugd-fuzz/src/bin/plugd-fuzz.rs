//! The fuzz runner: `plugd-fuzz --inputs N --seed S [--target NAME]... [--case C]`. Runs N cases
//! round-robin over the targets (all by default), prints progress to stderr every 10 s, then one
//! summary: inputs run, rate, crashes (each with its seed, case number and input). Exits 1 when
//! any case panicked. `--case C --inputs 1` replays one case; `--list` names the targets.

use plugd_fuzz::targets::{Fixtures, Target, TARGETS};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str =
    "usage: plugd-fuzz [--inputs N] [--seed S] [--case FIRST] [--target NAME]... [--list]";

struct Options {
    inputs: u64,
    seed: u64,
    first_case: u64,
    targets: Vec<Target>,
}

fn parse_number(name: &str, value: Option<String>) -> Result<u64, String> {
    let value = value.ok_or_else(|| format!("{name} needs a value"))?;
    value
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{name}: {value:?} is not a whole number"))
}

fn parse_options() -> Result<Option<Options>, String> {
    let mut options = Options {
        inputs: 100_000,
        seed: 1,
        first_case: 0,
        targets: Vec::new(),
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--inputs" => options.inputs = parse_number("--inputs", arguments.next())?,
            "--seed" => options.seed = parse_number("--seed", arguments.next())?,
            "--case" => options.first_case = parse_number("--case", arguments.next())?,
            "--target" => {
                let name = arguments.next().ok_or("--target needs a name")?;
                let target = TARGETS
                    .iter()
                    .find(|target| target.name == name)
                    .ok_or_else(|| format!("unknown target {name:?} (see --list)"))?;
                options.targets.push(*target);
            }
            "--list" => {
                for target in TARGETS {
                    println!("{:18} {}", target.name, target.about);
                }
                return Ok(None);
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if options.targets.is_empty() {
        options.targets = TARGETS.to_vec();
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(Some(options)) => options,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("plugd-fuzz: {message}");
            return ExitCode::from(2);
        }
    };
    let fixtures = Fixtures::new();
    eprintln!(
        "plugd-fuzz: {} inputs, seed {}, first case {}, targets: {} ({} protocol definitions)",
        options.inputs,
        options.seed,
        options.first_case,
        options
            .targets
            .iter()
            .map(|target| target.name)
            .collect::<Vec<_>>()
            .join(", "),
        fixtures.definition_count()
    );
    let mut last_print = Duration::ZERO;
    let summary = plugd_fuzz::run(
        &options.targets,
        &fixtures,
        options.seed,
        options.first_case,
        options.inputs,
        |done, elapsed| {
            if elapsed >= last_print + Duration::from_secs(10) {
                last_print = elapsed;
                eprintln!(
                    "plugd-fuzz: {done} inputs in {:.0} s ({:.0}/s)",
                    elapsed.as_secs_f64(),
                    done as f64 / elapsed.as_secs_f64().max(1e-9)
                );
            }
        },
    );
    let seconds = summary.elapsed.as_secs_f64().max(1e-9);
    for ((name, count), accepted) in summary.per_target.iter().zip(&summary.accepted) {
        println!(
            "  {name:18} {count} inputs, {accepted} past the parser ({:.0} %)",
            *accepted as f64 * 100.0 / (*count).max(1) as f64
        );
    }
    for crash in &summary.crashes {
        println!(
            "CRASH target {} seed {} case {}: {}\n  input: {:?}",
            crash.target, crash.seed, crash.case, crash.message, crash.input
        );
    }
    println!(
        "plugd-fuzz: {} inputs in {:.1} s ({:.0} inputs/s), seed {}, {} crashes",
        summary.inputs,
        seconds,
        summary.inputs as f64 / seconds,
        options.seed,
        summary.crash_count
    );
    if summary.crash_count > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

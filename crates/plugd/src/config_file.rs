//! `--config plugd.toml`: every command-line option, read from a TOML file. Keys are the long
//! flag names (`websocket-port`, or `websocket_port`); a switch is `true`/`false`, a repeatable
//! option an array. The file's options come first and the command line's after them, so a flag
//! typed on the command line wins (a repeatable option's values from both add up). An unknown
//! key, a value of the wrong kind or a TOML syntax error stops plugd with the file, the line (TOML
//! errors) and the key named.

use crate::cli::Cli;
use anyhow::{anyhow, bail, Context};
use clap::{CommandFactory, FromArgMatches};
use std::ffi::OsString;
use std::path::Path;

/// Keys a config file may not hold, with why.
const NOT_IN_A_FILE: [(&str, &str); 4] = [
    ("config", "a config file cannot name another one"),
    ("help", "not an option"),
    ("version", "not an option"),
    ("server-version", "not an option"),
];

/// The command line with the config file's options (if `--config` was given) in front of it.
/// Called at start and on every reload, so a changed file takes effect.
///
/// # Errors
/// The file cannot be read, is not TOML, has an unknown key or a value of the wrong kind, or
/// the options it gives do not parse.
pub fn resolve(args: &[OsString], cli: Cli) -> anyhow::Result<Cli> {
    let Some(path) = cli.config.clone() else {
        return Ok(cli);
    };
    if cli.command.is_some() {
        return Ok(cli);
    }
    let from_file = file_arguments(&path)?;
    let mut combined: Vec<OsString> = Vec::with_capacity(args.len() + from_file.len());
    combined.extend(args.first().cloned());
    combined.extend(from_file.into_iter().map(OsString::from));
    combined.extend(args.iter().skip(1).cloned());
    let matches = Cli::command()
        .try_get_matches_from(combined)
        .map_err(|error| anyhow!("{}: {}", path.display(), first_line(&error.to_string())))?;
    Cli::from_arg_matches(&matches).map_err(|error| anyhow!("{}: {error}", path.display()))
}

fn first_line(text: &str) -> String {
    text.lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or(text)
        .trim_start_matches("error: ")
        .to_string()
}

/// Reads `path` and turns it into `--flag=value` arguments.
///
/// # Errors
/// See [`resolve`].
pub fn file_arguments(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    arguments_from_toml(&text).map_err(|error| anyhow!("{}: {error:#}", path.display()))
}

/// toml's error is a small drawing ("TOML parse error at line 2, column 16", the line, a caret,
/// the reason); plugd's errors are one line: the position and the reason.
fn toml_error_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    match (lines.first(), lines.last()) {
        (Some(first), Some(last)) if lines.len() > 1 => format!("{first}: {last}"),
        _ => text.trim().to_string(),
    }
}

/// Turns the text of a config file into arguments.
///
/// # Errors
/// See [`resolve`].
pub fn arguments_from_toml(text: &str) -> anyhow::Result<Vec<String>> {
    let table: toml::Table = text
        .parse()
        .map_err(|error: toml::de::Error| anyhow!("{}", toml_error_line(&error.to_string())))?;
    let command = Cli::command();
    let mut arguments = Vec::new();
    for (key, value) in &table {
        let flag = key.replace('_', "-");
        if let Some((_, why)) = NOT_IN_A_FILE.iter().find(|(name, _)| *name == flag) {
            bail!("`{key}`: {why}");
        }
        let Some(argument) = command
            .get_arguments()
            .find(|argument| argument.get_long() == Some(flag.as_str()))
        else {
            bail!("unknown option `{key}` (keys are the long flag names of `plugd --help`, e.g. websocket-port)");
        };
        let takes_value = argument.get_action().takes_values();
        let items: Vec<&toml::Value> = match value {
            toml::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            match item {
                toml::Value::Boolean(on) if !takes_value => {
                    if *on {
                        arguments.push(format!("--{flag}"));
                    }
                }
                toml::Value::Boolean(_) => {
                    bail!("`{key}` takes a value, not true/false")
                }
                _ if !takes_value => bail!("`{key}` is a switch: write `{key} = true`"),
                toml::Value::String(text) => arguments.push(format!("--{flag}={text}")),
                toml::Value::Integer(number) => arguments.push(format!("--{flag}={number}")),
                toml::Value::Float(number) => arguments.push(format!("--{flag}={number}")),
                _ => bail!("`{key}`: use a string, a number, true/false or an array of them"),
            }
        }
    }
    Ok(arguments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::IntifaceOnly;
    use clap::{Args, Parser};

    #[test]
    fn keys_become_flags_and_switches_only_when_true() {
        let arguments = arguments_from_toml(
            "websocket-port = 23456\nserver_name = \"Bedroom\"\ndemo = true\nallow-raw = false\n\
             lovense-connect-address = [\"http://127.0.0.1:1\", \"http://127.0.0.1:2\"]\n",
        )
        .unwrap();
        assert_eq!(
            arguments,
            [
                "--demo",
                "--lovense-connect-address=http://127.0.0.1:1",
                "--lovense-connect-address=http://127.0.0.1:2",
                "--server-name=Bedroom",
                "--websocket-port=23456",
            ]
        );
    }

    #[test]
    fn an_unknown_key_a_wrong_kind_and_bad_toml_are_refused_clearly() {
        let error = arguments_from_toml("websocket-prot = 1").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("unknown option `websocket-prot`"),
            "{error}"
        );
        let error = arguments_from_toml("demo = \"yes\"").unwrap_err();
        assert!(error.to_string().contains("is a switch"), "{error}");
        let error = arguments_from_toml("websocket-port = true").unwrap_err();
        assert!(error.to_string().contains("takes a value"), "{error}");
        let error = arguments_from_toml("a = 1\nwebsocket-port = = 3").unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        assert!(!error.to_string().contains('\n'), "{error}");
        let error = arguments_from_toml("config = \"other.toml\"").unwrap_err();
        assert!(error.to_string().contains("cannot name another"), "{error}");
    }

    #[test]
    fn the_command_line_wins_over_the_file() {
        let folder = std::env::temp_dir().join(format!("plugd-config-file-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("plugd.toml");
        std::fs::write(
            &path,
            "websocket-port = 1111\nserver-name = \"From file\"\nlovense-connect-address = [\"http://127.0.0.1:1\"]\n",
        )
        .unwrap();
        let args: Vec<OsString> = [
            "plugd",
            "--config",
            path.to_str().unwrap(),
            "--websocket-port",
            "2222",
            "--lovense-connect-address",
            "http://127.0.0.1:2",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        let cli = resolve(&args, Cli::parse_from(&args)).unwrap();
        assert_eq!(cli.websocket_port, 2222);
        assert_eq!(cli.server_name, "From file");
        assert_eq!(cli.lovense_connect_address.len(), 2);
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn the_example_config_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/plugd.example.toml");
        let arguments = file_arguments(&path).unwrap();
        let mut args = vec!["plugd".to_string()];
        args.extend(arguments);
        let cli = Cli::try_parse_from(args).unwrap();
        assert_eq!(cli.websocket_port, 12345);
        assert_eq!(cli.refused(), None);
    }

    #[test]
    fn the_example_config_file_names_every_option_plugd_implements() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/plugd.example.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let refused = IntifaceOnly::augment_args(clap::Command::new("refused"));
        let missing: Vec<String> = Cli::command()
            .get_arguments()
            .filter_map(|argument| argument.get_long())
            .filter(|long| !NOT_IN_A_FILE.iter().any(|(name, _)| name == long))
            .filter(|long| {
                refused
                    .get_arguments()
                    .all(|other| other.get_long() != Some(long))
            })
            .filter(|long| !text.contains(&format!("{long} = ")))
            .map(str::to_string)
            .collect();
        assert!(
            missing.is_empty(),
            "config/plugd.example.toml lacks {missing:?}"
        );
    }
}

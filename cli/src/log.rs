//! The debug log, for finding out what happened on a real cluster: `tracing`
//! events with timestamps, on standard error or in a file. Nothing is logged
//! unless asked for: `-v` logs each statement sent (its text as shown, with
//! credentials and passwords redacted), how long it took and the rows it
//! touched, and each step's outcome; `-vv` also each read and poll with the
//! rows it returned and what a wait observed; `-vvv` adds the MySQL
//! driver's own events. `OBBACKUP_LOG` takes a filter in `tracing`'s
//! `EnvFilter` syntax (`obbackup=debug`, `obbackup::db=info`) and overrides
//! `-v`. `--log-file PATH` appends the log to PATH instead (at `-v` detail
//! when neither `-v` nor `OBBACKUP_LOG` says more). Every line passes
//! through [`crate::redact`].

use crate::redact::CleanWriter;
use std::path::Path;
use tracing_subscriber::EnvFilter;

/// The variable that sets the filter.
pub const ENV: &str = "OBBACKUP_LOG";

/// Why logging could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LogError {
    /// `OBBACKUP_LOG` is not a filter.
    #[error("{ENV}={value:?} is not a log filter: {reason}")]
    #[diagnostic(
        code(obbackup::log::filter),
        help(
            "use a level (info, debug) or target=level pairs such as obbackup=debug,obbackup::db=trace"
        )
    )]
    Filter {
        /// The variable's value.
        value: String,
        /// The parser's words.
        reason: String,
    },
    /// The log file cannot be opened for appending.
    #[error("cannot open the log file {path}: {reason}")]
    #[diagnostic(code(obbackup::log::file))]
    File {
        /// The path given.
        path: String,
        /// Why.
        reason: String,
    },
}

/// The filter for `verbose` (the number of `-v`) and a log file: `None`
/// when nothing is to be logged.
pub fn directives(verbose: u8, to_file: bool) -> Option<&'static str> {
    match verbose {
        0 if to_file => Some("obbackup=info"),
        0 => None,
        1 => Some("obbackup=info"),
        2 => Some("obbackup=debug"),
        _ => Some("obbackup=trace,sqlx=debug"),
    }
}

/// Starts logging as `verbose`, `OBBACKUP_LOG` and `file` ask (see the
/// module). Errors: an unparsable `OBBACKUP_LOG`, a file that cannot be
/// opened for appending.
pub fn init(verbose: u8, file: Option<&Path>) -> Result<(), LogError> {
    let from_env = std::env::var(ENV).ok().filter(|v| !v.trim().is_empty());
    let filter = match (&from_env, directives(verbose, file.is_some())) {
        (Some(value), _) => EnvFilter::builder()
            .parse(value)
            .map_err(|e| LogError::Filter {
                value: value.clone(),
                reason: e.to_string(),
            })?,
        (None, Some(directives)) => EnvFilter::new(directives),
        (None, None) => return Ok(()),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    let installed = match file {
        Some(path) => {
            let handle = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| LogError::File {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
            builder
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(CleanWriter(handle)))
                .try_init()
        }
        None => builder
            .with_ansi(crate::output::colour())
            .with_writer(|| CleanWriter(std::io::stderr()))
            .try_init(),
    };
    // Already installed (a test running commands in-process): keep that one.
    let _ = installed;
    Ok(())
}

//! `obbackup`, the command line: every I/O of the tool lives here — files,
//! environment, the database session, the terminal, the clock. The planning
//! itself is `obbackup_planner`, which this crate feeds and renders.
//!
//! Commands, one file each under [`commands`]: `validate`, `plan`, `apply`,
//! `drift`, `show`, `graph`, `status`, `backup`, `export`, `completions`, `man`. Exit codes: 0 success / no changes / in sync, 1 error,
//! 2 changes present (`plan --detailed-exitcode`) or drift found (`drift`).

pub mod args;
pub mod commands;
pub mod db;
pub mod error;
pub mod executor;
pub mod inspect;
pub mod lock;
pub mod log;
pub mod many;
pub mod merge;
pub mod output;
pub mod redact;
pub mod sandbox;
pub mod signals;

use args::{Cli, Format};
use clap::Parser;
use obbackup_planner::plan::Plan;
use obbackup_planner::render;
use std::process::ExitCode;

/// Exit code for "changes present" / "drift found".
pub const EXIT_CHANGES: u8 = 2;

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    output::init(cli.color);
    if let Err(e) = log::init(cli.verbose, cli.log_file.as_deref()) {
        output::diagnostic(miette::Report::new(e));
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            output::info(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::dispatch(cli.command)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            output::diagnostic(miette::Report::new(e));
            ExitCode::FAILURE
        }
    }
}

/// What a plan or drift run prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// `obbackup plan`.
    Plan,
    /// `obbackup drift`.
    Drift,
}

impl Report {
    /// Renders one plan in `format`.
    pub fn render(self, plan: &Plan, format: Format) -> String {
        match (self, format) {
            (Report::Plan, Format::Human) => render::human(plan),
            (Report::Plan, Format::Json) => pretty(&render::json(plan)),
            (Report::Plan, Format::Markdown) => render::markdown(plan),
            (Report::Drift, Format::Human) => render::drift_human(plan),
            (Report::Drift, Format::Json) => pretty(&render::drift_json(plan)),
            (Report::Drift, Format::Markdown) => render::drift_markdown(plan),
        }
    }

    /// Renders one plan as Markdown of at most `budget` characters (one
    /// cluster of a fleet's comment).
    pub fn markdown_within(self, plan: &Plan, budget: usize) -> String {
        match self {
            Report::Plan => render::markdown_within(plan, budget),
            Report::Drift => render::drift_markdown_within(plan, budget),
        }
    }

    /// Whether the plan counts as "changes" (exit 2) for this report.
    pub fn has_changes(self, plan: &Plan) -> bool {
        match self {
            Report::Plan => !plan.is_empty(),
            Report::Drift => !plan.changes.is_empty() || !plan.breaches.is_empty(),
        }
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

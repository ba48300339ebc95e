//! `obbackup`, the command line: every I/O of the tool lives here — files,
//! environment, the database session, the terminal, the clock. The planning
//! itself is `obbackup_planner`, which this crate feeds and renders.
//!
//! Commands (DESIGN.md §7): `validate`, `plan`, `apply`, `drift`. Exit codes:
//! 0 success / no changes / in sync, 1 error, 2 changes present
//! (`plan --detailed-exitcode`) or drift found (`drift`).

pub mod apply;
pub mod args;
pub mod db;
pub mod error;
pub mod inspect;
pub mod output;
pub mod sandbox;

use args::{Cli, Command, Format, TargetArgs, WaitArgs};
use clap::Parser;
use error::CliError;
use obbackup_planner::config::{self, Config};
use obbackup_planner::desired::{self, Environment};
use obbackup_planner::diagnostic::ConfigReport;
use obbackup_planner::plan::{self, Plan, PlanError, Timeouts};
use obbackup_planner::render;
use obbackup_planner::secret::Secret;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code for "changes present" / "drift found".
const EXIT_CHANGES: u8 = 2;

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    output::init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            output::info(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            output::diagnostic(miette::Report::new(e));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> Result<u8, CliError> {
    match command {
        Command::Validate { config } => validate(&config),
        Command::Plan { config, target, format, detailed_exitcode, waits } => {
            let (plan, _, _) = plan_against(&config, &target, &waits).await?;
            match format {
                Format::Human => output::result(&render::human(&plan)),
                Format::Json => output::json(&render::json(&plan)),
            }
            Ok(if detailed_exitcode && !plan.is_empty() { EXIT_CHANGES } else { 0 })
        }
        Command::Drift { config, target, format } => {
            let waits = WaitArgs { wait_timeout: None, poll_interval_ms: 1000 };
            let (plan, _, _) = plan_against(&config, &target, &waits).await?;
            match format {
                Format::Human => output::result(&render::drift_human(&plan)),
                Format::Json => output::json(&render::drift_json(&plan)),
            }
            Ok(if plan.changes.is_empty() { 0 } else { EXIT_CHANGES })
        }
        Command::Apply { config, target, auto_approve, allow_hazards, waits } => {
            apply(&config, &target, &waits, auto_approve, allow_hazards).await
        }
    }
}

/// The process environment, for `env()` in configurations.
fn environment() -> Environment {
    std::env::vars().collect()
}

struct Loaded {
    name: String,
    text: String,
    config: Config,
}

fn read(path: &std::path::Path) -> Result<(String, String), CliError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::File { path: name.clone(), reason: e.to_string() })?;
    Ok((name, text))
}

fn load(path: &std::path::Path) -> Result<Loaded, CliError> {
    let (name, text) = read(path)?;
    let (config, errors) = config::decode(&text);
    if !errors.is_empty() {
        return Err(ConfigReport::new(&name, &text, errors).into());
    }
    Ok(Loaded { name, text, config })
}

/// Reports decode problems together with what evaluating the rest finds, so
/// one run shows every problem.
fn validate(path: &std::path::Path) -> Result<u8, CliError> {
    let (name, text) = read(path)?;
    let (config, mut errors) = config::decode(&text);
    if let Err(more) = desired::validate(&config, &environment()) {
        errors.extend(more.into_iter().filter(|e| !errors.contains(e)).collect::<Vec<_>>());
    }
    if !errors.is_empty() {
        return Err(ConfigReport::new(&name, &text, errors).into());
    }
    output::result(&format!("{name}: valid ({} tenant block(s)).", config.tenants.len()));
    Ok(0)
}

fn timeouts(waits: &WaitArgs) -> Timeouts {
    match waits.wait_timeout {
        Some(s) => Timeouts { archive_doing: s, archive_stop: s, backup_jobs: s },
        None => Timeouts::default(),
    }
}

async fn connect(target: &TargetArgs) -> Result<db::Session, CliError> {
    let dsn = match (&target.dsn, &target.sandbox) {
        (_, Some(fixture)) => sandbox::start(fixture).await?,
        (Some(dsn), None) => Secret::new(dsn.clone()),
        (None, None) => return Err(CliError::NoTarget),
    };
    Ok(db::Session::connect(&dsn, Duration::from_secs(target.timeout)).await?)
}

fn make_plan(loaded: &Loaded, live: &obbackup_planner::live::LiveState, waits: &WaitArgs) -> Result<Plan, CliError> {
    plan::plan(&loaded.config, live, &environment(), timeouts(waits)).map_err(|e| match e {
        PlanError::Config(errors) => ConfigReport::new(&loaded.name, &loaded.text, errors).into(),
        PlanError::Cycle(_) => CliError::Internal(e.to_string()),
    })
}

async fn plan_against(path: &std::path::Path, target: &TargetArgs, waits: &WaitArgs) -> Result<(Plan, db::Session, Loaded), CliError> {
    let loaded = load(path)?;
    let mut session = connect(target).await?;
    let live = inspect::inspect(&mut session).await?;
    let plan = make_plan(&loaded, &live, waits)?;
    Ok((plan, session, loaded))
}

async fn apply(path: &std::path::Path, target: &TargetArgs, waits: &WaitArgs, auto_approve: bool, allow_hazards: bool) -> Result<u8, CliError> {
    let (plan, mut session, loaded) = plan_against(path, target, waits).await?;
    output::result(&render::human(&plan));
    if plan.is_empty() {
        session.close().await;
        return Ok(0);
    }
    let hazards = plan.hazards();
    let interactive = output::interactive();
    if !hazards.is_empty() && !allow_hazards && !interactive {
        return Err(CliError::Refused(format!(
            "the plan has {} hazard(s) and nobody can be asked: pass --allow-hazards to run it",
            hazards.len()
        )));
    }
    if !auto_approve {
        if !interactive {
            return Err(CliError::Refused("refusing to apply without --auto-approve: standard input is not a terminal".into()));
        }
        let question = if hazards.is_empty() {
            format!("Run these {} step(s)?", plan.steps.len())
        } else {
            format!("Run these {} step(s), accepting {} hazard(s)?", plan.steps.len(), hazards.len())
        };
        if !output::confirm(&question) {
            output::info("Apply cancelled: nothing was run.");
            return Ok(1);
        }
    } else if !hazards.is_empty() && !allow_hazards && !output::confirm(&format!("The plan carries {} hazard(s). Continue?", hazards.len())) {
        output::info("Apply cancelled: nothing was run.");
        return Ok(1);
    }
    let options = apply::Options {
        poll: Duration::from_millis(waits.poll_interval_ms.max(10)),
        statement_timeout: Duration::from_secs(target.timeout),
        wait_timeout: waits.wait_timeout,
    };
    let report = apply::run(&mut session, &plan, options).await;
    output::result(&report.human());
    if let Some((step, cause, help)) = report.failure() {
        return Err(CliError::StepFailed { step: step.to_string(), cause: cause.to_string(), help: help.to_string() });
    }
    // Read and plan again: anything left means the apply did not converge.
    let live = inspect::inspect(&mut session).await?;
    let again = make_plan(&loaded, &live, waits)?;
    session.close().await;
    if !again.changes.is_empty() {
        output::result(&render::drift_human(&again));
        return Err(CliError::NotConverged(again.changes.len()));
    }
    output::result("Apply complete: the cluster matches the configuration.");
    Ok(0)
}

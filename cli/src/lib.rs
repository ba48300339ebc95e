//! `obbackup`, the command line: every I/O of the tool lives here — files,
//! environment, the database session, the terminal, the clock. The planning
//! itself is `obbackup_planner`, which this crate feeds and renders.
//!
//! Commands (DESIGN.md §7): `validate`, `plan`, `apply`, `drift`, `show`,
//! `graph`, `export`. Exit codes: 0 success / no changes / in sync, 1 error,
//! 2 changes present (`plan --detailed-exitcode`) or drift found (`drift`).

pub mod apply;
pub mod args;
pub mod db;
pub mod error;
pub mod inspect;
pub mod many;
pub mod output;
pub mod sandbox;

use args::{BackupAction, Cli, Command, DayArgs, Format, TargetArgs, WaitArgs};
use clap::Parser;
use error::CliError;
use obbackup_planner::config::{self, Config};
use obbackup_planner::desired::{self, Environment};
use obbackup_planner::diagnostic::ConfigReport;
use obbackup_planner::live::LiveState;
use obbackup_planner::plan::{self, Plan, PlanError, Timeouts};
use obbackup_planner::planfile::{self, PlanFile};
use obbackup_planner::render;
use obbackup_planner::secret::Secret;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code for "changes present" / "drift found".
pub const EXIT_CHANGES: u8 = 2;

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    output::init();
    let cli = Cli::parse();
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
    match runtime.block_on(dispatch(cli.command)) {
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

    /// Whether the plan counts as "changes" (exit 2) for this report.
    pub fn has_changes(self, plan: &Plan) -> bool {
        match self {
            Report::Plan => !plan.is_empty(),
            Report::Drift => !plan.changes.is_empty(),
        }
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

async fn dispatch(command: Command) -> Result<u8, CliError> {
    match command {
        Command::Validate { config } => validate(&config),
        Command::Plan {
            configs,
            target,
            format,
            detailed_exitcode,
            out,
            waits,
            day,
        } => {
            let files = many::expand(&configs)?;
            if files.len() > 1 {
                if out.is_some() {
                    return Err(CliError::Refused(
                        "--out saves the plan of one configuration: name one file".into(),
                    ));
                }
                let code =
                    many::run(files, Report::Plan, format, &target, waits, today(&day)?).await;
                return Ok(if code == EXIT_CHANGES && !detailed_exitcode {
                    0
                } else {
                    code
                });
            }
            let day = today(&day)?;
            let evaluated = evaluate(&files[0], &target, &waits, day).await?;
            evaluated.session.close().await;
            let plan = &evaluated.plan;
            if let Some(out) = out {
                let file = PlanFile::new(
                    plan,
                    &evaluated.loaded.name,
                    &evaluated.loaded.text,
                    &evaluated.loaded.config,
                    &evaluated.live,
                    day,
                    planfile::SavedOptions {
                        timeouts: timeouts(&waits),
                        follow_backups: waits.wait,
                    },
                );
                let text = serde_json::to_string_pretty(&file)
                    .map_err(|e| CliError::Internal(e.to_string()))?;
                std::fs::write(&out, text).map_err(|e| CliError::File {
                    path: out.display().to_string(),
                    reason: e.to_string(),
                })?;
                output::info(&format!(
                    "Saved the plan to {}: apply it with `obbackup apply {}`.",
                    out.display(),
                    out.display()
                ));
            }
            output::result(&Report::Plan.render(plan, format));
            Ok(if detailed_exitcode && !plan.is_empty() {
                EXIT_CHANGES
            } else {
                0
            })
        }
        Command::Drift {
            configs,
            target,
            format,
            day,
        } => {
            let files = many::expand(&configs)?;
            let waits = WaitArgs {
                wait_timeout: None,
                poll_interval_ms: 1000,
                wait: false,
            };
            if files.len() > 1 {
                return Ok(
                    many::run(files, Report::Drift, format, &target, waits, today(&day)?).await,
                );
            }
            let evaluated = evaluate(&files[0], &target, &waits, today(&day)?).await?;
            evaluated.session.close().await;
            output::result(&Report::Drift.render(&evaluated.plan, format));
            Ok(if Report::Drift.has_changes(&evaluated.plan) {
                EXIT_CHANGES
            } else {
                0
            })
        }
        Command::Apply {
            config,
            target,
            auto_approve,
            allow_hazards,
            waits,
            day,
        } => {
            let gate = Gate {
                auto_approve,
                allow_hazards,
            };
            if is_plan_file(&config) {
                apply_saved(&config, &target, &waits, gate).await
            } else {
                let day = today(&day)?;
                let evaluated = evaluate(&config, &target, &waits, day).await?;
                execute(evaluated, &waits, &target, gate, day).await
            }
        }
        Command::Show { planfile, format } => {
            let (_, text) = read(&planfile)?;
            let file = PlanFile::parse(&text).map_err(|e| CliError::PlanFile(e.to_string()))?;
            output::result(&Report::Plan.render(&file.plan, format));
            Ok(0)
        }
        Command::Graph {
            config,
            target,
            day,
        } => {
            let waits = WaitArgs {
                wait_timeout: None,
                poll_interval_ms: 1000,
                wait: false,
            };
            let evaluated = evaluate(&config, &target, &waits, today(&day)?).await?;
            evaluated.session.close().await;
            output::result(&dot(&evaluated.plan));
            Ok(0)
        }
        Command::Status {
            config,
            target,
            format,
        } => status(config.as_deref(), &target, format).await,
        Command::Backup { action } => one_shot(action).await,
        Command::Export { target } => {
            let mut session = connect(&target, None).await?;
            let live = inspect::inspect(&mut session).await?;
            session.close().await;
            let (hcl, env) = obbackup_planner::export::hcl(&live);
            output::result(&hcl);
            if !env.is_empty() {
                output::info(&format!(
                    "The exported file reads credentials from the environment; set before planning it: {}",
                    env.join(", ")
                ));
            }
            Ok(0)
        }
    }
}

async fn status(
    config: Option<&Path>,
    target: &TargetArgs,
    format: Format,
) -> Result<u8, CliError> {
    let loaded = match config {
        Some(path) => {
            let (name, text) = read(path)?;
            Some(decode(name, text)?)
        }
        None => None,
    };
    let dsn_env = loaded
        .as_ref()
        .and_then(|l| l.config.dsn_env.as_ref().map(|(v, _)| v.clone()));
    let mut session = connect(target, dsn_env.as_deref()).await?;
    let live = inspect::inspect(&mut session).await?;
    session.close().await;
    let desired = match &loaded {
        Some(l) => {
            let state = obbackup_planner::dialect::resolve(&l.config, &live, &environment())
                .map_err(|errors| CliError::from(ConfigReport::new(&l.name, &l.text, errors)))?;
            Some(state)
        }
        None => None,
    };
    let report = obbackup_planner::status::status(&live, desired.as_ref());
    match format {
        Format::Json => output::json(&render::status_json(&report)),
        _ => output::result(&render::status_human(&report)),
    }
    Ok(0)
}

/// `obbackup backup full|incremental|cancel`: plans the request and runs it.
async fn one_shot(action: BackupAction) -> Result<u8, CliError> {
    use obbackup_planner::oneshot::{self, Request};
    let (request, target, waits) = match action {
        BackupAction::Full(a) => (
            Request::Backup {
                incremental: false,
                tenants: a.tenants,
                plus_archivelog: a.plus_archivelog,
                follow: a.waits.wait,
            },
            a.target,
            a.waits,
        ),
        BackupAction::Incremental(a) => (
            Request::Backup {
                incremental: true,
                tenants: a.tenants,
                plus_archivelog: a.plus_archivelog,
                follow: a.waits.wait,
            },
            a.target,
            a.waits,
        ),
        BackupAction::Cancel(a) => (
            Request::Cancel {
                tenants: a.tenants,
                follow: a.waits.wait,
            },
            a.target,
            a.waits,
        ),
    };
    let mut session = connect(&target, None).await?;
    let live = inspect::inspect(&mut session).await?;
    let plan = oneshot::plan(&live, &request, timeouts(&waits)).map_err(CliError::OneShot)?;
    output::result(&render::human(&plan));
    if plan.steps.is_empty() {
        session.close().await;
        return Ok(0);
    }
    let options = apply::Options {
        poll: Duration::from_millis(waits.poll_interval_ms.max(10)),
        statement_timeout: Duration::from_secs(target.timeout),
    };
    let report = apply::run(&mut session, &plan, options).await;
    session.close().await;
    output::result(&render::apply_report(&report));
    if let Some((step, cause, help)) = report.failure() {
        return Err(CliError::StepFailed {
            step: step.to_string(),
            cause: cause.to_string(),
            help: help.to_string(),
        });
    }
    Ok(0)
}

/// Today's date (UTC) unless `--today` / `OBBACKUP_TODAY` gives one.
fn today(day: &DayArgs) -> Result<time::Date, CliError> {
    match &day.today {
        Some(text) => config::parse_date(text).ok_or_else(|| {
            CliError::Refused(format!("--today {text:?} is not a date written YYYY-MM-DD"))
        }),
        None => Ok(time::OffsetDateTime::now_utc().date()),
    }
}

/// The process environment, for `env()` in configurations.
fn environment() -> Environment {
    std::env::vars().collect()
}

/// A decoded configuration file.
pub struct Loaded {
    /// File name as given.
    pub name: String,
    /// Its text.
    pub text: String,
    /// Its decoded form.
    pub config: Config,
}

fn read(path: &Path) -> Result<(String, String), CliError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::File {
        path: name.clone(),
        reason: e.to_string(),
    })?;
    Ok((name, text))
}

fn decode(name: String, text: String) -> Result<Loaded, CliError> {
    let (config, errors) = config::decode(&text);
    if !errors.is_empty() {
        return Err(ConfigReport::new(&name, &text, errors).into());
    }
    Ok(Loaded { name, text, config })
}

/// Reports decode problems together with what evaluating the rest finds, so
/// one run shows every problem.
fn validate(path: &Path) -> Result<u8, CliError> {
    let (name, text) = read(path)?;
    let (config, mut errors) = config::decode(&text);
    if let Err(more) = desired::validate(&config, &environment()) {
        errors.extend(
            more.into_iter()
                .filter(|e| !errors.contains(e))
                .collect::<Vec<_>>(),
        );
    }
    if !errors.is_empty() {
        return Err(ConfigReport::new(&name, &text, errors).into());
    }
    output::result(&format!(
        "{name}: valid ({} tenant block(s)).",
        config.tenants.len()
    ));
    Ok(0)
}

fn timeouts(waits: &WaitArgs) -> Timeouts {
    match waits.wait_timeout {
        Some(s) => Timeouts {
            archive_doing: s,
            archive_stop: s,
            backup_jobs: s,
            backup_run: s,
        },
        None => Timeouts::default(),
    }
}

/// Opens a session: `--sandbox`, else `--dsn`/`OBBACKUP_DSN`, else the variable
/// the file names in `cluster { dsn_env }`.
async fn connect(target: &TargetArgs, dsn_env: Option<&str>) -> Result<db::Session, CliError> {
    let dsn = match (&target.sandbox, &target.dsn, dsn_env) {
        (Some(fixture), _, _) => sandbox::start(fixture).await?,
        (None, Some(dsn), _) => Secret::new(dsn.clone()),
        (None, None, Some(var)) => {
            Secret::new(std::env::var(var).map_err(|_| CliError::DsnEnvUnset(var.to_string()))?)
        }
        (None, None, None) => return Err(CliError::NoTarget),
    };
    Ok(db::Session::connect(&dsn, Duration::from_secs(target.timeout)).await?)
}

fn make_plan(
    loaded: &Loaded,
    live: &LiveState,
    waits: &WaitArgs,
    today: time::Date,
) -> Result<Plan, CliError> {
    plan_with(loaded, live, timeouts(waits), waits.wait, today)
}

fn plan_with(
    loaded: &Loaded,
    live: &LiveState,
    timeouts: Timeouts,
    follow_backups: bool,
    today: time::Date,
) -> Result<Plan, CliError> {
    let options = plan::Options {
        timeouts,
        today,
        follow_backups,
        tie_break: Default::default(),
    };
    plan::plan(&loaded.config, live, &environment(), &options).map_err(|e| match e {
        PlanError::Config(errors) => ConfigReport::new(&loaded.name, &loaded.text, errors).into(),
        PlanError::Graph(_) | PlanError::IncompleteLiveState => CliError::Internal(e.to_string()),
    })
}

/// A plan with what it was made from and the session it was read on.
pub struct Evaluated {
    /// The plan.
    pub plan: Plan,
    /// The open session.
    pub session: db::Session,
    /// The configuration.
    pub loaded: Loaded,
    /// The live state planned from.
    pub live: LiveState,
}

/// Loads a file, connects, reads the cluster and plans.
pub async fn evaluate(
    path: &Path,
    target: &TargetArgs,
    waits: &WaitArgs,
    today: time::Date,
) -> Result<Evaluated, CliError> {
    let (name, text) = read(path)?;
    let loaded = decode(name, text)?;
    let dsn_env = loaded.config.dsn_env.as_ref().map(|(v, _)| v.clone());
    let mut session = connect(target, dsn_env.as_deref()).await?;
    let live = inspect::inspect(&mut session).await?;
    let plan = make_plan(&loaded, &live, waits, today)?;
    Ok(Evaluated {
        plan,
        session,
        loaded,
        live,
    })
}

fn is_plan_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .is_ok_and(|t| t.trim_start().starts_with('{') && t.contains("\"plan_file_version\""))
}

/// The approval flags of apply.
#[derive(Debug, Clone, Copy)]
struct Gate {
    auto_approve: bool,
    allow_hazards: bool,
}

async fn apply_saved(
    path: &Path,
    target: &TargetArgs,
    waits: &WaitArgs,
    gate: Gate,
) -> Result<u8, CliError> {
    let (_, text) = read(path)?;
    let file = PlanFile::parse(&text).map_err(|e| CliError::PlanFile(e.to_string()))?;
    let today = file.today().ok_or_else(|| {
        CliError::PlanFile(format!(
            "the plan file's date {:?} is not YYYY-MM-DD",
            file.today
        ))
    })?;
    let loaded = decode(file.config.name.clone(), file.config.text.clone())?;
    let dsn_env = loaded.config.dsn_env.as_ref().map(|(v, _)| v.clone());
    let mut session = connect(target, dsn_env.as_deref()).await?;
    let live = inspect::inspect(&mut session).await?;
    let differences = file.stale_differences(&live);
    if !differences.is_empty() {
        session.close().await;
        return Err(CliError::StalePlan {
            count: differences.len(),
            differences: differences.join("\n"),
        });
    }
    // Plan again exactly as the saved plan was made: its recorded options, not this command's flags.
    let saved = file.options();
    if waits.wait || waits.wait_timeout.is_some() {
        output::info(&format!(
            "note: --wait and --wait-timeout take effect at `plan --out`; this saved plan runs as it was reviewed ({}following backup jobs, waits up to {}s for DOING and {}s for STOP)",
            if saved.follow_backups { "" } else { "not " },
            saved.timeouts.archive_doing,
            saved.timeouts.archive_stop
        ));
    }
    let plan = plan_with(&loaded, &live, saved.timeouts, saved.follow_backups, today)?;
    if !planfile::same_steps(&file.plan, &plan) {
        session.close().await;
        return Err(CliError::Refused(
            "planning the saved configuration again gives other steps (the environment it reads changed, or a backup became due since): make a new plan".into(),
        ));
    }
    execute(
        Evaluated {
            plan,
            session,
            loaded,
            live,
        },
        waits,
        target,
        gate,
        today,
    )
    .await
}

async fn execute(
    evaluated: Evaluated,
    waits: &WaitArgs,
    target: &TargetArgs,
    gate: Gate,
    today: time::Date,
) -> Result<u8, CliError> {
    let Evaluated {
        plan,
        mut session,
        loaded,
        ..
    } = evaluated;
    output::result(&render::human(&plan));
    if plan.is_empty() {
        session.close().await;
        return Ok(0);
    }
    let hazards = plan.hazards();
    let interactive = output::interactive();
    if !hazards.is_empty() && !gate.allow_hazards && !interactive {
        return Err(CliError::Refused(format!(
            "the plan has {} hazard(s) and nobody can be asked: pass --allow-hazards to run it",
            hazards.len()
        )));
    }
    if !gate.auto_approve {
        if !interactive {
            return Err(CliError::Refused(
                "refusing to apply without --auto-approve: standard input is not a terminal".into(),
            ));
        }
        let question = if hazards.is_empty() {
            format!("Run these {} step(s)?", plan.steps.len())
        } else {
            format!(
                "Run these {} step(s), accepting {} hazard(s)?",
                plan.steps.len(),
                hazards.len()
            )
        };
        if !output::confirm(&question) {
            output::info("Apply cancelled: nothing was run.");
            return Ok(1);
        }
    } else if !hazards.is_empty()
        && !gate.allow_hazards
        && !output::confirm(&format!(
            "The plan carries {} hazard(s). Continue?",
            hazards.len()
        ))
    {
        output::info("Apply cancelled: nothing was run.");
        return Ok(1);
    }
    let options = apply::Options {
        poll: Duration::from_millis(waits.poll_interval_ms.max(10)),
        statement_timeout: Duration::from_secs(target.timeout),
    };
    let report = apply::run(&mut session, &plan, options).await;
    output::result(&render::apply_report(&report));
    if let Some((step, cause, help)) = report.failure() {
        return Err(CliError::StepFailed {
            step: step.to_string(),
            cause: cause.to_string(),
            help: help.to_string(),
        });
    }
    // Read and plan again: anything left means the apply did not converge.
    let live = inspect::inspect(&mut session).await?;
    let again = make_plan(&loaded, &live, waits, today)?;
    session.close().await;
    if !again.changes.is_empty() {
        output::result(&render::drift_human(&again));
        return Err(CliError::NotConverged(again.changes.len()));
    }
    output::result("Apply complete: the cluster matches the configuration.");
    Ok(0)
}

/// The step graph as Graphviz DOT (petgraph's writer), edges labelled with rules.
fn dot(plan: &Plan) -> String {
    use petgraph::dot::{Config as DotConfig, Dot};
    let mut graph = petgraph::graph::DiGraph::<String, String>::new();
    let nodes: Vec<_> = plan
        .steps
        .iter()
        .map(|s| {
            let text = match &s.kind {
                plan::StepKind::Sql(sql) => sql.shown.clone(),
                plan::StepKind::Wait(w) => render::wait_text(&w.until, s.tenant.as_deref()),
            };
            graph.add_node(format!("{}\n{text}", s.id))
        })
        .collect();
    let index: std::collections::HashMap<&plan::StepId, usize> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (&s.id, i))
        .collect();
    for e in &plan.edges {
        if let (Some(&a), Some(&b)) = (index.get(&e.from), index.get(&e.to)) {
            graph.add_edge(nodes[a], nodes[b], e.rule.to_string());
        }
    }
    format!(
        "{:?}",
        Dot::with_attr_getters(
            &graph,
            &[DotConfig::NodeNoLabel, DotConfig::EdgeNoLabel],
            &|_, e| format!("label = {:?}", e.weight()),
            &|_, (_, n)| format!("label = {n:?}, shape = box"),
        )
    )
}

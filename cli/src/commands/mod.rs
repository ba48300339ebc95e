//! One file per subcommand; this module dispatches and holds what several
//! share: reading and decoding files, the date, the environment, connecting,
//! planning a loaded file against a live state.

pub mod apply;
pub mod backup;
pub mod completions;
pub mod drift;
pub mod export;
pub mod fmt;
pub mod graph;
pub mod man;
pub mod plan;
pub mod report;
pub mod show;
pub mod status;
pub mod validate;

pub(crate) use crate::args::{
    ApplyFormat, BackupAction, Command, DayArgs, Format, ShardArgs, TargetArgs, WaitArgs,
};
pub(crate) use crate::error::CliError;
pub(crate) use crate::executor;
pub(crate) use crate::{EXIT_CHANGES, Report, db, inspect, many, output, sandbox};
pub(crate) use obbackup_planner::config::{self, Config};
pub(crate) use obbackup_planner::desired::{self, Environment};
pub(crate) use obbackup_planner::diagnostic::ConfigReport;
pub(crate) use obbackup_planner::live::LiveState;
pub(crate) use obbackup_planner::plan::{self as planner, Plan, PlanError, Timeouts};
pub(crate) use obbackup_planner::planfile::{self, PlanFile};
pub(crate) use obbackup_planner::render;
pub(crate) use obbackup_planner::secret::Secret;
pub(crate) use std::path::Path;
pub(crate) use std::time::Duration;

/// Runs one subcommand; returns the exit code.
pub async fn dispatch(command: Command) -> Result<u8, CliError> {
    match command {
        Command::Validate {
            config,
            server_version,
            require_env,
        } => validate::run(&config, server_version.as_deref(), require_env),
        Command::Plan {
            configs,
            target,
            format,
            detailed_exitcode,
            out,
            shard,
            waits,
            day,
        } => {
            plan::run(
                configs,
                target,
                format,
                detailed_exitcode,
                out,
                shard,
                waits,
                day,
            )
            .await
        }
        Command::Drift {
            configs,
            target,
            format,
            shard,
            day,
        } => drift::run(configs, target, format, shard, day).await,
        Command::Apply {
            config,
            target,
            auto_approve,
            format,
            lock_timeout,
            allow_hazards,
            waits,
            day,
        } => {
            apply::run(
                config,
                target,
                apply::Gate {
                    auto_approve,
                    allow_hazards,
                },
                format,
                waits,
                day,
                Duration::from_secs(lock_timeout),
            )
            .await
        }
        Command::Show { planfile, format } => show::run(planfile, format),
        Command::Graph {
            config,
            target,
            day,
        } => graph::run(config, target, day).await,
        Command::Status {
            config,
            target,
            format,
            cluster_label,
            detailed_exitcode,
        } => {
            status::run(
                config.as_deref(),
                &target,
                format,
                cluster_label.as_deref(),
                detailed_exitcode,
            )
            .await
        }
        Command::Backup { action } => backup::run(action).await,
        Command::Export { target } => export::run(target).await,
        Command::Fmt { paths, check } => fmt::run(&paths, check),
        Command::Report {
            action: crate::args::ReportAction::Merge { reports, format },
        } => report::merge(&reports, format),
        Command::Completions { shell } => completions::run(shell),
        Command::Man { dir } => man::run(dir.as_deref()),
    }
}

/// Wait settings of commands that never wait (drift, graph).
pub(crate) fn no_waits() -> WaitArgs {
    WaitArgs {
        wait_timeout: None,
        backup_timeout: None,
        poll_interval_ms: 1000,
        wait: false,
    }
}

/// Today's date (UTC) unless `--today` / `OBBACKUP_TODAY` gives one.
fn today(day: &DayArgs) -> Result<time::Date, CliError> {
    match &day.today {
        Some(text) => config::parse_date(text).ok_or_else(|| {
            CliError::Usage(format!("--today {text:?} is not a date written YYYY-MM-DD"))
        }),
        None => Ok(time::OffsetDateTime::now_utc().date()),
    }
}

/// The files of a fleet run, or `None` for a run over one file: with
/// several files, or with a shard (`--shard`, or the CI's variables when
/// several files are given), the share of them this run takes.
fn fleet(
    files: Vec<std::path::PathBuf>,
    args: &ShardArgs,
) -> Result<Option<Vec<std::path::PathBuf>>, CliError> {
    if args.shard.is_none() && files.len() < 2 {
        return Ok(None);
    }
    Ok(
        match many::shard(args.shard.as_deref(), |name| std::env::var(name).ok())? {
            Some(share) => Some(many::share_of(files, share)),
            None => Some(files),
        },
    )
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

/// The largest configuration file read: 8 MiB holds tens of thousands of
/// tenant blocks; a larger file is refused before it is read.
pub const CONFIG_LIMIT_BYTES: u64 = 8 * 1024 * 1024;

/// The largest plan file read (it carries the live state of the cluster).
pub const PLAN_FILE_LIMIT_BYTES: u64 = 256 * 1024 * 1024;

/// Whether `path` holds a plan file: JSON whose first key is
/// `plan_file_version` (only the start of the file is read).
pub(crate) fn is_plan_file(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(4096).read_to_end(&mut head));
    let head = String::from_utf8_lossy(&head);
    read.is_ok() && head.trim_start().starts_with('{') && head.contains("\"plan_file_version\"")
}

/// Reads a configuration file, refusing one over [`CONFIG_LIMIT_BYTES`].
fn read(path: &Path) -> Result<(String, String), CliError> {
    read_limited(path, CONFIG_LIMIT_BYTES, "configuration")
}

/// Reads a plan file, refusing one over [`PLAN_FILE_LIMIT_BYTES`].
fn read_plan_file(path: &Path) -> Result<(String, String), CliError> {
    read_limited(path, PLAN_FILE_LIMIT_BYTES, "plan file")
}

fn read_limited(path: &Path, limit: u64, what: &str) -> Result<(String, String), CliError> {
    let name = path.display().to_string();
    let failed = |reason: String| CliError::File {
        path: name.clone(),
        reason,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| failed(e.to_string()))?
        .len();
    if size > limit {
        return Err(failed(format!(
            "the file is {size} bytes; a {what} may be at most {limit} bytes ({} MiB)",
            limit / (1024 * 1024)
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        // In characters: the text before the bad byte is valid UTF-8.
        let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
        let column = std::str::from_utf8(&before[line_start..])
            .map_or(at - line_start, |s| s.chars().count())
            + 1;
        failed(format!(
            "not UTF-8 text: byte 0x{:02x} at line {line}, column {column} (offset {at}); save the {what} as UTF-8",
            e.as_bytes()[at]
        ))
    })?;
    // A byte order mark, as some editors write: not part of the text.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    Ok((name, text))
}

fn decode(name: String, text: String) -> Result<Loaded, CliError> {
    let (config, errors) = config::decode(&text);
    if !errors.is_empty() {
        return Err(ConfigReport::new(&name, &text, errors).into());
    }
    // What env() reads for credentials and passwords is never printed.
    for name in planfile::secret_env_names(&config) {
        if let Ok(value) = std::env::var(&name) {
            crate::redact::register(&value);
        }
    }
    Ok(Loaded { name, text, config })
}

fn timeouts(waits: &WaitArgs) -> Timeouts {
    let defaults = Timeouts::default();
    let wait = |default: u64| waits.wait_timeout.unwrap_or(default);
    Timeouts {
        archive_doing: wait(defaults.archive_doing),
        archive_stop: wait(defaults.archive_stop),
        backup_jobs: wait(defaults.backup_jobs),
        backup_run: waits.backup_timeout.unwrap_or(defaults.backup_run),
    }
}

/// Opens a session: `--sandbox`, else `--dsn`/`OBBACKUP_DSN`, else the variable
/// the file names in `cluster { dsn_env }`.
async fn connect(target: &TargetArgs, dsn_env: Option<&str>) -> Result<db::Session, CliError> {
    let sandbox = (target.sandbox || target.fixture.is_some())
        .then(|| target.fixture.as_deref().unwrap_or(""));
    let dsn = match (sandbox, &target.dsn, dsn_env) {
        (Some(fixture), _, _) => sandbox::start(fixture).await?,
        (None, Some(dsn), _) => Secret::new(dsn.clone()),
        (None, None, Some(var)) => {
            Secret::new(std::env::var(var).map_err(|_| CliError::DsnEnvUnset(var.to_string()))?)
        }
        (None, None, None) => return Err(CliError::NoTarget),
    };
    Ok(db::Session::connect(&dsn, Duration::from_secs(target.timeout)).await?)
}

/// Refuses, before anything runs, a plan whose statements carry secrets on
/// a connection that may be in clear ([`db::Wire::MaybePlain`]), unless
/// `--allow-plaintext-secrets`.
fn guard_secrets(session: &db::Session, plan: &Plan, target: &TargetArgs) -> Result<(), CliError> {
    let db::Wire::MaybePlain { target: address } = &session.wire else {
        return Ok(());
    };
    let steps = plan
        .steps
        .iter()
        .filter(|s| matches!(&s.kind, planner::StepKind::Sql(sql) if !sql.secrets().is_empty()))
        .count();
    if steps == 0 || target.allow_plaintext_secrets {
        return Ok(());
    }
    Err(CliError::Plaintext {
        target: address.clone(),
        steps,
    })
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
    let options = planner::Options {
        timeouts,
        today,
        follow_backups,
        tie_break: Default::default(),
    };
    planner::plan(&loaded.config, live, &environment(), &options).map_err(|e| match e {
        PlanError::Config(errors) => ConfigReport::new(&loaded.name, &loaded.text, errors).into(),
        PlanError::Graph(graph) => CliError::Graph(graph),
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

//! `obbackup apply`: takes the apply lock where the build has one, plans (or
//! reads a saved plan), shows it, asks, checks the cluster is still as
//! planned, runs it through the executor, and plans again to prove
//! convergence.

use super::*;
use crate::lock::{self, Lock};
use obbackup_planner::render::ApplyResult;
use obbackup_planner::walk::ApplyReport;

/// Runs `obbackup apply`, its report in `format`, waiting up to
/// `lock_timeout` for another apply's lock.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    config: std::path::PathBuf,
    target: TargetArgs,
    gate: Gate,
    format: ApplyFormat,
    waits: WaitArgs,
    day: DayArgs,
    lock_timeout: Duration,
) -> Result<u8, CliError> {
    if is_plan_file(&config) {
        return apply_saved(&config, &target, &waits, gate, format, lock_timeout).await;
    }
    let today = today(&day)?;
    let (name, text) = read(&config)?;
    let loaded = decode(name, text)?;
    // The lock first: the plan shown is made, approved and run under it.
    let (mut session, held) = connect_locked(&loaded, &target, lock_timeout).await?;
    let how = Replan {
        timeouts: timeouts(&waits),
        follow_backups: waits.wait,
        today,
    };
    let result = async {
        let live = inspect::inspect(&mut session).await?;
        let plan = how.plan(&loaded, &live)?;
        execute(
            &mut session,
            &plan,
            &loaded,
            how,
            Source::Config,
            &held,
            &waits,
            &target,
            gate,
            format,
        )
        .await
    }
    .await;
    lock::release(&mut session, &held).await;
    session.close().await;
    result
}

/// Connects for `loaded` and takes the apply lock, waiting up to
/// `lock_timeout` ([`lock::acquire`]). Errors: those of connecting and of
/// the lock; the session is closed when the lock is refused.
async fn connect_locked(
    loaded: &Loaded,
    target: &TargetArgs,
    lock_timeout: Duration,
) -> Result<(db::Session, Lock), CliError> {
    let dsn_env = loaded.config.dsn_env.as_ref().map(|(v, _)| v.clone());
    let mut session = connect(target, dsn_env.as_deref()).await?;
    match lock::acquire(&mut session, lock_timeout).await {
        Ok(held) => Ok((session, held)),
        Err(e) => {
            session.close().await;
            Err(e)
        }
    }
}

/// How apply plans again (to check the cluster before running, and to prove
/// convergence after): the options the plan was made with.
#[derive(Debug, Clone, Copy)]
struct Replan {
    timeouts: Timeouts,
    follow_backups: bool,
    today: time::Date,
}

impl Replan {
    fn plan(&self, loaded: &Loaded, live: &LiveState) -> Result<Plan, CliError> {
        plan_with(loaded, live, self.timeouts, self.follow_backups, self.today)
    }
}

/// The approval flags of apply.
#[derive(Debug, Clone, Copy)]
pub struct Gate {
    /// Run without asking (`--auto-approve`).
    pub auto_approve: bool,
    /// Run steps with hazards without asking (`--allow-hazards`).
    pub allow_hazards: bool,
}

/// Where apply's texts go: with `--format json` standard output carries
/// only the JSON report, and the plan and the closing words go to standard
/// error.
fn say(format: ApplyFormat, text: &str) {
    match format {
        ApplyFormat::Human => output::result(text),
        ApplyFormat::Json => output::info(text),
    }
}

/// Prints the JSON report when asked for.
fn report_json(
    format: ApplyFormat,
    source: Source<'_>,
    plan: &Plan,
    report: &ApplyReport,
    result: ApplyResult,
    remaining: &[String],
) {
    if format == ApplyFormat::Json {
        let left_out: Vec<String> = match source {
            Source::Config => Vec::new(),
            Source::Saved { left_out, .. } => left_out.iter().map(|s| s.id.to_string()).collect(),
        };
        output::json(&render::apply_json(
            plan, report, result, remaining, &left_out,
        ));
    }
}

async fn apply_saved(
    path: &Path,
    target: &TargetArgs,
    waits: &WaitArgs,
    gate: Gate,
    format: ApplyFormat,
    lock_timeout: Duration,
) -> Result<u8, CliError> {
    let (_, text) = read_plan_file(path)?;
    let file = PlanFile::parse(&text)?;
    let today = file.date()?;
    let loaded = decode(file.config.name.clone(), file.config.text.clone())?;
    let (mut session, held) = connect_locked(&loaded, target, lock_timeout).await?;
    // Plan again exactly as the saved plan was made (its recorded options, not
    // this command's flags), only to obtain the text to send of its statements.
    let saved = file.options();
    let how = Replan {
        timeouts: saved.timeouts,
        follow_backups: saved.follow_backups,
        today,
    };
    let result = async {
        let live = inspect::inspect(&mut session).await?;
        let differences = file.stale_differences(&live);
        if !differences.is_empty() {
            return Err(CliError::StalePlan {
                count: differences.len(),
                differences: differences.join("\n"),
            });
        }
        if waits.wait || waits.wait_timeout.is_some() || waits.backup_timeout.is_some() {
            output::info(&format!(
                "note: --wait, --wait-timeout and --backup-timeout take effect at `plan --out`; this saved plan runs as it was reviewed ({}following backup jobs up to {}s, waits up to {}s for DOING and {}s for STOP)",
                if saved.follow_backups { "" } else { "not " },
                saved.timeouts.backup_run,
                saved.timeouts.archive_doing,
                saved.timeouts.archive_stop
            ));
        }
        let bound = planfile::bind(&file.plan, &how.plan(&loaded, &live)?)?;
        if !bound.left_out.is_empty() {
            output::info(&format!(
                "note: since the plan was made, backups became due: {} step(s) that are not in this saved plan will not run ({}); plan again to run them",
                bound.left_out.len(),
                step_list(&bound.left_out)
            ));
        }
        let source = Source::Saved {
            file: &file,
            left_out: &bound.left_out,
        };
        execute(&mut session, &bound.plan, &loaded, how, source, &held, waits, target, gate, format).await
    }
    .await;
    lock::release(&mut session, &held).await;
    session.close().await;
    result
}

/// Up to three step ids, then how many more.
fn step_list(steps: &[obbackup_planner::plan::Step]) -> String {
    let mut ids: Vec<String> = steps.iter().take(3).map(|s| s.id.to_string()).collect();
    if steps.len() > 3 {
        ids.push(format!("{} more", steps.len() - 3));
    }
    ids.join(", ")
}

/// Where the plan being applied comes from, which decides how the cluster
/// is checked again before the first statement and after the last.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// Planned by this apply from the configuration: planning again must
    /// give the same statements.
    Config,
    /// A saved plan ([`planfile::bind`]): the live state must keep the
    /// fingerprint it was planned from, and what planning gives beyond the
    /// saved steps (`left_out`) is not run, nor counted against convergence.
    Saved {
        file: &'a PlanFile,
        left_out: &'a [obbackup_planner::plan::Step],
    },
}

/// Shows `plan`, asks, checks the cluster still gives the same statements,
/// runs the plan and proves convergence. The caller holds (or could not
/// take) the lock, and closes the session.
#[allow(clippy::too_many_arguments)]
async fn execute(
    session: &mut db::Session,
    plan: &Plan,
    loaded: &Loaded,
    how: Replan,
    source: Source<'_>,
    held: &Lock,
    waits: &WaitArgs,
    target: &TargetArgs,
    gate: Gate,
    format: ApplyFormat,
) -> Result<u8, CliError> {
    say(format, &render::human(plan));
    let nothing_ran = ApplyReport::default();
    if plan.is_empty() {
        report_json(
            format,
            source,
            plan,
            &nothing_ran,
            ApplyResult::NoChanges,
            &[],
        );
        return Ok(0);
    }
    guard_secrets(session, plan, target)?;
    let hazards = plan.hazards();
    let interactive = output::interactive();
    if !hazards.is_empty() && !gate.allow_hazards && !interactive {
        return Err(CliError::Refused(format!(
            "the plan has {} hazard(s) and nobody can be asked: pass --allow-hazards to run it",
            hazards.len()
        )));
    }
    // What to ask before running, if anything: the run itself without
    // --auto-approve, else the hazards without --allow-hazards.
    let question = if !gate.auto_approve {
        if !interactive {
            return Err(CliError::Refused(
                "refusing to apply without --auto-approve: standard input is not a terminal".into(),
            ));
        }
        Some(if hazards.is_empty() {
            format!("Run these {} step(s)?", plan.steps.len())
        } else {
            format!(
                "Run these {} step(s), accepting {} hazard(s)?",
                plan.steps.len(),
                hazards.len()
            )
        })
    } else if !hazards.is_empty() && !gate.allow_hazards {
        Some(format!(
            "The plan carries {} hazard(s). Continue?",
            hazards.len()
        ))
    } else {
        None
    };
    if let Some(question) = question
        && !output::confirm(&question)
    {
        output::info("Apply cancelled: nothing was run.");
        report_json(
            format,
            source,
            plan,
            &nothing_ran,
            ApplyResult::Cancelled,
            &[],
        );
        return Ok(1);
    }
    // The cluster must still be as planned: a change by hand during the
    // question, or another apply where the build has no lock.
    let live = inspect::inspect(session).await?;
    let changed = match source {
        Source::Config => {
            planfile::statement_difference(plan, &how.plan(loaded, &live)?).map(CliError::Changed)
        }
        Source::Saved { file, .. } => {
            let differences = file.stale_differences(&live);
            (!differences.is_empty()).then(|| CliError::StalePlan {
                count: differences.len(),
                differences: differences.join("\n"),
            })
        }
    };
    if let Some(error) = changed {
        if let Lock::Unavailable(why) = held {
            tracing::info!("no apply lock: {why}");
        }
        return Err(error);
    }
    let options = executor::Options {
        poll: Duration::from_millis(waits.poll_interval_ms.max(10)),
        statement_timeout: Duration::from_secs(target.timeout),
    };
    let interrupt = crate::signals::Interrupt::install();
    let report = executor::run_until(session, plan, options, &interrupt).await;
    say(format, &render::apply_report(&report));
    if let Some(code) = interrupt.requested() {
        report_json(format, source, plan, &report, ApplyResult::Interrupted, &[]);
        output::info(
            "Apply interrupted: the report says what ran, what was in flight (it may or may not have taken effect) and what did not run; plan again to see what is left.",
        );
        return Ok(code);
    }
    if let Some((step, cause, help)) = report.failure() {
        report_json(format, source, plan, &report, ApplyResult::Failed, &[]);
        return Err(CliError::StepFailed {
            step: step.to_string(),
            cause: cause.to_string(),
            help: help.to_string(),
        });
    }
    // Read and plan again: anything left means the apply did not converge,
    // except the backups due that a saved plan's left-out steps would start
    // (not run, by design; bind accepts no other left-out step).
    let live = inspect::inspect(session).await?;
    let mut again = how.plan(loaded, &live)?;
    let left_out = match source {
        Source::Config => &[][..],
        Source::Saved { left_out, .. } => left_out,
    };
    again.changes.retain(|c| {
        !(c.setting().is_freshness() && left_out.iter().any(|s| s.addresses.contains(&c.address)))
    });
    if !again.changes.is_empty() {
        say(format, &render::drift_human(&again));
        let remaining: Vec<String> = again
            .changes
            .iter()
            .map(|c| c.address.to_string())
            .collect();
        report_json(
            format,
            source,
            plan,
            &report,
            ApplyResult::NotConverged,
            &remaining,
        );
        return Err(CliError::NotConverged(again.changes.len()));
    }
    if left_out.is_empty() {
        say(
            format,
            "Apply complete: the cluster matches the configuration.",
        );
    } else {
        say(
            format,
            &format!(
                "Apply complete: every step of the saved plan ran. {} step(s) planned since were not in it ({}): plan again to run them.",
                left_out.len(),
                step_list(left_out)
            ),
        );
    }
    report_json(format, source, plan, &report, ApplyResult::Complete, &[]);
    Ok(0)
}

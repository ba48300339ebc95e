//! `obbackup apply`: plans (or reads a saved plan), shows it, asks, runs it
//! through the executor, and plans again to prove convergence.

use super::*;
use obbackup_planner::render::ApplyResult;
use obbackup_planner::walk::ApplyReport;

/// Runs `obbackup apply`, its report in `format`.
pub async fn run(
    config: std::path::PathBuf,
    target: TargetArgs,
    gate: Gate,
    format: ApplyFormat,
    waits: WaitArgs,
    day: DayArgs,
) -> Result<u8, CliError> {
    if is_plan_file(&config) {
        apply_saved(&config, &target, &waits, gate, format).await
    } else {
        let day = today(&day)?;
        let evaluated = evaluate(&config, &target, &waits, day).await?;
        execute(evaluated, &waits, &target, gate, format, day).await
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
    plan: &Plan,
    report: &ApplyReport,
    result: ApplyResult,
    remaining: &[String],
) {
    if format == ApplyFormat::Json {
        output::json(&render::apply_json(plan, report, result, remaining));
    }
}

async fn apply_saved(
    path: &Path,
    target: &TargetArgs,
    waits: &WaitArgs,
    gate: Gate,
    format: ApplyFormat,
) -> Result<u8, CliError> {
    let (_, text) = read_plan_file(path)?;
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
    if waits.wait || waits.wait_timeout.is_some() || waits.backup_timeout.is_some() {
        output::info(&format!(
            "note: --wait, --wait-timeout and --backup-timeout take effect at `plan --out`; this saved plan runs as it was reviewed ({}following backup jobs up to {}s, waits up to {}s for DOING and {}s for STOP)",
            if saved.follow_backups { "" } else { "not " },
            saved.timeouts.backup_run,
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
        format,
        today,
    )
    .await
}

async fn execute(
    evaluated: Evaluated,
    waits: &WaitArgs,
    target: &TargetArgs,
    gate: Gate,
    format: ApplyFormat,
    today: time::Date,
) -> Result<u8, CliError> {
    let Evaluated {
        plan,
        mut session,
        loaded,
        ..
    } = evaluated;
    say(format, &render::human(&plan));
    let nothing_ran = ApplyReport::default();
    if plan.is_empty() {
        session.close().await;
        report_json(format, &plan, &nothing_ran, ApplyResult::NoChanges, &[]);
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
            report_json(format, &plan, &nothing_ran, ApplyResult::Cancelled, &[]);
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
        report_json(format, &plan, &nothing_ran, ApplyResult::Cancelled, &[]);
        return Ok(1);
    }
    let options = executor::Options {
        poll: Duration::from_millis(waits.poll_interval_ms.max(10)),
        statement_timeout: Duration::from_secs(target.timeout),
    };
    let interrupt = crate::signals::Interrupt::install();
    let report = executor::run_until(&mut session, &plan, options, &interrupt).await;
    say(format, &render::apply_report(&report));
    if let Some(code) = interrupt.requested() {
        session.close().await;
        report_json(format, &plan, &report, ApplyResult::Interrupted, &[]);
        output::info(
            "Apply interrupted: the report says what ran, what was in flight (it may or may not have taken effect) and what did not run; plan again to see what is left.",
        );
        return Ok(code);
    }
    if let Some((step, cause, help)) = report.failure() {
        report_json(format, &plan, &report, ApplyResult::Failed, &[]);
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
        say(format, &render::drift_human(&again));
        let remaining: Vec<String> = again
            .changes
            .iter()
            .map(|c| c.address.to_string())
            .collect();
        report_json(
            format,
            &plan,
            &report,
            ApplyResult::NotConverged,
            &remaining,
        );
        return Err(CliError::NotConverged(again.changes.len()));
    }
    say(
        format,
        "Apply complete: the cluster matches the configuration.",
    );
    report_json(format, &plan, &report, ApplyResult::Complete, &[]);
    Ok(0)
}

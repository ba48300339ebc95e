//! Stage `apply`, the I/O half: performs the steps that the planner's walk
//! ([`obbackup_planner::walk`]) hands out, on one session — statements with
//! the session settings and limits their step carries, waits polled until
//! their condition or their own limit — and records each outcome. What runs
//! next, what is skipped and the report are the walk's.

use crate::db::{DbError, Session};
use crate::output;
use crate::signals::Interrupt;
use obbackup_planner::dialect::Dialect;
use obbackup_planner::live::{self, WaitObservation};
use obbackup_planner::plan::Plan;
use obbackup_planner::render;
use obbackup_planner::sql;
use obbackup_planner::step::{SessionSetting, Step, StepKind, Wait, WaitUntil};
use obbackup_planner::walk::{ApplyReport, StepOutcome, Walk};
use std::time::{Duration, Instant};

/// How apply runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Time between two polls of a wait.
    pub poll: Duration,
    /// Upper bound of a statement whose step sets no limit of its own.
    pub statement_timeout: Duration,
}

/// What to do about a database error a step met, in the plan's dialect.
pub fn advice(dialect: Dialect, e: &DbError) -> String {
    dialect.advice(e.number(), &e.to_string())
}

/// Whether the session is gone or in an unknown state after `e` (the
/// connection broke or a statement timed out): nothing more can run on it.
fn lost(e: &DbError) -> bool {
    e.number().is_none()
}

/// Performs the plan's steps in the order the walk gives them, on one session:
/// a failed step skips its dependents, a lost connection stops the run.
pub async fn run(session: &mut Session, plan: &Plan, options: Options) -> ApplyReport {
    run_until(session, plan, options, &Interrupt::never()).await
}

/// [`run`], stopping when `interrupt` fires: no step starts afterwards, a
/// running statement finishes, a running wait is abandoned (reported as
/// interrupted), and the rest is reported as not run.
pub async fn run_until(
    session: &mut Session,
    plan: &Plan,
    options: Options,
    interrupt: &Interrupt,
) -> ApplyReport {
    let dialect = Dialect::of_version(&plan.server_version);
    let mut walk = Walk::new(plan);
    // Session variables already in force on this connection.
    let mut in_force: Vec<SessionSetting> = Vec::new();
    loop {
        if interrupt.requested().is_some() && !walk.is_interrupted() {
            walk.interrupt();
        }
        let Some(step) = walk.next_step() else { break };
        let started = Instant::now();
        let outcome = match &step.kind {
            StepKind::Sql(statement) => {
                for setting in &step.session {
                    if !in_force.contains(setting) {
                        // Best effort: a server that refuses it still runs the statement with its default.
                        let _ = session
                            .execute(&sql::set_session(setting).text, options.statement_timeout)
                            .await;
                        in_force.retain(|s| s.name != setting.name);
                        in_force.push(setting.clone());
                    }
                }
                let timeout = step.timeout_seconds.map_or(options.statement_timeout, |s| {
                    options.statement_timeout.max(Duration::from_secs(s))
                });
                output::info(&format!("→ {};", statement.shown));
                match session.execute(&statement.text, timeout).await {
                    Ok(_) => (StepOutcome::Done, false),
                    Err(e) => (
                        StepOutcome::Failed {
                            help: advice(dialect, &e),
                            // Servers quote the statement in errors: never its secrets.
                            cause: statement.redact(&e.to_string()),
                        },
                        lost(&e),
                    ),
                }
            }
            StepKind::Wait(wait) => poll(session, step, wait, dialect, options, interrupt).await,
        };
        let (outcome, fatal) = outcome;
        if fatal {
            walk.record_fatal(outcome, started.elapsed());
        } else {
            walk.record(outcome, started.elapsed());
        }
    }
    walk.finish()
}

/// Polls a wait step's query until its condition holds, it fails, or its own
/// limit passes, showing progress.
async fn poll(
    session: &mut Session,
    step: &Step,
    wait: &Wait,
    dialect: Dialect,
    options: Options,
    interrupt: &Interrupt,
) -> (StepOutcome, bool) {
    let started = Instant::now();
    let limit = Duration::from_secs(wait.timeout_seconds);
    let label = render::wait_text(&wait.until, step.tenant.as_deref());
    let mut display = output::Waiting::start(&label);
    let result = loop {
        let observation = match session.query(&wait.query).await {
            Ok(rows) => match &wait.until {
                WaitUntil::ArchiveStatus { statuses } => {
                    live::archive_status_reached(&rows, statuses)
                }
                WaitUntil::NoBackupJobs | WaitUntil::NoPieceJobs => live::backup_jobs_gone(&rows),
                WaitUntil::BackupJob {
                    follow,
                    expect_password,
                    ..
                } => live::backup_job_reached(&rows, *follow, *expect_password),
            },
            Err(e) => {
                break (
                    StepOutcome::Failed {
                        help: advice(dialect, &e),
                        cause: e.to_string(),
                    },
                    lost(&e),
                );
            }
        };
        let WaitObservation {
            done,
            observed,
            failed,
        } = observation;
        display.observe(&observed, started.elapsed());
        if let Some(why) = failed {
            break (
                StepOutcome::Failed {
                    cause: why,
                    help: "see CDB_OB_BACKUP_JOB_HISTORY and CDB_OB_BACKUP_TASKS for the job's RESULT and COMMENT; fix the cause and apply again".into(),
                },
                false,
            );
        }
        if done {
            break (StepOutcome::Done, false);
        }
        if started.elapsed() >= limit {
            break (
                StepOutcome::Failed {
                    cause: format!("timed out after {}s; last observed: {observed}", limit.as_secs()),
                    help: "OceanBase is still working or stuck: check the views (CDB_OB_ARCHIVELOG, CDB_OB_BACKUP_JOBS), raise --wait-timeout, and run apply again".into(),
                },
                false,
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(options.poll) => {}
            _ = interrupt.wait() => break (StepOutcome::Interrupted, false),
        }
    };
    display.finish();
    result
}

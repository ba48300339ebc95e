//! Stage `apply` (I/O): runs a plan's steps in order on one session, polls
//! wait steps with a deadline and a progress display, stops at the first
//! failure and reports every later step as skipped with the step that blocked it.

use crate::db::{DbError, Session};
use crate::output;
use obbackup_planner::live::{self, WaitObservation};
use obbackup_planner::plan::{Plan, Step, StepKind, WaitUntil};
use obbackup_planner::render;
use obbackup_planner::sql;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// How apply runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Time between two polls of a wait.
    pub poll: Duration,
    /// Upper bound of a statement whose step sets no limit of its own.
    pub statement_timeout: Duration,
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Ran to completion.
    Done,
    /// Failed with this cause.
    Failed {
        /// The server's error, or what was observed.
        cause: String,
        /// What to do instead.
        help: String,
    },
    /// Not run because the run stopped at, or depends on, this step.
    Skipped {
        /// The step that blocked it.
        blocked_by: String,
        /// Whether it depends on that step (else the run stopped there).
        dependent: bool,
    },
}

/// What happened to every step.
#[derive(Debug, Clone)]
pub struct Report {
    /// (step, outcome, time taken) in plan order.
    pub steps: Vec<(String, String, Outcome, Duration)>,
}

impl Report {
    /// The first failed step, with its cause and help.
    pub fn failure(&self) -> Option<(&str, &str, &str)> {
        self.steps.iter().find_map(|(id, _, o, _)| match o {
            Outcome::Failed { cause, help } => Some((id.as_str(), cause.as_str(), help.as_str())),
            _ => None,
        })
    }

    /// The report as text: one line per step.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let ran = self.steps.iter().filter(|s| s.2 == Outcome::Done).count();
        let _ = writeln!(out, "Apply: {ran} of {} step(s) ran.", self.steps.len());
        for (n, (id, text, outcome, took)) in self.steps.iter().enumerate() {
            match outcome {
                Outcome::Done => {
                    let _ = writeln!(
                        out,
                        "  ok      {:>2}. {text} ({:.1}s)",
                        n + 1,
                        took.as_secs_f64()
                    );
                }
                Outcome::Failed { cause, .. } => {
                    let _ = writeln!(out, "  FAILED  {:>2}. {text}\n              {cause}", n + 1);
                }
                Outcome::Skipped {
                    blocked_by,
                    dependent,
                } => {
                    let why = if *dependent {
                        "depends on"
                    } else {
                        "run stopped at"
                    };
                    let _ = writeln!(
                        out,
                        "  skipped {:>2}. {text}\n              {why} {blocked_by}",
                        n + 1
                    );
                }
            }
            let _ = id;
        }
        out
    }
}

/// Advice for the OceanBase errors a step can meet (reference §2.6): the tool's
/// own words for 9036, 1235, 5099, 4147, 1227, 9080/9081, 9026, 9091/9092, 1064
/// and a broken connection.
pub fn advice(e: &DbError) -> String {
    let message = e.to_string();
    match e.number() {
        Some(9036) => "a backup job is running for this tenant: let it finish or cancel it (ALTER SYSTEM CANCEL BACKUP), then plan again".into(),
        Some(1235) if message.contains("archive is running") => "the archive round is not STOP: plan again, obbackup stops it first".into(),
        Some(5099) => "the server does not know this parameter: is the file written for another server line?".into(),
        Some(4147) => "the server rejected the value as out of range for this version".into(),
        Some(1227) => "the login lacks the ALTER SYSTEM privilege: log in as root@sys".into(),
        Some(9080 | 9081) => "the destination holds another tenant's or a foreign format file: use an empty directory per tenant".into(),
        Some(9026) => "the destination is not valid or not reachable from the observers".into(),
        Some(9091 | 9092) => "the archive mode changed since the plan was made: plan again".into(),
        Some(1064) => "the server did not understand the statement: check the server line".into(),
        None => "the connection broke: the step may or may not have taken effect; plan again to see".into(),
        _ => "plan again to see what is left".into(),
    }
}

fn step_text(step: &Step) -> String {
    match &step.kind {
        StepKind::Sql(sql) => sql.shown.clone(),
        StepKind::Wait(w) => render::wait_text(&w.until, step.tenant.as_deref()),
    }
}

/// Runs the plan's steps.
pub async fn run(session: &mut Session, plan: &Plan, options: Options) -> Report {
    let mut steps = Vec::with_capacity(plan.steps.len());
    let mut failed: Option<String> = None;
    // Session variables already in force on this connection.
    let mut in_force: Vec<obbackup_planner::step::SessionSetting> = Vec::new();
    for step in &plan.steps {
        let text = step_text(step);
        if let Some(blocker) = &failed {
            let blocked_by = first_blocked_ancestor(plan, step, blocker, &steps);
            let dependent = blocked_by.is_some();
            steps.push((
                step.id.to_string(),
                text,
                Outcome::Skipped {
                    blocked_by: blocked_by.unwrap_or_else(|| blocker.clone()),
                    dependent,
                },
                Duration::ZERO,
            ));
            continue;
        }
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
                    Ok(_) => Outcome::Done,
                    Err(e) => Outcome::Failed {
                        help: advice(&e),
                        cause: e.to_string(),
                    },
                }
            }
            StepKind::Wait(wait) => {
                let limit = Duration::from_secs(wait.timeout_seconds);
                let label = render::wait_text(&wait.until, step.tenant.as_deref());
                let mut display = output::Waiting::start(&label);
                let result = loop {
                    let observation = match session.query(&wait.query).await {
                        Ok(rows) => match &wait.until {
                            WaitUntil::ArchiveStatus { statuses } => {
                                live::archive_status_reached(&rows, statuses)
                            }
                            WaitUntil::NoBackupJobs | WaitUntil::NoPieceJobs => {
                                live::backup_jobs_gone(&rows)
                            }
                            WaitUntil::BackupJob {
                                follow,
                                expect_password,
                                ..
                            } => live::backup_job_reached(&rows, *follow, *expect_password),
                        },
                        Err(e) => {
                            break Outcome::Failed {
                                help: advice(&e),
                                cause: e.to_string(),
                            };
                        }
                    };
                    let WaitObservation {
                        done,
                        observed,
                        failed,
                    } = observation;
                    display.observe(&observed, started.elapsed());
                    if let Some(why) = failed {
                        break Outcome::Failed {
                            cause: why,
                            help: "see CDB_OB_BACKUP_JOB_HISTORY and CDB_OB_BACKUP_TASKS for the job's RESULT and COMMENT; fix the cause and apply again".into(),
                        };
                    }
                    if done {
                        break Outcome::Done;
                    }
                    if started.elapsed() >= limit {
                        break Outcome::Failed {
                            cause: format!("timed out after {}s; last observed: {observed}", limit.as_secs()),
                            help: "OceanBase is still working or stuck: check the views (CDB_OB_ARCHIVELOG, CDB_OB_BACKUP_JOBS), raise --wait-timeout, and run apply again".into(),
                        };
                    }
                    tokio::time::sleep(options.poll).await;
                };
                display.finish();
                result
            }
        };
        if matches!(outcome, Outcome::Failed { .. }) {
            failed = Some(step.id.to_string());
        }
        steps.push((step.id.to_string(), text, outcome, started.elapsed()));
    }
    Report { steps }
}

/// The failed or skipped step this one depends on, directly or through others.
fn first_blocked_ancestor(
    plan: &Plan,
    step: &Step,
    failed: &str,
    done: &[(String, String, Outcome, Duration)],
) -> Option<String> {
    for dep in &step.depends_on {
        if dep == failed {
            return Some(dep.to_string());
        }
        let skipped_dep = done.iter().any(|(id, _, o, _)| {
            dep == id.as_str()
                && matches!(
                    o,
                    Outcome::Skipped {
                        dependent: true,
                        ..
                    }
                )
        });
        if skipped_dep {
            return plan
                .steps
                .iter()
                .find(|s| &s.id == dep)
                .and_then(|d| first_blocked_ancestor(plan, d, failed, done));
        }
    }
    None
}

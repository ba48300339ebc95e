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
        let steps = walk.next_steps();
        let Some(&step) = steps.first() else { break };
        let StepKind::Sql(statement) = &step.kind else {
            poll(session, &mut walk, &steps, dialect, options, interrupt).await;
            continue;
        };
        let started = Instant::now();
        for setting in &step.session {
            if !in_force.contains(setting) {
                // Best effort: a server that refuses it still runs the statement with its default.
                let _ = session
                    .execute(&sql::set_session(setting), options.statement_timeout)
                    .await;
                in_force.retain(|s| s.name != setting.name);
                in_force.push(setting.clone());
            }
        }
        let timeout = step.timeout_seconds.map_or(options.statement_timeout, |s| {
            options.statement_timeout.max(Duration::from_secs(s))
        });
        output::info(&format!("→ {};", statement.shown));
        match session.execute(statement, timeout).await {
            Ok(_) => {
                tracing::info!(step = %step.id, ms = millis(started), "step done");
                walk.record(StepOutcome::Done, started.elapsed());
            }
            Err(e) => {
                let outcome = StepOutcome::Failed {
                    help: advice(dialect, &e),
                    // Servers quote the statement in errors: never its secrets.
                    cause: statement.redact(&e.to_string()),
                };
                tracing::warn!(step = %step.id, ms = millis(started), lost = lost(&e), "step failed");
                if lost(&e) {
                    walk.record_fatal(outcome, started.elapsed());
                } else {
                    walk.record(outcome, started.elapsed());
                }
            }
        }
    }
    walk.finish()
}

/// Milliseconds since `started`, for the log.
fn millis(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

/// The first pause between two polls of a wait. Each later pause is a
/// quarter longer, up to the run's poll interval, and the pauses start again
/// from this one whenever a poll observes something new: OceanBase's
/// transitions come in sequences (PREPARE, BEGINNING, DOING) and one is
/// often soon followed by the next. The time a wait overshoots its
/// transition stays near a fifth of the time since the last change.
const FIRST_PAUSE: Duration = Duration::from_millis(50);

/// Polls wait steps taken together (one, or several tenants' waits for the
/// same condition: one query per poll for all of them, from
/// [`sql::wait_query_many`]) until each one's condition holds, it fails, or
/// its own limit passes, showing progress; records each step's outcome as it
/// ends. The pause between polls starts at [`FIRST_PAUSE`] and grows by a
/// quarter up to `options.poll`, starting again when the observation changes.
async fn poll(
    session: &mut Session,
    walk: &mut Walk<'_>,
    steps: &[&Step],
    dialect: Dialect,
    options: Options,
    interrupt: &Interrupt,
) {
    let started = Instant::now();
    let mut pending: Vec<(&Step, &Wait)> = steps
        .iter()
        .filter_map(|&s| match &s.kind {
            StepKind::Wait(w) => Some((s, w)),
            StepKind::Sql(_) => None,
        })
        .collect();
    let Some(&(first, lead)) = pending.first() else {
        return;
    };
    let label = if pending.len() == 1 {
        render::wait_text(&lead.until, first.tenant.as_deref())
    } else {
        let scope = format!("each of {} tenants", pending.len());
        render::wait_text(&lead.until, Some(&scope))
    };
    let mut display = output::Waiting::start(&label);
    let mut pause = FIRST_PAUSE.min(options.poll);
    let total = pending.len();
    let mut done = 0;
    // The states seen at the last poll, without progress figures: the
    // pauses start again when this set changes.
    let mut last_states = std::collections::BTreeSet::new();
    while !pending.is_empty() {
        let waits: Vec<&Wait> = pending.iter().map(|&(_, w)| w).collect();
        // One form whether one tenant or many still wait: a straggler
        // started later is polled like the rest.
        let query = sql::wait_query_many(&waits).unwrap_or_else(|| lead_query(&pending));
        let rows = match session.query(&query).await {
            Ok(rows) => rows,
            Err(e) => {
                let fatal = lost(&e);
                for (step, _) in pending.drain(..) {
                    let outcome = StepOutcome::Failed {
                        help: advice(dialect, &e),
                        cause: e.to_string(),
                    };
                    if fatal {
                        walk.record_fatal_of(&step.id, outcome, started.elapsed());
                    } else {
                        walk.record_of(&step.id, outcome, started.elapsed());
                    }
                }
                break;
            }
        };
        let mut states: Vec<String> = Vec::new();
        pending.retain(|&(step, wait)| {
            let WaitObservation {
                done: reached,
                observed,
                failed,
            } = observe(&live::rows_for(&rows, wait), &wait.until);
            let took = started.elapsed();
            let limit = Duration::from_secs(wait.timeout_seconds);
            let outcome = if let Some(why) = failed {
                Some(StepOutcome::Failed {
                    cause: why,
                    help: dialect.wait_advice(&wait.until, false),
                })
            } else if reached {
                done += 1;
                Some(StepOutcome::Done)
            } else if took >= limit {
                Some(StepOutcome::Failed {
                    cause: format!("timed out after {}s; last observed: {observed}", limit.as_secs()),
                    help: dialect.wait_advice(&wait.until, true),
                })
            } else {
                None
            };
            tracing::debug!(step = %step.id, observed = %observed, "wait observed");
            states.push(observed);
            match outcome {
                Some(outcome) => {
                    match &outcome {
                        StepOutcome::Done => tracing::info!(step = %step.id, ms = (took.as_secs_f64() * 1e4).round() / 10.0, "wait done"),
                        _ => tracing::warn!(step = %step.id, ms = (took.as_secs_f64() * 1e4).round() / 10.0, "wait failed"),
                    }
                    walk.record_of(&step.id, outcome, took);
                    false
                }
                None => true,
            }
        });
        let now: std::collections::BTreeSet<String> = states
            .iter()
            .map(|s| without_progress(s).to_string())
            .collect();
        if now != last_states {
            pause = FIRST_PAUSE.min(options.poll);
        }
        last_states = now;
        let seen = summary(states, done, total);
        tracing::debug!(waiting = pending.len(), observed = %seen, next_poll_ms = pause.as_millis() as u64, "poll");
        display.observe(&seen, started.elapsed());
        if pending.is_empty() {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = interrupt.wait() => {
                for (step, _) in pending.drain(..) {
                    walk.record_of(&step.id, StepOutcome::Interrupted, started.elapsed());
                }
            }
        }
        pause = (pause * 5 / 4).min(options.poll);
    }
    display.finish();
}

/// The query of a wait polled alone: its own.
fn lead_query(pending: &[(&Step, &Wait)]) -> String {
    pending
        .first()
        .map(|(_, w)| w.query.clone())
        .unwrap_or_default()
}

/// What one poll observed for one wait.
fn observe(rows: &[live::Row], until: &WaitUntil) -> WaitObservation {
    match until {
        WaitUntil::ArchiveStatus { statuses } => live::archive_status_reached(rows, statuses),
        WaitUntil::NoBackupJobs | WaitUntil::NoPieceJobs => live::backup_jobs_gone(rows),
        WaitUntil::BackupJob {
            follow,
            expect_password,
            ..
        } => live::backup_job_reached(rows, *follow, *expect_password),
    }
}

/// `observed` without a trailing progress figure (`job 7 (FULL) DOING 37.2%`
/// → `job 7 (FULL) DOING`): progress alone is not a change of state.
fn without_progress(observed: &str) -> &str {
    match observed.rsplit_once(' ') {
        Some((head, last)) if last.ends_with('%') => head,
        _ => observed,
    }
}

/// The observations of one poll in a line: a single wait's as it is; for
/// `total` waits taken together, `done` of them done so far and the states
/// of this poll as counts (`2 of 300 done; 298 BEGINNING, 2 DOING`), the
/// three most frequent first.
fn summary(states: Vec<String>, done: usize, total: usize) -> String {
    if total == 1 {
        return states.into_iter().next().unwrap_or_default();
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for state in states {
        match counts.iter_mut().find(|(s, _)| *s == state) {
            Some((_, n)) => *n += 1,
            None => counts.push((state, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut parts: Vec<String> = counts
        .iter()
        .take(3)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    if counts.len() > 3 {
        parts.push("…".into());
    }
    format!("{done} of {total} done; {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_not_a_change_of_state() {
        assert_eq!(
            without_progress("job 7 (FULL) DOING 37.2%"),
            "job 7 (FULL) DOING"
        );
        assert_eq!(without_progress("BEGINNING"), "BEGINNING");
        assert_eq!(
            without_progress("2 job(s): DOING, INIT"),
            "2 job(s): DOING, INIT"
        );
    }

    #[test]
    fn a_batch_summary_counts_done_waits_across_polls() {
        let states = ["DOING", "BEGINNING", "BEGINNING"]
            .map(String::from)
            .to_vec();
        assert_eq!(summary(states, 5, 8), "5 of 8 done; 2 BEGINNING, 1 DOING");
        assert_eq!(summary(vec!["DOING".into()], 1, 1), "DOING");
    }
}

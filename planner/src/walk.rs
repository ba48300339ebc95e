//! Stage `apply`, the pure half: a walk of a plan's step graph. The executor
//! (in the CLI) asks for the next step, performs it, and records the outcome;
//! the walk decides what runs next and what is skipped, and builds the report.
//! It reads no clock: the executor passes each step's duration in.
//!
//! Policy today: steps run in plan order; after a failure nothing more is
//! launched. Each later step is reported skipped, naming the failed step, and
//! marked `dependent` when it depends on it (directly or through other skipped
//! steps) — as opposed to merely not launched because the run stopped.

use crate::plan::Plan;
use crate::render::wait_text;
use crate::step::{Step, StepId, StepKind};
use std::collections::HashMap;
use std::time::Duration;

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// Ran to completion.
    Done,
    /// Failed.
    Failed {
        /// The server's error, or what the wait observed last.
        cause: String,
        /// What to do about it.
        help: String,
    },
    /// Not run.
    Skipped {
        /// The failed step that stopped it.
        blocked_by: StepId,
        /// Whether it depends on that step (else the run had stopped).
        dependent: bool,
    },
}

/// One line of the apply report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    /// The step.
    pub id: StepId,
    /// The statement as shown (redacted), or the wait in words.
    pub text: String,
    /// What happened.
    pub outcome: StepOutcome,
    /// How long it took (zero when skipped).
    pub took: Duration,
}

/// The outcome of every step of a plan, in plan order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplyReport {
    /// One record per step.
    pub steps: Vec<StepRecord>,
}

impl ApplyReport {
    /// The first failed step with its cause and help.
    pub fn failure(&self) -> Option<(&StepId, &str, &str)> {
        self.steps.iter().find_map(|r| match &r.outcome {
            StepOutcome::Failed { cause, help } => Some((&r.id, cause.as_str(), help.as_str())),
            _ => None,
        })
    }

    /// How many steps ran to completion.
    pub fn done(&self) -> usize {
        self.steps
            .iter()
            .filter(|r| r.outcome == StepOutcome::Done)
            .count()
    }
}

/// The statement as shown, or the wait in words.
pub fn step_text(step: &Step) -> String {
    match &step.kind {
        StepKind::Sql(sql) => sql.shown.clone(),
        StepKind::Wait(w) => wait_text(&w.until, step.tenant.as_deref()),
    }
}

/// A walk over one plan.
#[derive(Debug)]
pub struct Walk<'p> {
    plan: &'p Plan,
    position: HashMap<&'p StepId, usize>,
    records: Vec<Option<StepRecord>>,
    /// Steps that depend, directly or transitively, on the failure.
    tainted: Vec<bool>,
    cursor: usize,
    failed: Option<usize>,
    running: Option<usize>,
}

impl<'p> Walk<'p> {
    /// Starts a walk of `plan`; nothing has run.
    pub fn new(plan: &'p Plan) -> Self {
        let position = plan
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (&s.id, i))
            .collect();
        Self {
            plan,
            position,
            records: vec![None; plan.steps.len()],
            tainted: vec![false; plan.steps.len()],
            cursor: 0,
            failed: None,
            running: None,
        }
    }

    /// The next step to perform, or `None` when the walk is over. Steps that
    /// may not run are recorded as skipped on the way.
    ///
    /// Panics if the previous step's outcome was not recorded (an executor bug).
    pub fn next_step(&mut self) -> Option<&'p Step> {
        assert!(
            self.running.is_none(),
            "the outcome of the running step must be recorded first"
        );
        let plan: &'p Plan = self.plan;
        while self.cursor < plan.steps.len() {
            let i = self.cursor;
            self.cursor += 1;
            let step = &plan.steps[i];
            if let Some(f) = self.failed {
                let dependent = step.depends_on.iter().any(|d| {
                    self.position
                        .get(d)
                        .is_some_and(|&j| j == f || self.tainted[j])
                });
                self.tainted[i] = dependent;
                self.records[i] = Some(StepRecord {
                    id: step.id.clone(),
                    text: step_text(step),
                    outcome: StepOutcome::Skipped {
                        blocked_by: plan.steps[f].id.clone(),
                        dependent,
                    },
                    took: Duration::ZERO,
                });
                continue;
            }
            self.running = Some(i);
            return Some(step);
        }
        None
    }

    /// Records the outcome of the step `next_step` returned.
    ///
    /// Panics if no step is running or `outcome` is `Skipped` (executor bugs).
    pub fn record(&mut self, outcome: StepOutcome, took: Duration) {
        let i = self.running.take().expect("record follows next_step");
        assert!(
            !matches!(outcome, StepOutcome::Skipped { .. }),
            "the walk decides what is skipped"
        );
        if matches!(outcome, StepOutcome::Failed { .. }) && self.failed.is_none() {
            self.failed = Some(i);
        }
        let step = &self.plan.steps[i];
        self.records[i] = Some(StepRecord {
            id: step.id.clone(),
            text: step_text(step),
            outcome,
            took,
        });
    }

    /// The report: every step in plan order. Steps never reached (the walk
    /// was abandoned) are left out.
    pub fn finish(self) -> ApplyReport {
        ApplyReport {
            steps: self.records.into_iter().flatten().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{self, TieBreak};
    use crate::rules::Rule;
    use crate::step::{Edge, StepAction, Wait, WaitUntil};

    fn step(tenant: &str, verb: &str) -> Step {
        Step::new(
            StepId::tenant(tenant, verb),
            StepAction::Backup,
            StepKind::Wait(Wait {
                until: WaitUntil::NoBackupJobs,
                query: String::new(),
                timeout_seconds: 1,
            }),
            Some(tenant),
            tenant,
        )
    }

    /// a1 → a2 → a3 on tenant a, b1 on tenant b, ordered a1, a2, a3, b1.
    fn plan() -> Plan {
        let steps = vec![
            step("a", "1"),
            step("a", "2"),
            step("a", "3"),
            step("b", "1"),
        ];
        let edge = |from: &str, to: &str| Edge {
            from: StepId::tenant("a", from),
            to: StepId::tenant("a", to),
            rule: Rule::ArchiveDoingBeforeBackup,
        };
        let (steps, edges) = graph::order(
            steps,
            vec![edge("1", "2"), edge("2", "3")],
            TieBreak::Forward,
        )
        .expect("orders");
        Plan {
            server_version: "4.2.2.1".into(),
            login_tenant: "sys".into(),
            live_fingerprint: String::new(),
            changes: Vec::new(),
            steps,
            edges,
            notes: Vec::new(),
            accepted: Vec::new(),
        }
    }

    fn run(plan: &Plan, fail: &str) -> ApplyReport {
        let mut walk = Walk::new(plan);
        while let Some(step) = walk.next_step() {
            let outcome = if step.id == fail {
                StepOutcome::Failed {
                    cause: "boom".into(),
                    help: "retry".into(),
                }
            } else {
                StepOutcome::Done
            };
            walk.record(outcome, Duration::from_millis(5));
        }
        walk.finish()
    }

    #[test]
    fn every_step_runs_when_nothing_fails() {
        let plan = plan();
        let report = run(&plan, "none");
        assert_eq!(report.done(), 4);
        assert!(report.failure().is_none());
    }

    #[test]
    fn a_failure_skips_its_dependents_and_stops_the_run() {
        let plan = plan();
        let order: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            order,
            ["tenant.a:1", "tenant.a:2", "tenant.a:3", "tenant.b:1"]
        );
        let report = run(&plan, "tenant.a:2");
        let outcome = |id: &str| {
            report
                .steps
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.outcome.clone())
                .expect("recorded")
        };
        assert_eq!(outcome("tenant.a:1"), StepOutcome::Done);
        assert!(matches!(outcome("tenant.a:2"), StepOutcome::Failed { .. }));
        // b1 does not depend on a2: not launched because the run stopped.
        assert_eq!(
            outcome("tenant.b:1"),
            StepOutcome::Skipped {
                blocked_by: StepId::tenant("a", "2"),
                dependent: false
            }
        );
        // a3 depends on a2.
        assert_eq!(
            outcome("tenant.a:3"),
            StepOutcome::Skipped {
                blocked_by: StepId::tenant("a", "2"),
                dependent: true
            }
        );
        let (id, cause, help) = report.failure().expect("a failure");
        assert_eq!((id.as_str(), cause, help), ("tenant.a:2", "boom", "retry"));
        assert_eq!(report.steps.len(), 4);
        assert!(
            report
                .steps
                .iter()
                .filter(|r| r.outcome != StepOutcome::Done)
                .all(|r| r.took.is_zero() || r.id == "tenant.a:2")
        );
    }

    #[test]
    fn dependence_is_transitive_through_skipped_steps() {
        let plan = plan();
        let report = run(&plan, "tenant.a:1");
        let a3 = report
            .steps
            .iter()
            .find(|r| r.id == "tenant.a:3")
            .expect("a3");
        assert_eq!(
            a3.outcome,
            StepOutcome::Skipped {
                blocked_by: StepId::tenant("a", "1"),
                dependent: true
            }
        );
    }

    #[test]
    #[should_panic(expected = "must be recorded first")]
    fn asking_twice_without_recording_is_a_bug() {
        let plan = plan();
        let mut walk = Walk::new(&plan);
        let _ = walk.next_step();
        let _ = walk.next_step();
    }
}

//! Stage `apply`, the pure half: a walk of a plan's step graph. The executor
//! (in the CLI) asks for the next step, performs it, and records the outcome;
//! the walk decides what runs next and what is skipped, and builds the report.
//! It reads no clock: the executor passes each step's duration in.
//!
//! Policy: steps run in plan order. A failed step blocks the steps that
//! depend on it, directly or through other blocked steps; they are reported
//! skipped, naming the failed step, and every independent step still runs (as
//! Terraform does). A fatal failure (a lost connection) stops the run: every
//! later step is reported skipped as not launched.

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
    /// A wait abandoned because the run was interrupted: what it waited
    /// for may still happen.
    Interrupted,
    /// Not launched because the run was interrupted.
    NotRun,
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
    /// For each step that may not run: the failed step that blocks it.
    blocked_by: Vec<Option<usize>>,
    cursor: usize,
    /// The failed step after which nothing more is launched (a lost connection).
    stopped_at: Option<usize>,
    /// The run was interrupted (SIGINT, SIGTERM): nothing more is launched.
    interrupted: bool,
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
            blocked_by: vec![None; plan.steps.len()],
            cursor: 0,
            stopped_at: None,
            interrupted: false,
            running: None,
        }
    }

    /// The next step to perform, or `None` when the walk is over. A step that
    /// depends (directly or through skipped steps) on a failed one is
    /// recorded as skipped on the way; independent steps, such as other
    /// tenants' branches, still run. After [`Walk::record_fatal`] nothing more
    /// runs.
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
            if self.interrupted {
                self.records[i] = Some(StepRecord {
                    id: step.id.clone(),
                    text: step_text(step),
                    outcome: StepOutcome::NotRun,
                    took: Duration::ZERO,
                });
                continue;
            }
            let root = step.depends_on.iter().find_map(|d| {
                let j = *self.position.get(d)?;
                self.blocked_by[j]
            });
            let skipped = match (root, self.stopped_at) {
                (Some(root), _) => Some((root, true)),
                (None, Some(stop)) => Some((stop, false)),
                (None, None) => None,
            };
            if let Some((root, dependent)) = skipped {
                self.blocked_by[i] = dependent.then_some(root);
                self.records[i] = Some(StepRecord {
                    id: step.id.clone(),
                    text: step_text(step),
                    outcome: StepOutcome::Skipped {
                        blocked_by: plan.steps[root].id.clone(),
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

    /// Records the outcome of the step `next_step` returned. A failure blocks
    /// the steps that depend on it.
    ///
    /// Panics if no step is running or `outcome` is `Skipped` (executor bugs).
    pub fn record(&mut self, outcome: StepOutcome, took: Duration) {
        let i = self.running.take().expect("record follows next_step");
        assert!(
            !matches!(outcome, StepOutcome::Skipped { .. }),
            "the walk decides what is skipped"
        );
        if matches!(outcome, StepOutcome::Failed { .. }) {
            self.blocked_by[i] = Some(i);
        }
        let step = &self.plan.steps[i];
        self.records[i] = Some(StepRecord {
            id: step.id.clone(),
            text: step_text(step),
            outcome,
            took,
        });
    }

    /// Stops launching steps: every step not yet handed out is reported as
    /// not run. A step running now is still recorded by the executor.
    pub fn interrupt(&mut self) {
        self.interrupted = true;
    }

    /// Whether [`Walk::interrupt`] was called.
    pub fn is_interrupted(&self) -> bool {
        self.interrupted
    }

    /// Records a failure after which nothing more can run (the connection
    /// is lost, so the step may or may not have taken effect): every later
    /// step is skipped, naming this one.
    pub fn record_fatal(&mut self, outcome: StepOutcome, took: Duration) {
        let i = self.running.expect("record follows next_step");
        self.record(outcome, took);
        self.stopped_at = Some(i);
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
    fn a_failure_skips_only_its_dependents() {
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
        // a3 depends on a2.
        assert_eq!(
            outcome("tenant.a:3"),
            StepOutcome::Skipped {
                blocked_by: StepId::tenant("a", "2"),
                dependent: true
            }
        );
        // b1 does not: it still runs.
        assert_eq!(outcome("tenant.b:1"), StepOutcome::Done);
        let (id, cause, help) = report.failure().expect("a failure");
        assert_eq!((id.as_str(), cause, help), ("tenant.a:2", "boom", "retry"));
        assert_eq!(report.steps.len(), 4);
        assert_eq!(report.done(), 2);
    }

    #[test]
    fn a_fatal_failure_stops_the_run() {
        let plan = plan();
        let mut walk = Walk::new(&plan);
        let first = walk.next_step().expect("a1");
        assert_eq!(first.id, "tenant.a:1");
        walk.record_fatal(
            StepOutcome::Failed {
                cause: "connection lost".into(),
                help: "plan again".into(),
            },
            Duration::ZERO,
        );
        assert!(
            walk.next_step().is_none(),
            "nothing runs after a fatal failure"
        );
        let report = walk.finish();
        let skipped: Vec<(&str, bool)> = report
            .steps
            .iter()
            .filter_map(|r| match &r.outcome {
                StepOutcome::Skipped { dependent, .. } => Some((r.id.as_str(), *dependent)),
                _ => None,
            })
            .collect();
        // a2 depends on a1; a3 depends on a2; b1 was only not launched.
        assert_eq!(
            skipped,
            [
                ("tenant.a:2", true),
                ("tenant.a:3", true),
                ("tenant.b:1", false)
            ]
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
    fn an_interruption_lets_the_running_step_finish_and_runs_nothing_more() {
        let plan = plan();
        let mut walk = Walk::new(&plan);
        assert!(walk.next_step().is_some());
        walk.interrupt();
        walk.record(StepOutcome::Done, Duration::ZERO);
        assert!(walk.next_step().is_none());
        let report = walk.finish();
        let outcomes: Vec<&StepOutcome> = report.steps.iter().map(|r| &r.outcome).collect();
        assert_eq!(
            outcomes,
            [
                &StepOutcome::Done,
                &StepOutcome::NotRun,
                &StepOutcome::NotRun,
                &StepOutcome::NotRun
            ]
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

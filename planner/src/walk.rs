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
#[cfg(doc)]
use crate::step::Wait;
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
    /// Steps handed out and not yet recorded.
    running: Vec<usize>,
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
            running: Vec::new(),
        }
    }

    /// The next step to perform, or `None` when the walk is over. A step that
    /// depends (directly or through skipped steps) on a failed one is
    /// recorded as skipped on the way; independent steps, such as other
    /// tenants' branches, still run. After [`Walk::record_fatal`] nothing more
    /// runs.
    ///
    /// Panics if a previous step's outcome was not recorded (an executor bug).
    pub fn next_step(&mut self) -> Option<&'p Step> {
        assert!(
            self.running.is_empty(),
            "the outcome of the running step must be recorded first"
        );
        let plan: &'p Plan = self.plan;
        while self.cursor < plan.steps.len() {
            let i = self.cursor;
            self.cursor += 1;
            if self.launchable(i) {
                self.running.push(i);
                return Some(&plan.steps[i]);
            }
        }
        None
    }

    /// The next steps to perform together: [`Walk::next_step`]'s, and when
    /// it is a wait that can share a poll ([`Wait::polls_with`]), the waits
    /// that follow it directly in plan order, can share its poll and depend
    /// on none of the steps taken. Waits change nothing, so polling them at
    /// once is the same as one after the other, with one query per poll
    /// instead of one per tenant. Each step taken is recorded with
    /// [`Walk::record_of`]. Empty when the walk is over.
    pub fn next_steps(&mut self) -> Vec<&'p Step> {
        let plan: &'p Plan = self.plan;
        let Some(first) = self.next_step() else {
            return Vec::new();
        };
        let mut taken = vec![first];
        let StepKind::Wait(lead) = &first.kind else {
            return taken;
        };
        while let Some(candidate) = plan.steps.get(self.cursor) {
            let joins = match &candidate.kind {
                StepKind::Wait(w) => {
                    lead.polls_with(w)
                        && !candidate
                            .depends_on
                            .iter()
                            .any(|d| taken.iter().any(|t| t.id == *d))
                }
                StepKind::Sql(_) => false,
            };
            if !joins {
                break;
            }
            let i = self.cursor;
            self.cursor += 1;
            if self.launchable(i) {
                self.running.push(i);
                taken.push(candidate);
            }
        }
        taken
    }

    /// Whether step `i` may run now; if not, records it as not run or skipped.
    fn launchable(&mut self, i: usize) -> bool {
        let plan: &'p Plan = self.plan;
        let step = &plan.steps[i];
        if self.interrupted {
            self.records[i] = Some(StepRecord {
                id: step.id.clone(),
                text: step_text(step),
                outcome: StepOutcome::NotRun,
                took: Duration::ZERO,
            });
            return false;
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
        let Some((root, dependent)) = skipped else {
            return true;
        };
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
        false
    }

    /// Records the outcome of the step `next_step` returned. A failure blocks
    /// the steps that depend on it.
    ///
    /// Panics if not exactly one step is running, or `outcome` is `Skipped`
    /// (executor bugs).
    pub fn record(&mut self, outcome: StepOutcome, took: Duration) {
        assert!(
            self.running.len() == 1,
            "record follows next_step; steps taken together are recorded with record_of"
        );
        let id = &self.plan.steps[self.running[0]].id;
        self.record_of(id, outcome, took);
    }

    /// Records the outcome of the running step `id` (one of those
    /// [`Walk::next_steps`] returned). A failure blocks the steps that depend
    /// on it.
    ///
    /// Panics if `id` is not running or `outcome` is `Skipped` (executor bugs).
    pub fn record_of(&mut self, id: &StepId, outcome: StepOutcome, took: Duration) {
        let at = self
            .running
            .iter()
            .position(|&i| self.plan.steps[i].id == *id)
            .expect("record_of names a running step");
        let i = self.running.remove(at);
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
        assert!(self.running.len() == 1, "record_fatal follows next_step");
        let id = &self.plan.steps[self.running[0]].id;
        self.record_fatal_of(id, outcome, took);
    }

    /// [`Walk::record_fatal`] for the running step `id`; the first fatal
    /// failure is the one later steps name.
    pub fn record_fatal_of(&mut self, id: &StepId, outcome: StepOutcome, took: Duration) {
        let i = self.position[id];
        self.record_of(id, outcome, took);
        self.stopped_at.get_or_insert(i);
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
                tenant_id: None,
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
        ordered(steps, vec![edge("1", "2"), edge("2", "3")])
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

    /// A wait of `tenant` (id `id`) for DOING, polled from sys.
    fn doing(tenant: &str, id: u64) -> Step {
        Step::new(
            StepId::tenant(tenant, "wait_archive_doing"),
            StepAction::WaitArchiveDoing,
            StepKind::Wait(Wait {
                until: WaitUntil::ArchiveStatus {
                    statuses: vec![crate::states::RoundStatus::Doing],
                },
                query: String::new(),
                timeout_seconds: 1,
                tenant_id: Some(id),
            }),
            Some(tenant),
            tenant,
        )
    }

    fn ordered(steps: Vec<Step>, edges: Vec<Edge>) -> Plan {
        let (steps, edges) = graph::order(steps, edges, TieBreak::Forward).expect("orders");
        Plan {
            server_version: "4.2.2.1".into(),
            login_tenant: "sys".into(),
            live_fingerprint: String::new(),
            changes: Vec::new(),
            steps,
            edges,
            notes: Vec::new(),
            accepted: Vec::new(),
            breaches: Vec::new(),
        }
    }

    fn ids(steps: &[&Step]) -> Vec<String> {
        steps.iter().map(|s| s.id.to_string()).collect()
    }

    #[test]
    fn consecutive_waits_for_the_same_condition_are_taken_together() {
        let plan = ordered(
            vec![doing("a", 1002), doing("b", 1004), doing("c", 1006)],
            vec![],
        );
        let mut walk = Walk::new(&plan);
        let taken = walk.next_steps();
        assert_eq!(
            ids(&taken),
            [
                "tenant.a:wait_archive_doing",
                "tenant.b:wait_archive_doing",
                "tenant.c:wait_archive_doing"
            ]
        );
        // Recorded in any order; one failure blocks nothing else here.
        walk.record_of(&taken[1].id, StepOutcome::Done, Duration::ZERO);
        walk.record_of(
            &taken[0].id,
            StepOutcome::Failed {
                cause: "timed out".into(),
                help: String::new(),
            },
            Duration::ZERO,
        );
        walk.record_of(&taken[2].id, StepOutcome::Done, Duration::ZERO);
        assert!(walk.next_steps().is_empty());
        assert_eq!(walk.finish().done(), 2);
    }

    #[test]
    fn a_wait_that_depends_on_a_taken_one_or_polls_otherwise_is_not_taken_with_it() {
        // b's wait depends on a's; c's wait polls by its own query (no tenant id).
        let mut own = doing("c", 1006);
        if let StepKind::Wait(w) = &mut own.kind {
            w.tenant_id = None;
        }
        let plan = ordered(
            vec![doing("a", 1002), doing("b", 1004), own],
            vec![Edge {
                from: StepId::tenant("a", "wait_archive_doing"),
                to: StepId::tenant("b", "wait_archive_doing"),
                rule: Rule::ArchiveDoingBeforeBackup,
            }],
        );
        let mut walk = Walk::new(&plan);
        let mut batches = Vec::new();
        loop {
            let taken = walk.next_steps();
            if taken.is_empty() {
                break;
            }
            batches.push(ids(&taken));
            for step in taken {
                walk.record_of(&step.id, StepOutcome::Done, Duration::ZERO);
            }
        }
        assert_eq!(batches.len(), 3, "{batches:?}");
        assert!(batches.iter().all(|b| b.len() == 1), "{batches:?}");
    }

    #[test]
    fn steps_blocked_by_a_failure_are_skipped_while_a_batch_is_gathered() {
        // a1 fails; a's wait depends on it and is skipped; b's and c's waits
        // are taken together across it.
        let mut a1 = step("a", "1");
        a1.action = StepAction::Archivelog;
        let mut steps = vec![a1];
        steps.extend([doing("a", 1002), doing("b", 1004), doing("c", 1006)]);
        let plan = ordered(
            steps,
            vec![Edge {
                from: StepId::tenant("a", "1"),
                to: StepId::tenant("a", "wait_archive_doing"),
                rule: Rule::ArchivelogBeforeWaitDoing,
            }],
        );
        let mut walk = Walk::new(&plan);
        let first = walk.next_steps();
        assert_eq!(ids(&first), ["tenant.a:1"]);
        walk.record(
            StepOutcome::Failed {
                cause: "boom".into(),
                help: String::new(),
            },
            Duration::ZERO,
        );
        let taken = walk.next_steps();
        assert_eq!(
            ids(&taken),
            ["tenant.b:wait_archive_doing", "tenant.c:wait_archive_doing"]
        );
        for step in taken {
            walk.record_of(&step.id, StepOutcome::Done, Duration::ZERO);
        }
        let report = walk.finish();
        assert!(report.steps.iter().any(|r| r.id == "tenant.a:wait_archive_doing"
            && matches!(&r.outcome, StepOutcome::Skipped { blocked_by, dependent: true } if *blocked_by == "tenant.a:1")));
    }
}

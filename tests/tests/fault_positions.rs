//! The connection dropped at every statement position of an apply, before
//! the statement runs and after it has run, in four scenarios (4.x archive
//! and destinations, 4.x encrypted backups, 3.x pieces, 3.x round mode). The
//! positions are every statement the apply sends — control statements,
//! session settings, `SET ENCRYPTION`, and the first poll of each wait (how
//! many later polls a wait sends depends on timing, so those are not
//! positions).
//! At every position the apply must name a failed step and send nothing
//! after the drop, and a second apply, planned from what the cluster then
//! holds, must converge to an empty plan.

use obbackup::executor;
use obbackup_planner::config::Config;
use obbackup_planner::graph::TieBreak;
use obbackup_planner::live::LiveState;
use obbackup_planner::plan::{self, Plan};
use obbackup_planner::render;
use obbackup_planner::secret::Secret;
use obbackup_tests::scenario::{APPLY, config_at, environment, options, read};
use obbackup_tests::{root, scenario_fixture};
use obsim::server::Outcome;
use std::path::Path;

const SCENARIOS: [&str; 4] = [
    "ob4-archive-destination-change",
    "ob4-first-backups-with-encryption",
    "ob3-piece-copies",
    "ob3-backup-dest-change-with-round-mode",
];

/// A statement position: the text to match and how many earlier
/// statements match it.
#[derive(Debug, Clone)]
struct Position {
    pattern: String,
    skip: usize,
}

fn plan_for(config: &Config, live: &LiveState) -> Plan {
    try_plan(config, live).unwrap_or_else(|e| panic!("{e}"))
}

/// The plan, or why the planner refused (as text, to collect per position).
fn try_plan(config: &Config, live: &LiveState) -> Result<Plan, String> {
    plan::plan(
        config,
        live,
        &environment(),
        &options(false, TieBreak::Forward),
    )
    .map_err(|e| format!("does not plan: {e:?}"))
}

/// A simulator in the scenario's starting state (its `setup.hcl` applied),
/// with an empty journal.
async fn fresh(dir: &Path) -> (obsim::Simulator, Secret) {
    let sim = obsim::Simulator::start_in_thread(&scenario_fixture(&dir.join("live.json")))
        .expect("starts");
    let dsn = Secret::new(sim.dsn("sys"));
    let setup = dir.join("setup.hcl");
    if setup.exists() {
        let (mut session, live) = read(&dsn).await;
        let report = executor::run(&mut session, &plan_for(&config_at(&setup), &live), APPLY).await;
        assert!(report.failure().is_none(), "setup failed");
        session.close().await;
    }
    sim.clear_journal();
    (sim, dsn)
}

/// The positions of a clean apply's journal: every statement but the
/// repeated polls of a wait (a SELECT right after another SELECT).
fn positions(sim: &obsim::Simulator) -> Vec<Position> {
    let journal: Vec<String> = sim.journal().into_iter().map(|e| e.sql).collect();
    let is_poll = |sql: &str| sql.trim_start().to_uppercase().starts_with("SELECT");
    let mut out = Vec::new();
    for (i, sql) in journal.iter().enumerate() {
        if is_poll(sql) && i > 0 && is_poll(&journal[i - 1]) {
            continue;
        }
        // The journal keeps no password: match what precedes it.
        let pattern = sql.split("(sensitive)").next().unwrap_or(sql).to_string();
        let lower = pattern.to_lowercase();
        let skip = journal[..i]
            .iter()
            .filter(|e| e.to_lowercase().contains(&lower))
            .count();
        out.push(Position { pattern, skip });
    }
    out
}

/// Applies the plan of `config` until it succeeds (at most twice), then
/// requires an empty plan. Returns a description of what went wrong.
async fn converges(config: &Config, dsn: &Secret) -> Result<(), String> {
    let (mut session, live) = read(dsn).await;
    let plan = try_plan(config, &live)?;
    let report = executor::run(&mut session, &plan, APPLY).await;
    session.close().await;
    if let Some((id, cause, _)) = report.failure() {
        return Err(format!(
            "re-apply failed at {id}: {cause}\n{}",
            render::human(&plan)
        ));
    }
    let (session, live) = read(dsn).await;
    session.close().await;
    let again = try_plan(config, &live)?;
    if again.changes.is_empty() {
        Ok(())
    } else {
        Err(format!("not converged:\n{}", render::human(&again)))
    }
}

#[test]
fn a_drop_at_every_statement_position_is_reported_and_a_re_apply_converges() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut failures = Vec::new();
    let mut tried = 0;
    for name in SCENARIOS {
        let dir = root().join("fixtures/scenarios").join(name);
        let config = config_at(&dir.join("config.hcl"));
        let all = runtime.block_on(async {
            let (sim, dsn) = fresh(&dir).await;
            let (mut session, live) = read(&dsn).await;
            sim.clear_journal();
            let report = executor::run(&mut session, &plan_for(&config, &live), APPLY).await;
            assert!(report.failure().is_none(), "{name}: the clean apply failed");
            positions(&sim)
        });
        assert!(
            all.iter()
                .filter(|p| p.pattern.starts_with("ALTER"))
                .count()
                >= 2
                && all.iter().any(|p| p.pattern.starts_with("SELECT")),
            "{name}: too few positions: {all:#?}"
        );
        for (k, position) in all.iter().enumerate() {
            for after in [false, true] {
                tried += 1;
                let at = format!(
                    "{name} #{k} {} {:?}",
                    if after { "after" } else { "before" },
                    position.pattern
                );
                let outcome = runtime.block_on(async {
                    let (sim, dsn) = fresh(&dir).await;
                    let (mut session, live) = read(&dsn).await;
                    sim.clear_journal();
                    sim.drop_at(&position.pattern, position.skip, after);
                    let report =
                        executor::run(&mut session, &plan_for(&config, &live), APPLY).await;
                    let Some((failed, _, _)) = report.failure() else {
                        return Err("the apply reported no failure".to_string());
                    };
                    let journal = sim.journal();
                    let Some(dropped) = journal.iter().position(|e| {
                        matches!(e.outcome, Outcome::Dropped | Outcome::DroppedAfter)
                    }) else {
                        return Err("the fault did not fire".to_string());
                    };
                    if dropped + 1 != journal.len() {
                        return Err(format!(
                            "statements were sent after the drop: {:?}",
                            &journal[dropped + 1..]
                        ));
                    }
                    let step = failed.to_string();
                    converges(&config, &dsn)
                        .await
                        .map_err(|e| format!("(failed step {step}) {e}"))
                });
                if let Err(e) = outcome {
                    failures.push(format!("{at}: {e}"));
                }
            }
        }
    }
    eprintln!("fault positions tried: {tried}");
    assert!(
        failures.is_empty(),
        "{} of {tried} positions went wrong:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

//! Planner scenarios as data: every folder under `fixtures/scenarios/` is one
//! case, run by the single test below. Format: `fixtures/scenarios/README.md`.
//!
//! For each scenario the simulator starts from `live.json`; `setup.hcl`, when
//! present, is planned and applied first. Then `config.hcl` is planned twice,
//! with the forward and the reverse tie-break, and:
//! - the forward plan must match the snapshots `plan.human.snap` and
//!   `plan.json.snap` in the folder;
//! - both plans have the same edges, and every `edge`, `before` and `hazard`
//!   line of `expect.txt` holds in both (an ordering the rules do not carry
//!   fails in one of them);
//! - with `converges`, the reverse-ordered plan is applied and planning again
//!   finds nothing to do.
//!
//! A second test requires every rule of the planner to be asserted by an
//! `edge` line somewhere, so a rule no scenario exercises fails the suite. A
//! third runs every converging scenario on every build of its line that the
//! fixtures model: apply, then an empty plan, or a refusal naming the build.

use obbackup::{db, executor};
use obbackup_planner::config::Config;
use obbackup_planner::diagnostic::ConfigError;
use obbackup_planner::graph::TieBreak;
use obbackup_planner::live::LiveState;
use obbackup_planner::plan::{self, Plan};
use obbackup_planner::render;
use obbackup_planner::rules::Rule;
use obbackup_planner::secret::Secret;
use obbackup_tests::scenario::{APPLY, config_at, environment, options, read};
use obbackup_tests::{root, scenario_fixture};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One line of `expect.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expectation {
    /// `edge FROM -> TO RULE`: the edge exists, labelled RULE, and TO depends on FROM.
    Edge {
        from: String,
        to: String,
        rule: String,
    },
    /// `before A B`: A runs before B.
    Before(String, String),
    /// `hazard STEP KIND`: STEP carries a hazard of KIND.
    Hazard(String, String),
    /// `converges`: apply the reverse-ordered plan, then the plan is empty.
    Converges,
    /// `follow`: plan as `apply --wait` does (backup jobs followed to their end).
    Follow,
}

fn parse_expectations(path: &Path) -> Vec<Expectation> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let expectation = match words.as_slice() {
            ["edge", from, "->", to, rule] => Expectation::Edge {
                from: from.to_string(),
                to: to.to_string(),
                rule: rule.to_string(),
            },
            ["before", a, b] => Expectation::Before(a.to_string(), b.to_string()),
            ["hazard", step, kind] => Expectation::Hazard(step.to_string(), kind.to_string()),
            ["converges"] => Expectation::Converges,
            ["follow"] => Expectation::Follow,
            _ => panic!("{}:{}: cannot read {line:?}", path.display(), n + 1),
        };
        out.push(expectation);
    }
    out
}

fn scenario_dirs() -> Vec<PathBuf> {
    let base = root().join("fixtures/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", base.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no scenarios under {}", base.display());
    dirs
}

fn plan_of(config: &Config, live: &LiveState, options: &plan::Options, name: &str) -> Plan {
    plan::plan(config, live, &environment(), options)
        .unwrap_or_else(|e| panic!("{name}: does not plan: {e:?}"))
}

async fn apply_plan(session: &mut db::Session, plan: &Plan, name: &str, what: &str) {
    let report = executor::run(session, plan, APPLY).await;
    if let Some((id, cause, _)) = report.failure() {
        panic!(
            "{name}: {what}: step {id} failed: {cause}\n{}",
            render::apply_report(&report)
        );
    }
}

fn position(plan: &Plan, id: &str, name: &str) -> usize {
    plan.steps
        .iter()
        .position(|s| s.id == id)
        .unwrap_or_else(|| panic!("{name}: no step {id} in:\n{}", render::human(plan)))
}

fn check(plan: &Plan, expectations: &[Expectation], name: &str, order: &str) {
    for expectation in expectations {
        match expectation {
            Expectation::Edge { from, to, rule } => {
                let edge = plan
                    .edges
                    .iter()
                    .find(|e| e.from == from.as_str() && e.to == to.as_str());
                let edge = edge.unwrap_or_else(|| {
                    panic!(
                        "{name} ({order}): no edge {from} -> {to} in:\n{}",
                        render::human(plan)
                    )
                });
                assert_eq!(edge.rule.name(), rule, "{name}: edge {from} -> {to}");
                let target = &plan.steps[position(plan, to, name)];
                assert!(
                    target.depends_on.iter().any(|d| d == from.as_str()),
                    "{name} ({order}): {to} does not depend on {from}"
                );
                assert!(position(plan, from, name) < position(plan, to, name));
            }
            Expectation::Before(a, b) => assert!(
                position(plan, a, name) < position(plan, b, name),
                "{name} ({order}): {a} does not run before {b}:\n{}",
                render::human(plan)
            ),
            Expectation::Hazard(step, kind) => {
                let s = &plan.steps[position(plan, step, name)];
                assert!(
                    s.hazards.iter().any(|h| h.kind.name() == kind),
                    "{name}: {step} has no {kind} hazard"
                );
            }
            Expectation::Converges | Expectation::Follow => {}
        }
    }
}

/// Runs one scenario; returns every statement the tool sent to the simulator.
fn run_scenario(dir: &Path, runtime: &tokio::runtime::Runtime) -> Vec<String> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let expectations = parse_expectations(&dir.join("expect.txt"));
    let follow = expectations.contains(&Expectation::Follow);
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(&scenario_fixture(&dir.join("live.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}")),
    );
    let dsn = Secret::new(sim.dsn("sys"));
    let config = config_at(&dir.join("config.hcl"));
    runtime.block_on(async {
        let setup = dir.join("setup.hcl");
        if setup.exists() {
            let setup = config_at(&setup);
            let (mut session, live) = read(&dsn).await;
            let plan = plan_of(&setup, &live, &options(true, TieBreak::Forward), &name);
            apply_plan(&mut session, &plan, &name, "setup").await;
            session.close().await;
        }
        let (mut session, live) = read(&dsn).await;
        let forward = plan_of(&config, &live, &options(follow, TieBreak::Forward), &name);
        let reverse = plan_of(&config, &live, &options(follow, TieBreak::Reverse), &name);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.add_redaction(".live_fingerprint", "[fingerprint]");
        settings.bind(|| {
            insta::assert_snapshot!("plan.human", render::human(&forward));
            insta::assert_json_snapshot!("plan.json", render::json(&forward));
        });
        // What users read cites what they can read: no internal document.
        for text in [render::human(&forward), render::markdown(&forward)] {
            for word in ["§", "reference", "seed 0"] {
                assert!(
                    !text.contains(word),
                    "{name}: {word:?} in user output:\n{text}"
                );
            }
        }
        let edge_set = |p: &Plan| -> BTreeSet<String> {
            p.edges
                .iter()
                .map(|e| format!("{} -> {} {}", e.from, e.to, e.rule))
                .collect()
        };
        assert_eq!(
            edge_set(&forward),
            edge_set(&reverse),
            "{name}: edges depend on the tie-break"
        );
        check(&forward, &expectations, &name, "forward tie-break");
        check(&reverse, &expectations, &name, "reverse tie-break");
        if expectations.contains(&Expectation::Converges) {
            apply_plan(&mut session, &reverse, &name, "apply in reverse order").await;
            session.close().await;
            let (session, live) = read(&dsn).await;
            let again = plan_of(&config, &live, &options(false, TieBreak::Forward), &name);
            assert!(
                again.changes.is_empty(),
                "{name}: did not converge after the reverse-ordered apply:\n{}",
                render::human(&again)
            );
            session.close().await;
        } else {
            session.close().await;
        }
    });
    obbackup_tests::sent(&sim)
}

#[test]
fn every_scenario_plans_as_expected_in_both_tie_break_orders() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut statements = BTreeSet::new();
    for dir in scenario_dirs() {
        statements.extend(run_scenario(&dir, &runtime));
    }
    // OceanBase's own grammar parses every statement sent: reads, control
    // statements, waits' polls, session settings.
    let statements: Vec<String> = statements.into_iter().collect();
    assert!(statements.len() > 50, "too few statements: {statements:#?}");
    let rejected = obbackup_tests::grammar_rejections(&statements);
    assert!(
        rejected.is_empty(),
        "OceanBase's grammar rejects {} of {} statements:\n{rejected:#?}",
        rejected.len(),
        statements.len()
    );
}

#[test]
fn every_rule_is_asserted_by_some_scenario() {
    let mut asserted = BTreeSet::new();
    for dir in scenario_dirs() {
        for expectation in parse_expectations(&dir.join("expect.txt")) {
            if let Expectation::Edge { rule, .. } = expectation {
                asserted.insert(rule);
            }
        }
    }
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|r| r.name())
        .filter(|n| !asserted.contains(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "rules no scenario asserts an edge of: {missing:?}"
    );
    let unknown: Vec<&String> = asserted
        .iter()
        .filter(|n| !Rule::ALL.iter().any(|r| r.name() == n.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "expect.txt names unknown rules: {unknown:?}"
    );
}

/// Every kind of hazard is asserted by at least one scenario (`hazard STEP
/// KIND` in its `expect.txt`), which checks the plan marks it.
#[test]
fn every_hazard_kind_is_asserted_by_some_scenario() {
    let mut asserted = BTreeSet::new();
    for dir in scenario_dirs() {
        for expectation in parse_expectations(&dir.join("expect.txt")) {
            if let Expectation::Hazard(_, kind) = expectation {
                asserted.insert(kind);
            }
        }
    }
    let missing: Vec<&str> = obbackup_planner::plan::HazardKind::ALL
        .iter()
        .map(|k| k.name())
        .filter(|n| !asserted.contains(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "hazard kinds no scenario asserts: {missing:?}"
    );
}

/// The builds each scenario is also run on, per line: those the fixtures
/// under `fixtures/live/` model (4.1.0.0, 4.2.1.1 before per-tenant
/// `backup_data_file_size`, 4.2.1.2, 4.2.2.1, 4.3.1.0; 3.1.5 and 3.2).
const BUILDS_4X: [&str; 5] = ["4.1.0.0", "4.2.1.1", "4.2.1.2", "4.2.2.1", "4.3.1.0"];
const BUILDS_3X: [&str; 2] = ["3.1.5", "3.2.4.1"];

/// What one build made of a scenario.
enum OnBuild {
    /// Applied, and planning again found nothing to do.
    Converged,
    /// Refused before anything was sent, naming the build (a setting the
    /// build cannot take).
    Refused(String),
}

/// Runs a converging scenario on `build`: setup, plan, apply, plan again.
/// Adds every statement the tool sent to `sent`.
fn on_build(
    dir: &Path,
    build: &str,
    runtime: &tokio::runtime::Runtime,
    sent: &mut BTreeSet<String>,
) -> OnBuild {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut fixture: serde_json::Value =
        serde_json::from_str(&scenario_fixture(&dir.join("live.json"))).expect("fixture JSON");
    fixture["version"] = serde_json::json!(build);
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(&fixture.to_string())
            .unwrap_or_else(|e| panic!("{name} on {build}: {e}")),
    );
    let dsn = Secret::new(sim.dsn("sys"));
    let refused = |e: plan::PlanError| -> String {
        match e {
            plan::PlanError::Config(errors)
                if errors
                    .iter()
                    .all(|e| matches!(e, ConfigError::NotOnBuild { .. })) =>
            {
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            }
            other => panic!("{name} on {build}: does not plan: {other:?}"),
        }
    };
    let outcome = runtime.block_on(async {
        // The setup (when there is one), then the scenario's configuration.
        for (file, follow, what) in [("setup.hcl", true, "setup"), ("config.hcl", false, "apply")] {
            let path = dir.join(file);
            if !path.exists() {
                continue;
            }
            let (mut session, live) = read(&dsn).await;
            let plan = match plan::plan(
                &config_at(&path),
                &live,
                &environment(),
                &options(follow, TieBreak::Forward),
            ) {
                Ok(plan) => plan,
                Err(e) => return OnBuild::Refused(refused(e)),
            };
            apply_plan(&mut session, &plan, &name, &format!("{what} on {build}")).await;
            session.close().await;
        }
        let config = config_at(&dir.join("config.hcl"));
        let (session, live) = read(&dsn).await;
        let again = plan_of(&config, &live, &options(false, TieBreak::Forward), &name);
        assert!(
            again.changes.is_empty(),
            "{name} on {build}: did not converge:\n{}",
            render::human(&again)
        );
        session.close().await;
        OnBuild::Converged
    });
    sent.extend(obbackup_tests::sent(&sim));
    outcome
}

/// Every converging scenario, on every build of its line: applied, planning
/// again is empty; or the plan is refused before anything is sent, naming the
/// build. Each scenario converges on at least two builds.
#[test]
fn every_scenario_converges_on_every_build_that_takes_it() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut refusals = Vec::new();
    let mut sent = BTreeSet::new();
    for dir in scenario_dirs() {
        if !parse_expectations(&dir.join("expect.txt")).contains(&Expectation::Converges) {
            continue;
        }
        let fixture: serde_json::Value =
            serde_json::from_str(&scenario_fixture(&dir.join("live.json"))).expect("fixture JSON");
        let line_3 = fixture["version"]
            .as_str()
            .is_some_and(|v| v.starts_with('3'));
        let builds: &[&str] = if line_3 { &BUILDS_3X } else { &BUILDS_4X };
        let mut converged = Vec::new();
        for build in builds {
            match on_build(&dir, build, &runtime, &mut sent) {
                OnBuild::Converged => converged.push(*build),
                OnBuild::Refused(why) => {
                    refusals.push(format!("{}: {build}: {why}", dir.display()))
                }
            }
        }
        println!(
            "{}: converges on {}",
            dir.file_name().unwrap_or_default().to_string_lossy(),
            converged.join(", ")
        );
        assert!(
            converged.len() >= 2,
            "{} converges on {converged:?} only; refused: {refusals:#?}",
            dir.display()
        );
    }
    for refusal in &refusals {
        println!("refused: {refusal}");
    }
    // Every refusal names the first build that takes the setting.
    for refusal in &refusals {
        assert!(refusal.contains("or later"), "{refusal}");
    }
    // What each build was sent (3.1's piece copies, 4.1's per-tenant
    // parameters, …) parses in OceanBase's grammar.
    let sent: Vec<String> = sent.into_iter().collect();
    let rejected = obbackup_tests::grammar_rejections(&sent);
    assert!(
        rejected.is_empty(),
        "OceanBase's grammar rejects {} of {} statements:\n{rejected:#?}",
        rejected.len(),
        sent.len()
    );
}

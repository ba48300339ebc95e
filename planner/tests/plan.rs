//! Planner scenarios on synthetic live states: the steps each rule orders, the
//! tie-break, coalescing by server line, and the rendered plans (snapshots).

use obbackup_planner::config::decode;
use obbackup_planner::desired::Environment;
use obbackup_planner::live::{self, LiveState, Row};
use obbackup_planner::plan::{self, Plan, StepKind, Timeouts};
use obbackup_planner::render;
use obbackup_planner::sql::Read;
use std::collections::BTreeMap;

fn row(pairs: &[(&str, &str)]) -> Row {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

/// A live state: `version`, login tenant, and per tenant (name, id, log mode,
/// archive path or "", round status or "").
fn live_state(
    version: &str,
    login: (&str, u64),
    tenants: &[(&str, u64, &str, &str, &str)],
) -> LiveState {
    let server = live::server_from_rows(
        &[row(&[
            ("ob_version", version),
            ("version", &format!("5.7.25-OceanBase_CE-v{version}")),
        ])],
        Some(&[row(&[
            ("tenant_name", login.0),
            ("tenant_id", &login.1.to_string()),
        ])]),
        "sys",
    )
    .expect("server row");
    let mut reads: BTreeMap<Read, Vec<Row>> = BTreeMap::new();
    for (name, id, mode, path, round) in tenants {
        let id = id.to_string();
        reads.entry(Read::Tenants).or_default().push(row(&[
            ("tenant_id", &id),
            ("tenant_name", name),
            ("status", "NORMAL"),
            ("log_mode", mode),
        ]));
        if !path.is_empty() {
            for (k, v) in [
                ("path", *path),
                ("binding", "OPTIONAL"),
                ("piece_switch_interval", "1d"),
                ("state", "ENABLE"),
                ("dest_id", "1001"),
            ] {
                reads.entry(Read::ArchiveDest).or_default().push(row(&[
                    ("tenant_id", &id),
                    ("name", k),
                    ("value", v),
                ]));
            }
        }
        if !round.is_empty() {
            reads.entry(Read::ArchiveLog).or_default().push(row(&[
                ("tenant_id", &id),
                ("round_id", "3"),
                ("status", round),
            ]));
        }
        reads.entry(Read::Parameters).or_default().push(row(&[
            ("tenant_id", &id),
            ("svr_ip", "10.0.0.1"),
            ("svr_port", "2882"),
            ("name", "ha_low_thread_score"),
            ("value", "0"),
        ]));
    }
    live::from_rows(server, &reads).expect("rows decode")
}

fn plan_for(hcl: &str, live: &LiveState) -> Plan {
    let (config, errors) = decode(hcl);
    assert!(errors.is_empty(), "{errors:?}");
    plan::plan(
        &config,
        live,
        &Environment::new(),
        &plan::Options {
            timeouts: Timeouts::default(),
            today: today(),
            follow_backups: false,
            tie_break: Default::default(),
        },
    )
    .expect("plans")
}

fn today() -> time::Date {
    obbackup_planner::config::parse_date("2026-11-22").expect("date")
}

fn ids(plan: &Plan) -> Vec<&str> {
    plan.steps.iter().map(|s| s.id.as_str()).collect()
}

/// Whether step `a` happens before step `b` because the graph says so: `b`
/// depends on `a`, directly or through other steps (so any order the edges
/// allow, whatever the tie-break, runs `a` first), and the plan lists `a`
/// first.
fn before(plan: &Plan, a: &str, b: &str) -> bool {
    let step = |id: &str| {
        plan.steps
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("{id} missing: {:?}", ids(plan)))
    };
    let pos = |id: &str| plan.steps.iter().position(|s| s.id == id);
    let (from, to) = (step(a), step(b));
    let mut stack = vec![to];
    let mut seen = std::collections::HashSet::new();
    let mut depends = false;
    while let Some(s) = stack.pop() {
        for d in &s.depends_on {
            if d == &from.id {
                depends = true;
            }
            if seen.insert(d.clone()) {
                stack.push(step(d.as_str()));
            }
        }
    }
    depends && pos(a) < pos(b)
}

const ARCHIVE_ALL: &str = r#"
defaults {
  log_archive { enabled = true }
  data_backup { concurrency = 10 }
}
tenant "*" {
  log_archive { destination = "file:///nfs/${tenant.name}/archive" }
}
"#;

#[test]
fn new_archive_sets_destination_then_mode_then_waits() {
    let live = live_state(
        "4.2.2.1",
        ("sys", 1),
        &[
            ("a", 1002, "NOARCHIVELOG", "", ""),
            ("b", 1004, "NOARCHIVELOG", "", ""),
        ],
    );
    let plan = plan_for(ARCHIVE_ALL, &live);
    for t in ["a", "b"] {
        assert!(before(
            &plan,
            &format!("tenant.{t}:set_log_archive_dest"),
            &format!("tenant.{t}:archivelog")
        ));
        assert!(before(
            &plan,
            &format!("tenant.{t}:archivelog"),
            &format!("tenant.{t}:wait_archive_doing")
        ));
    }
    let rules: Vec<&str> = plan.edges.iter().map(|e| e.rule.name()).collect();
    assert!(rules.contains(&"archive_dest_before_archivelog"));
    assert!(rules.contains(&"archivelog_before_wait_doing"));
    assert!(
        plan.edges
            .iter()
            .all(|e| e.from.as_str().split(':').next() == e.to.as_str().split(':').next()),
        "no edge crosses tenants"
    );
}

#[test]
fn destination_change_on_a_running_round_stops_first_with_a_hazard() {
    let live = live_state(
        "4.2.2.1",
        ("sys", 1),
        &[("a", 1002, "ARCHIVELOG", "file:///old/a", "DOING")],
    );
    let plan = plan_for(ARCHIVE_ALL, &live);
    assert_eq!(
        ids(&plan),
        [
            "tenant.a:set_ha_low_thread_score",
            "tenant.a:noarchivelog",
            "tenant.a:wait_archive_stop",
            "tenant.a:set_log_archive_dest",
            "tenant.a:archivelog",
            "tenant.a:wait_archive_doing"
        ]
    );
    assert_eq!(plan.hazards().len(), 1);
    assert_eq!(plan.hazards()[0].1.kind.name(), "archive_gap");
}

#[test]
fn an_interrupted_round_is_restarted() {
    let live = live_state(
        "4.2.2.1",
        ("sys", 1),
        &[(
            "a",
            1002,
            "ARCHIVELOG",
            "file:///nfs/a/archive",
            "INTERRUPTED",
        )],
    );
    let plan = plan_for(ARCHIVE_ALL, &live);
    assert!(
        plan.changes
            .iter()
            .any(|c| c.address.to_string() == "tenant.a.log_archive.round")
    );
    assert!(before(
        &plan,
        "tenant.a:noarchivelog",
        "tenant.a:wait_archive_stop"
    ));
    assert!(before(
        &plan,
        "tenant.a:wait_archive_stop",
        "tenant.a:archivelog"
    ));
    assert!(
        !ids(&plan).contains(&"tenant.a:set_log_archive_dest"),
        "the destination is unchanged"
    );
}

#[test]
fn a_matching_cluster_plans_nothing() {
    let live = live_state(
        "4.2.2.1",
        ("sys", 1),
        &[("a", 1002, "ARCHIVELOG", "file:///nfs/a/archive/", "DOING")],
    );
    let plan = plan_for(
        "tenant \"a\" {\n  log_archive {\n    enabled = true\n    destination = \"FILE:///nfs/a/archive\"\n    piece_switch_interval = \"24h\"\n  }\n}\n",
        &live,
    );
    assert!(plan.is_empty(), "{}", render::human(&plan));
}

#[test]
fn all_user_coalescing_needs_4_2_1_and_sys() {
    let tenants = [
        ("a", 1002, "ARCHIVELOG", "", ""),
        ("b", 1004, "ARCHIVELOG", "", ""),
    ];
    let hcl = "defaults {\n  data_backup { concurrency = 10 }\n}\ntenant \"*\" {}\n";
    let new = plan_for(hcl, &live_state("4.2.1.0", ("sys", 1), &tenants));
    assert_eq!(ids(&new), ["all_user:set_ha_low_thread_score"]);
    let StepKind::Sql(sql) = &new.steps[0].kind else {
        panic!("not sql")
    };
    assert_eq!(
        sql.shown,
        "ALTER SYSTEM SET ha_low_thread_score = 10 TENANT = all_user"
    );
    let old = plan_for(hcl, &live_state("4.2.0.0", ("sys", 1), &tenants));
    assert_eq!(
        ids(&old),
        [
            "tenant.a:set_ha_low_thread_score",
            "tenant.b:set_ha_low_thread_score"
        ]
    );
    let partial = plan_for(
        "tenant \"a\" {\n  data_backup { concurrency = 10 }\n}\n",
        &live_state("4.2.2.1", ("sys", 1), &tenants),
    );
    assert_eq!(
        ids(&partial),
        ["tenant.a:set_ha_low_thread_score"],
        "only when every user tenant declares the value"
    );
}

#[test]
fn defer_state_is_set_after_the_destination_and_nothing_waits_for_doing() {
    let live = live_state(
        "4.2.2.1",
        ("sys", 1),
        &[("a", 1002, "NOARCHIVELOG", "", "")],
    );
    let plan = plan_for(
        "tenant \"a\" {\n  log_archive {\n    enabled = true\n    destination = \"file:///nfs/a\"\n    state = \"defer\"\n  }\n}\n",
        &live,
    );
    assert!(before(
        &plan,
        "tenant.a:set_log_archive_dest",
        "tenant.a:set_log_archive_dest_state"
    ));
    assert!(before(
        &plan,
        "tenant.a:set_log_archive_dest_state",
        "tenant.a:archivelog"
    ));
    assert!(!ids(&plan).contains(&"tenant.a:wait_archive_doing"));
    assert!(plan.notes.iter().any(|n| n.contains("DEFER")));
}

#[test]
fn rendered_plans() {
    let live = live_state(
        "4.2.2.1",
        ("sys", 1),
        &[
            ("a", 1002, "NOARCHIVELOG", "", ""),
            (
                "b",
                1004,
                "ARCHIVELOG",
                "file:///data/nfs/backup/old-b/archive",
                "DOING",
            ),
        ],
    );
    let plan = plan_for(ARCHIVE_ALL, &live);
    insta::assert_snapshot!("human", render::human(&plan));
    insta::assert_json_snapshot!("json", render::json(&plan), { ".live_fingerprint" => "[fingerprint]" });
    insta::assert_snapshot!("drift", render::drift_human(&plan));
    insta::assert_snapshot!("markdown", render::markdown(&plan));
    insta::assert_snapshot!("drift_markdown", render::drift_markdown(&plan));
    insta::assert_json_snapshot!("drift_json", render::drift_json(&plan), { ".live_fingerprint" => "[fingerprint]" });
}

/// A plan read back from text (as from a plan file) has ids made apart from
/// its edges' ids: its rendering, with the positions each step waits for,
/// is the same as the original's.
#[test]
fn a_plan_read_back_renders_the_same() {
    let live = live_state(
        "4.2.2.1",
        ("sys", 1),
        &[(
            "b",
            1004,
            "ARCHIVELOG",
            "file:///data/nfs/backup/old-b/archive",
            "DOING",
        )],
    );
    let plan = plan_for(ARCHIVE_ALL, &live);
    let text = render::human(&plan);
    assert!(text.contains(" · after "), "{text}");
    let read_back: obbackup_planner::plan::Plan =
        serde_json::from_str(&serde_json::to_string(&plan).expect("serialises")).expect("reads");
    assert_eq!(render::human(&read_back), text);
}

const WITH_IGNORES: &str = r#"
defaults {
  data_backup { concurrency = 10 }
}
tenant "*" {}
ignore {
  address = "tenant.a.data_backup.concurrency"
  reason  = "tuned by hand during the migration"
  until   = "2027-01-31"
}
ignore {
  address = "tenant.*.log_archive.lag_target"
  reason  = "matches nothing"
}
"#;

#[test]
fn accepted_drift_holds_until_its_date_then_is_planned_again() {
    let live = live_state(
        "4.2.2.1",
        ("sys", 1),
        &[
            ("a", 1002, "NOARCHIVELOG", "", ""),
            ("b", 1004, "NOARCHIVELOG", "", ""),
        ],
    );
    let (config, errors) = decode(WITH_IGNORES);
    assert!(errors.is_empty(), "{errors:?}");
    let on = |day: &str| {
        let today = obbackup_planner::config::parse_date(day).expect("date");
        plan::plan(
            &config,
            &live,
            &Environment::new(),
            &plan::Options {
                timeouts: Timeouts::default(),
                today,
                follow_backups: false,
                tie_break: Default::default(),
            },
        )
        .expect("plans")
    };
    let before = on("2027-01-31");
    assert_eq!(before.accepted.len(), 1);
    assert_eq!(
        before.accepted[0].change.address.to_string(),
        "tenant.a.data_backup.concurrency"
    );
    assert_eq!(
        before
            .changes
            .iter()
            .map(|c| c.address.to_string())
            .collect::<Vec<_>>(),
        ["tenant.b.data_backup.concurrency"]
    );
    assert_eq!(
        ids(&before),
        ["tenant.b:set_ha_low_thread_score"],
        "accepted drift is not planned"
    );
    assert!(before.notes.iter().any(|n| n.contains("matches no drift")));
    let after = on("2027-02-01");
    assert!(after.accepted.is_empty());
    assert_eq!(after.changes.len(), 2);
    assert!(
        after
            .notes
            .iter()
            .any(|n| n.contains("expired on 2027-01-31"))
    );
}

/// Without `NOW(6)` (this live state has no server time) nothing can be
/// measured against the clock: the policies are not checked, with a note,
/// and a new recovery window is a hazard since its deletions cannot be listed.
#[test]
fn without_the_servers_clock_policies_are_noted_and_deletions_are_a_hazard() {
    let live = live_state(
        "4.2.2.1",
        ("sys", 1),
        &[("t", 1002, "ARCHIVELOG", "file:///nfs/t/archive", "DOING")],
    );
    assert_eq!(live.now(), None);
    let plan = plan_for(
        "tenant \"t\" {\n  log_archive {\n    max_lag = \"5m\"\n  }\n  data_backup {\n    delete_policy {\n      recovery_window = \"7d\"\n    }\n  }\n}\n",
        &live,
    );
    assert!(plan.breaches.is_empty());
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("archive lag and recoverability were not checked")),
        "{:?}",
        plan.notes
    );
    let hazards = plan.hazards();
    assert!(
        hazards
            .iter()
            .any(|(id, h)| *id == "tenant.t:add_delete_policy"
                && h.message.contains("could not be listed")),
        "{hazards:?}"
    );
}

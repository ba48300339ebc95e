//! Archive health as policy, end to end: `log_archive { max_lag }` breaches
//! are drift (exit 2) in every output, problems in `status`, never steps, and
//! `ignore` accepts them. Fixture: `fixtures/live/lagging-4.2.json`.

use obbackup_tests::{Invocation, assert_contains, sent_alters, start, temp_config};

const MAX_LAG: &str =
    "defaults {\n  log_archive {\n    max_lag = \"5m\"\n  }\n}\ntenant \"*\" {}\n";

#[test]
fn a_lagging_or_stuck_round_is_drift_but_never_a_step() {
    let sim = start("lagging-4.2.json");
    let dsn = sim.dsn("sys");
    let config = temp_config("health-max-lag.hcl", MAX_LAG);

    let drift = Invocation::new(&["drift", &config]).dsn(&dsn).run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert_contains(
        &drift.stdout,
        "tenant.slow.log_archive.max_lag: round 2 DOING, checkpoint 20m behind → max_lag 5m",
    );
    assert_contains(
        &drift.stdout,
        "tenant.stuck.log_archive.max_lag: round 1 STOPPING, checkpoint 3h 0m behind → max_lag 5m",
    );
    assert!(
        !drift.stdout.contains("tenant.paused"),
        "SUSPEND is chosen: {}",
        drift.stdout
    );
    assert!(!drift.stdout.contains("tenant.fine"), "{}", drift.stdout);

    let json = Invocation::new(&["drift", &config])
        .dsn(&dsn)
        .format("json")
        .run();
    assert_eq!(json.code, 2, "{}", json.all());
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    obbackup_tests::assert_schema("drift.schema.json", &value);
    assert_eq!(value["drift"], true);
    assert_eq!(value["changes"], serde_json::json!([]));
    let tenants: Vec<&str> = value["breaches"]
        .as_array()
        .expect("breaches")
        .iter()
        .filter_map(|b| b["tenant"].as_str())
        .collect();
    assert_eq!(tenants, ["slow", "stuck"]);

    let markdown = Invocation::new(&["drift", &config])
        .dsn(&dsn)
        .format("markdown")
        .run();
    assert_contains(&markdown.stdout, "#### Policy breaches");

    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .format("json")
        .detailed_exitcode()
        .run();
    assert_eq!(plan.code, 0, "nothing to apply: {}", plan.all());
    let value: serde_json::Value = serde_json::from_str(&plan.stdout).expect("JSON");
    obbackup_tests::assert_schema("plan.schema.json", &value);
    assert_eq!(value["steps"], serde_json::json!([]));
    assert_eq!(value["breaches"].as_array().map(Vec::len), Some(2));

    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .run();
    assert_eq!(
        apply.code,
        0,
        "a breach does not fail apply: {}",
        apply.all()
    );
    assert!(sent_alters(&sim).is_empty());
}

#[test]
fn status_lists_breaches_as_problems_and_ignore_accepts_them() {
    let sim = start("lagging-4.2.json");
    let dsn = sim.dsn("sys");
    let config = temp_config("health-status.hcl", MAX_LAG);
    let status = Invocation::new(&["status", &config])
        .dsn(&dsn)
        .detailed_exitcode()
        .run();
    assert_eq!(status.code, 2, "{}", status.all());
    assert_contains(
        &status.stdout,
        "! log_archive.max_lag: round 2 DOING, checkpoint 20m behind, max_lag 5m",
    );
    assert_contains(&status.stdout, "2 problem(s)");

    let ignored = temp_config(
        "health-ignored.hcl",
        &format!(
            "{MAX_LAG}ignore {{\n  address = \"tenant.*.log_archive.max_lag\"\n  reason  = \"archive media is being replaced\"\n}}\n"
        ),
    );
    let drift = Invocation::new(&["drift", &ignored]).dsn(&dsn).run();
    assert_eq!(drift.code, 0, "{}", drift.all());
    assert_contains(&drift.stdout, "archive media is being replaced");
    let status = Invocation::new(&["status", &ignored])
        .dsn(&dsn)
        .detailed_exitcode()
        .run();
    assert_eq!(status.code, 0, "status accepts it too: {}", status.all());
    assert_contains(&status.stdout, "0 problem(s)");
}

#[test]
fn on_oceanbase_3_the_clusters_round_is_checked_the_same_way() {
    let fixture = r#"{ "version": "3.2.4.1",
      "parameters": { "backup_dest": "file:///data/nfs/backup" },
      "archive": { "round_id": 1, "status": "DOING", "lag": "45m" } }"#;
    let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(fixture).expect("starts"));
    let config = temp_config(
        "health-ob3.hcl",
        "cluster {\n  log_archive {\n    max_lag = \"10m\"\n  }\n}\n",
    );
    let drift = Invocation::new(&["drift", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert_contains(
        &drift.stdout,
        "cluster.log_archive.max_lag: round 1 DOING, checkpoint 45m behind → max_lag 10m",
    );
    let status = Invocation::new(&["status", &config])
        .dsn(&sim.dsn("sys"))
        .format("json")
        .detailed_exitcode()
        .run();
    assert_eq!(status.code, 2, "{}", status.all());
    let value: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    obbackup_tests::assert_schema("status.schema.json", &value);
    let lag = value["tenants"][0]["checkpoint_lag_seconds"]
        .as_i64()
        .expect("a lag");
    assert!((2_700..2_760).contains(&lag), "{lag}");
    let relaxed = temp_config(
        "health-ob3-relaxed.hcl",
        "cluster {\n  log_archive {\n    max_lag = \"1h\"\n  }\n}\n",
    );
    let fine = Invocation::new(&["drift", &relaxed])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(fine.code, 0, "{}", fine.all());
}

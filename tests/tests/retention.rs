//! Retention on OceanBase 4.x, end to end: `data_backup { delete_policy {
//! recovery_window } }` through plan, apply, drift, ignore, export and status,
//! against `obsim` seeded with `fixtures/live/retention-4.2.json`.

use obbackup_tests::{Invocation, assert_contains, query_rows, sent_alters, start, temp_config};

const WINDOWS: &str = r#"
tenant "t1" {
  data_backup {
    delete_policy { recovery_window = "7d" }
  }
}
tenant "t2" {
  data_backup {
    delete_policy { recovery_window = "168h" }
  }
}
tenant "t3" {
  data_backup {
    delete_policy { recovery_window = "30d" }
  }
}
"#;

/// `tenant "NAME"` with a delete policy of `window` (HCL takes one block per line).
fn window_of(tenant: &str, window: &str) -> String {
    format!(
        "tenant \"{tenant}\" {{\n  data_backup {{\n    delete_policy {{\n      recovery_window = \"{window}\"\n    }}\n  }}\n}}\n"
    )
}

const T1_WINDOW: &str = "tenant.t1.data_backup.delete_policy.recovery_window";

fn policies(sim: &obsim::Simulator) -> Vec<(String, String)> {
    query_rows(
        sim,
        "sys",
        "SELECT TENANT_ID, RECOVERY_WINDOW FROM oceanbase.CDB_OB_BACKUP_DELETE_POLICY ORDER BY TENANT_ID",
    )
    .into_iter()
    .map(|r| {
        (
            r[0].clone().unwrap_or_default(),
            r[1].clone().unwrap_or_default(),
        )
    })
    .collect()
}

#[test]
fn a_new_window_is_dropped_then_added_and_then_no_longer_drifts() {
    let sim = start("retention-4.2.json");
    let config = temp_config("retention-windows.hcl", WINDOWS);
    let dsn = sim.dsn("sys");

    let drift = Invocation::new(&["drift", &config]).dsn(&dsn).run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert_contains(&drift.stdout, T1_WINDOW);
    assert_contains(
        &drift.stdout,
        "tenant.t3.data_backup.delete_policy.recovery_window",
    );
    // t2 has 7d, declared as 168h: the same duration, so no drift.
    assert!(
        !drift.stdout.contains("tenant.t2.data_backup"),
        "{}",
        drift.stdout
    );

    let plan = Invocation::new(&["plan", &config]).dsn(&dsn).run();
    assert_contains(&plan.stdout, "[backups_deleted]");
    assert_contains(
        &plan.stdout,
        "backup sets 4 (INC, ended 2024-06-02 12:00:00), 3 (FULL, ended 2024-05-31 12:00:00), 2 (INC",
    );

    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .allow_hazards()
        .fast_polls()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        sent_alters(&sim),
        [
            "ALTER SYSTEM DROP DELETE BACKUP POLICY 'default' TENANT = 't1'",
            "ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' RECOVERY_WINDOW '7d' TENANT = 't1'",
            "ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' RECOVERY_WINDOW '30d' TENANT = 't3'",
        ]
    );
    assert_eq!(
        policies(&sim),
        [
            ("1002".to_string(), "7d".to_string()),
            ("1004".to_string(), "7d".to_string()),
            ("1006".to_string(), "30d".to_string())
        ]
    );
    let again = Invocation::new(&["drift", &config]).dsn(&dsn).run();
    assert_eq!(again.code, 0, "{}", again.all());
}

#[test]
fn without_the_block_the_policy_is_left_alone_and_an_ignore_accepts_drift() {
    let sim = start("retention-4.2.json");
    let dsn = sim.dsn("sys");
    let unmanaged = temp_config(
        "retention-unmanaged.hcl",
        "tenant \"t1\" {\n  data_backup {\n    destination = \"file:///nfs/t1/data\"\n  }\n}\n",
    );
    let plan = Invocation::new(&["plan", &unmanaged])
        .dsn(&dsn)
        .detailed_exitcode()
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());

    let ignored = temp_config(
        "retention-ignored.hcl",
        &format!(
            r#"{WINDOWS}
ignore {{
  address = "tenant.*.data_backup.delete_policy.recovery_window"
  reason  = "retention is being reviewed"
}}"#
        ),
    );
    let drift = Invocation::new(&["drift", &ignored]).dsn(&dsn).run();
    assert_eq!(drift.code, 0, "{}", drift.all());
    assert!(sent_alters(&sim).is_empty());
    assert_eq!(policies(&sim).len(), 2, "nothing changed");
}

#[test]
fn defaults_and_the_wildcard_tenant_declare_the_policy_for_every_tenant() {
    let sim = start("retention-4.2.json");
    let config = temp_config(
        "retention-defaults.hcl",
        "defaults {\n  data_backup {\n    delete_policy {\n      recovery_window = \"7d\"\n    }\n  }\n}\ntenant \"*\" {}\n",
    );
    let plan = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .format("json")
        .run();
    let value: serde_json::Value = serde_json::from_str(&plan.stdout).expect("JSON");
    let addresses: Vec<&str> = value["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["address"].as_str())
        .collect();
    // t2 has 7d already.
    assert_eq!(
        addresses,
        [
            "tenant.t1.data_backup.delete_policy.recovery_window",
            "tenant.t3.data_backup.delete_policy.recovery_window"
        ]
    );
}

#[test]
fn export_writes_the_policy_and_planning_the_export_changes_nothing() {
    let sim = start("retention-4.2.json");
    let dsn = sim.dsn("sys");
    let export = Invocation::new(&["export"]).dsn(&dsn).run();
    assert_eq!(export.code, 0, "{}", export.all());
    assert_contains(
        &export.stdout,
        "    delete_policy {\n      recovery_window = \"14d\"\n    }",
    );
    let config = temp_config("retention-exported.hcl", &export.stdout);
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .detailed_exitcode()
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
}

#[test]
fn a_user_tenant_manages_its_own_policy_without_a_tenant_clause() {
    let sim = start("retention-4.2.json");
    let config = temp_config("retention-own.hcl", &window_of("t3", "10d"));
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("t3"))
        .auto_approve()
        .fast_polls()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        sent_alters(&sim),
        ["ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' RECOVERY_WINDOW '10d'"]
    );
}

#[test]
fn status_shows_the_policy_and_a_failed_cleanup_as_a_problem() {
    let sim = start("retention-4.2.json");
    let status = Invocation::new(&["status"])
        .dsn(&sim.dsn("sys"))
        .format("json")
        .detailed_exitcode()
        .run();
    assert_eq!(status.code, 2, "{}", status.all());
    let value: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    obbackup_tests::assert_schema("status.schema.json", &value);
    let tenant = |name: &str| {
        value["tenants"]
            .as_array()
            .expect("tenants")
            .iter()
            .find(|t| t["tenant"] == name)
            .cloned()
            .expect("tenant listed")
    };
    assert_eq!(tenant("t1")["delete_policy"], "14d");
    assert_eq!(tenant("t3")["delete_policy"], serde_json::Value::Null);
    // t3's last cleanup FAILED, but it has no policy any more: no cleanup will
    // run again, so the old failure is no problem.
    assert_eq!(tenant("t3")["cleanup_jobs"][0]["status"], "FAILED");
    assert_eq!(tenant("t3")["violations"], serde_json::json!([]));
    let t2 = tenant("t2");
    assert_eq!(t2["cleanup_jobs"][0]["status"], "FAILED");
    assert_eq!(t2["cleanup_jobs"][0]["result"], -9069);
    let problem = t2["violations"][0].as_str().expect("a problem");
    assert_contains(problem, "FAILED");
    assert_contains(problem, "-9069: deleting backup piece is not allowed");
    assert_eq!(
        tenant("t1")["violations"],
        serde_json::json!([]),
        "no cleanup failed there"
    );

    let human = Invocation::new(&["status"]).dsn(&sim.dsn("sys")).run();
    assert_eq!(human.code, 0, "{}", human.all());
    assert_contains(&human.stdout, "delete policy recovery window 14d");
    assert_contains(&human.stdout, "1 problem(s)");
}

#[test]
fn windows_outside_one_to_366_days_are_refused() {
    for (window, expected) in [
        ("0d", "a duration from 1d to 366d"),
        ("12h", "a duration from 1d to 366d"),
        ("367d", "a duration from 1d to 366d"),
        ("-1d", "a number with a unit"),
    ] {
        let path = temp_config(
            &format!("retention-window-{window}.hcl"),
            &window_of("t", window),
        );
        let out = Invocation::new(&["validate", &path]).run();
        assert_eq!(out.code, 1, "{window}: {}", out.all());
        assert_contains(&out.stderr, &format!("`recovery_window` = \"{window}\""));
        assert_contains(&out.stderr, expected);
    }
}

#[test]
fn oceanbase_3_refuses_a_delete_policy_and_points_at_backup_dest_option() {
    let sim = start("documented-3.2.json");
    let cluster = "cluster {\n  data_backup {\n    delete_policy {\n      recovery_window = \"7d\"\n    }\n  }\n}\n";
    for (name, text) in [
        ("retention-ob3-tenant.hcl", window_of("t", "7d")),
        ("retention-ob3-cluster.hcl", cluster.to_string()),
    ] {
        let config = temp_config(name, &text);
        let plan = Invocation::new(&["plan", &config])
            .dsn(&sim.dsn("sys"))
            .run();
        assert_eq!(plan.code, 1, "{name}: {}", plan.all());
        assert_contains(
            &plan.stderr,
            "OceanBase 3.x has no delete policies (they arrived in 4.0.0)",
        );
        assert_contains(
            &plan.stderr,
            "declare backup_dest_option with recovery_window (the window) and auto_delete_obsolete_backup = true",
        );
    }
    assert!(sent_alters(&sim).is_empty());
}

//! End to end: the real `obbackup` binary against `obsim` (DESIGN.md §9).

use obbackup_tests::{
    Invocation, assert_contains, query_rows, sent, sent_alters, start, temp_config,
};

const EVERY_TENANT: &str = r#"
defaults {
  log_archive {
    enabled = true
    mode    = "mandatory"
  }
  data_backup { concurrency = 8 }
}
tenant "*" {
  log_archive { destination = "file:///nfs/${tenant.name}/archive" }
  data_backup { destination = "file:///nfs/${tenant.name}/data" }
}
"#;

#[test]
fn empty_cluster_plan_apply_replan_drift_and_out_of_band_change() {
    let sim = start("empty-4.2.json");
    let config = temp_config("every-tenant.hcl", EVERY_TENANT);
    let dsn = sim.dsn("sys");

    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .detailed_exitcode()
        .run();
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("+ tenant.app_tenant.log_archive.destination"),
        "{}",
        plan.stdout
    );
    assert!(
        sent_alters(&sim).is_empty(),
        "plan must not change anything"
    );

    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_contains(&apply.stdout, "Apply complete");

    let again = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .detailed_exitcode()
        .run();
    assert_eq!(
        again.code,
        0,
        "plan after apply must be empty:\n{}",
        again.all()
    );
    assert!(again.stdout.contains("No changes"));

    let drift = Invocation::new(&["drift", &config]).dsn(&dsn).run();
    assert_eq!(drift.code, 0, "{}", drift.all());

    sim.execute_as(
        "sys",
        "ALTER SYSTEM SET ha_low_thread_score = 3 TENANT = 'oracle_tenant'",
    )
    .expect("out-of-band change");
    let drift = Invocation::new(&["drift", &config]).dsn(&dsn).run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert!(
        drift
            .stdout
            .contains("tenant.oracle_tenant.data_backup.concurrency"),
        "{}",
        drift.stdout
    );
    assert!(
        !drift.stdout.contains("tenant.app_tenant"),
        "only the changed tenant drifts:\n{}",
        drift.stdout
    );

    let json = Invocation::new(&["drift", &config])
        .dsn(&dsn)
        .format("json")
        .run();
    assert_eq!(json.code, 2);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("drift JSON");
    assert_eq!(value["drift"], true);
    assert_eq!(
        value["changes"][0]["address"],
        "tenant.oracle_tenant.data_backup.concurrency"
    );
    assert_eq!(value["changes"][0]["before"], "3");
    assert_eq!(value["changes"][0]["after"], "8");
}

#[test]
fn archive_destination_change_while_archiving_stops_sets_and_restarts_in_order() {
    let sim = start("documented-4.2.json");
    let config = temp_config(
        "move-archive.hcl",
        r#"
tenant "mysql_tenant" {
  log_archive {
    enabled     = true
    destination = "file:///data/nfs/backup/mysql_tenant/archive-2"
  }
}
"#,
    );
    let dsn = sim.dsn("sys");

    let refused = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert_contains(&refused.stderr, "--allow-hazards");
    assert_contains(&refused.stdout, "archive_gap");
    assert!(
        sent_alters(&sim).is_empty(),
        "nothing may run when hazards are refused"
    );

    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .allow_hazards()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let statements = sent(&sim);
    let position = |needle: &str| {
        statements
            .iter()
            .position(|s| s.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not sent: {statements:#?}"))
    };
    let stop = position("ALTER SYSTEM NOARCHIVELOG TENANT = 'mysql_tenant'");
    let set =
        position("SET LOG_ARCHIVE_DEST = 'LOCATION=file:///data/nfs/backup/mysql_tenant/archive-2");
    let start_again = position("ALTER SYSTEM ARCHIVELOG TENANT = 'mysql_tenant'");
    assert!(stop < set && set < start_again, "{statements:#?}");
    let polls_between = statements[stop..set]
        .iter()
        .filter(|s| s.contains("CDB_OB_ARCHIVELOG"))
        .count();
    assert!(
        polls_between >= 1,
        "the STOP wait must poll between NOARCHIVELOG and the SET: {statements:#?}"
    );
    let journal = sim.journal();
    assert!(
        journal
            .iter()
            .all(|e| e.outcome == obsim::server::Outcome::Ok),
        "no statement may fail: {journal:#?}"
    );
}

/// A failed step skips only what depends on it: the other tenants' archive
/// is still turned on, the failed tenant's ARCHIVELOG and wait are skipped
/// naming the step that blocked them, and the run exits 1.
#[test]
fn a_failing_step_skips_its_dependents_and_other_tenants_still_run() {
    let sim = start("empty-4.2.json");
    let config = temp_config("fault.hcl", EVERY_TENANT);
    sim.fail_next(
        "LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/mysql_tenant",
        9026,
        "backup destination is not valid",
    );
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .fast()
        .run();
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert_contains(&apply.stdout, "FAILED");
    assert_contains(
        &apply.stdout,
        "depends on tenant.mysql_tenant:set_log_archive_dest",
    );
    assert!(
        !apply.stdout.contains("run stopped at"),
        "independent steps are not stopped: {}",
        apply.stdout
    );
    assert_contains(&apply.stderr, "9026");
    let alters = sent_alters(&sim);
    for tenant in ["app_tenant", "oracle_tenant"] {
        assert!(
            alters.contains(&format!("ALTER SYSTEM ARCHIVELOG TENANT = '{tenant}'")),
            "{tenant}'s branch still runs: {alters:#?}"
        );
    }
    assert!(
        !alters.contains(&"ALTER SYSTEM ARCHIVELOG TENANT = 'mysql_tenant'".to_string()),
        "the failed tenant's ARCHIVELOG depends on its destination: {alters:#?}"
    );
}

#[test]
fn a_dropped_connection_fails_the_step_clearly() {
    let sim = start("empty-4.2.json");
    let config = temp_config("drop.hcl", EVERY_TENANT);
    sim.drop_next("ARCHIVELOG TENANT = 'app_tenant'");
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .fast()
        .run();
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert_contains(&apply.stderr, "may or may not have taken effect");
    // A lost connection stops the run: later independent steps are not launched.
    assert_contains(&apply.stdout, "run stopped at tenant.app_tenant:archivelog");
}

#[test]
fn data_destination_change_with_a_running_job_cancels_and_waits_first() {
    let sim = start("documented-4.2.json");
    let config = temp_config(
        "move-data.hcl",
        "tenant \"mysql_tenant\" {\n  data_backup { destination = \"file:///data/nfs/backup/mysql_tenant/data-2\" }\n}\n",
    );
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .format("json")
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let value: serde_json::Value = serde_json::from_str(&plan.stdout).expect("JSON");
    let kinds: Vec<&str> = value["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        [
            "tenant.mysql_tenant:cancel_backup",
            "tenant.mysql_tenant:wait_backup_jobs_gone",
            "tenant.mysql_tenant:set_data_backup_dest"
        ]
    );
    assert_eq!(value["steps"][0]["hazards"][0]["kind"], "backup_canceled");

    let refused = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(refused.code, 1);
    assert!(sent_alters(&sim).is_empty());

    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .allow_hazards()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        sent_alters(&sim),
        [
            "ALTER SYSTEM CANCEL BACKUP TENANT = 'mysql_tenant'",
            "ALTER SYSTEM SET DATA_BACKUP_DEST = 'file:///data/nfs/backup/mysql_tenant/data-2' TENANT = 'mysql_tenant'"
        ]
    );
}

#[test]
fn a_canary_secret_appears_in_no_output() {
    let canary = "CANARY-s3cr3t-7f1e";
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "secret.hcl",
        r#"
tenant "app_tenant" {
  log_archive {
    enabled     = true
    destination = "oss://bucket/app/archive?host=oss.example.com&access_id=${env("OSS_ID")}&access_key=${env("OSS_KEY")}"
  }
  data_backup {
    destination = "oss://bucket/app/data?host=oss.example.com&access_id=${env("OSS_ID")}&access_key=${env("OSS_KEY")}"
  }
}
"#,
    );
    let env = [("OSS_ID", "id-1"), ("OSS_KEY", canary)];
    let dsn = sim.dsn("sys");
    let mut outputs = Vec::new();
    outputs.push(Invocation::new(&["validate", &config]).envs(&env).run());
    outputs.push(
        Invocation::new(&["plan", &config])
            .dsn(&dsn)
            .envs(&env)
            .run(),
    );
    outputs.push(
        Invocation::new(&["plan", &config])
            .dsn(&dsn)
            .format("json")
            .envs(&env)
            .run(),
    );
    sim.fail_next(
        "DATA_BACKUP_DEST",
        9081,
        "the content of the format file at the destination does not match",
    );
    outputs.push(
        Invocation::new(&["apply", &config])
            .dsn(&dsn)
            .auto_approve()
            .fast()
            .envs(&env)
            .run(),
    );
    outputs.push(
        Invocation::new(&["apply", &config])
            .dsn(&dsn)
            .auto_approve()
            .fast()
            .envs(&env)
            .run(),
    );
    outputs.push(
        Invocation::new(&["drift", &config])
            .dsn(&dsn)
            .format("json")
            .envs(&env)
            .run(),
    );
    assert_eq!(outputs[4].code, 0, "{}", outputs[4].all());
    for out in &outputs {
        assert!(!out.all().contains(canary), "canary leaked:\n{}", out.all());
    }
    assert!(
        outputs[1].stdout.contains("access_key=(sensitive)"),
        "{}",
        outputs[1].stdout
    );
    // The server did receive the real key: redaction is on output only.
    assert!(sent(&sim).iter().any(|s| s.contains(canary)));
}

#[test]
fn literal_credentials_and_unset_variables_are_refused_before_connecting() {
    let config = temp_config(
        "literal.hcl",
        "tenant \"t\" {\n  log_archive { destination = \"oss://b/p?host=h&access_id=AKID&access_key=plain-key\" }\n}\n",
    );
    let out = Invocation::new(&["validate", &config]).run();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("credential `access_id` is written literally"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains("plain-key"), "{}", out.all());
    assert!(!out.all().contains("AKID"), "{}", out.all());

    let unset = temp_config(
        "unset.hcl",
        "tenant \"t\" {\n  log_archive { destination = \"oss://b/p?host=h&access_id=${env(\"OBB_TEST_UNSET_ID\")}&access_key=${env(\"OBB_TEST_UNSET_KEY\")}\" }\n}\n",
    );
    let out = Invocation::new(&["validate", &unset, "--require-env"]).run();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("environment variable `OBB_TEST_UNSET_KEY` is not set"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("environment variable `OBB_TEST_UNSET_ID` is not set"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_number_of_queries_does_not_grow_with_tenants() {
    let config = temp_config("scale.hcl", EVERY_TENANT);
    let mut counts = Vec::new();
    for fixture in ["scale-3.json", "scale-300.json"] {
        let sim = start(fixture);
        let plan = Invocation::new(&["plan", &config])
            .dsn(&sim.dsn("sys"))
            .detailed_exitcode()
            .run();
        assert_eq!(plan.code, 2, "{}", plan.all());
        counts.push(sent(&sim).len());
    }
    assert_eq!(counts[0], counts[1], "queries for 3 and 300 tenants");
    let reads = obbackup_planner::sql::Read::TENANT_LEVEL.len();
    assert!(
        counts[0] <= reads + 2,
        "the server and login queries and {reads} reads: {counts:?}"
    );
}

#[test]
fn tenants_the_cluster_does_not_have_are_named() {
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "unknown.hcl",
        "tenant \"mysql_tenat\" {\n  data_backup { concurrency = 1 }\n}\n",
    );
    let out = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(out.code, 1);
    assert_contains(&out.stderr, "tenant `mysql_tenat` does not exist");
    assert_contains(&out.stderr, "did you mean `mysql_tenant`");
}

#[test]
fn a_server_before_4_1_is_refused_with_its_version() {
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(
            r#"{"version": "4.0.0.0", "tenants": [{"id": 1002, "name": "t"}]}"#,
        )
        .expect("starts"),
    );
    let config = temp_config("old.hcl", EVERY_TENANT);
    let out = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(out.code, 1);
    assert_contains(&out.stderr, "OceanBase 4.0.0.0 is not supported");
}

#[test]
fn a_login_without_read_access_gets_a_privilege_error() {
    let fixture = r#"{"version": "4.2.2.1", "tenants": [{"id": 1002, "name": "t"}],
        "users": [{"tenant": "sys", "user": "reader", "password": "pw", "privilege": "none"}]}"#;
    let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(fixture).expect("starts"));
    let config = temp_config("reader.hcl", EVERY_TENANT);
    let dsn = format!("mysql://reader%40sys:pw@{}", sim.addr());
    let out = Invocation::new(&["plan", &config]).dsn(&dsn).run();
    assert_eq!(out.code, 1);
    assert_contains(&out.stderr, "may not read oceanbase.DBA_OB_TENANTS");
    let wrong = format!("mysql://reader%40sys:nope@{}", sim.addr());
    let out = Invocation::new(&["plan", &config]).dsn(&wrong).run();
    assert_eq!(out.code, 1);
    assert_contains(&out.stderr, "cannot connect");
    assert!(
        !out.stderr.contains("nope"),
        "password leaked: {}",
        out.stderr
    );
}

#[test]
fn a_user_tenant_login_manages_itself_without_tenant_clauses() {
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "self.hcl",
        "tenant \"app_tenant\" {\n  log_archive {\n    enabled = true\n    destination = \"file:///nfs/self/archive\"\n  }\n}\n",
    );
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("app_tenant"))
        .auto_approve()
        .fast_polls()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        sent_alters(&sim),
        [
            "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/self/archive BINDING=OPTIONAL PIECE_SWITCH_INTERVAL=1d'",
            "ALTER SYSTEM ARCHIVELOG"
        ]
    );
    let other = temp_config(
        "other.hcl",
        "tenant \"mysql_tenant\" {\n  data_backup { concurrency = 1 }\n}\n",
    );
    let out = Invocation::new(&["plan", &other])
        .dsn(&sim.dsn("app_tenant"))
        .run();
    assert_eq!(out.code, 1);
    assert_contains(&out.stderr, "can manage only itself");
}

#[test]
fn plan_output_is_byte_identical_across_runs() {
    let sim = start("documented-4.2.json");
    let config = temp_config("stable.hcl", EVERY_TENANT);
    let first = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .format("json")
        .run();
    let second = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .format("json")
        .run();
    assert_eq!(first.code, 0, "{}", first.all());
    // The checkpoint moves while archiving, so compare without the fingerprint.
    let strip = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).expect("JSON");
        v["live_fingerprint"] = serde_json::Value::Null;
        v.to_string()
    };
    assert_eq!(strip(&first.stdout), strip(&second.stdout));
    let human1 = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    let human2 = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(human1.stdout, human2.stdout);
}

#[test]
fn an_interrupted_round_is_restarted_with_its_hazard() {
    let fixture = r#"{"version": "4.2.2.1", "tenants": [{"id": 1002, "name": "t", "log_mode": "ARCHIVELOG",
        "archive_dest": {"path": "file:///nfs/t/archive", "dest_id": 1002},
        "archive_round": {"round_id": 4, "status": "INTERRUPTED"}}],
        "delays_ms": {"archive_prepare": 20, "archive_beginning": 40, "archive_stopping": 40}}"#;
    let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(fixture).expect("starts"));
    let config = temp_config(
        "interrupted.hcl",
        "tenant \"t\" {\n  log_archive {\n    enabled = true\n    destination = \"file:///nfs/t/archive\"\n  }\n}\n",
    );
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config]).dsn(&dsn).run();
    assert_contains(&plan.stdout, "~ tenant.t.log_archive.round");
    assert_contains(&plan.stdout, "[archive_gap]");
    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .allow_hazards()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        sent_alters(&sim),
        [
            "ALTER SYSTEM NOARCHIVELOG TENANT = 't'",
            "ALTER SYSTEM ARCHIVELOG TENANT = 't'"
        ]
    );
    let rows = query_rows(
        &sim,
        "sys",
        "SELECT ROUND_ID, STATUS FROM oceanbase.CDB_OB_ARCHIVELOG WHERE TENANT_ID = 1002",
    );
    assert_eq!(
        rows[0],
        vec![Some("5".into()), Some("DOING".into())],
        "a new round"
    );
}

/// A tenant name carrying an ANSI escape reaches the terminal escaped, never
/// raw: the plan names it `\u{1b}`.
#[test]
fn server_text_is_printed_with_control_characters_escaped() {
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(
            r#"{"version": "4.2.2.1", "tenants": [{"id": 1002, "name": "evil\u001b[31mred"}]}"#,
        )
        .expect("starts"),
    );
    let config = temp_config(
        "escape.hcl",
        "tenant \"*\" {\n  data_backup { concurrency = 4 }\n}\n",
    );
    for format in ["human", "markdown", "json"] {
        let out = Invocation::new(&["plan", &config])
            .dsn(&sim.dsn("sys"))
            .format(format)
            .run();
        assert_eq!(out.code, 0, "{format}: {}", out.all());
        assert!(
            !out.all().contains('\u{1b}'),
            "{format}: raw escape in {:?}",
            out.all()
        );
        assert!(out.stdout.contains("evil"), "{format}: {}", out.stdout);
    }
    let out = Invocation::new(&["status"]).dsn(&sim.dsn("sys")).run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(!out.all().contains('\u{1b}'), "status: {:?}", out.all());
    assert_contains(&out.stdout, "evil\\u{1b}[31mred");
}

/// SIGINT and SIGTERM during an apply stop it cleanly: the running wait is
/// abandoned and reported, later steps are reported as not run, and the exit
/// code is 130 or 143.
#[test]
fn an_interrupted_apply_reports_what_ran_and_what_did_not() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let sim = start("empty-4.2.json");
        // The rounds never reach DOING: the apply sits in its first wait.
        sim.stall("BEGINNING");
        // A full backup is due, so backup steps follow the waits and are not run.
        let config = temp_config(
            "interrupt.hcl",
            &EVERY_TENANT.replace(
                "data_backup { destination = \"file:///nfs/${tenant.name}/data\" }",
                "data_backup {\n    destination = \"file:///nfs/${tenant.name}/data\"\n    full { max_age = \"7d\" }\n  }",
            ),
        );
        let child = std::process::Command::new(obbackup_tests::binary())
            .current_dir(obbackup_tests::root())
            .args(["apply", &config, "--dsn", &sim.dsn("sys"), "--auto-approve"])
            .args(["--poll-interval-ms", "20"])
            .env_remove("OBBACKUP_DSN")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        let pid = child.id().to_string();
        // Wait until the apply polls the archive after its ARCHIVELOG
        // statements (it sits in its first wait), then signal it.
        let polling = |sent: Vec<String>| {
            sent.iter()
                .position(|s| s.starts_with("ALTER SYSTEM ARCHIVELOG"))
                .is_some_and(|first| {
                    sent[first..]
                        .iter()
                        .filter(|s| s.contains("CDB_OB_ARCHIVELOG"))
                        .count()
                        >= 2
                })
        };
        let started = std::time::Instant::now();
        while !polling(sent(&sim)) {
            assert!(
                started.elapsed().as_secs() < 20,
                "the apply never started waiting"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let killed = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let out = child.wait_with_output().expect("ends");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{signal}:\n{stdout}\n{stderr}"
        );
        assert_contains(&stdout, "INTERRUPTED");
        assert_contains(&stdout, "not run");
        assert_contains(&stdout, "  ok ");
        assert_contains(&stderr, "Apply interrupted");
    }
}

/// The same declarations on every fixture build: apply, then the plan is
/// empty and drift finds nothing. 4.x builds take the settings every 4.1+
/// build has; 4.2.1.2 and later also take every versioned one.
#[test]
fn apply_converges_on_every_fixture_build() {
    let common = "tenant \"*\" {\n  log_archive {\n    enabled     = true\n    destination = \"file:///nfs/${tenant.name}/archive\"\n    concurrency = 2\n  }\n  data_backup {\n    destination = \"file:///nfs/${tenant.name}/data\"\n    concurrency = 8\n  }\n}\n";
    let versioned = "tenant \"*\" {\n  log_archive {\n    enabled     = true\n    destination = \"file:///nfs/${tenant.name}/archive\"\n    concurrency = 0\n    lag_target  = \"2m\"\n  }\n  data_backup {\n    destination = \"file:///nfs/${tenant.name}/data\"\n    concurrency = 8\n    file_size   = \"2G\"\n  }\n}\n";
    let cluster = "cluster {\n  backup_dest = \"file:///nfs/ob3/backup\"\n  log_archive { enabled = true }\n}\n";
    for (fixture, config) in [
        ("empty-4.1.0.0.json", common),
        ("empty-4.2.1.1.json", common),
        ("empty-4.2.1.2.json", versioned),
        ("empty-4.2.json", versioned),
        ("empty-4.3.1.0.json", versioned),
        ("empty-3.1.5.json", cluster),
        ("empty-3.2.json", cluster),
    ] {
        let sim = start(fixture);
        let file = temp_config(&format!("builds-{fixture}.hcl"), config);
        let dsn = sim.dsn("sys");
        let apply = Invocation::new(&["apply", &file])
            .dsn(&dsn)
            .auto_approve()
            .fast()
            .run();
        assert_eq!(apply.code, 0, "{fixture}:\n{}", apply.all());
        let again = Invocation::new(&["plan", &file])
            .dsn(&dsn)
            .detailed_exitcode()
            .run();
        assert_eq!(again.code, 0, "{fixture}: not converged:\n{}", again.all());
        assert_eq!(
            Invocation::new(&["drift", &file]).dsn(&dsn).run().code,
            0,
            "{fixture}"
        );
    }
}

/// Item 4 of the build fidelity work: destinations converge as each build
/// stores them. OceanBase rebuilds an object-storage destination in its own
/// order and, from 4.3.1, adds `checksum_type=md5`; an attribute it would drop
/// is refused before anything is sent.
#[test]
fn object_storage_destinations_converge_on_each_build() {
    let config = temp_config(
        "oss-builds.hcl",
        "tenant \"*\" {\n  log_archive {\n    enabled     = true\n    destination = \"oss://bucket/${tenant.name}/archive?access_key=${env(\"OSS_KEY\")}&host=oss.example.com&access_id=${env(\"OSS_ID\")}\"\n  }\n  data_backup {\n    destination = \"oss://bucket/${tenant.name}/data?delete_mode=tagging&host=oss.example.com&access_id=${env(\"OSS_ID\")}&access_key=${env(\"OSS_KEY\")}\"\n  }\n}\n",
    );
    let env = [("OSS_ID", "id-1"), ("OSS_KEY", "key-1")];
    for fixture in ["empty-4.2.json", "empty-4.3.1.0.json"] {
        let sim = start(fixture);
        let dsn = sim.dsn("sys");
        let apply = Invocation::new(&["apply", &config])
            .dsn(&dsn)
            .envs(&env)
            .auto_approve()
            .fast()
            .run();
        assert_eq!(apply.code, 0, "{fixture}: {}", apply.all());
        let again = Invocation::new(&["plan", &config])
            .dsn(&dsn)
            .envs(&env)
            .detailed_exitcode()
            .run();
        assert_eq!(again.code, 0, "{fixture}: not converged: {}", again.all());
    }
    // What 4.3.1 stores: its order, and a checksum type nobody wrote.
    let sim = start("empty-4.3.1.0.json");
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("sys"))
        .envs(&env)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let stored = query_rows(
        &sim,
        "sys",
        "SELECT VALUE FROM oceanbase.CDB_OB_BACKUP_PARAMETER WHERE NAME = 'data_backup_dest' AND TENANT_ID = 1002",
    );
    assert_eq!(
        stored[0][0].as_deref(),
        Some(
            "oss://bucket/mysql_tenant/data?host=oss.example.com&access_id=id-1&access_key=key-1&checksum_type=md5&delete_mode=tagging"
        )
    );
    let dropped = temp_config(
        "oss-unknown.hcl",
        "tenant \"app_tenant\" {\n  data_backup {\n    destination = \"oss://bucket/d?host=h&access_id=${env(\"OSS_ID\")}&access_key=${env(\"OSS_KEY\")}&region=x\"\n  }\n}\n",
    );
    let refused = Invocation::new(&["validate", &dropped]).envs(&env).run();
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert_contains(&refused.stderr, "is not an attribute OceanBase keeps");
}

/// F11: during a rolling upgrade (`min_observer_version` below 4.2.1.0 on a
/// 4.2.1+ server) OceanBase refuses `TENANT = all_user` (1235), so the plan
/// sets each tenant on its own and says why; once upgraded, one statement.
#[test]
fn a_rolling_upgrade_sets_parameters_tenant_by_tenant() {
    let config = temp_config(
        "rolling-upgrade.hcl",
        "tenant \"*\" {\n  log_archive { concurrency = 3 }\n}\n",
    );
    let path = obbackup_tests::root().join("fixtures/live/empty-4.2.json");
    let mut fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    for (min, all_user) in [("4.2.0.0", false), ("4.2.1.0", true)] {
        fixture["min_observer_version"] = serde_json::json!(min);
        let sim = obbackup_tests::Sim(
            obsim::Simulator::start_in_thread(&fixture.to_string()).expect("starts"),
        );
        let dsn = sim.dsn("sys");
        let plan = Invocation::new(&["plan", &config]).dsn(&dsn).run();
        assert_eq!(plan.code, 0, "{min}: {}", plan.all());
        assert_eq!(
            plan.stdout.contains("TENANT = all_user;"),
            all_user,
            "{min}: {}",
            plan.stdout
        );
        if !all_user {
            assert_contains(
                &plan.stdout,
                "min_observer_version is 4.2.0.0 (a rolling upgrade)",
            );
        }
        let apply = Invocation::new(&["apply", &config])
            .dsn(&dsn)
            .auto_approve()
            .fast()
            .run();
        assert_eq!(apply.code, 0, "{min}: {}", apply.all());
        let again = Invocation::new(&["plan", &config])
            .dsn(&dsn)
            .detailed_exitcode()
            .run();
        assert_eq!(again.code, 0, "{min}: not converged: {}", again.all());
    }
    // What the plan avoids: OceanBase's answer to all_user mid-upgrade.
    fixture["min_observer_version"] = serde_json::json!("4.2.0.0");
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(&fixture.to_string()).expect("starts"),
    );
    assert_eq!(
        query_rows(
            &sim,
            "sys",
            "SELECT VALUE FROM oceanbase.GV$OB_PARAMETERS WHERE NAME = 'min_observer_version' AND TENANT_ID IS NULL"
        )[0][0]
            .as_deref(),
        Some("4.2.0.0")
    );
    let refused = sim.execute_as(
        "sys",
        "ALTER SYSTEM SET log_archive_concurrency = 3 TENANT = all_user",
    );
    assert!(matches!(&refused, Err(e) if e.code == 1235), "{refused:?}");
}

/// A drop after a statement has run leaves its effect; a drop before it does
/// not. `skip` lets the first matching statement through in both cases.
#[test]
fn a_drop_after_a_statement_keeps_its_effect_and_a_drop_before_does_not() {
    for after in [false, true] {
        let sim = start("empty-4.2.json");
        let config = temp_config("drop-after.hcl", EVERY_TENANT);
        sim.drop_at("ARCHIVELOG TENANT", 1, after);
        let apply = Invocation::new(&["apply", &config])
            .dsn(&sim.dsn("sys"))
            .auto_approve()
            .fast()
            .run();
        assert_eq!(apply.code, 1, "{}", apply.all());
        let archivelog: Vec<_> = sim
            .journal()
            .into_iter()
            .filter(|e| e.sql.contains("ARCHIVELOG TENANT"))
            .collect();
        assert_eq!(archivelog.len(), 2, "{archivelog:?}");
        assert_eq!(archivelog[0].outcome, obsim::server::Outcome::Ok);
        let expected = if after {
            obsim::server::Outcome::DroppedAfter
        } else {
            obsim::server::Outcome::Dropped
        };
        assert_eq!(archivelog[1].outcome, expected);
        let tenant = archivelog[1]
            .sql
            .rsplit('\'')
            .nth(1)
            .expect("a quoted tenant name");
        let mode = match sim
            .execute_as(
                "sys",
                &format!("SELECT LOG_MODE FROM DBA_OB_TENANTS WHERE TENANT_NAME = '{tenant}'"),
            )
            .expect("query runs")
        {
            obsim::cluster::Reply::Rows { rows, .. } => rows[0][0].clone(),
            other => panic!("no rows: {other:?}"),
        };
        let want = if after { "ARCHIVELOG" } else { "NOARCHIVELOG" };
        assert_eq!(mode.as_deref(), Some(want), "{tenant}, after = {after}");
    }
}

/// Waits of many tenants share their polls: moving 40 tenants' archives
/// (NOARCHIVELOG, wait for STOP, SET LOG_ARCHIVE_DEST, ARCHIVELOG, wait for
/// DOING) sends 3 statements per tenant, and every poll of a wait reads all
/// the waiting tenants at once, never one tenant.
#[test]
fn waits_of_many_tenants_share_one_poll_per_round() {
    let tenants: Vec<serde_json::Value> = (0..40)
        .map(|n| {
            let id = 1002 + 2 * n;
            serde_json::json!({
                "id": id,
                "name": format!("t{n}"),
                "log_mode": "ARCHIVELOG",
                "archive_dest": {
                    "path": format!("file:///nfs/old/t{n}/archive"),
                    "binding": "OPTIONAL", "piece_switch_interval": "1d",
                    "state": "ENABLE", "dest_id": id
                },
                "archive_round": { "round_id": 1, "status": "DOING" }
            })
        })
        .collect();
    let fixture = temp_config(
        "forty.json",
        &serde_json::json!({ "version": "4.2.2.1", "tenants": tenants }).to_string(),
    );
    let sim = start(&fixture);
    let config = temp_config(
        "forty.hcl",
        "tenant \"*\" {\n  log_archive {\n    enabled     = true\n    destination = \"file:///nfs/new/${tenant.name}/archive\"\n  }\n}\n",
    );
    let before = sent(&sim).len();
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .allow_hazards()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let statements = sent(&sim)[before..].to_vec();
    let alters = statements
        .iter()
        .filter(|s| s.starts_with("ALTER SYSTEM"))
        .count();
    assert_eq!(alters, 3 * 40, "{statements:#?}");
    // The polls of the waits (the reads of the plan have no tenant filter).
    let polls: Vec<&String> = statements
        .iter()
        .filter(|s| s.contains("FROM oceanbase.CDB_OB_ARCHIVELOG WHERE DEST_NO = 0 AND"))
        .collect();
    assert!(
        polls.iter().all(|p| p.contains("TENANT_ID IN (")),
        "{polls:#?}"
    );
    // The first poll of each wait (for STOP, for DOING) reads all 40.
    assert!(
        polls
            .iter()
            .filter(|p| p
                .split_once("IN (")
                .is_some_and(|(_, ids)| ids.split(", ").count() == 40))
            .count()
            >= 2,
        "{polls:#?}"
    );
    assert!(polls.len() < 40, "{} polls: {polls:#?}", polls.len());
    // The reads before and after (plan, convergence check) are a constant;
    // everything else is the 3 statements per tenant and the shared polls.
    assert!(
        statements.len() <= 3 * 40 + 60,
        "{} statements: {statements:#?}",
        statements.len()
    );
}

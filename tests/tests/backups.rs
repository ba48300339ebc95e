//! Data backups end to end: freshness declared in HCL, backups planned only
//! where needed, followed to their end, encryption, one-shot backup and cancel,
//! and status (reference §2.3, §2.5 B, E).

use obbackup_tests::{
    Invocation, assert_contains, query_rows, sent, sent_alters, start, temp_config,
};

const POLICY: &str = r#"
defaults {
  data_backup {
    full { max_age = "7d" }
    incremental { max_age = "1d" }
  }
}
tenant "*" {}
"#;

fn history(sim: &obsim::Simulator, tenant: &str) -> Vec<Vec<Option<String>>> {
    let sql = format!(
        "SELECT h.BACKUP_TYPE, h.STATUS, h.ENCRYPTION_MODE, h.PASSWD FROM oceanbase.CDB_OB_BACKUP_JOB_HISTORY h JOIN oceanbase.DBA_OB_TENANTS t ON t.TENANT_ID = h.TENANT_ID WHERE t.TENANT_NAME = '{tenant}' ORDER BY h.JOB_ID"
    );
    query_rows(sim, "sys", &sql)
}

#[test]
fn stale_tenants_get_exactly_one_backup_each_and_fresh_ones_none() {
    let sim = start("history-4.2.json");
    let config = temp_config("policy.hcl", POLICY);
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .format("json")
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let value: serde_json::Value = serde_json::from_str(&plan.stdout).expect("JSON");
    let steps: Vec<&str> = value["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "tenant.moved_dest:backup_full",
            "tenant.never_backed_up:backup_full",
            "tenant.stale_full:backup_full"
        ],
        "{}",
        plan.stdout
    );
    let changes: Vec<(String, String)> = value["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap_or("").to_string(),
                c["before"].as_str().unwrap_or("none").to_string(),
            )
        })
        .collect();
    assert!(
        changes.contains(&(
            "tenant.stale_full.data_backup.full".into(),
            "last full 9d 0h ago".into()
        )),
        "{changes:?}"
    );
    assert!(
        !changes.iter().any(|(a, _)| a.starts_with("tenant.fresh.")),
        "{changes:?}"
    );
    assert!(
        value["notes"].as_array().expect("notes").iter().any(|n| n
            .as_str()
            .unwrap_or("")
            .contains("moved_dest: the incremental is planned as a full")),
        "{}",
        plan.stdout
    );

    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .wait()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let backups: Vec<String> = sent_alters(&sim)
        .into_iter()
        .filter(|s| s.contains("BACKUP"))
        .collect();
    assert_eq!(
        backups,
        [
            "ALTER SYSTEM BACKUP TENANT = 'moved_dest'",
            "ALTER SYSTEM BACKUP TENANT = 'never_backed_up'",
            "ALTER SYSTEM BACKUP TENANT = 'stale_full'"
        ]
    );
    assert_eq!(
        history(&sim, "never_backed_up"),
        vec![vec![
            Some("FULL".into()),
            Some("COMPLETED".into()),
            Some("NONE".into()),
            Some(String::new())
        ]]
    );
    let drift = Invocation::new(&["drift", &config]).dsn(&dsn).run();
    assert_eq!(drift.code, 0, "{}", drift.all());
}

#[test]
fn drift_names_freshness_violations_and_status_shows_them() {
    let sim = start("history-4.2.json");
    let config = temp_config("policy-drift.hcl", POLICY);
    let dsn = sim.dsn("sys");
    let drift = Invocation::new(&["drift", &config]).dsn(&dsn).run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert_contains(&drift.stdout, "tenant.stale_full.data_backup.full");
    assert!(
        drift
            .stdout
            .contains("data_backup.full: last full 9d 0h ago → max_age 7d"),
        "{}",
        drift.stdout
    );
    let status = Invocation::new(&["status", &config])
        .dsn(&dsn)
        .format("json")
        .run();
    assert_eq!(status.code, 0, "{}", status.all());
    let value: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    obbackup_tests::assert_schema("status.schema.json", &value);
    let fresh = value["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["tenant"] == "fresh")
        .expect("fresh")
        .clone();
    assert_eq!(
        fresh["last_full_age_seconds"].as_i64().map(|s| s / 3600),
        Some(30)
    );
    assert_eq!(
        fresh["last_backup_age_seconds"].as_i64().map(|s| s / 3600),
        Some(3),
        "a FAILED job is not a backup"
    );
    assert_eq!(fresh["violations"], serde_json::json!([]));
    let human = Invocation::new(&["status", &config]).dsn(&dsn).run();
    assert!(
        human
            .stdout
            .contains("! data_backup.full: last full 9d 0h ago, max_age 7d"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_failed_backup_job_fails_apply_naming_it() {
    let sim = start("history-4.2.json");
    let config = temp_config(
        "policy-fail.hcl",
        "tenant \"stale_full\" {\n  data_backup {\n    full { max_age = \"7d\" }\n  }\n}\n",
    );
    sim.fail_next_backup("stale_full", -4012, "injected: backup destination full");
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .wait()
        .fast()
        .run();
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert_contains(
        &apply.stdout,
        "backup job 3 (FULL) ended FAILED: RESULT -4012 COMMENT \"injected: backup destination full\"",
    );
    assert_contains(&apply.stderr, "backup job 3 (FULL) ended FAILED");
}

#[test]
fn encryption_reaches_the_job_row_and_the_password_appears_nowhere() {
    let password = "CANARY-backup-pw-31f";
    let sim = start("history-4.2.json");
    let config = temp_config(
        "encrypted.hcl",
        r#"
tenant "never_backed_up" {
  data_backup {
    full { max_age = "7d" }
    encryption { password = env("OBB_BACKUP_PW") }
  }
}
tenant "stale_full" {
  data_backup {
    full { max_age = "7d" }
  }
}
"#,
    );
    let env = [("OBB_BACKUP_PW", password)];
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .envs(&env)
        .run();
    assert!(
        plan.stdout
            .contains("SET ENCRYPTION ON IDENTIFIED BY '(sensitive)' ONLY"),
        "{}",
        plan.stdout
    );
    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .wait()
        .fast()
        .envs(&env)
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    for out in [&plan, &apply] {
        assert!(
            !out.all().contains(password),
            "password leaked:\n{}",
            out.all()
        );
    }
    let statements = sent(&sim);
    let plain = statements
        .iter()
        .position(|s| s == "ALTER SYSTEM BACKUP TENANT = 'stale_full'")
        .expect("plain backup");
    let set = statements
        .iter()
        .position(|s| s.starts_with("SET ENCRYPTION"))
        .expect("encryption");
    let encrypted = statements
        .iter()
        .position(|s| s == "ALTER SYSTEM BACKUP TENANT = 'never_backed_up'")
        .expect("encrypted backup");
    assert!(
        plain < set && set < encrypted,
        "unencrypted backups run before SET ENCRYPTION: {statements:#?}"
    );
    let rows = history(&sim, "never_backed_up");
    assert_eq!(rows[0][2].as_deref(), Some("PASSWORD"));
    use sha1::Digest;
    let digest: String = sha1::Sha1::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(
        rows[0][3].as_deref(),
        Some(digest.as_str()),
        "the real password reached the server"
    );
    assert_eq!(
        history(&sim, "stale_full")
            .last()
            .and_then(|r| r[2].clone())
            .as_deref(),
        Some("NONE")
    );
}

#[test]
fn one_shot_backup_and_cancel() {
    let sim = start("history-4.2.json");
    let dsn = sim.dsn("sys");
    let refused = Invocation::new(&["backup", "full", "--tenant", "nope"])
        .dsn(&dsn)
        .run();
    assert_eq!(refused.code, 1);
    assert_contains(&refused.stderr, "tenant nope does not exist");
    let done = Invocation::new(&[
        "backup",
        "incremental",
        "--tenant",
        "fresh",
        "--plus-archivelog",
    ])
    .wait()
    .dsn(&dsn)
    .fast()
    .run();
    assert_eq!(done.code, 0, "{}", done.all());
    assert_eq!(
        sent_alters(&sim),
        ["ALTER SYSTEM BACKUP INCREMENTAL TENANT = 'fresh' PLUS ARCHIVELOG"]
    );
    assert_eq!(
        history(&sim, "fresh")
            .last()
            .and_then(|r| r[0].clone())
            .as_deref(),
        Some("INC")
    );

    let nothing = Invocation::new(&["backup", "cancel", "--tenant", "fresh"])
        .dsn(&dsn)
        .run();
    assert_eq!(nothing.code, 0, "{}", nothing.all());
    assert_contains(&nothing.stdout, "nothing to cancel");

    sim.stall("DOING");
    assert_eq!(
        Invocation::new(&["backup", "full", "--tenant", "stale_full"])
            .dsn(&dsn)
            .run()
            .code,
        0
    );
    let busy = Invocation::new(&["backup", "full", "--tenant", "stale_full"])
        .dsn(&dsn)
        .run();
    assert_eq!(busy.code, 1);
    // Its job, or (before OceanBase creates it) the sys job that will.
    assert!(
        busy.stderr.contains("is running") || busy.stderr.contains("is under way"),
        "{}",
        busy.stderr
    );
    sim.clear_journal();
    // Canceling is a hazard: nobody can be asked here, so without --auto-approve nothing runs.
    let refused = Invocation::new(&["backup", "cancel", "--tenant", "stale_full"])
        .dsn(&dsn)
        .run();
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert_contains(&refused.stderr, "nobody can be asked");
    assert!(
        sent_alters(&sim).is_empty(),
        "nothing may be canceled unasked"
    );
    let cancel = Invocation::new(&["backup", "cancel", "--tenant", "stale_full"])
        .auto_approve()
        .wait()
        .dsn(&dsn)
        .fast()
        .run();
    sim.resume("DOING");
    assert_eq!(cancel.code, 0, "{}", cancel.all());
    assert_eq!(
        sent_alters(&sim),
        ["ALTER SYSTEM CANCEL BACKUP TENANT = 'stale_full'"]
    );
    assert_eq!(
        history(&sim, "stale_full")
            .last()
            .and_then(|r| r[1].clone())
            .as_deref(),
        Some("CANCELED")
    );
}

#[test]
fn a_user_tenant_login_backs_itself_up_with_backup_database() {
    let sim = start("history-4.2.json");
    let config = temp_config(
        "self-backup.hcl",
        "tenant \"stale_full\" {\n  data_backup {\n    full { max_age = \"7d\" }\n    plus_archivelog = true\n  }\n}\n",
    );
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("stale_full"))
        .auto_approve()
        .wait()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        sent_alters(&sim),
        ["ALTER SYSTEM BACKUP DATABASE PLUS ARCHIVELOG"]
    );
}

#[test]
fn plus_archivelog_before_4_2_is_refused_at_the_attribute() {
    let fixture = r#"{"version": "4.1.0.2", "tenants": [{"id": 1002, "name": "t", "log_mode": "ARCHIVELOG",
        "archive_dest": {"path": "file:///nfs/t/a", "dest_id": 1002}, "archive_round": {"round_id": 1, "status": "DOING"},
        "data_backup_dest": "file:///nfs/t/d"}]}"#;
    let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(fixture).expect("starts"));
    let config = temp_config(
        "plus-old.hcl",
        "tenant \"t\" {\n  data_backup {\n    full { max_age = \"7d\" }\n    plus_archivelog = true\n  }\n}\n",
    );
    let out = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(out.code, 1);
    assert_contains(&out.stderr, "PLUS ARCHIVELOG needs OceanBase 4.2");
    assert_contains(&out.stderr, "plus_archivelog = true");
}

/// A PREPARE round is waited for; a STOPPING or SUSPENDING round only when
/// OceanBase will start it again by itself (archive mode on, destination
/// ENABLE); otherwise the backup is refused, naming the round's status and
/// what would bring it back. (The simulator holds each status 10 s.)
#[test]
fn a_round_on_its_way_to_doing_is_waited_for_and_one_that_stays_down_refuses_the_backup() {
    let config = temp_config(
        "round-stays-down.hcl",
        "tenant \"t\" {\n  data_backup {\n    full { max_age = \"7d\" }\n  }\n}\n",
    );
    for (status, log_mode, state, planned) in [
        ("PREPARE", "ARCHIVELOG", "ENABLE", true),
        ("STOPPING", "ARCHIVELOG", "ENABLE", true),
        ("STOPPING", "ARCHIVELOG", "DEFER", false),
        ("STOPPING", "NOARCHIVELOG", "ENABLE", false),
        ("SUSPENDING", "ARCHIVELOG", "ENABLE", true),
        ("SUSPENDING", "ARCHIVELOG", "DEFER", false),
    ] {
        let fixture = format!(
            r#"{{"version": "4.2.2.1",
            "delays_ms": {{"archive_prepare": 10000, "archive_stopping": 10000, "archive_suspending": 10000}},
            "tenants": [{{"id": 1002, "name": "t", "log_mode": "{log_mode}",
            "archive_dest": {{"path": "file:///nfs/t/a", "dest_id": 1002, "state": "{state}"}},
            "archive_round": {{"round_id": 1, "status": "{status}"}},
            "data_backup_dest": "file:///nfs/t/d"}}]}}"#
        );
        let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(&fixture).expect("starts"));
        let out = Invocation::new(&["plan", &config])
            .dsn(&sim.dsn("sys"))
            .run();
        let case = format!("{status} {log_mode} {state}: {}", out.all());
        if planned {
            assert_eq!(out.code, 0, "{case}");
            assert_contains(&out.stdout, "wait until the archive round of t is DOING");
            assert_contains(
                &out.stdout,
                &format!("the archive round is {status}: the backup waits for DOING"),
            );
        } else {
            assert_eq!(out.code, 1, "{case}");
            assert_contains(&out.stderr, "obbackup::plan::blocked");
            assert_contains(&out.stderr, &format!("but the round is {status}"));
            // The help names what brings the round back, not a block that
            // may already be declared.
            if state == "DEFER" {
                assert_contains(&out.stderr, "its destination is DEFER");
                assert_contains(&out.stderr, "state = \"enable\"");
            } else {
                assert_contains(&out.stderr, "enabled = true");
            }
        }
        // Declaring the state ENABLE resumes archiving: the backup waits for it.
        if state == "DEFER" {
            let resumed = temp_config(
                "round-resumes.hcl",
                "tenant \"t\" {\n  log_archive { state = \"enable\" }\n  data_backup {\n    full { max_age = \"7d\" }\n  }\n}\n",
            );
            let out = Invocation::new(&["plan", &resumed])
                .dsn(&sim.dsn("sys"))
                .run();
            assert_eq!(out.code, 0, "{case}: {}", out.all());
            assert_contains(&out.stdout, "SET LOG_ARCHIVE_DEST_STATE = ");
            assert_contains(&out.stdout, "wait until the archive round of t is DOING");
        }
    }
}

#[test]
fn backups_wait_for_the_archive_and_the_destination_planned_before_them() {
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "from-scratch.hcl",
        r#"
tenant "app_tenant" {
  log_archive {
    enabled     = true
    destination = "file:///nfs/app/archive"
  }
  data_backup {
    destination = "file:///nfs/app/data"
    full { max_age = "7d" }
  }
}
"#,
    );
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .wait()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let statements = sent(&sim);
    let doing_poll = statements
        .iter()
        .rposition(|s| s.contains("CDB_OB_ARCHIVELOG WHERE DEST_NO = 0 AND TENANT_ID"))
        .expect("polled");
    let backup = statements
        .iter()
        .position(|s| s == "ALTER SYSTEM BACKUP TENANT = 'app_tenant'")
        .expect("backup");
    let data_dest = statements
        .iter()
        .position(|s| s.contains("DATA_BACKUP_DEST"))
        .expect("data dest");
    assert!(doing_poll < backup && data_dest < backup, "{statements:#?}");
    let plan_again = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .detailed_exitcode()
        .run();
    assert_eq!(plan_again.code, 0, "{}", plan_again.all());
}

/// A followed backup on builds whose task views lack `DATA_PROGRESS` (4.1.0,
/// 4.2.1 before BP3, and every `DBA_` view before 4.3.1): the wait reads
/// progress from macro block counts, so it works there too, from sys and from
/// the tenant itself.
#[test]
fn followed_backups_work_on_builds_without_data_progress() {
    for version in ["4.1.0.2", "4.2.1.2", "4.2.2.1"] {
        let fixture = format!(
            r#"{{"version": "{version}", "delays_ms": {{"backup_init": 20, "backup_running": 150}},
            "tenants": [{{"id": 1002, "name": "t", "log_mode": "ARCHIVELOG",
            "archive_dest": {{"path": "file:///nfs/t/a", "dest_id": 1002}}, "archive_round": {{"round_id": 1, "status": "DOING"}},
            "data_backup_dest": "file:///nfs/t/d"}}]}}"#
        );
        let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(&fixture).expect("starts"));
        for login in ["sys", "t"] {
            let mut args = vec!["backup", "full", "--wait"];
            if login == "sys" {
                args.extend(["--tenant", "t"]);
            }
            let out = Invocation::new(&args).dsn(&sim.dsn(login)).fast().run();
            assert_eq!(out.code, 0, "{version} as {login}:\n{}", out.all());
            assert_contains(&out.stdout, "ok");
            assert!(
                sent(&sim).iter().all(|s| !s.contains("DATA_PROGRESS")),
                "{version}: no statement reads DATA_PROGRESS"
            );
        }
    }
}

/// A server error that quotes the statement (as MySQL-protocol servers do,
/// from the error position on) does not carry the backup password to the
/// output, whole or in part.
#[test]
fn server_errors_quoting_a_secret_are_masked() {
    let password = "CANARY-backup-pw-77z";
    let sim = start("history-4.2.json");
    sim.fail_next(
        "SET ENCRYPTION",
        1064,
        "You have an error in your SQL syntax; check the manual near 'ARY-backup-pw-77z' ONLY' at line 1",
    );
    let config = temp_config(
        "encrypted-error.hcl",
        "tenant \"never_backed_up\" {\n  data_backup {\n    full { max_age = \"7d\" }\n    encryption { password = env(\"OBB_BACKUP_PW\") }\n  }\n}\n",
    );
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .fast()
        .envs(&[("OBB_BACKUP_PW", password)])
        .run();
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert_contains(&apply.all(), "1064");
    for fragment in ["backup-pw", "77z", password] {
        assert!(
            !apply.all().contains(fragment),
            "{fragment:?} leaked:\n{}",
            apply.all()
        );
    }
}

/// A backup started from sys is under way for the tenants it names from its
/// CLUSTER job on, before OceanBase creates their jobs: the plan holds their
/// backups back and plans the others' (EXECUTOR_TENANT_ID, v4.2.2_CE_BP1
/// src/share/backup/ob_backup_struct.cpp).
#[test]
fn a_sys_backup_under_way_holds_back_only_its_own_tenants() {
    let ready = |id: u64, name: &str| {
        serde_json::json!({ "id": id, "name": name, "log_mode": "ARCHIVELOG",
            "archive_dest": { "path": format!("file:///nfs/{name}/archive"), "dest_id": id },
            "archive_round": { "round_id": 1, "status": "DOING" },
            "data_backup_dest": format!("file:///nfs/{name}/data") })
    };
    let fixture = serde_json::json!({
        "version": "4.2.2.1",
        // The tenant jobs come 10 s after the CLUSTER job.
        "delays_ms": { "backup_init": 10000 },
        "tenants": [ready(1002, "a"), ready(1004, "b")]
    });
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(&fixture.to_string()).expect("starts"),
    );
    let dsn = sim.dsn("sys");
    let started = Invocation::new(&["backup", "full", "--tenant", "a"])
        .dsn(&dsn)
        .run();
    assert_eq!(started.code, 0, "{}", started.all());
    let config = temp_config(
        "held-back.hcl",
        "tenant \"*\" {\n  data_backup {\n    full { max_age = \"7d\" }\n  }\n}\n",
    );
    let plan = Invocation::new(&["plan", &config]).dsn(&dsn).run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert_contains(
        &plan.stdout,
        "tenant a: a backup started from sys (cluster job 1) is under way",
    );
    assert!(
        plan.stdout.contains("ALTER SYSTEM BACKUP TENANT = 'b'")
            && !plan.stdout.contains("ALTER SYSTEM BACKUP TENANT = 'a'"),
        "{}",
        plan.stdout
    );
}

/// Freshness counts the backup sets that are still there: a full backup whose
/// set was deleted since (or is being deleted) leaves nothing to restore
/// from, so the older full before it is the last one, or there is none.
#[test]
fn a_deleted_backup_set_is_no_backup() {
    let fixture = serde_json::json!({
        "version": "4.2.2.1",
        "tenants": [
            {
                "id": 1002, "name": "deleted_full", "log_mode": "ARCHIVELOG",
                "archive_dest": { "path": "file:///nfs/deleted_full/archive", "dest_id": 1002 },
                "archive_round": { "round_id": 1, "status": "DOING" },
                "data_backup_dest": "file:///nfs/deleted_full/data",
                "backup_history": [
                    { "backup_type": "FULL", "ended_ago": "10d" },
                    { "backup_type": "FULL", "ended_ago": "1d", "file_status": "DELETED" },
                    { "backup_type": "INC", "ended_ago": "2h" }
                ]
            },
            {
                "id": 1004, "name": "deleting_full", "log_mode": "ARCHIVELOG",
                "archive_dest": { "path": "file:///nfs/deleting_full/archive", "dest_id": 1004 },
                "archive_round": { "round_id": 1, "status": "DOING" },
                "data_backup_dest": "file:///nfs/deleting_full/data",
                "backup_history": [
                    { "backup_type": "FULL", "ended_ago": "1d", "file_status": "DELETING" }
                ]
            }
        ]
    });
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(&fixture.to_string()).expect("starts"),
    );
    let config = temp_config("deleted-set.hcl", POLICY);
    let dsn = sim.dsn("sys");
    let drift = Invocation::new(&["drift", &config]).dsn(&dsn).run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert_contains(
        &drift.stdout,
        "tenant.deleted_full.data_backup.full: last full 10d 0h ago → max_age 7d",
    );
    assert_contains(
        &drift.stdout,
        "tenant.deleting_full.data_backup.full: no backup → max_age 7d",
    );
    let status = Invocation::new(&["status", &config])
        .dsn(&dsn)
        .format("json")
        .run();
    assert_eq!(status.code, 0, "{}", status.all());
    let value: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    let tenant = |name: &str| {
        value["tenants"]
            .as_array()
            .expect("tenants")
            .iter()
            .find(|t| t["tenant"] == name)
            .expect("tenant")
            .clone()
    };
    assert_eq!(
        tenant("deleted_full")["last_full_age_seconds"]
            .as_i64()
            .map(|s| s / 86_400),
        Some(10)
    );
    assert_eq!(
        tenant("deleted_full")["last_backup_age_seconds"]
            .as_i64()
            .map(|s| s / 3600),
        Some(2)
    );
    assert_eq!(
        tenant("deleting_full")["last_full_age_seconds"],
        serde_json::Value::Null
    );
}

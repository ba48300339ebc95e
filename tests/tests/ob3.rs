//! OceanBase 3.x end to end (reference §1): cluster-level archive, options and
//! backup-backup through the real binary against obsim's 3.2 dialect.

use obbackup_tests::{
    Invocation, assert_contains, query_rows, sent, sent_alters, start, temp_config,
};

const ARCHIVE_AND_PIECES: &str = r#"
cluster {
  version     = "3.2"
  backup_dest = "file:///nfs/ob3/backup"
  log_archive {
    enabled     = true
    mode        = "mandatory"
    compression = "zstd_1.3.8"
  }
  backup_backup {
    destination = "file:///nfs/ob3/backup_backup"
    pieces {
      copies = 1
    }
  }
}
"#;

#[test]
fn empty_3_2_cluster_to_archive_and_piece_copies_then_drift() {
    let sim = start("empty-3.2.json");
    let config = temp_config("ob3-archive.hcl", ARCHIVE_AND_PIECES);
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .detailed_exitcode()
        .run();
    assert_eq!(plan.code, 2, "{}", plan.all());
    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        sent_alters(&sim),
        [
            "ALTER SYSTEM SET backup_log_archive_option = 'mandatory compression= zstd_1.3.8'",
            "ALTER SYSTEM SET backup_dest = 'file:///nfs/ob3/backup'",
            "ALTER SYSTEM SET backup_backup_dest = 'file:///nfs/ob3/backup_backup'",
            "ALTER SYSTEM MINOR FREEZE",
            "ALTER SYSTEM ARCHIVELOG",
        ]
    );
    let again = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .detailed_exitcode()
        .run();
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(Invocation::new(&["drift", &config]).dsn(&dsn).run().code, 0);

    sim.execute_as(
        "sys",
        "ALTER SYSTEM SET backup_log_archive_option = 'optional compression= disable'",
    )
    .expect("out of band");
    let drift = Invocation::new(&["drift", &config]).dsn(&dsn).run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert_contains(&drift.stdout, "cluster.log_archive.mode");
    assert_contains(&drift.stdout, "\"disable\" → \"zstd_1.3.8\"");
}

#[test]
fn frozen_pieces_are_copied_until_each_has_its_copies() {
    let sim = start("documented-3.2.json");
    let config = temp_config(
        "ob3-pieces.hcl",
        "cluster {\n  backup_backup {\n    destination = \"file:///data/nfs/backup_backup\"\n    pieces {\n      copies = 1\n    }\n  }\n}\n",
    );
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config]).dsn(&dsn).run();
    assert!(
        plan.stdout.contains("pieces with fewer than 1 copies: 1"),
        "piece 1 is FROZEN, piece 2 ACTIVE:\n{}",
        plan.stdout
    );
    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(sent_alters(&sim).contains(
        &"ALTER SYSTEM BACKUP BACKUPPIECE ALL NOT BACKED UP 1 TIMES BACKUP_BACKUP_DEST = 'file:///data/nfs/backup_backup'".to_string()
    ));
    assert_eq!(Invocation::new(&["drift", &config]).dsn(&dsn).run().code, 0);
}

#[test]
fn a_backup_dest_change_stops_clears_sets_and_restarts_in_order() {
    let sim = start("documented-3.2.json");
    sim.execute_as(
        "sys",
        "ALTER SYSTEM SET backup_backup_dest = 'file:///data/nfs/bb'",
    )
    .expect("seed backup_backup_dest");
    let config = temp_config(
        "ob3-move.hcl",
        r#"
cluster {
  backup_dest = "file:///data/nfs/backup-2"
  log_archive {
    enabled = true
  }
  backup_backup {
    destination = "file:///data/nfs/bb"
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
    assert_eq!(refused.code, 1, "the archive gap is a hazard");
    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .allow_hazards()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let statements = sent(&sim);
    let at = |needle: &str| {
        statements
            .iter()
            .position(|s| s == needle)
            .unwrap_or_else(|| panic!("{needle} not sent: {statements:#?}"))
    };
    let order = [
        at("ALTER SYSTEM NOARCHIVELOG"),
        at("ALTER SYSTEM SET backup_backup_dest = ''"),
        at("ALTER SYSTEM SET backup_dest = 'file:///data/nfs/backup-2'"),
        at("ALTER SYSTEM SET backup_backup_dest = 'file:///data/nfs/bb'"),
        at("ALTER SYSTEM MINOR FREEZE"),
        at("ALTER SYSTEM ARCHIVELOG"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{statements:#?}");
    let polls = statements[order[0]..order[1]]
        .iter()
        .filter(|s| s.contains("CDB_OB_BACKUP_ARCHIVELOG"))
        .count();
    assert!(
        polls >= 1,
        "STOP must be awaited before backup_dest changes: {statements:#?}"
    );
    assert!(
        sim.journal()
            .iter()
            .all(|e| e.outcome == obsim::server::Outcome::Ok),
        "{:#?}",
        sim.journal()
    );
}

#[test]
fn settings_of_the_other_line_are_plan_errors_at_the_text() {
    let ob3 = start("empty-3.2.json");
    let tenant_block = temp_config(
        "ob3-tenant.hcl",
        "tenant \"trade\" {\n  log_archive { enabled = true }\n}\n",
    );
    let out = Invocation::new(&["plan", &tenant_block])
        .dsn(&ob3.dsn("sys"))
        .run();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("on OceanBase 3.x backup is cluster-wide"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("move log_archive and data_backup into cluster"),
        "{}",
        out.stderr
    );

    let ob4 = start("empty-4.2.json");
    let ob3_only = temp_config(
        "ob3-on-4.hcl",
        "cluster {\n  backup_backup {\n    archivelog = true\n  }\n}\ntenant \"app_tenant\" {\n  log_archive {\n    compression = \"enable\"\n  }\n}\n",
    );
    let out = Invocation::new(&["plan", &ob3_only])
        .dsn(&ob4.dsn("sys"))
        .run();
    assert_eq!(out.code, 1);
    assert_contains(&out.stderr, "backup-backup was removed in 4.x");
    assert!(
        out.stderr
            .contains("log_archive.compression is OceanBase 3.x"),
        "{}",
        out.stderr
    );

    let both = temp_config(
        "ob3-both-modes.hcl",
        "cluster {\n  backup_backup {\n    destination = \"file:///bb\"\n    archivelog = true\n    pieces {\n      copies = 1\n    }\n  }\n}\n",
    );
    let out = Invocation::new(&["validate", &both]).run();
    assert_eq!(out.code, 1);
    assert_contains(&out.stderr, "exclude each other");
}

#[test]
fn servers_that_disagree_are_drift_and_user_logins_are_refused() {
    let fixture = r#"{"version": "3.2.4.1",
        "servers": [ {"zone": "z1", "svr_ip": "10.0.0.1", "svr_port": 2882}, {"zone": "z2", "svr_ip": "10.0.0.2", "svr_port": 2882} ],
        "parameters": {"backup_log_archive_option": "mandatory compression= lz4_1.0"},
        "server_parameters": [ {"svr_ip": "10.0.0.2", "svr_port": 2882, "name": "backup_log_archive_option", "value": "optional compression= lz4_1.0"} ],
        "tenants": [ {"id": 1001, "name": "trade"} ]}"#;
    let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(fixture).expect("starts"));
    let config = temp_config(
        "ob3-servers.hcl",
        "cluster {\n  log_archive {\n    mode = \"mandatory\"\n    compression = \"lz4_1.0\"\n  }\n}\n",
    );
    let drift = Invocation::new(&["drift", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert!(
        drift
            .stdout
            .contains("\"mandatory | optional\" → \"mandatory\""),
        "{}",
        drift.stdout
    );
    let user = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("trade"))
        .run();
    assert_eq!(user.code, 1);
    assert_contains(&user.stderr, "run from sys");
}

#[test]
fn cluster_backups_status_and_one_shot_on_3_x() {
    let sim = start("documented-3.2.json");
    let dsn = sim.dsn("sys");
    let config = temp_config(
        "ob3-fresh.hcl",
        "cluster {\n  data_backup {\n    full { max_age = \"7d\" }\n  }\n}\n",
    );
    let status = Invocation::new(&["status", &config]).dsn(&dsn).run();
    assert_eq!(status.code, 0, "{}", status.all());
    assert_contains(&status.stdout, "tenant cluster");
    assert!(
        status
            .stdout
            .contains("! data_backup.full: no backup, max_age 7d"),
        "the only backup FAILED:\n{}",
        status.stdout
    );
    let nothing = Invocation::new(&["backup", "cancel"]).dsn(&dsn).run();
    assert_eq!(nothing.code, 0);
    assert_contains(&nothing.stdout, "nothing to cancel");
    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .wait()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(sent_alters(&sim).contains(&"ALTER SYSTEM BACKUP DATABASE".to_string()));
    assert_eq!(Invocation::new(&["drift", &config]).dsn(&dsn).run().code, 0);
    let one_shot = Invocation::new(&["backup", "incremental"])
        .wait()
        .dsn(&dsn)
        .fast()
        .run();
    assert_eq!(one_shot.code, 0, "{}", one_shot.all());
    assert!(sent_alters(&sim).contains(&"ALTER SYSTEM BACKUP INCREMENTAL DATABASE".to_string()));
}

#[test]
fn cluster_backups_are_encrypted_in_the_session_and_failures_named() {
    let password = "CANARY-ob3-pw-77";
    let sim = start("documented-3.2.json");
    let dsn = sim.dsn("sys");
    let config = temp_config(
        "ob3-encrypted.hcl",
        "cluster {\n  data_backup {\n    full { max_age = \"7d\" }\n    encryption { password = env(\"OBB_OB3_PW\") }\n  }\n}\n",
    );
    let apply = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .wait()
        .fast()
        .env("OBB_OB3_PW", password)
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(!apply.all().contains(password), "password leaked");
    let statements = sent(&sim);
    let set = statements
        .iter()
        .position(|s| s.starts_with("SET ENCRYPTION"))
        .expect("SET ENCRYPTION sent");
    assert_eq!(
        statements.get(set + 1).map(String::as_str),
        Some("ALTER SYSTEM BACKUP DATABASE"),
        "right before the backup: {statements:#?}"
    );
    let rows = query_rows(
        &sim,
        "sys",
        "SELECT ENCRYPTION_MODE FROM oceanbase.CDB_OB_BACKUP_SET_DETAILS WHERE TENANT_ID = 1 ORDER BY BS_KEY DESC",
    );
    assert_eq!(rows[0][0].as_deref(), Some("PASSWORD"));

    sim.fail_next_backup("sys", -9011, "injected");
    let failed = Invocation::new(&["backup", "full"])
        .wait()
        .dsn(&dsn)
        .fast()
        .run();
    assert_eq!(failed.code, 1, "{}", failed.all());
    assert_contains(&failed.stderr, "ended FAILED");
}

#[test]
fn cluster_destinations_follow_the_credential_rules() {
    let config = temp_config(
        "ob3-literal.hcl",
        r#"cluster {
  backup_dest = "oss://b/ob?host=h&access_id=${env("OBB_OB3_ID")}&access_key=lit-key-9"
}
"#,
    );
    let out = Invocation::new(&["validate", &config])
        .env("OBB_OB3_ID", "id")
        .run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr
            .contains("credential `access_key` is written literally"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains("lit-key-9"), "{}", out.all());
}

/// Declarations that need another one point at their own text, with the
/// error's code, all at once (they used to point at the first byte of the file).
#[test]
fn missing_destinations_point_at_what_needs_them() {
    let sim = start("empty-3.2.json");
    let config = temp_config(
        "ob3-needs.hcl",
        "cluster {\n  log_archive { enabled = true }\n  backup_backup { archivelog = true }\n}\n",
    );
    let plan = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert_contains(&plan.stderr, "obbackup::config::requires");
    assert_contains(&plan.stderr, "log_archive.enabled = true needs backup_dest");
    assert_contains(&plan.stderr, "archiving turned on here");
    assert_contains(&plan.stderr, "ob3-needs.hcl:2:");
    assert_contains(
        &plan.stderr,
        "backup_backup.archivelog = true needs backup_backup.destination",
    );
    assert_contains(&plan.stderr, "round mode here");
    assert_contains(&plan.stderr, "ob3-needs.hcl:3:");
}

/// OceanBase 3.1 copies pieces once, to the configured backup-backup
/// destination: two copies are refused at the attribute, naming 3.2.
#[test]
fn two_piece_copies_need_3_2() {
    let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(
        r#"{"version": "3.1.5", "parameters": {"backup_dest": "file:///nfs/b", "enable_log_archive": "True"},
            "tenants": [{"id": 1001, "name": "t"}], "archive": {"round_id": 1, "status": "DOING"}}"#,
    )
    .expect("starts"));
    let config = temp_config(
        "ob31-copies.hcl",
        "cluster {\n  backup_backup {\n    destination = \"file:///nfs/bb\"\n    pieces { copies = 2 }\n  }\n}\n",
    );
    let plan = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert_contains(&plan.stderr, "obbackup::plan::not_on_build");
    assert_contains(
        &plan.stderr,
        "backup_backup.pieces.copies = 2 needs OceanBase 3.2 or later, not 3.1.5.0",
    );
    assert_contains(&plan.stderr, "ob31-copies.hcl:4:");
}

/// OceanBase 3.1 caps the backup-backup checkpoint interval at 1h (3.2 takes
/// the documented 2h): 2h is refused at the attribute on 3.1, planned on 3.2.
#[test]
fn backup_backup_checkpoint_interval_follows_the_build() {
    let config = temp_config(
        "bb-interval.hcl",
        "cluster {\n  backup_backup {\n    destination = \"file:///nfs/bb\"\n    log_archive_checkpoint_interval = \"2h\"\n  }\n}\n",
    );
    for (version, code) in [("3.1.5", 1), ("3.2.4.1", 0)] {
        let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(&format!(
            r#"{{"version": "{version}", "parameters": {{"backup_dest": "file:///nfs/b"}}, "tenants": [{{"id": 1001, "name": "t"}}]}}"#
        ))
        .expect("starts"));
        let plan = Invocation::new(&["plan", &config])
            .dsn(&sim.dsn("sys"))
            .run();
        assert_eq!(plan.code, code, "{version}: {}", plan.all());
        if code == 1 {
            assert_contains(
                &plan.stderr,
                "backup_backup.log_archive_checkpoint_interval = 2h needs OceanBase 3.2 or later, not 3.1.5.0",
            );
        }
    }
}

/// 3.x copies the backup password into a statement of its own without
/// escaping it (v3.1.5_CE_HF2 `ob_alter_system_executor.cpp`): a password with
/// `'` or `\` is a plan error there, pointing at the attribute and never
/// showing the password; 4.x takes it.
#[test]
fn a_backup_password_with_a_quote_or_backslash_is_refused_on_3x_only() {
    let config = |name: &str, block: &str| temp_config(name, block);
    let ob3 = config(
        "ob3-quote-pw.hcl",
        "cluster {\n  backup_dest = \"file:///nfs/ob3/backup\"\n  data_backup {\n    full { max_age = \"7d\" }\n    encryption { password = env(\"OBB_QUOTE_PW\") }\n  }\n}\n",
    );
    for password in ["it's-a-secret", "back\\slash-secret"] {
        let sim = start("empty-3.1.5.json");
        let plan = Invocation::new(&["plan", &ob3])
            .dsn(&sim.dsn("sys"))
            .env("OBB_QUOTE_PW", password)
            .run();
        assert_eq!(plan.code, 1, "{}", plan.all());
        assert_contains(&plan.stderr, "may not contain");
        assert_contains(&plan.stderr, "data_backup.encryption.password");
        assert!(!plan.all().contains(password), "{}", plan.all());
        assert!(sent_alters(&sim).is_empty());
    }
    let ob4 = config(
        "ob4-quote-pw.hcl",
        "tenant \"*\" {\n  log_archive {\n    enabled     = true\n    destination = \"file:///nfs/${tenant.name}/archive\"\n  }\n  data_backup {\n    destination = \"file:///nfs/${tenant.name}/data\"\n    full { max_age = \"7d\" }\n    encryption { password = env(\"OBB_QUOTE_PW\") }\n  }\n}\n",
    );
    let sim = start("empty-4.2.json");
    let plan = Invocation::new(&["plan", &ob4])
        .dsn(&sim.dsn("sys"))
        .env("OBB_QUOTE_PW", "it's-a-secret")
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
}

/// F12: OceanBase 3.x counts a backup as in progress whenever the cluster's
/// `backup_status` is not STOP, before its set runs (PREPARE) and while it is
/// cleaned up (CLEANUP) too, and cannot cancel it in those two phases (9041).
#[test]
fn a_backup_between_sets_is_in_progress_and_cannot_be_canceled() {
    for phase in ["PREPARE", "CLEANUP"] {
        let fixture = format!(
            r#"{{ "version": "3.2.4.1",
              "parameters": {{ "backup_dest": "file:///data/nfs/backup" }},
              "archive": {{ "round_id": 1, "status": "DOING" }},
              "backup_history": [ {{ "backup_type": "D", "ended_ago": "9d" }} ],
              "backup_status": "{phase}" }}"#
        );
        let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(&fixture).expect("starts"));
        let dsn = sim.dsn("sys");
        let config = temp_config(
            "ob3-between-sets.hcl",
            "cluster {\n  data_backup {\n    full { max_age = \"7d\" }\n  }\n}\n",
        );
        // The full backup is due, but none is planned while one is in progress
        // (OceanBase would answer 9036).
        let plan = Invocation::new(&["plan", &config]).dsn(&dsn).run();
        assert_eq!(plan.code, 0, "{phase}: {}", plan.all());
        assert_contains(
            &plan.stdout,
            &format!("a cluster backup is in {phase}: no other backup is planned"),
        );
        assert!(!plan.stdout.contains("BACKUP DATABASE"), "{}", plan.stdout);
        let status = Invocation::new(&["status"]).dsn(&dsn).format("json").run();
        let value: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
        obbackup_tests::assert_schema("status.schema.json", &value);
        assert_eq!(
            value["tenants"][0]["running_jobs"][0]["status"], phase,
            "{value}"
        );
        let one_shot = Invocation::new(&["backup", "full"]).dsn(&dsn).run();
        assert_eq!(one_shot.code, 1, "{}", one_shot.all());
        assert_contains(&one_shot.stderr, &format!("a cluster backup is in {phase}"));
        let cancel = Invocation::new(&["backup", "cancel"])
            .dsn(&dsn)
            .auto_approve()
            .run();
        assert_eq!(cancel.code, 1, "{}", cancel.all());
        assert_contains(&cancel.stderr, "9041");
        assert!(sent_alters(&sim).is_empty(), "{:?}", sent_alters(&sim));
    }
}

/// F4 and F5: OceanBase sets `backup_backup_dest` only to an empty directory
/// (9026), and keeps round-mode and piece copies in different directories
/// (1235): a plan that would break either rule is refused, naming it; a new
/// directory is planned.
#[test]
fn backup_backup_directories_holding_copies_are_not_reused() {
    let path = obbackup_tests::root().join("fixtures/live/documented-3.2.json");
    let mut fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    fixture["parameters"]["backup_backup_dest"] = serde_json::json!("file:///data/nfs/bb");
    let piece = |id: u64| {
        serde_json::json!({ "round_id": 1, "piece_id": id, "copy_id": 1, "status": "FROZEN",
            "create_date": 20210430, "start_ts": "2021-04-30 00:00:28.197301",
            "checkpoint_ts": "2021-04-30 00:59:49.402568", "max_ts": "2021-04-30 01:02:32.336195" })
    };
    let cluster = |backup_dest: &str, bb: &str, mode: &str| {
        format!(
            "cluster {{\n  version     = \"3.2\"\n  backup_dest = \"{backup_dest}\"\n  log_archive {{ enabled = true }}\n  backup_backup {{\n    destination = \"{bb}\"\n    {mode}\n  }}\n}}\n"
        )
    };
    // Piece copies in file:///data/nfs/bb.
    fixture["pieces"]
        .as_array_mut()
        .expect("pieces")
        .push(piece(1));
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(&fixture.to_string()).expect("starts"),
    );
    let dsn = sim.dsn("sys");
    let plan = |name: &str, text: &str| {
        let file = temp_config(name, text);
        Invocation::new(&["plan", &file]).dsn(&dsn).run()
    };
    // F4: backup_dest moves, the same backup-backup directory is set again.
    let kept = plan(
        "f4-kept.hcl",
        &cluster("file:///data/nfs/backup-2", "file:///data/nfs/bb", ""),
    );
    assert_eq!(kept.code, 1, "{}", kept.all());
    assert_contains(&kept.stderr, "takes only an empty directory");
    assert_contains(&kept.stderr, "9026");
    let moved = plan(
        "f4-moved.hcl",
        &cluster("file:///data/nfs/backup-2", "file:///data/nfs/bb-2", ""),
    );
    assert_eq!(moved.code, 0, "{}", moved.all());
    assert_contains(
        &moved.stdout,
        "backup_backup_dest = 'file:///data/nfs/bb-2'",
    );
    // F5: round mode into the directory of piece copies.
    let round = plan(
        "f5-round.hcl",
        &cluster(
            "file:///data/nfs/backup",
            "file:///data/nfs/bb",
            "archivelog = true",
        ),
    );
    assert_eq!(round.code, 1, "{}", round.all());
    assert_contains(&round.stderr, "holds piece copies");

    // And the other way: round-mode copies (piece 0) in the directory.
    fixture["pieces"]
        .as_array_mut()
        .expect("pieces")
        .push(piece(0));
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(&fixture.to_string()).expect("starts"),
    );
    let file = temp_config(
        "f5-pieces.hcl",
        &cluster(
            "file:///data/nfs/backup",
            "file:///data/nfs/bb",
            "pieces {\n      copies = 2\n    }",
        ),
    );
    let pieces = Invocation::new(&["plan", &file]).dsn(&sim.dsn("sys")).run();
    assert_eq!(pieces.code, 1, "{}", pieces.all());
    assert_contains(&pieces.stderr, "holds round-mode copies");
    // What the plan avoids: OceanBase's answer.
    let refused = sim.execute_as(
        "sys",
        "ALTER SYSTEM BACKUP BACKUPPIECE ALL NOT BACKED UP 2 TIMES BACKUP_BACKUP_DEST = 'file:///data/nfs/bb'",
    );
    assert!(matches!(&refused, Err(e) if e.code == 1235), "{refused:?}");

    // Without a backup_dest change: a new backup-backup directory that holds
    // copies already (an old one) is refused too.
    let mut old_copy = piece(2);
    old_copy["dest"] = serde_json::json!("file:///data/nfs/old");
    fixture["pieces"]
        .as_array_mut()
        .expect("pieces")
        .push(old_copy);
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(&fixture.to_string()).expect("starts"),
    );
    let file = temp_config(
        "f4-old.hcl",
        &cluster("file:///data/nfs/backup", "file:///data/nfs/old", ""),
    );
    let old = Invocation::new(&["plan", &file]).dsn(&sim.dsn("sys")).run();
    assert_eq!(old.code, 1, "{}", old.all());
    assert_contains(
        &old.stderr,
        "sets backup_backup_dest only to an empty directory",
    );
}

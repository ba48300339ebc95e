//! OceanBase's MySQL-mode grammar (`@oceanbase-odc/ob-parser-js`) is the judge
//! of syntax: a corpus of every statement shape the planner builds, with
//! broken variants of each, goes to the grammar and to obsim, and obsim must
//! answer 1064 exactly where the grammar rejects.

use obbackup_planner::destination::Destination;
use obbackup_planner::secret::Secret;
use obbackup_planner::sql::{self, PieceCopy, Read, Target};
use obbackup_planner::states::RoundStatus;
use obbackup_planner::step::{SessionSetting, SessionVariable, Wait, WaitUntil};
use obbackup_tests::grammar_rejections;

/// Every shape the 4.x dialect sends, for each target.
fn tenant_level() -> Vec<String> {
    let archive = Destination::parse("file:///nfs/t/archive").expect("destination");
    let oss =
        Destination::parse("oss://bucket/t/data?host=oss.example.com&access_id=ID&access_key=KEY")
            .expect("destination");
    let mut out = Vec::new();
    for target in [Target::Tenant("t".into()), Target::AllUser, Target::Own] {
        out.push(text(sql::set_parameter(
            "ha_low_thread_score",
            "10",
            &target,
        )));
        out.push(text(sql::set_parameter(
            "archive_lag_target",
            "'2m'",
            &target,
        )));
        out.push(text(sql::set_parameter(
            "backup_data_file_size",
            "'4G'",
            &target,
        )));
        out.push(text(sql::set_log_archive_dest(
            &archive,
            "MANDATORY",
            "2d",
            &target,
        )));
        out.push(text(sql::set_log_archive_dest_state(
            &obbackup_planner::states::DestState::Defer,
            &target,
        )));
        out.push(text(sql::set_data_backup_dest(&oss, &target)));
        out.push(text(sql::archivelog(true, &target)));
        out.push(text(sql::archivelog(false, &target)));
        out.push(text(sql::cancel_backup(&target)));
        out.push(text(sql::add_delete_policy("7d", &target)));
        out.push(text(sql::drop_delete_policy(&target)));
    }
    for incremental in [false, true] {
        for plus in [false, true] {
            out.push(text(sql::backup(incremental, &["t".into()], false, plus)));
            out.push(text(sql::backup(
                incremental,
                &["a".into(), "b".into()],
                false,
                plus,
            )));
            out.push(text(sql::backup(incremental, &[], true, plus)));
        }
    }
    out.push(text(sql::set_encryption(&Secret::new("pass'word"))));
    out.push(text(sql::set_session(&SessionSetting {
        name: SessionVariable::ObQueryTimeout,
        value: 600_000_000,
    })));
    for sys in [true, false] {
        for read in Read::TENANT_LEVEL {
            out.push(read.sql(sys));
        }
        out.push(sql::archive_status_query(sys, 1002));
        out.push(sql::backup_job_query(sys, 1002, 7));
        out.push(sql::backup_jobs_query(sys, 1002));
    }
    for until in [
        WaitUntil::ArchiveStatus {
            statuses: vec![RoundStatus::Doing],
        },
        WaitUntil::NoBackupJobs,
        WaitUntil::BackupJob {
            after_job_id: 7,
            follow: true,
            expect_password: true,
        },
    ] {
        let waits: Vec<Wait> = [1002, 1004]
            .into_iter()
            .map(|id| Wait {
                until: until.clone(),
                query: String::new(),
                timeout_seconds: 1,
                tenant_id: Some(id),
            })
            .collect();
        let waits: Vec<&Wait> = waits.iter().collect();
        out.push(sql::wait_query_many(&waits).expect("polled together"));
    }
    out.push(sql::get_lock(sql::APPLY_LOCK));
    out.push(sql::is_used_lock(sql::APPLY_LOCK));
    out.push(sql::release_lock(sql::APPLY_LOCK));
    out.push(sql::SERVER_QUERY.into());
    out.push(sql::LOGIN_QUERY.into());
    out
}

/// Every shape the 3.x dialect sends.
fn cluster_level() -> Vec<String> {
    let dest = Destination::parse("file:///nfs/ob3/backup_backup").expect("destination");
    let mut out: Vec<String> = vec![
        text(sql::set_parameter("backup_concurrency", "4", &Target::Own)),
        text(sql::set_parameter(
            "backup_log_archive_option",
            "'mandatory compression= zstd_1.3.8'",
            &Target::Own,
        )),
        text(sql::set_backup_dest("backup_dest", Some(&dest))),
        text(sql::set_backup_dest("backup_backup_dest", None)),
        text(sql::minor_freeze()),
        text(sql::round_mode(true)),
        text(sql::round_mode(false)),
        text(sql::copy_pieces(PieceCopy::AllToConfigured)),
        text(sql::copy_pieces(PieceCopy::NotBackedUp {
            times: 1,
            dest: &dest,
        })),
        sql::CLUSTER_ARCHIVE_STATUS_QUERY.into(),
        sql::CLUSTER_RUNNING_BACKUP_QUERY.into(),
        sql::CLUSTER_PIECE_JOBS_QUERY.into(),
        sql::cluster_backup_query(3),
    ];
    for read in Read::CLUSTER_LEVEL {
        out.push(read.sql(true));
    }
    out
}

/// The text a statement sends.
fn text(statement: sql::SqlText) -> String {
    statement.text.expose().to_string()
}

/// Broken variants of a statement: a misspelt first keyword, the last word
/// dropped, a quote left open, a keyword doubled.
fn broken(statement: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((first, rest)) = statement.split_once(' ') {
        out.push(format!("{}X {rest}", first));
        out.push(format!("{first} {first} {rest}"));
    }
    if let Some((head, _)) = statement.rsplit_once(' ') {
        out.push(head.to_string());
    }
    if let Some(at) = statement.rfind('\'') {
        let mut open = statement.to_string();
        open.remove(at);
        out.push(open);
    }
    out
}

fn verdicts(sim: &obsim::Simulator, login: &str, corpus: &[String]) -> Vec<(String, bool, bool)> {
    let rejected: std::collections::BTreeSet<String> = grammar_rejections(corpus)
        .into_iter()
        .map(|(sql, _)| sql)
        .collect();
    corpus
        .iter()
        .map(|sql| {
            let sim_rejects = matches!(sim.execute_as(login, sql), Err(e) if e.code == 1064);
            (sql.clone(), rejected.contains(sql), sim_rejects)
        })
        .collect()
}

#[test]
fn obsim_answers_1064_exactly_where_the_grammar_rejects() {
    let ob4 = obsim::Simulator::start_in_thread(
        r#"{"version": "4.2.2.1", "tenants": [{"id": 1002, "name": "t"}, {"id": 1004, "name": "a"}, {"id": 1006, "name": "b"}]}"#,
    )
    .expect("starts");
    let ob3 = obsim::Simulator::start_in_thread(
        r#"{"version": "3.2.4.1", "tenants": [{"id": 1001, "name": "t"}]}"#,
    )
    .expect("starts");
    let mut checked = 0;
    let mut disagreements = Vec::new();
    let mut valid_rejected = Vec::new();
    for (sim, statements) in [(&ob4, tenant_level()), (&ob3, cluster_level())] {
        let corpus: Vec<String> = statements
            .iter()
            .flat_map(|s| std::iter::once(s.clone()).chain(broken(s)))
            .collect();
        for (sql, grammar_rejects, sim_rejects) in verdicts(sim, "sys", &corpus) {
            checked += 1;
            if statements.contains(&sql) && grammar_rejects {
                valid_rejected.push(sql.clone());
            }
            if grammar_rejects != sim_rejects {
                disagreements.push(format!(
                    "grammar {} / obsim {}: {sql}",
                    if grammar_rejects {
                        "rejects"
                    } else {
                        "accepts"
                    },
                    if sim_rejects { "1064" } else { "not 1064" }
                ));
            }
        }
    }
    assert!(checked >= 200, "only {checked} statements in the corpus");
    assert!(
        valid_rejected.is_empty(),
        "the grammar rejects statements the planner builds:\n{valid_rejected:#?}"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {checked} statements disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Every command's statements, as the end-to-end tests send them, parse in
/// OceanBase's grammar: status (every format), export, plan, drift, graph,
/// apply with waits and a followed backup, the one-shot backups and cancel,
/// on a 4.2 build, on 4.3.1 (where apply takes GET_LOCK), on 3.2 and 3.1.
#[test]
fn every_command_sends_only_what_the_grammar_parses() {
    use obbackup_tests::{Invocation, sent, start, temp_config};
    let tenants = "tenant \"*\" {\n  log_archive {\n    enabled     = true\n    destination = \"file:///nfs/${tenant.name}/archive\"\n  }\n  data_backup {\n    destination = \"file:///nfs/${tenant.name}/data\"\n    full { max_age = \"7d\" }\n    delete_policy { recovery_window = \"7d\" }\n    recoverability { max_rpo = \"1d\" }\n  }\n}\n";
    let cluster = "cluster {\n  backup_dest = \"file:///nfs/ob3/backup\"\n  log_archive { enabled = true }\n  data_backup {\n    full { max_age = \"7d\" }\n    recoverability { max_rpo = \"1d\" }\n  }\n  backup_backup {\n    destination = \"file:///nfs/ob3/bb\"\n    pieces { copies = 1 }\n  }\n}\n";
    let mut statements = std::collections::BTreeSet::new();
    for (fixture, config) in [
        ("documented-4.2.json", tenants),
        ("empty-4.3.1.0.json", tenants),
        ("documented-3.2.json", cluster),
        ("empty-3.1.5.json", cluster),
    ] {
        let sim = start(fixture);
        let dsn = sim.dsn("sys");
        let file = temp_config(&format!("grammar-{fixture}.hcl"), config);
        let run = |args: &[&str]| Invocation::new(args).dsn(&dsn).run();
        for format in ["human", "json", "markdown", "openmetrics"] {
            let out = Invocation::new(&["status", &file])
                .dsn(&dsn)
                .format(format)
                .run();
            assert!(out.code <= 2, "{fixture} status {format}: {}", out.all());
        }
        for args in [
            vec!["export"],
            vec!["plan", file.as_str()],
            vec!["drift", file.as_str()],
            vec!["graph", file.as_str()],
        ] {
            let out = run(&args);
            assert!(out.code <= 2, "{fixture} {args:?}: {}", out.all());
        }
        let apply = Invocation::new(&["apply", &file])
            .dsn(&dsn)
            .auto_approve()
            .allow_hazards()
            .wait()
            .fast()
            .run();
        assert_eq!(apply.code, 0, "{fixture} apply: {}", apply.all());
        let backup = Invocation::new(&["backup", "incremental"])
            .dsn(&dsn)
            .wait()
            .fast()
            .run();
        assert_eq!(backup.code, 0, "{fixture} backup: {}", backup.all());
        let full = run(&["backup", "full"]);
        assert_eq!(full.code, 0, "{fixture} backup full: {}", full.all());
        let cancel = Invocation::new(&["backup", "cancel"])
            .dsn(&dsn)
            .auto_approve()
            .run();
        assert!(cancel.code <= 1, "{fixture} cancel: {}", cancel.all());
        statements.extend(sent(&sim));
    }
    let statements: Vec<String> = statements.into_iter().collect();
    assert!(statements.len() > 60, "{statements:#?}");
    let rejected = grammar_rejections(&statements);
    assert!(
        rejected.is_empty(),
        "OceanBase's grammar rejects {} of {} statements:\n{rejected:#?}",
        rejected.len(),
        statements.len()
    );
}

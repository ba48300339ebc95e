//! The simulator's OceanBase behaviour, statement by statement, against
//! `shared/reference/oceanbase-backup.md` (§0.4, §2.1.3, §2.3, §2.5, §2.6).

mod common;

use common::Message::{Any, Is};
use common::{assert_codes, code, rows, wait_for};
use obsim::Simulator;
use obsim::cluster::Reply;

const FIXTURE: &str = r#"{
  "version": "4.2.2.1",
  "delays_ms": { "archive_prepare": 10, "archive_beginning": 10, "archive_stopping": 10, "archive_suspending": 10, "backup_canceling": 10 },
  "tenants": [
    { "id": 1002, "name": "t1", "log_mode": "ARCHIVELOG",
      "archive_dest": { "path": "file:///nfs/t1/archive", "dest_id": 1002 },
      "archive_round": { "round_id": 1, "status": "DOING" },
      "data_backup_dest": "file:///nfs/t1/data",
      "backup_jobs": [ { "job_id": 7 } ] },
    { "id": 1004, "name": "t2" }
  ]
}"#;

fn sim() -> Simulator {
    Simulator::start_in_thread(FIXTURE).expect("starts")
}

#[test]
fn parameters_unknown_out_of_range_and_tenant_clause() {
    let s = sim();
    let out_of_range = "ALTER SYSTEM SET ha_low_thread_score = 1000 TENANT = t1";
    assert_codes(
        &s,
        &[
            (
                "sys",
                "ALTER SYSTEM SET backup_dest = 'file:///x'",
                5099,
                Any,
            ),
            ("sys", out_of_range, 4147, Is("Invalid config")),
            (
                "t1",
                "ALTER SYSTEM SET ha_low_thread_score = 5 TENANT = t2",
                1227,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET ha_low_thread_score = 5 TENANT = nope",
                5160,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET ha_low_thread_score = 5 TENANT = all_user",
                0,
                Any,
            ),
        ],
    );
    let e = s.execute_as("sys", out_of_range).expect_err("range");
    assert_eq!(e.sqlstate, "HY000", "{e:?}");
    let values = rows(
        &s,
        "sys",
        "SELECT TENANT_ID, VALUE FROM oceanbase.GV$OB_PARAMETERS WHERE NAME = 'ha_low_thread_score' ORDER BY TENANT_ID",
    );
    let by_tenant: Vec<(String, String)> = values
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            )
        })
        .collect();
    assert!(by_tenant.contains(&("1002".into(), "5".into())));
    assert!(by_tenant.contains(&("1004".into(), "5".into())));
    assert!(
        by_tenant.contains(&("1".into(), "0".into())),
        "all_user leaves sys alone: {by_tenant:?}"
    );
}

#[test]
fn show_parameters_has_fourteen_columns_from_4_2_2() {
    let s = sim();
    let Reply::Rows { columns, rows } = s
        .execute_as("sys", "SHOW PARAMETERS LIKE 'ha_low%' TENANT = t1")
        .expect("runs")
    else {
        panic!("no rows")
    };
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "zone",
            "svr_type",
            "svr_ip",
            "svr_port",
            "name",
            "data_type",
            "value",
            "info",
            "section",
            "scope",
            "source",
            "edit_level",
            "default_value",
            "isdefault"
        ]
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][4].as_deref(), Some("ha_low_thread_score"));
}

#[test]
fn backup_configs_need_a_tenant_from_sys_and_cannot_mix() {
    let s = sim();
    assert_codes(
        &s,
        &[
            (
                "sys",
                "ALTER SYSTEM SET DATA_BACKUP_DEST = 'file:///nfs/x'",
                1235,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET DATA_BACKUP_DEST = 'file:///nfs/x' TENANT = t2, ha_low_thread_score = 1 TENANT = t2",
                1235,
                Is(
                    "backup configuration items cannot be set together with non data backup configuration items not supported",
                ),
            ),
            (
                "t2",
                "ALTER SYSTEM SET DATA_BACKUP_DEST = 'file:///nfs/t2/data'",
                0,
                Any,
            ),
            // t1 has a job running.
            (
                "t1",
                "ALTER SYSTEM SET DATA_BACKUP_DEST = 'file:///nfs/t2/data'",
                9036,
                Any,
            ),
        ],
    );
}

#[test]
fn one_directory_per_tenant() {
    assert_codes(
        &sim(),
        &[(
            "sys",
            "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/t1/archive' TENANT = t2",
            9081,
            Any,
        )],
    );
}

#[test]
fn archive_dest_cannot_change_while_the_round_runs() {
    let s = sim();
    let set_dest = "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/t1/a2' TENANT = t1";
    assert_codes(
        &s,
        &[
            (
                "sys",
                set_dest,
                1235,
                Is("change archive dest when archive is running is not supported"),
            ),
            ("sys", "ALTER SYSTEM NOARCHIVELOG TENANT = t1", 0, Any),
        ],
    );
    wait_for(
        &s,
        "SELECT STATUS FROM oceanbase.CDB_OB_ARCHIVELOG WHERE TENANT_ID = 1002",
        "STOP",
    );
    assert_codes(
        &s,
        &[
            ("sys", set_dest, 0, Any),
            ("sys", "ALTER SYSTEM ARCHIVELOG TENANT = t1", 0, Any),
        ],
    );
    wait_for(
        &s,
        "SELECT STATUS FROM oceanbase.CDB_OB_ARCHIVELOG WHERE TENANT_ID = 1002",
        "DOING",
    );
    let round = rows(
        &s,
        "sys",
        "SELECT ROUND_ID, PATH FROM oceanbase.CDB_OB_ARCHIVELOG WHERE TENANT_ID = 1002",
    );
    assert_eq!(round[0][0].as_deref(), Some("2"), "a new round");
    assert_eq!(round[0][1].as_deref(), Some("file:///nfs/t1/a2"));
}

#[test]
fn archive_dest_grammar_errors() {
    assert_codes(
        &sim(),
        &[
            (
                "sys",
                "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'BINDING=OPTIONAL' TENANT = t2",
                1235,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/t2/a BINDING=sometimes' TENANT = t2",
                1210,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/t2/a PIECE_SWITCH_INTERVAL=8d' TENANT = t2",
                1235,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/t2/a UNKNOWN=1' TENANT = t2",
                1235,
                Any,
            ),
        ],
    );
}

#[test]
fn archive_mode_errors_and_swallowing_from_sys() {
    let s = sim();
    assert_codes(
        &s,
        &[
            ("t1", "ALTER SYSTEM ARCHIVELOG", 9091, Any),
            ("t2", "ALTER SYSTEM NOARCHIVELOG", 9092, Any),
            // sys swallows per-tenant ARCHIVELOG errors …
            ("sys", "ALTER SYSTEM ARCHIVELOG TENANT = t1", 0, Any),
            // … but NOARCHIVELOG keeps the last error.
            ("sys", "ALTER SYSTEM NOARCHIVELOG TENANT = t2", 9092, Any),
            (
                "sys",
                "ALTER SYSTEM ARCHIVELOG TENANT = all_user",
                1235,
                Any,
            ),
            ("t1", "ALTER SYSTEM ARCHIVELOG TENANT = t1", 1227, Any),
            // Mode on without a destination: no round starts (4.1+, §2.5 A).
            ("sys", "ALTER SYSTEM ARCHIVELOG TENANT = t2", 0, Any),
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(
        rows(
            &s,
            "sys",
            "SELECT STATUS FROM oceanbase.CDB_OB_ARCHIVELOG WHERE TENANT_ID = 1004"
        )
        .is_empty()
    );
    assert_eq!(
        rows(
            &s,
            "sys",
            "SELECT LOG_MODE FROM oceanbase.DBA_OB_TENANTS WHERE TENANT_ID = 1004"
        )[0][0]
            .as_deref(),
        Some("ARCHIVELOG")
    );
}

#[test]
fn cancel_backup_moves_jobs_to_history() {
    let s = sim();
    assert_codes(
        &s,
        &[
            // Nothing to cancel is not an error.
            ("sys", "ALTER SYSTEM CANCEL BACKUP TENANT = t2", 0, Any),
            ("sys", "ALTER SYSTEM CANCEL BACKUP TENANT = t1", 0, Any),
        ],
    );
    for _ in 0..200 {
        if rows(&s, "sys", "SELECT JOB_ID FROM oceanbase.CDB_OB_BACKUP_JOBS").is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let history = rows(
        &s,
        "sys",
        "SELECT JOB_ID, STATUS FROM oceanbase.CDB_OB_BACKUP_JOB_HISTORY",
    );
    assert_eq!(
        history,
        vec![vec![Some("7".into()), Some("CANCELED".into())]]
    );
}

#[test]
fn views_follow_the_login_tenant() {
    let s = sim();
    assert_codes(
        &s,
        &[
            (
                "t1",
                "SELECT * FROM oceanbase.CDB_OB_ARCHIVE_DEST",
                1146,
                Any,
            ),
            (
                "sys",
                "SELECT * FROM oceanbase.NO_SUCH_VIEW",
                1146,
                Is("Table 'oceanbase.no_such_view' doesn't exist"),
            ),
            ("sys", "ALTER SYSTEM FROBNICATE", 1064, Any),
            ("sys", "SET no_such_variable = 1", 1193, Any),
        ],
    );
    let own = rows(
        &s,
        "t1",
        "SELECT NAME, VALUE FROM oceanbase.DBA_OB_ARCHIVE_DEST WHERE NAME = 'path'",
    );
    assert_eq!(
        own,
        vec![vec![
            Some("path".into()),
            Some("file:///nfs/t1/archive".into())
        ]]
    );
    let server = rows(
        &s,
        "sys",
        "SELECT ob_version(), version(), effective_tenant()",
    );
    assert_eq!(
        server[0],
        vec![
            Some("4.2.2.1".into()),
            Some("5.7.25-OceanBase_CE-v4.2.2.1".into()),
            Some("sys".into())
        ]
    );
}

const BACKUP_FIXTURE: &str = r#"{
  "version": "4.2.2.1",
  "delays_ms": { "archive_prepare": 10, "archive_beginning": 10, "archive_stopping": 10, "archive_suspending": 10,
                 "backup_canceling": 10, "backup_init": 10, "backup_running": 40 },
  "tenants": [
    { "id": 1002, "name": "ready", "log_mode": "ARCHIVELOG",
      "archive_dest": { "path": "file:///nfs/ready/archive", "dest_id": 1002 },
      "archive_round": { "round_id": 1, "status": "DOING" },
      "data_backup_dest": "file:///nfs/ready/data",
      "backup_history": [ { "backup_type": "FULL", "ended_ago": "9d" } ] },
    { "id": 1004, "name": "fresh", "log_mode": "ARCHIVELOG",
      "archive_dest": { "path": "file:///nfs/fresh/archive", "dest_id": 1004 },
      "archive_round": { "round_id": 1, "status": "DOING" },
      "data_backup_dest": "file:///nfs/fresh/data" },
    { "id": 1006, "name": "no_archive", "data_backup_dest": "file:///nfs/no_archive/data" },
    { "id": 1008, "name": "no_dest", "log_mode": "ARCHIVELOG",
      "archive_dest": { "path": "file:///nfs/no_dest/archive", "dest_id": 1008 },
      "archive_round": { "round_id": 1, "status": "DOING" } }
  ]
}"#;

fn wait_history(sim: &Simulator, tenant_id: u64, count: usize) -> Vec<Vec<Option<String>>> {
    let sql = format!(
        "SELECT JOB_ID, BACKUP_TYPE, STATUS, ENCRYPTION_MODE, RESULT, COMMENT, PASSWD FROM oceanbase.CDB_OB_BACKUP_JOB_HISTORY WHERE TENANT_ID = {tenant_id} ORDER BY JOB_ID"
    );
    for _ in 0..400 {
        let r = rows(sim, "sys", &sql);
        if r.len() >= count {
            return r;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("tenant {tenant_id} never had {count} finished jobs");
}

#[test]
fn backup_preconditions_have_the_documented_messages() {
    let s = Simulator::start_in_thread(BACKUP_FIXTURE).expect("starts");
    assert_codes(
        &s,
        &[
            (
                "sys",
                "ALTER SYSTEM BACKUP TENANT = no_archive",
                9040,
                Is("backup can not start, because log archive status is not doing."),
            ),
            (
                "sys",
                "ALTER SYSTEM BACKUP TENANT = no_dest",
                9040,
                Is("backup can not start, because backup dest is not set."),
            ),
            ("ready", "ALTER SYSTEM BACKUP TENANT = ready", 1235, Any),
            (
                "ready",
                "ALTER SYSTEM BACKUP DATABASE TO 'file:///x'",
                1235,
                Any,
            ),
            ("sys", "ALTER SYSTEM BACKUP TENANT = sys", 4016, Any),
            ("sys", "ALTER SYSTEM BACKUP TENANT = ready", 0, Any),
            // The same initiator twice.
            ("sys", "ALTER SYSTEM BACKUP TENANT = ready", 9036, Any),
            // A tenant-initiated job may coexist.
            ("ready", "ALTER SYSTEM BACKUP DATABASE", 0, Any),
            (
                "sys",
                "ALTER SYSTEM SET DATA_BACKUP_DEST = 'file:///nfs/ready/data2' TENANT = ready",
                9036,
                Any,
            ),
        ],
    );
}

#[test]
fn sys_backup_database_skips_unready_tenants_and_makes_a_cluster_job() {
    let s = Simulator::start_in_thread(BACKUP_FIXTURE).expect("starts");
    assert_eq!(
        code(s.execute_as("sys", "ALTER SYSTEM BACKUP DATABASE PLUS ARCHIVELOG")),
        0
    );
    // The CLUSTER job comes first; the tenants' jobs at the next scheduling
    // pass (v4.2.2_CE_BP1 src/rootserver/backup/ob_backup_data_scheduler.cpp).
    let sql = "SELECT TENANT_ID, JOB_LEVEL, INITIATOR_TENANT_ID, PLUS_ARCHIVELOG, STATUS FROM oceanbase.CDB_OB_BACKUP_JOBS ORDER BY TENANT_ID";
    let first = rows(&s, "sys", sql);
    assert_eq!(
        first
            .iter()
            .map(|r| (r[0].as_deref(), r[1].as_deref(), r[4].as_deref()))
            .collect::<Vec<_>>(),
        [(Some("1"), Some("CLUSTER"), Some("INIT"))],
        "the CLUSTER job alone at first"
    );
    std::thread::sleep(std::time::Duration::from_millis(30));
    let jobs = rows(&s, "sys", sql);
    let tenants: Vec<&str> = jobs.iter().filter_map(|r| r[0].as_deref()).collect();
    assert_eq!(
        tenants,
        ["1", "1002", "1004"],
        "sys (CLUSTER job) and the two ready tenants only"
    );
    assert_eq!(jobs[0][1].as_deref(), Some("CLUSTER"));
    assert_eq!(jobs[1][3].as_deref(), Some("ON"));
    wait_history(&s, 1, 1);
    assert!(
        rows(&s, "sys", "SELECT JOB_ID FROM oceanbase.CDB_OB_BACKUP_JOBS").is_empty(),
        "all jobs finished"
    );
}

#[test]
fn incremental_without_a_base_in_the_current_path_is_full_and_encryption_is_per_session() {
    let s = Simulator::start_in_thread(BACKUP_FIXTURE).expect("starts");
    // `fresh` has no backup set: its incremental becomes FULL (B7).
    assert_eq!(
        code(s.execute_as("sys", "ALTER SYSTEM BACKUP INCREMENTAL TENANT = fresh")),
        0
    );
    let history = wait_history(&s, 1004, 1);
    assert_eq!(history[0][1].as_deref(), Some("FULL"));
    assert_eq!(history[0][3].as_deref(), Some("NONE"));
    // `ready` has a full in its path: its incremental stays INC.
    assert_eq!(
        code(s.execute_as("sys", "ALTER SYSTEM BACKUP INCREMENTAL TENANT = ready")),
        0
    );
    let history = wait_history(&s, 1002, 2);
    assert_eq!(history[1][1].as_deref(), Some("INC"));
    let sets = rows(
        &s,
        "sys",
        "SELECT BACKUP_TYPE, STATUS, FILE_STATUS, PREV_FULL_BACKUP_SET_ID FROM oceanbase.CDB_OB_BACKUP_SET_FILES WHERE TENANT_ID = 1002 ORDER BY BACKUP_SET_ID",
    );
    assert_eq!(
        sets[1],
        vec![
            Some("INC".into()),
            Some("SUCCESS".into()),
            Some("AVAILABLE".into()),
            Some("1".into())
        ]
    );
}

#[test]
fn an_injected_failure_ends_the_job_failed_with_its_result() {
    let s = Simulator::start_in_thread(BACKUP_FIXTURE).expect("starts");
    s.fail_next_backup("fresh", -4012, "injected: disk full");
    assert_eq!(
        code(s.execute_as("sys", "ALTER SYSTEM BACKUP TENANT = fresh")),
        0
    );
    let history = wait_history(&s, 1004, 1);
    assert_eq!(history[0][2].as_deref(), Some("FAILED"));
    assert_eq!(history[0][4].as_deref(), Some("-4012"));
    assert_eq!(history[0][5].as_deref(), Some("injected: disk full"));
}

#[test]
fn cancel_of_a_new_backup_ends_canceled() {
    let s = Simulator::start_in_thread(BACKUP_FIXTURE).expect("starts");
    s.stall("DOING");
    assert_eq!(
        code(s.execute_as("sys", "ALTER SYSTEM BACKUP TENANT = fresh")),
        0
    );
    std::thread::sleep(std::time::Duration::from_millis(30));
    assert_eq!(
        code(s.execute_as("sys", "ALTER SYSTEM CANCEL BACKUP TENANT = fresh")),
        0
    );
    s.resume("DOING");
    let history = wait_history(&s, 1004, 1);
    assert_eq!(history[0][2].as_deref(), Some("CANCELED"));
}

/// `DATA_PROGRESS` of the task views exists only on the builds that have it:
/// CDB from 4.2.1.3 on the 4.2.1 line and 4.2.2.0, DBA from 4.3.1.0; the macro
/// block counts exist everywhere.
#[test]
fn task_view_columns_follow_the_build() {
    for (version, cdb, dba) in [
        ("4.1.0.2", false, false),
        ("4.2.1.2", false, false),
        ("4.2.1.3", true, false),
        ("4.2.2.1", true, false),
        ("4.3.1.0", true, true),
    ] {
        let fixture =
            format!(r#"{{"version": "{version}", "tenants": [{{"id": 1002, "name": "t"}}]}}"#);
        let s = Simulator::start_in_thread(&fixture).expect("starts");
        let want = |present: bool| if present { 0 } else { 1054 };
        assert_codes(
            &s,
            &[
                (
                    "sys",
                    "SELECT DATA_PROGRESS FROM oceanbase.CDB_OB_BACKUP_TASKS",
                    want(cdb),
                    Any,
                ),
                (
                    "t",
                    "SELECT DATA_PROGRESS FROM oceanbase.DBA_OB_BACKUP_TASKS",
                    want(dba),
                    Any,
                ),
                (
                    "sys",
                    "SELECT MACRO_BLOCK_COUNT, FINISH_MACRO_BLOCK_COUNT FROM oceanbase.CDB_OB_BACKUP_TASKS",
                    0,
                    Any,
                ),
                (
                    "t",
                    "SELECT MACRO_BLOCK_COUNT, FINISH_MACRO_BLOCK_COUNT FROM oceanbase.DBA_OB_BACKUP_TASKS",
                    0,
                    Any,
                ),
            ],
        );
    }
}

/// Parameters as each build defines them: archive_lag_target from 4.2.0,
/// log_archive_concurrency = 0 from 4.1.0.2, backup_data_file_size per
/// tenant from 4.2.1.2 (a cluster parameter before: TENANT = answers 5099).
#[test]
fn parameters_follow_the_build() {
    for (version, lag, zero, file_size_per_tenant) in [
        ("4.1.0.0", false, false, false),
        ("4.1.0.2", false, true, false),
        ("4.2.0.0", true, true, false),
        ("4.2.1.1", true, true, false),
        ("4.2.1.2", true, true, true),
        ("4.2.2.1", true, true, true),
        ("4.3.1.0", true, true, true),
    ] {
        let fixture =
            format!(r#"{{"version": "{version}", "tenants": [{{"id": 1002, "name": "t"}}]}}"#);
        let s = Simulator::start_in_thread(&fixture).expect("starts");
        let ok = |yes: bool, no: u16| if yes { 0 } else { no };
        assert_codes(
            &s,
            &[
                (
                    "sys",
                    "ALTER SYSTEM SET archive_lag_target = '2m' TENANT = 't'",
                    ok(lag, 5099),
                    Any,
                ),
                (
                    "sys",
                    "ALTER SYSTEM SET log_archive_concurrency = 0 TENANT = 't'",
                    ok(zero, 4147),
                    Any,
                ),
                (
                    "sys",
                    "ALTER SYSTEM SET log_archive_concurrency = 1 TENANT = 't'",
                    0,
                    Any,
                ),
                (
                    "sys",
                    "ALTER SYSTEM SET backup_data_file_size = '4G' TENANT = 't'",
                    ok(file_size_per_tenant, 5099),
                    Any,
                ),
            ],
        );
        if !file_size_per_tenant {
            assert_codes(
                &s,
                &[(
                    "sys",
                    "ALTER SYSTEM SET backup_data_file_size = '2G'",
                    0,
                    Any,
                )],
            );
        }
    }
}

/// `TENANT = all` is taken by every 4.x build: every tenant before 4.2.1
/// (sys included), the user tenants from 4.2.1 once every server runs it;
/// `all_user` is a tenant name before 4.2.1 (5160) and is refused while
/// `min_observer_version` is below 4.2.1.0 (1235). Cluster-scope rows have
/// no tenant. (v4.1.0_CE, v4.2.0_CE, v4.2.1_CE
/// src/rootserver/ob_system_admin_util.cpp, verify_config.)
#[test]
fn tenant_all_and_all_user_follow_the_build_and_the_upgrade() {
    for (version, min, all_user, sys_too) in [
        ("4.2.0.0", "4.2.0.0", 5160, true),
        ("4.2.2.1", "4.2.0.0", 1235, true),
        ("4.2.2.1", "4.2.2.1", 0, false),
    ] {
        let fixture = format!(
            r#"{{"version": "{version}", "min_observer_version": "{min}", "tenants": [{{"id": 1002, "name": "t"}}]}}"#
        );
        let s = Simulator::start_in_thread(&fixture).expect("starts");
        assert!(
            Simulator::start_in_thread(&fixture.replace(
                &format!(r#""min_observer_version": "{min}""#),
                r#""min_observer_version": "4.2.x""#
            ))
            .is_err(),
            "a min_observer_version that is not a build is a fixture error"
        );
        assert_codes(
            &s,
            &[
                (
                    "sys",
                    "ALTER SYSTEM SET ha_low_thread_score = 7 TENANT = all_user",
                    all_user,
                    Any,
                ),
                (
                    "sys",
                    "ALTER SYSTEM SET ha_low_thread_score = 5 TENANT = all",
                    0,
                    Any,
                ),
            ],
        );
        let sys_value = rows(
            &s,
            "sys",
            "SELECT VALUE FROM oceanbase.GV$OB_PARAMETERS WHERE NAME = 'ha_low_thread_score' AND TENANT_ID = 1",
        );
        assert_eq!(
            sys_value[0][0].as_deref() == Some("5"),
            sys_too,
            "{version} with min {min}: {sys_value:?}"
        );
        let cluster_rows = rows(
            &s,
            "sys",
            "SELECT VALUE, SCOPE FROM oceanbase.GV$OB_PARAMETERS WHERE NAME = 'min_observer_version'",
        );
        assert_eq!(
            cluster_rows,
            [[Some(min.to_string()), Some("CLUSTER".to_string())]],
            "one row per server, none per tenant"
        );
    }
}

const STATUS_T1: &str =
    "SELECT STATUS FROM oceanbase.CDB_OB_ARCHIVELOG WHERE DEST_NO = 0 AND TENANT_ID = 1002";
const STATUS_T2: &str =
    "SELECT STATUS FROM oceanbase.CDB_OB_ARCHIVELOG WHERE DEST_NO = 0 AND TENANT_ID = 1004";

/// A suspended round resumes at BEGINNING, not PREPARE; only a DOING (or
/// INTERRUPTED) round is suspended: a BEGINNING one reaches DOING first
/// (v4.2.2_CE_BP1 src/share/backup/ob_tenant_archive_round.cpp).
#[test]
fn a_deferred_round_suspends_from_doing_and_resumes_at_beginning() {
    let s = sim();
    let set = |state: &str, tenant: &str| {
        code(s.execute_as(
            "sys",
            &format!("ALTER SYSTEM SET LOG_ARCHIVE_DEST_STATE = '{state}' TENANT = {tenant}"),
        ))
    };
    assert_eq!(set("DEFER", "t1"), 0);
    wait_for(&s, STATUS_T1, "SUSPEND");
    // Held in PREPARE, a round that went through it would never reach BEGINNING.
    s.stall("PREPARE");
    assert_eq!(set("ENABLE", "t1"), 0);
    wait_for(&s, STATUS_T1, "BEGINNING");
    s.resume("PREPARE");
    wait_for(&s, STATUS_T1, "DOING");

    // t2 starts archiving; held in BEGINNING, a DEFER does not suspend it.
    assert_codes(
        &s,
        &[
            (
                "sys",
                "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/t2/archive' TENANT = t2",
                0,
                Any,
            ),
            ("sys", "ALTER SYSTEM ARCHIVELOG TENANT = t2", 0, Any),
        ],
    );
    s.stall("BEGINNING");
    wait_for(&s, STATUS_T2, "BEGINNING");
    assert_eq!(set("DEFER", "t2"), 0);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(
        rows(&s, "sys", STATUS_T2)[0][0].as_deref(),
        Some("BEGINNING")
    );
    s.resume("BEGINNING");
    wait_for(&s, STATUS_T2, "SUSPEND");
}

/// NOARCHIVELOG has no tenant-status check; ARCHIVELOG does (9023)
/// (v4.2.2_CE_BP1 src/rootserver/backup/ob_tenant_archive_scheduler.cpp).
/// A BACKUP tenant list drops duplicates (ARCHIVELOG's refuses them).
#[test]
fn tenant_lists_and_statuses_as_each_statement_checks_them() {
    let fixture = r#"{
      "version": "4.2.2.1",
      "tenants": [
        { "id": 1002, "name": "t1", "log_mode": "ARCHIVELOG",
          "archive_dest": { "path": "file:///nfs/t1/archive", "dest_id": 1002 },
          "archive_round": { "round_id": 1, "status": "DOING" },
          "data_backup_dest": "file:///nfs/t1/data" },
        { "id": 1004, "name": "restoring", "status": "RESTORE", "log_mode": "ARCHIVELOG" },
        { "id": 1006, "name": "restoring_off", "status": "RESTORE" }
      ]
    }"#;
    let s = Simulator::start_in_thread(fixture).expect("starts");
    assert_codes(
        &s,
        &[
            (
                "sys",
                "ALTER SYSTEM NOARCHIVELOG TENANT = restoring",
                0,
                Any,
            ),
            // From sys the refusal (9023) is swallowed: the mode stays off.
            (
                "sys",
                "ALTER SYSTEM ARCHIVELOG TENANT = restoring_off",
                0,
                Any,
            ),
            ("sys", "ALTER SYSTEM ARCHIVELOG TENANT = t1, t1", 1235, Any),
            ("sys", "ALTER SYSTEM BACKUP TENANT = t1, t1", 0, Any),
        ],
    );
    let modes = rows(
        &s,
        "sys",
        "SELECT TENANT_NAME, LOG_MODE FROM oceanbase.DBA_OB_TENANTS WHERE TENANT_NAME LIKE 'restoring%' ORDER BY TENANT_NAME",
    );
    assert_eq!(
        modes,
        [
            [
                Some("restoring".to_string()),
                Some("NOARCHIVELOG".to_string())
            ],
            [
                Some("restoring_off".to_string()),
                Some("NOARCHIVELOG".to_string())
            ]
        ]
    );
    // One job for the tenant named twice (created at the next scheduling pass).
    wait_for(
        &s,
        "SELECT COUNT(*) FROM oceanbase.CDB_OB_BACKUP_JOBS WHERE TENANT_ID = 1002",
        "1",
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(
        rows(
            &s,
            "sys",
            "SELECT COUNT(*) FROM oceanbase.CDB_OB_BACKUP_JOBS WHERE TENANT_ID = 1002"
        )[0][0]
            .as_deref(),
        Some("1"),
        "one job for the tenant named twice"
    );
}

/// A tenant backing itself up is checked for its destination first (9040
/// with the bare message), then status, a job of its own (9036), then the
/// archive; from sys the archive comes before the job and the destination
/// (v4.2.2_CE_BP1 src/rootserver/backup/ob_backup_data_scheduler.cpp).
#[test]
fn backup_checks_come_in_oceanbases_order() {
    let fixture = r#"{
      "version": "4.2.2.1",
      "tenants": [
        { "id": 1002, "name": "bare", "log_mode": "ARCHIVELOG" },
        { "id": 1004, "name": "busy", "log_mode": "ARCHIVELOG",
          "data_backup_dest": "file:///nfs/busy/data",
          "backup_jobs": [ { "job_id": 3 } ] }
      ],
      "users": [ { "tenant": "bare", "user": "root", "password": "" },
                 { "tenant": "busy", "user": "root", "password": "" } ]
    }"#;
    let s = Simulator::start_in_thread(fixture).expect("starts");
    assert_codes(
        &s,
        &[
            (
                "bare",
                "ALTER SYSTEM BACKUP DATABASE",
                9040,
                Is("backup can not start"),
            ),
            (
                "sys",
                "ALTER SYSTEM BACKUP TENANT = bare",
                9040,
                Is("backup can not start, because log archive status is not doing."),
            ),
            // Its own job (from the fixture, started by itself) before the archive.
            ("busy", "ALTER SYSTEM BACKUP DATABASE", 9036, Any),
        ],
    );
}

/// A LOG_ARCHIVE_DEST is parsed before the round is checked: a bad value
/// while archiving is named as such (v4.2.2_CE_BP1
/// src/rootserver/ob_root_service.cpp, admin_set_backup_config).
#[test]
fn a_bad_archive_dest_is_refused_for_itself_even_while_archiving() {
    let s = sim();
    assert_codes(
        &s,
        &[
            (
                "sys",
                "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=ftp://host/a' TENANT = t1",
                9026,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/t1/other' TENANT = t1",
                1235,
                Any,
            ),
        ],
    );
}

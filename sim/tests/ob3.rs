//! The 3.2 dialect statement by statement (reference §1).

mod common;

use common::Message::{Any, Is};
use common::{assert_codes, code, rows, wait_for};
use obsim::Simulator;
use obsim::cluster::Reply;

fn fast(name: &str) -> Simulator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/live")
        .join(name);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    v["delays_ms"] = serde_json::json!({"archive_beginning": 10, "archive_stopping": 10, "backup_backup": 10, "backup_running": 20});
    Simulator::start_in_thread(&v.to_string()).expect("starts")
}

#[test]
fn parameters_and_option_grammars() {
    let s = fast("empty-3.2.json");
    assert_codes(
        &s,
        &[
            ("sys", "ALTER SYSTEM SET log_archive_dest = 'x'", 5099, Any),
            (
                "sys",
                "ALTER SYSTEM SET backup_log_archive_option = 'sometimes'",
                4147,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET backup_log_archive_option = 'mandatory compression= zstd_1.3.8'",
                0,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET backup_dest_option = 'recovery_window=7d&bogus=1'",
                1210,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET backup_concurrency = 101",
                4147,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET enable_log_archive = true",
                1235,
                Any,
            ),
            (
                "trade",
                "ALTER SYSTEM SET backup_concurrency = 1",
                1227,
                Any,
            ),
        ],
    );
    let Reply::Rows { columns, rows } = s
        .execute_as("sys", "SHOW PARAMETERS LIKE 'backup_log_archive_option'")
        .expect("show")
    else {
        panic!("rows")
    };
    assert_eq!(columns.len(), 12);
    assert_eq!(
        rows[0][6].as_deref(),
        Some("mandatory compression= zstd_1.3.8"),
        "the literal string last set"
    );
    // 3.1's grammar takes a tenant: sys only, and one that exists (or seed).
    assert_codes(
        &s,
        &[
            (
                "sys",
                "SHOW PARAMETERS LIKE 'backup_dest' TENANT = trade",
                0,
                Any,
            ),
            ("sys", "SHOW PARAMETERS TENANT = 'seed'", 0, Any),
            ("sys", "SHOW PARAMETERS TENANT = nope", 5160, Any),
            ("trade", "SHOW PARAMETERS TENANT = trade", 1227, Any),
        ],
    );
}

#[test]
fn archive_needs_a_destination_and_runs_beginning_to_doing() {
    let s = fast("empty-3.2.json");
    assert_codes(
        &s,
        &[
            ("sys", "ALTER SYSTEM ARCHIVELOG", 9026, Any),
            ("sys", "ALTER SYSTEM NOARCHIVELOG", 9024, Any),
            (
                "sys",
                "ALTER SYSTEM SET backup_dest = 'file:///nfs/b?x=1'",
                1235,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET backup_dest = 'file:///nfs/b'",
                0,
                Any,
            ),
            ("sys", "ALTER SYSTEM MINOR FREEZE", 0, Any),
            ("sys", "ALTER SYSTEM ARCHIVELOG", 0, Any),
            ("sys", "ALTER SYSTEM ARCHIVELOG", 1235, Any),
            // Not while archiving.
            (
                "sys",
                "ALTER SYSTEM SET backup_dest = 'file:///nfs/c'",
                9036,
                Any,
            ),
        ],
    );
    wait_for(
        &s,
        "SELECT STATUS FROM oceanbase.CDB_OB_BACKUP_ARCHIVELOG WHERE TENANT_ID = 1",
        "DOING",
    );
    assert_eq!(
        rows(
            &s,
            "sys",
            "SELECT COUNT(*) FROM oceanbase.CDB_OB_BACKUP_ARCHIVELOG"
        )[0][0]
            .as_deref(),
        Some("3"),
        "sys and two tenants"
    );
    assert_eq!(code(s.execute_as("sys", "ALTER SYSTEM NOARCHIVELOG")), 0);
    wait_for(
        &s,
        "SELECT STATUS FROM oceanbase.CDB_OB_BACKUP_ARCHIVELOG WHERE TENANT_ID = 1",
        "STOP",
    );
    assert_codes(
        &s,
        &[
            // A directory that holds archive data.
            (
                "sys",
                "ALTER SYSTEM SET backup_dest = 'file:///nfs/b'",
                9026,
                Any,
            ),
            ("trade", "ALTER SYSTEM ARCHIVELOG", 1227, Any),
            // A 4.x view.
            (
                "sys",
                "SELECT * FROM oceanbase.CDB_OB_ARCHIVELOG",
                1146,
                Any,
            ),
        ],
    );
}

#[test]
fn the_archive_summary_keeps_stopped_rounds_with_the_times_they_cover() {
    let s = fast("empty-3.2.json");
    let summary = "SELECT LOG_ARCHIVE_ROUND, STATUS, MIN_FIRST_TIME, MAX_NEXT_TIME \
         FROM oceanbase.CDB_OB_BACKUP_ARCHIVELOG_SUMMARY WHERE TENANT_ID = 1 ORDER BY LOG_ARCHIVE_ROUND";
    assert!(rows(&s, "sys", summary).is_empty(), "no round yet");
    let status = "SELECT STATUS FROM oceanbase.CDB_OB_BACKUP_ARCHIVELOG WHERE TENANT_ID = 1";
    assert_codes(
        &s,
        &[
            (
                "sys",
                "ALTER SYSTEM SET backup_dest = 'file:///nfs/b'",
                0,
                Any,
            ),
            ("sys", "ALTER SYSTEM ARCHIVELOG", 0, Any),
        ],
    );
    wait_for(&s, status, "DOING");
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(code(s.execute_as("sys", "ALTER SYSTEM NOARCHIVELOG")), 0);
    wait_for(&s, status, "STOP");
    assert_eq!(code(s.execute_as("sys", "ALTER SYSTEM ARCHIVELOG")), 0);
    wait_for(&s, status, "DOING");
    let rounds = rows(&s, "sys", summary);
    assert_eq!(rounds.len(), 2, "{rounds:?}");
    let (first, current) = (&rounds[0], &rounds[1]);
    assert_eq!(
        (first[0].as_deref(), first[1].as_deref()),
        (Some("1"), Some("STOP"))
    );
    assert_eq!(
        (current[0].as_deref(), current[1].as_deref()),
        (Some("2"), Some("DOING"))
    );
    // Round 1 covers from its start to when archiving stopped; round 2 began
    // after that (times in one text layout compare as times).
    let time = |r: &Vec<Option<String>>, k: usize| r[k].clone().expect("a time");
    assert!(time(first, 2) < time(first, 3), "{first:?}");
    assert!(time(first, 3) <= time(current, 2), "{rounds:?}");
    assert_eq!(
        rows(
            &s,
            "sys",
            "SELECT COUNT(*) FROM oceanbase.CDB_OB_BACKUP_ARCHIVELOG_SUMMARY"
        )[0][0]
            .as_deref(),
        Some("6"),
        "two rounds for sys and two tenants"
    );
}

#[test]
fn backup_backup_of_pieces_and_round_mode() {
    let s = fast("documented-3.2.json");
    assert_codes(
        &s,
        &[
            // The same directory as backup_dest.
            (
                "sys",
                "ALTER SYSTEM SET backup_backup_dest = 'file:///data/nfs/backup'",
                9026,
                Any,
            ),
            // 3.2 takes 2h.
            (
                "sys",
                "ALTER SYSTEM SET backup_backup_dest_option = 'log_archive_checkpoint_interval=2h'",
                0,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET backup_backup_dest = 'file:///data/nfs/backup_backup'",
                0,
                Any,
            ),
            // Needs an explicit destination.
            (
                "sys",
                "ALTER SYSTEM BACKUP BACKUPPIECE ALL NOT BACKED UP 1 TIMES",
                1235,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM BACKUP BACKUPPIECE ALL NOT BACKED UP 1 TIMES BACKUP_BACKUP_DEST = 'file:///data/nfs/backup_backup'",
                0,
                Any,
            ),
        ],
    );
    wait_for(
        &s,
        "SELECT STATUS FROM oceanbase.CDB_OB_BACKUP_BACKUPPIECE_JOB_HISTORY",
        "FINISH",
    );
    let copies = rows(
        &s,
        "sys",
        "SELECT BACKUP_PIECE_ID, COPY_ID FROM oceanbase.CDB_OB_BACKUP_PIECE_FILES WHERE COPY_ID > 0",
    );
    assert_eq!(
        copies,
        vec![vec![Some("1".into()), Some("1".into())]],
        "the frozen piece only, once"
    );
    assert_codes(
        &s,
        &[
            (
                "sys",
                "ALTER SYSTEM SET backup_dest = 'file:///x'",
                9036,
                Any,
            ),
            // Round mode refuses the directory holding piece copies (F5).
            (
                "sys",
                "ALTER SYSTEM START BACKUP ARCHIVELOG",
                1235,
                Is("backup archive log in piece data directory is not supported"),
            ),
            // backup_backup_dest takes only an empty directory, the current one too (F4).
            (
                "sys",
                "ALTER SYSTEM SET backup_backup_dest = 'file:///data/nfs/backup_backup'",
                9026,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET backup_backup_dest = 'file:///data/nfs/round'",
                0,
                Any,
            ),
            ("sys", "ALTER SYSTEM START BACKUP ARCHIVELOG", 0, Any),
            // Not in auto mode.
            (
                "sys",
                "ALTER SYSTEM BACKUP BACKUPPIECE ALL BACKUP_BACKUP_DEST = 'file:///bb2'",
                1235,
                Any,
            ),
        ],
    );
    wait_for(
        &s,
        "SELECT STATUS FROM oceanbase.CDB_OB_BACKUP_BACKUP_ARCHIVELOG WHERE TENANT_ID = 1",
        "DOING",
    );
    assert_codes(
        &s,
        &[
            ("sys", "ALTER SYSTEM STOP BACKUP ARCHIVELOG", 0, Any),
            // Piece copies refuse the directory holding round-mode copies (F5).
            (
                "sys",
                "ALTER SYSTEM BACKUP BACKUPPIECE ALL NOT BACKED UP 1 TIMES BACKUP_BACKUP_DEST = 'file:///data/nfs/round'",
                1235,
                Is("backup backup piece in round mode directory is not supported"),
            ),
        ],
    );
    let dirs = rows(
        &s,
        "sys",
        "SELECT backup_piece_id, backup_dest FROM oceanbase.__all_backup_piece_files WHERE tenant_id = 1 AND copy_id > 0 ORDER BY backup_piece_id",
    );
    assert_eq!(
        dirs,
        [
            [Some("0".into()), Some("file:///data/nfs/round".into())],
            [
                Some("1".into()),
                Some("file:///data/nfs/backup_backup".into())
            ]
        ]
    );
}

#[test]
fn cluster_data_backup() {
    let s = fast("documented-3.2.json");
    assert_codes(
        &s,
        &[
            ("sys", "ALTER SYSTEM CANCEL BACKUP", 9049, Any),
            ("sys", "ALTER SYSTEM BACKUP TENANT = tenant_1001", 1064, Any),
            ("sys", "ALTER SYSTEM BACKUP INCREMENTAL DATABASE", 0, Any),
            ("sys", "ALTER SYSTEM BACKUP DATABASE", 9036, Any),
        ],
    );
    wait_for(
        &s,
        "SELECT STATUS FROM oceanbase.CDB_OB_BACKUP_SET_DETAILS WHERE TENANT_ID = 1 ORDER BY BS_KEY DESC",
        "COMPLETED",
    );
    let latest = rows(
        &s,
        "sys",
        "SELECT BACKUP_TYPE FROM oceanbase.CDB_OB_BACKUP_SET_DETAILS WHERE TENANT_ID = 1 ORDER BY BS_KEY DESC",
    );
    assert_eq!(
        latest[0][0].as_deref(),
        Some("D"),
        "no previous successful set: the incremental is recorded as full (B4)"
    );
}

/// Round-mode backup-backup: START and STOP BACKUP ARCHIVELOG both need
/// `backup_backup_dest` (1235), and stopping leaves the status PAUSED, under
/// which piece copies and a new `backup_backup_dest` are allowed again.
#[test]
fn stopping_round_mode_pauses_it() {
    let s = fast("empty-3.2.json");
    assert_codes(
        &s,
        &[
            ("sys", "ALTER SYSTEM STOP BACKUP ARCHIVELOG", 1235, Any),
            ("sys", "ALTER SYSTEM START BACKUP ARCHIVELOG", 1235, Any),
            (
                "sys",
                "ALTER SYSTEM SET backup_dest = 'file:///nfs/rm/backup'",
                0,
                Any,
            ),
            (
                "sys",
                "ALTER SYSTEM SET backup_backup_dest = 'file:///nfs/rm/bb'",
                0,
                Any,
            ),
            ("sys", "ALTER SYSTEM START BACKUP ARCHIVELOG", 0, Any),
            (
                "sys",
                "ALTER SYSTEM SET backup_backup_dest = 'file:///nfs/rm/bb2'",
                9036,
                Any,
            ),
            ("sys", "ALTER SYSTEM STOP BACKUP ARCHIVELOG", 0, Any),
        ],
    );
    let status = rows(
        &s,
        "sys",
        "SELECT STATUS FROM oceanbase.CDB_OB_BACKUP_BACKUP_ARCHIVELOG",
    );
    assert_eq!(
        status.first().and_then(|r| r[0].clone()).as_deref(),
        Some("PAUSED")
    );
    assert_codes(
        &s,
        &[(
            "sys",
            "ALTER SYSTEM SET backup_backup_dest = 'file:///nfs/rm/bb2'",
            0,
            Any,
        )],
    );
}

#[test]
fn a_backup_between_sets_blocks_another_and_refuses_cancel() {
    for (phase, cancel) in [("PREPARE", 9041), ("CLEANUP", 9041), ("SCHEDULE", 0)] {
        let fixture = format!(
            r#"{{ "version": "3.2.4.1",
              "parameters": {{ "backup_dest": "file:///nfs/b" }},
              "archive": {{ "round_id": 1, "status": "DOING" }},
              "backup_status": "{phase}" }}"#
        );
        let s = Simulator::start_in_thread(&fixture).expect("starts");
        assert_eq!(
            rows(
                &s,
                "sys",
                "SELECT value FROM oceanbase.__all_tenant_backup_info WHERE tenant_id = 1 AND name = 'backup_status'"
            )[0][0]
                .as_deref(),
            Some(phase)
        );
        assert_codes(
            &s,
            &[
                ("sys", "ALTER SYSTEM BACKUP DATABASE", 9036, Any),
                ("sys", "ALTER SYSTEM CANCEL BACKUP", cancel, Any),
            ],
        );
    }
}

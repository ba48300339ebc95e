//! The 4.x delete policy statements, answered as `ObDeletePolicyResolver`
//! (v4.0.0_CE..v4.3.1_CE_BETA `src/sql/resolver/cmd/ob_alter_system_resolver.cpp`)
//! and `ObDeletePolicyOperator` (v4.2.2_CE_BP1
//! `src/share/backup/ob_backup_clean_operator.cpp`) answer them; the views
//! that show the policy, the cleanup jobs and the pieces.

mod common;

use common::Message::{Any, Is};
use common::{assert_codes, rows};
use obsim::Simulator;

const FIXTURE: &str = r#"{
  "version": "4.2.2.1",
  "tenants": [
    { "id": 1002, "name": "t1", "log_mode": "ARCHIVELOG",
      "archive_dest": { "path": "file:///nfs/t1/archive", "dest_id": 1001 },
      "archive_round": { "round_id": 2, "status": "DOING" },
      "archive_pieces": [
        { "round_id": 1, "piece_id": 1, "status": "FROZEN", "started_ago": "3d", "checkpoint_ago": "2d" }
      ],
      "delete_jobs": [
        { "status": "FAILED", "result": -9069, "comment": "deleting backup piece is not allowed" },
        { "status": "DOING", "started_ago": "1m" }
      ] },
    { "id": 1004, "name": "t2" }
  ]
}"#;

const ADD: &str = "ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' RECOVERY_WINDOW '7d'";

#[test]
fn the_resolver_refuses_what_oceanbase_refuses_in_its_order() {
    let s = Simulator::start_in_thread(FIXTURE).expect("starts");
    let add_t1 = format!("{ADD} TENANT = t1");
    assert_codes(
        &s,
        &[
            (
                "sys",
                "ALTER SYSTEM ADD DELETE BACKUP POLICY 'Default' RECOVERY_WINDOW '7d' TENANT = t1",
                1235,
                Is("The policy name is not 'default', it is not supported"),
            ),
            (
                "sys",
                ADD,
                1235,
                Is(
                    "Too little tenant names specified, only one tenant name can be specified not supported",
                ),
            ),
            (
                "t1",
                &add_t1,
                1235,
                Is("user tenant cannot specify tenant names not supported"),
            ),
            (
                "sys",
                &format!("{ADD} TENANT = t1, t2"),
                1235,
                Is(
                    "Too many tenant names specified, only one tenant name can be specified not supported",
                ),
            ),
            ("sys", &format!("{ADD} TENANT = sys"), 4016, Any),
            ("sys", &format!("{ADD} TENANT = nope"), 5160, Any),
            (
                "sys",
                "ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' TENANT = t1",
                1235,
                Is("Neither recovery_window nor redundancy is set not supported"),
            ),
            (
                "sys",
                "ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' RECOVERY_WINDOW '7x' TENANT = t1",
                1235,
                Is("recovery window is not be time string not supported"),
            ),
            (
                "sys",
                "ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' REDUNDANCY 2 TENANT = t1",
                1235,
                Is("Redundancy not equal to 1 is not supported"),
            ),
            // Options in the grammar's order only.
            (
                "sys",
                "ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' TENANT = t1 RECOVERY_WINDOW '7d'",
                1064,
                Any,
            ),
            // The name is a string literal.
            (
                "sys",
                "ALTER SYSTEM ADD DELETE BACKUP POLICY default RECOVERY_WINDOW '7d' TENANT = t1",
                1064,
                Any,
            ),
            // Dropping a policy that does not exist deletes nothing and succeeds.
            (
                "sys",
                "ALTER SYSTEM DROP DELETE BACKUP POLICY 'default' TENANT = t2",
                0,
                Any,
            ),
            ("sys", &add_t1, 0, Any),
            // A second add hits the table's primary key.
            ("sys", &add_t1, 1062, Any),
            // A user tenant adds its own, without a TENANT clause.
            (
                "t2",
                "ALTER SYSTEM ADD DELETE BACKUP POLICY = 'default' RECOVERY_WINDOW = '36h'",
                0,
                Any,
            ),
        ],
    );
    let policies = rows(
        &s,
        "sys",
        "SELECT TENANT_ID, POLICY_NAME, RECOVERY_WINDOW FROM oceanbase.CDB_OB_BACKUP_DELETE_POLICY ORDER BY TENANT_ID",
    );
    let text = |r: &Vec<Option<String>>| {
        r.iter()
            .map(|c| c.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        policies.iter().map(text).collect::<Vec<_>>(),
        [["1002", "default", "7d"], ["1004", "default", "36h"]],
        "the window is kept as typed"
    );
    let own = rows(
        &s,
        "t2",
        "SELECT POLICY_NAME, RECOVERY_WINDOW FROM oceanbase.DBA_OB_BACKUP_DELETE_POLICY",
    );
    assert_eq!(
        own.iter().map(text).collect::<Vec<_>>(),
        [["default", "36h"]]
    );
    assert_codes(
        &s,
        &[(
            "sys",
            "ALTER SYSTEM DROP DELETE BACKUP POLICY 'default' TENANT = t1",
            0,
            Any,
        )],
    );
    let left = rows(
        &s,
        "sys",
        "SELECT TENANT_ID FROM oceanbase.CDB_OB_BACKUP_DELETE_POLICY",
    );
    assert_eq!(left.iter().map(text).collect::<Vec<_>>(), [["1004"]]);
}

#[test]
fn cleanup_jobs_and_pieces_show_in_their_views() {
    let s = Simulator::start_in_thread(FIXTURE).expect("starts");
    let running = rows(
        &s,
        "sys",
        "SELECT TENANT_ID, STATUS, END_TIMESTAMP, TYPE FROM oceanbase.CDB_OB_BACKUP_DELETE_JOBS",
    );
    assert_eq!(running.len(), 1);
    assert_eq!(running[0][1].as_deref(), Some("DOING"));
    assert_eq!(running[0][2], None, "a running job has no end");
    assert_eq!(running[0][3].as_deref(), Some("DELETE OBSOLETE BACKUP"));
    let history = rows(
        &s,
        "t1",
        "SELECT STATUS, RESULT, COMMENT FROM oceanbase.DBA_OB_BACKUP_DELETE_JOB_HISTORY",
    );
    assert_eq!(
        history,
        [[
            Some("FAILED".to_string()),
            Some("-9069".to_string()),
            Some("deleting backup piece is not allowed".to_string())
        ]]
    );
    // The seeded piece of round 1, and the ACTIVE piece of the DOING round 2.
    let pieces = rows(
        &s,
        "sys",
        "SELECT ROUND_ID, PIECE_ID, STATUS, PATH FROM oceanbase.CDB_OB_ARCHIVELOG_PIECE_FILES ORDER BY ROUND_ID",
    );
    let shown: Vec<Vec<String>> = pieces
        .iter()
        .map(|r| r.iter().map(|c| c.clone().unwrap_or_default()).collect())
        .collect();
    assert_eq!(
        shown,
        [
            ["1", "1", "FROZEN", "file:///nfs/t1/archive"],
            ["2", "1", "ACTIVE", "file:///nfs/t1/archive"]
        ]
    );
}

#[test]
fn oceanbase_3_has_no_delete_policy_statement() {
    let s = Simulator::start_in_thread(r#"{ "version": "3.2.4.1" }"#).expect("starts");
    assert_codes(
        &s,
        &[(
            "sys",
            "ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' RECOVERY_WINDOW '7d'",
            1064,
            Any,
        )],
    );
}

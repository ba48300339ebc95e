//! The `oceanbase` views, materialised into an in-memory SQLite database per
//! session so that any `SELECT` a client sends runs on a real SQL engine.
//!
//! Column names and order follow [S4.2.2] `ob_inner_table_schema_def.py` as listed
//! in `shared/reference/oceanbase-backup.md` §2.4 and §0.4 (GV$OB_PARAMETERS);
//! value formats follow §3 ("Simulator output shapes"). From sys the `CDB_` views
//! and `DBA_OB_TENANTS` exist; from a user tenant the `DBA_` views show that
//! tenant only, without `TENANT_ID` (§2.4). A view that does not exist for the
//! login is `1146`, as on OceanBase.

use crate::backup::Job;
use crate::cluster::{Cluster, Reply, SCN_BASE_NS, SYS_TENANT_ID, Session, TenantType};
use crate::error::ObError;
use crate::parameter;
use crate::protocol::{Column, ColumnType};
use rusqlite::types::Value;
use std::time::Instant;

/// Column type in a view definition.
#[derive(Clone, Copy)]
enum T {
    /// BIGINT.
    I,
    /// VARCHAR.
    S,
    /// DECIMAL, kept as text.
    D,
}

type Row = Vec<Value>;

struct View {
    name: &'static str,
    columns: &'static [(&'static str, T)],
    /// Rows for the sys tenant's CDB view; the first column is TENANT_ID unless `tenant_scoped` is false.
    rows: fn(&Cluster, Instant) -> Vec<Row>,
    /// Whether a `DBA_` twin exists for user tenants (TENANT_ID dropped, rows filtered).
    dba_twin: bool,
}

const ARCHIVE_DEST: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("DEST_NO", T::I),
    ("NAME", T::S),
    ("VALUE", T::S),
];

const ARCHIVELOG: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("DEST_ID", T::I),
    ("ROUND_ID", T::I),
    ("INCARNATION", T::I),
    ("DEST_NO", T::I),
    ("STATUS", T::S),
    ("START_SCN", T::I),
    ("START_SCN_DISPLAY", T::S),
    ("CHECKPOINT_SCN", T::I),
    ("CHECKPOINT_SCN_DISPLAY", T::S),
    ("COMPATIBLE", T::I),
    ("BASE_PIECE_ID", T::I),
    ("USED_PIECE_ID", T::I),
    ("PIECE_SWITCH_INTERVAL", T::S),
    ("UNIT_SIZE", T::I),
    ("COMPRESSION", T::S),
    ("INPUT_BYTES", T::I),
    ("INPUT_BYTES_DISPLAY", T::S),
    ("OUTPUT_BYTES", T::I),
    ("OUTPUT_BYTES_DISPLAY", T::S),
    ("COMPRESSION_RATIO", T::D),
    ("DELETED_INPUT_BYTES", T::I),
    ("DELETED_INPUT_BYTES_DISPLAY", T::S),
    ("DELETED_OUTPUT_BYTES", T::I),
    ("DELETED_OUTPUT_BYTES_DISPLAY", T::S),
    ("COMMENT", T::S),
    ("PATH", T::S),
];

const BACKUP_PARAMETER: &[(&str, T)] = &[("TENANT_ID", T::I), ("NAME", T::S), ("VALUE", T::S)];

const BACKUP_JOBS: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("JOB_ID", T::I),
    ("INCARNATION", T::I),
    ("BACKUP_SET_ID", T::I),
    ("INITIATOR_TENANT_ID", T::I),
    ("INITIATOR_JOB_ID", T::I),
    ("EXECUTOR_TENANT_ID", T::I),
    ("PLUS_ARCHIVELOG", T::S),
    ("BACKUP_TYPE", T::S),
    ("JOB_LEVEL", T::S),
    ("ENCRYPTION_MODE", T::S),
    ("PASSWD", T::S),
    ("START_TIMESTAMP", T::S),
    ("END_TIMESTAMP", T::S),
    ("STATUS", T::S),
    ("RESULT", T::I),
    ("COMMENT", T::S),
    ("DESCRIPTION", T::S),
    ("PATH", T::S),
];

const BACKUP_TASKS: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("TASK_ID", T::I),
    ("JOB_ID", T::I),
    ("INCARNATION", T::I),
    ("BACKUP_SET_ID", T::I),
    ("START_TIMESTAMP", T::S),
    ("END_TIMESTAMP", T::S),
    ("STATUS", T::S),
    ("START_SCN", T::I),
    ("END_SCN", T::I),
    ("USER_LS_START_SCN", T::I),
    ("ENCRYPTION_MODE", T::S),
    ("PASSWD", T::S),
    ("INPUT_BYTES", T::I),
    ("OUTPUT_BYTES", T::I),
    ("OUTPUT_RATE_BYTES", T::D),
    ("EXTRA_META_BYTES", T::I),
    ("TABLET_COUNT", T::I),
    ("FINISH_TABLET_COUNT", T::I),
    ("MACRO_BLOCK_COUNT", T::I),
    ("FINISH_MACRO_BLOCK_COUNT", T::I),
    ("FILE_COUNT", T::I),
    ("META_TURN_ID", T::I),
    ("DATA_TURN_ID", T::I),
    ("RESULT", T::I),
    ("COMMENT", T::S),
    ("PATH", T::S),
    ("MINOR_TURN_ID", T::I),
    ("MAJOR_TURN_ID", T::I),
    ("DATA_PROGRESS", T::D),
];

const BACKUP_SET_FILES: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("BACKUP_SET_ID", T::I),
    ("DEST_ID", T::I),
    ("INCARNATION", T::I),
    ("BACKUP_TYPE", T::S),
    ("PREV_FULL_BACKUP_SET_ID", T::I),
    ("PREV_INC_BACKUP_SET_ID", T::I),
    ("START_TIMESTAMP", T::S),
    ("END_TIMESTAMP", T::S),
    ("STATUS", T::S),
    ("FILE_STATUS", T::S),
    ("ELAPSED_SECONDES", T::I),
    ("PLUS_ARCHIVELOG", T::S),
    ("START_REPLAY_SCN", T::I),
    ("START_REPLAY_SCN_DISPLAY", T::S),
    ("MIN_RESTORE_SCN", T::I),
    ("MIN_RESTORE_SCN_DISPLAY", T::S),
    ("INPUT_BYTES", T::I),
    ("OUTPUT_BYTES", T::I),
    ("OUTPUT_RATE_BYTES", T::D),
    ("EXTRA_META_BYTES", T::I),
    ("TABLET_COUNT", T::I),
    ("FINISH_TABLET_COUNT", T::I),
    ("MACRO_BLOCK_COUNT", T::I),
    ("FINISH_MACRO_BLOCK_COUNT", T::I),
    ("FILE_COUNT", T::I),
    ("META_TURN_ID", T::I),
    ("DATA_TURN_ID", T::I),
    ("RESULT", T::I),
    ("COMMENT", T::S),
    ("ENCRYPTION_MODE", T::S),
    ("PASSWD", T::S),
    ("TENANT_COMPATIBLE", T::S),
    ("BACKUP_COMPATIBLE", T::I),
    ("PATH", T::S),
    ("CLUSTER_VERSION", T::S),
    ("CONSISTENT_SCN", T::I),
    ("MINOR_TURN_ID", T::I),
    ("MAJOR_TURN_ID", T::I),
];

const TENANTS: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("TENANT_NAME", T::S),
    ("TENANT_TYPE", T::S),
    ("CREATE_TIME", T::S),
    ("MODIFY_TIME", T::S),
    ("PRIMARY_ZONE", T::S),
    ("LOCALITY", T::S),
    ("PREVIOUS_LOCALITY", T::S),
    ("COMPATIBILITY_MODE", T::S),
    ("STATUS", T::S),
    ("IN_RECYCLEBIN", T::S),
    ("LOCKED", T::S),
    ("TENANT_ROLE", T::S),
    ("SWITCHOVER_STATUS", T::S),
    ("SWITCHOVER_EPOCH", T::I),
    ("SYNC_SCN", T::I),
    ("REPLAYABLE_SCN", T::I),
    ("READABLE_SCN", T::I),
    ("RECOVERY_UNTIL_SCN", T::I),
    ("LOG_MODE", T::S),
    ("ARBITRATION_SERVICE_STATUS", T::S),
    ("UNIT_NUM", T::I),
    ("COMPATIBLE", T::S),
    ("MAX_LS_ID", T::I),
];

/// GV$OB_PARAMETERS, 4.2.2+ layout (reference §0.4). The first column is not
/// TENANT_ID, so user-tenant filtering is done by `parameter_rows`.
const PARAMETERS: &[(&str, T)] = &[
    ("SVR_IP", T::S),
    ("SVR_PORT", T::I),
    ("ZONE", T::S),
    ("SCOPE", T::S),
    ("TENANT_ID", T::I),
    ("NAME", T::S),
    ("DATA_TYPE", T::S),
    ("VALUE", T::S),
    ("INFO", T::S),
    ("SECTION", T::S),
    ("EDIT_LEVEL", T::S),
    ("DEFAULT_VALUE", T::S),
    ("ISDEFAULT", T::S),
];

const VIEWS: &[View] = &[
    View {
        name: "CDB_OB_ARCHIVE_DEST",
        columns: ARCHIVE_DEST,
        rows: archive_dest_rows,
        dba_twin: true,
    },
    View {
        name: "CDB_OB_ARCHIVELOG",
        columns: ARCHIVELOG,
        rows: archivelog_rows,
        dba_twin: true,
    },
    View {
        name: "CDB_OB_BACKUP_PARAMETER",
        columns: BACKUP_PARAMETER,
        rows: backup_parameter_rows,
        dba_twin: true,
    },
    View {
        name: "CDB_OB_BACKUP_JOBS",
        columns: BACKUP_JOBS,
        rows: job_rows,
        dba_twin: true,
    },
    View {
        name: "CDB_OB_BACKUP_JOB_HISTORY",
        columns: BACKUP_JOBS,
        rows: job_history_rows,
        dba_twin: true,
    },
    View {
        name: "CDB_OB_BACKUP_TASKS",
        columns: BACKUP_TASKS,
        rows: task_rows,
        dba_twin: true,
    },
    View {
        name: "CDB_OB_BACKUP_SET_FILES",
        columns: BACKUP_SET_FILES,
        rows: set_file_rows,
        dba_twin: true,
    },
    View {
        name: "DBA_OB_TENANTS",
        columns: TENANTS,
        rows: tenant_rows,
        dba_twin: false,
    },
];

/// 3.x views (reference §1.4), sys tenant only.
const ARCHIVELOG3: &[(&str, T)] = &[
    ("INCARNATION", T::I),
    ("LOG_ARCHIVE_ROUND", T::I),
    ("TENANT_ID", T::I),
    ("STATUS", T::S),
    ("START_PIECE_ID", T::I),
    ("BACKUP_PIECE_ID", T::I),
    ("MIN_FIRST_TIME", T::S),
    ("MAX_NEXT_TIME", T::S),
    ("INPUT_BYTES", T::I),
    ("OUTPUT_BYTES", T::I),
    ("COMPRESSION_RATIO", T::D),
    ("INPUT_BYTES_DISPLAY", T::S),
    ("OUTPUT_BYTES_DISPLAY", T::S),
];

const BACKUP_ARCHIVELOG3: &[(&str, T)] = &[
    ("INCARNATION", T::I),
    ("LOG_ARCHIVE_ROUND", T::I),
    ("COPY_ID", T::I),
    ("TENANT_ID", T::I),
    ("STATUS", T::S),
    ("START_PIECE_ID", T::I),
    ("BACKUP_PIECE_ID", T::I),
    ("MIN_FIRST_TIME", T::S),
    ("MAX_NEXT_TIME", T::S),
    ("INPUT_BYTES", T::I),
    ("OUTPUT_BYTES", T::I),
    ("COMPRESSION_RATIO", T::D),
    ("INPUT_BYTES_DISPLAY", T::S),
    ("OUTPUT_BYTES_DISPLAY", T::S),
];

const PIECE_FILES3: &[(&str, T)] = &[
    ("INCARNATION", T::I),
    ("TENANT_ID", T::I),
    ("ROUND_ID", T::I),
    ("BACKUP_PIECE_ID", T::I),
    ("COPY_ID", T::I),
    ("CREATE_DATE", T::I),
    ("START_TS", T::S),
    ("CHECKPOINT_TS", T::S),
    ("MAX_TS", T::S),
    ("STATUS", T::S),
    ("FILE_STATUS", T::S),
    ("COMPATIBLE", T::I),
    ("START_PIECE_ID", T::I),
];

const PIECE_JOB3: &[(&str, T)] = &[
    ("JOB_ID", T::I),
    ("TENANT_ID", T::I),
    ("INCARNATION", T::I),
    ("BACKUP_PIECE_ID", T::I),
    ("MAX_BACKUP_TIMES", T::I),
    ("RESULT", T::I),
    ("STATUS", T::S),
    ("BACKUP_DEST", T::S),
    ("COMMENT", T::S),
    ("TYPE", T::S),
];

const PROGRESS3: &[(&str, T)] = &[
    ("INCARNATION", T::I),
    ("BS_KEY", T::I),
    ("BACKUP_TYPE", T::S),
    ("TENANT_ID", T::I),
    ("PARTITION_COUNT", T::I),
    ("MACRO_BLOCK_COUNT", T::I),
    ("FINISH_PARTITION_COUNT", T::I),
    ("FINISH_MACRO_BLOCK_COUNT", T::I),
    ("INPUT_BYTES", T::I),
    ("OUTPUT_BYTES", T::I),
    ("START_TIME", T::S),
    ("COMPLETION_TIME", T::S),
    ("STATUS", T::S),
];

const SET_DETAILS3: &[(&str, T)] = &[
    ("INCARNATION", T::I),
    ("TENANT_ID", T::I),
    ("BS_KEY", T::I),
    ("COPY_ID", T::I),
    ("BACKUP_TYPE", T::S),
    ("ENCRYPTION_MODE", T::S),
    ("START_TIME", T::S),
    ("COMPLETION_TIME", T::S),
    ("ELAPSED_SECONDES", T::I),
    ("KEEP", T::S),
    ("KEEP_UNTIL", T::S),
    ("DEVICE_TYPE", T::S),
    ("COMPRESSED", T::S),
    ("OUTPUT_BYTES", T::I),
    ("OUTPUT_RATE_BYTES", T::D),
    ("COMPRESSION_RATIO", T::D),
    ("OUTPUT_BYTES_DISPLAY", T::S),
    ("OUTPUT_RATE_BYTES_DISPLAY", T::S),
    ("TIME_TAKEN_DISPLAY", T::S),
    ("STATUS", T::S),
];

const ALL_TENANT3: &[(&str, T)] = &[
    ("gmt_create", T::S),
    ("gmt_modified", T::S),
    ("tenant_id", T::I),
    ("tenant_name", T::S),
    ("replica_num", T::I),
    ("zone_list", T::S),
    ("primary_zone", T::S),
    ("locked", T::I),
    ("collation_type", T::I),
    ("info", T::S),
    ("read_only", T::I),
    ("rewrite_merge_version", T::I),
    ("locality", T::S),
    ("logonly_replica_num", T::I),
    ("previous_locality", T::S),
    ("storage_format_version", T::I),
    ("storage_format_work_version", T::I),
    ("default_tablegroup_id", T::I),
    ("compatibility_mode", T::I),
    ("drop_tenant_time", T::I),
    ("status", T::S),
    ("in_recyclebin", T::I),
];

const TENANT_BACKUP_INFO3: &[(&str, T)] = &[("tenant_id", T::I), ("name", T::S), ("value", T::S)];

fn v3_time(ns: u64) -> Value {
    if ns == 0 {
        text("")
    } else {
        text(display_time(ns))
    }
}

fn tenant_ids(cluster: &Cluster) -> Vec<u64> {
    cluster.tenants.keys().copied().collect()
}

fn archivelog3_rows(cluster: &Cluster, now: Instant) -> Vec<Row> {
    let Some(v3) = &cluster.v3 else {
        return Vec::new();
    };
    if v3.round == 0 {
        return Vec::new();
    }
    let start = cluster.sim_ns(v3.archive_since);
    let next = if v3.archive_status == "DOING" {
        cluster.sim_ns(now)
    } else {
        start
    };
    let piece = v3
        .pieces
        .iter()
        .filter(|p| p.copy_id == 0)
        .map(|p| p.piece_id)
        .max()
        .unwrap_or(0);
    tenant_ids(cluster)
        .into_iter()
        .map(|id| {
            vec![
                int(1),
                int(v3.round),
                int(id),
                text(&v3.archive_status),
                int(piece.min(1)),
                int(piece),
                v3_time(start),
                v3_time(next),
                int(0),
                int(0),
                Value::Null,
                text("0.00MB"),
                text("0.00MB"),
            ]
        })
        .collect()
}

fn backup_archivelog3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(v3) = &cluster.v3 else {
        return Vec::new();
    };
    let Some(status) = &v3.backup_archivelog else {
        return Vec::new();
    };
    tenant_ids(cluster)
        .into_iter()
        .map(|id| {
            vec![
                int(1),
                int(v3.round),
                int(1),
                int(id),
                text(status),
                int(0),
                int(0),
                text(""),
                text(""),
                int(0),
                int(0),
                Value::Null,
                text("0.00MB"),
                text("0.00MB"),
            ]
        })
        .collect()
}

fn piece_files3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(v3) = &cluster.v3 else {
        return Vec::new();
    };
    v3.pieces
        .iter()
        .map(|p| {
            vec![
                int(1),
                int(SYS_TENANT_ID),
                int(p.round_id),
                int(p.piece_id),
                int(p.copy_id),
                int(p.create_date),
                text(&p.times.0),
                text(&p.times.1),
                text(if p.times.2.is_empty() && p.status == "ACTIVE" {
                    "MAX"
                } else {
                    &p.times.2
                }),
                text(&p.status),
                text(&p.file_status),
                int(1),
                int(1),
            ]
        })
        .collect()
}

fn piece_job3_rows(cluster: &Cluster, history: bool) -> Vec<Row> {
    let Some(v3) = &cluster.v3 else {
        return Vec::new();
    };
    v3.piece_jobs
        .iter()
        .filter(|j| (j.status == "DOING" || j.status == "SCHEDULE") != history)
        .map(|j| {
            let kind = if j.piece_id == 0 {
                "ALL_BACKUP_PIECE"
            } else {
                "SINGLE_BACKUP_PIECE"
            };
            vec![
                int(j.job_id),
                int(SYS_TENANT_ID),
                int(1),
                int(j.piece_id),
                Value::Integer(j.max_times),
                Value::Integer(j.result),
                text(&j.status),
                text(&j.dest),
                text(""),
                text(kind),
            ]
        })
        .collect()
}

fn progress3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(v3) = &cluster.v3 else {
        return Vec::new();
    };
    let Some(b) = v3.data_backups.iter().rfind(|b| b.status == "RUNNING") else {
        return Vec::new();
    };
    tenant_ids(cluster)
        .into_iter()
        .map(|id| {
            vec![
                int(1),
                int(b.bs_key),
                text(&b.backup_type),
                int(id),
                int(100),
                int(0),
                int(0),
                int(0),
                int(0),
                int(0),
                v3_time(b.start_ns),
                v3_time(b.end_ns.unwrap_or(0)),
                text("RUNNING"),
            ]
        })
        .collect()
}

fn set_details3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(v3) = &cluster.v3 else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for b in v3
        .data_backups
        .iter()
        .filter(|b| b.status == "COMPLETED" || b.status == "FAILED")
    {
        let end = b.end_ns.unwrap_or(b.start_ns);
        for id in tenant_ids(cluster) {
            rows.push(vec![
                int(1),
                int(id),
                int(b.bs_key),
                int(0),
                text(&b.backup_type),
                text(&b.encryption_mode),
                v3_time(b.start_ns),
                v3_time(end),
                int((end.saturating_sub(b.start_ns)) / 1_000_000_000),
                text("NO"),
                text(""),
                text("FILE"),
                text("NO"),
                int(0),
                text("0.0000"),
                Value::Null,
                text("0.00MB"),
                text("0.00MB/S"),
                text("00:00:00"),
                text(&b.status),
            ]);
        }
    }
    rows
}

fn all_tenant3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster
        .tenants
        .values()
        .map(|t| {
            vec![
                text("2021-07-22 15:00:00.000000"),
                text("2021-07-22 15:00:00.000000"),
                int(t.id),
                text(&t.name),
                int(1),
                text("zone1"),
                text("zone1"),
                int(0),
                int(0),
                text(""),
                int(0),
                int(0),
                text("FULL{1}@zone1"),
                int(0),
                text(""),
                int(3),
                int(3),
                int(0),
                int(if t.compatibility_mode == "ORACLE" {
                    1
                } else {
                    0
                }),
                int(0),
                text(if t.status == "NORMAL" {
                    "TENANT_STATUS_NORMAL"
                } else {
                    t.status.as_str()
                }),
                int(0),
            ]
        })
        .collect()
}

fn tenant_backup_info3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(v3) = &cluster.v3 else {
        return Vec::new();
    };
    let status = if v3.data_backups.iter().any(|b| b.status == "RUNNING") {
        "DOING"
    } else {
        "STOP"
    };
    vec![vec![
        int(SYS_TENANT_ID),
        text("backup_status"),
        text(status),
    ]]
}

const VIEWS3: &[View] = &[
    View {
        name: "CDB_OB_BACKUP_ARCHIVELOG",
        columns: ARCHIVELOG3,
        rows: archivelog3_rows,
        dba_twin: false,
    },
    View {
        name: "CDB_OB_BACKUP_BACKUP_ARCHIVELOG",
        columns: BACKUP_ARCHIVELOG3,
        rows: backup_archivelog3_rows,
        dba_twin: false,
    },
    View {
        name: "CDB_OB_BACKUP_PIECE_FILES",
        columns: PIECE_FILES3,
        rows: piece_files3_rows,
        dba_twin: false,
    },
    View {
        name: "CDB_OB_BACKUP_BACKUPPIECE_JOB",
        columns: PIECE_JOB3,
        rows: piece_job3_active,
        dba_twin: false,
    },
    View {
        name: "CDB_OB_BACKUP_BACKUPPIECE_JOB_HISTORY",
        columns: PIECE_JOB3,
        rows: piece_job3_history,
        dba_twin: false,
    },
    View {
        name: "CDB_OB_BACKUP_PROGRESS",
        columns: PROGRESS3,
        rows: progress3_rows,
        dba_twin: false,
    },
    View {
        name: "CDB_OB_BACKUP_SET_DETAILS",
        columns: SET_DETAILS3,
        rows: set_details3_rows,
        dba_twin: false,
    },
    View {
        name: "__ALL_TENANT_BACKUP_INFO",
        columns: TENANT_BACKUP_INFO3,
        rows: tenant_backup_info3_rows,
        dba_twin: false,
    },
    View {
        name: "__ALL_TENANT",
        columns: ALL_TENANT3,
        rows: all_tenant3_rows,
        dba_twin: false,
    },
];

fn piece_job3_active(c: &Cluster, _: Instant) -> Vec<Row> {
    piece_job3_rows(c, false)
}

fn piece_job3_history(c: &Cluster, _: Instant) -> Vec<Row> {
    piece_job3_rows(c, true)
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn int(n: u64) -> Value {
    Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

fn tenant_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let log_mode_known = cluster.at_least(&[4, 1]);
    cluster
        .tenants
        .values()
        .map(|t| {
            vec![
                int(t.id),
                text(&t.name),
                text(t.kind.as_str()),
                text("2024-01-31 11:00:00.000000"),
                text("2024-01-31 11:00:00.000000"),
                text("RANDOM"),
                text("FULL{1}@zone1"),
                Value::Null,
                text(&t.compatibility_mode),
                text(&t.status),
                text("NO"),
                text("NO"),
                text("PRIMARY"),
                text("NORMAL"),
                int(0),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                if log_mode_known {
                    text(if t.kind == TenantType::User {
                        t.log_mode.as_str()
                    } else {
                        "NOARCHIVELOG"
                    })
                } else {
                    Value::Null
                },
                text("NOT_ENABLED"),
                int(1),
                text(&cluster.version),
                int(1001),
            ]
        })
        .collect()
}

fn archive_dest_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let mut rows = Vec::new();
    for t in cluster.tenants.values() {
        if let Some(d) = &t.archive_dest {
            let mut items = vec![
                ("binding", d.binding.clone()),
                ("dest_id", d.dest_id.to_string()),
                ("path", d.path.clone()),
                ("piece_switch_interval", d.piece_switch_interval.clone()),
                ("state", d.state.clone()),
            ];
            if let Some(c) = &d.compression {
                items.push(("compression", c.clone()));
            }
            items.sort();
            for (name, value) in items {
                rows.push(vec![int(t.id), int(0), text(name), text(value)]);
            }
        }
    }
    rows
}

/// SCN at `at`: nanoseconds since the Unix epoch on the simulated clock.
fn scn_at(cluster: &Cluster, at: Instant) -> u64 {
    cluster.sim_ns(at)
}

/// Formats nanoseconds since the epoch as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC).
pub fn display_time(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let micros = (ns % 1_000_000_000) / 1_000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil-from-days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{micros:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn archivelog_rows(cluster: &Cluster, now: Instant) -> Vec<Row> {
    let mut rows = Vec::new();
    for t in cluster.tenants.values() {
        let Some(r) = &t.round else { continue };
        let start = scn_at(cluster, r.started);
        let checkpoint = if r.status == "DOING" {
            scn_at(cluster, now)
        } else {
            start
        };
        let shown = |scn: u64| {
            if scn == 0 {
                Value::Null
            } else {
                text(display_time(scn))
            }
        };
        rows.push(vec![
            int(t.id),
            int(r.dest_id),
            int(r.round_id),
            int(1),
            int(0),
            text(&r.status),
            int(start),
            shown(start),
            int(checkpoint),
            shown(checkpoint),
            int(1),
            int(1),
            int(1),
            text(&r.piece_switch_interval),
            int(0),
            text("NONE"),
            int(0),
            text("0.00MB"),
            int(0),
            text("0.00MB"),
            text("0.00"),
            int(0),
            text("0.00MB"),
            int(0),
            text("0.00MB"),
            text(""),
            text(&r.path),
        ]);
    }
    rows
}

fn backup_parameter_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster
        .tenants
        .values()
        .filter_map(|t| {
            t.data_backup_dest
                .as_ref()
                .map(|d| vec![int(t.id), text("data_backup_dest"), text(d)])
        })
        .collect()
}

fn on_off(flag: bool) -> Value {
    text(if flag { "ON" } else { "OFF" })
}

fn job_row(j: &Job) -> Row {
    vec![
        int(j.tenant_id),
        int(j.job_id),
        int(1),
        int(j.backup_set_id),
        int(j.initiator_tenant_id),
        int(j.initiator_job_id),
        int(j.tenant_id),
        on_off(j.plus_archivelog),
        text(&j.backup_type),
        text(j.job_level),
        text(&j.encryption_mode),
        text(&j.passwd),
        text(display_time(j.start_ns)),
        j.end_ns.map_or(Value::Null, |e| text(display_time(e))),
        text(&j.status),
        Value::Integer(j.result),
        text(&j.comment),
        text(""),
        text(&j.path),
    ]
}

fn job_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster.jobs.iter().map(job_row).collect()
}

fn job_history_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster.job_history.iter().map(job_row).collect()
}

/// One task per running USER_TENANT job; progress grows with time (B8 lifecycle).
fn task_rows(cluster: &Cluster, now: Instant) -> Vec<Row> {
    let total: u64 = 1000;
    let running = cluster.delays.backup_running.max(1);
    cluster
        .jobs
        .iter()
        .filter(|j| j.job_level == "USER_TENANT")
        .map(|j| {
            let elapsed =
                u64::try_from(now.saturating_duration_since(j.since).as_millis()).unwrap_or(0);
            let done = if j.status == "DOING" && !j.runs_until_canceled {
                (elapsed * total / running).min(total)
            } else {
                0
            };
            vec![
                int(j.tenant_id),
                int(j.job_id),
                int(j.job_id),
                int(1),
                int(j.backup_set_id),
                text(display_time(j.start_ns)),
                Value::Null,
                text(if j.status == "DOING" {
                    "BACKUP_DATA_MAJOR"
                } else {
                    j.status.as_str()
                }),
                int(0),
                int(0),
                int(0),
                text(&j.encryption_mode),
                text(&j.passwd),
                int(done * 2 * 1024 * 1024),
                int(done * 1024 * 1024),
                text("0.0000"),
                int(0),
                int(total / 10),
                int(done / 10),
                int(total),
                int(done),
                int(0),
                int(1),
                int(1),
                int(0),
                text(""),
                text(&j.path),
                int(1),
                int(1),
                text(format!("{:.2}", done as f64 * 100.0 / total as f64)),
            ]
        })
        .collect()
}

fn set_file_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster
        .backup_sets
        .iter()
        .map(|b| {
            let elapsed = (b.end_ns.saturating_sub(b.start_ns)) / 1_000_000_000;
            vec![
                int(b.tenant_id),
                int(b.backup_set_id),
                int(1001),
                int(1),
                text(&b.backup_type),
                int(b.prev_full),
                int(b.prev_inc),
                text(display_time(b.start_ns)),
                text(display_time(b.end_ns)),
                text(&b.status),
                text(&b.file_status),
                int(elapsed),
                on_off(b.plus_archivelog),
                int(b.start_ns),
                text(display_time(b.start_ns)),
                int(b.end_ns),
                text(display_time(b.end_ns)),
                int(0),
                int(0),
                text("0.0000"),
                int(0),
                int(0),
                int(0),
                int(0),
                int(0),
                int(0),
                int(1),
                int(0),
                int(0),
                text(""),
                text(&b.encryption_mode),
                text(""),
                text(&cluster.version),
                int(3),
                text(&b.path),
                text(&cluster.version),
                int(b.end_ns),
                int(1),
                int(1),
            ]
        })
        .collect()
}

/// GV$OB_PARAMETERS rows visible to `tenant` (`None` = sys: every tenant).
fn parameter_rows(cluster: &Cluster, tenant: Option<u64>) -> Vec<Row> {
    let mut rows = Vec::new();
    for server in &cluster.servers {
        for t in cluster
            .tenants
            .values()
            .filter(|t| tenant.is_none_or(|id| id == t.id))
        {
            for def in parameter::PARAMETERS_4X {
                let value = cluster.parameter_value(def, t.id);
                rows.push(vec![
                    text(&server.svr_ip),
                    int(u64::from(server.svr_port)),
                    text(&server.zone),
                    text(def.scope.as_str()),
                    int(t.id),
                    text(def.name),
                    text(def.kind.data_type()),
                    text(&value),
                    text(def.info),
                    text(def.section),
                    text("DYNAMIC_EFFECTIVE"),
                    text(def.default),
                    text(if value == def.default { "YES" } else { "NO" }),
                ]);
            }
        }
    }
    rows
}

/// A per-session SQL engine over the views.
pub struct Engine {
    conn: rusqlite::Connection,
    /// (view name as created, columns) for every view this session can see.
    tables: Vec<(String, Vec<(&'static str, T)>)>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("tables", &self.tables.len())
            .finish()
    }
}

fn decl(t: T) -> &'static str {
    match t {
        T::I => "INTEGER",
        T::S => "TEXT",
        T::D => "DECIMAL_TEXT",
    }
}

impl Engine {
    /// Creates the engine for `session`, with the SQL functions OceanBase offers
    /// that clients use to learn the server (`version()`, `ob_version()`,
    /// `effective_tenant()`, `effective_tenant_id()`, `database()`, `current_user()`).
    pub fn new(cluster: &Cluster, session: &Session) -> Result<Self, String> {
        use rusqlite::functions::FunctionFlags;
        let conn = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
        conn.execute_batch("ATTACH DATABASE ':memory:' AS oceanbase")
            .map_err(|e| e.to_string())?;
        let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
        let tenant_name = cluster
            .tenants
            .get(&session.tenant_id)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let constants: Vec<(&str, Value)> = vec![
            ("version", text(cluster.version_string())),
            ("ob_version", text(&cluster.version)),
            ("effective_tenant", text(tenant_name)),
            ("effective_tenant_id", int(session.tenant_id)),
            ("database", text("oceanbase")),
            ("current_user", text(format!("{}@%", session.user))),
        ];
        for (name, value) in constants {
            conn.create_scalar_function(name, 0, flags, move |_| Ok(value.clone()))
                .map_err(|e| e.to_string())?;
        }
        // NOW() / NOW(6): the simulated wall clock, in the format of the time columns.
        let epoch = cluster.epoch;
        for arity in [0, 1] {
            conn.create_scalar_function("now", arity, FunctionFlags::SQLITE_UTF8, move |_| {
                let ns = SCN_BASE_NS + u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(0);
                Ok(text(display_time(ns)))
            })
            .map_err(|e| e.to_string())?;
        }
        let mut tables = Vec::new();
        let sys = session.tenant_id == SYS_TENANT_ID;
        if cluster.v3.is_some() {
            // 3.x: the CDB views and inner tables exist for sys only (reference §1.4).
            if sys {
                for view in VIEWS3 {
                    tables.push((view.name.to_string(), view.columns.to_vec()));
                }
            }
            return Self::create(conn, tables);
        }
        for view in VIEWS {
            if sys || view.name == "DBA_OB_TENANTS" {
                // DBA_OB_TENANTS from a user tenant shows that tenant's row only
                // (**UNCONFIRMED** for 4.1+; 4.0 made it sys-only, reference §2.4).
                tables.push((view.name.to_string(), view.columns.to_vec()));
            } else if view.dba_twin {
                tables.push((
                    view.name.replacen("CDB_", "DBA_", 1),
                    view.columns[1..].to_vec(),
                ));
            }
        }
        tables.push(("GV$OB_PARAMETERS".to_string(), PARAMETERS.to_vec()));
        tables.push(("V$OB_PARAMETERS".to_string(), PARAMETERS.to_vec()));
        Self::create(conn, tables)
    }

    fn create(
        conn: rusqlite::Connection,
        tables: Vec<(String, Vec<(&'static str, T)>)>,
    ) -> Result<Self, String> {
        for (name, columns) in &tables {
            let cols: Vec<String> = columns
                .iter()
                .map(|(c, t)| format!("\"{c}\" {}", decl(*t)))
                .collect();
            conn.execute_batch(&format!(
                "CREATE TABLE oceanbase.\"{name}\" ({})",
                cols.join(", ")
            ))
            .map_err(|e| e.to_string())?;
        }
        Ok(Self { conn, tables })
    }

    /// Runs a SELECT for `session` after refreshing the views it mentions.
    pub fn query(
        &mut self,
        cluster: &Cluster,
        session: &Session,
        sql: &str,
    ) -> Result<Reply, ObError> {
        let upper = sql.to_uppercase();
        let mentioned: Vec<usize> = (0..self.tables.len())
            .filter(|&i| upper.contains(&self.tables[i].0))
            .collect();
        if let (true, Some(&i)) = (session.privilege == "none", mentioned.first()) {
            return Err(ObError::select_denied(&session.user, &self.tables[i].0));
        }
        let now = Instant::now();
        let tx = self.conn.transaction().map_err(internal)?;
        for &i in &mentioned {
            let (name, columns) = &self.tables[i];
            let rows = Self::rows_for(cluster, session, name, now);
            tx.execute(&format!("DELETE FROM oceanbase.\"{name}\""), [])
                .map_err(internal)?;
            let marks = vec!["?"; columns.len()].join(", ");
            let mut insert = tx
                .prepare(&format!(
                    "INSERT INTO oceanbase.\"{name}\" VALUES ({marks})"
                ))
                .map_err(internal)?;
            for row in rows {
                insert
                    .execute(rusqlite::params_from_iter(row))
                    .map_err(internal)?;
            }
        }
        tx.commit().map_err(internal)?;
        let mut stmt = self
            .conn
            .prepare(&quote_dollar_names(sql))
            .map_err(|e| map_sqlite_error(&e, sql))?;
        let undeclared: Vec<bool> = stmt
            .columns()
            .iter()
            .map(|c| c.decl_type().is_none())
            .collect();
        let columns: Vec<Column> = stmt
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string(),
                kind: match c.decl_type() {
                    Some("INTEGER") => ColumnType::BigInt,
                    Some("DECIMAL_TEXT") => ColumnType::Decimal,
                    _ => ColumnType::Varchar,
                },
            })
            .collect();
        let width = columns.len();
        let mut out_rows = Vec::new();
        let mut rows = stmt.query([]).map_err(|e| map_sqlite_error(&e, sql))?;
        while let Some(row) = rows.next().map_err(|e| map_sqlite_error(&e, sql))? {
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                let value: Value = row.get(i).map_err(internal)?;
                cells.push(match value {
                    Value::Null => None,
                    Value::Integer(n) => Some(n.to_string()),
                    Value::Real(f) => Some(f.to_string()),
                    Value::Text(s) => Some(s),
                    Value::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                });
            }
            out_rows.push(cells);
        }
        // Expression columns have no declared type: report BIGINT when every value is an integer.
        let mut columns = columns;
        for (i, col) in columns.iter_mut().enumerate() {
            if col.kind == ColumnType::Varchar
                && !out_rows.is_empty()
                && undeclared[i]
                && out_rows
                    .iter()
                    .all(|r| r[i].as_deref().is_some_and(|v| v.parse::<i64>().is_ok()))
            {
                col.kind = ColumnType::BigInt;
            }
        }
        Ok(Reply::Rows {
            columns,
            rows: out_rows,
        })
    }

    fn rows_for(cluster: &Cluster, session: &Session, name: &str, now: Instant) -> Vec<Row> {
        let sys = session.tenant_id == SYS_TENANT_ID;
        if name == "GV$OB_PARAMETERS" || name == "V$OB_PARAMETERS" {
            return parameter_rows(cluster, if sys { None } else { Some(session.tenant_id) });
        }
        let cdb = name.replacen("DBA_", "CDB_", 1);
        let list = if cluster.v3.is_some() { VIEWS3 } else { VIEWS };
        let Some(view) = list
            .iter()
            .find(|v| v.name == name || (v.dba_twin && v.name == cdb))
        else {
            return Vec::new();
        };
        let rows = (view.rows)(cluster, now);
        if sys {
            return rows;
        }
        let own = int(session.tenant_id);
        if !view.dba_twin {
            return rows.into_iter().filter(|r| r[0] == own).collect();
        }
        rows.into_iter()
            .filter(|r| r[0] == own)
            .map(|mut r| r.split_off(1))
            .collect()
    }
}

/// SQLite does not take `$` inside bare identifiers (`GV$OB_PARAMETERS`): quote such names.
fn quote_dollar_names(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut word = String::new();
    let mut in_string = false;
    for c in sql.chars() {
        if in_string {
            out.push(c);
            if c == '\'' {
                in_string = false;
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
            word.push(c);
            continue;
        }
        flush_word(&mut out, &mut word);
        if c == '\'' {
            in_string = true;
        }
        out.push(c);
    }
    flush_word(&mut out, &mut word);
    out
}

fn flush_word(out: &mut String, word: &mut String) {
    if word.contains('$') {
        out.push('"');
        out.push_str(&word.to_uppercase());
        out.push('"');
    } else {
        out.push_str(word);
    }
    word.clear();
}

fn internal(e: rusqlite::Error) -> ObError {
    ObError::injected(4016, &format!("Internal error: {e}"))
}

/// Maps SQLite's complaints to the MySQL/OceanBase errors a client would get.
fn map_sqlite_error(e: &rusqlite::Error, sql: &str) -> ObError {
    let message = e.to_string();
    if let Some(name) = message.strip_prefix("no such table: ") {
        let name = name.trim_matches('"');
        let full = if name.contains('.') {
            name.to_string()
        } else {
            format!("oceanbase.{name}")
        };
        return ObError::no_such_table(&full);
    }
    if let Some(name) = message.strip_prefix("no such column: ") {
        return ObError::unknown_column(name);
    }
    if let Some(name) = message.strip_prefix("ambiguous column name: ") {
        return ObError::injected(1052, &format!("Column '{name}' in field list is ambiguous"));
    }
    if let Some(name) = message.strip_prefix("no such function: ") {
        return ObError::injected(
            1305,
            &format!("FUNCTION oceanbase.{} does not exist", name.to_lowercase()),
        );
    }
    let near = message
        .split("near \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|token| sql.find(token).map(|at| &sql[at..]))
        .unwrap_or(sql);
    ObError::parse(near)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_time_formats_utc() {
        assert_eq!(display_time(SCN_BASE_NS), "2024-06-20 12:00:00.000000");
        assert_eq!(
            display_time(1_706_670_992_366_131_000),
            "2024-01-31 03:16:32.366131"
        );
    }

    #[test]
    fn dollar_names_are_quoted_outside_strings() {
        assert_eq!(
            quote_dollar_names("SELECT a FROM oceanbase.GV$OB_PARAMETERS WHERE NAME = 'x$y'"),
            "SELECT a FROM oceanbase.\"GV$OB_PARAMETERS\" WHERE NAME = 'x$y'"
        );
    }
}

//! The OceanBase 4.x views: tenant-level `CDB_`/`DBA_` backup views,
//! `DBA_OB_TENANTS` and `GV$OB_PARAMETERS`, with columns from v4.2.2_CE_BP1
//! `src/share/inner_table/ob_inner_table_schema_def.py`.

use super::{Row, T, View, display_time, int, scn_at, text};
use crate::backup::Job;
use crate::cluster::{Cluster, TenantType};
use crate::parameter;
use rusqlite::types::Value;
use std::time::Instant;

pub(super) const ARCHIVE_DEST: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("DEST_NO", T::I),
    ("NAME", T::S),
    ("VALUE", T::S),
];

pub(super) const ARCHIVELOG: &[(&str, T)] = &[
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

pub(super) const BACKUP_PARAMETER: &[(&str, T)] =
    &[("TENANT_ID", T::I), ("NAME", T::S), ("VALUE", T::S)];

pub(super) const BACKUP_JOBS: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("JOB_ID", T::I),
    ("INCARNATION", T::I),
    ("BACKUP_SET_ID", T::I),
    ("INITIATOR_TENANT_ID", T::I),
    ("INITIATOR_JOB_ID", T::I),
    ("EXECUTOR_TENANT_ID", T::S),
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

pub(super) const BACKUP_TASKS: &[(&str, T)] = &[
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

pub(super) const BACKUP_SET_FILES: &[(&str, T)] = &[
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

pub(super) const TENANTS: &[(&str, T)] = &[
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
pub(super) const PARAMETERS: &[(&str, T)] = &[
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

/// `CDB_OB_BACKUP_DELETE_POLICY` (v4.2.2_CE_BP1, table id 21249).
pub(super) const DELETE_POLICY: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("POLICY_NAME", T::S),
    ("RECOVERY_WINDOW", T::S),
];

/// `CDB_OB_BACKUP_DELETE_JOBS` and `…_JOB_HISTORY` (v4.2.2_CE_BP1, table ids
/// 21245 and 21246; `END_TIMESTAMP` is NULL while a job runs).
pub(super) const DELETE_JOBS: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("JOB_ID", T::I),
    ("INCARNATION", T::I),
    ("INITIATOR_TENANT_ID", T::I),
    ("INITIATOR_JOB_ID", T::I),
    ("EXECUTOR_TENANT_ID", T::S),
    ("TYPE", T::S),
    ("PARAMETER", T::S),
    ("JOB_LEVEL", T::S),
    ("START_TIMESTAMP", T::S),
    ("END_TIMESTAMP", T::S),
    ("STATUS", T::S),
    ("TASK_COUNT", T::I),
    ("SUCCESS_TASK_COUNT", T::I),
    ("RESULT", T::I),
    ("COMMENT", T::S),
];

/// `CDB_OB_ARCHIVELOG_PIECE_FILES` (v4.2.2_CE_BP1, table id 21136).
pub(super) const PIECE_FILES: &[(&str, T)] = &[
    ("TENANT_ID", T::I),
    ("DEST_ID", T::I),
    ("ROUND_ID", T::I),
    ("PIECE_ID", T::I),
    ("INCARNATION", T::I),
    ("DEST_NO", T::I),
    ("STATUS", T::S),
    ("START_SCN", T::I),
    ("START_SCN_DISPLAY", T::S),
    ("CHECKPOINT_SCN", T::I),
    ("CHECKPOINT_SCN_DISPLAY", T::S),
    ("MAX_SCN", T::I),
    ("END_SCN", T::I),
    ("END_SCN_DISPLAY", T::S),
    ("COMPATIBLE", T::I),
    ("UNIT_SIZE", T::I),
    ("COMPRESSION", T::S),
    ("INPUT_BYTES", T::I),
    ("INPUT_BYTES_DISPLAY", T::S),
    ("OUTPUT_BYTES", T::I),
    ("OUTPUT_BYTES_DISPLAY", T::S),
    ("COMPRESSION_RATIO", T::S),
    ("FILE_STATUS", T::S),
    ("PATH", T::S),
];

pub(super) const VIEWS: &[View] = &[
    View {
        name: "CDB_OB_BACKUP_DELETE_POLICY",
        columns: DELETE_POLICY,
        rows: delete_policy_rows,
        dba_twin: true,
    },
    View {
        name: "CDB_OB_BACKUP_DELETE_JOBS",
        columns: DELETE_JOBS,
        rows: delete_job_rows,
        dba_twin: true,
    },
    View {
        name: "CDB_OB_BACKUP_DELETE_JOB_HISTORY",
        columns: DELETE_JOBS,
        rows: delete_job_history_rows,
        dba_twin: true,
    },
    View {
        name: "CDB_OB_ARCHIVELOG_PIECE_FILES",
        columns: PIECE_FILES,
        rows: piece_file_rows,
        dba_twin: true,
    },
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

pub(super) fn tenant_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
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

pub(super) fn archive_dest_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
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

pub(super) fn archivelog_rows(cluster: &Cluster, now: Instant) -> Vec<Row> {
    let mut rows = Vec::new();
    for t in cluster.tenants.values() {
        let Some(r) = &t.round else { continue };
        let start = scn_at(cluster, r.started);
        let checkpoint = if r.status == "DOING" {
            scn_at(cluster, now)
        } else {
            start
        }
        .saturating_sub(r.lag_ns);
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

pub(super) fn backup_parameter_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
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

pub(super) fn on_off(flag: bool) -> Value {
    text(if flag { "ON" } else { "OFF" })
}

pub(super) fn job_row(j: &Job) -> Row {
    vec![
        int(j.tenant_id),
        int(j.job_id),
        int(1),
        int(j.backup_set_id),
        int(j.initiator_tenant_id),
        int(j.initiator_job_id),
        text(if j.executor.is_empty() {
            j.tenant_id.to_string()
        } else {
            j.executor.clone()
        }),
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

pub(super) fn job_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster.jobs.iter().map(job_row).collect()
}

pub(super) fn job_history_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster.job_history.iter().map(job_row).collect()
}

/// One task per running USER_TENANT job; progress grows with time (B8 lifecycle).
pub(super) fn task_rows(cluster: &Cluster, now: Instant) -> Vec<Row> {
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

pub(super) fn set_file_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
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

pub(super) fn delete_policy_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster
        .delete_policies
        .iter()
        .map(|(tenant, window)| vec![int(*tenant), text("default"), text(window)])
        .collect()
}

fn delete_job_row(j: &crate::retention::DeleteJob) -> Row {
    vec![
        int(j.tenant_id),
        int(j.job_id),
        int(1),
        int(j.tenant_id),
        int(j.job_id),
        text(j.tenant_id.to_string()),
        text("DELETE OBSOLETE BACKUP"),
        text(display_time(j.expiry_ns)),
        text("USER_TENANT"),
        text(display_time(j.start_ns)),
        j.end_ns.map_or(Value::Null, |e| text(display_time(e))),
        text(&j.status),
        int(1),
        int(u64::from(j.status == "COMPLETED")),
        Value::Integer(j.result),
        text(&j.comment),
    ]
}

pub(super) fn delete_job_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster.delete_jobs.iter().map(delete_job_row).collect()
}

pub(super) fn delete_job_history_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    cluster
        .delete_job_history
        .iter()
        .map(delete_job_row)
        .collect()
}

pub(super) fn piece_file_rows(cluster: &Cluster, now: Instant) -> Vec<Row> {
    let shown = |scn: u64| {
        if scn == 0 {
            Value::Null
        } else {
            text(display_time(scn))
        }
    };
    cluster
        .pieces_at(now)
        .iter()
        .map(|p| {
            let end = if p.status == "ACTIVE" {
                0
            } else {
                p.checkpoint_scn
            };
            vec![
                int(p.tenant_id),
                int(p.dest_id),
                int(p.round_id),
                int(p.piece_id),
                int(1),
                int(0),
                text(&p.status),
                int(p.start_scn),
                shown(p.start_scn),
                int(p.checkpoint_scn),
                shown(p.checkpoint_scn),
                int(p.checkpoint_scn),
                int(end),
                shown(end),
                int(1),
                int(1),
                text("NONE"),
                int(0),
                text("0.00MB"),
                int(0),
                text("0.00MB"),
                text("0"),
                text(&p.file_status),
                text(&p.path),
            ]
        })
        .collect()
}

/// GV$OB_PARAMETERS rows visible to `tenant` (`None` = sys: every tenant).
pub(super) fn parameter_rows(cluster: &Cluster, tenant: Option<u64>) -> Vec<Row> {
    let mut rows = Vec::new();
    let defs = parameter::parameters_on(&cluster.version_parts);
    for server in &cluster.servers {
        let row = |def: &parameter::Definition, tenant_id: Value, value: String| {
            let default = if value == def.default { "YES" } else { "NO" };
            vec![
                text(&server.svr_ip),
                int(u64::from(server.svr_port)),
                text(&server.zone),
                text(def.scope.as_str()),
                tenant_id,
                text(def.name),
                text(def.kind.data_type()),
                text(&value),
                text(def.info),
                text(def.section),
                text("DYNAMIC_EFFECTIVE"),
                text(def.default),
                text(default),
            ]
        };
        // Cluster-scope parameters: one row per server, TENANT_ID NULL
        // (v4.2.2_CE_BP1 src/observer/virtual_table/ob_all_virtual_tenant_parameter_stat.cpp).
        for def in defs.iter().filter(|d| d.scope == parameter::Scope::Cluster) {
            rows.push(row(def, Value::Null, cluster.cluster_parameter_value(def)));
        }
        for t in cluster
            .tenants
            .values()
            .filter(|t| tenant.is_none_or(|id| id == t.id))
        {
            for def in defs.iter().filter(|d| d.scope == parameter::Scope::Tenant) {
                rows.push(row(def, int(t.id), cluster.parameter_value(def, t.id)));
            }
        }
    }
    rows
}

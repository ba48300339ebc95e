//! The OceanBase 3.x views: the cluster-level backup views and inner tables
//! that exist for sys only, with columns from state.1.5_CE_HF2
//! `src/share/inner_table/ob_inner_table_schema_def.py`.

use super::{Row, T, View, display_time, int, text};
use crate::cluster::{Cluster, SYS_TENANT_ID};
use rusqlite::types::Value;
use std::time::Instant;

pub(super) const ARCHIVELOG3: &[(&str, T)] = &[
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

pub(super) const BACKUP_ARCHIVELOG3: &[(&str, T)] = &[
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

pub(super) const PIECE_FILES3: &[(&str, T)] = &[
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

/// `__all_backup_piece_files` (v3.1.5_CE_HF2 `ob_inner_table_schema_def.py`,
/// table 314): the rows behind `CDB_OB_BACKUP_PIECE_FILES`, with times as
/// microseconds and the destination each piece was written to.
pub(super) const ALL_PIECE_FILES3: &[(&str, T)] = &[
    ("gmt_create", T::S),
    ("gmt_modified", T::S),
    ("incarnation", T::I),
    ("tenant_id", T::I),
    ("round_id", T::I),
    ("backup_piece_id", T::I),
    ("copy_id", T::I),
    ("create_date", T::I),
    ("start_ts", T::I),
    ("checkpoint_ts", T::I),
    ("max_ts", T::I),
    ("status", T::S),
    ("file_status", T::S),
    ("backup_dest", T::S),
    ("compatible", T::I),
    ("start_piece_id", T::I),
];

pub(super) const PIECE_JOB3: &[(&str, T)] = &[
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

pub(super) const PROGRESS3: &[(&str, T)] = &[
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

pub(super) const SET_DETAILS3: &[(&str, T)] = &[
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

pub(super) const ALL_TENANT3: &[(&str, T)] = &[
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

pub(super) const TENANT_BACKUP_INFO3: &[(&str, T)] =
    &[("tenant_id", T::I), ("name", T::S), ("value", T::S)];

pub(super) fn v3_time(ns: u64) -> Value {
    if ns == 0 {
        text("")
    } else {
        text(display_time(ns))
    }
}

pub(super) fn tenant_ids(cluster: &Cluster) -> Vec<u64> {
    cluster.tenants.keys().copied().collect()
}

pub(super) fn archivelog3_rows(cluster: &Cluster, now: Instant) -> Vec<Row> {
    let Some(state) = cluster.line.cluster_level() else {
        return Vec::new();
    };
    if state.round == 0 {
        return Vec::new();
    }
    let next = current_checkpoint_ns(cluster, state, now);
    let piece = state
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
                int(state.round),
                int(id),
                text(&state.archive_status),
                int(piece.min(1)),
                int(piece),
                v3_time(state.round_start_ns),
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

/// The current round's `MAX_NEXT_TIME`: the clock (less the lag) while
/// DOING, else when it last changed status.
fn current_checkpoint_ns(cluster: &Cluster, state: &crate::ob3::ClusterLevel, now: Instant) -> u64 {
    if state.archive_status == "DOING" {
        cluster.sim_ns(now)
    } else {
        cluster.sim_ns(state.archive_since)
    }
    .saturating_sub(state.archive_lag_ns)
}

/// `CDB_OB_BACKUP_ARCHIVELOG_SUMMARY`: the stopped rounds as `STOP`, then
/// the current round unless it is STOP (v3.1.5_CE_HF2
/// `src/share/inner_table/ob_inner_table_schema_def.py`: the round history
/// `UNION` the current status where `status != 'STOP'`), for every tenant.
pub(super) fn archivelog_summary3_rows(cluster: &Cluster, now: Instant) -> Vec<Row> {
    let Some(state) = cluster.line.cluster_level() else {
        return Vec::new();
    };
    let mut rounds: Vec<(u64, &str, u64, u64)> = state
        .past_rounds
        .iter()
        .map(|r| (r.round_id, "STOP", r.start_ns, r.checkpoint_ns))
        .collect();
    if state.round > 0 && state.archive_status != "STOP" {
        rounds.push((
            state.round,
            &state.archive_status,
            state.round_start_ns,
            current_checkpoint_ns(cluster, state, now),
        ));
    }
    let mut rows = Vec::new();
    for id in tenant_ids(cluster) {
        for &(round, status, start, checkpoint) in &rounds {
            rows.push(vec![
                int(1),
                int(round),
                int(id),
                text(status),
                int(0),
                int(0),
                v3_time(start),
                v3_time(checkpoint),
                int(0),
                int(0),
                Value::Null,
                text("0.00MB"),
                text("0.00MB"),
            ]);
        }
    }
    rows
}

pub(super) fn backup_archivelog3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(state) = cluster.line.cluster_level() else {
        return Vec::new();
    };
    let Some(status) = &state.backup_archivelog else {
        return Vec::new();
    };
    tenant_ids(cluster)
        .into_iter()
        .map(|id| {
            vec![
                int(1),
                int(state.round),
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

pub(super) fn piece_files3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(state) = cluster.line.cluster_level() else {
        return Vec::new();
    };
    state
        .pieces
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

/// The pieces and their copies, and a piece-0 copy for each round copied in
/// round mode (as OceanBase records round-mode copies).
pub(super) fn all_piece_files3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(state) = cluster.line.cluster_level() else {
        return Vec::new();
    };
    let row = |round: u64, piece: u64, copy: u64, status: &str, dest: &str| {
        vec![
            text("2024-06-20 12:00:00.000000"),
            text("2024-06-20 12:00:00.000000"),
            int(1),
            int(SYS_TENANT_ID),
            int(round),
            int(piece),
            int(copy),
            int(20240620),
            int(0),
            int(0),
            int(0),
            text(status),
            text("AVAILABLE"),
            text(dest),
            int(1),
            int(1),
        ]
    };
    let mut rows: Vec<Row> = state
        .pieces
        .iter()
        .map(|p| row(p.round_id, p.piece_id, p.copy_id, &p.status, &p.dest))
        .collect();
    rows.extend(
        state
            .round_copies
            .iter()
            .map(|(round, dest)| row(*round, 0, 1, "ACTIVE", dest)),
    );
    rows
}

pub(super) fn piece_job3_rows(cluster: &Cluster, history: bool) -> Vec<Row> {
    let Some(state) = cluster.line.cluster_level() else {
        return Vec::new();
    };
    state
        .piece_jobs
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

pub(super) fn progress3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(state) = cluster.line.cluster_level() else {
        return Vec::new();
    };
    let Some(b) = state.data_backups.iter().rfind(|b| b.status == "RUNNING") else {
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

pub(super) fn set_details3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(state) = cluster.line.cluster_level() else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for b in state
        .data_backups
        .iter()
        .filter(|b| matches!(b.status.as_str(), "COMPLETED" | "FAILED" | "DELETING"))
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

pub(super) fn all_tenant3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
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

pub(super) fn tenant_backup_info3_rows(cluster: &Cluster, _: Instant) -> Vec<Row> {
    let Some(state) = cluster.line.cluster_level() else {
        return Vec::new();
    };
    vec![vec![
        int(SYS_TENANT_ID),
        text("backup_status"),
        text(state.backup_status()),
    ]]
}

pub(super) const VIEWS: &[View] = &[
    View {
        name: "CDB_OB_BACKUP_ARCHIVELOG",
        columns: ARCHIVELOG3,
        rows: archivelog3_rows,
        dba_twin: false,
    },
    View {
        name: "CDB_OB_BACKUP_ARCHIVELOG_SUMMARY",
        columns: ARCHIVELOG3,
        rows: archivelog_summary3_rows,
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
        name: "__ALL_BACKUP_PIECE_FILES",
        columns: ALL_PIECE_FILES3,
        rows: all_piece_files3_rows,
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

pub(super) fn piece_job3_active(c: &Cluster, _: Instant) -> Vec<Row> {
    piece_job3_rows(c, false)
}

pub(super) fn piece_job3_history(c: &Cluster, _: Instant) -> Vec<Row> {
    piece_job3_rows(c, true)
}

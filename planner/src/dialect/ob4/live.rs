//! The 4.x reads decoded into the live state of every user tenant.

use super::*;

/// Decodes the 4.x reads ([`Read::TENANT_LEVEL`]) into the user tenants by
/// name, with the lowest `min_observer_version` of the servers. From sys,
/// rows name their tenant by id; from a user tenant every row is the login
/// tenant's.
///
/// # Errors
/// [`InspectError`] for a row missing a column or holding a value of
/// another type.
pub fn from_rows(
    server: &crate::live::Server,
    rows: &BTreeMap<Read, Vec<Row>>,
) -> Result<(BTreeMap<String, LiveTenant>, Option<Build>), InspectError> {
    use crate::live::{
        ArchiveDest, ArchivePiece, ArchiveRound, BackupJob, DeleteJob, get, number, parameter_row,
        required,
    };
    let empty = Vec::new();
    let of = |r: Read| rows.get(&r).unwrap_or(&empty);
    let mut tenants = BTreeMap::new();
    let mut names = BTreeMap::new();
    for row in of(Read::Tenants) {
        let read = "DBA_OB_TENANTS";
        let id = number(row, read, "tenant_id")?;
        let name = required(row, read, "tenant_name")?.to_string();
        names.insert(id, name.clone());
        tenants.insert(
            name,
            LiveTenant::new(
                id,
                required(row, read, "status")?,
                &get(row, read, "log_mode")?
                    .unwrap_or("NOARCHIVELOG")
                    .to_ascii_uppercase(),
            ),
        );
    }
    // From sys, rows name their tenant by id; from a user tenant every row is the login tenant's.
    let own = (!server.sys_login()).then(|| server.login_tenant.clone());
    let tenant_of = |names: &BTreeMap<u64, String>,
                     row: &Row,
                     read: &str|
     -> Result<Option<String>, InspectError> {
        match &own {
            Some(name) => Ok(Some(name.clone())),
            None => Ok(names.get(&number(row, read, "tenant_id")?).cloned()),
        }
    };
    let mut dest_rows: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for row in of(Read::ArchiveDest) {
        let read = "CDB_OB_ARCHIVE_DEST";
        let Some(tenant) = tenant_of(&names, row, read)? else {
            continue;
        };
        let name = required(row, read, "name")?.to_ascii_lowercase();
        let value = get(row, read, "value")?.unwrap_or_default().to_string();
        dest_rows.entry(tenant).or_default().insert(name, value);
    }
    for (tenant_name, items) in dest_rows {
        let Some(tenant) = tenants.get_mut(&tenant_name) else {
            continue;
        };
        let Some(path) = items.get("path").filter(|p| !p.is_empty()) else {
            continue;
        };
        tenant.archive_dest = Some(ArchiveDest {
            location: Destination::from_server(path),
            binding: items
                .get("binding")
                .map_or("OPTIONAL".into(), |b| b.to_ascii_uppercase()),
            piece_switch_interval: items
                .get("piece_switch_interval")
                .cloned()
                .unwrap_or_else(|| "1d".into()),
            state: items
                .get("state")
                .map_or(DestState::Enable, |s| DestState::parse(s)),
        });
    }
    for row in of(Read::ArchiveLog) {
        let read = "CDB_OB_ARCHIVELOG";
        let round = ArchiveRound {
            round_id: number(row, read, "round_id")?,
            status: RoundStatus::parse(required(row, read, "status")?),
            checkpoint: row.get("checkpoint").cloned().flatten(),
        };
        if let Some(t) = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n)) {
            t.archive_round = Some(round);
        }
    }
    for row in of(Read::DataBackupDest) {
        let read = "CDB_OB_BACKUP_PARAMETER";
        let value = get(row, read, "value")?.unwrap_or_default().to_string();
        if let Some(t) = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n)) {
            t.data_backup_dest = (!value.is_empty()).then(|| Destination::from_server(&value));
        }
    }
    let mut min_observer_version: Option<crate::dialect::capability::Build> = None;
    for row in of(Read::Parameters) {
        let read = "GV$OB_PARAMETERS";
        let (server, name, value) = parameter_row(row, read)?;
        if name == crate::sql::MIN_OBSERVER_VERSION {
            if let Some(build) = crate::dialect::capability::Build::parse_prefix(&value) {
                min_observer_version = Some(min_observer_version.map_or(build, |b| b.min(build)));
            }
            continue;
        }
        if row.get("tenant_id").is_some_and(Option::is_none) {
            continue; // cluster-scope row
        }
        if let Some(t) = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n)) {
            t.parameters.entry(name).or_default().insert(server, value);
        }
    }
    // Sys backups under way: each job id and the tenant ids it backs up
    // (all, when the list does not read). Each sys statement makes its own.
    let mut cluster_jobs: Vec<(u64, Option<Vec<u64>>)> = Vec::new();
    for row in of(Read::BackupJobs) {
        let read = "CDB_OB_BACKUP_JOBS";
        if get(row, read, "job_level")? == Some("CLUSTER") {
            let executors = get(row, read, "executor")?.and_then(|list| {
                list.split(',')
                    .map(|id| id.trim().parse().ok())
                    .collect::<Option<Vec<u64>>>()
            });
            cluster_jobs.push((number(row, read, "job_id")?, executors));
            continue;
        }
        let job = BackupJob {
            job_id: number(row, read, "job_id")?,
            backup_type: BackupType::parse(get(row, read, "backup_type")?.unwrap_or_default()),
            status: JobStatus::parse(required(row, read, "status")?),
            start_time: row.get("start_time").cloned().flatten(),
            encryption_mode: row.get("encryption_mode").cloned().flatten(),
            plus_archivelog: row.get("plus_archivelog").cloned().flatten(),
            progress: None,
        };
        if let Some(t) = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n)) {
            t.max_job_id = t.max_job_id.max(job.job_id);
            t.backup_jobs.push(job);
        }
    }
    for (job_id, executors) in cluster_jobs {
        for t in tenants.values_mut() {
            if executors.as_ref().is_none_or(|ids| ids.contains(&t.id)) {
                t.cluster_job = Some(job_id);
            }
        }
    }
    // The history gives the highest job id; how fresh the backups are comes
    // from the sets that are still there (below).
    for row in of(Read::BackupHistory) {
        let read = "CDB_OB_BACKUP_JOB_HISTORY";
        let max_job_id = number(row, read, "max_job_id")?;
        if let Some(t) = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n)) {
            t.max_job_id = t.max_job_id.max(max_job_id);
        }
    }
    for row in of(Read::BackupSetList) {
        let read = "CDB_OB_BACKUP_SET_FILES";
        let set = BackupSetFile {
            id: number(row, read, "backup_set_id")?,
            backup_type: BackupType::parse(required(row, read, "backup_type")?),
            status: SetStatus::parse(required(row, read, "status")?),
            file_status: FileStatus::parse(required(row, read, "file_status")?),
            end_time: get(row, read, "end_time")?
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            start_replay_scn: number(row, read, "start_replay_scn").unwrap_or(0),
            min_restore_scn: number(row, read, "min_restore_scn").unwrap_or(0),
            min_restore_time: get(row, read, "min_restore_time")?.map(str::to_string),
            prev_full: number(row, read, "prev_full").unwrap_or(0),
            prev_inc: number(row, read, "prev_inc").unwrap_or(0),
            plus_archivelog: get(row, read, "plus_archivelog")?
                .is_some_and(|v| v.eq_ignore_ascii_case("ON")),
            path: get(row, read, "path")?.unwrap_or_default().to_string(),
        };
        if let Some(t) = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n)) {
            t.backup_sets.push(set);
        }
    }
    for row in of(Read::ArchivePieces) {
        let read = "CDB_OB_ARCHIVELOG_PIECE_FILES";
        let piece = ArchivePiece {
            dest_id: number(row, read, "dest_id").unwrap_or(0),
            round_id: number(row, read, "round_id")?,
            piece_id: number(row, read, "piece_id")?,
            status: PieceStatus::parse(required(row, read, "status")?),
            file_status: FileStatus::parse(required(row, read, "file_status")?),
            start_scn: number(row, read, "start_scn").unwrap_or(0),
            end_scn: number(row, read, "end_scn").unwrap_or(0),
            checkpoint_scn: number(row, read, "checkpoint_scn").unwrap_or(0),
            checkpoint_time: get(row, read, "checkpoint_time")?.map(str::to_string),
            path: get(row, read, "path")?.unwrap_or_default().to_string(),
        };
        if let Some(t) = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n)) {
            t.archive_pieces.push(piece);
        }
    }
    for row in of(Read::DeletePolicy) {
        let read = "CDB_OB_BACKUP_DELETE_POLICY";
        if required(row, read, "policy_name")? != crate::sql::DELETE_POLICY_NAME {
            continue;
        }
        let window = get(row, read, "recovery_window")?
            .unwrap_or_default()
            .to_string();
        if let Some(t) = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n)) {
            t.delete_policy = Some(window);
        }
    }
    for row in of(Read::DeleteJobs) {
        let read = "CDB_OB_BACKUP_DELETE_JOBS";
        let job = DeleteJob {
            job_id: number(row, read, "job_id")?,
            status: JobStatus::parse(required(row, read, "status")?),
            start_time: get(row, read, "start_time")?.map(str::to_string),
            end_time: get(row, read, "end_time")?
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            result: get(row, read, "result")?
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or(0),
            comment: get(row, read, "comment")?
                .filter(|c| !c.is_empty())
                .map(str::to_string),
        };
        if let Some(t) = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n)) {
            if job.finished() {
                // The newest finished job: a job just finished may still be
                // in the jobs view while an older one heads the history.
                if t.last_delete_job
                    .as_ref()
                    .is_none_or(|j| j.job_id < job.job_id)
                {
                    t.last_delete_job = Some(job);
                }
            } else {
                t.delete_jobs.push(job);
            }
        }
    }
    for t in tenants.values_mut() {
        t.usable_sets = usable_sets(&t.backup_sets);
        t.last_completed = newest_usable(&t.usable_sets);
    }
    for row in of(Read::BackupTasks) {
        let read = "CDB_OB_BACKUP_TASKS";
        let job_id = number(row, read, "job_id")?;
        let progress = (
            number(row, read, "done").unwrap_or(0),
            number(row, read, "total").unwrap_or(0),
        );
        let tenant = tenant_of(&names, row, read)?.and_then(|n| tenants.get_mut(&n));
        if let Some(job) =
            tenant.and_then(|t| t.backup_jobs.iter_mut().find(|j| j.job_id == job_id))
        {
            job.progress = Some(progress);
        }
    }
    Ok((tenants, min_observer_version))
}

/// The newest end per backup type across destinations: what freshness
/// measures. A job that completed but whose set was deleted since (or is being
/// deleted, or is not AVAILABLE) leaves no backup to restore from, so it does
/// not count.
pub(super) fn newest_usable(groups: &[UsableSets]) -> BTreeMap<BackupType, String> {
    let mut out: BTreeMap<BackupType, String> = BTreeMap::new();
    for group in groups {
        let Some(end) = &group.last_end else { continue };
        let newer = out
            .get(&group.backup_type)
            .is_none_or(|seen| parse_timestamp(end) > parse_timestamp(seen));
        if newer {
            out.insert(group.backup_type.clone(), end.clone());
        }
    }
    out
}

/// The usable backup sets (SUCCESS and AVAILABLE) grouped by type and path, the
/// newest end of each group, in type then path order.
pub(super) fn usable_sets(sets: &[BackupSetFile]) -> Vec<UsableSets> {
    let mut groups: BTreeMap<(BackupType, &str), Option<&str>> = BTreeMap::new();
    for set in sets
        .iter()
        .filter(|s| s.status == SetStatus::Success && s.file_status == FileStatus::Available)
    {
        let newest = groups
            .entry((set.backup_type.clone(), &set.path))
            .or_default();
        *newest = (*newest).max(set.end_time.as_deref());
    }
    groups
        .into_iter()
        .map(|((backup_type, path), last_end)| UsableSets {
            backup_type,
            path: path.to_string(),
            last_end: last_end.map(str::to_string),
        })
        .collect()
}

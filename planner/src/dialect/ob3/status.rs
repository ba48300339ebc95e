//! The 3.x scope for `obbackup status`: the cluster.

use super::*;

/// The cluster as 3.x reads it for `status`: archive mode and round,
/// newest backups, the backup in progress, restore windows by
/// the 3.x restore rules ([`crate::recovery::windows_ob3`], on the server
/// clock `offset`), and with a declaration its data backup policy and a
/// breached `max_lag`. 3.x has no delete policy of this kind.
pub fn status_reading<'a>(
    cluster: &LiveCluster,
    desired: Option<&'a DesiredCluster>,
    now: Option<i64>,
    offset: i64,
) -> crate::status::ScopeReading<'a> {
    let lag = cluster.lag_breach(desired.and_then(|d| d.max_lag.as_ref()), now);
    crate::status::ScopeReading {
        scope: Scope::Cluster,
        log_mode: if cluster.archiving() {
            "ARCHIVELOG"
        } else {
            "NOARCHIVELOG"
        }
        .into(),
        archive_status: cluster.archive_status.as_ref().map(ToString::to_string),
        checkpoint: cluster.checkpoint.clone(),
        newest: cluster.newest(),
        running_jobs: running(cluster),
        windows: crate::recovery::windows_ob3(cluster, offset),
        delete_policy: None,
        cleanup_jobs: Vec::new(),
        cleanup_failure: None,
        policy: desired.map(|d| &d.data_backup),
        lag,
    }
}

/// The cluster's backup in progress: the running set
/// (`CDB_OB_BACKUP_PROGRESS`), or — before a set runs or while it is cleaned
/// up — the phase alone (`backup_status`), with job id 0 and no type.
pub(super) fn running(cluster: &LiveCluster) -> Vec<crate::status::RunningJob> {
    use crate::status::RunningJob;
    let phase = cluster
        .backup_status
        .clone()
        .filter(|s| *s != BackupPhase::Stop);
    match (&cluster.running_backup, phase) {
        (Some((key, kind)), phase) => vec![RunningJob {
            job_id: *key,
            backup_type: kind.to_string(),
            status: phase.unwrap_or(BackupPhase::Doing).to_string(),
            progress_percent: None,
        }],
        (None, Some(phase)) => vec![RunningJob {
            job_id: 0,
            backup_type: String::new(),
            status: phase.to_string(),
            progress_percent: None,
        }],
        (None, None) => Vec::new(),
    }
}

//! The 4.x scopes for `obbackup status`: every user tenant.

use super::*;

/// Every user tenant as 4.x reads it for `status`: its round, newest
/// backups, running jobs with progress, restore windows (by the restore
/// rules of the build, [`crate::recovery::windows`]), delete policy and
/// cleanup jobs, a failed last cleanup while a policy is set, and with a
/// declaration its data backup policy and a breached `max_lag`.
pub fn status_readings<'a>(
    live: &LiveState,
    tenants: &'a BTreeMap<String, LiveTenant>,
    desired: Option<&'a DesiredState>,
    now: Option<i64>,
) -> Vec<crate::status::ScopeReading<'a>> {
    use crate::states::JobStatus;
    use crate::status::{CleanupJob, RunningJob, ScopeReading};
    let complement_log = live.server.takes(Capability::ComplementLogRestore);
    tenants
        .iter()
        .map(|(name, t)| {
            let scope = Scope::Tenant(name.clone());
            let declared = desired.and_then(|d| d.tenants.get(name));
            let lag = declared
                .zip(now)
                .and_then(|(d, now)| crate::health::archive_lag(&scope, &d.log_archive, t, now));
            // Only while a policy is set: without one no cleanup runs again
            // to clear an old failure.
            let cleanup_failure = t
                .last_delete_job
                .as_ref()
                .filter(|j| j.status == JobStatus::Failed && t.delete_policy.is_some())
                .map(crate::status::cleanup_failure);
            ScopeReading {
                scope,
                log_mode: t.log_mode.clone(),
                archive_status: t.round_status().map(ToString::to_string),
                checkpoint: t.archive_round.as_ref().and_then(|r| r.checkpoint.clone()),
                newest: t.newest(),
                running_jobs: t
                    .backup_jobs
                    .iter()
                    .map(|j| RunningJob {
                        job_id: j.job_id,
                        backup_type: j.backup_type.to_string(),
                        status: j.status.to_string(),
                        progress_percent: j.progress.filter(|(_, total)| *total > 0).map(
                            |(done, total)| (done as f64 * 1000.0 / total as f64).round() / 10.0,
                        ),
                    })
                    .collect(),
                windows: crate::recovery::windows(t, complement_log),
                delete_policy: t.delete_policy.clone(),
                cleanup_jobs: t
                    .delete_jobs
                    .iter()
                    .chain(&t.last_delete_job)
                    .map(CleanupJob::of)
                    .collect(),
                cleanup_failure,
                policy: declared.map(|d| &d.data_backup),
                lag,
            }
        })
        .collect()
}

//! `obbackup status`: what the cluster's backups look like now, per tenant:
//! archive mode and round, checkpoint lag, age of the newest full and of the
//! newest backup of any type, running jobs with progress, and — with a
//! configuration — freshness violations. Ages use the server clock (`NOW(6)`).

use crate::change::{self, newest_age};
use crate::desired::DesiredState;
use crate::live::{LiveState, parse_timestamp};
use serde::Serialize;

/// A running backup job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunningJob {
    /// `JOB_ID`.
    pub job_id: u64,
    /// `FULL` / `INC`.
    pub backup_type: String,
    /// `STATUS`.
    pub status: String,
    /// Finished macro blocks in percent, when known.
    pub progress_percent: Option<f64>,
}

/// One tenant's backup status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantStatus {
    /// Tenant name.
    pub tenant: String,
    /// `ARCHIVELOG` / `NOARCHIVELOG`.
    pub log_mode: String,
    /// Archive round status, null when no round ever ran.
    pub archive_status: Option<String>,
    /// Seconds between the archive checkpoint and the server clock.
    pub checkpoint_lag_seconds: Option<i64>,
    /// Seconds since the newest completed full backup ended.
    pub last_full_age_seconds: Option<i64>,
    /// Seconds since the newest completed backup (full or incremental) ended.
    pub last_backup_age_seconds: Option<i64>,
    /// Running jobs.
    pub running_jobs: Vec<RunningJob>,
    /// Freshness violations (`last full 9d 2h ago, max_age 7d`).
    pub violations: Vec<String>,
}

/// The status of every user tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// `ob_version()`.
    pub server_version: String,
    /// Login tenant.
    pub login_tenant: String,
    /// `NOW(6)` on the server.
    pub server_time: Option<String>,
    /// Tenants by name.
    pub tenants: Vec<TenantStatus>,
}

/// Builds the status; `desired` adds freshness violations.
pub fn status(live: &LiveState, desired: Option<&DesiredState>) -> Status {
    let now = live.server.server_time.as_deref().and_then(parse_timestamp);
    let tenants = live
        .tenants
        .iter()
        .map(|(name, t)| {
            let violations = match (now, desired.and_then(|d| d.tenants.get(name))) {
                (Some(now), Some(want)) => change::freshness(name, want, t, now)
                    .into_iter()
                    .map(|c| format!("{}: {}, {}", c.setting.path(), c.before.unwrap_or_else(|| "no backup".into()), c.after))
                    .collect(),
                _ => Vec::new(),
            };
            TenantStatus {
                tenant: name.clone(),
                log_mode: t.log_mode.clone(),
                archive_status: t.round_status().map(str::to_string),
                checkpoint_lag_seconds: now.zip(t.archive_round.as_ref().and_then(|r| r.checkpoint.as_deref()).and_then(parse_timestamp)).map(|(n, c)| n - c),
                last_full_age_seconds: now.and_then(|n| newest_age(t, &["FULL"], n)),
                last_backup_age_seconds: now.and_then(|n| newest_age(t, &["FULL", "INC"], n)),
                running_jobs: t
                    .backup_jobs
                    .iter()
                    .map(|j| RunningJob {
                        job_id: j.job_id,
                        backup_type: j.backup_type.clone(),
                        status: j.status.clone(),
                        progress_percent: j.progress.filter(|(_, total)| *total > 0).map(|(done, total)| (done as f64 * 1000.0 / total as f64).round() / 10.0),
                    })
                    .collect(),
                violations,
            }
        })
        .collect();
    Status {
        server_version: live.server.ob_version.clone(),
        login_tenant: live.server.login_tenant.clone(),
        server_time: live.server.server_time.clone(),
        tenants,
    }
}

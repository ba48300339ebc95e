//! `obbackup status`: what the cluster's backups look like now, per tenant:
//! archive mode and round, checkpoint lag, age of the newest full and of the
//! newest backup of any type, running jobs with progress, the 4.x delete
//! policy and its cleanup jobs, and problems: a failed last cleanup and —
//! with a configuration — freshness violations. Ages use the server clock (`NOW(6)`).
//! One stage for both lines: each dialect reads its scopes into
//! [`ScopeReading`]s (a 4.x tenant, the 3.x cluster) and [`status`] judges
//! and shows them alike.

use crate::address::{Address, Scope};
use crate::change::Change;
use crate::desired::DataBackup;
use crate::dialect::Desired;
use crate::freshness::{self, Newest};
use crate::live::{LiveState, parse_timestamp};
use crate::states::JobStatus;
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

/// A cleanup job of the delete policy (4.x): a running one, or the newest finished.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanupJob {
    /// `JOB_ID`.
    pub job_id: u64,
    /// `STATUS`.
    pub status: JobStatus,
    /// `END_TIMESTAMP`, null while it runs.
    pub end_time: Option<String>,
    /// `RESULT`: OceanBase's error code, 0 on success.
    pub result: i64,
    /// `COMMENT`: the error's text, null on success.
    pub comment: Option<String>,
}

impl CleanupJob {
    /// The job as status shows it.
    pub fn of(job: &crate::live::DeleteJob) -> Self {
        Self {
            job_id: job.job_id,
            status: job.status.clone(),
            end_time: job.end_time.clone(),
            result: job.result,
            comment: job.comment.clone(),
        }
    }
}

/// One recoverable window, on the server's clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowStatus {
    /// The earliest restorable time, RFC 3339.
    pub start: String,
    /// The latest restorable time, RFC 3339.
    pub end: String,
    /// The backup sets restores in the window use, by id.
    pub backup_sets: Vec<u64>,
    /// The archive pieces they replay, `round-piece` (`round N` for a 3.x
    /// round without pieces); empty for a set's own point.
    pub pieces: Vec<String>,
    /// The start in seconds since the Unix epoch (for metrics).
    #[serde(skip)]
    pub start_epoch: i64,
    /// The end in seconds since the Unix epoch (for metrics).
    #[serde(skip)]
    pub end_epoch: i64,
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
    /// Seconds since the newest usable full backup ended.
    pub last_full_age_seconds: Option<i64>,
    /// Seconds since the newest usable backup (full or incremental) ended.
    pub last_backup_age_seconds: Option<i64>,
    /// Running jobs.
    pub running_jobs: Vec<RunningJob>,
    /// The recovery window of the delete policy `default` as the server has
    /// it (4.x), null without one.
    pub delete_policy: Option<String>,
    /// Running cleanup jobs, then the newest finished one (4.x).
    pub cleanup_jobs: Vec<CleanupJob>,
    /// The point-in-time restore windows, oldest first; gaps separate them.
    pub recovery_windows: Vec<WindowStatus>,
    /// Seconds from the newest window's end to the server's clock, null
    /// without a window.
    pub rpo_seconds: Option<i64>,
    /// Problems: a failed last cleanup job, and freshness violations
    /// (`data_backup.full: last full 9d 2h ago, max_age 7d`).
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
    /// The server's clock in seconds since the Unix epoch (`UNIX_TIMESTAMP()`,
    /// for metrics), when read.
    pub now_epoch: Option<i64>,
}

/// Freshness violations of a scope (`before` is `no backup` when there is none).
fn violations(
    scope: Scope,
    policy: Option<&DataBackup>,
    newest: Newest,
    now: Option<i64>,
) -> Vec<Change> {
    let (Some(policy), Some(now)) = (policy, now) else {
        return Vec::new();
    };
    freshness::violations(&scope, policy, newest, now)
        .into_iter()
        .map(|mut c: Change| {
            c.before = c.before.or_else(|| Some("no backup".into()));
            c
        })
        .collect()
}

/// The problems `accepted` does not accept, as status lines.
fn problem_lines(problems: Vec<Change>, accepted: &dyn Fn(&Address) -> bool) -> Vec<String> {
    problems
        .into_iter()
        .filter(|c| !accepted(&c.address))
        .map(problem_line)
        .collect()
}

/// A violation or breach as a status line: `path: observed, limit`.
fn problem_line(c: Change) -> String {
    format!(
        "{}: {}, {}",
        c.setting().path(),
        c.before.unwrap_or_default(),
        c.after
    )
}

/// A failed cleanup job as a status line:
/// `data_backup.delete_policy: cleanup job 12 FAILED at … (-9069 …)`.
pub fn cleanup_failure(job: &crate::live::DeleteJob) -> String {
    let at = job
        .end_time
        .as_deref()
        .map(|t| format!(" at {}", crate::live::to_second(t)))
        .unwrap_or_default();
    let why = job
        .comment
        .as_deref()
        .map(|c| format!(": {c}"))
        .unwrap_or_default();
    format!(
        "data_backup.delete_policy: the last cleanup job ({}) FAILED{at} with error {}{why}",
        job.job_id, job.result
    )
}

/// One scope as its line reads it for [`status`]: what differs between the
/// lines (a 4.x tenant, the 3.x cluster), made by the dialect
/// ([`crate::dialect::status_readings`]).
#[derive(Debug, Clone)]
pub struct ScopeReading<'a> {
    /// The tenant, or the 3.x cluster.
    pub scope: Scope,
    /// `ARCHIVELOG` / `NOARCHIVELOG`.
    pub log_mode: String,
    /// The archive round's status, when a round ever ran.
    pub archive_status: Option<String>,
    /// The archive checkpoint (server time).
    pub checkpoint: Option<String>,
    /// When the newest full backup, and the newest of any type, ended.
    pub newest: Newest,
    /// Backups under way.
    pub running_jobs: Vec<RunningJob>,
    /// The restore windows, by the line's restore rules.
    pub windows: Vec<crate::recovery::Window>,
    /// The delete policy's recovery window (4.x).
    pub delete_policy: Option<String>,
    /// Cleanup jobs (4.x).
    pub cleanup_jobs: Vec<CleanupJob>,
    /// A failed last cleanup while a policy is set, as a status line.
    pub cleanup_failure: Option<String>,
    /// The declared data backup policy of the scope, with a configuration.
    pub policy: Option<&'a DataBackup>,
    /// The declared `max_lag` breached by the archive, with a configuration.
    pub lag: Option<Change>,
}

/// Builds the status; `desired` adds freshness violations and policy
/// breaches, less those whose address `accepted` accepts (the configuration's
/// active `ignore` blocks, as drift applies them). The same for both lines:
/// each scope's reading comes from its dialect.
pub fn status(
    live: &LiveState,
    desired: Option<&Desired>,
    accepted: &dyn Fn(&Address) -> bool,
) -> Status {
    let now = live.now();
    let offset = live.utc_offset().unwrap_or(0);
    let tenants = crate::dialect::status_readings(live, desired)
        .into_iter()
        .map(|r| {
            let mut problems = violations(r.scope.clone(), r.policy, r.newest, now);
            let recoverability = crate::recovery::assess(r.windows, offset, now);
            if let Some(policy) = r.policy {
                problems.extend(crate::recovery::breaches(&r.scope, policy, &recoverability));
            }
            problems.extend(r.lag);
            let mut violations = problem_lines(problems, accepted);
            if let Some(failure) = r.cleanup_failure {
                violations.insert(0, failure);
            }
            TenantStatus {
                tenant: r.scope.name().to_string(),
                log_mode: r.log_mode,
                archive_status: r.archive_status,
                checkpoint_lag_seconds: now
                    .zip(r.checkpoint.as_deref().and_then(parse_timestamp))
                    .map(|(n, c)| n - c),
                last_full_age_seconds: now.zip(r.newest.full).map(|(n, e)| n - e),
                last_backup_age_seconds: now.zip(r.newest.any).map(|(n, e)| n - e),
                running_jobs: r.running_jobs,
                delete_policy: r.delete_policy,
                cleanup_jobs: r.cleanup_jobs,
                recovery_windows: window_statuses(&recoverability),
                rpo_seconds: recoverability.rpo_seconds,
                violations,
            }
        })
        .collect();
    Status {
        server_version: live.server.ob_version.clone(),
        login_tenant: live.server.login_tenant.clone(),
        server_time: live.server.server_time.clone(),
        tenants,
        now_epoch: live.server.server_epoch,
    }
}

/// The windows of `r` on the server's clock, for people and for metrics.
fn window_statuses(r: &crate::recovery::Recoverability) -> Vec<WindowStatus> {
    r.windows
        .iter()
        .map(|w| WindowStatus {
            start: crate::recovery::rfc3339(w.start_scn, r.offset),
            end: crate::recovery::rfc3339(w.end_scn, r.offset),
            backup_sets: w.backup_sets.clone(),
            pieces: w.pieces.clone(),
            start_epoch: crate::recovery::seconds(w.start_scn, 0),
            end_epoch: crate::recovery::seconds(w.end_scn, 0),
        })
        .collect()
}

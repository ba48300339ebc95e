//! Data backups in the 4.2 simulator: jobs, their lifecycle on the clock, the
//! history they land in, backup sets, and CANCEL BACKUP.
//!
//! Rules from `shared/reference/oceanbase-backup.md` §2.5 B: a tenant must be
//! NORMAL (B1), its dest-0 archive round DOING (B2), its data destination set
//! (B3), with no active job from the same initiator (B4, 9036). sys without a
//! list skips tenants that fail B1–B4 and errors only when none qualifies (B6).
//! An incremental with no SUCCESS/AVAILABLE set in the current path becomes full
//! (B7). sys creates a `CLUSTER` job under tenant 1 plus one `USER_TENANT` job
//! per tenant (B9). Jobs move INIT → DOING → COMPLETED | FAILED; CANCEL moves
//! INIT/DOING → CANCELING → CANCELED (B8); finished jobs move to history.

use crate::cluster::{Cluster, Reply, SCN_BASE_NS, SYS_TENANT_ID, Session, TenantType};
use crate::error::ObError;
use crate::fixture::{BackupJob, HistoryEntry};
use crate::statement::TenantList;
use sha1::{Digest, Sha1};
use std::time::{Duration, Instant};

/// One backup job row (CDB_OB_BACKUP_JOBS / _JOB_HISTORY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// `TENANT_ID`.
    pub tenant_id: u64,
    /// `JOB_ID`.
    pub job_id: u64,
    /// `BACKUP_SET_ID` (0 for the CLUSTER job).
    pub backup_set_id: u64,
    /// `INITIATOR_TENANT_ID`.
    pub initiator_tenant_id: u64,
    /// `INITIATOR_JOB_ID` (0 when the tenant started it itself).
    pub initiator_job_id: u64,
    /// `PLUS_ARCHIVELOG`.
    pub plus_archivelog: bool,
    /// `FULL` or `INC`.
    pub backup_type: String,
    /// `CLUSTER` or `USER_TENANT`.
    pub job_level: &'static str,
    /// `NONE` or `PASSWORD`.
    pub encryption_mode: String,
    /// `PASSWD` as shown (a digest, never the password).
    pub passwd: String,
    /// `START_TIMESTAMP` in simulated ns.
    pub start_ns: u64,
    /// `END_TIMESTAMP` in simulated ns (NULL while running).
    pub end_ns: Option<u64>,
    /// `STATUS`.
    pub status: String,
    /// When `status` was entered.
    pub since: Instant,
    /// `RESULT` (0 or an error code).
    pub result: i64,
    /// `COMMENT`.
    pub comment: String,
    /// `PATH`.
    pub path: String,
    /// Seeded jobs run until canceled.
    pub runs_until_canceled: bool,
    /// `EXECUTOR_TENANT_ID`: the tenants a CLUSTER job backs up, joined by
    /// commas; a tenant job's own id (v4.2.2_CE_BP1
    /// src/share/backup/ob_backup_struct.cpp, get_executor_tenant_id_str).
    pub executor: String,
}

/// One backup set (CDB_OB_BACKUP_SET_FILES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSet {
    /// `TENANT_ID`.
    pub tenant_id: u64,
    /// `BACKUP_SET_ID`.
    pub backup_set_id: u64,
    /// `BACKUP_TYPE`: `FULL` / `INC`.
    pub backup_type: String,
    /// `PREV_FULL_BACKUP_SET_ID`.
    pub prev_full: u64,
    /// `PREV_INC_BACKUP_SET_ID`.
    pub prev_inc: u64,
    /// Start, simulated ns.
    pub start_ns: u64,
    /// End, simulated ns.
    pub end_ns: u64,
    /// `STATUS`: `SUCCESS` / `FAILED`.
    pub status: String,
    /// `FILE_STATUS`: `AVAILABLE` / `INCOMPLETE`.
    pub file_status: String,
    /// `PLUS_ARCHIVELOG`.
    pub plus_archivelog: bool,
    /// `ENCRYPTION_MODE`.
    pub encryption_mode: String,
    /// `PATH`.
    pub path: String,
}

const TERMINAL: [&str; 3] = ["COMPLETED", "FAILED", "CANCELED"];

impl Cluster {
    /// Simulated wall clock at `at`, in ns since the Unix epoch.
    pub fn sim_ns(&self, at: Instant) -> u64 {
        SCN_BASE_NS
            + u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(0)
    }

    fn next_job_id(&self, tenant_id: u64) -> u64 {
        self.jobs
            .iter()
            .chain(&self.job_history)
            .filter(|j| j.tenant_id == tenant_id)
            .map(|j| j.job_id)
            .max()
            .unwrap_or(0)
            + 1
    }

    fn next_set_id(&self, tenant_id: u64) -> u64 {
        let in_jobs = self
            .jobs
            .iter()
            .filter(|j| j.tenant_id == tenant_id)
            .map(|j| j.backup_set_id);
        let in_sets = self
            .backup_sets
            .iter()
            .filter(|s| s.tenant_id == tenant_id)
            .map(|s| s.backup_set_id);
        in_jobs.chain(in_sets).max().unwrap_or(0) + 1
    }

    /// Seeds a tenant's running jobs and past backups from the fixture.
    pub(crate) fn seed_backups(
        &mut self,
        tenant_id: u64,
        data_path: &str,
        jobs: &[BackupJob],
        history: &[HistoryEntry],
        now: Instant,
    ) -> Result<(), String> {
        let now_ns = self.sim_ns(now);
        for entry in history {
            let ago = crate::parameter::parse_time_us(&entry.ended_ago)
                .ok_or_else(|| format!("ended_ago {:?} is not a duration", entry.ended_ago))?;
            let took = crate::parameter::parse_time_us(&entry.took)
                .ok_or_else(|| format!("took {:?} is not a duration", entry.took))?;
            let end_ns = now_ns.saturating_sub(ago * 1000);
            let start_ns = end_ns.saturating_sub(took * 1000);
            let path = entry.path.clone().unwrap_or_else(|| data_path.to_string());
            let set_id = self.next_set_id(tenant_id);
            let job = Job {
                tenant_id,
                job_id: self.next_job_id(tenant_id),
                backup_set_id: set_id,
                initiator_tenant_id: tenant_id,
                initiator_job_id: 0,
                plus_archivelog: entry.plus_archivelog,
                backup_type: entry.backup_type.clone(),
                job_level: "USER_TENANT",
                encryption_mode: entry.encryption_mode.clone(),
                passwd: String::new(),
                start_ns,
                end_ns: Some(end_ns),
                status: entry.status.clone(),
                since: now,
                result: if entry.status == "COMPLETED" {
                    0
                } else {
                    -4012
                },
                comment: String::new(),
                path: path.clone(),
                runs_until_canceled: false,
                executor: String::new(),
            };
            self.record_set(&job, end_ns);
            if let (Some(status), Some(set)) = (&entry.file_status, self.backup_sets.last_mut()) {
                set.file_status = status.clone();
            }
            self.job_history.push(job);
        }
        for j in jobs {
            self.jobs.push(Job {
                tenant_id,
                job_id: j.job_id,
                backup_set_id: j.backup_set_id,
                initiator_tenant_id: tenant_id,
                initiator_job_id: 0,
                plus_archivelog: false,
                backup_type: j.backup_type.clone(),
                job_level: "USER_TENANT",
                encryption_mode: "NONE".into(),
                passwd: String::new(),
                start_ns: now_ns,
                end_ns: None,
                status: j.status.clone(),
                since: now,
                result: 0,
                comment: String::new(),
                path: data_path.to_string(),
                runs_until_canceled: true,
                executor: String::new(),
            });
        }
        Ok(())
    }

    /// Adds the backup set a finished job produced. An incremental links to
    /// the newest SUCCESS/AVAILABLE set in the same destination: after a full
    /// set F it gets (F, F), after an incremental I (I's full, I); a full set
    /// gets (0, 0) (v4.2.2_CE_BP1 `src/share/backup/ob_backup_data_table_operator.cpp`,
    /// `ObBackupSetFileOperator::get_prev_backup_set_id`).
    fn record_set(&mut self, job: &Job, end_ns: u64) {
        let success = job.status == "COMPLETED";
        let newest = self
            .backup_sets
            .iter()
            .filter(|s| {
                s.tenant_id == job.tenant_id
                    && s.status == "SUCCESS"
                    && s.file_status == "AVAILABLE"
                    && s.path == job.path
            })
            .max_by_key(|s| s.backup_set_id);
        let (prev_full, prev_inc) = match (job.backup_type.as_str(), newest) {
            ("INC", Some(s)) if s.backup_type == "FULL" => (s.backup_set_id, s.backup_set_id),
            ("INC", Some(s)) => (s.prev_full, s.backup_set_id),
            _ => (0, 0),
        };
        self.backup_sets.push(BackupSet {
            tenant_id: job.tenant_id,
            backup_set_id: job.backup_set_id,
            backup_type: job.backup_type.clone(),
            prev_full,
            prev_inc,
            start_ns: job.start_ns,
            end_ns,
            status: if success { "SUCCESS" } else { "FAILED" }.into(),
            file_status: if success { "AVAILABLE" } else { "INCOMPLETE" }.into(),
            plus_archivelog: job.plus_archivelog,
            encryption_mode: job.encryption_mode.clone(),
            path: job.path.clone(),
        });
    }

    /// Advances jobs: INIT → DOING → COMPLETED/FAILED, CANCELING → CANCELED;
    /// finished jobs move to history; a CLUSTER job ends with its children.
    pub(crate) fn tick_jobs(&mut self, now: Instant) {
        let delays = self.delays.clone();
        let stalled = self.stalled.clone();
        let mut finished = Vec::new();
        for i in 0..self.jobs.len() {
            for _ in 0..3 {
                let job = &self.jobs[i];
                if job.job_level == "CLUSTER" || stalled.contains(&job.status) {
                    break;
                }
                let (next, delay) = match job.status.as_str() {
                    "INIT" => ("DOING", delays.backup_init),
                    "DOING" if !job.runs_until_canceled => ("COMPLETED", delays.backup_running),
                    "CANCELING" => ("CANCELED", delays.backup_canceling),
                    _ => break,
                };
                let due = job.since + Duration::from_millis(delay);
                if now < due {
                    break;
                }
                let tenant = job.tenant_id;
                let failure = (next == "COMPLETED")
                    .then(|| {
                        self.pending_failures
                            .iter()
                            .position(|(t, _, _)| *t == tenant)
                    })
                    .flatten()
                    .map(|p| self.pending_failures.remove(p));
                let end_ns = self.sim_ns(due);
                let job = &mut self.jobs[i];
                job.since = due;
                job.status = next.to_string();
                if let Some((_, result, comment)) = failure {
                    job.status = "FAILED".into();
                    job.result = result;
                    job.comment = comment;
                }
                if TERMINAL.contains(&job.status.as_str()) {
                    job.end_ns = Some(end_ns);
                    finished.push(i);
                    break;
                }
            }
        }
        let mut done: Vec<Job> = finished.iter().map(|&i| self.jobs[i].clone()).collect();
        for job in &done {
            if job.status != "CANCELED" {
                self.record_set(job, job.end_ns.unwrap_or(0));
            }
        }
        self.jobs.retain(|j| !TERMINAL.contains(&j.status.as_str()));
        // A CLUSTER job ends when none of its children is active (B9).
        let active_parents: Vec<u64> = self
            .jobs
            .iter()
            .chain(&self.pending_tenant_jobs)
            .filter(|j| j.job_level == "USER_TENANT" && j.initiator_tenant_id == SYS_TENANT_ID)
            .map(|j| j.initiator_job_id)
            .collect();
        let history: Vec<Job> = self.job_history.iter().chain(&done).cloned().collect();
        let now_ns = self.sim_ns(now);
        for job in self
            .jobs
            .iter_mut()
            .filter(|j| j.job_level == "CLUSTER" && !active_parents.contains(&j.job_id))
        {
            let children = history.iter().filter(|c| {
                c.job_level == "USER_TENANT"
                    && c.initiator_tenant_id == SYS_TENANT_ID
                    && c.initiator_job_id == job.job_id
            });
            let statuses: Vec<&str> = children.map(|c| c.status.as_str()).collect();
            job.status = if statuses.iter().all(|s| *s == "COMPLETED") {
                "COMPLETED"
            } else if statuses.contains(&"CANCELED") {
                "CANCELED"
            } else {
                "FAILED"
            }
            .into();
            job.end_ns = Some(now_ns);
        }
        done.extend(
            self.jobs
                .iter()
                .filter(|j| TERMINAL.contains(&j.status.as_str()))
                .cloned(),
        );
        self.jobs.retain(|j| !TERMINAL.contains(&j.status.as_str()));
        self.job_history.extend(done);
    }

    /// Makes the next backup job of `tenant_id` end FAILED with `result` and `comment`.
    pub fn fail_next_backup(&mut self, tenant_id: u64, result: i64, comment: &str) {
        self.pending_failures
            .push((tenant_id, result, comment.to_string()));
    }

    /// The first check a backup of `tenant_id` fails, in OceanBase's order
    /// (v4.2.2_CE_BP1 src/rootserver/backup/ob_backup_data_scheduler.cpp): a
    /// tenant backing itself up (`start_tenant_backup_data_`) is checked for
    /// its destination (9040 with the bare message: no user error is set),
    /// status, a job of its own (9036), then the archive; from sys with a
    /// tenant list, status, archive, a job, then the destination.
    fn backup_blocker(&self, tenant_id: u64, initiator: u64) -> Option<ObError> {
        let t = self.tenants.get(&tenant_id)?;
        let no_dest = t.data_backup_dest.is_none();
        let not_normal = (t.status != "NORMAL")
            .then(|| ObError::backup_can_not_start("tenant status is not normal."));
        let not_doing = t
            .round
            .as_ref()
            .is_none_or(|r| r.status != "DOING")
            .then(|| ObError::backup_can_not_start("log archive status is not doing."));
        let busy = self
            .jobs
            .iter()
            .chain(&self.pending_tenant_jobs)
            .any(|j| j.tenant_id == tenant_id && j.initiator_tenant_id == initiator)
            .then(ObError::backup_in_progress);
        if initiator == tenant_id {
            let dest = no_dest.then(ObError::backup_can_not_start_bare);
            dest.or(not_normal).or(busy).or(not_doing)
        } else {
            let dest = no_dest.then(|| ObError::backup_can_not_start("backup dest is not set."));
            not_normal.or(not_doing).or(busy).or(dest)
        }
    }

    /// `ALTER SYSTEM BACKUP …` (reference §2.3, §2.5 B).
    pub(crate) fn start_backup(
        &mut self,
        session: &Session,
        incremental: bool,
        list: Option<&TenantList>,
        plus_archivelog: bool,
        to: bool,
    ) -> Result<Reply, ObError> {
        let from_sys = session.tenant_id == SYS_TENANT_ID;
        if !from_sys && list.is_some() {
            return Err(ObError::not_supported(Some(
                "user tenant cannot specify tenant names",
            )));
        }
        if to {
            return Err(ObError::not_supported(Some(
                "backup do not support using specify path",
            )));
        }
        if plus_archivelog && !self.at_least(&[4, 2]) {
            return Err(ObError::not_supported(Some(
                "plus archive is not supported",
            )));
        }
        let (ids, skip_failing) = match list {
            None if from_sys => (
                self.tenants
                    .values()
                    .filter(|t| t.kind == TenantType::User)
                    .map(|t| t.id)
                    .collect::<Vec<_>>(),
                true,
            ),
            None => (vec![session.tenant_id], false),
            Some(l) => {
                // Duplicate names are dropped, not refused (v4.2.2_CE_BP1
                // src/sql/resolver/cmd/ob_alter_system_resolver.cpp,
                // ObAlterSystemResolverUtil::get_tenant_ids ignores OB_HASH_EXIST).
                let deduplicated;
                let l = match l {
                    TenantList::Names(names) => {
                        let mut unique: Vec<String> = Vec::new();
                        for n in names {
                            if !unique.contains(n) {
                                unique.push(n.clone());
                            }
                        }
                        deduplicated = TenantList::Names(unique);
                        &deduplicated
                    }
                    other => other,
                };
                let ids = self.resolve_tenants(session, Some(l))?;
                if ids.contains(&SYS_TENANT_ID) {
                    return Err(ObError::injected(4016, "Internal error"));
                }
                (ids, false)
            }
        };
        let initiator = session.tenant_id;
        let mut chosen = Vec::new();
        for id in ids {
            match self.backup_blocker(id, initiator) {
                None => chosen.push(id),
                Some(e) if !skip_failing => return Err(e),
                Some(_) => {}
            }
        }
        if chosen.is_empty() {
            return Err(ObError::backup_can_not_start(
                "no tenant meets the backup condition, \u{FFFC}please check the tenant status, log archive status, backup data dest, and backup status for each tenant",
            ));
        }
        let now = Instant::now();
        let now_ns = self.sim_ns(now);
        let (encryption_mode, passwd) = match &session.encryption {
            Some(pw) => (
                "PASSWORD".to_string(),
                Sha1::digest(pw.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect(),
            ),
            None => ("NONE".to_string(), String::new()),
        };
        let cluster_job = from_sys.then(|| self.next_job_id(SYS_TENANT_ID));
        let executor = chosen
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        for id in chosen {
            let path = self
                .tenants
                .get(&id)
                .and_then(|t| t.data_backup_dest.clone())
                .unwrap_or_default();
            // B7: an incremental needs a SUCCESS/AVAILABLE set in the current path.
            let has_base = self.backup_sets.iter().any(|s| {
                s.tenant_id == id
                    && s.status == "SUCCESS"
                    && s.file_status == "AVAILABLE"
                    && s.path == path
            });
            let backup_type = if incremental && has_base {
                "INC"
            } else {
                "FULL"
            };
            let job = Job {
                tenant_id: id,
                job_id: self.next_job_id(id),
                backup_set_id: self.next_set_id(id),
                initiator_tenant_id: initiator,
                initiator_job_id: cluster_job.unwrap_or(0),
                plus_archivelog,
                backup_type: backup_type.into(),
                job_level: "USER_TENANT",
                encryption_mode: encryption_mode.clone(),
                passwd: passwd.clone(),
                start_ns: now_ns,
                end_ns: None,
                status: "INIT".into(),
                since: now,
                result: 0,
                comment: String::new(),
                path,
                runs_until_canceled: false,
                executor: String::new(),
            };
            if from_sys {
                self.pending_tenant_jobs.push(job);
            } else {
                self.jobs.push(job);
            }
        }
        if let Some(job_id) = cluster_job {
            self.jobs.push(Job {
                tenant_id: SYS_TENANT_ID,
                job_id,
                backup_set_id: 0,
                initiator_tenant_id: SYS_TENANT_ID,
                initiator_job_id: job_id,
                plus_archivelog,
                backup_type: if incremental { "INC" } else { "FULL" }.into(),
                job_level: "CLUSTER",
                encryption_mode,
                passwd,
                start_ns: now_ns,
                end_ns: None,
                status: "INIT".into(),
                since: now,
                result: 0,
                comment: String::new(),
                path: String::new(),
                runs_until_canceled: false,
                executor,
            });
        }
        Ok(Reply::Ok(0))
    }

    /// `ALTER SYSTEM CANCEL BACKUP [TENANT …]`: INIT/DOING → CANCELING; nothing
    /// running is still OK (reference §2.3).
    pub(crate) fn cancel_backup(
        &mut self,
        session: &Session,
        list: Option<&TenantList>,
    ) -> Result<Reply, ObError> {
        if session.tenant_id != SYS_TENANT_ID && list.is_some() {
            return Err(ObError::not_supported(None));
        }
        let ids = self.resolve_tenants(session, list)?;
        let now = Instant::now();
        // Jobs a sys backup has yet to create are not created.
        let pending = self.pending_tenant_jobs.len();
        self.pending_tenant_jobs
            .retain(|j| !ids.contains(&j.tenant_id));
        let mut affected = (pending - self.pending_tenant_jobs.len()) as u64;
        for job in self
            .jobs
            .iter_mut()
            .filter(|j| ids.contains(&j.tenant_id) && j.job_level == "USER_TENANT")
        {
            if job.status == "INIT" || job.status == "DOING" {
                job.status = "CANCELING".into();
                job.since = now;
                affected += 1;
            }
        }
        Ok(Reply::Ok(affected))
    }
}

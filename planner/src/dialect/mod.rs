//! Dialects: the SQL surface of an OceanBase server line. OceanBase 4.x
//! backs up per tenant (`TENANT = …` clauses from sys, or a tenant for
//! itself); OceanBase 3.x backs up the whole cluster from sys, with
//! backup-backup. A dialect supplies only what differs between the lines; the
//! pipeline of [`crate::plan`] is shared.

use crate::address::{Address, Scope};
use crate::config::Config;
use crate::desired::Encryption;
use crate::desired::{DesiredState, Environment};
use crate::diagnostic::ConfigError;
use crate::live::{LiveScopes, LiveState, Server};
use crate::plan::Options;
use crate::sql::{self, Read, SqlText};
use crate::step::{Step, StepAction, StepId, StepKind, Wait, WaitUntil};

pub mod capability;
pub mod ob3;
pub mod ob4;

/// One data backup of a scope, for both lines: `SET ENCRYPTION … ONLY` when
/// the policy encrypts, the `BACKUP` statement, and a wait for the new job
/// (to exist and be encrypted, or with `follow` to end) when either is asked.
/// The order inside the session is the rules' (`encryption_before_backup`,
/// `session_encryption_sequence`). `jobs` is the query polling the scope's
/// jobs newer than `after_job_id`.
pub(crate) struct BackupSequence<'a> {
    /// The tenant, or the 3.x cluster.
    pub scope: &'a Scope,
    /// The freshness changes the backup serves.
    pub addresses: Vec<Address>,
    /// Incremental rather than full.
    pub incremental: bool,
    /// The `BACKUP` statement.
    pub statement: SqlText,
    /// The policy's encryption password, if any.
    pub encryption: Option<&'a Encryption>,
    /// The query a wait polls, and the newest job id before the backup.
    pub jobs: (String, u64),
    /// The tenant the query polls by id (4.x from sys), see [`Wait::tenant_id`].
    pub tenant_id: Option<u64>,
}

impl BackupSequence<'_> {
    /// The steps, with wait limits from `options`.
    pub(crate) fn steps(self, options: &Options) -> Vec<Step> {
        let step = |verb: &str, action, kind| {
            Step::new(
                StepId::of(self.scope, verb),
                action,
                kind,
                self.scope.tenant(),
                self.scope.name(),
            )
            .serving(self.addresses.clone())
        };
        let mut steps = Vec::new();
        if let Some(encryption) = self.encryption {
            steps.push(step(
                "set_encryption",
                StepAction::SetEncryption,
                StepKind::Sql(sql::set_encryption(&encryption.password)),
            ));
        }
        let verb = if self.incremental {
            "backup_incremental"
        } else {
            "backup_full"
        };
        steps.push(step(
            verb,
            StepAction::Backup,
            StepKind::Sql(self.statement),
        ));
        let follow = options.follow_backups;
        if follow || self.encryption.is_some() {
            let (query, after_job_id) = self.jobs;
            steps.push(step(
                "wait_backup_job",
                StepAction::WaitBackupJob,
                StepKind::Wait(Wait {
                    until: WaitUntil::BackupJob {
                        after_job_id,
                        follow,
                        expect_password: self.encryption.is_some(),
                    },
                    query,
                    timeout_seconds: if follow {
                        options.timeouts.backup_run
                    } else {
                        options.timeouts.backup_jobs
                    },
                    tenant_id: self.tenant_id,
                }),
            ));
        }
        steps
    }
}

/// The evaluated declaration, by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Desired {
    /// 4.x: the managed tenants.
    Tenants(DesiredState),
    /// 3.x: the `cluster` block.
    Cluster(Box<ob3::DesiredCluster>),
}

/// Each scope of `live` as its line reads it for `status` (4.x: every user
/// tenant, with its declaration when `desired` has one; 3.x: the cluster).
pub fn status_readings<'a>(
    live: &'a LiveState,
    desired: Option<&'a Desired>,
) -> Vec<crate::status::ScopeReading<'a>> {
    let now = live.now();
    match &live.scopes {
        LiveScopes::Tenants { tenants } => {
            let desired = match desired {
                Some(Desired::Tenants(d)) => Some(d),
                _ => None,
            };
            ob4::status_readings(live, tenants, desired, now)
        }
        LiveScopes::Cluster { cluster } => {
            let desired = match desired {
                Some(Desired::Cluster(d)) => Some(d.as_ref()),
                _ => None,
            };
            let offset = live.utc_offset().unwrap_or(0);
            vec![ob3::status_reading(cluster, desired, now, offset)]
        }
    }
}

/// The steps of a one-shot request (`obbackup backup`) on `live`'s line;
/// notes gain what the user should know.
///
/// # Errors
/// [`crate::oneshot::OneShotError`] when the request cannot run now.
pub fn oneshot_steps(
    live: &LiveState,
    request: &crate::oneshot::Request,
    timeouts: crate::plan::Timeouts,
    notes: &mut Vec<String>,
) -> Result<Vec<Step>, crate::oneshot::OneShotError> {
    match &live.scopes {
        LiveScopes::Tenants { .. } => ob4::oneshot_steps(live, request, timeouts, notes),
        LiveScopes::Cluster { cluster } => {
            ob3::oneshot_steps(live, cluster, request, timeouts, notes)
        }
    }
}

/// The blocks `obbackup export` writes for `live`, by its line, with
/// `version` (the server's major.minor) declared; `env` gains the variables
/// they read.
pub fn export_blocks(live: &LiveState, version: &str, env: &mut Vec<String>) -> String {
    match &live.scopes {
        LiveScopes::Tenants { .. } => ob4::export_blocks(live, version, env),
        LiveScopes::Cluster { cluster } => ob3::export_block(cluster, version, env),
    }
}

/// Resolves `config` for the line `live` runs (what `status` checks
/// freshness against). Errors: every problem of the blocks of that line.
pub fn resolve(
    config: &Config,
    live: &LiveState,
    env: &Environment,
) -> Result<Desired, Vec<ConfigError>> {
    match &live.scopes {
        LiveScopes::Tenants { tenants } => {
            let names: Vec<String> = tenants.keys().cloned().collect();
            ob4::resolve(config, &names, env).map(Desired::Tenants)
        }
        LiveScopes::Cluster { .. } => {
            let mut errors = Vec::new();
            let cluster = ob3::resolve(config, env, &mut errors);
            if errors.is_empty() {
                Ok(Desired::Cluster(Box::new(cluster)))
            } else {
                Err(errors)
            }
        }
    }
}

/// The server line a plan is made for, chosen from `ob_version()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dialect {
    /// OceanBase 4.x: tenant-level backup.
    Ob4,
    /// OceanBase 3.x: cluster-level backup and backup-backup.
    Ob3,
}

impl Dialect {
    /// The dialect of `server`: 3.x for a `3.*` build, 4.x otherwise (seekdb
    /// and 4.0 are refused before planning, by [`crate::live::check_login`]
    /// and the reads).
    pub fn of(server: &Server) -> Self {
        if server.is_cluster_level() {
            Dialect::Ob3
        } else {
            Dialect::Ob4
        }
    }

    /// The dialect of `build`'s line: 3.x for a `3.*` build, 4.x otherwise.
    pub fn of_build(build: capability::Build) -> Self {
        if build.0[0] == 3 {
            Dialect::Ob3
        } else {
            Dialect::Ob4
        }
    }

    /// What `config` asks that `build` of this line cannot do, checked
    /// without a cluster (`obbackup validate`): the other line's settings,
    /// and the limits of the build. `exact` is false when `build` is only
    /// the prefix a file declares (`cluster { version = "4.2" }`): 4.x
    /// limits differ between builds of one prefix and are then left to the
    /// plan, while 3.x checks its limits as the newest build of the prefix.
    pub fn validate(
        self,
        config: &Config,
        env: &Environment,
        build: capability::Build,
        exact: bool,
    ) -> Vec<ConfigError> {
        match self {
            Dialect::Ob3 => {
                let mut found = ob3::wrong_line(config);
                found.extend(ob3::check_build(config, env, build));
                found
            }
            Dialect::Ob4 => {
                let mut found = ob4::wrong_line(config);
                if exact {
                    found.extend(ob4::check_build(config, build));
                }
                found
            }
        }
    }

    /// The fixed reads of the line, in the order they are sent: a constant
    /// number of queries whatever the number of tenants.
    pub fn reads(self) -> &'static [Read] {
        match self {
            Dialect::Ob4 => &Read::TENANT_LEVEL,
            Dialect::Ob3 => &Read::CLUSTER_LEVEL,
        }
    }

    /// The dialect of a plan made against `ob_version` (`Plan::server_version`).
    pub fn of_version(ob_version: &str) -> Self {
        if ob_version.split('.').next() == Some("3") {
            Dialect::Ob3
        } else {
            Dialect::Ob4
        }
    }

    /// What to do when a wait of this line ends without reaching `until`:
    /// the job it follows failed (`timed_out` false) or its limit passed.
    /// Names the views this line shows the state in (4.x: `CDB_OB_ARCHIVELOG`,
    /// `CDB_OB_BACKUP_JOBS`, the job's RESULT and COMMENT in
    /// `CDB_OB_BACKUP_JOB_HISTORY` and `CDB_OB_BACKUP_TASKS`, v4.2.2_CE_BP1;
    /// 3.x: `CDB_OB_BACKUP_ARCHIVELOG`, `CDB_OB_BACKUP_PROGRESS`,
    /// `CDB_OB_BACKUP_SET_DETAILS` (STATUS, derived from the set's RESULT),
    /// `CDB_OB_BACKUP_BACKUPPIECE_JOB`, v3.1.5_CE_HF2
    /// `src/share/inner_table/ob_inner_table_schema_def.py`) and the flag
    /// that sets the limit ([`WaitUntil::limit_flag`]).
    pub fn wait_advice(self, until: &crate::step::WaitUntil, timed_out: bool) -> String {
        use crate::step::WaitUntil as W;
        let views = match (self, until) {
            (Dialect::Ob4, W::ArchiveStatus { .. }) => "CDB_OB_ARCHIVELOG",
            (Dialect::Ob4, W::NoBackupJobs | W::BackupJob { .. } | W::NoPieceJobs) => {
                if timed_out {
                    "CDB_OB_BACKUP_JOBS"
                } else {
                    "the job's RESULT and COMMENT in CDB_OB_BACKUP_JOB_HISTORY and CDB_OB_BACKUP_TASKS"
                }
            }
            (Dialect::Ob3, W::ArchiveStatus { .. }) => "CDB_OB_BACKUP_ARCHIVELOG",
            (Dialect::Ob3, W::NoPieceJobs) => "CDB_OB_BACKUP_BACKUPPIECE_JOB",
            (Dialect::Ob3, W::NoBackupJobs | W::BackupJob { .. }) => {
                "CDB_OB_BACKUP_PROGRESS and the backup set's STATUS in CDB_OB_BACKUP_SET_DETAILS"
            }
        };
        if timed_out {
            format!(
                "OceanBase is still working or stuck: check {views}, raise {} (for a saved plan, at `plan --out`), and run apply again",
                until.limit_flag()
            )
        } else {
            format!("see {views}; fix the cause and apply again")
        }
    }

    /// What to do about OceanBase error `number` (with its `message`) met by
    /// a step, in this line's terms; `None` when the connection broke. Error
    /// numbers from v4.2.2_CE_BP1 and v3.1.5_CE_HF2 `src/share/ob_errno.def`
    /// (9036 `OB_BACKUP_IN_PROGRESS`, 9026 `OB_BACKUP_DEST_NOT_CONNECT` /
    /// invalid destination, 9091/9092 archive mode already set, 5099 unknown
    /// parameter, 4147 invalid config, 1227 no privilege, 1235 not supported).
    pub fn advice(self, number: Option<u16>, message: &str) -> String {
        match (self, number) {
            (Dialect::Ob4, Some(9036)) => "a backup job is running for this tenant: let it finish or cancel it (ALTER SYSTEM CANCEL BACKUP), then plan again".into(),
            (Dialect::Ob3, Some(9036)) => "the cluster's archive or a backup (or backup-backup) job is running: let it finish or stop it, then plan again".into(),
            (Dialect::Ob4, Some(1235)) if message.contains("archive is running") => "the archive round is not STOP: plan again, obbackup stops it first".into(),
            (_, Some(5099)) => "the server does not know this parameter: is the file written for another server line?".into(),
            (_, Some(4147)) => "the server rejected the value as out of range for this version".into(),
            (Dialect::Ob4, Some(1227)) => "the login lacks the ALTER SYSTEM privilege: log in as root@sys".into(),
            (Dialect::Ob3, Some(1227)) => "on OceanBase 3.x backup statements run only from the sys tenant: log in as root@sys".into(),
            (_, Some(9080 | 9081)) => "the destination holds another tenant's or a foreign format file: use an empty directory per tenant".into(),
            (_, Some(9026)) => "the destination is not valid, not empty, or not reachable from the observers".into(),
            (_, Some(9091 | 9092)) => "the archive mode changed since the plan was made: plan again".into(),
            (_, Some(1064)) => "the server did not understand the statement: check the server line".into(),
            (_, None) => "the connection broke: the step may or may not have taken effect; plan again to see".into(),
            _ => "plan again to see what is left".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_advice_names_the_views_of_the_line_and_the_flag_of_the_limit() {
        use crate::states::RoundStatus;
        use crate::step::WaitUntil;
        let archive = WaitUntil::ArchiveStatus {
            statuses: vec![RoundStatus::Doing],
        };
        let follow = WaitUntil::BackupJob {
            follow: true,
            expect_password: false,
            after_job_id: 0,
        };
        let ob4 = Dialect::Ob4.wait_advice(&archive, true);
        assert!(
            ob4.contains("CDB_OB_ARCHIVELOG,") && ob4.contains("--wait-timeout"),
            "{ob4}"
        );
        let ob3 = Dialect::Ob3.wait_advice(&archive, true);
        assert!(
            ob3.contains("CDB_OB_BACKUP_ARCHIVELOG") && !ob3.contains("CDB_OB_ARCHIVELOG,"),
            "{ob3}"
        );
        let backup = Dialect::Ob4.wait_advice(&follow, true);
        assert!(
            backup.contains("--backup-timeout") && backup.contains("CDB_OB_BACKUP_JOBS"),
            "{backup}"
        );
        let failed = Dialect::Ob3.wait_advice(&follow, false);
        assert!(
            failed.contains("CDB_OB_BACKUP_SET_DETAILS") && !failed.contains("timeout"),
            "{failed}"
        );
        let pieces = Dialect::Ob3.wait_advice(&WaitUntil::NoPieceJobs, true);
        assert!(
            pieces.contains("CDB_OB_BACKUP_BACKUPPIECE_JOB") && pieces.contains("--backup-timeout"),
            "{pieces}"
        );
    }

    #[test]
    fn advice_speaks_the_line() {
        let ob4 = Dialect::Ob4.advice(Some(9036), "Backup is in progress");
        let ob3 = Dialect::Ob3.advice(Some(9036), "Backup is in progress");
        assert!(ob4.contains("tenant"), "{ob4}");
        assert!(ob3.contains("cluster"), "{ob3}");
        assert!(Dialect::Ob4.advice(None, "").contains("connection broke"));
        assert!(
            Dialect::Ob4
                .advice(
                    Some(1235),
                    "change archive dest when archive is running is not supported"
                )
                .contains("not STOP")
        );
    }
}

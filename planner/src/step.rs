//! Steps: the executable units of a plan. A step is one SQL statement or one
//! wait for an asynchronous OceanBase state, with the scope it touches (the
//! tenants it covers, or the pseudo-scope `cluster` on 3.x), the addresses of
//! the changes it serves, its hazards, and — once [`crate::graph`] has ordered
//! the plan — the ids of the steps it depends on.
//!
//! Ordering edges between steps come only from [`crate::rules`]; a step says
//! *what* it does ([`StepAction`]), never *when*.

use crate::address::Address;
use crate::change::Parameter;
use crate::rules::Rule;
use crate::sql::SqlText;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A step's stable identity, unique within a plan: `tenant.<name>:<verb>` for a
/// tenant's step, `cluster:<verb>` for a 3.x cluster-level step,
/// `all_user:<verb>` for one statement covering every user tenant
/// (`TENANT = all_user`). Serialised as that text.
/// Shared text: cloning an id (edges, `depends_on`) allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepId(Arc<str>);

impl StepId {
    /// The step `verb` of tenant `name`: `tenant.<name>:<verb>`.
    pub fn tenant(name: &str, verb: &str) -> Self {
        Self(format!("tenant.{name}:{verb}").into())
    }

    /// The 3.x cluster-level step `verb`: `cluster:<verb>`.
    pub fn cluster(verb: &str) -> Self {
        Self(format!("cluster:{verb}").into())
    }

    /// The step `verb` that covers every user tenant at once: `all_user:<verb>`.
    pub fn all_user(verb: &str) -> Self {
        Self(format!("all_user:{verb}").into())
    }

    /// The step `verb` of `scope`: a tenant's, or the 3.x cluster's.
    pub fn of(scope: &crate::address::Scope, verb: &str) -> Self {
        match scope {
            crate::address::Scope::Tenant(name) => Self::tenant(name, verb),
            crate::address::Scope::Cluster => Self::cluster(verb),
        }
    }

    /// The address of the shared text: equal for an id and its clones, so
    /// a lookup by it needs no read of the text. Two equal ids made apart
    /// (a plan read from a file) have different addresses.
    pub fn shared_address(&self) -> usize {
        Arc::as_ptr(&self.0).cast::<u8>() as usize
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the step acts on, read from its id.
    pub fn scope(&self) -> StepScope<'_> {
        if let Some(rest) = self.0.strip_prefix("tenant.") {
            StepScope::Tenant(rest.rsplit_once(':').map_or(rest, |(name, _)| name))
        } else if self.0.starts_with("cluster:") {
            StepScope::Cluster
        } else {
            StepScope::AllUser
        }
    }
}

/// What a step acts on ([`StepId::scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepScope<'a> {
    /// One tenant (4.x), by name.
    Tenant(&'a str),
    /// Every user tenant in one statement (`TENANT = all_user`, 4.2.1+).
    AllUser,
    /// The cluster (3.x).
    Cluster,
}

impl Serialize for StepId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for StepId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Self(s.into()))
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for StepId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for StepId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// What a step does. The rules in [`crate::rules`] match on it. The variant
/// order is also the first key of the ready-step tie-break in [`crate::graph`],
/// which exists only to make output deterministic: the rules alone carry every
/// ordering OceanBase requires (a test orders every scenario with the reverse
/// tie-break and checks its happens-before assertions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "parameter")]
pub enum StepAction {
    /// 3.x `ALTER SYSTEM STOP BACKUP ARCHIVELOG` (round mode off).
    StopRoundMode,
    /// `ALTER SYSTEM SET <parameter> = …`.
    SetParameter(Parameter),
    /// `ALTER SYSTEM CANCEL BACKUP`.
    CancelBackup,
    /// Wait until the tenant has no backup job.
    WaitBackupJobsGone,
    /// `ALTER SYSTEM SET DATA_BACKUP_DEST`.
    SetDataBackupDest,
    /// `ALTER SYSTEM DROP DELETE BACKUP POLICY 'default'` before a new window.
    DropDeletePolicy,
    /// `ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' RECOVERY_WINDOW …`.
    AddDeletePolicy,
    /// `ALTER SYSTEM NOARCHIVELOG`.
    NoArchivelog,
    /// Wait for the archive round to reach STOP.
    WaitArchiveStop,
    /// 3.x `ALTER SYSTEM SET backup_backup_dest = ''` before `backup_dest` changes.
    ClearBackupBackupDest,
    /// `ALTER SYSTEM SET LOG_ARCHIVE_DEST`.
    SetArchiveDest,
    /// 3.x `ALTER SYSTEM SET backup_dest`.
    SetBackupDest,
    /// 3.x `ALTER SYSTEM SET backup_backup_dest`.
    SetBackupBackupDest,
    /// 3.x `ALTER SYSTEM MINOR FREEZE` before ARCHIVELOG.
    MinorFreeze,
    /// `ALTER SYSTEM SET LOG_ARCHIVE_DEST_STATE`.
    SetArchiveDestState,
    /// `ALTER SYSTEM ARCHIVELOG`.
    Archivelog,
    /// Wait for the archive round to reach DOING.
    WaitArchiveDoing,
    /// `SET ENCRYPTION ON IDENTIFIED BY … ONLY` (session-scoped).
    SetEncryption,
    /// `ALTER SYSTEM BACKUP …`.
    Backup,
    /// Wait for the new backup job (to exist, or to end when followed).
    WaitBackupJob,
    /// 3.x `ALTER SYSTEM START BACKUP ARCHIVELOG` (round mode on).
    StartRoundMode,
    /// 3.x `ALTER SYSTEM BACKUP BACKUPPIECE ALL NOT BACKED UP n TIMES …`.
    CopyPieces,
    /// 3.x: wait until no backup-backup piece job is active.
    WaitPieceJobs,
}

/// A condition a wait step polls for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "until", rename_all = "snake_case")]
pub enum WaitUntil {
    /// The dest-0 archive round has one of these statuses.
    ArchiveStatus {
        /// Any of these statuses ends the wait.
        statuses: Vec<crate::states::RoundStatus>,
    },
    /// The tenant has no active backup job.
    NoBackupJobs,
    /// 3.x: no backup-backup piece job is active.
    NoPieceJobs,
    /// A job with an id above `after_job_id` exists; with `follow`, it ended
    /// COMPLETED (FAILED/CANCELED fail the step); with `expect_password`, its
    /// ENCRYPTION_MODE is PASSWORD.
    BackupJob {
        /// Jobs with a larger id are new.
        after_job_id: u64,
        /// Follow the job to its end.
        follow: bool,
        /// Require ENCRYPTION_MODE PASSWORD.
        expect_password: bool,
    },
}

impl WaitUntil {
    /// The command-line flag that sets this wait's limit: `--backup-timeout`
    /// for following a backup job or a 3.x piece job to its end, else
    /// `--wait-timeout`.
    pub fn limit_flag(&self) -> &'static str {
        match self {
            WaitUntil::BackupJob { follow: true, .. } | WaitUntil::NoPieceJobs => {
                "--backup-timeout"
            }
            _ => "--wait-timeout",
        }
    }
}

/// A wait: the query to poll and the condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wait {
    /// What to wait for.
    #[serde(flatten)]
    pub until: WaitUntil,
    /// The query to poll (from [`crate::sql`]).
    pub query: String,
    /// Give up after this many seconds.
    pub timeout_seconds: u64,
    /// The tenant `query` polls, by id, when it reads a `CDB_` view from sys
    /// (4.x); `None` for the 3.x cluster and for a tenant logged into itself.
    /// Waits of several tenants with the same condition are polled together
    /// by one query over their ids ([`crate::sql::wait_query_many`]).
    /// Not serialised (`query` already names the tenant): a wait read back
    /// from text has `None` and is polled by its own query.
    #[serde(skip)]
    pub tenant_id: Option<u64>,
}

impl Wait {
    /// Whether `self` and `other` can be polled by one query: both poll a
    /// tenant by id from sys, for the same condition (a backup-job wait may
    /// differ only in the job id it waits beyond).
    pub fn polls_with(&self, other: &Wait) -> bool {
        if self.tenant_id.is_none()
            || other.tenant_id.is_none()
            || matches!(self.until, WaitUntil::NoPieceJobs)
        {
            return false;
        }
        match (&self.until, &other.until) {
            (
                WaitUntil::BackupJob {
                    follow: f1,
                    expect_password: p1,
                    ..
                },
                WaitUntil::BackupJob {
                    follow: f2,
                    expect_password: p2,
                    ..
                },
            ) => f1 == f2 && p1 == p2,
            (a, b) => a == b,
        }
    }
}

/// A step's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Run one statement.
    Sql(SqlText),
    /// Poll until a condition holds.
    Wait(Wait),
}

/// The kinds of risk a step can carry. Serialised in snake case
/// (`archive_gap`, `backup_canceled`, `backup_chain_restart`,
/// `backups_deleted`, `cleanup_running`), as the JSON
/// contract documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum HazardKind {
    /// The archive round stops and a new one starts later: no point-in-time
    /// restore across the gap.
    ArchiveGap,
    /// A running backup job is canceled.
    BackupCanceled,
    /// A new data destination: the backup chain starts again with a full backup.
    BackupChainRestart,
    /// A new recovery window makes backup sets or archive pieces obsolete:
    /// OceanBase's hourly cleanup deletes them.
    BackupsDeleted,
    /// A cleanup job is running while the delete policy changes.
    CleanupRunning,
}

impl HazardKind {
    /// Every kind (the scenarios assert each at least once).
    pub const ALL: [HazardKind; 5] = [
        Self::ArchiveGap,
        Self::BackupCanceled,
        Self::BackupChainRestart,
        Self::BackupsDeleted,
        Self::CleanupRunning,
    ];

    /// The snake-case name shown in plans.
    pub fn name(self) -> &'static str {
        match self {
            Self::ArchiveGap => "archive_gap",
            Self::BackupCanceled => "backup_canceled",
            Self::BackupChainRestart => "backup_chain_restart",
            Self::BackupsDeleted => "backups_deleted",
            Self::CleanupRunning => "cleanup_running",
        }
    }
}

impl fmt::Display for HazardKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A risk a step carries, shown in the plan; apply refuses hazardous plans
/// without `--allow-hazards` when it cannot ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hazard {
    /// What kind of risk.
    pub kind: HazardKind,
    /// What happens, in words.
    pub message: String,
}

/// One executable unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Stable id, e.g. `tenant.t1:archivelog`.
    pub id: StepId,
    /// What it does; the rules match on it.
    pub action: StepAction,
    /// SQL or wait.
    pub kind: StepKind,
    /// The tenant, `None` for a cluster-level step or a statement covering every user tenant.
    pub tenant: Option<String>,
    /// Every scope the step touches: tenant names, or `cluster` on 3.x. The
    /// rules relate steps that share a scope.
    pub covers: Vec<String>,
    /// Addresses of the changes this step serves.
    pub addresses: Vec<Address>,
    /// Risks.
    pub hazards: Vec<Hazard>,
    /// Ids of the steps that must finish first, filled by [`crate::graph::order`].
    pub depends_on: Vec<StepId>,
    /// Session variables the statement needs in force on its connection
    /// (set by the executor before it, once per connection and value).
    #[serde(default)]
    pub session: Vec<SessionSetting>,
    /// Upper bound of the statement in seconds, when it exceeds the run's
    /// `--timeout`; `None` for waits and ordinary statements.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// A session variable a statement needs: `SET <name> = <value>` on its
/// connection before it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSetting {
    /// The variable.
    pub name: SessionVariable,
    /// Its value (µs for `ob_query_timeout`).
    pub value: u64,
}

/// The session variables a plan may set (a closed list: a plan file cannot
/// name any other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionVariable {
    /// OceanBase's per-statement timeout of the session, in microseconds.
    ObQueryTimeout,
}

/// How long OceanBase may take for a statement that sets a backup or archive
/// destination: the server writes and checks a `format` file in the
/// destination before it answers, which on object storage can take minutes,
/// longer than OceanBase's default `ob_query_timeout` of 10 s. v4.2.2_CE_BP1
/// `src/share/backup/ob_backup_config.cpp` (`ObBackupConfigParser::update_inner_config`
/// checks the destination through `ObBackupStore`); v3.1.5_CE_HF2
/// `src/sql/resolver/cmd/ob_alter_system_resolver.cpp` (`check_backup_dest`
/// reads the destination).
pub const DESTINATION_STATEMENT_SECONDS: u64 = 600;

impl StepAction {
    /// Whether OceanBase checks a destination's storage while running the
    /// statement (see [`DESTINATION_STATEMENT_SECONDS`]).
    pub fn touches_storage(self) -> bool {
        matches!(
            self,
            StepAction::SetArchiveDest
                | StepAction::SetDataBackupDest
                | StepAction::SetBackupDest
                | StepAction::SetBackupBackupDest
                | StepAction::ClearBackupBackupDest
        )
    }
}

impl Step {
    /// A step of one scope with no hazards and no dependencies yet. `tenant`
    /// is `Some(scope)` for a tenant step and `None` for the 3.x cluster scope.
    pub fn new(
        id: StepId,
        action: StepAction,
        kind: StepKind,
        tenant: Option<&str>,
        scope: &str,
    ) -> Self {
        Self {
            id,
            action,
            kind,
            tenant: tenant.map(str::to_string),
            covers: vec![scope.to_string()],
            addresses: Vec::new(),
            hazards: Vec::new(),
            depends_on: Vec::new(),
            session: Vec::new(),
            timeout_seconds: None,
        }
    }

    /// Fills what the executor needs from the step's action: a statement that
    /// touches a destination's storage gets `ob_query_timeout` and a statement
    /// limit of [`DESTINATION_STATEMENT_SECONDS`].
    pub fn with_limits(mut self) -> Self {
        if matches!(self.kind, StepKind::Sql(_)) && self.action.touches_storage() {
            self.session = vec![SessionSetting {
                name: SessionVariable::ObQueryTimeout,
                value: DESTINATION_STATEMENT_SECONDS * 1_000_000,
            }];
            self.timeout_seconds = Some(DESTINATION_STATEMENT_SECONDS);
        }
        self
    }

    /// The same step serving `addresses`.
    pub fn serving(mut self, addresses: Vec<Address>) -> Self {
        self.addresses = addresses;
        self
    }

    /// The same step carrying `hazards`.
    pub fn with_hazards(mut self, hazards: Vec<Hazard>) -> Self {
        self.hazards = hazards;
        self
    }
}

/// An ordering edge and the rule that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// Step that runs first.
    pub from: StepId,
    /// Step that runs after.
    pub to: StepId,
    /// The rule that requires it.
    pub rule: Rule,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hazard_kind_is_in_all_once() {
        use strum::IntoEnumIterator;
        let variants: Vec<HazardKind> = HazardKind::iter().collect();
        let mut listed = HazardKind::ALL.to_vec();
        listed.sort();
        assert_eq!(
            listed, variants,
            "HazardKind::ALL must list every kind once"
        );
    }

    #[test]
    fn an_id_names_its_scope() {
        assert_eq!(
            StepId::tenant("app:1", "archivelog").scope(),
            StepScope::Tenant("app:1")
        );
        assert_eq!(StepId::cluster("archivelog").scope(), StepScope::Cluster);
        assert_eq!(
            StepId::all_user("set_ha_low_thread_score").scope(),
            StepScope::AllUser
        );
    }
}

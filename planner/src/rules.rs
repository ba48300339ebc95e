//! The ordering rules. Every edge of a plan's step graph comes from one of the
//! functions below, and from nowhere else: each is one named constraint
//! ("steps of kind A before steps of kind B in the same scope", or the
//! session-wide encryption sequence), documented with the OceanBase behaviour
//! that makes it necessary and the tag and file where that behaviour lives.
//!
//! Tags: `v4.2.2_CE_BP1` is the 4.x source read for the tenant-level rules,
//! `v3.1.5_CE_HF2` the 3.x source for the cluster-level ones (both in
//! `oceanbase/oceanbase`). Rules relate steps through their scopes
//! ([`crate::step::Step::covers`]): a tenant on 4.x, `cluster` on 3.x.
//!
//! Cost: [`edges`] indexes the steps by scope once; a same-scope rule then
//! looks only at the few steps of each scope, so the whole rule pass is linear
//! in the number of steps.

use crate::change::Parameter;
use crate::step::{Edge, Step, StepAction};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One ordering rule. Serialised as its snake-case name, which labels edges in
/// every output (`archive_dest_before_archivelog`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum Rule {
    /// See [`noarchivelog_before_wait_stop`].
    NoarchivelogBeforeWaitStop,
    /// See [`archive_stopped_before_archive_dest`].
    ArchiveStoppedBeforeArchiveDest,
    /// See [`archive_stopped_before_archivelog`].
    ArchiveStoppedBeforeArchivelog,
    /// See [`archive_dest_before_archivelog`].
    ArchiveDestBeforeArchivelog,
    /// See [`archive_dest_before_dest_state`].
    ArchiveDestBeforeDestState,
    /// See [`dest_state_before_archivelog`].
    DestStateBeforeArchivelog,
    /// See [`archivelog_before_wait_doing`].
    ArchivelogBeforeWaitDoing,
    /// See [`archive_dest_before_wait_doing`].
    ArchiveDestBeforeWaitDoing,
    /// See [`cancel_backup_before_wait_jobs`].
    CancelBackupBeforeWaitJobs,
    /// See [`backup_jobs_gone_before_data_dest`].
    BackupJobsGoneBeforeDataDest,
    /// See [`archive_doing_before_backup`].
    ArchiveDoingBeforeBackup,
    /// See [`data_dest_before_backup`].
    DataDestBeforeBackup,
    /// See [`encryption_before_backup`].
    EncryptionBeforeBackup,
    /// See [`session_encryption_sequence`].
    SessionEncryptionSequence,
    /// See [`backup_before_wait_job`].
    BackupBeforeWaitJob,
    /// See [`archive_stopped_before_backup_dest`].
    ArchiveStoppedBeforeBackupDest,
    /// See [`round_mode_stopped_before_backup_backup_dest`].
    RoundModeStoppedBeforeBackupBackupDest,
    /// See [`backup_backup_dest_cleared_before_backup_dest`].
    BackupBackupDestClearedBeforeBackupDest,
    /// See [`backup_dest_before_backup_backup_dest`].
    BackupDestBeforeBackupBackupDest,
    /// See [`backup_dest_before_archivelog`].
    BackupDestBeforeArchivelog,
    /// See [`archive_stopped_before_minor_freeze`].
    ArchiveStoppedBeforeMinorFreeze,
    /// See [`minor_freeze_before_archivelog`].
    MinorFreezeBeforeArchivelog,
    /// See [`backup_backup_dest_before_backup_backup`].
    BackupBackupDestBeforeBackupBackup,
    /// See [`archive_doing_before_round_mode`].
    ArchiveDoingBeforeRoundMode,
    /// See [`piece_copy_before_wait`].
    PieceCopyBeforeWait,
    /// See [`archive_dest_before_lag_target`].
    ArchiveDestBeforeLagTarget,
    /// See [`drop_delete_policy_before_add`].
    DropDeletePolicyBeforeAdd,
}

/// The steps of a plan indexed by scope, for the rule functions: for each
/// scope (in name order), the indices and actions of the steps covering it.
pub struct StepIndex<'a> {
    scopes: Vec<(&'a str, Vec<(usize, StepAction)>)>,
}

impl<'a> StepIndex<'a> {
    /// Indexes `steps` by every scope each one covers. O(total covers · log scopes).
    pub fn new(steps: &'a [Step]) -> Self {
        let mut slot: HashMap<&str, usize> = HashMap::new();
        let mut scopes: Vec<(&str, Vec<(usize, StepAction)>)> = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            for scope in &step.covers {
                let n = *slot.entry(scope.as_str()).or_insert_with(|| {
                    scopes.push((scope.as_str(), Vec::new()));
                    scopes.len() - 1
                });
                scopes[n].1.push((i, step.action));
            }
        }
        scopes.sort_by(|a, b| a.0.cmp(b.0));
        Self { scopes }
    }

    /// Every (first, then) pair of distinct steps sharing a scope where
    /// `first` matches `before` and `then` matches `after`.
    fn same_scope(
        &self,
        before: impl Fn(StepAction) -> bool,
        after: impl Fn(StepAction) -> bool,
    ) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for (_, members) in &self.scopes {
            for &(i, _) in members.iter().filter(|(_, a)| before(*a)) {
                for &(j, _) in members.iter().filter(|(_, a)| after(*a)) {
                    if i != j {
                        pairs.push((i, j));
                    }
                }
            }
        }
        pairs
    }

    /// The indices of the steps of `action` in each scope, scopes in name order.
    fn per_scope(&self, action: StepAction) -> impl Iterator<Item = Vec<usize>> + '_ {
        self.scopes.iter().map(move |(_, members)| {
            members
                .iter()
                .filter(|(_, a)| *a == action)
                .map(|&(i, _)| i)
                .collect()
        })
    }
}

impl Rule {
    /// Every rule, in the order they are applied. The order decides only which
    /// rule labels an edge two rules would both add (the first one).
    pub const ALL: [Rule; 27] = [
        Rule::NoarchivelogBeforeWaitStop,
        Rule::ArchiveStoppedBeforeArchiveDest,
        Rule::ArchiveStoppedBeforeArchivelog,
        Rule::ArchiveDestBeforeArchivelog,
        Rule::ArchiveDestBeforeDestState,
        Rule::DestStateBeforeArchivelog,
        Rule::ArchivelogBeforeWaitDoing,
        Rule::ArchiveDestBeforeWaitDoing,
        Rule::CancelBackupBeforeWaitJobs,
        Rule::BackupJobsGoneBeforeDataDest,
        Rule::ArchiveDoingBeforeBackup,
        Rule::DataDestBeforeBackup,
        Rule::EncryptionBeforeBackup,
        Rule::SessionEncryptionSequence,
        Rule::BackupBeforeWaitJob,
        Rule::ArchiveStoppedBeforeBackupDest,
        Rule::RoundModeStoppedBeforeBackupBackupDest,
        Rule::BackupBackupDestClearedBeforeBackupDest,
        Rule::BackupDestBeforeBackupBackupDest,
        Rule::BackupDestBeforeArchivelog,
        Rule::ArchiveStoppedBeforeMinorFreeze,
        Rule::MinorFreezeBeforeArchivelog,
        Rule::BackupBackupDestBeforeBackupBackup,
        Rule::ArchiveDoingBeforeRoundMode,
        Rule::PieceCopyBeforeWait,
        Rule::ArchiveDestBeforeLagTarget,
        Rule::DropDeletePolicyBeforeAdd,
    ];

    /// The rule's name as it labels edges (`archive_dest_before_archivelog`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::NoarchivelogBeforeWaitStop => "noarchivelog_before_wait_stop",
            Rule::ArchiveStoppedBeforeArchiveDest => "archive_stopped_before_archive_dest",
            Rule::ArchiveStoppedBeforeArchivelog => "archive_stopped_before_archivelog",
            Rule::ArchiveDestBeforeArchivelog => "archive_dest_before_archivelog",
            Rule::ArchiveDestBeforeDestState => "archive_dest_before_dest_state",
            Rule::DestStateBeforeArchivelog => "dest_state_before_archivelog",
            Rule::ArchivelogBeforeWaitDoing => "archivelog_before_wait_doing",
            Rule::ArchiveDestBeforeWaitDoing => "archive_dest_before_wait_doing",
            Rule::CancelBackupBeforeWaitJobs => "cancel_backup_before_wait_jobs",
            Rule::BackupJobsGoneBeforeDataDest => "backup_jobs_gone_before_data_dest",
            Rule::ArchiveDoingBeforeBackup => "archive_doing_before_backup",
            Rule::DataDestBeforeBackup => "data_dest_before_backup",
            Rule::EncryptionBeforeBackup => "encryption_before_backup",
            Rule::SessionEncryptionSequence => "session_encryption_sequence",
            Rule::BackupBeforeWaitJob => "backup_before_wait_job",
            Rule::ArchiveStoppedBeforeBackupDest => "archive_stopped_before_backup_dest",
            Rule::RoundModeStoppedBeforeBackupBackupDest => {
                "round_mode_stopped_before_backup_backup_dest"
            }
            Rule::BackupBackupDestClearedBeforeBackupDest => {
                "backup_backup_dest_cleared_before_backup_dest"
            }
            Rule::BackupDestBeforeBackupBackupDest => "backup_dest_before_backup_backup_dest",
            Rule::BackupDestBeforeArchivelog => "backup_dest_before_archivelog",
            Rule::ArchiveStoppedBeforeMinorFreeze => "archive_stopped_before_minor_freeze",
            Rule::MinorFreezeBeforeArchivelog => "minor_freeze_before_archivelog",
            Rule::BackupBackupDestBeforeBackupBackup => "backup_backup_dest_before_backup_backup",
            Rule::ArchiveDoingBeforeRoundMode => "archive_doing_before_round_mode",
            Rule::PieceCopyBeforeWait => "piece_copy_before_wait",
            Rule::ArchiveDestBeforeLagTarget => "archive_dest_before_lag_target",
            Rule::DropDeletePolicyBeforeAdd => "drop_delete_policy_before_add",
        }
    }

    /// The pairs (first, then) of step indices this rule orders.
    pub fn pairs(self, index: &StepIndex<'_>) -> Vec<(usize, usize)> {
        let rule: fn(&StepIndex<'_>) -> Vec<(usize, usize)> = match self {
            Rule::NoarchivelogBeforeWaitStop => noarchivelog_before_wait_stop,
            Rule::ArchiveStoppedBeforeArchiveDest => archive_stopped_before_archive_dest,
            Rule::ArchiveStoppedBeforeArchivelog => archive_stopped_before_archivelog,
            Rule::ArchiveDestBeforeArchivelog => archive_dest_before_archivelog,
            Rule::ArchiveDestBeforeDestState => archive_dest_before_dest_state,
            Rule::DestStateBeforeArchivelog => dest_state_before_archivelog,
            Rule::ArchivelogBeforeWaitDoing => archivelog_before_wait_doing,
            Rule::ArchiveDestBeforeWaitDoing => archive_dest_before_wait_doing,
            Rule::CancelBackupBeforeWaitJobs => cancel_backup_before_wait_jobs,
            Rule::BackupJobsGoneBeforeDataDest => backup_jobs_gone_before_data_dest,
            Rule::ArchiveDoingBeforeBackup => archive_doing_before_backup,
            Rule::DataDestBeforeBackup => data_dest_before_backup,
            Rule::EncryptionBeforeBackup => encryption_before_backup,
            Rule::SessionEncryptionSequence => session_encryption_sequence,
            Rule::BackupBeforeWaitJob => backup_before_wait_job,
            Rule::ArchiveStoppedBeforeBackupDest => archive_stopped_before_backup_dest,
            Rule::RoundModeStoppedBeforeBackupBackupDest => {
                round_mode_stopped_before_backup_backup_dest
            }
            Rule::BackupBackupDestClearedBeforeBackupDest => {
                backup_backup_dest_cleared_before_backup_dest
            }
            Rule::BackupDestBeforeBackupBackupDest => backup_dest_before_backup_backup_dest,
            Rule::BackupDestBeforeArchivelog => backup_dest_before_archivelog,
            Rule::ArchiveStoppedBeforeMinorFreeze => archive_stopped_before_minor_freeze,
            Rule::MinorFreezeBeforeArchivelog => minor_freeze_before_archivelog,
            Rule::BackupBackupDestBeforeBackupBackup => backup_backup_dest_before_backup_backup,
            Rule::ArchiveDoingBeforeRoundMode => archive_doing_before_round_mode,
            Rule::PieceCopyBeforeWait => piece_copy_before_wait,
            Rule::ArchiveDestBeforeLagTarget => archive_dest_before_lag_target,
            Rule::DropDeletePolicyBeforeAdd => drop_delete_policy_before_add,
        };
        rule(index)
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every edge the rules require between `steps`, each labelled with its rule;
/// a (from, to) pair two rules require is labelled by the first in
/// [`Rule::ALL`]. Linear in the number of steps.
pub fn edges(steps: &[Step]) -> Vec<Edge> {
    pairs(steps)
        .into_iter()
        .map(|p| Edge {
            from: steps[p.from].id.clone(),
            to: steps[p.to].id.clone(),
            rule: p.rule,
        })
        .collect()
}

/// An edge between steps by their index in the slice the rules were given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEdge {
    /// Index of the step that runs first.
    pub from: usize,
    /// Index of the step that runs after.
    pub to: usize,
    /// The rule that requires it.
    pub rule: Rule,
}

/// The edges of [`edges`] by step index, each (from, to) pair once, labelled
/// by the first rule of [`Rule::ALL`] that requires it. O(E log E).
pub fn pairs(steps: &[Step]) -> Vec<IndexEdge> {
    let index = StepIndex::new(steps);
    let mut all: Vec<(usize, usize, usize)> = Vec::new();
    for (position, rule) in Rule::ALL.iter().enumerate() {
        all.extend(
            rule.pairs(&index)
                .into_iter()
                .map(|(a, b)| (a, b, position)),
        );
    }
    all.sort_unstable();
    all.dedup_by_key(|&mut (a, b, _)| (a, b));
    all.into_iter()
        .map(|(from, to, position)| IndexEdge {
            from,
            to,
            rule: Rule::ALL[position],
        })
        .collect()
}

fn is(action: StepAction) -> impl Fn(StepAction) -> bool {
    move |a| a == action
}

/// `NOARCHIVELOG` only requests the stop: the round moves STOPPING → STOP on
/// a later background pass, so the wait for STOP follows it. v4.2.2_CE_BP1
/// `src/rootserver/backup/ob_tenant_archive_scheduler.cpp` (`close_archive_mode`
/// sets only the mode), `src/share/backup/ob_tenant_archive_round.cpp`
/// (`disable_archive` writes STOPPING), `ob_archive_checkpoint.cpp` (STOP);
/// v3.1.5_CE_HF2 `src/rootserver/ob_log_archive_scheduler.cpp`
/// (`handle_stop_log_archive_`, `do_schedule_`).
pub fn noarchivelog_before_wait_stop(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::NoArchivelog),
        is(StepAction::WaitArchiveStop),
    )
}

/// `LOG_ARCHIVE_DEST` cannot change unless the round is absent or STOP
/// (STOPPING, SUSPEND and INTERRUPTED count as running): 1235 `change archive
/// dest when archive is running`. v4.2.2_CE_BP1
/// `src/share/backup/ob_backup_config.cpp`
/// (`ObLogArchiveDestConfigParser::check_before_update_inner_config`) and
/// `src/share/backup/ob_tenant_archive_mgr.cpp` (`is_archive_running`).
pub fn archive_stopped_before_archive_dest(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::WaitArchiveStop),
        is(StepAction::SetArchiveDest),
    )
}

/// A new round starts only from STOP. On 3.x, ARCHIVELOG before STOP is 1235
/// `start log archive backup when not STOP` (v3.1.5_CE_HF2
/// `src/rootserver/ob_log_archive_scheduler.cpp`, `handle_start_log_archive_`).
/// On 4.1+ ARCHIVELOG only flips the mode and the round restarts, on the old
/// destination, as soon as STOP is reached, racing the destination change
/// (v4.2.2_CE_BP1 `src/rootserver/backup/ob_archive_scheduler_service.cpp`
/// `process_`, `src/share/backup/ob_tenant_archive_round.cpp` `can_enable_archive`).
pub fn archive_stopped_before_archivelog(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::WaitArchiveStop), is(StepAction::Archivelog))
}

/// A round starts only once a destination exists; 4.1+ accepts ARCHIVELOG
/// without one and starts nothing, and the OceanBase documents prescribe the
/// destination first (doc "Enable ARCHIVELOG mode", 4.2). On 3.x the
/// destination is `backup_dest` ([`backup_dest_before_archivelog`]).
/// v4.2.2_CE_BP1 `src/rootserver/backup/ob_archive_scheduler_service.cpp`
/// (`process_` skips a tenant without a destination).
pub fn archive_dest_before_archivelog(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::SetArchiveDest), is(StepAction::Archivelog))
}

/// Writing `LOG_ARCHIVE_DEST` writes its state row as ENABLE, so an explicit
/// state written before it would be lost. v4.2.2_CE_BP1
/// `src/share/backup/ob_backup_struct.cpp` (`ObLogArchiveDestAtrr`, whose
/// state defaults to ENABLE, and `gen_config_items`, which always writes it).
pub fn archive_dest_before_dest_state(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::SetArchiveDest),
        is(StepAction::SetArchiveDestState),
    )
}

/// The scheduler starts a round only for a destination in state ENABLE
/// (ARCHIVELOG itself does not check the state). v4.2.2_CE_BP1
/// `src/rootserver/backup/ob_archive_scheduler_service.cpp` (`process_`) and
/// `src/share/backup/ob_tenant_archive_round.cpp` (`enable_archive`).
pub fn dest_state_before_archivelog(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::SetArchiveDestState),
        is(StepAction::Archivelog),
    )
}

/// ARCHIVELOG returns before the round is DOING: it moves PREPARE →
/// BEGINNING → DOING in the background. v4.2.2_CE_BP1
/// `src/rootserver/backup/ob_archive_scheduler_service.cpp`
/// (`open_archive_mode`, `start_archive_`) and `ob_archive_checkpoint.cpp`
/// (DOING); v3.1.5_CE_HF2 `src/rootserver/ob_log_archive_scheduler.cpp`.
pub fn archivelog_before_wait_doing(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::Archivelog), is(StepAction::WaitArchiveDoing))
}

/// With the mode already ARCHIVELOG, the first background pass that finds an
/// ENABLE destination starts the round, so waiting for DOING before the
/// destination (or its state) is written cannot succeed. v4.2.2_CE_BP1
/// `src/rootserver/backup/ob_archive_scheduler_service.cpp` (`process_`).
pub fn archive_dest_before_wait_doing(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        |a| {
            matches!(
                a,
                StepAction::SetArchiveDest | StepAction::SetArchiveDestState
            )
        },
        is(StepAction::WaitArchiveDoing),
    )
}

/// CANCEL BACKUP marks the jobs CANCELING; they reach CANCELED and leave the
/// job table later. v4.2.2_CE_BP1
/// `src/share/backup/ob_backup_data_table_operator.cpp` (`cancel_jobs`) and
/// `src/rootserver/backup/ob_backup_data_scheduler.cpp`
/// (`ObUserTenantBackupJobMgr::process` moves ended jobs to history).
pub fn cancel_backup_before_wait_jobs(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::CancelBackup),
        is(StepAction::WaitBackupJobsGone),
    )
}

/// `DATA_BACKUP_DEST` cannot change while the tenant has a backup job row in
/// any status, CANCELING included: 9036. v4.2.2_CE_BP1
/// `src/share/backup/ob_backup_config.cpp`
/// (`ObDataBackupDestConfigParser::check_before_update_inner_config`,
/// `check_doing_backup_`).
pub fn backup_jobs_gone_before_data_dest(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::WaitBackupJobsGone),
        is(StepAction::SetDataBackupDest),
    )
}

/// A backup starts only while the archive round is DOING: 9040 `log archive
/// status is not doing`. v4.2.2_CE_BP1
/// `src/rootserver/backup/ob_backup_data_scheduler.cpp`
/// (`check_log_archive_status_`); 3.x: v3.1.5_CE_HF2
/// `src/share/backup/ob_backup_scheduler.cpp` (`check_log_archive_status`).
pub fn archive_doing_before_backup(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::WaitArchiveDoing), is(StepAction::Backup))
}

/// A backup needs `data_backup_dest`: 9040 `backup dest is not set` (from
/// sys; a tenant's own BACKUP gets 9040 with the default message).
/// v4.2.2_CE_BP1 `src/rootserver/backup/ob_backup_data_scheduler.cpp`
/// (`start_sys_backup_data_`, `get_backup_path`).
pub fn data_dest_before_backup(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::SetDataBackupDest), is(StepAction::Backup))
}

/// `SET ENCRYPTION … ONLY` stores session variables that the next BACKUP of
/// the same session reads; without them the backup is not encrypted.
/// v4.2.2_CE_BP1 and v3.1.5_CE_HF2
/// `src/sql/engine/cmd/ob_alter_system_executor.cpp`
/// (`ObBackupSetEncryptionExecutor`, `ObBackupDatabaseExecutor`).
pub fn encryption_before_backup(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::SetEncryption), is(StepAction::Backup))
}

/// The encryption of a session is not cleared after a BACKUP, so within the
/// session: every unencrypted BACKUP runs before the first `SET ENCRYPTION`,
/// and each encrypted scope's `SET ENCRYPTION`/BACKUP pair runs after the
/// previous pair's BACKUP (pairs in scope-name order). v4.2.2_CE_BP1 and
/// v3.1.5_CE_HF2 `src/sql/engine/cmd/ob_alter_system_executor.cpp` (the
/// variables `__ob_backup_encryption_mode__` and
/// `__ob_backup_encryption_passwd__` are set and never reset).
pub fn session_encryption_sequence(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    let mut plain = Vec::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let sets = index.per_scope(StepAction::SetEncryption);
    for (backups, sets) in index.per_scope(StepAction::Backup).zip(sets) {
        match sets.first() {
            Some(&set) => pairs.extend(backups.iter().map(|&b| (set, b))),
            None => plain.extend(backups),
        }
    }
    let mut out = Vec::new();
    if let Some(&(first_set, _)) = pairs.first() {
        out.extend(plain.iter().map(|&b| (b, first_set)));
    }
    for window in pairs.windows(2) {
        out.push((window[0].1, window[1].0));
    }
    out
}

/// The BACKUP statement only inserts an INIT job; it runs, and ends, in the
/// background. v4.2.2_CE_BP1 `src/rootserver/backup/ob_backup_data_scheduler.cpp`
/// (`ObUserTenantBackupJobMgr::process`); v3.1.5_CE_HF2
/// `src/share/backup/ob_backup_scheduler.cpp` (`start_schedule_backup`).
pub fn backup_before_wait_job(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::Backup), is(StepAction::WaitBackupJob))
}

/// 3.x: `backup_dest` changes only while archive and data backup are STOP
/// (9036), and a piece-mode switch in `backup_dest_option` likewise (1235).
/// v3.1.5_CE_HF2 `src/sql/resolver/cmd/ob_alter_system_resolver.cpp`
/// (`check_backup_dest`, `check_backup_dest_opt`) and
/// `src/share/backup/ob_backup_info_mgr.cpp` (`check_if_doing_backup`).
pub fn archive_stopped_before_backup_dest(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::WaitArchiveStop), |a| {
        matches!(
            a,
            StepAction::SetBackupDest | StepAction::SetParameter(Parameter::BackupDestOption)
        )
    })
}

/// 3.x: `backup_backup_dest` cannot be set or cleared while round mode is on
/// (9036), and a piece copy is refused in round mode (1235 `backup backuppiece
/// in auto mode`). STOP BACKUP ARCHIVELOG clears the flag within the statement,
/// so no wait follows it. v3.1.5_CE_HF2
/// `src/sql/resolver/cmd/ob_alter_system_resolver.cpp`
/// (`check_backup_backup_dest`), `src/share/backup/ob_backup_info_mgr.cpp`
/// (`check_if_doing_backup_backup`), `src/rootserver/ob_root_service.cpp`
/// (`handle_backup_backuppiece`).
pub fn round_mode_stopped_before_backup_backup_dest(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::StopRoundMode), |a| {
        matches!(
            a,
            StepAction::ClearBackupBackupDest
                | StepAction::SetBackupBackupDest
                | StepAction::CopyPieces
        )
    })
}

/// 3.x: setting `backup_dest` while `backup_backup_dest` is set is 1235 `set
/// backup dest with backup backup dest not empty`. v3.1.5_CE_HF2
/// `src/sql/resolver/cmd/ob_alter_system_resolver.cpp` (`check_backup_dest`).
pub fn backup_backup_dest_cleared_before_backup_dest(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::ClearBackupBackupDest),
        is(StepAction::SetBackupDest),
    )
}

/// 3.x: `backup_backup_dest` is checked against the `backup_dest` already set:
/// 1235 when that is empty, 9026 when they are the same. v3.1.5_CE_HF2
/// `src/sql/resolver/cmd/ob_alter_system_resolver.cpp`
/// (`check_backup_backup_dest`).
pub fn backup_dest_before_backup_backup_dest(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        |a| {
            matches!(
                a,
                StepAction::SetBackupDest | StepAction::ClearBackupBackupDest
            )
        },
        is(StepAction::SetBackupBackupDest),
    )
}

/// 3.x: ARCHIVELOG needs `backup_dest` (9026 after three tries a second
/// apart), and the round reads `backup_dest_option` when it starts; the minor
/// freeze that precedes ARCHIVELOG is held to the same order. v3.1.5_CE_HF2
/// `src/rootserver/ob_log_archive_scheduler.cpp` (`wait_backup_dest_`,
/// `init_new_sys_info_`).
pub fn backup_dest_before_archivelog(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        |a| {
            matches!(
                a,
                StepAction::SetBackupDest | StepAction::SetParameter(Parameter::BackupDestOption)
            )
        },
        |a| matches!(a, StepAction::Archivelog | StepAction::MinorFreeze),
    )
}

/// 3.x: the minor freeze shortens BEGINNING of the round that starts next, so
/// it comes after the old round has stopped. No error enforces it: it is the
/// documented procedure (OceanBase 3.x doc "Back up log data",
/// `200.initiate-log-backup.md`).
pub fn archive_stopped_before_minor_freeze(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::WaitArchiveStop), is(StepAction::MinorFreeze))
}

/// 3.x: archiving starts from the last minor freeze; freezing first shortens
/// BEGINNING. A performance order, not an error: OceanBase 3.x doc "Back up
/// log data" (`200.initiate-log-backup.md`).
pub fn minor_freeze_before_archivelog(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::MinorFreeze), is(StepAction::Archivelog))
}

/// 3.x: START BACKUP ARCHIVELOG needs the configured backup-backup
/// destination (1235), and BACKUP BACKUPPIECE without one fails with 9026.
/// v3.1.5_CE_HF2 `src/rootserver/ob_root_service.cpp`
/// (`handle_backup_archive_log`, `handle_backup_backuppiece`).
pub fn backup_backup_dest_before_backup_backup(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::SetBackupBackupDest), |a| {
        matches!(a, StepAction::StartRoundMode | StepAction::CopyPieces)
    })
}

/// 3.x: round mode copies archived rounds; started before the archive is
/// DOING it idles until then (no error), so the plan starts it afterwards.
/// v3.1.5_CE_HF2 `src/rootserver/backup/ob_backup_archive_log_scheduler.cpp`
/// (`do_backup_archivelog`, `check_archivelog_started`).
pub fn archive_doing_before_round_mode(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::WaitArchiveDoing),
        is(StepAction::StartRoundMode),
    )
}

/// 3.x: BACKUP BACKUPPIECE only queues a job (SCHEDULE → DOING → FINISH in
/// the background); the wait follows it. v3.1.5_CE_HF2
/// `src/rootserver/ob_root_service.cpp` (`handle_backup_backuppiece`) and
/// `src/rootserver/backup/ob_backup_archive_log_scheduler.cpp`
/// (`backup_piece_do_with_status`).
pub fn piece_copy_before_wait(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(is(StepAction::CopyPieces), is(StepAction::WaitPieceJobs))
}

/// From 4.2.3 and 4.3.0 on, `archive_lag_target` is refused for a tenant
/// without a `log_archive_dest`: 4179 `log_archive_dest has not been set`.
/// v4.2.3_CE_BETA and v4.3.1_CE_BETA `src/share/config/ob_config_helper.cpp`
/// (`ObConfigArchiveLagTargetChecker::check`); absent up to v4.2.2.
pub fn archive_dest_before_lag_target(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::SetArchiveDest),
        is(StepAction::SetParameter(Parameter::ArchiveLagTarget)),
    )
}

/// A tenant has at most one delete policy, named `default`, and adding one
/// that exists is refused (a plain INSERT into `__all_backup_delete_policy`,
/// whose primary key is tenant and name: v4.2.2_CE_BP1
/// `src/share/backup/ob_backup_clean_operator.cpp`,
/// `ObDeletePolicyOperator::insert_delete_policy`). A new window is therefore
/// the drop of the old policy, then the add.
pub fn drop_delete_policy_before_add(index: &StepIndex<'_>) -> Vec<(usize, usize)> {
    index.same_scope(
        is(StepAction::DropDeletePolicy),
        is(StepAction::AddDeletePolicy),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_in_all_once() {
        use strum::IntoEnumIterator;
        let mut listed = Rule::ALL.to_vec();
        listed.sort();
        assert_eq!(
            listed,
            Rule::iter().collect::<Vec<_>>(),
            "Rule::ALL must list every rule once"
        );
    }

    #[test]
    fn every_rule_is_listed_once_and_named_as_serialised() {
        let mut names = std::collections::BTreeSet::new();
        for rule in Rule::ALL {
            assert!(names.insert(rule.name()), "{} listed twice", rule.name());
            let json = serde_json::to_value(rule).expect("serialises");
            assert_eq!(json, serde_json::Value::String(rule.name().into()));
            let back: Rule = serde_json::from_value(json).expect("deserialises");
            assert_eq!(back, rule);
        }
    }
}

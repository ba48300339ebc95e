//! The ordering rules: a flat list, each a named constraint "steps of kind A
//! before steps of kind B on the same tenant", with the OceanBase reason and its
//! source in `shared/reference/oceanbase-backup.md`. The planner adds one edge
//! per matching pair, labelled with the rule's name.

use crate::change::Parameter;
use crate::plan::StepAction;

/// One ordering rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable name, shown on edges (`archive_dest_before_archivelog`).
    pub name: &'static str,
    /// Why OceanBase needs it, with the reference section.
    pub reason: &'static str,
    /// Matches the step that must run first.
    pub before: fn(&StepAction) -> bool,
    /// Matches the step that must run after.
    pub after: fn(&StepAction) -> bool,
}

/// Every rule, in the order they are applied (the order does not change the result).
pub const RULES: &[Rule] = &[
    Rule {
        name: "noarchivelog_before_wait_stop",
        reason: "NOARCHIVELOG only requests the stop; the round moves STOPPING → STOP in the background (§2.5 A).",
        before: |a| matches!(a, StepAction::NoArchivelog),
        after: |a| matches!(a, StepAction::WaitArchiveStop),
    },
    Rule {
        name: "archive_stopped_before_archive_dest",
        reason: "LOG_ARCHIVE_DEST cannot change while the round is not STOP: 1235 `change archive dest when archive is running` (§2.1.3, §2.5 A).",
        before: |a| matches!(a, StepAction::WaitArchiveStop),
        after: |a| matches!(a, StepAction::SetArchiveDest),
    },
    Rule {
        name: "archive_stopped_before_archivelog",
        reason: "A new round starts only from STOP; restarting before STOP is reached races the stop (§2.5 A).",
        before: |a| matches!(a, StepAction::WaitArchiveStop),
        after: |a| matches!(a, StepAction::Archivelog),
    },
    Rule {
        name: "archive_dest_before_archivelog",
        reason: "Docs prescribe setting the destination before ARCHIVELOG; a round starts only once a destination exists (§2.5 A, §3).",
        before: |a| matches!(a, StepAction::SetArchiveDest),
        after: |a| matches!(a, StepAction::Archivelog),
    },
    Rule {
        name: "archive_dest_before_dest_state",
        reason: "Writing LOG_ARCHIVE_DEST writes state ENABLE; an explicit state must come after it (§2.1.3).",
        before: |a| matches!(a, StepAction::SetArchiveDest),
        after: |a| matches!(a, StepAction::SetArchiveDestState),
    },
    Rule {
        name: "dest_state_before_archivelog",
        reason: "The scheduler starts a round only for a destination in state ENABLE (§2.5 A, §3).",
        before: |a| matches!(a, StepAction::SetArchiveDestState),
        after: |a| matches!(a, StepAction::Archivelog),
    },
    Rule {
        name: "archivelog_before_wait_doing",
        reason: "ARCHIVELOG flips the mode; the round moves PREPARE → BEGINNING → DOING in the background (§2.5 A).",
        before: |a| matches!(a, StepAction::Archivelog),
        after: |a| matches!(a, StepAction::WaitArchiveDoing),
    },
    Rule {
        name: "archive_dest_before_wait_doing",
        reason: "With the mode already ARCHIVELOG, setting the destination is what starts the round (§2.5 A).",
        before: |a| {
            matches!(
                a,
                StepAction::SetArchiveDest | StepAction::SetArchiveDestState
            )
        },
        after: |a| matches!(a, StepAction::WaitArchiveDoing),
    },
    Rule {
        name: "cancel_backup_before_wait_jobs",
        reason: "CANCEL BACKUP marks jobs CANCELING; they reach CANCELED and leave CDB_OB_BACKUP_JOBS later (§2.5 B8).",
        before: |a| matches!(a, StepAction::CancelBackup),
        after: |a| matches!(a, StepAction::WaitBackupJobsGone),
    },
    Rule {
        name: "backup_jobs_gone_before_data_dest",
        reason: "DATA_BACKUP_DEST cannot change while the tenant has any backup job: 9036 (§2.1.3, §2.5 B10).",
        before: |a| matches!(a, StepAction::WaitBackupJobsGone),
        after: |a| matches!(a, StepAction::SetDataBackupDest),
    },
    Rule {
        name: "archive_doing_before_backup",
        reason: "A backup starts only while the tenant's archive round is DOING: 9040 `log archive status is not doing` (§2.5 B2).",
        before: |a| matches!(a, StepAction::WaitArchiveDoing),
        after: |a| matches!(a, StepAction::Backup),
    },
    Rule {
        name: "data_dest_before_backup",
        reason: "A backup needs data_backup_dest: 9040 `backup dest is not set` (§2.5 B3).",
        before: |a| matches!(a, StepAction::SetDataBackupDest),
        after: |a| matches!(a, StepAction::Backup),
    },
    Rule {
        name: "encryption_before_backup",
        reason: "SET ENCRYPTION … ONLY is read by the next BACKUP of the same session (§2.3, §2.5 E).",
        before: |a| matches!(a, StepAction::SetEncryption),
        after: |a| matches!(a, StepAction::Backup),
    },
    Rule {
        name: "backup_before_wait_job",
        reason: "The job row appears, and later ends, after the BACKUP statement (§2.5 B8).",
        before: |a| matches!(a, StepAction::Backup),
        after: |a| matches!(a, StepAction::WaitBackupJob),
    },
    Rule {
        name: "archive_stopped_before_backup_dest",
        reason: "3.x: backup_dest changes only while archive and backup are STOP: 9036 (§1.5 D1).",
        before: |a| matches!(a, StepAction::WaitArchiveStop),
        after: |a| {
            matches!(
                a,
                StepAction::SetBackupDest | StepAction::SetParameter(Parameter::BackupDestOption)
            )
        },
    },
    Rule {
        name: "round_mode_stopped_before_backup_backup_dest",
        reason: "3.x: backup_backup_dest cannot change while round mode runs: 9036 (§1.1, §1.3).",
        before: |a| matches!(a, StepAction::StopRoundMode),
        after: |a| {
            matches!(
                a,
                StepAction::ClearBackupBackupDest
                    | StepAction::SetBackupBackupDest
                    | StepAction::CopyPieces
            )
        },
    },
    Rule {
        name: "backup_backup_dest_cleared_before_backup_dest",
        reason: "3.x: setting backup_dest with backup_backup_dest set is 1235 (§1.5 D1).",
        before: |a| matches!(a, StepAction::ClearBackupBackupDest),
        after: |a| matches!(a, StepAction::SetBackupDest),
    },
    Rule {
        name: "backup_dest_before_backup_backup_dest",
        reason: "3.x: backup_backup_dest needs backup_dest set and different (1235/9026, §1.3).",
        before: |a| {
            matches!(
                a,
                StepAction::SetBackupDest | StepAction::ClearBackupBackupDest
            )
        },
        after: |a| matches!(a, StepAction::SetBackupBackupDest),
    },
    Rule {
        name: "backup_dest_before_archivelog",
        reason: "3.x: ARCHIVELOG needs backup_dest: 9026 (§1.3, §1.5 A).",
        before: |a| {
            matches!(
                a,
                StepAction::SetBackupDest | StepAction::SetParameter(Parameter::BackupDestOption)
            )
        },
        after: |a| matches!(a, StepAction::Archivelog | StepAction::MinorFreeze),
    },
    Rule {
        name: "archive_stopped_before_minor_freeze",
        reason: "3.x: the freeze shortens BEGINNING of the round that starts next, so it comes after the stop (§1.5 A).",
        before: |a| matches!(a, StepAction::WaitArchiveStop),
        after: |a| matches!(a, StepAction::MinorFreeze),
    },
    Rule {
        name: "minor_freeze_before_archivelog",
        reason: "3.x: archiving starts from the last minor freeze; freezing first shortens BEGINNING (§1.5 A, seed 000).",
        before: |a| matches!(a, StepAction::MinorFreeze),
        after: |a| matches!(a, StepAction::Archivelog),
    },
    Rule {
        name: "backup_backup_dest_before_backup_backup",
        reason: "3.x: START BACKUP ARCHIVELOG and BACKUP BACKUPPIECE need their destination (1235, §1.3).",
        before: |a| matches!(a, StepAction::SetBackupBackupDest),
        after: |a| matches!(a, StepAction::StartRoundMode | StepAction::CopyPieces),
    },
    Rule {
        name: "archive_doing_before_round_mode",
        reason: "3.x: round mode copies the archive of the running round (§1.3).",
        before: |a| matches!(a, StepAction::WaitArchiveDoing),
        after: |a| matches!(a, StepAction::StartRoundMode),
    },
    Rule {
        name: "piece_copy_before_wait",
        reason: "3.x: the piece job copies in the background (§1.4 CDB_OB_BACKUP_BACKUPPIECE_JOB).",
        before: |a| matches!(a, StepAction::CopyPieces),
        after: |a| matches!(a, StepAction::WaitPieceJobs),
    },
    Rule {
        name: "archive_dest_before_lag_target",
        reason: "Later 4.2.x/4.3 refuse archive_lag_target without a log_archive_dest (4179) (§2.1.2).",
        before: |a| matches!(a, StepAction::SetArchiveDest),
        after: |a| matches!(a, StepAction::SetParameter(Parameter::ArchiveLagTarget)),
    },
];

//! OceanBase's own state words, typed: archive round statuses, backup job
//! statuses and backup types, as the backup views print them. Each parses
//! case-insensitively and keeps a value it does not know (`Other`), so a
//! newer server's word is shown as it is rather than refused; each serialises
//! as OceanBase's text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Implements text conversion, `Display` and serde as OceanBase's words.
macro_rules! oceanbase_words {
    ($type:ident { $($variant:ident => $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $type {
            /// Reads OceanBase's word (any case); an unknown word is kept as `Other`.
            pub fn parse(text: &str) -> Self {
                let upper = text.trim().to_ascii_uppercase();
                match upper.as_str() {
                    $($text $(| $alias)* => $type::$variant,)+
                    _ => $type::Other(upper),
                }
            }

            /// OceanBase's word.
            pub fn as_str(&self) -> &str {
                match self {
                    $($type::$variant => $text,)+
                    $type::Other(text) => text,
                }
            }
        }

        impl From<&str> for $type {
            fn from(text: &str) -> Self {
                $type::parse(text)
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(|t| $type::parse(&t))
            }
        }
    };
}

/// The status of an archive round (4.x `CDB_OB_ARCHIVELOG.STATUS`, 3.x
/// `CDB_OB_BACKUP_ARCHIVELOG.STATUS`, and 3.x round-mode backup-backup
/// `CDB_OB_BACKUP_BACKUP_ARCHIVELOG.STATUS`). Values from v4.2.2_CE_BP1
/// `src/share/backup/ob_archive_struct.h` (`ObArchiveRoundState`) and
/// v3.1.5_CE_HF2 `src/share/backup/ob_backup_struct.cpp`
/// (`ObLogArchiveStatus`, with MIXED and PAUSED).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoundStatus {
    /// Starting (4.x).
    Prepare,
    /// Started, catching up.
    Beginning,
    /// Archiving.
    Doing,
    /// Broken: needs NOARCHIVELOG, STOP, ARCHIVELOG.
    Interrupted,
    /// Stopping.
    Stopping,
    /// Stopped.
    Stop,
    /// Suspending (4.x, destination DEFER).
    Suspending,
    /// Suspended (4.x).
    Suspend,
    /// 3.x: tenants in different states.
    Mixed,
    /// 3.x round-mode backup-backup stopped by STOP BACKUP ARCHIVELOG.
    Paused,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(RoundStatus {
    Prepare => "PREPARE",
    Beginning => "BEGINNING",
    Doing => "DOING",
    Interrupted => "INTERRUPTED",
    Stopping => "STOPPING",
    Stop => "STOP",
    Suspending => "SUSPENDING",
    Suspend => "SUSPEND",
    Mixed => "MIXED",
    Paused => "PAUSED",
});

/// The status of a data backup job (4.x `CDB_OB_BACKUP_JOBS.STATUS` and its
/// history; v4.2.2_CE_BP1 `src/share/backup/ob_backup_struct.cpp`
/// `ObBackupStatus::get_str`, job-level values) and of a cleanup job
/// (`CDB_OB_BACKUP_DELETE_JOBS.STATUS`, the same words:
/// `src/share/backup/ob_backup_clean_struct.cpp`, `new_backup_clean_status_strs`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobStatus {
    /// Created, not yet running.
    Init,
    /// Running.
    Doing,
    /// Ended successfully.
    Completed,
    /// Ended with an error.
    Failed,
    /// Being canceled.
    Canceling,
    /// Canceled.
    Canceled,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(JobStatus {
    Init => "INIT",
    Doing => "DOING",
    Completed => "COMPLETED",
    Failed => "FAILED",
    Canceling => "CANCELING",
    Canceled => "CANCELED",
});

impl JobStatus {
    /// Whether the job has ended in failure or cancellation.
    pub fn ended_badly(&self) -> bool {
        matches!(self, JobStatus::Failed | JobStatus::Canceled)
    }
}

/// The type of a data backup: 4.x `BACKUP_TYPE` `FULL` / `INC`; 3.x
/// `BACKUP_TYPE` `D` (full) / `I` (incremental) (v3.1.5_CE_HF2
/// `src/share/backup/ob_backup_struct.cpp`, `ObBackupType`). Shown in 4.x words.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BackupType {
    /// A full backup.
    Full,
    /// An incremental backup.
    Incremental,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(BackupType {
    Full => "FULL" | "D",
    Incremental => "INC" | "I",
});

/// The status of a 4.x backup set (`CDB_OB_BACKUP_SET_FILES.STATUS`;
/// v4.2.2_CE_BP1 `src/share/backup/ob_backup_struct.cpp`,
/// `backup_set_file_info_status_strs`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SetStatus {
    /// Being written.
    Doing,
    /// Written whole.
    Success,
    /// Ended with an error.
    Failed,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(SetStatus {
    Doing => "DOING",
    Success => "SUCCESS",
    Failed => "FAILED",
});

/// The state of a backup set's or an archive piece's files (`FILE_STATUS`
/// of 4.x `CDB_OB_BACKUP_SET_FILES` and `CDB_OB_ARCHIVELOG_PIECE_FILES`, and
/// of 3.x `CDB_OB_BACKUP_PIECE_FILES`; `PIECE_FILE_STATUS_STRS` in
/// `src/share/backup/ob_backup_struct.cpp` of v4.2.2_CE_BP1 and v3.1.5_CE_HF2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileStatus {
    /// Whole and usable.
    Available,
    /// Being copied (backup-backup).
    Copying,
    /// Not whole.
    Incomplete,
    /// Being deleted.
    Deleting,
    /// Past its retention.
    Expired,
    /// Damaged.
    Broken,
    /// Deleted.
    Deleted,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(FileStatus {
    Available => "AVAILABLE",
    Copying => "COPYING",
    Incomplete => "INCOMPLETE",
    Deleting => "DELETING",
    Expired => "EXPIRED",
    Broken => "BROKEN",
    Deleted => "DELETED",
});

/// The status of an archive piece (`STATUS` of 4.x
/// `CDB_OB_ARCHIVELOG_PIECE_FILES` and 3.x `CDB_OB_BACKUP_PIECE_FILES`;
/// `PIECE_STATUS_STRS` in `src/share/backup/ob_backup_struct.cpp` of
/// v4.2.2_CE_BP1 and v3.1.5_CE_HF2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PieceStatus {
    /// Being written.
    Active,
    /// Being closed.
    Freezing,
    /// Closed: no more log is written to it.
    Frozen,
    /// Left behind by a round that stopped.
    Inactive,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(PieceStatus {
    Active => "ACTIVE",
    Freezing => "FREEZING",
    Frozen => "FROZEN",
    Inactive => "INACTIVE",
});

/// The status of a finished 3.x backup set (`CDB_OB_BACKUP_SET_DETAILS.STATUS`,
/// which the view derives from `__all_backup_task_history`: DELETING when
/// marked deleted, else FAILED when the result is an error, else COMPLETED;
/// v3.1.5_CE_HF2 `src/share/inner_table/ob_inner_table_schema_def.py`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SetDetailStatus {
    /// Written whole.
    Completed,
    /// Ended with an error.
    Failed,
    /// Marked deleted.
    Deleting,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(SetDetailStatus {
    Completed => "COMPLETED",
    Failed => "FAILED",
    Deleting => "DELETING",
});

/// The phase of the 3.x cluster's data backup (`backup_status` in
/// `__all_tenant_backup_info`; v3.1.5_CE_HF2
/// `src/share/backup/ob_backup_struct.cpp`, `info_backup_status_strs`).
/// Anything but STOP is a backup in progress (`check_if_doing_backup`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BackupPhase {
    /// No backup in progress.
    Stop,
    /// Preparing a backup.
    Prepare,
    /// Scheduling its tasks.
    Schedule,
    /// Backing up.
    Doing,
    /// Being cancelled.
    Cancel,
    /// Cleaning up after it.
    Cleanup,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(BackupPhase {
    Stop => "STOP",
    Prepare => "PREPARE",
    Schedule => "SCHEDULE",
    Doing => "DOING",
    Cancel => "CANCEL",
    Cleanup => "CLEANUP",
});

/// The status of a tenant (`DBA_OB_TENANTS.STATUS`; v4.2.2_CE_BP1
/// `src/share/schema/ob_schema_struct.cpp`, `tenant_display_status_strs`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TenantStatus {
    /// In service.
    Normal,
    /// Being created.
    Creating,
    /// Being dropped.
    Dropping,
    /// Being restored.
    Restore,
    /// Being created as a standby.
    CreatingStandby,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(TenantStatus {
    Normal => "NORMAL",
    Creating => "CREATING",
    Dropping => "DROPPING",
    Restore => "RESTORE",
    CreatingStandby => "CREATING_STANDBY",
});

/// The state of a 4.x archive destination (`LOG_ARCHIVE_DEST_STATE`;
/// v4.2.2_CE_BP1 `src/share/backup/ob_backup_struct.cpp`,
/// `ObLogArchiveDestState::set_state`). Writing `LOG_ARCHIVE_DEST` sets
/// ENABLE.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DestState {
    /// Archiving to it.
    Enable,
    /// Set aside: the round stays suspended.
    Defer,
    /// A word this build does not know.
    Other(String),
}

oceanbase_words!(DestState {
    Enable => "ENABLE",
    Defer => "DEFER",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse_in_any_case_and_print_as_oceanbase_does() {
        assert_eq!(RoundStatus::parse("doing"), RoundStatus::Doing);
        assert_eq!(RoundStatus::Doing.to_string(), "DOING");
        assert_eq!(RoundStatus::parse("PAUSED"), RoundStatus::Paused);
        assert_eq!(
            RoundStatus::parse("NEWSTATE"),
            RoundStatus::Other("NEWSTATE".into())
        );
        assert_eq!(BackupType::parse("D"), BackupType::Full);
        assert_eq!(BackupType::parse("I"), BackupType::Incremental);
        assert_eq!(BackupType::parse("inc").to_string(), "INC");
        assert!(JobStatus::parse("CANCELED").ended_badly());
        assert!(!JobStatus::parse("COMPLETED").ended_badly());
        let json = serde_json::to_string(&JobStatus::Canceling).expect("serialises");
        assert_eq!(json, "\"CANCELING\"");
        let back: RoundStatus = serde_json::from_str("\"STOP\"").expect("deserialises");
        assert_eq!(back, RoundStatus::Stop);
        assert_eq!(FileStatus::parse("available"), FileStatus::Available);
        assert_eq!(SetStatus::parse("SUCCESS"), SetStatus::Success);
        assert_eq!(PieceStatus::parse("FROZEN"), PieceStatus::Frozen);
        assert_eq!(
            SetDetailStatus::parse("DELETING"),
            SetDetailStatus::Deleting
        );
        assert_eq!(BackupPhase::parse("cleanup"), BackupPhase::Cleanup);
        assert_eq!(
            TenantStatus::parse("CREATING_STANDBY").to_string(),
            "CREATING_STANDBY"
        );
    }
}

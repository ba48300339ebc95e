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
/// `ObBackupStatus::get_str`, job-level values).
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
    }
}

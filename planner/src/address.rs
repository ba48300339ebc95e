//! Addresses: the identity of one managed setting, as Terraform names a
//! resource attribute. An address is a [`Scope`] (a tenant on OceanBase 4.x,
//! the cluster on 3.x) and a [`Setting`], written `tenant.<name>.<path>` or
//! `cluster.<path>` (`tenant.app.log_archive.mode`, `cluster.backup_dest`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What an address belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// OceanBase 3.x: the whole cluster (backup is cluster-wide there).
    Cluster,
    /// OceanBase 4.x: one user tenant, by name.
    Tenant(String),
}

impl Scope {
    /// The scope's name as steps and reports show it: the tenant name, or `cluster`.
    pub fn name(&self) -> &str {
        match self {
            Scope::Cluster => "cluster",
            Scope::Tenant(name) => name,
        }
    }

    /// The tenant, for a tenant scope.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Scope::Cluster => None,
            Scope::Tenant(name) => Some(name),
        }
    }
}

/// A managed setting. Most exist on one line only; `log_archive.enabled`,
/// `log_archive.mode`, `log_archive.round`, `data_backup.full` and
/// `data_backup.incremental` exist on both. Settings order by path, so
/// addresses sort as their text does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// `data_backup.concurrency` (4.x `ha_low_thread_score`).
    DataBackupConcurrency,
    /// `data_backup.delete_policy.recovery_window` (4.x delete policy `default`).
    DataBackupRecoveryWindow,
    /// `data_backup.destination` (4.x `DATA_BACKUP_DEST`).
    DataBackupDestination,
    /// `data_backup.recoverability.max_rpo`: the newest restorable point is too old (a policy).
    DataBackupMaxRpo,
    /// `data_backup.recoverability.min_window`: the newest recovery window is too short (a policy).
    DataBackupMinWindow,
    /// `data_backup.file_size` (4.x `backup_data_file_size`).
    DataBackupFileSize,
    /// `data_backup.full`: freshness of the newest usable full backup.
    DataBackupFull,
    /// `data_backup.incremental`: freshness of the newest usable backup of any type.
    DataBackupIncremental,
    /// `log_archive.concurrency` (4.x `log_archive_concurrency`).
    LogArchiveConcurrency,
    /// `log_archive.destination` (4.x `LOG_ARCHIVE_DEST` LOCATION).
    LogArchiveDestination,
    /// `log_archive.enabled` (archive mode).
    LogArchiveEnabled,
    /// `log_archive.lag_target` (4.x `archive_lag_target`).
    LogArchiveLagTarget,
    /// `log_archive.max_lag`: the archive checkpoint is further behind than declared (a policy).
    LogArchiveMaxLag,
    /// `log_archive.mode` (4.x `LOG_ARCHIVE_DEST` BINDING; 3.x
    /// `backup_log_archive_option`).
    LogArchiveMode,
    /// `log_archive.piece_switch_interval` (4.x `LOG_ARCHIVE_DEST`).
    LogArchivePieceSwitchInterval,
    /// `log_archive.round`: the round is INTERRUPTED although archiving is wanted.
    LogArchiveRound,
    /// `log_archive.state` (4.x `LOG_ARCHIVE_DEST_STATE`).
    LogArchiveState,
    /// `log_archive.compression` (3.x `backup_log_archive_option`).
    LogArchiveCompression,
    /// `backup_dest` (3.x).
    BackupDest,
    /// `backup_dest_option` (3.x).
    BackupDestOption,
    /// `backup_concurrency` (3.x).
    BackupConcurrency,
    /// `backup_backup.destination` (3.x `backup_backup_dest`).
    BackupBackupDestination,
    /// `backup_backup.log_archive_checkpoint_interval` (3.x `backup_backup_dest_option`).
    BackupBackupCheckpointInterval,
    /// `backup_backup.archivelog` (3.x round mode).
    BackupBackupArchivelog,
    /// `backup_backup.pieces`: frozen pieces with fewer copies than declared (3.x piece mode).
    BackupBackupPieces,
}

impl Setting {
    /// Every setting.
    pub const ALL: [Setting; 25] = [
        Setting::DataBackupConcurrency,
        Setting::DataBackupRecoveryWindow,
        Setting::DataBackupDestination,
        Setting::DataBackupMaxRpo,
        Setting::DataBackupMinWindow,
        Setting::DataBackupFileSize,
        Setting::DataBackupFull,
        Setting::DataBackupIncremental,
        Setting::LogArchiveConcurrency,
        Setting::LogArchiveDestination,
        Setting::LogArchiveEnabled,
        Setting::LogArchiveLagTarget,
        Setting::LogArchiveMaxLag,
        Setting::LogArchiveMode,
        Setting::LogArchivePieceSwitchInterval,
        Setting::LogArchiveRound,
        Setting::LogArchiveState,
        Setting::LogArchiveCompression,
        Setting::BackupDest,
        Setting::BackupDestOption,
        Setting::BackupConcurrency,
        Setting::BackupBackupDestination,
        Setting::BackupBackupCheckpointInterval,
        Setting::BackupBackupArchivelog,
        Setting::BackupBackupPieces,
    ];

    /// The path after the scope (`log_archive.mode`).
    pub fn path(self) -> &'static str {
        match self {
            Setting::DataBackupConcurrency => "data_backup.concurrency",
            Setting::DataBackupRecoveryWindow => "data_backup.delete_policy.recovery_window",
            Setting::DataBackupDestination => "data_backup.destination",
            Setting::DataBackupMaxRpo => "data_backup.recoverability.max_rpo",
            Setting::DataBackupMinWindow => "data_backup.recoverability.min_window",
            Setting::DataBackupFileSize => "data_backup.file_size",
            Setting::DataBackupFull => "data_backup.full",
            Setting::DataBackupIncremental => "data_backup.incremental",
            Setting::LogArchiveConcurrency => "log_archive.concurrency",
            Setting::LogArchiveDestination => "log_archive.destination",
            Setting::LogArchiveEnabled => "log_archive.enabled",
            Setting::LogArchiveLagTarget => "log_archive.lag_target",
            Setting::LogArchiveMaxLag => "log_archive.max_lag",
            Setting::LogArchiveMode => "log_archive.mode",
            Setting::LogArchivePieceSwitchInterval => "log_archive.piece_switch_interval",
            Setting::LogArchiveRound => "log_archive.round",
            Setting::LogArchiveState => "log_archive.state",
            Setting::LogArchiveCompression => "log_archive.compression",
            Setting::BackupDest => "backup_dest",
            Setting::BackupDestOption => "backup_dest_option",
            Setting::BackupConcurrency => "backup_concurrency",
            Setting::BackupBackupDestination => "backup_backup.destination",
            Setting::BackupBackupCheckpointInterval => {
                "backup_backup.log_archive_checkpoint_interval"
            }
            Setting::BackupBackupArchivelog => "backup_backup.archivelog",
            Setting::BackupBackupPieces => "backup_backup.pieces",
        }
    }

    /// The setting whose path is `path`.
    pub fn from_path(path: &str) -> Option<Setting> {
        Setting::ALL.into_iter().find(|s| s.path() == path)
    }

    /// Part of the 4.x `LOG_ARCHIVE_DEST` value (always written whole).
    pub fn in_archive_dest(self) -> bool {
        matches!(
            self,
            Setting::LogArchiveDestination
                | Setting::LogArchiveMode
                | Setting::LogArchivePieceSwitchInterval
        )
    }

    /// A data backup freshness policy (`data_backup.full` / `.incremental`).
    pub fn is_freshness(self) -> bool {
        matches!(
            self,
            Setting::DataBackupFull | Setting::DataBackupIncremental
        )
    }
}

impl PartialOrd for Setting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Setting {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.path().cmp(other.path())
    }
}

/// The identity of one managed setting: `tenant.<name>.<path>` or `cluster.<path>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// Tenant or cluster.
    pub scope: Scope,
    /// Which setting.
    pub setting: Setting,
}

impl Address {
    /// The address of `setting` of tenant `name`.
    pub fn tenant(name: &str, setting: Setting) -> Self {
        Self {
            scope: Scope::Tenant(name.to_string()),
            setting,
        }
    }

    /// The address of the 3.x cluster-level `setting`.
    pub fn cluster(setting: Setting) -> Self {
        Self {
            scope: Scope::Cluster,
            setting,
        }
    }

    /// Reads `tenant.<name>.<path>` or `cluster.<path>`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(path) = text.strip_prefix("cluster.") {
            return Setting::from_path(path).map(Address::cluster);
        }
        let rest = text.strip_prefix("tenant.")?;
        let (name, path) = rest.split_once('.')?;
        if name.is_empty() {
            return None;
        }
        Setting::from_path(path).map(|s| Address::tenant(name, s))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scope {
            Scope::Cluster => write!(f, "cluster.{}", self.setting.path()),
            Scope::Tenant(name) => write!(f, "tenant.{name}.{}", self.setting.path()),
        }
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Address::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not an obbackup address: {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_render_and_parse_back() {
        for setting in Setting::ALL {
            for address in [Address::tenant("app_1", setting), Address::cluster(setting)] {
                let text = address.to_string();
                assert_eq!(Address::parse(&text), Some(address.clone()), "{text}");
                let json = serde_json::to_value(&address).expect("serialises");
                assert_eq!(json, serde_json::Value::String(text));
            }
        }
        assert_eq!(
            Address::tenant("t", Setting::LogArchiveMode).to_string(),
            "tenant.t.log_archive.mode"
        );
        assert_eq!(
            Address::cluster(Setting::BackupDest).to_string(),
            "cluster.backup_dest"
        );
        for bad in [
            "",
            "tenant.t",
            "tenant..log_archive.mode",
            "cluster.nope",
            "x.y",
        ] {
            assert_eq!(Address::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn paths_are_unique() {
        let paths: std::collections::BTreeSet<_> = Setting::ALL.iter().map(|s| s.path()).collect();
        assert_eq!(paths.len(), Setting::ALL.len());
        let mut by_text: Vec<Address> = ["b", "a", "a_b"]
            .iter()
            .flat_map(|t| Setting::ALL.map(|s| Address::tenant(t, s)))
            .chain(Setting::ALL.map(Address::cluster))
            .collect();
        let mut by_value = by_text.clone();
        by_text.sort_by_key(|a| a.to_string());
        by_value.sort();
        assert_eq!(by_text, by_value, "addresses sort as their text");
    }
}

//! Stage `diff`: desired vs live for one tenant → the [`Change`]s, one per
//! address whose values differ, sorted by address. Values are normalised before
//! comparison (case, durations, sizes, destination root and public attributes)
//! and shown redacted.

use crate::desired::DesiredTenant;
use crate::live::LiveTenant;
use crate::units::{Duration, Size};
use serde::{Deserialize, Serialize};

/// What a change does to its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The setting has no value yet.
    Create,
    /// The setting has another value.
    Update,
}

impl Action {
    /// Terraform's symbol: `+` create, `~` update.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
        }
    }
}

/// The managed settings of a tenant, in address order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// `data_backup.concurrency` (`ha_low_thread_score`).
    DataBackupConcurrency,
    /// `data_backup.destination` (`DATA_BACKUP_DEST`).
    DataBackupDestination,
    /// `data_backup.file_size` (`backup_data_file_size`).
    DataBackupFileSize,
    /// `data_backup.full`: freshness of the newest completed full backup.
    DataBackupFull,
    /// `data_backup.incremental`: freshness of the newest completed backup of any type.
    DataBackupIncremental,
    /// `log_archive.concurrency` (`log_archive_concurrency`).
    LogArchiveConcurrency,
    /// `log_archive.destination` (`LOG_ARCHIVE_DEST` LOCATION).
    LogArchiveDestination,
    /// `log_archive.enabled` (archive mode).
    LogArchiveEnabled,
    /// `log_archive.lag_target` (`archive_lag_target`).
    LogArchiveLagTarget,
    /// `log_archive.mode` (`LOG_ARCHIVE_DEST` BINDING).
    LogArchiveMode,
    /// `log_archive.piece_switch_interval`.
    LogArchivePieceSwitchInterval,
    /// `log_archive.round`: the round is not running although archiving is on.
    LogArchiveRound,
    /// `log_archive.state` (`LOG_ARCHIVE_DEST_STATE`).
    LogArchiveState,
    /// 3.x `cluster.backup_dest`.
    ClusterBackupDest,
    /// 3.x `cluster.backup_dest_option`.
    ClusterBackupDestOption,
    /// 3.x `cluster.backup_concurrency`.
    ClusterBackupConcurrency,
    /// 3.x `cluster.log_archive.enabled`.
    ClusterLogArchiveEnabled,
    /// 3.x `cluster.log_archive.mode`.
    ClusterLogArchiveMode,
    /// 3.x `cluster.log_archive.compression`.
    ClusterLogArchiveCompression,
    /// 3.x `cluster.log_archive.round`: INTERRUPTED although archiving is wanted.
    ClusterLogArchiveRound,
    /// 3.x `cluster.backup_backup.destination`.
    ClusterBackupBackupDest,
    /// 3.x `cluster.backup_backup.log_archive_checkpoint_interval`.
    ClusterBackupBackupCheckpoint,
    /// 3.x `cluster.backup_backup.archivelog` (round mode).
    ClusterBackupBackupArchivelog,
    /// 3.x `cluster.backup_backup.pieces`: frozen pieces with fewer copies than declared.
    ClusterBackupBackupPieces,
    /// 3.x `cluster.data_backup.full`.
    ClusterDataBackupFull,
    /// 3.x `cluster.data_backup.incremental`.
    ClusterDataBackupIncremental,
}

impl Setting {
    /// The address suffix after `tenant.<name>.`.
    pub fn path(self) -> &'static str {
        match self {
            Setting::DataBackupConcurrency => "data_backup.concurrency",
            Setting::DataBackupDestination => "data_backup.destination",
            Setting::DataBackupFileSize => "data_backup.file_size",
            Setting::DataBackupFull => "data_backup.full",
            Setting::DataBackupIncremental => "data_backup.incremental",
            Setting::LogArchiveConcurrency => "log_archive.concurrency",
            Setting::LogArchiveDestination => "log_archive.destination",
            Setting::LogArchiveEnabled => "log_archive.enabled",
            Setting::LogArchiveLagTarget => "log_archive.lag_target",
            Setting::LogArchiveMode => "log_archive.mode",
            Setting::LogArchivePieceSwitchInterval => "log_archive.piece_switch_interval",
            Setting::LogArchiveRound => "log_archive.round",
            Setting::LogArchiveState => "log_archive.state",
            Setting::ClusterBackupDest => "backup_dest",
            Setting::ClusterBackupDestOption => "backup_dest_option",
            Setting::ClusterBackupConcurrency => "backup_concurrency",
            Setting::ClusterLogArchiveEnabled => "log_archive.enabled",
            Setting::ClusterLogArchiveMode => "log_archive.mode",
            Setting::ClusterLogArchiveCompression => "log_archive.compression",
            Setting::ClusterLogArchiveRound => "log_archive.round",
            Setting::ClusterBackupBackupDest => "backup_backup.destination",
            Setting::ClusterBackupBackupCheckpoint => {
                "backup_backup.log_archive_checkpoint_interval"
            }
            Setting::ClusterBackupBackupArchivelog => "backup_backup.archivelog",
            Setting::ClusterBackupBackupPieces => "backup_backup.pieces",
            Setting::ClusterDataBackupFull => "data_backup.full",
            Setting::ClusterDataBackupIncremental => "data_backup.incremental",
        }
    }

    /// Whether the setting is a 3.x cluster-level one (address `cluster.<path>`).
    pub fn cluster_level(self) -> bool {
        matches!(
            self,
            Setting::ClusterBackupDest
                | Setting::ClusterBackupDestOption
                | Setting::ClusterBackupConcurrency
                | Setting::ClusterLogArchiveEnabled
                | Setting::ClusterLogArchiveMode
                | Setting::ClusterLogArchiveCompression
                | Setting::ClusterLogArchiveRound
                | Setting::ClusterBackupBackupDest
                | Setting::ClusterBackupBackupCheckpoint
                | Setting::ClusterBackupBackupArchivelog
                | Setting::ClusterBackupBackupPieces
                | Setting::ClusterDataBackupFull
                | Setting::ClusterDataBackupIncremental
        )
    }

    /// The OceanBase parameter behind the setting, if it is a plain parameter.
    pub fn parameter(self) -> Option<Parameter> {
        match self {
            Setting::DataBackupConcurrency => Some(Parameter::HaLowThreadScore),
            Setting::DataBackupFileSize => Some(Parameter::BackupDataFileSize),
            Setting::LogArchiveConcurrency => Some(Parameter::LogArchiveConcurrency),
            Setting::LogArchiveLagTarget => Some(Parameter::ArchiveLagTarget),
            _ => None,
        }
    }

    /// Part of the `LOG_ARCHIVE_DEST` value (always written whole).
    pub fn in_archive_dest(self) -> bool {
        matches!(
            self,
            Setting::LogArchiveDestination
                | Setting::LogArchiveMode
                | Setting::LogArchivePieceSwitchInterval
        )
    }
}

/// The tenant parameters obbackup manages on 4.x (reference §2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parameter {
    /// `archive_lag_target` (TIME, 0ms..7200s, 4.2+).
    ArchiveLagTarget,
    /// `backup_data_file_size` (CAPACITY, 512M..4G; tenant scope from 4.2.1 BP2).
    BackupDataFileSize,
    /// `ha_low_thread_score` (INT, 0..100).
    HaLowThreadScore,
    /// `log_archive_concurrency` (INT, 0..100 from 4.1 BP4).
    LogArchiveConcurrency,
    /// 3.x `backup_concurrency` (INT, 0..100, §1.1).
    BackupConcurrency,
    /// 3.x `backup_dest_option` (`k=v&k=v`, §1.2.2).
    BackupDestOption,
    /// 3.x `backup_log_archive_option` (mode and compression, §1.2.1).
    BackupLogArchiveOption,
    /// 3.x `backup_backup_dest_option` (§1.2.3).
    BackupBackupDestOption,
}

impl Parameter {
    /// The parameter's name in OceanBase.
    pub fn name(self) -> &'static str {
        match self {
            Parameter::ArchiveLagTarget => "archive_lag_target",
            Parameter::BackupDataFileSize => "backup_data_file_size",
            Parameter::HaLowThreadScore => "ha_low_thread_score",
            Parameter::LogArchiveConcurrency => "log_archive_concurrency",
            Parameter::BackupConcurrency => "backup_concurrency",
            Parameter::BackupDestOption => "backup_dest_option",
            Parameter::BackupLogArchiveOption => "backup_log_archive_option",
            Parameter::BackupBackupDestOption => "backup_backup_dest_option",
        }
    }
}

/// One address whose desired and live values differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `tenant.<name>.<setting path>`.
    pub address: String,
    /// The tenant.
    pub tenant: String,
    /// Which setting.
    pub setting: Setting,
    /// Create or update.
    pub action: Action,
    /// Live value as shown (redacted); `None` when unset.
    pub before: Option<String>,
    /// Desired value as shown (redacted).
    pub after: String,
    /// The value to write, as a SQL literal (parameters only).
    #[serde(default)]
    pub literal: Option<String>,
}

/// The address of a tenant setting.
pub fn address(tenant: &str, setting: Setting) -> String {
    format!("tenant.{tenant}.{}", setting.path())
}

/// Values of a parameter across servers, shown as one value or `a | b` when servers disagree.
fn parameter_shown(live: &LiveTenant, name: &str) -> Option<String> {
    let values: std::collections::BTreeSet<&String> = live.parameters.get(name)?.values().collect();
    Some(values.into_iter().cloned().collect::<Vec<_>>().join(" | "))
}

/// Compares one tenant. Rounds: a tenant that should archive and has mode
/// ARCHIVELOG but an INTERRUPTED round is a change of `log_archive.round`
/// (reference §2.5 A, "After INTERRUPTED").
pub fn diff(name: &str, desired: &DesiredTenant, live: &LiveTenant) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push =
        |setting: Setting, before: Option<String>, after: String, literal: Option<String>| {
            let action = if before.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            out.push(Change {
                address: address(name, setting),
                tenant: name.to_string(),
                setting,
                action,
                before,
                after,
                literal,
            });
        };
    let dest_rewritten = archive_dest_rewritten(desired, live);
    let la = &desired.log_archive;
    if let Some(enabled) = la.enabled {
        if enabled != live.archivelog() {
            push(
                Setting::LogArchiveEnabled,
                Some(live.archivelog().to_string()),
                enabled.to_string(),
                None,
            );
        }
        if enabled && live.archivelog() && live.round_status() == Some("INTERRUPTED") {
            push(
                Setting::LogArchiveRound,
                Some("INTERRUPTED".into()),
                "DOING".into(),
                None,
            );
        }
    }
    if let Some(dest) = &la.destination {
        let live_dest = live.archive_dest.as_ref();
        match live_dest {
            None => {
                push(
                    Setting::LogArchiveDestination,
                    None,
                    dest.value.redacted(),
                    None,
                );
                if let Some(mode) = &la.mode {
                    push(Setting::LogArchiveMode, None, mode.clone(), None);
                }
                if let Some(piece) = la.piece_switch_interval {
                    push(
                        Setting::LogArchivePieceSwitchInterval,
                        None,
                        piece.canonical(),
                        None,
                    );
                }
            }
            Some(current) => {
                if !current.location.same_place(&dest.value) {
                    push(
                        Setting::LogArchiveDestination,
                        Some(current.location.redacted()),
                        dest.value.redacted(),
                        None,
                    );
                }
                // LOG_ARCHIVE_DEST is written whole: an undeclared BINDING is OPTIONAL (reference §2.2.1).
                let mode = la.mode.clone().unwrap_or_else(|| "OPTIONAL".into());
                if current.binding != mode {
                    push(
                        Setting::LogArchiveMode,
                        Some(current.binding.clone()),
                        mode,
                        None,
                    );
                }
                let piece = la.piece_switch_interval.unwrap_or(Duration(86_400_000_000));
                if Duration::parse(&current.piece_switch_interval) != Some(piece) {
                    push(
                        Setting::LogArchivePieceSwitchInterval,
                        Some(current.piece_switch_interval.clone()),
                        piece.canonical(),
                        None,
                    );
                }
            }
        }
    }
    if let Some(state) = &la.state {
        let current = live.archive_dest.as_ref().map(|d| d.state.clone());
        // Writing LOG_ARCHIVE_DEST writes state ENABLE (reference §2.1.3).
        let effective = if dest_rewritten {
            Some("ENABLE".to_string())
        } else {
            current.clone()
        };
        if effective.as_ref() != Some(state) || current.as_ref() != Some(state) {
            push(Setting::LogArchiveState, current, state.clone(), None);
        }
    }
    if let Some(v) = la.concurrency {
        int_parameter(live, Setting::LogArchiveConcurrency, v, &mut push);
    }
    if let Some(d) = la.lag_target {
        let before = parameter_shown(live, "archive_lag_target");
        let same = live
            .parameters
            .get("archive_lag_target")
            .is_some_and(|m| m.values().all(|v| Duration::parse(v) == Some(d)));
        if !same {
            push(
                Setting::LogArchiveLagTarget,
                before,
                d.canonical(),
                Some(crate::sql::quote(&d.canonical())),
            );
        }
    }
    let db = &desired.data_backup;
    if let Some(dest) = &db.destination {
        match &live.data_backup_dest {
            None => push(
                Setting::DataBackupDestination,
                None,
                dest.value.redacted(),
                None,
            ),
            Some(current) if !current.same_place(&dest.value) => {
                push(
                    Setting::DataBackupDestination,
                    Some(current.redacted()),
                    dest.value.redacted(),
                    None,
                );
            }
            Some(_) => {}
        }
    }
    if let Some(v) = db.concurrency {
        int_parameter(live, Setting::DataBackupConcurrency, v, &mut push);
    }
    if let Some(size) = db.file_size {
        let name = "backup_data_file_size";
        let same = live
            .parameters
            .get(name)
            .is_some_and(|m| m.values().all(|v| Size::parse(v) == Some(size)));
        if !same {
            push(
                Setting::DataBackupFileSize,
                parameter_shown(live, name),
                size.canonical(),
                Some(crate::sql::quote(&size.canonical())),
            );
        }
    }
    out.sort_by(|a, b| a.address.cmp(&b.address));
    out
}

/// An age in words: `9d 2h`, `3h 12m`, `45m`, `30s`.
pub fn age_text(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// Age in seconds of the newest completed backup of the given types, measured
/// on the server clock `now`; `None` when there is none.
pub fn newest_age(live: &LiveTenant, types: &[&str], now: i64) -> Option<i64> {
    types
        .iter()
        .filter_map(|t| live.last_completed.get(*t))
        .filter_map(|end| crate::live::parse_timestamp(end))
        .max()
        .map(|end| now - end)
}

/// Freshness violations of one tenant (declared `full`/`incremental` `max_age`
/// against the newest completed backups, on the server clock `now`). An
/// incremental requirement is met by a newer full backup too.
pub fn freshness(name: &str, desired: &DesiredTenant, live: &LiveTenant, now: i64) -> Vec<Change> {
    let mut out = Vec::new();
    let policies = [
        (
            Setting::DataBackupFull,
            &desired.data_backup.full_max_age,
            &["FULL"][..],
            "full",
        ),
        (
            Setting::DataBackupIncremental,
            &desired.data_backup.incremental_max_age,
            &["FULL", "INC"][..],
            "backup",
        ),
    ];
    for (setting, max_age, types, word) in policies {
        let Some(max_age) = max_age else { continue };
        let limit = i64::try_from(max_age.value.0 / 1_000_000).unwrap_or(i64::MAX);
        let age = newest_age(live, types, now);
        if age.is_some_and(|a| a <= limit) {
            continue;
        }
        out.push(Change {
            address: address(name, setting),
            tenant: name.to_string(),
            setting,
            action: if age.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            before: age.map(|a| format!("last {word} {} ago", age_text(a))),
            after: format!("max_age {}", max_age.value.canonical()),
            literal: None,
        });
    }
    out
}

/// Whether the plan will write `LOG_ARCHIVE_DEST` for this tenant.
pub fn archive_dest_rewritten(desired: &DesiredTenant, live: &LiveTenant) -> bool {
    let la = &desired.log_archive;
    let Some(dest) = &la.destination else {
        return false;
    };
    let Some(current) = &live.archive_dest else {
        return true;
    };
    !current.location.same_place(&dest.value)
        || current.binding != la.mode.clone().unwrap_or_else(|| "OPTIONAL".into())
        || Duration::parse(&current.piece_switch_interval)
            != Some(la.piece_switch_interval.unwrap_or(Duration(86_400_000_000)))
}

fn int_parameter(
    live: &LiveTenant,
    setting: Setting,
    value: i64,
    push: &mut impl FnMut(Setting, Option<String>, String, Option<String>),
) {
    let Some(name) = setting.parameter().map(Parameter::name) else {
        return;
    };
    let same = live
        .parameters
        .get(name)
        .is_some_and(|m| m.values().all(|v| v.trim().parse::<i64>() == Ok(value)));
    if !same {
        push(
            setting,
            parameter_shown(live, name),
            value.to_string(),
            Some(crate::sql::int_literal(value)),
        );
    }
}

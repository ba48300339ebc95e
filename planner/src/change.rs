//! Stage `diff`: desired vs live for one tenant → the [`Change`]s, one per
//! address whose values differ, sorted by address. Values are normalised before
//! comparison (case, durations, sizes, destination root and public attributes)
//! and shown redacted.

use crate::desired::DesiredTenant;
use crate::live::LiveTenant;
use crate::states::{DestState, RoundStatus};
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

pub use crate::address::{Address, Scope, Setting};

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
    /// The 4.x tenant parameter behind a setting, if it is a plain parameter.
    pub fn of_setting(setting: Setting) -> Option<Parameter> {
        match setting {
            Setting::DataBackupConcurrency => Some(Parameter::HaLowThreadScore),
            Setting::DataBackupFileSize => Some(Parameter::BackupDataFileSize),
            Setting::LogArchiveConcurrency => Some(Parameter::LogArchiveConcurrency),
            Setting::LogArchiveLagTarget => Some(Parameter::ArchiveLagTarget),
            _ => None,
        }
    }

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

/// One address whose desired and live values differ. Values are shown
/// forms (redacted, canonical); the SQL that makes the change is built from
/// the desired state when steps are made, never from a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `tenant.<name>.<setting path>` or `cluster.<setting path>`.
    pub address: Address,
    /// Create or update.
    pub action: Action,
    /// Live value as shown (redacted); `None` when unset.
    pub before: Option<String>,
    /// Desired value as shown (redacted).
    pub after: String,
}

impl Change {
    /// A change of `address` from `before` (`None`: unset, a create) to `after`.
    pub fn new(address: Address, before: Option<String>, after: String) -> Self {
        let action = if before.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        Self {
            address,
            action,
            before,
            after,
        }
    }

    /// The changed setting.
    pub fn setting(&self) -> Setting {
        self.address.setting
    }

    /// The scope's name: the tenant, or `cluster` on 3.x.
    pub fn scope_name(&self) -> &str {
        self.address.scope.name()
    }
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
    let mut push = |setting: Setting, before: Option<String>, after: String| {
        out.push(Change::new(Address::tenant(name, setting), before, after));
    };
    let dest_rewritten = archive_dest_rewritten(desired, live);
    let la = &desired.log_archive;
    if let Some(enabled) = la.enabled {
        if enabled != live.archivelog() {
            push(
                Setting::LogArchiveEnabled,
                Some(live.archivelog().to_string()),
                enabled.to_string(),
            );
        }
        if enabled && live.archivelog() && live.round_status() == Some(&RoundStatus::Interrupted) {
            push(
                Setting::LogArchiveRound,
                Some("INTERRUPTED".into()),
                "DOING".into(),
            );
        }
    }
    if let Some(dest) = &la.destination {
        let live_dest = live.archive_dest.as_ref();
        match live_dest {
            None => {
                push(Setting::LogArchiveDestination, None, dest.value.redacted());
                if let Some(mode) = &la.mode {
                    push(Setting::LogArchiveMode, None, mode.clone());
                }
                if let Some(piece) = la.piece_switch_interval {
                    push(
                        Setting::LogArchivePieceSwitchInterval,
                        None,
                        piece.canonical(),
                    );
                }
            }
            Some(current) => {
                if !current.location.same_place(&dest.value) {
                    push(
                        Setting::LogArchiveDestination,
                        Some(current.location.redacted()),
                        dest.value.redacted(),
                    );
                }
                // LOG_ARCHIVE_DEST is written whole: an undeclared BINDING is OPTIONAL (reference §2.2.1).
                let mode = la.mode.clone().unwrap_or_else(|| "OPTIONAL".into());
                if current.binding != mode {
                    push(Setting::LogArchiveMode, Some(current.binding.clone()), mode);
                }
                let piece = la.piece_switch_interval.unwrap_or(Duration(86_400_000_000));
                if Duration::parse(&current.piece_switch_interval) != Some(piece) {
                    push(
                        Setting::LogArchivePieceSwitchInterval,
                        Some(current.piece_switch_interval.clone()),
                        piece.canonical(),
                    );
                }
            }
        }
    }
    if let Some(state) = &la.state {
        let current = live.archive_dest.as_ref().map(|d| d.state.clone());
        // Writing LOG_ARCHIVE_DEST writes state ENABLE (reference §2.1.3).
        let effective = if dest_rewritten {
            Some(DestState::Enable)
        } else {
            current.clone()
        };
        if effective.as_ref() != Some(state) || current.as_ref() != Some(state) {
            push(
                Setting::LogArchiveState,
                current.map(|s| s.to_string()),
                state.to_string(),
            );
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
            push(Setting::LogArchiveLagTarget, before, d.canonical());
        }
    }
    let db = &desired.data_backup;
    if let Some(dest) = &db.destination {
        match &live.data_backup_dest {
            None => push(Setting::DataBackupDestination, None, dest.value.redacted()),
            Some(current) if !current.same_place(&dest.value) => {
                push(
                    Setting::DataBackupDestination,
                    Some(current.redacted()),
                    dest.value.redacted(),
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
            );
        }
    }
    if let Some(window) = &db.recovery_window {
        let live_window = live.delete_policy.as_deref();
        // Compared as durations: OceanBase keeps the text as typed (`168h` is `7d`).
        if live_window.and_then(Duration::parse) != Some(window.value) {
            push(
                Setting::DataBackupRecoveryWindow,
                live_window.map(str::to_string),
                window.value.canonical(),
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
    push: &mut impl FnMut(Setting, Option<String>, String),
) {
    let Some(name) = Parameter::of_setting(setting).map(Parameter::name) else {
        return;
    };
    let same = live
        .parameters
        .get(name)
        .is_some_and(|m| m.values().all(|v| v.trim().parse::<i64>() == Ok(value)));
    if !same {
        push(setting, parameter_shown(live, name), value.to_string());
    }
}

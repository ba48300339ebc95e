//! Stage `diff`, for both lines: a dialect reads each managed address of its
//! desired and live states as a [`Compare`] (what is wanted, in the kind of
//! value that decides how it compares, and what the server has), and
//! [`changes`] turns those that differ into [`Change`]s, sorted by address.
//! Values are normalised before comparison (durations, sizes, destination
//! root and public attributes) and shown redacted; servers that disagree are
//! drift. What each line manages, and its own rules (an INTERRUPTED round, a
//! state that writing a destination resets, pieces short of their copies),
//! are the dialect's ([`crate::dialect::ob4::compared`],
//! [`crate::dialect::ob3::compared`]).

use crate::destination::Destination;
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

/// What a dialect wants for one address, in the kind of value that decides
/// how it is compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Wanted {
    /// A switch (archive mode on, round-mode backup-backup on): compared
    /// with `true` / `false`.
    Switch(bool),
    /// A whole number (a concurrency): every server's value must parse to it.
    Int(i64),
    /// A duration: the same whatever the unit (`24h` is `1d`).
    Duration(Duration),
    /// A size: the same whatever the unit (`4096M` is `4G`).
    Size(Size),
    /// A destination: the same place (root and non-secret attributes, in any
    /// order; credentials are never compared), shown redacted.
    Destination(Destination),
    /// A word compared as it is (a binding, a state), already in OceanBase's case.
    Text(String),
}

/// What the server has for one address.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// Nothing is set (a destination never set, a parameter not shown).
    Unset,
    /// The value on each server that shows it (one value for a setting of
    /// the tenant or the cluster itself). Servers that disagree are drift.
    Values(Vec<String>),
    /// The destination as the server stores it.
    Destination(Destination),
}

/// One address as a dialect reads it from its desired and live states.
#[derive(Debug, Clone, PartialEq)]
pub enum Compare {
    /// Compared here, by the kind of value wanted.
    Values {
        /// The address.
        address: Address,
        /// What the configuration asks.
        wanted: Wanted,
        /// What the server has.
        observed: Observed,
    },
    /// A difference the dialect decided itself, by a rule of its line (an
    /// INTERRUPTED round to restart, a state that writing a destination
    /// resets, pieces short of their copies), with both sides as shown.
    Differs(Change),
}

impl Compare {
    /// `address` wanting `wanted` where the server has `observed`.
    pub fn of(address: Address, wanted: Wanted, observed: Observed) -> Self {
        Compare::Values {
            address,
            wanted,
            observed,
        }
    }
}

/// The changes among `items`, one per address whose values differ, sorted by
/// address. A value the server does not have is a create; otherwise the
/// `before` is the server's value, or its distinct values joined by ` | `
/// when servers disagree.
pub fn changes(items: Vec<Compare>) -> Vec<Change> {
    let mut out: Vec<Change> = items.into_iter().filter_map(compared).collect();
    out.sort_by(|a, b| a.address.cmp(&b.address));
    out
}

fn compared(item: Compare) -> Option<Change> {
    let (address, wanted, observed) = match item {
        Compare::Differs(change) => return Some(change),
        Compare::Values {
            address,
            wanted,
            observed,
        } => (address, wanted, observed),
    };
    let after = shown(&wanted);
    match observed {
        Observed::Values(values) if !values.is_empty() => {
            if values.iter().all(|v| same(&wanted, v)) {
                return None;
            }
            let distinct: std::collections::BTreeSet<&String> = values.iter().collect();
            let before = distinct
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(" | ");
            Some(Change::new(address, Some(before), after))
        }
        Observed::Destination(current) => match &wanted {
            Wanted::Destination(want) if current.same_place(want) => None,
            _ => Some(Change::new(address, Some(current.redacted()), after)),
        },
        Observed::Values(_) | Observed::Unset => Some(Change::new(address, None, after)),
    }
}

/// Whether one server value `value` is what `wanted` asks.
fn same(wanted: &Wanted, value: &str) -> bool {
    match wanted {
        Wanted::Switch(on) => value.trim().parse::<bool>() == Ok(*on),
        Wanted::Int(n) => value.trim().parse::<i64>() == Ok(*n),
        Wanted::Duration(d) => Duration::parse(value) == Some(*d),
        Wanted::Size(size) => Size::parse(value) == Some(*size),
        Wanted::Destination(want) => Destination::from_server(value).same_place(want),
        Wanted::Text(text) => value == text,
    }
}

/// A wanted value as a change shows it.
fn shown(wanted: &Wanted) -> String {
    match wanted {
        Wanted::Switch(on) => on.to_string(),
        Wanted::Int(n) => n.to_string(),
        Wanted::Duration(d) => d.canonical(),
        Wanted::Size(size) => size.canonical(),
        Wanted::Destination(d) => d.redacted(),
        Wanted::Text(text) => text.clone(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(setting: Setting) -> Address {
        Address::tenant("t", setting)
    }

    fn values(v: &[&str]) -> Observed {
        Observed::Values(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn values_compare_by_their_kind_and_disagreeing_servers_are_drift() {
        let same = changes(vec![
            Compare::of(
                tenant(Setting::LogArchiveConcurrency),
                Wanted::Int(4),
                values(&[" 4", "4"]),
            ),
            Compare::of(
                tenant(Setting::LogArchiveLagTarget),
                Wanted::Duration(Duration::parse("1d").expect("duration")),
                values(&["24h"]),
            ),
            Compare::of(
                tenant(Setting::DataBackupFileSize),
                Wanted::Size(Size::parse("4G").expect("size")),
                values(&["4096M"]),
            ),
            Compare::of(
                tenant(Setting::LogArchiveEnabled),
                Wanted::Switch(true),
                values(&["true"]),
            ),
        ]);
        assert_eq!(same, []);
        let split = changes(vec![Compare::of(
            tenant(Setting::LogArchiveConcurrency),
            Wanted::Int(4),
            values(&["8", "4", "8"]),
        )]);
        assert_eq!(
            split,
            [Change::new(
                tenant(Setting::LogArchiveConcurrency),
                Some("4 | 8".into()),
                "4".into()
            )]
        );
    }

    #[test]
    fn an_unset_value_is_a_create_and_a_destination_compares_by_place() {
        let want = Destination::parse("oss://b/p?host=h&access_id=A&access_key=K").expect("valid");
        let moved = Destination::parse("oss://b/q?host=h&access_id=A&access_key=K").expect("valid");
        let found = changes(vec![
            Compare::of(
                tenant(Setting::LogArchiveDestination),
                Wanted::Destination(want.clone()),
                Observed::Destination(
                    Destination::parse("oss://b/p/?access_key=other&host=h&access_id=B")
                        .expect("valid"),
                ),
            ),
            Compare::of(
                tenant(Setting::DataBackupDestination),
                Wanted::Destination(want.clone()),
                Observed::Destination(moved.clone()),
            ),
            Compare::of(
                tenant(Setting::LogArchiveMode),
                Wanted::Text("MANDATORY".into()),
                Observed::Unset,
            ),
            Compare::of(
                tenant(Setting::LogArchiveState),
                Wanted::Text("DEFER".into()),
                values(&[]),
            ),
        ]);
        let actions: Vec<(String, Action, Option<String>)> = found
            .iter()
            .map(|c| (c.address.to_string(), c.action, c.before.clone()))
            .collect();
        assert_eq!(
            actions,
            [
                (
                    "tenant.t.data_backup.destination".into(),
                    Action::Update,
                    Some(moved.redacted())
                ),
                ("tenant.t.log_archive.mode".into(), Action::Create, None),
                ("tenant.t.log_archive.state".into(), Action::Create, None),
            ]
        );
        assert!(!found[0].before.as_deref().unwrap_or_default().contains('K'));
    }

    #[test]
    fn a_difference_the_dialect_decided_is_kept_as_it_is() {
        let decided = Change::new(
            Address::cluster(Setting::LogArchiveRound),
            Some("INTERRUPTED".into()),
            "DOING".into(),
        );
        assert_eq!(changes(vec![Compare::Differs(decided.clone())]), [decided]);
    }
}

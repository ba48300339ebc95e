//! The 4.x addresses for the one comparison of both lines ([`crate::change::changes`]).

use super::*;

/// The managed addresses of tenant `name`, wanted against what it has, for
/// [`change::changes`]. An INTERRUPTED round of a tenant that should archive
/// and has mode ARCHIVELOG is a change of `log_archive.round` (reference
/// §2.5 A, "After INTERRUPTED"). `LOG_ARCHIVE_DEST` is written whole, so an
/// undeclared BINDING is OPTIONAL and an undeclared PIECE_SWITCH_INTERVAL 1d
/// (reference §2.2.1), and writing it sets the state ENABLE (§2.1.3).
pub fn compared(name: &str, desired: &DesiredTenant, live: &LiveTenant) -> Vec<Compare> {
    use change::{Observed, Wanted};
    let mut out = Vec::new();
    let address = |setting| Address::tenant(name, setting);
    let one = |value: String| Observed::Values(vec![value]);
    let parameter = |name: &str| {
        live.parameters.get(name).map_or(Observed::Unset, |m| {
            Observed::Values(m.values().cloned().collect())
        })
    };
    let la = &desired.log_archive;
    if let Some(enabled) = la.enabled {
        out.push(Compare::of(
            address(Setting::LogArchiveEnabled),
            Wanted::Switch(enabled),
            one(live.archivelog().to_string()),
        ));
        if enabled && live.archivelog() && live.round_status() == Some(&RoundStatus::Interrupted) {
            out.push(Compare::Differs(Change::new(
                address(Setting::LogArchiveRound),
                Some(RoundStatus::Interrupted.to_string()),
                RoundStatus::Doing.to_string(),
            )));
        }
    }
    if let Some(dest) = &la.destination {
        let current = live.archive_dest.as_ref();
        out.push(Compare::of(
            address(Setting::LogArchiveDestination),
            Wanted::Destination(dest.value.clone()),
            current.map_or(Observed::Unset, |c| {
                Observed::Destination(c.location.clone())
            }),
        ));
        // A destination written for the first time takes only what is declared.
        let (mode, piece) = match current {
            None => (la.mode.clone(), la.piece_switch_interval),
            Some(_) => (
                Some(la.mode.clone().unwrap_or_else(|| "OPTIONAL".into())),
                Some(la.piece_switch_interval.unwrap_or(DEFAULT_PIECE_SWITCH)),
            ),
        };
        if let Some(mode) = mode {
            out.push(Compare::of(
                address(Setting::LogArchiveMode),
                Wanted::Text(mode),
                current.map_or(Observed::Unset, |c| one(c.binding.clone())),
            ));
        }
        if let Some(piece) = piece {
            out.push(Compare::of(
                address(Setting::LogArchivePieceSwitchInterval),
                Wanted::Duration(piece),
                current.map_or(Observed::Unset, |c| one(c.piece_switch_interval.clone())),
            ));
        }
    }
    if let Some(state) = &la.state {
        let current = live.archive_dest.as_ref().map(|d| d.state.clone());
        if archive_dest_rewritten(desired, live) {
            // Writing LOG_ARCHIVE_DEST writes state ENABLE: the state is set
            // again unless both the state now and the one wanted are ENABLE.
            if *state != DestState::Enable || current.as_ref() != Some(state) {
                out.push(Compare::Differs(Change::new(
                    address(Setting::LogArchiveState),
                    current.map(|s| s.to_string()),
                    state.to_string(),
                )));
            }
        } else {
            out.push(Compare::of(
                address(Setting::LogArchiveState),
                Wanted::Text(state.to_string()),
                current.map_or(Observed::Unset, |s| one(s.to_string())),
            ));
        }
    }
    if let Some(v) = la.concurrency {
        out.push(Compare::of(
            address(Setting::LogArchiveConcurrency),
            Wanted::Int(v),
            parameter(Parameter::LogArchiveConcurrency.name()),
        ));
    }
    if let Some(d) = la.lag_target {
        out.push(Compare::of(
            address(Setting::LogArchiveLagTarget),
            Wanted::Duration(d),
            parameter(Parameter::ArchiveLagTarget.name()),
        ));
    }
    let db = &desired.data_backup;
    if let Some(dest) = &db.destination {
        out.push(Compare::of(
            address(Setting::DataBackupDestination),
            Wanted::Destination(dest.value.clone()),
            live.data_backup_dest
                .clone()
                .map_or(Observed::Unset, Observed::Destination),
        ));
    }
    if let Some(v) = db.concurrency {
        out.push(Compare::of(
            address(Setting::DataBackupConcurrency),
            Wanted::Int(v),
            parameter(Parameter::HaLowThreadScore.name()),
        ));
    }
    if let Some(size) = db.file_size {
        out.push(Compare::of(
            address(Setting::DataBackupFileSize),
            Wanted::Size(size),
            parameter(Parameter::BackupDataFileSize.name()),
        ));
    }
    if let Some(window) = &db.recovery_window {
        // Compared as durations: OceanBase keeps the text as typed (`168h` is `7d`).
        out.push(Compare::of(
            address(Setting::DataBackupRecoveryWindow),
            Wanted::Duration(window.value),
            live.delete_policy.clone().map_or(Observed::Unset, one),
        ));
    }
    out
}

/// The piece switch interval OceanBase gives an archive destination that
/// does not name one: 1d (reference §2.2.1).
pub(super) const DEFAULT_PIECE_SWITCH: Duration = Duration(86_400_000_000);

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
            != Some(la.piece_switch_interval.unwrap_or(DEFAULT_PIECE_SWITCH))
}

//! The 3.x settings for the one comparison of both lines ([`crate::change::changes`]).

use super::*;

/// Parses `backup_log_archive_option` into (mode, compression), lower case.
pub fn parse_log_archive_option(value: &str) -> (String, String) {
    let spaced = value.replace('=', " = ");
    let words: Vec<String> = spaced
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let mut mode = "optional".to_string();
    let mut compression = "disable".to_string();
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "mandatory" | "optional" => mode = words[i].clone(),
            "compression" if words.get(i + 1).map(String::as_str) == Some("=") => {
                if let Some(v) = words.get(i + 2) {
                    compression = compression_name(v);
                }
                i += 2;
            }
            _ => {}
        }
        i += 1;
    }
    (mode, compression)
}

/// Parses `k=v&k=v` with durations and booleans canonical.
pub fn parse_option(value: &str) -> BTreeMap<String, String> {
    value
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            // A bare 0 (no piece switching) is a duration too.
            let v = if v == "0" { "0s" } else { v };
            let v = Duration::parse(v)
                .map(Duration::canonical)
                .unwrap_or_else(|| v.to_ascii_lowercase());
            (k.to_string(), v)
        })
        .collect()
}

pub(super) fn render_option(map: &BTreeMap<String, String>) -> String {
    const ORDER: [&str; 4] = [
        "log_archive_checkpoint_interval",
        "recovery_window",
        "auto_delete_obsolete_backup",
        "log_archive_piece_switch_interval",
    ];
    ORDER
        .iter()
        .filter_map(|k| map.get(*k).map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join("&")
}

/// A destination parameter as the server has it: unset when empty.
pub(super) fn destination_observed(current: Option<&str>) -> Observed {
    current
        .filter(|c| !c.is_empty())
        .map_or(Observed::Unset, |c| {
            Observed::Destination(Destination::from_server(c))
        })
}

/// The managed settings of the cluster, wanted against what it has, for
/// [`change::changes`] (freshness is [`crate::freshness`]'s). Option
/// parameters (`backup_dest_option`, `backup_backup_dest_option`) compare as
/// parsed maps, shown as the server has them; `backup_log_archive_option`
/// compares its mode and its compression on every server.
pub fn compared(want: &DesiredCluster, live: &LiveCluster) -> Vec<Compare> {
    let mut out = Vec::new();
    let address = Address::cluster;
    let one = |value: String| Observed::Values(vec![value]);
    let non_empty = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(dest) = &want.backup_dest {
        out.push(Compare::of(
            address(Setting::BackupDest),
            Wanted::Destination(dest.value.clone()),
            destination_observed(live.value("backup_dest")),
        ));
    }
    if let Some(o) = &want.backup_dest_option {
        let current = live.value("backup_dest_option").unwrap_or("");
        if parse_option(current) != o.value {
            out.push(Compare::Differs(Change::new(
                address(Setting::BackupDestOption),
                non_empty(Some(current)),
                render_option(&o.value),
            )));
        }
    }
    if let Some(n) = want.backup_concurrency {
        out.push(Compare::of(
            address(Setting::BackupConcurrency),
            Wanted::Int(n),
            live.parameters
                .get("backup_concurrency")
                .map_or(Observed::Unset, |m| {
                    Observed::Values(m.values().cloned().collect())
                }),
        ));
    }
    if let Some(enabled) = want.enabled {
        out.push(Compare::of(
            address(Setting::LogArchiveEnabled),
            Wanted::Switch(enabled),
            one(live.archiving().to_string()),
        ));
        if enabled && live.archive_status == Some(RoundStatus::Interrupted) {
            out.push(Compare::Differs(Change::new(
                address(Setting::LogArchiveRound),
                Some(RoundStatus::Interrupted.to_string()),
                RoundStatus::Doing.to_string(),
            )));
        }
    }
    if let (Some(mode), Some(compression)) = (&want.mode, &want.compression) {
        // Disagreeing servers are drift too: compare every server's value.
        let values: Vec<(String, String)> = match live.parameters.get("backup_log_archive_option") {
            Some(m) => m.values().map(|v| parse_log_archive_option(v)).collect(),
            None => vec![parse_log_archive_option("")],
        };
        out.push(Compare::of(
            address(Setting::LogArchiveMode),
            Wanted::Text(mode.clone()),
            Observed::Values(values.iter().map(|(m, _)| m.clone()).collect()),
        ));
        out.push(Compare::of(
            address(Setting::LogArchiveCompression),
            Wanted::Text(compression.clone()),
            Observed::Values(values.iter().map(|(_, z)| z.clone()).collect()),
        ));
    }
    if let Some(dest) = &want.bb_dest {
        out.push(Compare::of(
            address(Setting::BackupBackupDestination),
            Wanted::Destination(dest.value.clone()),
            destination_observed(live.value("backup_backup_dest")),
        ));
    }
    if let Some(interval) = want.bb_checkpoint {
        let current = live.value("backup_backup_dest_option").unwrap_or("");
        let want_map: BTreeMap<String, String> = [(
            "log_archive_checkpoint_interval".to_string(),
            interval.canonical(),
        )]
        .into();
        if parse_option(current) != want_map {
            out.push(Compare::Differs(Change::new(
                address(Setting::BackupBackupCheckpointInterval),
                non_empty(Some(current)),
                render_option(&want_map),
            )));
        }
    }
    let round_mode_on = live.round_mode_on();
    if let Some(on) = want.bb_archivelog {
        out.push(Compare::of(
            address(Setting::BackupBackupArchivelog),
            Wanted::Switch(on),
            one(round_mode_on.to_string()),
        ));
    }
    if let Some(copies) = &want.bb_copies {
        let short = live.pieces_short_of(copies.value);
        if !short.is_empty() || (round_mode_on && want.bb_archivelog.is_none()) {
            let list = short
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            out.push(Compare::Differs(Change::new(
                address(Setting::BackupBackupPieces),
                Some(format!(
                    "pieces with fewer than {} copies: {}",
                    copies.value,
                    if list.is_empty() { "none".into() } else { list }
                )),
                format!("{} copies of every frozen piece", copies.value),
            )));
        }
    }
    out
}

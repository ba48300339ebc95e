//! What a recovery window makes obsolete on OceanBase 4.x: the backup sets and
//! archive pieces the hourly cleanup of the delete policy `default` deletes,
//! computed from the live views as OceanBase decides it (the rule is the same
//! in every tag from v4.0.0_CE to v4.3.1_CE_BETA; cited from v4.2.2_CE_BP1
//! `src/rootserver/backup/ob_backup_clean_scheduler.cpp`):
//!
//! - Every hour the tenant's policy submits a `DELETE OBSOLETE BACKUP` job with
//!   the expiry time now − window (`ObBackupAutoObsoleteDeleteTrigger::
//!   start_auto_delete_obsolete_data_`; the 1 h period is
//!   `ObBackupCleanService::process_trigger_`, `ob_backup_service.cpp`).
//! - Candidate sets are those of the current data destination, not DELETED,
//!   whose end is at or before the expiry time
//!   (`ObBackupSetFileOperator::get_candidate_obsolete_backup_sets`,
//!   `src/share/backup/ob_backup_data_table_operator.cpp`). Sets that end
//!   later are always kept.
//! - Candidates are walked from the highest id down
//!   (`get_delete_obsolete_backup_set_infos_`): a DOING set is kept; a FAILED
//!   or DELETING one is deleted; the first full set met is the clean point and
//!   is kept; an incremental above the clean point is kept; everything else
//!   (older full sets, incrementals below the clean point) is deleted. So the
//!   newest full set that ended before the expiry time, and everything after
//!   it, stay: a valid backup always remains.
//! - Without a clean point no piece is deleted. With one, the pieces of the
//!   archive destination whose checkpoint is at or before the clean point's
//!   `START_REPLAY_SCN` are deleted (`get_delete_obsolete_backup_piece_infos_`,
//!   `ObArchivePersistHelper::get_candidate_obsolete_backup_pieces` in
//!   `src/share/backup/ob_archive_persist_helper.cpp`); each must be INACTIVE
//!   or FROZEN, or the job fails with -9069 (`can_backup_pieces_be_deleted`).

use crate::destination::Destination;
use crate::live::{ArchivePiece, BackupSetFile, LiveTenant, parse_timestamp, to_second};
use crate::states::{BackupType, FileStatus, PieceStatus, SetStatus};

/// What the cleanup would delete, and whether it could.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Obsolete<'a> {
    /// Backup sets it deletes, highest id first.
    pub sets: Vec<&'a BackupSetFile>,
    /// Archive pieces it deletes, in round and piece order.
    pub pieces: Vec<&'a ArchivePiece>,
    /// Pieces it would have to delete that are still being written (not
    /// INACTIVE or FROZEN): the cleanup job then fails with -9069.
    pub blocking: Vec<&'a ArchivePiece>,
}

impl Obsolete<'_> {
    /// Nothing is deleted and nothing blocks.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty() && self.pieces.is_empty() && self.blocking.is_empty()
    }
}

/// What the cleanup of `tenant` deletes with `window_seconds` at server time
/// `now` (seconds since the Unix epoch), for the sets in `data_dest` (the data
/// destination in effect after the plan) and the pieces in the tenant's
/// archive destination. A set whose end cannot be read is not a candidate.
pub fn obsolete<'a>(
    tenant: &'a LiveTenant,
    data_dest: Option<&Destination>,
    window_seconds: i64,
    now: i64,
) -> Obsolete<'a> {
    let expiry = now.saturating_sub(window_seconds);
    let mut out = Obsolete::default();
    let Some(data_dest) = data_dest else {
        return out;
    };
    let mut candidates: Vec<&BackupSetFile> = tenant
        .backup_sets
        .iter()
        .filter(|s| Destination::from_server(&s.path).same_place(data_dest))
        .filter(|s| s.file_status != FileStatus::Deleted)
        .filter(|s| match &s.end_time {
            Some(end) => parse_timestamp(end).is_some_and(|e| e <= expiry),
            // A set being written has no end yet (END_TS 0): a candidate, kept as DOING.
            None => s.status == SetStatus::Doing,
        })
        .collect();
    candidates.sort_by_key(|s| std::cmp::Reverse(s.id));
    let mut clean_point: Option<&BackupSetFile> = None;
    for set in candidates {
        let delete = if set.status == SetStatus::Doing {
            false
        } else if set.status == SetStatus::Failed || set.file_status == FileStatus::Deleting {
            true
        } else if set.backup_type == BackupType::Full && clean_point.is_none() {
            clean_point = Some(set);
            false
        } else {
            !(set.backup_type != BackupType::Full && set.id > clean_point.map_or(0, |c| c.id))
        };
        if delete {
            out.sets.push(set);
        }
    }
    let Some(clean_point) = clean_point else {
        return out;
    };
    let Some(archive) = &tenant.archive_dest else {
        return out;
    };
    for piece in &tenant.archive_pieces {
        if piece.file_status == FileStatus::Deleted
            || piece.checkpoint_scn > clean_point.start_replay_scn
            || !Destination::from_server(&piece.path).same_place(&archive.location)
        {
            continue;
        }
        if matches!(piece.status, PieceStatus::Inactive | PieceStatus::Frozen) {
            out.pieces.push(piece);
        } else {
            out.blocking.push(piece);
        }
    }
    out.pieces.sort_by_key(|p| (p.round_id, p.piece_id));
    out.blocking.sort_by_key(|p| (p.round_id, p.piece_id));
    out
}

/// The list of what is deleted, in words: `backup sets 3 (FULL, ended …), 2
/// (INC, ended …); pieces 1-1, 1-2 (round-piece, archived to …)`, at most
/// `limit` items of each kind and a count of the rest.
pub fn describe(obsolete: &Obsolete<'_>, limit: usize) -> String {
    let mut parts = Vec::new();
    if !obsolete.sets.is_empty() {
        let sets = listed(&obsolete.sets, limit, |s| {
            let end = s
                .end_time
                .as_deref()
                .map_or("no end".into(), |e| format!("ended {}", to_second(e)));
            let state = if s.status == SetStatus::Success {
                String::new()
            } else {
                format!(", {}", s.status)
            };
            format!("{} ({}{state}, {end})", s.id, s.backup_type)
        });
        parts.push(format!("backup sets {sets}"));
    }
    if !obsolete.pieces.is_empty() {
        let pieces = listed(&obsolete.pieces, limit, |p| {
            let at = p.checkpoint_time.as_deref().map_or(String::new(), |t| {
                format!(" (archived to {})", to_second(t))
            });
            format!("{}-{}{at}", p.round_id, p.piece_id)
        });
        parts.push(format!("archive pieces (round-piece) {pieces}"));
    }
    parts.join("; ")
}

/// The first `limit` items shown, then `and N more`, comma-separated.
fn listed<T>(items: &[T], limit: usize, show: impl Fn(&T) -> String) -> String {
    let mut out: Vec<String> = items.iter().take(limit).map(show).collect();
    if items.len() > limit {
        out.push(format!("and {} more", items.len() - limit));
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::ArchiveDest;

    const DATA: &str = "file:///nfs/t/data";
    const ARCHIVE: &str = "file:///nfs/t/archive";
    const DAY: i64 = 86_400;
    /// 2024-06-20 12:00:00 UTC.
    const NOW: i64 = 1_718_884_800;

    fn at(seconds: i64) -> String {
        let t = time::OffsetDateTime::from_unix_timestamp(seconds).expect("in range");
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.000000",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// A set `id` of `kind` that ended `days_ago` days before NOW, whose
    /// replay starts at SCN `id * 100`.
    fn set(id: u64, kind: BackupType, days_ago: i64, status: &str) -> BackupSetFile {
        BackupSetFile {
            id,
            backup_type: kind,
            status: status.into(),
            file_status: "AVAILABLE".into(),
            end_time: Some(at(NOW - days_ago * DAY)),
            start_replay_scn: id * 100,
            min_restore_scn: id * 100 + 50,
            min_restore_time: None,
            prev_full: 0,
            prev_inc: 0,
            plus_archivelog: false,
            path: DATA.into(),
        }
    }

    fn piece(id: u64, checkpoint_scn: u64, status: &str) -> ArchivePiece {
        ArchivePiece {
            dest_id: 1001,
            round_id: 1,
            piece_id: id,
            status: status.into(),
            file_status: "AVAILABLE".into(),
            start_scn: 0,
            end_scn: checkpoint_scn,
            checkpoint_scn,
            checkpoint_time: None,
            path: ARCHIVE.into(),
        }
    }

    fn tenant(sets: Vec<BackupSetFile>, pieces: Vec<ArchivePiece>) -> LiveTenant {
        let mut t = crate::live::blank_tenant();
        t.archive_dest = Some(ArchiveDest {
            location: Destination::from_server(ARCHIVE),
            binding: "OPTIONAL".into(),
            piece_switch_interval: "1d".into(),
            state: "ENABLE".into(),
        });
        t.data_backup_dest = Some(Destination::from_server(DATA));
        t.backup_sets = sets;
        t.archive_pieces = pieces;
        t
    }

    fn ids(o: &Obsolete<'_>) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
        (
            o.sets.iter().map(|s| s.id).collect(),
            o.pieces.iter().map(|p| p.piece_id).collect(),
            o.blocking.iter().map(|p| p.piece_id).collect(),
        )
    }

    fn run(t: &LiveTenant, window_days: i64) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
        ids(&obsolete(
            t,
            Some(&Destination::from_server(DATA)),
            window_days * DAY,
            NOW,
        ))
    }

    use BackupType::{Full, Incremental as Inc};

    #[test]
    fn the_newest_full_set_before_the_window_and_everything_after_it_stay() {
        // Full 1 (20 d), inc 2 (18 d), full 3 (12 d), inc 4 (10 d), full 5 (3 d).
        let t = tenant(
            vec![
                set(1, Full, 20, "SUCCESS"),
                set(2, Inc, 18, "SUCCESS"),
                set(3, Full, 12, "SUCCESS"),
                set(4, Inc, 10, "SUCCESS"),
                set(5, Full, 3, "SUCCESS"),
            ],
            vec![
                piece(1, 90, "FROZEN"),
                piece(2, 300, "INACTIVE"),
                piece(3, 301, "FROZEN"),
                piece(4, 450, "ACTIVE"),
            ],
        );
        // 7 days: full 3 is the clean point; inc 4 after it stays; 1 and 2 go,
        // and pieces archived up to set 3's replay start (SCN 300).
        assert_eq!(run(&t, 7), (vec![2, 1], vec![1, 2], vec![]));
        // 15 days: full 1 is the newest full set before the cutoff: no set is
        // older, and only the piece archived up to its replay start (SCN 100) goes.
        assert_eq!(run(&t, 15), (vec![], vec![1], vec![]));
        // 30 days: no set ended before the cutoff: nothing at all.
        assert_eq!(run(&t, 30), (vec![], vec![], vec![]));
        // 1 day: full 5 is the clean point; everything older goes, and the
        // ACTIVE piece up to SCN 500 would make the job fail.
        assert_eq!(run(&t, 1), (vec![4, 3, 2, 1], vec![1, 2, 3], vec![4]));
    }

    #[test]
    fn failed_sets_go_and_running_ones_stay_and_incrementals_without_a_full_stay() {
        let mut running = set(4, Full, 0, "DOING");
        running.end_time = None;
        let t = tenant(
            vec![
                set(1, Inc, 9, "SUCCESS"),
                set(2, Full, 8, "FAILED"),
                set(3, Inc, 8, "SUCCESS"),
                running,
            ],
            vec![piece(1, 50, "FROZEN")],
        );
        // No successful full set among the candidates: no clean point, so
        // only the failed set goes and no piece does.
        assert_eq!(run(&t, 7), (vec![2], vec![], vec![]));
    }

    #[test]
    fn sets_of_other_destinations_and_deleted_ones_are_not_candidates() {
        let mut elsewhere = set(1, Full, 30, "SUCCESS");
        elsewhere.path = "file:///nfs/t/old-data".into();
        let mut deleted = set(2, Full, 25, "SUCCESS");
        deleted.file_status = "DELETED".into();
        let t = tenant(
            vec![elsewhere, deleted, set(3, Full, 20, "SUCCESS")],
            vec![],
        );
        assert_eq!(run(&t, 7), (vec![], vec![], vec![]));
        // Without a data destination nothing is a candidate.
        assert!(obsolete(&t, None, 7 * DAY, NOW).is_empty());
    }

    #[test]
    fn the_description_names_sets_and_pieces_and_counts_the_rest() {
        let t = tenant(
            vec![
                set(1, Full, 20, "SUCCESS"),
                set(2, Full, 19, "FAILED"),
                set(3, Full, 12, "SUCCESS"),
            ],
            vec![piece(1, 100, "FROZEN"), piece(2, 200, "FROZEN")],
        );
        let o = obsolete(&t, Some(&Destination::from_server(DATA)), 7 * DAY, NOW);
        let text = describe(&o, 1);
        assert!(
            text.starts_with(&format!(
                "backup sets 2 (FULL, FAILED, ended {}), and 1 more; archive pieces (round-piece) 1-1, and 1 more",
                at(NOW - 19 * DAY).split('.').next().expect("has a dot")
            )),
            "{text}"
        );
    }
}

//! The recoverable windows of a 4.x tenant: the points in time T it can be
//! restored to, computed from `CDB_OB_BACKUP_SET_FILES` and
//! `CDB_OB_ARCHIVELOG_PIECE_FILES` by the rules OceanBase's restore applies
//! (the same from v4.1.0_CE to v4.3.1_CE_BETA; cited from v4.2.2_CE_BP1):
//!
//! - **Backup sets for T** (`src/storage/backup/ob_backup_data_store.cpp`,
//!   `ObBackupDataStore::do_get_backup_set_array_`): the sets in id order,
//!   stopping at the first whose `MIN_RESTORE_SCN` is above T; sets that are
//!   not SUCCESS and AVAILABLE are skipped; a full set starts a new chain; an
//!   incremental joins only when its `PREV_FULL_BACKUP_SET_ID` and
//!   `PREV_INC_BACKUP_SET_ID` are both in the chain. Replay starts at the
//!   chain's last set's `START_REPLAY_SCN`. There is no fallback to an older
//!   chain.
//! - **Log for T** (`src/share/backup/ob_archive_store.cpp`,
//!   `ObArchiveStore::get_piece_paths_in_range`): T must be above the replay
//!   start; AVAILABLE pieces of one destination must run without a gap (each
//!   `START_SCN` equal to the previous `END_SCN`) from a piece that starts at
//!   or before the replay start, and the last one's `CHECKPOINT_SCN` must be
//!   at or above T. A new round never joins the previous one.
//! - **PLUS ARCHIVELOG** (from v4.2.0_CE, `src/rootserver/restore/ob_restore_util.cpp`,
//!   `check_restore_using_complement_log_`, `get_restore_log_array_for_complement_log_`):
//!   restored without an archive, a set taken with PLUS ARCHIVELOG reaches
//!   exactly its own `MIN_RESTORE_SCN` from the log it carries.
//!
//! OceanBase's documentation (`oceanbase-doc`, restore parameters, "timestamp
//! 与 scn 选取约束") describes the result: T between a set's `MIN_RESTORE_SCN`
//! and the archive's checkpoint, in segments where the archive was interrupted.
//! SCNs are nanoseconds since the Unix epoch (`src/share/scn.cpp`, `SCN::convert_to_ts`).

use crate::change::age_text;
use crate::live::{ArchivePiece, BackupSetFile, LiveTenant, parse_timestamp};
use crate::states::{BackupType, FileStatus, SetDetailStatus, SetStatus};

/// One stretch of restorable time, in SCNs (inclusive), with what makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The earliest restorable SCN.
    pub start_scn: u64,
    /// The latest restorable SCN.
    pub end_scn: u64,
    /// The backup sets restores in the window use, by id.
    pub backup_sets: Vec<u64>,
    /// The archive pieces they replay, as `round-piece` (`round N` for a
    /// 3.x round without pieces); empty when no log is needed.
    pub pieces: Vec<String>,
}

fn usable(set: &BackupSetFile) -> bool {
    set.status == SetStatus::Success && set.file_status == FileStatus::Available
}

/// The chain a restore to `t` uses (`sets` in id order), empty when none.
fn chain_for(sets: &[&BackupSetFile], t: u64) -> Vec<u64> {
    let mut chain: Vec<u64> = Vec::new();
    for set in sets {
        if set.min_restore_scn > t {
            break;
        }
        if !usable(set) {
            continue;
        }
        if set.backup_type == BackupType::Full {
            chain = vec![set.id];
        } else if chain.contains(&set.prev_full) && chain.contains(&set.prev_inc) {
            chain.push(set.id);
        }
    }
    chain
}

/// How far the archive of one destination reaches without a gap from
/// `replay_start`: the last piece's checkpoint and the pieces, or `None`.
fn log_reach<'a>(
    pieces: &[&'a ArchivePiece],
    replay_start: u64,
) -> Option<(u64, Vec<&'a ArchivePiece>)> {
    let mut run: Vec<&ArchivePiece> = Vec::new();
    for piece in pieces {
        let end = if piece.end_scn == 0 {
            u64::MAX
        } else {
            piece.end_scn
        };
        if piece.file_status != FileStatus::Available || end <= replay_start {
            continue;
        }
        match run.last() {
            None if piece.start_scn <= replay_start => run.push(piece),
            None => return None,
            Some(prev) if prev.end_scn == piece.start_scn => run.push(piece),
            Some(_) => break,
        }
    }
    let last = run.last()?;
    Some((last.checkpoint_scn, run))
}

/// The recoverable windows of `tenant`, oldest first, merged where they
/// touch. `complement_log`: the build restores PLUS ARCHIVELOG sets without
/// an archive (4.2.0 and later).
pub fn windows(tenant: &LiveTenant, complement_log: bool) -> Vec<Window> {
    let mut sets: Vec<&BackupSetFile> = tenant
        .backup_sets
        .iter()
        .filter(|s| s.file_status != FileStatus::Deleted)
        .collect();
    sets.sort_by_key(|s| s.id);
    let by_id = |id: u64| sets.iter().find(|s| s.id == id).copied();
    // The chain changes only where some set's MIN_RESTORE_SCN is passed.
    let mut marks: Vec<u64> = sets
        .iter()
        .map(|s| s.min_restore_scn)
        .filter(|m| *m > 0)
        .collect();
    marks.sort_unstable();
    marks.dedup();
    let mut dests: Vec<u64> = tenant.archive_pieces.iter().map(|p| p.dest_id).collect();
    dests.sort_unstable();
    dests.dedup();
    let pieces_of = |dest: u64| -> Vec<&ArchivePiece> {
        let mut list: Vec<&ArchivePiece> = tenant
            .archive_pieces
            .iter()
            .filter(|p| p.dest_id == dest)
            .collect();
        list.sort_by_key(|p| (p.round_id, p.piece_id));
        list
    };
    let mut out: Vec<Window> = Vec::new();
    for (k, &from) in marks.iter().enumerate() {
        let until = marks.get(k + 1).map_or(u64::MAX, |next| next - 1);
        let chain = chain_for(&sets, from);
        let Some(last) = chain.last().and_then(|id| by_id(*id)) else {
            continue;
        };
        let replay_start = last.start_replay_scn;
        for &dest in &dests {
            let Some((reach, run)) = log_reach(&pieces_of(dest), replay_start) else {
                continue;
            };
            let start = from.max(replay_start + 1);
            let end = reach.min(until);
            if start <= end {
                out.push(Window {
                    start_scn: start,
                    end_scn: end,
                    backup_sets: chain.clone(),
                    pieces: run
                        .iter()
                        .map(|p| format!("{}-{}", p.round_id, p.piece_id))
                        .collect(),
                });
            }
        }
        if complement_log && last.plus_archivelog && last.min_restore_scn == from {
            out.push(Window {
                start_scn: from,
                end_scn: from,
                backup_sets: chain.clone(),
                pieces: Vec::new(),
            });
        }
    }
    merge(out)
}

/// A server time (`2024-06-20 12:00:00.123456`, the server's zone) as
/// nanoseconds since the Unix epoch, on a clock `offset` seconds from UTC.
fn server_nanos(text: &str, offset: i64) -> Option<u64> {
    let seconds = parse_timestamp(text)? - offset;
    let micros: u64 = match text.trim().split_once('.') {
        Some((_, fraction)) => format!("{fraction:0<6}").get(..6)?.parse().ok()?,
        None => 0,
    };
    Some(u64::try_from(seconds).ok()? * 1_000_000_000 + micros * 1_000)
}

/// The recoverable windows of a 3.x cluster, oldest first, merged where they
/// touch, by the rules of a 3.x restore (v3.1.5_CE_HF2; 3.2 documents the
/// same `UNTIL` semantics):
///
/// - **The backup set for T** (`src/share/backup/ob_extern_backup_info_mgr.cpp`,
///   `ObExternBackupInfos::find_backup_info`): the newest successful set
///   whose snapshot is at or before T, with the successful sets before it
///   back to the nearest full one. A set marked deleted (`DELETING`) is still
///   found, and its data is going: T is then not restorable.
/// - **T at the snapshot itself** needs no log
///   (`src/share/backup/ob_backup_info_mgr.cpp`,
///   `ObRestoreBackupInfoUtil::check_is_snapshot_restore`, every 3.x build).
/// - **Otherwise the log** (`ObRestoreBackupInfoUtil::get_restore_backup_info`
///   and `src/share/backup/ob_log_archive_backup_info_mgr.cpp`,
///   `ObExternLogArchiveBackupInfo::get_log_archive_status`): the round whose
///   first and last archived times (`MIN_FIRST_TIME`, `MAX_NEXT_TIME`) hold T
///   must have begun by the set's snapshot, else `OB_ISOLATED_BACKUP_SET`.
///
/// A set's snapshot is its `START_TIME` (`src/rootserver/ob_root_backup.cpp`
/// writes the backup snapshot there). Times are the server's, `offset`
/// seconds from UTC; the windows are in nanoseconds since the Unix epoch like
/// 4.x SCNs. Pieces are the round's original pieces, or `round N` when the
/// round has none (archiving without pieces).
pub fn windows_ob3(cluster: &crate::dialect::ob3::LiveCluster, offset: i64) -> Vec<Window> {
    let sets: Vec<(&crate::dialect::ob3::ClusterBackupSet, u64)> = cluster
        .backup_sets
        .iter()
        .filter(|s| s.status != SetDetailStatus::Failed)
        .filter_map(|s| Some((s, server_nanos(&s.snapshot, offset)?)))
        .collect();
    let rounds: Vec<(u64, u64, u64)> = cluster
        .rounds
        .iter()
        .filter_map(|r| {
            Some((
                r.round_id,
                server_nanos(r.start.as_deref()?, offset)?,
                server_nanos(r.checkpoint.as_deref()?, offset)?,
            ))
        })
        .collect();
    let mut out = Vec::new();
    for (k, &(set, snapshot)) in sets.iter().enumerate() {
        // Back to the nearest full set; a set being deleted breaks the chain.
        let mut chain = Vec::new();
        let mut whole = false;
        for &(s, _) in sets[..=k].iter().rev() {
            if s.status != SetDetailStatus::Completed {
                break;
            }
            chain.push(s.bs_key);
            if s.backup_type == BackupType::Full {
                whole = true;
                break;
            }
        }
        if !whole {
            continue;
        }
        chain.reverse();
        debug_assert_eq!(chain.last(), Some(&set.bs_key));
        // From the next set's snapshot on, a restore takes that set.
        let until = sets
            .get(k + 1)
            .map_or(u64::MAX, |&(_, next)| next.saturating_sub(1));
        if until < snapshot {
            continue;
        }
        out.push(Window {
            start_scn: snapshot,
            end_scn: snapshot,
            backup_sets: chain.clone(),
            pieces: Vec::new(),
        });
        let Some(&(round, _, checkpoint)) = rounds
            .iter()
            .find(|&&(_, start, checkpoint)| start <= snapshot && snapshot <= checkpoint)
        else {
            continue;
        };
        let end = checkpoint.min(until);
        if end > snapshot {
            let mut pieces: Vec<String> = cluster
                .pieces
                .iter()
                .filter(|p| p.round_id == round && p.copy_id == 0)
                .map(|p| format!("{}-{}", p.round_id, p.piece_id))
                .collect();
            if pieces.is_empty() {
                pieces.push(format!("round {round}"));
            }
            out.push(Window {
                start_scn: snapshot,
                end_scn: end,
                backup_sets: chain,
                pieces,
            });
        }
    }
    merge(out)
}

fn merge(mut windows: Vec<Window>) -> Vec<Window> {
    windows.sort_by_key(|w| (w.start_scn, w.end_scn));
    let mut out: Vec<Window> = Vec::new();
    for w in windows {
        match out.last_mut() {
            Some(prev) if w.start_scn <= prev.end_scn.saturating_add(1) => {
                prev.end_scn = prev.end_scn.max(w.end_scn);
                for id in w.backup_sets {
                    if !prev.backup_sets.contains(&id) {
                        prev.backup_sets.push(id);
                    }
                }
                for p in w.pieces {
                    if !prev.pieces.contains(&p) {
                        prev.pieces.push(p);
                    }
                }
            }
            _ => out.push(w),
        }
    }
    out
}

/// An SCN as RFC 3339 on a clock `offset` seconds from UTC
/// (`2024-06-20T20:00:00.123456+08:00`).
pub fn rfc3339(scn: u64, offset: i64) -> String {
    let nanos = i128::from(scn) + i128::from(offset) * 1_000_000_000;
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
        return scn.to_string();
    };
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.abs();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{sign}{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond(),
        off / 3600,
        off % 3600 / 60
    )
}

/// An SCN in seconds since the epoch on a clock `offset` seconds from UTC
/// (comparable with [`crate::live::LiveState::now`]).
pub fn seconds(scn: u64, offset: i64) -> i64 {
    i64::try_from(scn / 1_000_000_000).unwrap_or(i64::MAX) + offset
}

/// The recovery point objective now: seconds from the end of the newest
/// window to `now` (server clock), `None` without a window.
pub fn rpo_seconds(windows: &[Window], offset: i64, now: i64) -> Option<i64> {
    windows
        .iter()
        .map(|w| w.end_scn)
        .max()
        .map(|end| (now - seconds(end, offset)).max(0))
}

/// A window in words: `2024-06-10 12:00:00 → 2024-06-20 12:00:00 (10d 0h; sets 5, 6; pieces 1-3, 1-4)`.
pub fn describe(w: &Window, offset: i64) -> String {
    let shown = |scn: u64| {
        let text = rfc3339(scn, offset);
        text.get(..19).unwrap_or(&text).replace('T', " ")
    };
    let sets: Vec<String> = w.backup_sets.iter().map(u64::to_string).collect();
    format!(
        "{} → {} ({}; sets {}{})",
        shown(w.start_scn),
        shown(w.end_scn),
        age_text(seconds(w.end_scn, 0) - seconds(w.start_scn, 0)),
        sets.join(", "),
        log_words(&w.pieces)
    )
}

/// The log a window replays, after its sets: `; pieces 1-1, 1-2`, `; round 3`
/// (a 3.x round without pieces), or `, no archive needed` (a set's own point).
pub fn log_words(pieces: &[String]) -> String {
    match pieces {
        [] => ", no archive needed".to_string(),
        [round] if round.starts_with("round ") => format!("; {round}"),
        _ => format!("; pieces {}", pieces.join(", ")),
    }
}

/// A scope's recoverability now: its windows, the clock they are shown on,
/// and the RPO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recoverability {
    /// The recoverable windows, oldest first.
    pub windows: Vec<Window>,
    /// The server clock's offset from UTC, seconds
    /// ([`crate::live::LiveState::utc_offset`]; 0 when unknown).
    pub offset: i64,
    /// Seconds from the newest window's end to the server's clock; `None`
    /// without a window or without a server clock.
    pub rpo_seconds: Option<i64>,
}

/// Assesses `windows` at server time `now` (seconds, the server's zone) on a
/// clock `offset` seconds from UTC.
pub fn assess(windows: Vec<Window>, offset: i64, now: Option<i64>) -> Recoverability {
    let rpo_seconds = now.and_then(|n| rpo_seconds(&windows, offset, n));
    Recoverability {
        windows,
        offset,
        rpo_seconds,
    }
}

/// The breaches of `recoverability { max_rpo min_window }` in `scope`:
/// changes of `data_backup.recoverability.max_rpo` / `.min_window` whose
/// `before` is what was measured and `after` the limit.
pub fn breaches(
    scope: &crate::address::Scope,
    policy: &crate::desired::DataBackup,
    r: &Recoverability,
) -> Vec<crate::change::Change> {
    use crate::address::{Address, Setting};
    let mut out = Vec::new();
    let newest = r.windows.iter().max_by_key(|w| w.end_scn);
    let limit_of = |d: &crate::desired::Located<crate::units::Duration>| d.value.as_secs();
    let mut push = |setting, before: String, after: String| {
        out.push(crate::change::Change::new(
            Address {
                scope: scope.clone(),
                setting,
            },
            Some(before),
            after,
        ));
    };
    if let Some(max_rpo) = &policy.max_rpo {
        let after = format!("max_rpo {}", max_rpo.value.canonical());
        match (r.rpo_seconds, newest) {
            (Some(rpo), Some(w)) if rpo > limit_of(max_rpo) => push(
                Setting::DataBackupMaxRpo,
                format!(
                    "RPO {} (restorable up to {})",
                    age_text(rpo),
                    rfc3339(w.end_scn, r.offset)
                ),
                after,
            ),
            (_, None) => push(
                Setting::DataBackupMaxRpo,
                "no restorable point".into(),
                after,
            ),
            _ => {}
        }
    }
    if let Some(min_window) = &policy.min_window {
        let after = format!("min_window {}", min_window.value.canonical());
        match newest {
            Some(w) => {
                let span = seconds(w.end_scn, 0) - seconds(w.start_scn, 0);
                if span < limit_of(min_window) {
                    push(
                        Setting::DataBackupMinWindow,
                        format!(
                            "newest window {} long (from {})",
                            age_text(span),
                            rfc3339(w.start_scn, r.offset)
                        ),
                        after,
                    );
                }
            }
            None => push(
                Setting::DataBackupMinWindow,
                "no recovery window".into(),
                after,
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;
    const H: u64 = 3_600 * S;
    /// 2024-06-20 12:00:00 UTC in ns.
    const BASE: u64 = 1_718_884_800 * S;

    fn set(id: u64, kind: BackupType, replay_h: u64, restore_h: u64) -> BackupSetFile {
        BackupSetFile {
            id,
            backup_type: kind,
            status: "SUCCESS".into(),
            file_status: "AVAILABLE".into(),
            end_time: None,
            start_replay_scn: BASE + replay_h * H,
            min_restore_scn: BASE + restore_h * H,
            min_restore_time: None,
            prev_full: 0,
            prev_inc: 0,
            plus_archivelog: false,
            path: "file:///nfs/t/data".into(),
        }
    }

    fn inc(id: u64, prev_full: u64, prev_inc: u64, replay_h: u64, restore_h: u64) -> BackupSetFile {
        BackupSetFile {
            prev_full,
            prev_inc,
            ..set(id, BackupType::Incremental, replay_h, restore_h)
        }
    }

    /// Piece `id` of `round` from hour `start` to hour `end`, archived to hour `checkpoint`.
    fn piece(round: u64, id: u64, start: u64, end: u64, checkpoint: u64) -> ArchivePiece {
        ArchivePiece {
            dest_id: 1001,
            round_id: round,
            piece_id: id,
            status: "FROZEN".into(),
            file_status: "AVAILABLE".into(),
            start_scn: BASE + start * H,
            end_scn: BASE + end * H,
            checkpoint_scn: BASE + checkpoint * H,
            checkpoint_time: None,
            path: "file:///nfs/t/archive".into(),
        }
    }

    fn tenant(sets: Vec<BackupSetFile>, pieces: Vec<ArchivePiece>) -> LiveTenant {
        let mut t = crate::live::blank_tenant();
        t.backup_sets = sets;
        t.archive_pieces = pieces;
        t
    }

    /// The windows as (start, end) hours after BASE.
    fn hours(t: &LiveTenant, complement: bool) -> Vec<(u64, u64)> {
        windows(t, complement)
            .iter()
            .map(|w| ((w.start_scn - BASE) / H, (w.end_scn - BASE) / H))
            .collect()
    }

    #[test]
    fn a_full_set_and_contiguous_pieces_make_one_window_up_to_the_checkpoint() {
        let t = tenant(
            vec![set(1, BackupType::Full, 1, 2)],
            vec![piece(1, 1, 0, 10, 10), piece(1, 2, 10, 20, 15)],
        );
        assert_eq!(hours(&t, false), [(2, 15)]);
        let w = &windows(&t, false)[0];
        assert_eq!(w.backup_sets, [1]);
        assert_eq!(w.pieces, ["1-1", "1-2"]);
    }

    #[test]
    fn a_new_round_does_not_join_the_previous_one_so_windows_split() {
        // Round 1 covers hours 0-10; round 2 starts at hour 12 (a gap).
        // Full 1 (restores from 2) is covered by round 1 only; full 2 (replay
        // from 13, restores from 14) by round 2.
        let t = tenant(
            vec![
                set(1, BackupType::Full, 1, 2),
                set(2, BackupType::Full, 13, 14),
            ],
            vec![piece(1, 1, 0, 10, 10), piece(2, 2, 12, 30, 20)],
        );
        assert_eq!(hours(&t, false), [(2, 10), (14, 20)]);
        // Without round 2, T at or after 14 uses full 2, whose replay start
        // (hour 13) no piece covers: the window of full 1 ends at round 1's end.
        let t = tenant(
            vec![
                set(1, BackupType::Full, 1, 2),
                set(2, BackupType::Full, 13, 14),
            ],
            vec![piece(1, 1, 0, 10, 10)],
        );
        assert_eq!(hours(&t, false), [(2, 10)]);
    }

    #[test]
    fn incrementals_join_their_chain_and_failed_or_deleted_pieces_break_it() {
        let sets = vec![
            set(1, BackupType::Full, 1, 2),
            inc(2, 1, 1, 5, 6),
            inc(3, 1, 2, 8, 9),
        ];
        let pieces = vec![
            piece(1, 1, 0, 4, 4),
            piece(1, 2, 4, 8, 8),
            piece(1, 3, 8, 12, 11),
        ];
        let t = tenant(sets.clone(), pieces.clone());
        let w = windows(&t, false);
        assert_eq!(hours(&t, false), [(2, 11)]);
        assert_eq!(w[0].backup_sets, [1, 2, 3]);
        // Piece 1-2 deleted: full 1 reaches hour 4 only; inc 2 (replay from 5)
        // starts after the hole; inc 3 (replay from 8) starts on piece 1-3.
        let mut holed = pieces.clone();
        holed[1].file_status = "DELETED".into();
        let t = tenant(sets.clone(), holed);
        assert_eq!(hours(&t, false), [(2, 4), (9, 11)]);
        // An incremental whose predecessor failed does not join: T ≥ 9 keeps
        // the chain 1, 2 (replay from 5) and the log reaches 11.
        let mut failed = sets;
        failed[2].prev_inc = 9;
        let t = tenant(failed, pieces);
        let w = windows(&t, false);
        assert_eq!(w[0].backup_sets, [1, 2]);
    }

    #[test]
    fn a_plus_archivelog_set_restores_to_its_own_point_from_4_2() {
        let mut s = set(1, BackupType::Full, 1, 2);
        s.plus_archivelog = true;
        let t = tenant(vec![s], Vec::new());
        assert_eq!(hours(&t, true), [(2, 2)]);
        assert_eq!(hours(&t, false), []);
        assert!(windows(&tenant(Vec::new(), Vec::new()), true).is_empty());
    }

    #[test]
    fn times_are_shown_on_the_servers_clock_and_rpo_is_measured_from_the_newest_end() {
        let t = tenant(
            vec![set(1, BackupType::Full, 1, 2)],
            vec![piece(1, 1, 0, 10, 10)],
        );
        // A server on a +08:00 clock.
        let offset = 8 * 3600;
        let w = windows(&t, false);
        assert_eq!(
            rfc3339(w[0].end_scn, offset),
            "2024-06-21T06:00:00.000000+08:00"
        );
        assert_eq!(
            rfc3339(w[0].start_scn, 0),
            "2024-06-20T14:00:00.000000+00:00"
        );
        // Now is 06:30 on the server's clock: 30 minutes after the window's end.
        let now = parse_timestamp("2024-06-21 06:30:00").expect("time");
        assert_eq!(rpo_seconds(&w, offset, now), Some(1800));
        assert_eq!(rpo_seconds(&[], offset, now), None);
        assert_eq!(assess(w.clone(), offset, Some(now)).rpo_seconds, Some(1800));
        assert_eq!(assess(w.clone(), offset, None).rpo_seconds, None);
        assert_eq!(
            describe(&w[0], offset),
            "2024-06-20 22:00:00 → 2024-06-21 06:00:00 (8h 0m; sets 1; pieces 1-1)"
        );
    }

    use crate::dialect::ob3::{ClusterBackupSet, ClusterRound, LiveCluster, LivePiece};

    /// Server time `h` hours after 2024-06-20 12:00:00 (the server's zone).
    fn at(h: u64) -> String {
        let t = time::OffsetDateTime::from_unix_timestamp(1_718_884_800 + 3_600 * h as i64)
            .expect("time");
        format!(
            "{:04}-{:02}-{:02} {:02}:00:00.000000",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour()
        )
    }

    fn set3(bs_key: u64, kind: BackupType, snapshot_h: u64, status: &str) -> ClusterBackupSet {
        ClusterBackupSet {
            bs_key,
            backup_type: kind,
            snapshot: at(snapshot_h),
            status: status.into(),
        }
    }

    fn round3(round_id: u64, start_h: u64, checkpoint_h: u64) -> ClusterRound {
        ClusterRound {
            round_id,
            status: "STOP".into(),
            start: Some(at(start_h)),
            checkpoint: Some(at(checkpoint_h)),
        }
    }

    fn cluster3(sets: Vec<ClusterBackupSet>, rounds: Vec<ClusterRound>) -> LiveCluster {
        LiveCluster {
            backup_sets: sets,
            rounds,
            ..Default::default()
        }
    }

    /// The 3.x windows as (start, end) hours after BASE, on a UTC clock.
    fn hours3(c: &LiveCluster) -> Vec<(u64, u64)> {
        windows_ob3(c, 0)
            .iter()
            .map(|w| ((w.start_scn - BASE) / H, (w.end_scn - BASE) / H))
            .collect()
    }

    #[test]
    fn on_3x_a_set_restores_from_its_snapshot_to_the_checkpoint_of_the_round_holding_it() {
        let c = cluster3(
            vec![set3(1, BackupType::Full, 2, "COMPLETED")],
            vec![round3(1, 0, 10)],
        );
        assert_eq!(hours3(&c), [(2, 10)]);
        assert_eq!(windows_ob3(&c, 0)[0].backup_sets, [1]);
        assert_eq!(windows_ob3(&c, 0)[0].pieces, ["round 1"]);
        // The round's original pieces name the log when it has pieces.
        let mut with_pieces = c.clone();
        for (piece_id, copy_id) in [(1, 0), (2, 0), (2, 1)] {
            with_pieces.pieces.push(LivePiece {
                round_id: 1,
                piece_id,
                copy_id,
                status: "FROZEN".into(),
                file_status: "AVAILABLE".into(),
            });
        }
        assert_eq!(windows_ob3(&with_pieces, 0)[0].pieces, ["1-1", "1-2"]);
        // A round that began after the snapshot isolates the set: only the
        // snapshot itself restores (no log needed there).
        let c = cluster3(
            vec![set3(1, BackupType::Full, 2, "COMPLETED")],
            vec![round3(1, 3, 10)],
        );
        assert_eq!(hours3(&c), [(2, 2)]);
        let w = &windows_ob3(&c, 0)[0];
        assert!(w.pieces.is_empty());
        assert!(describe(w, 0).ends_with("sets 1, no archive needed)"));
        // No backup at all: nothing restores, whatever is archived.
        assert!(hours3(&cluster3(Vec::new(), vec![round3(1, 0, 10)])).is_empty());
    }

    #[test]
    fn on_3x_the_newest_set_before_t_decides_so_rounds_and_sets_split_windows() {
        // Round 1 (hours 0-5) and round 2 (8-20) with a gap; sets at 1, 9, 12.
        let sets = vec![
            set3(1, BackupType::Full, 1, "COMPLETED"),
            set3(2, BackupType::Full, 9, "COMPLETED"),
            set3(3, BackupType::Incremental, 12, "COMPLETED"),
        ];
        let rounds = vec![round3(1, 0, 5), round3(2, 8, 20)];
        let c = cluster3(sets.clone(), rounds.clone());
        assert_eq!(hours3(&c), [(1, 5), (9, 20)]);
        let w = windows_ob3(&c, 0);
        assert_eq!(w[1].backup_sets, [2, 3]);
        // A failed set is passed over: set 2 failed, so T in 9-11 still uses
        // set 1, whose round ended at 5; set 3 then joins set 1's chain
        // (hours 12-20, round 2 began before its snapshot).
        let mut failed = sets.clone();
        failed[1].status = "FAILED".into();
        let c = cluster3(failed, rounds.clone());
        assert_eq!(hours3(&c), [(1, 5), (12, 20)]);
        assert_eq!(windows_ob3(&c, 0)[1].backup_sets, [1, 3]);
        // A set being deleted is still the one a restore takes: its own range
        // is lost, and so is every incremental built on it.
        let mut deleting = sets;
        deleting[1].status = "DELETING".into();
        let c = cluster3(deleting, rounds);
        assert_eq!(hours3(&c), [(1, 5)]);
    }

    #[test]
    fn on_3x_of_two_sets_with_one_snapshot_a_restore_takes_the_later() {
        let c = cluster3(
            vec![
                set3(1, BackupType::Full, 2, "COMPLETED"),
                set3(2, BackupType::Full, 2, "COMPLETED"),
            ],
            vec![round3(1, 0, 10)],
        );
        let w = windows_ob3(&c, 0);
        assert_eq!(hours3(&c), [(2, 10)]);
        assert_eq!(
            w[0].backup_sets,
            [2],
            "set 1 is never the newest at or before T"
        );
    }

    #[test]
    fn on_3x_server_times_are_read_on_the_servers_clock() {
        // Shown on a +08:00 clock: the set's snapshot 10:00 there is 02:00 UTC.
        let c = cluster3(
            vec![set3(1, BackupType::Full, 2, "COMPLETED")],
            vec![round3(1, 0, 10)],
        );
        let w = windows_ob3(&c, 8 * 3600);
        assert_eq!(
            rfc3339(w[0].start_scn, 8 * 3600),
            "2024-06-20T14:00:00.000000+08:00"
        );
        assert_eq!(
            rfc3339(w[0].start_scn, 0),
            "2024-06-20T06:00:00.000000+00:00"
        );
        assert_eq!(
            server_nanos("2024-06-20 12:00:00.25", 0),
            Some(BASE + S / 4)
        );
        assert_eq!(server_nanos("not a time", 0), None);
    }
}

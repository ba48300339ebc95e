//! The 3.x live state of the cluster, and the 3.x reads decoded into it.

use super::*;

/// One piece row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LivePiece {
    /// `ROUND_ID`.
    pub round_id: u64,
    /// `BACKUP_PIECE_ID`.
    pub piece_id: u64,
    /// `COPY_ID` (0 = original).
    pub copy_id: u64,
    /// `STATUS`.
    pub status: PieceStatus,
    /// `FILE_STATUS`.
    pub file_status: FileStatus,
}

/// The 3.x live state of the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LiveCluster {
    /// Backup parameters: name → value per server.
    pub parameters: BTreeMap<String, BTreeMap<String, String>>,
    /// Log archive status of the cluster row, `None` before the first ARCHIVELOG.
    pub archive_status: Option<RoundStatus>,
    /// `LOG_ARCHIVE_ROUND`.
    pub round: u64,
    /// `MAX_NEXT_TIME`: the archive checkpoint (not fingerprinted: it moves).
    #[serde(skip)]
    pub checkpoint: Option<String>,
    /// Pieces and copies.
    pub pieces: Vec<LivePiece>,
    /// Round-mode status (`CDB_OB_BACKUP_BACKUP_ARCHIVELOG`).
    pub round_mode: Option<RoundStatus>,
    /// Active piece jobs.
    pub piece_jobs: usize,
    /// User tenants (names).
    pub tenants: Vec<String>,
    /// The running cluster data backup: (bs_key, type).
    pub running_backup: Option<(u64, BackupType)>,
    /// Backup-backup copies by directory: (piece id, destination root), piece
    /// 0 for round-mode copies (credentials never kept).
    #[serde(skip)]
    pub copy_dirs: Vec<(u64, String)>,
    /// `backup_status`: `STOP`, or the phase of the backup in progress
    /// (PREPARE, SCHEDULE, DOING, CANCEL, CLEANUP); `None` when unread.
    pub backup_status: Option<BackupPhase>,
    /// End of the newest COMPLETED backup per type (`D`, `I`).
    pub last_completed: BTreeMap<BackupType, String>,
    /// Highest `BS_KEY` seen.
    pub max_bs_key: u64,
    /// Finished backup sets, in `BS_KEY` order (not fingerprinted: the
    /// newest end is, through `last_completed`).
    #[serde(skip)]
    pub backup_sets: Vec<ClusterBackupSet>,
    /// Archive rounds, stopped and current (not fingerprinted: they move).
    #[serde(skip)]
    pub rounds: Vec<ClusterRound>,
}

/// A finished 3.x cluster backup set (`CDB_OB_BACKUP_SET_DETAILS`, tenant 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterBackupSet {
    /// `BS_KEY`.
    pub bs_key: u64,
    /// `BACKUP_TYPE`: `D` full, `I` incremental.
    pub backup_type: BackupType,
    /// `START_TIME`: the backup snapshot, the time a restore to this set
    /// alone reaches (server time, microseconds).
    pub snapshot: String,
    /// `STATUS`.
    pub status: SetDetailStatus,
}

/// A 3.x archive round (`CDB_OB_BACKUP_ARCHIVELOG_SUMMARY`, tenant 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterRound {
    /// `LOG_ARCHIVE_ROUND`.
    pub round_id: u64,
    /// `STATUS` (`STOP` for every ended round).
    pub status: RoundStatus,
    /// `MIN_FIRST_TIME`: the first log it holds (server time), `None` before DOING.
    pub start: Option<String>,
    /// `MAX_NEXT_TIME`: the last log it holds (server time).
    pub checkpoint: Option<String>,
}

impl LiveCluster {
    /// The declared `log_archive { max_lag }` breached by the cluster's round
    /// at server time `now` ([`crate::health::round_lag`]); `None` without a
    /// limit, a clock or a round.
    pub fn lag_breach(
        &self,
        limit: Option<&Located<Duration>>,
        now: Option<i64>,
    ) -> Option<Change> {
        crate::health::round_lag(
            &Scope::Cluster,
            limit?,
            self.round,
            self.archive_status.as_ref()?,
            self.checkpoint.as_deref(),
            now?,
        )
    }

    /// Whether directory `dir` holds copies made in round mode (a copy of
    /// piece 0: OceanBase records round-mode copies as piece 0, v3.1.5_CE_HF2
    /// `src/share/backup/ob_log_archive_backup_info_mgr.cpp`,
    /// `check_has_round_mode_archive_in_dest`).
    pub fn round_mode_copies(&self, dir: &Destination) -> bool {
        self.copy_dirs
            .iter()
            .any(|(piece, root)| *piece == 0 && root == dir.root())
    }

    /// Whether directory `dir` holds piece copies (a copy of a piece other
    /// than 0, same source: `check_has_piece_mode_archive_in_dest`).
    pub fn piece_copies(&self, dir: &Destination) -> bool {
        self.copy_dirs
            .iter()
            .any(|(piece, root)| *piece != 0 && root == dir.root())
    }

    /// The backup in progress, in words (`backup 5 (full) is running`, `a
    /// backup is in CLEANUP`), or `None`. OceanBase counts every
    /// `backup_status` but STOP as a backup in progress and refuses another
    /// backup, a `backup_dest` change and more with 9036 (v3.1.5_CE_HF2
    /// `src/share/backup/ob_backup_info_mgr.cpp`, `check_if_doing_backup`):
    /// before a set is running and while it is cleaned up too.
    pub fn backup_in_progress(&self) -> Option<String> {
        match (&self.running_backup, &self.backup_status) {
            (Some((key, kind)), _) => Some(format!("cluster backup {key} ({kind}) is running")),
            (None, Some(status)) if *status != BackupPhase::Stop => {
                Some(format!("a cluster backup is in {status}"))
            }
            _ => None,
        }
    }

    /// When the newest successful full backup (`D`), and the newest of any
    /// type (`D`, `I`), ended.
    pub fn newest(&self) -> crate::freshness::Newest {
        let end = |types: &[BackupType]| {
            types
                .iter()
                .filter_map(|t| self.last_completed.get(t))
                .filter_map(|e| parse_timestamp(e))
                .max()
        };
        crate::freshness::Newest {
            full: end(&[BackupType::Full]),
            any: end(&[BackupType::Full, BackupType::Incremental]),
        }
    }

    /// The value of a parameter on the first server.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.parameters
            .get(name)
            .and_then(|m| m.values().next())
            .map(String::as_str)
    }

    /// Whether archiving is on (BEGINNING/DOING; INTERRUPTED still counts as on).
    pub fn archiving(&self) -> bool {
        matches!(
            self.archive_status,
            Some(RoundStatus::Beginning | RoundStatus::Doing | RoundStatus::Interrupted)
        )
    }

    /// Whether round-mode backup-backup runs: its status is present and
    /// neither STOP nor PAUSED (STOP BACKUP ARCHIVELOG writes PAUSED:
    /// v3.1.5_CE_HF2 `src/rootserver/backup/ob_backup_archive_log_scheduler.cpp`).
    pub fn round_mode_on(&self) -> bool {
        self.round_mode
            .as_ref()
            .is_some_and(|s| !matches!(s, RoundStatus::Stop | RoundStatus::Paused))
    }

    /// Frozen, available original pieces with fewer than `copies` copies.
    pub fn pieces_short_of(&self, copies: i64) -> Vec<u64> {
        self.pieces
            .iter()
            .filter(|p| {
                p.copy_id == 0
                    && p.status == PieceStatus::Frozen
                    && p.file_status == FileStatus::Available
            })
            .filter(|p| {
                let n = self
                    .pieces
                    .iter()
                    .filter(|c| {
                        c.copy_id > 0 && c.piece_id == p.piece_id && c.round_id == p.round_id
                    })
                    .count();
                i64::try_from(n).unwrap_or(i64::MAX) < copies
            })
            .map(|p| p.piece_id)
            .collect()
    }
}

pub(super) fn text(row: &Row, key: &str) -> Option<String> {
    row.get(key).cloned().flatten()
}

pub(super) fn number(row: &Row, read: &str, key: &str) -> Result<u64, InspectError> {
    let t = text(row, key).unwrap_or_default();
    t.trim().parse().map_err(|_| InspectError::BadValue {
        read: read.into(),
        column: key.into(),
        value: t,
        expected: "a whole number".into(),
    })
}

/// Decodes the 3.x reads.
pub fn from_rows(rows: &BTreeMap<Read, Vec<Row>>) -> Result<LiveCluster, InspectError> {
    let empty = Vec::new();
    let of = |r: Read| rows.get(&r).unwrap_or(&empty);
    let mut live = LiveCluster::default();
    for row in of(Read::ClusterParameters) {
        let (server, name, value) = crate::live::parameter_row(row, "SHOW PARAMETERS")?;
        live.parameters
            .entry(name)
            .or_default()
            .insert(server, value);
    }
    if let Some(row) = of(Read::ClusterArchiveLog).first() {
        live.archive_status = text(row, "status").map(|s| RoundStatus::parse(&s));
        live.round = number(row, "CDB_OB_BACKUP_ARCHIVELOG", "round_id")?;
        live.checkpoint = text(row, "checkpoint").filter(|c| !c.is_empty());
    }
    for row in of(Read::ClusterPieces) {
        let read = "CDB_OB_BACKUP_PIECE_FILES";
        live.pieces.push(LivePiece {
            round_id: number(row, read, "round_id")?,
            piece_id: number(row, read, "piece_id")?,
            copy_id: number(row, read, "copy_id")?,
            status: PieceStatus::parse(&text(row, "status").unwrap_or_default()),
            file_status: FileStatus::parse(&text(row, "file_status").unwrap_or_default()),
        });
    }
    live.round_mode = of(Read::ClusterRoundMode)
        .first()
        .and_then(|r| text(r, "status"))
        .map(|s| RoundStatus::parse(&s));
    live.piece_jobs = of(Read::ClusterPieceJobs).len();
    for row in of(Read::ClusterTenants) {
        if number(row, "__all_tenant", "tenant_id")? != 1 {
            live.tenants
                .push(text(row, "tenant_name").unwrap_or_default());
        }
    }
    live.running_backup = of(Read::ClusterProgress)
        .iter()
        .find(|r| text(r, "status").as_deref() == Some("RUNNING"))
        .map(|r| {
            (
                number(r, "CDB_OB_BACKUP_PROGRESS", "bs_key").unwrap_or(0),
                BackupType::parse(&text(r, "backup_type").unwrap_or_default()),
            )
        });
    for row in of(Read::ClusterSetDetails) {
        let read = "CDB_OB_BACKUP_SET_DETAILS";
        let set = ClusterBackupSet {
            bs_key: number(row, read, "bs_key")?,
            backup_type: BackupType::parse(&text(row, "backup_type").unwrap_or_default()),
            snapshot: text(row, "snapshot").unwrap_or_default(),
            status: SetDetailStatus::parse(&text(row, "status").unwrap_or_default()),
        };
        live.max_bs_key = live.max_bs_key.max(set.bs_key);
        if let (true, Some(end)) = (
            set.status == SetDetailStatus::Completed,
            text(row, "end_time").filter(|e| !e.is_empty()),
        ) {
            // One text layout (`YYYY-MM-DD HH:MM:SS.ffffff`): the greatest is the newest.
            let newest = live
                .last_completed
                .entry(set.backup_type.clone())
                .or_default();
            if end > *newest {
                *newest = end;
            }
        }
        live.backup_sets.push(set);
    }
    live.backup_sets.sort_by_key(|s| s.bs_key);
    for row in of(Read::ClusterRounds) {
        let shown = |key| text(row, key).filter(|t| !t.is_empty());
        live.rounds.push(ClusterRound {
            round_id: number(row, "CDB_OB_BACKUP_ARCHIVELOG_SUMMARY", "round_id")?,
            status: RoundStatus::parse(&text(row, "status").unwrap_or_default()),
            start: shown("start_time"),
            checkpoint: shown("checkpoint"),
        });
    }
    live.rounds.sort_by_key(|r| r.round_id);
    for row in of(Read::ClusterCopyDests) {
        let piece = number(row, "__all_backup_piece_files", "piece_id")?;
        if let Some(dest) = text(row, "backup_dest").filter(|d| !d.is_empty()) {
            live.copy_dirs
                .push((piece, Destination::from_server(&dest).root().to_string()));
        }
    }
    live.backup_status = of(Read::ClusterBackupStatus)
        .first()
        .and_then(|r| text(r, "backup_status"))
        .map(|s| BackupPhase::parse(&s));
    if let Some((key, _)) = &live.running_backup {
        live.max_bs_key = live.max_bs_key.max(*key);
    }
    Ok(live)
}

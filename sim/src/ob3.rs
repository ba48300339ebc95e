//! The OceanBase 3.x (3.2) dialect: cluster-level backup run from sys.
//!
//! Parameters, option grammars and errors: `shared/reference/oceanbase-backup.md`
//! §1.1, §1.2, §1.6; statements and preconditions §1.3, §1.5; views §1.4. Where
//! the 3.2 operator documents (shared/seeds) and 3.1 CE differ, 3.2 behaves as
//! the seeds say and the 3.1 rule is kept behind the version (for example
//! `backup_backup_dest_option` `log_archive_checkpoint_interval=2h`).

use crate::cluster::{Cluster, Reply, SYS_TENANT_ID, Session};
use crate::destination::Uri;
use crate::error::ObError;
use crate::fixture::Fixture;
use crate::parameter::{parse_capacity, parse_time_us};
use crate::statement::{SetItem, Statement};
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// How a 3.x parameter value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Integer in range.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// Time (µs) in range.
    Time {
        /// Smallest value, µs.
        min_us: u64,
        /// Largest value, µs.
        max_us: u64,
    },
    /// Capacity (bytes) at least `min`.
    Capacity {
        /// Smallest value.
        min: u64,
    },
    /// `true`/`false` (case-insensitive).
    Bool,
    /// A backup destination (§1.2.4), checked by the statement rules.
    Dest,
    /// `backup_dest_option` / `backup_backup_dest_option` (§1.2.2, §1.2.3).
    DestOption {
        /// For `backup_backup_dest_option` (§1.2.3).
        backup_backup: bool,
    },
    /// `backup_log_archive_option` (§1.2.1).
    LogArchiveOption,
    /// Free text.
    Text,
}

/// One 3.x parameter: name, check, default, `info` (§1.1).
pub const PARAMETERS_3X: &[(&str, Check, &str, &str)] = &[
    (
        "auto_delete_expired_backup",
        Check::Bool,
        "False",
        "control if auto delete expired backup",
    ),
    ("backup_backup_dest", Check::Dest, "", "backup backup dest"),
    (
        "backup_backup_dest_option",
        Check::DestOption {
            backup_backup: true,
        },
        "",
        "backup_backup_dest_option",
    ),
    (
        "backup_concurrency",
        Check::Int { min: 0, max: 100 },
        "0",
        "backup concurrency limit. Range: [0, 100] in integer",
    ),
    ("backup_dest", Check::Dest, "", "backup dest"),
    (
        "backup_dest_option",
        Check::DestOption {
            backup_backup: false,
        },
        "",
        "backup_dest_option",
    ),
    (
        "backup_log_archive_option",
        Check::LogArchiveOption,
        "OPTIONAL COMPRESSION=ENABLE",
        "backup log archive option, support MANDATORY/OPTIONAL, COMPRESSION",
    ),
    (
        "backup_net_limit",
        Check::Capacity { min: 0 },
        "0M",
        "backup net limit for whole clusterRange: [0M, max)",
    ),
    (
        "backup_recovery_window",
        Check::Time {
            min_us: 0,
            max_us: u64::MAX,
        },
        "0",
        "backup expired day limit, 0 means not expiredRange: [0, max) in time interval, for example 7d",
    ),
    (
        "backup_region",
        Check::Text,
        "",
        "user suggest backup region",
    ),
    (
        "backup_zone",
        Check::Text,
        "",
        "user suggest backup zone, format like z1,z2;z3,z4;z5",
    ),
    (
        "enable_log_archive",
        Check::Bool,
        "False",
        "control if enable log archive",
    ),
    (
        "gc_wait_archive",
        Check::Bool,
        "True",
        "control whether partition GC need to wait for all partition log be archived",
    ),
    (
        "log_archive_batch_buffer_limit",
        Check::Capacity { min: 4 << 20 },
        "1G",
        "batch buffer limit for log archive, capacity smaller than 1G only for mini mode, Range: [4M, max)",
    ),
    (
        "log_archive_checkpoint_interval",
        Check::Time {
            min_us: 5_000_000,
            max_us: 3_600_000_000,
        },
        "120s",
        "control interval of generating log archive checkpoint for cold partitionRange: [5s, 1h]",
    ),
    (
        "log_archive_concurrency",
        Check::Int {
            min: 0,
            max: i64::MAX,
        },
        "0",
        "concurrency  for log_archive_sender and log_archive_spiterRange: [0, ] in integer",
    ),
    (
        "log_restore_concurrency",
        Check::Int {
            min: 1,
            max: i64::MAX,
        },
        "10",
        "concurrency for log restoringRange: [1, ] in integer",
    ),
];

/// A backup piece (`CDB_OB_BACKUP_PIECE_FILES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// `ROUND_ID`.
    pub round_id: u64,
    /// `BACKUP_PIECE_ID`.
    pub piece_id: u64,
    /// `COPY_ID`.
    pub copy_id: u64,
    /// `STATUS`.
    pub status: String,
    /// `FILE_STATUS`.
    pub file_status: String,
    /// `CREATE_DATE`.
    pub create_date: u64,
    /// `START_TS`, `CHECKPOINT_TS`, `MAX_TS` as shown.
    pub times: (String, String, String),
    /// Where it was written (`__all_backup_piece_files.backup_dest`).
    pub dest: String,
}

/// A backup-backup piece job (`CDB_OB_BACKUP_BACKUPPIECE_JOB`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceJob {
    /// `JOB_ID`.
    pub job_id: u64,
    /// `BACKUP_PIECE_ID` (0 = ALL).
    pub piece_id: u64,
    /// `MAX_BACKUP_TIMES` (-1 without NOT BACKED UP).
    pub max_times: i64,
    /// Copy the active piece too.
    pub with_active: bool,
    /// `STATUS`: SCHEDULE, DOING, CANCEL, FINISH.
    pub status: String,
    /// `BACKUP_DEST`.
    pub dest: String,
    /// `RESULT`.
    pub result: i64,
    /// When the job started.
    pub since: Instant,
}

/// A cluster data backup (3.x), running or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataBackup {
    /// `BS_KEY`.
    pub bs_key: u64,
    /// `D` or `I`.
    pub backup_type: String,
    /// `NONE` or `PASSWORD`.
    pub encryption_mode: String,
    /// Start, simulated ns.
    pub start_ns: u64,
    /// End, simulated ns (None while running).
    pub end_ns: Option<u64>,
    /// `COMPLETED`, `FAILED`, `RUNNING`, `CANCELED`.
    pub status: String,
    /// When it started.
    pub since: Instant,
}

/// A 3.x archive round that has stopped (`CDB_OB_BACKUP_ARCHIVELOG_SUMMARY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastRound {
    /// `LOG_ARCHIVE_ROUND`.
    pub round_id: u64,
    /// `MIN_FIRST_TIME`, simulated ns.
    pub start_ns: u64,
    /// `MAX_NEXT_TIME`, simulated ns.
    pub checkpoint_ns: u64,
}

/// The 3.x state of the cluster.
#[derive(Debug, Clone)]
pub struct ClusterLevel {
    /// Parameters set away from their defaults.
    pub parameters: BTreeMap<String, String>,
    /// Values that differ on one server: (`ip:port`, name) → value.
    pub server_overrides: BTreeMap<(String, String), String>,
    /// Log archive status (`CDB_OB_BACKUP_ARCHIVELOG`).
    pub archive_status: String,
    /// When the status was entered.
    pub archive_since: Instant,
    /// `LOG_ARCHIVE_ROUND`.
    pub round: u64,
    /// When the current round began archiving (`MIN_FIRST_TIME`), simulated
    /// ns; 0 before it reaches DOING.
    pub round_start_ns: u64,
    /// Rounds that stopped, oldest first.
    pub past_rounds: Vec<PastRound>,
    /// How far `MAX_NEXT_TIME` stays behind the clock (ns): a slow or stuck
    /// archive (fixture `archive.lag`).
    pub archive_lag_ns: u64,
    /// Destinations that hold archive data (re-setting one is 9026, §1.5 D1).
    pub archived_dirs: BTreeSet<String>,
    /// Pieces.
    pub pieces: Vec<Piece>,
    /// Round mode (START/STOP BACKUP ARCHIVELOG): status of `CDB_OB_BACKUP_BACKUP_ARCHIVELOG`.
    pub backup_archivelog: Option<String>,
    /// Round-mode copies, by round and destination: OceanBase records them
    /// as piece 0 (v3.1.5_CE_HF2 src/share/backup/ob_log_archive_backup_info_mgr.cpp).
    pub round_copies: Vec<(u64, String)>,
    /// Backup-backup piece jobs, active and finished.
    pub piece_jobs: Vec<PieceJob>,
    /// Cluster data backups.
    pub data_backups: Vec<DataBackup>,
    /// `backup_status` held between sets (fixture `backup_status`): PREPARE,
    /// SCHEDULE, CANCEL or CLEANUP.
    pub held_backup_status: Option<String>,
}

impl ClusterLevel {
    /// Seeds the 3.x state from a fixture.
    pub fn from_fixture(
        fixture: &Fixture,
        cluster_epoch: Instant,
        now_ns: u64,
    ) -> Result<Self, String> {
        let mut parameters = BTreeMap::new();
        for (name, value) in &fixture.parameters {
            find(name).ok_or_else(|| format!("unknown 3.x parameter {name}"))?;
            parameters.insert(name.to_ascii_lowercase(), value.clone());
        }
        let server_overrides = fixture
            .server_parameters
            .iter()
            .map(|p| {
                (
                    (
                        format!("{}:{}", p.svr_ip, p.svr_port),
                        p.name.to_ascii_lowercase(),
                    ),
                    p.value.clone(),
                )
            })
            .collect();
        let (archive_status, round) = fixture
            .archive
            .as_ref()
            .map_or(("STOP".to_string(), 0), |a| (a.status.clone(), a.round_id));
        let mut archived_dirs = BTreeSet::new();
        if let (true, Some(dest)) = (
            round > 0,
            parameters.get("backup_dest").filter(|d| !d.is_empty()),
        ) {
            archived_dirs.insert(Uri::parse(dest).map_err(|e| e.to_string())?.root);
        }
        let param = |name: &str| {
            fixture
                .parameters
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let pieces = fixture
            .pieces
            .iter()
            .map(|p| Piece {
                dest: p.dest.clone().unwrap_or_else(|| {
                    param(if p.copy_id > 0 {
                        "backup_backup_dest"
                    } else {
                        "backup_dest"
                    })
                }),
                round_id: p.round_id,
                piece_id: p.piece_id,
                copy_id: p.copy_id,
                status: p.status.clone(),
                file_status: p.file_status.clone(),
                create_date: p.create_date,
                times: (
                    p.start_ts.clone(),
                    p.checkpoint_ts.clone(),
                    p.max_ts.clone(),
                ),
            })
            .collect();
        let mut data_backups = Vec::new();
        for (i, h) in fixture.backup_history.iter().enumerate() {
            let ago = parse_time_us(&h.ended_ago)
                .ok_or_else(|| format!("ended_ago {:?}", h.ended_ago))?;
            let took = parse_time_us(&h.took).ok_or_else(|| format!("took {:?}", h.took))?;
            let end_ns = now_ns.saturating_sub(ago * 1000);
            data_backups.push(DataBackup {
                bs_key: i as u64 + 1,
                backup_type: h.backup_type.clone(),
                encryption_mode: h.encryption_mode.clone(),
                start_ns: end_ns.saturating_sub(took * 1000),
                end_ns: Some(end_ns),
                status: h.status.clone(),
                since: cluster_epoch,
            });
        }
        let archive_lag_ns = match fixture.archive.as_ref().and_then(|a| a.lag.as_ref()) {
            Some(lag) => parse_time_us(lag).ok_or_else(|| format!("archive lag {lag:?}"))? * 1000,
            None => 0,
        };
        let ago_ns = |what: &str, text: &str| -> Result<u64, String> {
            let us = parse_time_us(text).ok_or_else(|| format!("{what} {text:?}"))?;
            Ok(now_ns.saturating_sub(us * 1000))
        };
        let round_start_ns = match fixture
            .archive
            .as_ref()
            .and_then(|a| a.started_ago.as_ref())
        {
            Some(ago) => ago_ns("archive started_ago", ago)?,
            None => now_ns,
        };
        let past_rounds = fixture
            .archive_history
            .iter()
            .map(|r| {
                Ok(PastRound {
                    round_id: r.round_id,
                    start_ns: ago_ns("archive_history started_ago", &r.started_ago)?,
                    checkpoint_ns: ago_ns("archive_history stopped_ago", &r.stopped_ago)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(ClusterLevel {
            parameters,
            server_overrides,
            archive_status,
            archive_since: cluster_epoch,
            round,
            round_start_ns,
            past_rounds,
            archive_lag_ns,
            archived_dirs,
            pieces,
            backup_archivelog: None,
            round_copies: Vec::new(),
            piece_jobs: Vec::new(),
            data_backups,
            held_backup_status: fixture
                .backup_status
                .clone()
                .filter(|s| !s.eq_ignore_ascii_case("STOP")),
        })
    }

    /// A parameter's value (set or default).
    pub fn value(&self, name: &str) -> String {
        self.parameters.get(name).cloned().unwrap_or_else(|| {
            find(name)
                .map(|(_, _, d, _)| d.to_string())
                .unwrap_or_default()
        })
    }

    fn piece_mode(&self) -> bool {
        option_value(
            &self.value("backup_dest_option"),
            "log_archive_piece_switch_interval",
        )
        .is_some_and(|v| parse_time_us(&v).is_some_and(|us| us > 0))
    }

    /// Whether destination `dest` holds round-mode copies (`round`) or piece
    /// copies (`!round`), compared by root.
    pub fn holds_copies(&self, dest: &str, round: bool) -> bool {
        let Ok(root) = Uri::parse(dest).map(|u| u.root) else {
            return false;
        };
        let same = |d: &str| Uri::parse(d).is_ok_and(|u| u.root == root);
        // Round-mode copies are piece 0.
        let copies = self
            .pieces
            .iter()
            .any(|p| p.copy_id > 0 && (p.piece_id == 0) == round && same(&p.dest));
        copies || (round && self.round_copies.iter().any(|(_, d)| same(d)))
    }

    /// A backup is in progress: a set RUNNING, or `backup_status` anything
    /// but STOP (OceanBase's own test, v3.1.5_CE_HF2
    /// `src/share/backup/ob_backup_info_mgr.cpp`, `check_if_doing_backup`).
    fn data_backup_running(&self) -> bool {
        self.data_backups.iter().any(|b| b.status == "RUNNING") || self.held_backup_status.is_some()
    }

    /// `backup_status` of `__all_tenant_backup_info` for the cluster.
    pub fn backup_status(&self) -> &str {
        if self.data_backups.iter().any(|b| b.status == "RUNNING") {
            "DOING"
        } else {
            self.held_backup_status.as_deref().unwrap_or("STOP")
        }
    }
}

/// Looks a 3.x parameter up.
pub fn find(name: &str) -> Option<&'static (&'static str, Check, &'static str, &'static str)> {
    PARAMETERS_3X
        .iter()
        .find(|p| p.0.eq_ignore_ascii_case(name))
}

fn option_value(options: &str, key: &str) -> Option<String> {
    options.split('&').find_map(|kv| {
        kv.split_once('=')
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    })
}

/// `backup_log_archive_option` (§1.2.1): `=` becomes ` = `, then space-separated
/// words, matched case-insensitively: MANDATORY | OPTIONAL | COMPRESSION = v.
fn check_log_archive_option(value: &str) -> bool {
    let spaced = value.replace('=', " = ");
    let words: Vec<String> = spaced
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "MANDATORY" | "OPTIONAL" => i += 1,
            "COMPRESSION" => {
                if words.get(i + 1).map(String::as_str) != Some("=") {
                    return false;
                }
                match words.get(i + 2).map(String::as_str) {
                    Some("DISABLE" | "ENABLE" | "LZ4_1.0" | "ZSTD_1.3.8") => i += 3,
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
    !words.is_empty()
}

/// `backup_dest_option` / `backup_backup_dest_option` (§1.2.2, §1.2.3).
fn check_dest_option(
    value: &str,
    backup_backup: bool,
    at_3_2: bool,
    busy: bool,
    current: &str,
) -> Result<(), ObError> {
    if value.is_empty() {
        return Ok(());
    }
    if value.contains(' ') {
        return Err(ObError::invalid_argument());
    }
    for pair in value.split('&') {
        let (key, v) = pair.split_once('=').ok_or_else(ObError::invalid_argument)?;
        match key {
            "log_archive_checkpoint_interval" => {
                let us = parse_time_us(v).ok_or_else(ObError::invalid_argument)?;
                // 3.1.5 CE limits both options to [5s, 1h]; the 3.2 documents set
                // `log_archive_checkpoint_interval=2h` on backup_backup_dest_option
                // (seed 002), so 3.2 allows up to a day there (**UNCONFIRMED** bound).
                let max = if backup_backup && at_3_2 {
                    86_400_000_000
                } else {
                    3_600_000_000
                };
                if !(5_000_000..=max).contains(&us) {
                    let range = if backup_backup && at_3_2 {
                        "[5s,1d]"
                    } else {
                        "[5s,1h]"
                    };
                    return Err(ObError::not_supported(Some(&format!(
                        "invalid log_archive_checkpoint_interval out of range {range} is"
                    ))));
                }
            }
            "recovery_window" => {
                parse_time_us(v).ok_or_else(ObError::invalid_argument)?;
            }
            "auto_delete_obsolete_backup" | "auto_update_reserved_backup_timestamp" => {
                if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
                    return Err(ObError::invalid_argument());
                }
            }
            "log_archive_piece_switch_interval" => {
                if backup_backup {
                    return Err(ObError::not_supported(Some(
                        "set piece_switch_interval for backup backup dest is",
                    )));
                }
                let us = parse_time_us(v).ok_or_else(ObError::invalid_argument)?;
                if us != 0 && !(86_400_000_000..=7 * 86_400_000_000).contains(&us) {
                    return Err(ObError::not_supported(Some(
                        "invalid piece_switch_interval out of range [1d,7d] is",
                    )));
                }
                let was_on = option_value(current, key)
                    .and_then(|c| parse_time_us(&c))
                    .is_some_and(|c| c > 0);
                if busy && was_on != (us > 0) {
                    return Err(ObError::not_supported(Some(
                        "change switch piece mode during log archive running is",
                    )));
                }
            }
            "backup_copies" => {
                if v != "0" {
                    return Err(ObError::not_supported(Some(
                        "backup_copies out of range [0,8] is",
                    )));
                }
            }
            _ => return Err(ObError::invalid_argument()),
        }
    }
    Ok(())
}

/// `backup_dest` / `backup_backup_dest` URI (§1.2.4): NFS takes no `?` (1235).
fn check_dest_uri(value: &str) -> Result<Uri, ObError> {
    if value.starts_with("file://") && value.contains('?') {
        return Err(ObError::not_supported(Some(
            "backup device is nfs, setting '?' is",
        )));
    }
    Uri::parse(value)
}

impl Cluster {
    fn cluster_level(&mut self) -> Result<&mut ClusterLevel, ObError> {
        self.line
            .cluster_level_mut()
            .ok_or_else(|| ObError::injected(4016, "Internal error"))
    }

    /// Advances the 3.x asynchronous states: archive BEGINNING → DOING,
    /// STOPPING → STOP (§1.5 A), round mode BEGINNING → DOING, piece jobs
    /// DOING → FINISH (copying pieces), data backups RUNNING → COMPLETED.
    pub(crate) fn tick_ob3(&mut self, now: Instant) {
        let delays = self.delays.clone();
        let stalled = self.stalled.clone();
        let now_ns = self.sim_ns(now);
        let failure = self
            .pending_failures
            .iter()
            .position(|(t, _, _)| *t == SYS_TENANT_ID);
        let Some(state) = self.line.cluster_level_mut() else {
            return;
        };
        let (next, delay) = match state.archive_status.as_str() {
            "BEGINNING" => ("DOING", delays.archive_beginning),
            "STOPPING" => ("STOP", delays.archive_stopping),
            _ => ("", 0),
        };
        let due = state.archive_since + Duration::from_millis(delay);
        if !next.is_empty() && !stalled.contains(&state.archive_status) && now >= due {
            let ns_at = |at: Instant| {
                now_ns.saturating_sub(
                    u64::try_from(now.saturating_duration_since(at).as_nanos()).unwrap_or(0),
                )
            };
            if next == "DOING" {
                state.round_start_ns = ns_at(due);
            } else {
                // STOPPING → STOP: the round joins the history with the last
                // log it archived (when NOARCHIVELOG was given).
                state.past_rounds.push(PastRound {
                    round_id: state.round,
                    start_ns: state.round_start_ns,
                    checkpoint_ns: ns_at(state.archive_since).saturating_sub(state.archive_lag_ns),
                });
            }
            state.archive_status = next.to_string();
            state.archive_since = due;
            if next == "STOP" {
                for p in state
                    .pieces
                    .iter_mut()
                    .filter(|p| p.status == "ACTIVE" && p.copy_id == 0)
                {
                    p.status = "FROZEN".into();
                }
            }
        }
        if state.backup_archivelog.as_deref() == Some("BEGINNING") && now >= state.archive_since {
            state.backup_archivelog = Some("DOING".into());
            let entry = (state.round, state.value("backup_backup_dest"));
            if !state.round_copies.contains(&entry) {
                state.round_copies.push(entry);
            }
        }
        let mut copies = Vec::new();
        for job in state.piece_jobs.iter_mut().filter(|j| j.status == "DOING") {
            if !stalled.contains("DOING")
                && now >= job.since + Duration::from_millis(delays.backup_backup)
            {
                job.status = "FINISH".into();
                copies.push(job.clone());
            }
        }
        for job in copies {
            let originals: Vec<Piece> = state
                .pieces
                .iter()
                .filter(|p| p.copy_id == 0 && p.file_status == "AVAILABLE")
                .filter(|p| p.status == "FROZEN" || (job.with_active && p.status == "ACTIVE"))
                .filter(|p| job.piece_id == 0 || p.piece_id == job.piece_id)
                .cloned()
                .collect();
            for original in originals {
                let existing = state
                    .pieces
                    .iter()
                    .filter(|p| {
                        p.piece_id == original.piece_id
                            && p.round_id == original.round_id
                            && p.copy_id > 0
                    })
                    .count() as i64;
                if job.max_times >= 0 && existing >= job.max_times {
                    continue;
                }
                state.pieces.push(Piece {
                    copy_id: existing as u64 + 1,
                    dest: job.dest.clone(),
                    ..original
                });
            }
        }
        let mut finished = false;
        for b in state
            .data_backups
            .iter_mut()
            .filter(|b| b.status == "RUNNING")
        {
            if !stalled.contains("RUNNING")
                && now >= b.since + Duration::from_millis(delays.backup_running)
            {
                b.status = "COMPLETED".into();
                b.end_ns = Some(now_ns);
                finished = true;
            }
        }
        if let (true, Some(i)) = (finished, failure) {
            let (_, _, _) = self.pending_failures.remove(i);
            if let Some(b) = self
                .line
                .cluster_level_mut()
                .and_then(|v| v.data_backups.last_mut())
            {
                b.status = "FAILED".into();
            }
        }
    }

    /// Applies one statement with 3.x rules. Every backup statement is sys-only (§1.3: 1227).
    pub(crate) fn execute_ob3(
        &mut self,
        session: &mut Session,
        statement: &Statement,
    ) -> Result<Reply, ObError> {
        let sys = session.tenant_id == SYS_TENANT_ID;
        let needs_sys = !matches!(
            statement,
            Statement::Empty
                | Statement::SetSession(_)
                | Statement::Select(_)
                | Statement::ShowParameters { .. }
                | Statement::DeletePolicy { .. }
        );
        if needs_sys && !sys {
            if let Statement::SetEncryption { .. } = statement {
                return Err(ObError::not_supported(None));
            }
            return Err(ObError::no_privilege("ALTER SYSTEM"));
        }
        if needs_sys {
            self.require_alter_system(session)?;
        }
        let at_3_2 = self.at_least(&[3, 2]);
        let now = Instant::now();
        match statement {
            Statement::Empty | Statement::SetSession(_) | Statement::Select(_) => Ok(Reply::Ok(0)),
            // 3.x has no delete policies: its grammar lacks the statement, so
            // it fails to parse (v3.1.5_CE_HF2 `src/sql/parser/sql_parser_mysql_mode.y`).
            Statement::DeletePolicy { add, .. } => Err(ObError::parse(if *add {
                "ADD DELETE BACKUP POLICY"
            } else {
                "DROP DELETE BACKUP POLICY"
            })),
            // `SHOW PARAMETERS … TENANT = x` parses on 3.1 (opt_tenant_name);
            // only sys may name a tenant (5036, shown as 1227), which must
            // exist or be `seed` (5160) (v3.1.5_CE_HF2
            // src/sql/parser/sql_parser_mysql_mode.y,
            // src/sql/resolver/cmd/ob_show_resolver.cpp). The 3.x backup
            // parameters are the cluster's: every tenant shows the same rows.
            Statement::ShowParameters { like, tenant } => {
                if let Some(name) = tenant {
                    if !sys {
                        return Err(ObError::no_privilege("ALTER SYSTEM"));
                    }
                    if !name.eq_ignore_ascii_case("seed") && self.tenant_by_name(name).is_none() {
                        return Err(ObError::invalid_tenant_name());
                    }
                }
                Ok(self.show_parameters_ob3(like.as_deref()))
            }
            Statement::SetEncryption { password } => {
                session.encryption = Some(password.clone());
                Ok(Reply::Ok(0))
            }
            Statement::MinorFreeze => Ok(Reply::Ok(0)),
            Statement::AlterSystemSet(items) => {
                for item in items {
                    self.set_ob3(item, at_3_2)?;
                }
                Ok(Reply::Ok(0))
            }
            Statement::Archivelog { enable, tenants } => {
                if tenants.is_some() {
                    return Err(ObError::parse("TENANT"));
                }
                let state = self.cluster_level()?;
                if *enable {
                    let dest = state.value("backup_dest");
                    if dest.is_empty() {
                        return Err(ObError::invalid_backup_dest());
                    }
                    if state.archive_status != "STOP" {
                        return Err(ObError::not_supported(Some(
                            "start log archive backup when not STOP is",
                        )));
                    }
                    state.archive_status = "BEGINNING".into();
                    state.archive_since = now;
                    state.round += 1;
                    state.round_start_ns = 0;
                    state
                        .parameters
                        .insert("enable_log_archive".into(), "True".into());
                    if let Ok(uri) = Uri::parse(&dest) {
                        state.archived_dirs.insert(uri.root);
                    }
                    if state.piece_mode() {
                        let next = state.pieces.iter().map(|p| p.piece_id).max().unwrap_or(0) + 1;
                        let round = state.round;
                        state.pieces.push(Piece {
                            round_id: round,
                            piece_id: next,
                            copy_id: 0,
                            status: "ACTIVE".into(),
                            file_status: "AVAILABLE".into(),
                            create_date: 20240620,
                            times: (String::new(), String::new(), "MAX".into()),
                            dest: dest.clone(),
                        });
                    }
                } else {
                    if matches!(state.archive_status.as_str(), "STOP" | "STOPPING") {
                        return Err(ObError::already_no_log_archive());
                    }
                    state.archive_status = "STOPPING".into();
                    state.archive_since = now;
                    state
                        .parameters
                        .insert("enable_log_archive".into(), "False".into());
                }
                Ok(Reply::Ok(0))
            }
            Statement::Backup {
                incremental,
                tenants,
                plus_archivelog,
                to,
            } => {
                if tenants.is_some() || *plus_archivelog || *to {
                    // `BACKUP TENANT …`, `PLUS ARCHIVELOG`, `TO '…'` have no 3.1 grammar rule (§1.3).
                    return Err(ObError::parse(if *plus_archivelog {
                        "PLUS ARCHIVELOG"
                    } else {
                        "TENANT"
                    }));
                }
                let now_ns = self.sim_ns(now);
                let state = self.cluster_level()?;
                if state.archive_status != "DOING" {
                    return Err(ObError::backup_can_not_start(&format!(
                        "log archive is not doing. log archive status : {}.",
                        state.archive_status
                    )));
                }
                if state.data_backup_running() {
                    return Err(ObError::backup_in_progress());
                }
                // B4: an incremental with no previous successful backup set is recorded as full.
                let has_base = state.data_backups.iter().any(|b| b.status == "COMPLETED");
                let backup_type = if *incremental && has_base { "I" } else { "D" };
                let bs_key = state
                    .data_backups
                    .iter()
                    .map(|b| b.bs_key)
                    .max()
                    .unwrap_or(0)
                    + 1;
                state.data_backups.push(DataBackup {
                    bs_key,
                    backup_type: backup_type.into(),
                    encryption_mode: if session.encryption.is_some() {
                        "PASSWORD"
                    } else {
                        "NONE"
                    }
                    .into(),
                    start_ns: now_ns,
                    end_ns: None,
                    status: "RUNNING".into(),
                    since: now,
                });
                Ok(Reply::Ok(0))
            }
            Statement::CancelBackup { tenants } => {
                if tenants.is_some() {
                    return Err(ObError::parse("TENANT"));
                }
                let state = self.cluster_level()?;
                // v3.1.5_CE_HF2 src/rootserver/ob_backup_cancel_scheduler.cpp:
                // STOP answers 9049, PREPARE and CLEANUP 9041.
                match state.backup_status() {
                    "STOP" => {
                        return Err(ObError::injected_with_state(
                            9049,
                            "HY000",
                            "backup status is stopped, can not cancel",
                        ));
                    }
                    "PREPARE" | "CLEANUP" => {
                        return Err(ObError::injected_with_state(
                            9041,
                            "HY000",
                            "cancel backup do not allow",
                        ));
                    }
                    _ => {}
                }
                state.held_backup_status = None;
                if let Some(b) = state
                    .data_backups
                    .iter_mut()
                    .find(|b| b.status == "RUNNING")
                {
                    b.status = "CANCELED".into();
                }
                Ok(Reply::Ok(0))
            }
            Statement::BackupArchivelog { start } => {
                let state = self.cluster_level()?;
                // Both directions need backup_backup_dest (1235), and stopping
                // writes PAUSED: v3.1.5_CE_HF2 src/rootserver/ob_root_service.cpp
                // (handle_backup_archive_log) and
                // src/rootserver/backup/ob_backup_archive_log_scheduler.cpp.
                if state.value("backup_backup_dest").is_empty() {
                    return Err(ObError::not_supported(Some(
                        "handle backup archive log with empty backup dest is",
                    )));
                }
                if *start {
                    if state.piece_jobs.iter().any(|j| j.status == "DOING") {
                        return Err(ObError::not_supported(Some(
                            "backup archive log if backup backuppiece job exist is",
                        )));
                    }
                    if state.holds_copies(&state.value("backup_backup_dest"), false) {
                        return Err(ObError::not_supported(Some(
                            "backup archive log in piece data directory is",
                        )));
                    }
                    state.backup_archivelog = Some("BEGINNING".into());
                } else {
                    state.backup_archivelog = Some("PAUSED".into());
                }
                Ok(Reply::Ok(0))
            }
            Statement::BackupBackupPiece {
                piece,
                times,
                with_active,
                dest,
            } => {
                let state = self.cluster_level()?;
                if state
                    .backup_archivelog
                    .as_deref()
                    .is_some_and(|s| !matches!(s, "STOP" | "PAUSED"))
                {
                    return Err(ObError::not_supported(Some(
                        "backup backuppiece in auto mode is",
                    )));
                }
                if *with_active && piece.is_some() {
                    return Err(ObError::not_supported(Some(
                        "cluster level backup backup active piece is",
                    )));
                }
                let configured = state.value("backup_backup_dest");
                if let Some(n) = times {
                    // 3.1.5 CE needs an explicit destination other than the configured one;
                    // the 3.2 documents only require it to be given (seed 002).
                    let same = dest.as_deref().is_some_and(|d| d == configured);
                    if dest.is_none() || (same && !at_3_2) {
                        return Err(ObError::not_supported(Some(&format!(
                            "not backed up {n} times to the backup_backup_dest of sys parameter"
                        ))));
                    }
                }
                let target = dest.clone().unwrap_or(configured);
                if target.is_empty() || state.value("backup_dest").is_empty() {
                    return Err(ObError::not_supported(Some(
                        "backup backuppiece with empty backup dest is",
                    )));
                }
                check_dest_uri(&target)?;
                if state.holds_copies(&target, true) {
                    return Err(ObError::not_supported(Some(
                        "backup backup piece in round mode directory is",
                    )));
                }
                let job_id = state.piece_jobs.iter().map(|j| j.job_id).max().unwrap_or(0) + 1;
                state.piece_jobs.push(PieceJob {
                    job_id,
                    piece_id: piece.unwrap_or(0),
                    max_times: times.map_or(-1, |t| i64::try_from(t).unwrap_or(i64::MAX)),
                    with_active: *with_active,
                    status: "DOING".into(),
                    dest: target,
                    result: 0,
                    since: now,
                });
                Ok(Reply::Ok(0))
            }
            Statement::CancelBackupBackupPiece => {
                let state = self.cluster_level()?;
                for j in state.piece_jobs.iter_mut().filter(|j| j.status == "DOING") {
                    j.status = "CANCEL".into();
                }
                Ok(Reply::Ok(0))
            }
        }
    }

    fn set_ob3(&mut self, item: &SetItem, at_3_2: bool) -> Result<(), ObError> {
        if item.tenant.is_some() {
            return Err(ObError::invalid_config());
        }
        let (name, check, _, _) = *find(&item.name).ok_or_else(ObError::config_unknown)?;
        let value = item.value.text().to_string();
        let state = self.cluster_level()?;
        let busy = state.archive_status != "STOP" || state.data_backup_running();
        match check {
            Check::Int { min, max } => {
                if !value
                    .trim()
                    .parse::<i64>()
                    .is_ok_and(|v| (min..=max).contains(&v))
                {
                    return Err(ObError::invalid_config());
                }
            }
            Check::Time { min_us, max_us } => {
                if !parse_time_us(&value).is_some_and(|v| (min_us..=max_us).contains(&v)) {
                    return Err(ObError::invalid_config());
                }
            }
            Check::Capacity { min } => {
                if parse_capacity(&value).is_none_or(|v| v < min) {
                    return Err(ObError::invalid_config());
                }
            }
            Check::Bool => {
                if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") {
                    return Err(ObError::invalid_config());
                }
                if name == "enable_log_archive"
                    && value.eq_ignore_ascii_case("true")
                    && state.archive_status == "STOP"
                {
                    return Err(ObError::not_supported(Some(
                        "set enable log archive true without archivelog is",
                    )));
                }
            }
            Check::LogArchiveOption => {
                if !check_log_archive_option(&value) {
                    return Err(ObError::invalid_config());
                }
            }
            Check::DestOption { backup_backup } => {
                let current = state.value(name);
                check_dest_option(&value, backup_backup, at_3_2, busy, &current)?;
            }
            Check::Dest if name == "backup_dest" => {
                // D1 (§1.5): not while anything runs; empty clears; a used directory is 9026;
                // backup_backup_dest must be cleared first.
                if busy {
                    return Err(ObError::backup_in_progress());
                }
                if !value.is_empty() {
                    let uri = check_dest_uri(&value)?;
                    if state.archived_dirs.contains(&uri.root) {
                        return Err(ObError::invalid_backup_dest());
                    }
                    if !state.value("backup_backup_dest").is_empty() {
                        return Err(ObError::not_supported(Some(
                            "set backup dest with backup backup dest not empty is",
                        )));
                    }
                }
            }
            Check::Dest => {
                // backup_backup_dest (§1.3).
                if state
                    .backup_archivelog
                    .as_deref()
                    .is_some_and(|s| !matches!(s, "STOP" | "PAUSED"))
                    || state.piece_jobs.iter().any(|j| j.status == "DOING")
                {
                    return Err(ObError::backup_in_progress());
                }
                if !value.is_empty() {
                    if state.value("backup_dest").is_empty() {
                        return Err(ObError::not_supported(Some(
                            "set backup backup dest with empty backup dest is",
                        )));
                    }
                    if value.starts_with("cos://") {
                        return Err(ObError::not_supported(Some("backup backup on cos storage")));
                    }
                    let uri = check_dest_uri(&value)?;
                    let main = Uri::parse(&state.value("backup_dest"))
                        .map(|u| u.root)
                        .unwrap_or_default();
                    // Only an empty directory (v3.1.5_CE_HF2
                    // ob_alter_system_resolver.cpp check_backup_backup_dest,
                    // checked even when the value is the current one).
                    if uri.root == main
                        || state.archived_dirs.contains(&uri.root)
                        || state.holds_copies(&value, true)
                        || state.holds_copies(&value, false)
                    {
                        return Err(ObError::invalid_backup_dest());
                    }
                }
            }
            Check::Text => {}
        }
        state.parameters.insert(name.to_string(), value);
        Ok(())
    }

    /// `SHOW PARAMETERS [LIKE …]` on 3.x: 12 columns, one row per server (§0.4, §1.7).
    fn show_parameters_ob3(&self, like: Option<&str>) -> Reply {
        use crate::protocol::{Column, ColumnType};
        let names = [
            "zone",
            "svr_type",
            "svr_ip",
            "svr_port",
            "name",
            "data_type",
            "value",
            "info",
            "section",
            "scope",
            "source",
            "edit_level",
        ];
        let columns = names
            .iter()
            .map(|n| Column {
                name: (*n).to_string(),
                kind: if *n == "svr_port" {
                    ColumnType::BigInt
                } else {
                    ColumnType::Varchar
                },
            })
            .collect();
        let mut rows = Vec::new();
        let Some(state) = self.line.cluster_level() else {
            return Reply::Rows { columns, rows };
        };
        for server in &self.servers {
            let key = format!("{}:{}", server.svr_ip, server.svr_port);
            for (name, _, _, info) in PARAMETERS_3X
                .iter()
                .filter(|p| like.is_none_or(|l| crate::cluster::like_match(l, p.0)))
            {
                let value = state
                    .server_overrides
                    .get(&(key.clone(), name.to_string()))
                    .cloned()
                    .unwrap_or_else(|| state.value(name));
                rows.push(vec![
                    Some(server.zone.clone()),
                    Some("observer".into()),
                    Some(server.svr_ip.clone()),
                    Some(server.svr_port.to_string()),
                    Some((*name).into()),
                    None,
                    Some(value),
                    Some((*info).into()),
                    Some("OBSERVER".into()),
                    Some("CLUSTER".into()),
                    Some("DEFAULT".into()),
                    Some("DYNAMIC_EFFECTIVE".into()),
                ]);
            }
        }
        Reply::Rows { columns, rows }
    }
}

/// `PASSWD`-like digest of a password, never the password itself.
pub fn digest(password: &str) -> String {
    Sha1::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_archive_option_grammar() {
        assert!(check_log_archive_option("mandatory compression= lz4_1.0"));
        assert!(check_log_archive_option("OPTIONAL COMPRESSION=ZSTD_1.3.8"));
        assert!(check_log_archive_option("compression = disable"));
        assert!(!check_log_archive_option("optional compression"));
        assert!(!check_log_archive_option("sometimes"));
        assert!(!check_log_archive_option("compression= gzip"));
    }

    #[test]
    fn dest_option_rules() {
        let ok = "log_archive_checkpoint_interval=2m&recovery_window=7d&auto_delete_obsolete_backup=true&log_archive_piece_switch_interval=1d";
        assert!(check_dest_option(ok, false, true, false, "").is_ok());
        assert_eq!(
            check_dest_option("recovery_window=7d&x=1", false, true, false, "")
                .expect_err("key")
                .code,
            1210
        );
        assert_eq!(
            check_dest_option("recovery_window=7d &x", false, true, false, "")
                .expect_err("space")
                .code,
            1210
        );
        assert_eq!(
            check_dest_option("log_archive_checkpoint_interval=2h", false, true, false, "")
                .expect_err("range")
                .code,
            1235
        );
        assert!(
            check_dest_option("log_archive_checkpoint_interval=2h", true, true, false, "").is_ok(),
            "3.2 backup-backup takes 2h"
        );
        assert_eq!(
            check_dest_option("log_archive_checkpoint_interval=2h", true, false, false, "")
                .expect_err("3.1")
                .code,
            1235
        );
        assert_eq!(
            check_dest_option(
                "log_archive_piece_switch_interval=1d",
                false,
                true,
                true,
                ""
            )
            .expect_err("mode switch")
            .message,
            "change switch piece mode during log archive running is not supported"
        );
    }
}

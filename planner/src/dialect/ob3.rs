//! The OceanBase 3.x dialect: cluster-level backup from sys. The desired
//! state of the `cluster` block, the live state read with the 3.x reads of
//! [`crate::sql::Read::CLUSTER_LEVEL`], their diff, and the steps (minor freeze before
//! ARCHIVELOG, backup-backup in round or piece mode). Behaviour from
//! v3.1.5_CE_HF2 (`src/rootserver/ob_log_archive_scheduler.cpp`,
//! `src/sql/resolver/cmd/ob_alter_system_resolver.cpp`,
//! `src/share/backup/ob_backup_scheduler.cpp`); where 3.2 differs, from the
//! OceanBase 3.2 operator documents.
//!
//! Addresses are `cluster.<path>`; steps cover the scope `cluster`, so the
//! same-scope rules of [`crate::rules`] order them.

use crate::address::Scope;
use crate::change::{self, Address, Change, Compare, Observed, Parameter, Setting, Wanted};
use crate::config::{Attribute, Config, Value};
use crate::desired::{Environment, Located};
use crate::destination::Destination;
use crate::diagnostic::{ConfigError, span};
use crate::dialect::BackupSequence;
use crate::dialect::capability::{Build, Capability};
use crate::ignore::Ignores;
use crate::live::LiveState;
use crate::live::{InspectError, Row, parse_timestamp};
use crate::oneshot::{OneShotError, Request};
use crate::plan::{Options, Planned, Timeouts};
use crate::sql::PieceCopy;
use crate::sql::{self, Read, Target};
use crate::states::{
    BackupPhase, BackupType, FileStatus, PieceStatus, RoundStatus, SetDetailStatus,
};
use crate::step::{Hazard, HazardKind, Step, StepAction, StepId, StepKind, Wait, WaitUntil};
use crate::units::Duration;
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Range;

/// The scope cluster-level steps cover.
pub const CLUSTER: &str = "cluster";

/// Plans the `cluster` block of `config` against a 3.x cluster: tenant blocks
/// and defaults are errors (backup is cluster-wide), the block is resolved
/// and diffed, freshness checked, drift accepted by `ignores`, and the steps
/// made.
///
/// Errors: every configuration problem found, at once.
pub fn plan(
    config: &Config,
    live: &LiveState,
    cluster: &LiveCluster,
    env: &Environment,
    options: &Options,
    ignores: &mut Ignores<'_>,
    notes: &mut Vec<String>,
) -> Result<Planned, Vec<ConfigError>> {
    let mut errors = wrong_line(config);
    let desired = resolve(config, env, &mut errors);
    let build = Build::parse(&live.server.ob_version).unwrap_or(Build([3, 2, 0, 0]));
    errors.extend(build_errors(config, &desired, build));
    let mut all = change::changes(compared(&desired, cluster));
    let now = live.now();
    if now.is_none() && crate::freshness::declared(&desired.data_backup) {
        notes.push("the server did not report NOW(): backup freshness was not checked".into());
    }
    if let Some(now) = now {
        let stale = crate::freshness::violations(
            &Scope::Cluster,
            &desired.data_backup,
            cluster.newest(),
            now,
        );
        match cluster.backup_in_progress() {
            Some(busy) if !stale.is_empty() => notes.push(format!(
                "{busy}: no other backup is planned; freshness is checked again when it ends"
            )),
            _ => all.extend(stale),
        }
        all.sort_by(|a, b| a.address.cmp(&b.address));
    }
    let (changes, mut accepted) = ignores.split(all, notes);
    let mut breaches: Vec<Change> = match (now, &desired.max_lag, &cluster.archive_status) {
        (Some(now), Some(limit), Some(status)) => crate::health::round_lag(
            &Scope::Cluster,
            limit,
            cluster.round,
            status,
            cluster.checkpoint.as_deref(),
            now,
        )
        .into_iter()
        .collect(),
        _ => Vec::new(),
    };
    if let Some(now) = now
        && (desired.data_backup.max_rpo.is_some() || desired.data_backup.min_window.is_some())
    {
        let offset = live.utc_offset().unwrap_or(0);
        let r = crate::recovery::assess(
            crate::recovery::windows_ob3(cluster, offset),
            offset,
            Some(now),
        );
        breaches.extend(crate::recovery::breaches(
            &Scope::Cluster,
            &desired.data_backup,
            &r,
        ));
    }
    let (breaches, breaches_accepted) = ignores.split(breaches, notes);
    accepted.extend(breaches_accepted);
    if !errors.is_empty() {
        return Err(errors);
    }

    let steps = steps(&desired, cluster, build, &changes, options, notes)?;
    Ok(Planned {
        changes,
        steps,
        accepted,
        breaches,
    })
}

/// The settings 3.x build `build` cannot take, with the configuration
/// resolved by [`resolve`] (its own problems are reported there), for
/// `validate` without a cluster.
pub fn check_build(config: &Config, env: &Environment, build: Build) -> Vec<ConfigError> {
    let mut reported_elsewhere = Vec::new();
    let desired = resolve(config, env, &mut reported_elsewhere);
    build_errors(config, &desired, build)
}

/// What a 3.1 build refuses and 3.2 takes.
fn build_errors(config: &Config, desired: &DesiredCluster, build: Build) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    if let Some(copies) = desired.bb_copies.as_ref().filter(|c| c.value > 1)
        && !Capability::PieceCopiesBeyondOne.on(build)
    {
        errors.push(ConfigError::NotOnBuild {
            feature: format!("backup_backup.pieces.copies = {}", copies.value),
            first: "3.2".into(),
            build: build.to_string(),
            span: span(&copies.span),
            help: "OceanBase 3.1 copies pieces only to the configured backup_backup_dest, once (NOT BACKED UP n TIMES to it answers 1235): declare copies = 1".into(),
        });
    }
    // 3.1 limits backup_backup_dest_option's checkpoint interval to [5s, 1h]
    // (v3.1.5_CE_HF2 src/sql/resolver/cmd/ob_alter_system_resolver.cpp,
    // check_backup_dest_opt, 1235 outside); the 3.2 documents set 2h.
    if let (Some(interval), Some(at)) = (
        desired.bb_checkpoint,
        config
            .cluster
            .get("backup_backup.log_archive_checkpoint_interval"),
    ) && !Capability::LongBackupBackupCheckpoint.on(build)
        && interval.0 > 3_600_000_000
    {
        errors.push(ConfigError::NotOnBuild {
            feature: format!(
                "backup_backup.log_archive_checkpoint_interval = {}",
                interval.canonical()
            ),
            first: "3.2".into(),
            build: build.to_string(),
            span: span(&at.span),
            help: "OceanBase 3.1 accepts 5s .. 1h here (1235 outside): declare 1h or less".into(),
        });
    }
    errors
}

/// Blocks of the 4.x line found while planning for 3.x: tenant blocks and
/// tenant defaults (3.x archives and backs up every tenant together). A 4.x
/// delete policy gets its own error: 3.x has no delete policies (no such rule
/// in v3.1.5_CE_HF2 `src/sql/parser/sql_parser_mysql_mode.y`); its retention
/// is the cluster's `backup_dest_option` (`recovery_window`,
/// `auto_delete_obsolete_backup`: `ObBackupDestOpt`,
/// `src/share/backup/ob_backup_struct.cpp`), which cleans the whole cluster
/// by a rule of its own (`src/rootserver/ob_backup_data_clean.cpp`), so a
/// per-tenant window cannot map onto it.
pub fn wrong_line(config: &Config) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let policies = config
        .tenants
        .iter()
        .map(|t| &t.settings)
        .chain(std::iter::once(&config.defaults))
        .filter_map(|s| s.data_backup.get("delete_policy.recovery_window"))
        .chain(
            config
                .cluster
                .get("data_backup.delete_policy.recovery_window"),
        );
    for window in policies {
        errors.push(ConfigError::WrongLine {
            message: "delete_policy: OceanBase 3.x has no delete policies (they arrived in 4.0.0); retention is cluster-wide there".into(),
            span: span(&window.span),
            label: "4.x only".into(),
            help: "3.x cleans obsolete backups of the whole cluster: in the cluster block, declare backup_dest_option with recovery_window (the window) and auto_delete_obsolete_backup = true".into(),
        });
    }
    for block in &config.tenants {
        errors.push(ConfigError::WrongLine {
            message: format!("tenant \"{}\": on OceanBase 3.x backup is cluster-wide and tenant blocks do not apply", block.name),
            span: span(&block.span),
            label: "4.x only".into(),
            help: "move log_archive and data_backup into cluster { … }: 3.x archives and backs up every tenant together".into(),
        });
    }
    let defaults = &config.defaults;
    if let Some(s) = defaults
        .log_archive
        .values()
        .chain(
            defaults
                .data_backup
                .iter()
                .filter(|(key, _)| !key.starts_with("delete_policy."))
                .map(|(_, s)| s),
        )
        .next()
    {
        errors.push(ConfigError::WrongLine {
            message:
                "defaults: on OceanBase 3.x backup is cluster-wide and tenant defaults do not apply"
                    .into(),
            span: span(&s.span),
            label: "4.x only".into(),
            help: "move these settings into cluster { log_archive { … } data_backup { … } }".into(),
        });
    }
    errors
}

/// The evaluated `cluster` block of a 3.x configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredCluster {
    /// `backup_dest`.
    pub backup_dest: Option<Located<Destination>>,
    /// `backup_dest_option` keys → canonical values (written whole).
    pub backup_dest_option: Option<Located<BTreeMap<String, String>>>,
    /// `backup_concurrency`.
    pub backup_concurrency: Option<i64>,
    /// `log_archive.enabled`.
    pub enabled: Option<bool>,
    /// Where `log_archive.enabled` is written (the `cluster` block when it is not).
    pub enabled_at: Range<usize>,
    /// `log_archive.mode` / `compression` (either declared makes both managed).
    pub mode: Option<String>,
    /// Compression, normalised (`enable` is `lz4_1.0`).
    pub compression: Option<String>,
    /// `log_archive.minor_freeze_before_start` (default true, as seed 000 advises).
    pub minor_freeze: bool,
    /// `backup_backup.destination`.
    pub bb_dest: Option<Located<Destination>>,
    /// `backup_backup.log_archive_checkpoint_interval`.
    pub bb_checkpoint: Option<Duration>,
    /// `backup_backup.archivelog` (round mode).
    pub bb_archivelog: Option<bool>,
    /// Where `backup_backup.archivelog` is written (the `cluster` block when it is not).
    pub bb_archivelog_at: Range<usize>,
    /// `backup_backup.pieces.copies` (piece mode).
    pub bb_copies: Option<Located<i64>>,
    /// Data backup policy (`data_backup { full, incremental, encryption }`).
    pub data_backup: crate::desired::DataBackup,
    /// `log_archive.max_lag`: how far the archive checkpoint may be behind (a policy).
    pub max_lag: Option<Located<Duration>>,
    /// The `cluster` block: where an error about the block as a whole points.
    pub declared_at: Range<usize>,
}

impl DesiredCluster {
    /// The SQL literal to write for a parameter-backed setting: `backup_concurrency`,
    /// `backup_dest_option` and `backup_backup_dest_option` (written whole), and
    /// `backup_log_archive_option` (mode and compression together) for
    /// `log_archive.mode` or `log_archive.compression`.
    pub fn parameter_literal(&self, setting: Setting) -> Option<String> {
        match setting {
            Setting::BackupConcurrency => self.backup_concurrency.map(sql::int_literal),
            Setting::BackupDestOption => self
                .backup_dest_option
                .as_ref()
                .map(|o| sql::quote(&render_option(&o.value))),
            Setting::BackupBackupCheckpointInterval => self.bb_checkpoint.map(|interval| {
                let map: BTreeMap<String, String> = [(
                    "log_archive_checkpoint_interval".to_string(),
                    interval.canonical(),
                )]
                .into();
                sql::quote(&render_option(&map))
            }),
            Setting::LogArchiveMode | Setting::LogArchiveCompression => {
                match (&self.mode, &self.compression) {
                    (Some(mode), Some(compression)) => {
                        Some(sql::quote(&format!("{mode} compression= {compression}")))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn get<'a>(settings: &'a BTreeMap<String, Attribute>, key: &str) -> Option<&'a Attribute> {
    settings.get(key)
}

/// Normalises a compression name: `enable` means LZ4 (§1.2.1).
fn compression_name(text: &str) -> String {
    match text.to_ascii_lowercase().as_str() {
        "enable" => "lz4_1.0".into(),
        other => other.to_string(),
    }
}

/// Evaluates the `cluster` block for a 3.x server.
pub fn resolve(
    config: &Config,
    env: &Environment,
    errors: &mut Vec<ConfigError>,
) -> DesiredCluster {
    let c = &config.cluster;
    // Same evaluation and credential rules as tenant destinations; `${tenant.name}`
    // stands for `cluster` here.
    let dest = |key: &str, errors: &mut Vec<ConfigError>| -> Option<Located<Destination>> {
        crate::desired::destination(get(c, key)?, key, CLUSTER, env, errors)
    };
    let mut option = BTreeMap::new();
    let mut option_span: Option<Range<usize>> = None;
    for (key, setting) in c
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("backup_dest_option.").map(|k| (k, v)))
    {
        option_span.get_or_insert_with(|| setting.span.clone());
        let text = match &setting.value {
            Value::Duration(d) => d.canonical(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        if let (true, Value::Duration(d)) =
            (key == "log_archive_piece_switch_interval", &setting.value)
            && d.0 != 0
            && !(86_400_000_000..=7 * 86_400_000_000).contains(&d.0)
        {
            errors.push(ConfigError::InvalidValue {
                attribute: key.into(),
                value: crate::config::quoted_excerpt(&text),
                valid: "0 (no piece switching) or 1d .. 7d".into(),
                span: span(&setting.span),
            });
        }
        option.insert(key.to_string(), text);
    }
    let bool_of = |key: &str| match get(c, key).map(|s| &s.value) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    };
    let choice = |key: &str| match get(c, key).map(|s| &s.value) {
        Some(Value::Choice(v)) => Some(v.clone()),
        _ => None,
    };
    let (mode, compression) = match (
        choice("log_archive.mode"),
        choice("log_archive.compression"),
    ) {
        (None, None) => (None, None),
        // `backup_log_archive_option` keeps fields not mentioned, so both are always written (§1.2.1).
        (m, z) => (
            Some(m.unwrap_or_else(|| "optional".into())),
            Some(compression_name(&z.unwrap_or_else(|| "disable".into()))),
        ),
    };
    let copies = get(c, "backup_backup.pieces.copies").and_then(|s| match s.value {
        Value::Int(n) => Some(Located {
            value: n,
            span: s.span.clone(),
        }),
        _ => None,
    });
    let bb_archivelog = bool_of("backup_backup.archivelog");
    if let (Some(true), Some(copies)) = (bb_archivelog, &copies) {
        errors.push(ConfigError::Exclusive {
            message: "backup_backup: round mode (archivelog = true) and piece mode (pieces) exclude each other".into(),
            span: span(&copies.span),
            label: "piece mode here".into(),
            help: "choose one: the OceanBase 3.x documents recommend piece mode (BACKUP BACKUPPIECE) over START BACKUP ARCHIVELOG".into(),
        });
    }
    let duration = |key: &str| {
        get(c, key).and_then(|s| match &s.value {
            Value::Duration(d) => Some(Located {
                value: *d,
                span: s.span.clone(),
            }),
            _ => None,
        })
    };
    let at = |key: &str| get(c, key).map_or(config.cluster_span.clone(), |s| s.span.clone());
    let encryption = get(c, "data_backup.encryption.password")
        .and_then(|s| crate::desired::encryption(s, env, errors))
        .filter(|e| {
            // 3.x copies the password into `set @__ob_backup_encryption_passwd__
            // = '%.*s'` of its own, unquoted: a ' breaks that statement and a \
            // changes the password (v3.1.5_CE_HF2
            // src/sql/engine/cmd/ob_alter_system_executor.cpp,
            // ObBackupSetEncryptionExecutor::execute; 4.x sets the variable
            // directly).
            let unsafe_char = e.value.password.expose().contains(['\'', '\\']);
            if unsafe_char {
                errors.push(ConfigError::InvalidValue {
                    attribute: "data_backup.encryption.password".into(),
                    value: format!("env(\"{}\")", e.value.env),
                    valid: "on OceanBase 3.x the backup password may not contain ' or \\: the server copies it into a statement of its own without escaping them; choose a password without them".into(),
                    span: span(&e.span),
                });
            }
            !unsafe_char
        });
    DesiredCluster {
        backup_dest: dest("backup_dest", errors),
        backup_dest_option: option_span.map(|s| Located {
            value: option,
            span: s,
        }),
        backup_concurrency: get(c, "backup_concurrency").and_then(|s| {
            if let Value::Int(n) = s.value {
                Some(n)
            } else {
                None
            }
        }),
        enabled: bool_of("log_archive.enabled"),
        enabled_at: at("log_archive.enabled"),
        mode,
        compression,
        minor_freeze: bool_of("log_archive.minor_freeze_before_start").unwrap_or(true),
        bb_dest: dest("backup_backup.destination", errors),
        bb_checkpoint: duration("backup_backup.log_archive_checkpoint_interval").map(|d| d.value),
        bb_archivelog,
        bb_archivelog_at: at("backup_backup.archivelog"),
        bb_copies: copies,
        max_lag: duration("log_archive.max_lag"),
        declared_at: config.cluster_span.clone(),
        data_backup: crate::desired::DataBackup {
            full_max_age: duration("data_backup.full.max_age"),
            incremental_max_age: duration("data_backup.incremental.max_age"),
            encryption,
            max_rpo: duration("data_backup.recoverability.max_rpo"),
            min_window: duration("data_backup.recoverability.min_window"),
            ..Default::default()
        },
    }
}

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

fn text(row: &Row, key: &str) -> Option<String> {
    row.get(key).cloned().flatten()
}

fn number(row: &Row, read: &str, key: &str) -> Result<u64, InspectError> {
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

fn render_option(map: &BTreeMap<String, String>) -> String {
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
fn destination_observed(current: Option<&str>) -> Observed {
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

fn step(
    action: StepAction,
    verb: &str,
    kind: StepKind,
    addresses: Vec<Address>,
    hazards: Vec<Hazard>,
) -> Step {
    Step {
        id: StepId::cluster(verb),
        action,
        kind,
        tenant: None,
        covers: vec![CLUSTER.into()],
        addresses,
        hazards,
        depends_on: Vec::new(),
        session: Vec::new(),
        timeout_seconds: None,
    }
}

fn sql_step(
    action: StepAction,
    verb: &str,
    sql: sql::SqlText,
    addresses: Vec<Address>,
    hazards: Vec<Hazard>,
) -> Step {
    step(action, verb, StepKind::Sql(sql), addresses, hazards)
}

/// The steps that make the 3.x changes, with §1.5's preconditions.
pub fn steps(
    want: &DesiredCluster,
    live: &LiveCluster,
    build: Build,
    changes: &[Change],
    options: &Options,
    notes: &mut Vec<String>,
) -> Result<Vec<Step>, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let addrs = |pred: &dyn Fn(Setting) -> bool| -> Vec<Address> {
        changes
            .iter()
            .filter(|c| pred(c.setting()))
            .map(|c| c.address.clone())
            .collect()
    };
    let has = |s: Setting| changes.iter().any(|c| c.setting() == s);
    let dest_changes = has(Setting::BackupDest);
    let want_archive = want.enabled.unwrap_or(live.archiving());
    let round_mode_on = live.round_mode_on();
    let bb_set = live
        .value("backup_backup_dest")
        .is_some_and(|v| !v.is_empty());
    let piece_mode_switch = has(Setting::BackupDestOption)
        && want.backup_dest_option.as_ref().is_some_and(|o| {
            let on = |m: &BTreeMap<String, String>| {
                m.get("log_archive_piece_switch_interval")
                    .is_some_and(|v| Duration::parse(v).is_some_and(|d| d.0 > 0))
            };
            on(&o.value)
                != on(&parse_option(
                    live.value("backup_dest_option").unwrap_or(""),
                ))
        });
    // ARCHIVELOG is refused (4007) unless the round is STOP (v3.1.5_CE_HF2
    // src/rootserver/ob_log_archive_scheduler.cpp, the start handler): a
    // STOPPING round that must start again is waited for first.
    let stopping_then_start = want_archive && live.archive_status == Some(RoundStatus::Stopping);
    if stopping_then_start {
        notes.push(
            "cluster: the archive round is STOPPING: ARCHIVELOG waits for it to stop (OceanBase refuses to start a round that is not STOP)".into(),
        );
    }
    // D1: backup_dest (and a piece-mode switch) only while archive and data backup are STOP.
    let stop_needed = ((dest_changes || piece_mode_switch)
        && live
            .archive_status
            .as_ref()
            .is_some_and(|s| *s != RoundStatus::Stop))
        || has(Setting::LogArchiveRound)
        || (has(Setting::LogArchiveEnabled) && !want_archive)
        || stopping_then_start;
    if let (true, Some(busy)) = (dest_changes, live.backup_in_progress()) {
        let at = want
            .backup_dest
            .as_ref()
            .map_or(want.declared_at.clone(), |d| d.span.clone());
        errors.push(ConfigError::Blocked {
            message: format!(
                "{busy}: backup_dest cannot change until it ends (OceanBase answers 9036)"
            ),
            span: span(&at),
            label: "changes backup_dest".into(),
            help:
                "wait for the backup, or cancel it with `obbackup backup cancel`, then plan again"
                    .into(),
        });
    }
    let wait = |statuses: Vec<RoundStatus>, timeout: u64| {
        StepKind::Wait(Wait {
            until: WaitUntil::ArchiveStatus { statuses },
            query: sql::CLUSTER_ARCHIVE_STATUS_QUERY.into(),
            timeout_seconds: timeout,
            tenant_id: None,
        })
    };
    for (setting, parameter, verb) in [
        (
            Setting::BackupConcurrency,
            Parameter::BackupConcurrency,
            "set_backup_concurrency",
        ),
        (
            Setting::BackupDestOption,
            Parameter::BackupDestOption,
            "set_backup_dest_option",
        ),
        (
            Setting::BackupBackupCheckpointInterval,
            Parameter::BackupBackupDestOption,
            "set_backup_backup_dest_option",
        ),
    ] {
        if let (Some(c), Some(literal)) = (
            changes.iter().find(|c| c.setting() == setting),
            want.parameter_literal(setting),
        ) {
            out.push(sql_step(
                StepAction::SetParameter(parameter),
                verb,
                sql::set_parameter(parameter.name(), &literal, &Target::Own),
                vec![c.address.clone()],
                Vec::new(),
            ));
        }
    }
    let option_changes =
        addrs(&|s| matches!(s, Setting::LogArchiveMode | Setting::LogArchiveCompression));
    if let (true, Some(literal)) = (
        !option_changes.is_empty(),
        want.parameter_literal(Setting::LogArchiveMode),
    ) {
        out.push(sql_step(
            StepAction::SetParameter(Parameter::BackupLogArchiveOption),
            "set_backup_log_archive_option",
            sql::set_parameter("backup_log_archive_option", &literal, &Target::Own),
            option_changes,
            Vec::new(),
        ));
    }
    if stop_needed {
        let address = addrs(&|s| {
            matches!(
                s,
                Setting::BackupDest
                    | Setting::LogArchiveEnabled
                    | Setting::LogArchiveRound
                    | Setting::BackupDestOption
            )
        });
        let hazards = if want_archive {
            vec![Hazard {
                kind: HazardKind::ArchiveGap,
                message: "the cluster's log archive stops and a new round starts later: no point-in-time restore across the gap — take a full backup afterwards".into(),
            }]
        } else {
            Vec::new()
        };
        if live.archiving() {
            out.push(sql_step(
                StepAction::NoArchivelog,
                "noarchivelog",
                sql::archivelog(false, &Target::Own),
                address.clone(),
                hazards,
            ));
        }
        out.push(step(
            StepAction::WaitArchiveStop,
            "wait_archive_stop",
            wait(vec![RoundStatus::Stop], options.timeouts.archive_stop),
            address,
            Vec::new(),
        ));
    }
    let bb_address =
        addrs(&|s| matches!(s, Setting::BackupBackupDestination | Setting::BackupDest));
    if dest_changes {
        // backup_backup_dest must be empty while backup_dest changes (§1.5 D1.5), and round mode off first.
        if bb_set {
            if round_mode_on {
                out.push(sql_step(
                    StepAction::StopRoundMode,
                    "stop_backup_archivelog",
                    sql::round_mode(false),
                    bb_address.clone(),
                    Vec::new(),
                ));
            }
            out.push(sql_step(
                StepAction::ClearBackupBackupDest,
                "clear_backup_backup_dest",
                sql::set_backup_dest("backup_backup_dest", None),
                bb_address.clone(),
                Vec::new(),
            ));
        }
        if let Some(d) = &want.backup_dest {
            out.push(sql_step(
                StepAction::SetBackupDest,
                "set_backup_dest",
                sql::set_backup_dest("backup_dest", Some(&d.value)),
                addrs(&|s| s == Setting::BackupDest),
                Vec::new(),
            ));
        }
    }
    let bb_dest_after = want.bb_dest.as_ref().map(|d| d.value.clone()).or_else(|| {
        live.value("backup_backup_dest")
            .filter(|v| !v.is_empty())
            .map(Destination::from_server)
    });
    let (round_copies, piece_copies) = bb_dest_after.as_ref().map_or((false, false), |d| {
        (live.round_mode_copies(d), live.piece_copies(d))
    });
    // The backup-backup destination as written, else the backup_dest that
    // makes it be set again.
    let bb_span = want
        .bb_dest
        .as_ref()
        .or(want.backup_dest.as_ref())
        .map_or(want.declared_at.clone(), |d| d.span.clone());
    // OceanBase sets backup_backup_dest only to an empty directory
    // (9026; v3.1.5_CE_HF2 src/sql/resolver/cmd/ob_alter_system_resolver.cpp,
    // check_backup_backup_dest), and a backup_dest change clears it and sets
    // it again.
    let sets_bb = has(Setting::BackupBackupDestination) || (dest_changes && bb_set);
    if sets_bb && (round_copies || piece_copies) {
        errors.push(ConfigError::Blocked {
            message: if dest_changes {
                "backup_dest changes, so backup_backup_dest is cleared and set again, and OceanBase then takes only an empty directory: this one holds backup-backup copies (9026)"
            } else {
                "OceanBase sets backup_backup_dest only to an empty directory: this one holds backup-backup copies (9026)"
            }
            .into(),
            span: span(&bb_span),
            label: "the same backup-backup directory".into(),
            help: "declare a new, empty backup_backup.destination together with the new backup_dest".into(),
        });
    }
    if let (true, Some(d)) = (sets_bb, &bb_dest_after) {
        if round_mode_on && !dest_changes {
            out.push(sql_step(
                StepAction::StopRoundMode,
                "stop_backup_archivelog",
                sql::round_mode(false),
                bb_address.clone(),
                Vec::new(),
            ));
        }
        out.push(sql_step(
            StepAction::SetBackupBackupDest,
            "set_backup_backup_dest",
            sql::set_backup_dest("backup_backup_dest", Some(d)),
            bb_address.clone(),
            Vec::new(),
        ));
    }
    let restart = stop_needed && want_archive;
    let start_archive = (want_archive && !live.archiving()) || restart;
    if start_archive {
        let has_dest =
            want.backup_dest.is_some() || live.value("backup_dest").is_some_and(|v| !v.is_empty());
        if !has_dest {
            errors.push(ConfigError::Requires {
                message: "log_archive.enabled = true needs backup_dest: ARCHIVELOG fails with 9026 without it".into(),
                span: span(&want.enabled_at),
                label: "archiving turned on here".into(),
                help: "declare cluster { backup_dest = \"…\" }".into(),
            });
        }
        let address = addrs(&|s| {
            matches!(
                s,
                Setting::LogArchiveEnabled | Setting::LogArchiveRound | Setting::BackupDest
            )
        });
        if want.minor_freeze {
            out.push(sql_step(
                StepAction::MinorFreeze,
                "minor_freeze",
                sql::minor_freeze(),
                address.clone(),
                Vec::new(),
            ));
        }
        out.push(sql_step(
            StepAction::Archivelog,
            "archivelog",
            sql::archivelog(true, &Target::Own),
            address.clone(),
            Vec::new(),
        ));
        out.push(step(
            StepAction::WaitArchiveDoing,
            "wait_archive_doing",
            wait(vec![RoundStatus::Doing], options.timeouts.archive_doing),
            address,
            Vec::new(),
        ));
    }
    let restart_round_mode =
        (dest_changes && bb_set && round_mode_on && want.bb_archivelog != Some(false))
            || (want.bb_archivelog == Some(true) && !round_mode_on);
    if restart_round_mode {
        // Round mode refuses a directory holding piece copies (1235
        // "backup archive log in piece data directory"; v3.1.5_CE_HF2
        // src/rootserver/ob_root_service.cpp, handle_backup_archive_log).
        if piece_copies {
            errors.push(ConfigError::Blocked {
                message: "round mode copies into backup_backup_dest, which holds piece copies: OceanBase refuses to mix the two in one directory (1235)".into(),
                span: span(&want.bb_archivelog_at),
                label: "round mode here".into(),
                help: "declare a new, empty backup_backup.destination for round mode".into(),
            });
        }
        if bb_dest_after.is_none() {
            errors.push(ConfigError::Requires {
                message: "backup_backup.archivelog = true needs backup_backup.destination (OceanBase answers 1235)".into(),
                span: span(&want.bb_archivelog_at),
                label: "round mode here".into(),
                help: "declare backup_backup { destination = \"…\" }".into(),
            });
        }
        out.push(sql_step(
            StepAction::StartRoundMode,
            "start_backup_archivelog",
            sql::round_mode(true),
            addrs(&|s| s == Setting::BackupBackupArchivelog),
            Vec::new(),
        ));
    } else if want.bb_archivelog == Some(false)
        && round_mode_on
        && !out.iter().any(|s| s.action == StepAction::StopRoundMode)
    {
        out.push(sql_step(
            StepAction::StopRoundMode,
            "stop_backup_archivelog",
            sql::round_mode(false),
            addrs(&|s| s == Setting::BackupBackupArchivelog),
            Vec::new(),
        ));
    }
    if let (true, Some(copies)) = (has(Setting::BackupBackupPieces), &want.bb_copies) {
        // Piece copies refuse a directory holding round-mode copies (1235
        // "backup backup piece in round mode directory"; same source,
        // handle_backup_backuppiece).
        if round_copies {
            errors.push(ConfigError::Blocked {
                message: "piece copies go to backup_backup_dest, which holds round-mode copies: OceanBase refuses to mix the two in one directory (1235)".into(),
                span: span(&copies.span),
                label: "piece mode here".into(),
                help: "declare a new, empty backup_backup.destination for piece copies".into(),
            });
        }
        match &bb_dest_after {
            Some(d) => {
                if round_mode_on && !out.iter().any(|s| s.action == StepAction::StopRoundMode) {
                    out.push(sql_step(
                        StepAction::StopRoundMode,
                        "stop_backup_archivelog",
                        sql::round_mode(false),
                        addrs(&|s| s == Setting::BackupBackupPieces),
                        Vec::new(),
                    ));
                }
                let address = addrs(&|s| s == Setting::BackupBackupPieces);
                out.push(sql_step(
                    StepAction::CopyPieces,
                    "backup_backuppiece",
                    if Capability::PieceCopiesBeyondOne.on(build) {
                        sql::copy_pieces(PieceCopy::NotBackedUp {
                            times: copies.value,
                            dest: d,
                        })
                    } else {
                        sql::copy_pieces(PieceCopy::AllToConfigured)
                    },
                    address.clone(),
                    Vec::new(),
                ));
                out.push(step(
                    StepAction::WaitPieceJobs,
                    "wait_backuppiece_job",
                    StepKind::Wait(Wait {
                        until: WaitUntil::NoPieceJobs,
                        query: sql::CLUSTER_PIECE_JOBS_QUERY.into(),
                        timeout_seconds: options.timeouts.backup_run,
                        tenant_id: None,
                    }),
                    address,
                    Vec::new(),
                ));
            }
            None => errors.push(ConfigError::Requires {
                message: "backup_backup.pieces needs backup_backup.destination".into(),
                span: span(&copies.span),
                label: "piece mode here".into(),
                help: "declare backup_backup { destination = \"…\" }".into(),
            }),
        }
    }
    // Cluster data backups (§1.5 B): archive DOING first, one at a time, encryption in the session.
    let backup_addresses =
        addrs(&|s| matches!(s, Setting::DataBackupFull | Setting::DataBackupIncremental));
    if !backup_addresses.is_empty() {
        // A round still BEGINNING reaches DOING by itself (v3.1.5_CE_HF2
        // src/rootserver/ob_log_archive_scheduler.cpp): the backup waits for it.
        let beginning = live.archive_status == Some(RoundStatus::Beginning) && !stop_needed;
        if beginning && !start_archive {
            notes
                .push("cluster: the archive round is BEGINNING: the backup waits for DOING".into());
            out.push(step(
                StepAction::WaitArchiveDoing,
                "wait_archive_doing",
                wait(vec![RoundStatus::Doing], options.timeouts.archive_doing),
                backup_addresses.clone(),
                Vec::new(),
            ));
        }
        let doing_at_backup = (live.archive_status == Some(RoundStatus::Doing) && !stop_needed)
            || start_archive
            || beginning;
        if !doing_at_backup {
            let at = want
                .data_backup
                .full_max_age
                .as_ref()
                .or(want.data_backup.incremental_max_age.as_ref())
                .map_or(want.declared_at.clone(), |l| l.span.clone());
            errors.push(ConfigError::Blocked {
                message: format!("a cluster backup needs the log archive DOING, but it is {}", live.archive_status.as_ref().map_or("never started", RoundStatus::as_str)),
                span: span(&at),
                label: "backup policy here".into(),
                help: "declare cluster { log_archive { enabled = true } } (OceanBase refuses the backup with 9040 `log archive is not doing`)".into(),
            });
        } else {
            let full = backup_addresses
                .iter()
                .any(|a| a.setting == Setting::DataBackupFull);
            let incremental = !full && live.last_completed.contains_key(&BackupType::Full);
            if !full && !incremental {
                notes.push("cluster: the incremental is planned as a full backup: there is no successful backup set (OceanBase records such an incremental as a full backup)".into());
            }
            out.extend(
                BackupSequence {
                    scope: &Scope::Cluster,
                    addresses: backup_addresses,
                    incremental,
                    statement: sql::backup(incremental, &[], true, false),
                    encryption: want.data_backup.encryption.as_ref().map(|e| &e.value),
                    jobs: (sql::cluster_backup_query(live.max_bs_key), live.max_bs_key),
                    tenant_id: None,
                }
                .steps(options),
            );
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The cluster as 3.x reads it for `status`: archive mode and round,
/// newest backups, the backup in progress ([`running`]), restore windows by
/// the 3.x restore rules ([`crate::recovery::windows_ob3`], on the server
/// clock `offset`), and with a declaration its data backup policy and a
/// breached `max_lag`. 3.x has no delete policy of this kind.
pub fn status_reading<'a>(
    cluster: &LiveCluster,
    desired: Option<&'a DesiredCluster>,
    now: Option<i64>,
    offset: i64,
) -> crate::status::ScopeReading<'a> {
    let lag = match (
        desired.and_then(|d| d.max_lag.as_ref()),
        now,
        &cluster.archive_status,
    ) {
        (Some(limit), Some(now), Some(status)) => crate::health::round_lag(
            &Scope::Cluster,
            limit,
            cluster.round,
            status,
            cluster.checkpoint.as_deref(),
            now,
        ),
        _ => None,
    };
    crate::status::ScopeReading {
        scope: Scope::Cluster,
        log_mode: if cluster.archiving() {
            "ARCHIVELOG"
        } else {
            "NOARCHIVELOG"
        }
        .into(),
        archive_status: cluster.archive_status.as_ref().map(ToString::to_string),
        checkpoint: cluster.checkpoint.clone(),
        newest: cluster.newest(),
        running_jobs: running(cluster),
        windows: crate::recovery::windows_ob3(cluster, offset),
        delete_policy: None,
        cleanup_jobs: Vec::new(),
        cleanup_failure: None,
        policy: desired.map(|d| &d.data_backup),
        lag,
    }
}

/// The cluster's backup in progress: the running set
/// (`CDB_OB_BACKUP_PROGRESS`), or — before a set runs or while it is cleaned
/// up — the phase alone (`backup_status`), with job id 0 and no type.
fn running(cluster: &LiveCluster) -> Vec<crate::status::RunningJob> {
    use crate::status::RunningJob;
    let phase = cluster
        .backup_status
        .clone()
        .filter(|s| *s != BackupPhase::Stop);
    match (&cluster.running_backup, phase) {
        (Some((key, kind)), phase) => vec![RunningJob {
            job_id: *key,
            backup_type: kind.to_string(),
            status: phase.unwrap_or(BackupPhase::Doing).to_string(),
            progress_percent: None,
        }],
        (None, Some(phase)) => vec![RunningJob {
            job_id: 0,
            backup_type: String::new(),
            status: phase.to_string(),
            progress_percent: None,
        }],
        (None, None) => Vec::new(),
    }
}

/// The 3.x export ([`crate::export`]): the `cluster` block with `version` and
/// every managed setting the cluster has (reference §1); credentials become
/// `env()` references added to `env`.
pub fn export_block(live: &LiveCluster, version: &str, env: &mut Vec<String>) -> String {
    use crate::export::{destination, hcl_string};
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "\ncluster {{\n  version = {}", hcl_string(version));
    let set = |name: &str| live.value(name).filter(|v| !v.is_empty());
    if let Some(dest) = set("backup_dest") {
        let _ = writeln!(
            out,
            "  backup_dest = {}",
            destination("cluster", &Destination::from_server(dest), env)
        );
    }
    if let Some(option) = set("backup_dest_option") {
        out.push_str("  backup_dest_option {\n");
        for (key, value) in parse_option(option) {
            let rendered = if value == "true" || value == "false" {
                value
            } else {
                hcl_string(&value)
            };
            let _ = writeln!(out, "    {key} = {rendered}");
        }
        out.push_str("  }\n");
    }
    if let Some(n) = set("backup_concurrency").and_then(|v| v.trim().parse::<i64>().ok()) {
        let _ = writeln!(out, "  backup_concurrency = {n}");
    }
    let (mode, compression) =
        parse_log_archive_option(live.value("backup_log_archive_option").unwrap_or(""));
    let _ = writeln!(
        out,
        "  log_archive {{\n    enabled = {}\n    mode = {}\n    compression = {}\n  }}",
        live.archiving(),
        hcl_string(&mode),
        hcl_string(&compression)
    );
    out.push_str("  backup_backup {\n");
    if let Some(dest) = set("backup_backup_dest") {
        let _ = writeln!(
            out,
            "    destination = {}",
            destination(
                "cluster_backup_backup",
                &Destination::from_server(dest),
                env
            )
        );
    }
    if let Some(interval) = set("backup_backup_dest_option")
        .and_then(|o| parse_option(o).remove("log_archive_checkpoint_interval"))
    {
        let _ = writeln!(
            out,
            "    log_archive_checkpoint_interval = {}",
            hcl_string(&interval)
        );
    }
    let _ = writeln!(out, "    archivelog = {}", live.round_mode_on());
    out.push_str("  }\n}\n");
    out
}
/// The 3.x request: one cluster backup (`BACKUP [INCREMENTAL] DATABASE`) or
/// `CANCEL BACKUP` (9049 when nothing runs is "nothing to cancel", §1.3).
pub fn oneshot_steps(
    live: &LiveState,
    cluster: &crate::dialect::ob3::LiveCluster,
    request: &Request,
    timeouts: Timeouts,
    notes: &mut Vec<String>,
) -> Result<Vec<Step>, OneShotError> {
    let mut steps = Vec::new();
    let cluster_step = |action, verb: &str, kind| {
        Step::new(
            StepId::cluster(verb),
            action,
            kind,
            None,
            crate::dialect::ob3::CLUSTER,
        )
    };
    match request {
        Request::Backup {
            incremental,
            tenants,
            plus_archivelog,
            follow,
        } => {
            if !tenants.is_empty() {
                return Err(OneShotError::NotReady {
                    tenant: tenants.join(", "),
                    why: "OceanBase 3.x backs up the whole cluster".into(),
                    help: "leave out --tenant: OceanBase 3.x backs up the whole cluster".into(),
                });
            }
            if *plus_archivelog {
                return Err(OneShotError::PlusArchivelog(live.server.ob_version.clone()));
            }
            let not_ready = |why: String, help: &str| OneShotError::NotReady {
                tenant: crate::dialect::ob3::CLUSTER.into(),
                why,
                help: help.into(),
            };
            if cluster.archive_status != Some(RoundStatus::Doing) {
                return Err(not_ready(
                    format!(
                        "the log archive is {}, not DOING",
                        cluster
                            .archive_status
                            .as_ref()
                            .map_or("never started", RoundStatus::as_str)
                    ),
                    "start log archiving first (OceanBase answers 9040)",
                ));
            }
            if let Some(busy) = cluster.backup_in_progress() {
                return Err(not_ready(
                    busy,
                    "wait for it, or cancel it (OceanBase answers 9036)",
                ));
            }
            if *incremental && !cluster.last_completed.contains_key(&BackupType::Full) {
                notes.push("cluster: no successful backup set: OceanBase records this incremental as a full backup".into());
            }
            let verb = if *incremental {
                "backup_incremental"
            } else {
                "backup_full"
            };
            steps.push(cluster_step(
                StepAction::Backup,
                verb,
                StepKind::Sql(sql::backup(*incremental, &[], true, false)),
            ));
            if *follow {
                let wait = Wait {
                    until: WaitUntil::BackupJob {
                        after_job_id: cluster.max_bs_key,
                        follow: true,
                        expect_password: false,
                    },
                    query: sql::cluster_backup_query(cluster.max_bs_key),
                    timeout_seconds: timeouts.backup_run,
                    tenant_id: None,
                };
                steps.push(cluster_step(
                    StepAction::WaitBackupJob,
                    "wait_backup_job",
                    StepKind::Wait(wait),
                ));
            }
        }
        Request::Cancel { tenants, follow } => {
            if !tenants.is_empty() {
                return Err(OneShotError::NotReady {
                    tenant: tenants.join(", "),
                    why: "OceanBase 3.x backs up the whole cluster".into(),
                    help: "leave out --tenant".into(),
                });
            }
            // v3.1.5_CE_HF2 src/rootserver/ob_backup_cancel_scheduler.cpp:
            // STOP answers 9049, PREPARE and CLEANUP 9041.
            if let Some(phase @ (BackupPhase::Prepare | BackupPhase::Cleanup)) =
                &cluster.backup_status
            {
                return Err(OneShotError::NotReady {
                    tenant: crate::dialect::ob3::CLUSTER.into(),
                    why: format!("the cluster backup is in {phase}"),
                    help: "OceanBase cannot cancel a backup in PREPARE or CLEANUP (9041): wait for it to end or to start its set".into(),
                });
            }
            if cluster.backup_in_progress().is_none() {
                notes.push(
                    "nothing to cancel: no backup is running (OceanBase would answer 9049)".into(),
                );
            } else {
                steps.push(cluster_step(
                    StepAction::CancelBackup,
                    "cancel_backup",
                    StepKind::Sql(sql::cancel_backup(&Target::Own)),
                ));
                if *follow {
                    let wait = Wait {
                        until: WaitUntil::NoBackupJobs,
                        query: sql::CLUSTER_RUNNING_BACKUP_QUERY.into(),
                        timeout_seconds: timeouts.backup_jobs,
                        tenant_id: None,
                    };
                    steps.push(cluster_step(
                        StepAction::WaitBackupJobsGone,
                        "wait_backup_jobs_gone",
                        StepKind::Wait(wait),
                    ));
                }
            }
        }
    }
    Ok(steps)
}

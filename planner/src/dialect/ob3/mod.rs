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

mod compare;
mod export;
mod live;
mod oneshot;
mod resolve;
mod status;

use compare::render_option;
pub use compare::{compared, parse_log_archive_option, parse_option};
pub use export::export_block;
pub use live::{ClusterBackupSet, ClusterRound, LiveCluster, LivePiece, from_rows};
pub use oneshot::oneshot_steps;
use resolve::compression_name;
pub use resolve::{DesiredCluster, resolve};
pub use status::status_reading;

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
    let mut breaches: Vec<Change> = cluster
        .lag_breach(desired.max_lag.as_ref(), now)
        .into_iter()
        .collect();
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
    // Round mode stops before backup_backup_dest is cleared or set (the
    // rule round_mode_stopped_before_backup_backup_dest orders it).
    let clears_bb = dest_changes && bb_set;
    let sets_bb_to = bb_dest_after.as_ref().filter(|_| sets_bb);
    let stops_round_mode_for_bb = round_mode_on && (clears_bb || sets_bb_to.is_some());
    if stops_round_mode_for_bb {
        out.push(sql_step(
            StepAction::StopRoundMode,
            "stop_backup_archivelog",
            sql::round_mode(false),
            bb_address.clone(),
            Vec::new(),
        ));
    }
    if let Some(d) = sets_bb_to {
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
    // Round mode stopped for a backup-backup destination change starts again
    // unless it is declared off.
    let restart_round_mode = (stops_round_mode_for_bb && want.bb_archivelog != Some(false))
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

//! The OceanBase 4.x dialect: tenant-level backup. From sys every user tenant
//! is managed with `TENANT = …` clauses and the `CDB_` views; from a user
//! tenant, that tenant alone, without TENANT clauses. Steps per tenant follow
//! the archive and backup state machines of v4.2.2_CE_BP1
//! `src/rootserver/backup/ob_archive_scheduler_service.cpp` and
//! `ob_backup_data_scheduler.cpp`; the ordering is the rules' ([`crate::rules`]).

use crate::address::{Address, Scope, Setting};
use crate::change::{self, Change, Compare, Parameter};
use crate::config::{Attribute, Config, TenantBlock, Value};
use crate::desired::{
    self, DataBackup, DesiredState, DesiredTenant, Environment, Located, LogArchive, as_bool,
    as_choice, as_duration, as_int, destination, encryption, located_duration, merged,
};
use crate::destination::Destination;
use crate::diagnostic::{ConfigError, span};
use crate::dialect::BackupSequence;
use crate::dialect::capability::{Build, Capability};
use crate::ignore::Ignores;
use crate::live::{
    BackupSetFile, InspectError, LiveState, LiveTenant, Row, UsableSets, parse_timestamp,
};
use crate::oneshot::{OneShotError, Request, tenants};
use crate::plan::{Options, Planned, Timeouts};
use crate::sql::{self, Read, Target};
use crate::states::{
    BackupType, DestState, FileStatus, JobStatus, PieceStatus, RoundStatus, SetStatus,
};
use crate::step::{Hazard, HazardKind, Step, StepAction, StepId, StepKind, Wait, WaitUntil};
use crate::units::Duration;
use std::collections::{BTreeMap, BTreeSet};

mod compare;
mod export;
mod live;
mod oneshot;
mod resolve;
mod status;

pub use compare::{archive_dest_rewritten, compared};
pub use export::export_blocks;
pub use live::from_rows;
pub use oneshot::oneshot_steps;
pub use resolve::resolve;
pub use status::status_readings;

/// Plans the tenant blocks of `config` against a 4.x cluster: resolves the
/// desired tenants, diffs each NORMAL tenant (settings and freshness), lets
/// `ignores` accept drift per tenant, and makes the steps.
///
/// Errors: every configuration problem found (unknown tenants, settings of
/// the 3.x line, unresolvable values, backups that cannot run), at once.
pub fn plan(
    config: &Config,
    live: &LiveState,
    env: &Environment,
    options: &Options,
    ignores: &mut Ignores<'_>,
    notes: &mut Vec<String>,
) -> Result<Planned, Vec<ConfigError>> {
    let mut errors = check_fit(config, live);
    errors.extend(wrong_line(config));
    if let Some(build) = Build::parse(&live.server.ob_version) {
        errors.extend(check_build(config, build));
    }
    let tenants = live.tenants();
    let managed: Vec<String> = if live.server.sys_login() {
        tenants.keys().cloned().collect()
    } else {
        tenants
            .keys()
            .filter(|n| **n == live.server.login_tenant)
            .cloned()
            .collect()
    };
    let desired = match resolve(config, &managed, env) {
        Ok(d) => d,
        Err(e) => {
            errors.extend(e);
            DesiredState::default()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let now = live.now();
    let complement_log = live.server.takes(Capability::ComplementLogRestore);
    if now.is_none()
        && desired
            .tenants
            .values()
            .any(|d| crate::freshness::declared(&d.data_backup))
    {
        notes.push("the server did not report NOW(): backup freshness was not checked".into());
    }
    if now.is_none()
        && desired.tenants.values().any(|d| {
            d.log_archive.max_lag.is_some()
                || d.data_backup.max_rpo.is_some()
                || d.data_backup.min_window.is_some()
        })
    {
        notes.push(
            "the server did not report NOW(): archive lag and recoverability were not checked"
                .into(),
        );
    }
    let mut planned = Planned {
        changes: Vec::with_capacity(4 * desired.tenants.len()),
        steps: Vec::with_capacity(4 * desired.tenants.len()),
        accepted: Vec::new(),
        breaches: Vec::new(),
    };
    for (name, want) in &desired.tenants {
        let Some(have) = tenants.get(name) else {
            continue;
        };
        if have.status != crate::states::TenantStatus::Normal {
            notes.push(format!(
                "tenant {name} is {}: not planned until it is NORMAL",
                have.status
            ));
            continue;
        }
        let mut all = change::changes(compared(name, want, have));
        if let Some(now) = now {
            let scope = Scope::Tenant(name.clone());
            let mut breaches: Vec<Change> =
                crate::health::archive_lag(&scope, &want.log_archive, have, now)
                    .into_iter()
                    .collect();
            if want.data_backup.max_rpo.is_some() || want.data_backup.min_window.is_some() {
                let r = crate::recovery::assess(
                    crate::recovery::windows(have, complement_log),
                    live.utc_offset().unwrap_or(0),
                    Some(now),
                );
                breaches.extend(crate::recovery::breaches(&scope, &want.data_backup, &r));
            }
            let (kept, accepted) = ignores.split(breaches, notes);
            planned.accepted.extend(accepted);
            planned.breaches.extend(kept);
            let stale = crate::freshness::violations(&scope, &want.data_backup, have.newest(), now);
            // A running job that this plan cancels (the data destination
            // changes) does not hold the backup back: it is due after.
            let cancelled = all
                .iter()
                .any(|c| c.setting() == Setting::DataBackupDestination);
            let running = have.backup_jobs.first().filter(|_| !cancelled);
            match (running, have.cluster_job) {
                (Some(job), _) if !stale.is_empty() => notes.push(format!(
                    "tenant {name}: backup job {} ({} {}) is running: no other backup is planned; freshness is checked again when it ends",
                    job.job_id, job.backup_type, job.status
                )),
                (None, Some(job)) if !stale.is_empty() => notes.push(format!(
                    "tenant {name}: a backup started from sys (cluster job {job}) is under way: no other backup is planned; freshness is checked again when it ends"
                )),
                _ => all.extend(stale),
            }
            all.sort_by(|a, b| a.address.cmp(&b.address));
        }
        let (kept, accepted) = ignores.split(all, notes);
        planned.accepted.extend(accepted);
        planned.steps.extend(tenant_steps(
            name,
            want,
            have,
            &kept,
            live,
            options.timeouts,
            notes,
        ));
        planned.changes.extend(kept);
    }
    let Planned { changes, steps, .. } = &mut planned;
    let parameters = parameter_steps(changes, &desired, live, notes);
    steps.extend(parameters);
    let backups = backup_steps(changes, &desired, live, steps, options, notes)?;
    steps.extend(backups);
    Ok(planned)
}

/// Settings of the other server line, found while planning for 4.x: the 3.x
/// cluster-level settings (backup-backup was removed in 4.x, reference §2.1.1)
/// and archive compression.
pub fn wrong_line(config: &Config) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (key, setting) in &config.cluster {
        let head = key.split('.').next().unwrap_or(key).to_string();
        if !seen.insert(head.clone()) {
            continue;
        }
        let (message, help) = if head == "backup_backup" {
            (
                "backup_backup belongs to OceanBase 3.x: backup-backup was removed in 4.x".to_string(),
                "remove it; on 4.x copy backups with your storage's replication (OceanBase 4.x has no BACKUP BACKUPSET or backup_backup_dest)".to_string(),
            )
        } else {
            (
                format!("cluster.{head} is an OceanBase 3.x cluster-level setting; the server runs 4.x"),
                "on 4.x backup is per tenant: declare log_archive and data_backup in defaults or tenant blocks".to_string(),
            )
        };
        errors.push(ConfigError::WrongLine {
            message,
            span: span(&setting.span),
            label: "3.x only".into(),
            help,
        });
    }
    let blocks =
        std::iter::once(&config.defaults).chain(config.tenants.iter().map(|t| &t.settings));
    for settings in blocks {
        if let Some(c) = settings.log_archive.get("compression") {
            errors.push(ConfigError::WrongLine {
                message: "log_archive.compression is OceanBase 3.x's backup_log_archive_option; the server runs 4.x".into(),
                span: span(&c.span),
                label: "3.x only".into(),
                help: "remove it: LOG_ARCHIVE_DEST on 4.x has no compression attribute".into(),
            });
        }
    }
    errors
}

/// Settings the build cannot take, by [`crate::dialect::capability`]: each is an error at the
/// attribute, naming the build and the first build that takes it. Also what
/// `validate --server-version` checks.
pub fn check_build(config: &Config, build: Build) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let blocks =
        std::iter::once(&config.defaults).chain(config.tenants.iter().map(|t| &t.settings));
    for settings in blocks {
        let mut refuse = |capability: Capability, at: &Attribute, help: &str| {
            if !capability.on(build) {
                errors.push(ConfigError::NotOnBuild {
                    feature: capability.fact().what.to_string(),
                    first: capability.first().to_string(),
                    build: build.to_string(),
                    span: span(&at.span),
                    help: help.to_string(),
                });
            }
        };
        if let Some(at) = settings.log_archive.get("lag_target") {
            refuse(
                Capability::ArchiveLagTarget,
                at,
                "remove lag_target for this cluster: the parameter archive_lag_target does not exist there (SET answers 5099)",
            );
        }
        if let Some(at) = settings.log_archive.get("concurrency")
            && matches!(at.value, Value::Int(0))
        {
            refuse(
                Capability::AutomaticLogArchiveConcurrency,
                at,
                "declare 1 .. 100 on this build: its log_archive_concurrency range is [1, 100] (0 answers 4147)",
            );
        }
        if let Some(at) = settings.data_backup.get("file_size") {
            refuse(
                Capability::TenantBackupDataFileSize,
                at,
                "remove file_size: on this build backup_data_file_size is a cluster parameter, set for every tenant at once (a TENANT clause answers 5099)",
            );
        }
        if let Some(at) = settings.data_backup.get("plus_archivelog")
            && matches!(at.value, Value::Bool(true))
        {
            refuse(
                Capability::PlusArchivelog,
                at,
                "remove plus_archivelog (this build answers 1235 `plus archive is not supported`)",
            );
        }
    }
    errors
}

/// Checks that the file fits the cluster: named tenants exist, a user-tenant
/// login names only itself.
fn check_fit(config: &Config, live: &LiveState) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let known: Vec<&str> = live.tenants().keys().map(String::as_str).collect();
    for block in config.tenants.iter().filter(|t| t.name != "*") {
        if !live.server.sys_login() && block.name != live.server.login_tenant {
            errors.push(ConfigError::OutOfReach {
                login: live.server.login_tenant.clone(),
                tenant: block.name.clone(),
                span: span(&block.span),
            });
        } else if !live.tenants().contains_key(&block.name) {
            errors.push(ConfigError::UnknownTenant {
                name: block.name.clone(),
                span: span(&block.span),
                help: crate::diagnostic::suggest(&block.name, &known),
            });
        }
    }
    errors
}

fn target(live: &LiveState, tenant: &str) -> Target {
    if live.server.sys_login() {
        Target::Tenant(tenant.to_string())
    } else {
        Target::Own
    }
}

struct StepBuilder<'a> {
    tenant: &'a str,
    steps: Vec<Step>,
}

impl StepBuilder<'_> {
    fn add(
        &mut self,
        action: StepAction,
        verb: &str,
        kind: StepKind,
        addresses: Vec<Address>,
        hazards: Vec<Hazard>,
    ) {
        self.steps.push(Step {
            id: StepId::tenant(self.tenant, verb),
            action,
            kind,
            tenant: Some(self.tenant.to_string()),
            covers: vec![self.tenant.to_string()],
            addresses,
            hazards,
            depends_on: Vec::new(),
            session: Vec::new(),
            timeout_seconds: None,
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn tenant_steps(
    name: &str,
    want: &DesiredTenant,
    have: &LiveTenant,
    changes: &[Change],
    live: &LiveState,
    timeouts: Timeouts,
    notes: &mut Vec<String>,
) -> Vec<Step> {
    let tgt = target(live, name);
    let sys = live.server.sys_login();
    let addrs = |pred: fn(Setting) -> bool| -> Vec<Address> {
        changes
            .iter()
            .filter(|c| pred(c.setting()))
            .map(|c| c.address.clone())
            .collect()
    };
    let mut b = StepBuilder {
        tenant: name,
        steps: Vec::new(),
    };
    let la = &want.log_archive;
    let dest_addresses = addrs(Setting::in_archive_dest);
    let dest_changed = !dest_addresses.is_empty();
    let enabled_change = changes
        .iter()
        .any(|c| c.setting() == Setting::LogArchiveEnabled);
    let restart_round = changes
        .iter()
        .any(|c| c.setting() == Setting::LogArchiveRound);
    let want_archive = la.enabled.unwrap_or(have.archivelog());
    let round = have.round_status();
    let round_busy = round.is_some_and(|s| *s != RoundStatus::Stop);
    let state_after = la.state.clone().unwrap_or_else(|| {
        if dest_changed {
            DestState::Enable
        } else {
            have.archive_dest
                .as_ref()
                .map_or(DestState::Enable, |d| d.state.clone())
        }
    });
    let will_have_dest = la.destination.is_some() || have.archive_dest.is_some();
    let wait = |statuses: Vec<RoundStatus>, timeout| {
        StepKind::Wait(Wait {
            until: WaitUntil::ArchiveStatus { statuses },
            query: sql::archive_status_query(sys, have.id),
            timeout_seconds: timeout,
            tenant_id: sys.then_some(have.id),
        })
    };
    let stop_needed =
        (dest_changed && round_busy) || restart_round || (enabled_change && !want_archive);
    let gap = |why: &str| Hazard {
        kind: HazardKind::ArchiveGap,
        message: format!(
            "archiving of tenant {name} stops {why}: the new round starts later, so no point-in-time restore is possible across the gap — take a full backup afterwards"
        ),
    };
    if stop_needed {
        let mut address =
            addrs(|s| s == Setting::LogArchiveEnabled || s == Setting::LogArchiveRound);
        if dest_changed && round_busy {
            address.extend(dest_addresses.iter().cloned());
        }
        let hazards = if want_archive {
            vec![gap(if restart_round {
                "to restart the INTERRUPTED round"
            } else {
                "while the destination changes"
            })]
        } else {
            Vec::new()
        };
        if have.archivelog() {
            b.add(
                StepAction::NoArchivelog,
                "noarchivelog",
                StepKind::Sql(sql::archivelog(false, &tgt)),
                address.clone(),
                hazards,
            );
        }
        b.add(
            StepAction::WaitArchiveStop,
            "wait_archive_stop",
            wait(vec![RoundStatus::Stop], timeouts.archive_stop),
            address,
            Vec::new(),
        );
    }
    if let (true, Some(dest)) = (dest_changed, &la.destination) {
        let mode = la.mode.clone().unwrap_or_else(|| "OPTIONAL".into());
        let piece = la
            .piece_switch_interval
            .map_or_else(|| "1d".to_string(), |d| d.canonical());
        b.add(
            StepAction::SetArchiveDest,
            "set_log_archive_dest",
            StepKind::Sql(sql::set_log_archive_dest(&dest.value, &mode, &piece, &tgt)),
            dest_addresses.clone(),
            Vec::new(),
        );
    }
    if let Some(state) = &la.state
        && changes
            .iter()
            .any(|c| c.setting() == Setting::LogArchiveState)
    {
        b.add(
            StepAction::SetArchiveDestState,
            "set_log_archive_dest_state",
            StepKind::Sql(sql::set_log_archive_dest_state(state, &tgt)),
            addrs(|s| s == Setting::LogArchiveState),
            Vec::new(),
        );
    }
    let mode_off_after_stop = stop_needed && have.archivelog();
    let archivelog_needed = want_archive && (!have.archivelog() || mode_off_after_stop);
    if archivelog_needed {
        let address = addrs(|s| s == Setting::LogArchiveEnabled || s == Setting::LogArchiveRound);
        b.add(
            StepAction::Archivelog,
            "archivelog",
            StepKind::Sql(sql::archivelog(true, &tgt)),
            address,
            Vec::new(),
        );
    }
    let round_starts = archivelog_needed
        || (want_archive && dest_changed)
        || (want_archive
            && state_after == DestState::Enable
            && changes
                .iter()
                .any(|c| c.setting() == Setting::LogArchiveState));
    if round_starts && want_archive {
        if !will_have_dest {
            notes.push(format!("tenant {name}: archive mode goes on, but no destination is declared or set: archiving starts once log_archive.destination is set"));
        } else if state_after == DestState::Defer {
            notes.push(format!(
                "tenant {name}: destination state DEFER: the archive round stays suspended"
            ));
        } else {
            let address = addrs(|s| {
                matches!(
                    s,
                    Setting::LogArchiveEnabled
                        | Setting::LogArchiveRound
                        | Setting::LogArchiveState
                ) || s.in_archive_dest()
            });
            b.add(
                StepAction::WaitArchiveDoing,
                "wait_archive_doing",
                wait(vec![RoundStatus::Doing], timeouts.archive_doing),
                address,
                Vec::new(),
            );
        }
    }
    let data_addresses = addrs(|s| s == Setting::DataBackupDestination);
    if let (false, Some(dest)) = (data_addresses.is_empty(), &want.data_backup.destination) {
        if !have.backup_jobs.is_empty() {
            let jobs: Vec<String> = have
                .backup_jobs
                .iter()
                .map(|j| format!("{} ({} {})", j.job_id, j.backup_type, j.status))
                .collect();
            b.add(
                StepAction::CancelBackup,
                "cancel_backup",
                StepKind::Sql(sql::cancel_backup(&tgt)),
                data_addresses.clone(),
                vec![Hazard {
                    kind: HazardKind::BackupCanceled,
                    message: format!(
                        "cancels the running backup job(s) of tenant {name}: {}",
                        jobs.join(", ")
                    ),
                }],
            );
            b.add(
                StepAction::WaitBackupJobsGone,
                "wait_backup_jobs_gone",
                StepKind::Wait(Wait {
                    until: WaitUntil::NoBackupJobs,
                    query: sql::backup_jobs_query(sys, have.id),
                    timeout_seconds: timeouts.backup_jobs,
                    tenant_id: sys.then_some(have.id),
                }),
                data_addresses.clone(),
                Vec::new(),
            );
        }
        let hazards = if have.data_backup_dest.is_some() {
            vec![Hazard {
                kind: HazardKind::BackupChainRestart,
                message: format!(
                    "tenant {name} gets a new data destination: backups in the old one stay there, and the next backup is full (OceanBase starts a new chain in a new destination)"
                ),
            }]
        } else {
            Vec::new()
        };
        b.add(
            StepAction::SetDataBackupDest,
            "set_data_backup_dest",
            StepKind::Sql(sql::set_data_backup_dest(&dest.value, &tgt)),
            data_addresses,
            hazards,
        );
    }
    delete_policy_steps(&mut b, want, have, changes, live, &tgt);
    b.steps
}

/// A new recovery window: the drop of the policy `default` if there is one,
/// then its add (OceanBase has no statement that changes a policy: v4.2.2_CE_BP1
/// `src/rootserver/backup/ob_backup_service.cpp`, `handle_delete_policy`
/// answers CHANGE_POLICY with 4007). The add carries what the window makes
/// obsolete ([`crate::retention`]); the first step, a running cleanup job.
fn delete_policy_steps(
    b: &mut StepBuilder<'_>,
    want: &DesiredTenant,
    have: &LiveTenant,
    changes: &[Change],
    live: &LiveState,
    tgt: &Target,
) {
    let name = b.tenant;
    let addresses: Vec<Address> = changes
        .iter()
        .filter(|c| c.setting() == Setting::DataBackupRecoveryWindow)
        .map(|c| c.address.clone())
        .collect();
    let (false, Some(window)) = (addresses.is_empty(), &want.data_backup.recovery_window) else {
        return;
    };
    let window_text = window.value.canonical();
    let mut running = if have.delete_jobs.is_empty() {
        Vec::new()
    } else {
        let jobs: Vec<String> = have
            .delete_jobs
            .iter()
            .map(|j| format!("job {}, {}", j.job_id, j.status))
            .collect();
        vec![Hazard {
            kind: HazardKind::CleanupRunning,
            message: format!(
                "a cleanup job of tenant {name} is running ({}): it goes on with the expiry time it started with",
                jobs.join(", ")
            ),
        }]
    };
    if have.delete_policy.is_some() {
        b.add(
            StepAction::DropDeletePolicy,
            "drop_delete_policy",
            StepKind::Sql(sql::drop_delete_policy(tgt)),
            addresses.clone(),
            std::mem::take(&mut running),
        );
    }
    let mut hazards = running;
    let data_dest = want
        .data_backup
        .destination
        .as_ref()
        .map(|d| &d.value)
        .or(have.data_backup_dest.as_ref());
    match live.now() {
        // Without the server's clock the deletions cannot be listed: say so,
        // as a hazard, rather than let the change look harmless.
        None => hazards.push(Hazard {
            kind: HazardKind::BackupsDeleted,
            message: format!(
                "the server did not report NOW(): what a recovery window of {window_text} deletes from tenant {name} could not be listed"
            ),
        }),
        Some(now) => {
            let obsolete =
                crate::retention::obsolete(have, data_dest, window.value.as_secs(), now);
            if !obsolete.sets.is_empty() || !obsolete.pieces.is_empty() {
                hazards.push(Hazard {
                    kind: HazardKind::BackupsDeleted,
                    message: format!(
                        "with a recovery window of {window_text}, OceanBase's hourly cleanup deletes from tenant {name}: {}",
                        crate::retention::describe(&obsolete, 10)
                    ),
                });
            }
            if !obsolete.blocking.is_empty() {
                let pieces: Vec<String> = obsolete
                    .blocking
                    .iter()
                    .map(|p| format!("{}-{} ({})", p.round_id, p.piece_id, p.status))
                    .collect();
                hazards.push(blocking_pieces(name, &pieces));
            }
        }
    }
    b.add(
        StepAction::AddDeletePolicy,
        "add_delete_policy",
        StepKind::Sql(sql::add_delete_policy(&window_text, tgt)),
        addresses,
        hazards,
    );
}

/// Pieces the cleanup must delete but cannot (still being written): its job
/// fails with -9069 until they are frozen (v4.2.2_CE_BP1
/// `src/rootserver/backup/ob_backup_clean_scheduler.cpp`, `can_backup_pieces_be_deleted`).
fn blocking_pieces(name: &str, pieces: &[String]) -> Hazard {
    Hazard {
        kind: HazardKind::BackupsDeleted,
        message: format!(
            "the cleanup of tenant {name} would also have to delete archive pieces still being written ({}): its jobs fail (OceanBase error -9069) until they are frozen",
            pieces.join(", ")
        ),
    }
}

/// One step per changed parameter and tenant, or one `TENANT = all_user` step
/// when every user tenant declares the same value (4.2.1+, from sys; reference §0.4).
fn parameter_steps(
    changes: &[Change],
    desired: &desired::DesiredState,
    live: &LiveState,
    notes: &mut Vec<String>,
) -> Vec<Step> {
    let mut by_param: BTreeMap<(Parameter, String), Vec<&Change>> = BTreeMap::new();
    for c in changes {
        let literal = desired
            .tenants
            .get(c.scope_name())
            .and_then(|d| declared_literal(d, c.setting()));
        if let (Some(p), Some(lit)) = (Parameter::of_setting(c.setting()), literal) {
            by_param.entry((p, lit)).or_default().push(c);
        }
    }
    // `TENANT = all_user` needs the build, and every server of the cluster at
    // 4.2.1.0 or later: during a rolling upgrade OceanBase refuses it with
    // 4007, shown as 1235 (v4.2.1_CE to v4.3.1_CE_BETA
    // src/rootserver/ob_system_admin_util.cpp, ObAdminSetConfig::verify_config,
    // against GET_MIN_CLUSTER_VERSION()).
    let upgraded = live
        .server
        .min_observer_version
        .is_none_or(|v| v >= Build([4, 2, 1, 0]));
    let could_coalesce = live.server.sys_login()
        && live.server.takes(Capability::TenantAllUser)
        && live.tenants().len() >= 2;
    let can_coalesce = could_coalesce && upgraded;
    let mut steps = Vec::new();
    for ((parameter, literal), group) in by_param {
        let param = parameter.name();
        let setting = group[0].setting();
        let everyone_same = live.tenants().keys().all(|t| {
            desired
                .tenants
                .get(t)
                .and_then(|d| declared_literal(d, setting))
                .as_deref()
                == Some(literal.as_str())
        });
        if could_coalesce && !upgraded && everyone_same && group.len() >= 2 {
            notes.push(format!(
                "{param}: set tenant by tenant, not with TENANT = all_user: min_observer_version is {} (a rolling upgrade), and OceanBase takes all_user only once every server runs 4.2.1 or later",
                live.server
                    .min_observer_version
                    .map_or_else(String::new, |v| v.to_string())
            ));
        }
        if can_coalesce && everyone_same && group.len() >= 2 {
            notes.push(format!(
                "{param}: {} tenant(s) set by one statement with TENANT = all_user (every user tenant declares {literal})",
                group.len()
            ));
            steps.push(Step {
                id: StepId::all_user(&format!("set_{param}")),
                action: StepAction::SetParameter(parameter),
                kind: StepKind::Sql(sql::set_parameter(param, &literal, &Target::AllUser)),
                tenant: None,
                covers: group.iter().map(|c| c.scope_name().to_string()).collect(),
                addresses: group.iter().map(|c| c.address.clone()).collect(),
                hazards: Vec::new(),
                depends_on: Vec::new(),
                session: Vec::new(),
                timeout_seconds: None,
            });
        } else {
            for c in group {
                let tenant = c.scope_name();
                steps.push(Step {
                    id: StepId::tenant(tenant, &format!("set_{param}")),
                    action: StepAction::SetParameter(parameter),
                    kind: StepKind::Sql(sql::set_parameter(param, &literal, &target(live, tenant))),
                    tenant: Some(tenant.to_string()),
                    covers: vec![tenant.to_string()],
                    addresses: vec![c.address.clone()],
                    hazards: Vec::new(),
                    depends_on: Vec::new(),
                    session: Vec::new(),
                    timeout_seconds: None,
                });
            }
        }
    }
    steps
}

/// Backup steps for freshness violations. Their order within the session
/// (unencrypted first, encrypted pairs one after another) is the rule
/// [`crate::rules::session_encryption_sequence`].
fn backup_steps(
    changes: &[Change],
    desired: &desired::DesiredState,
    live: &LiveState,
    planned: &[Step],
    options: &Options,
    notes: &mut Vec<String>,
) -> Result<Vec<Step>, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut steps = Vec::new();
    let sys = live.server.sys_login();
    let tenants: BTreeSet<&str> = changes
        .iter()
        .filter(|c| {
            matches!(
                c.setting(),
                Setting::DataBackupFull | Setting::DataBackupIncremental
            )
        })
        .map(|c| c.scope_name())
        .collect();
    for name in tenants {
        let (Some(want), Some(have)) = (desired.tenants.get(name), live.tenants().get(name)) else {
            continue;
        };
        let db = &want.data_backup;
        let addresses: Vec<Address> = changes
            .iter()
            .filter(|c| {
                c.scope_name() == name
                    && matches!(
                        c.setting(),
                        Setting::DataBackupFull | Setting::DataBackupIncremental
                    )
            })
            .map(|c| c.address.clone())
            .collect();
        let policy_span = db
            .full_max_age
            .as_ref()
            .or(db.incremental_max_age.as_ref())
            .map_or(want.declared_at.clone(), |l| l.span.clone());
        let has_step = |action: StepAction| {
            planned
                .iter()
                .any(|s| s.action == action && s.covers.iter().any(|t| t == name))
        };
        // B3: a data destination, set now or by this plan.
        let dest_changes = has_step(StepAction::SetDataBackupDest);
        let dest = if dest_changes {
            db.destination.as_ref().map(|d| d.value.clone())
        } else {
            have.data_backup_dest.clone()
        };
        let Some(dest) = dest else {
            errors.push(ConfigError::Requires {
                message: format!("tenant {name} has no data backup destination, so no backup can run"),
                span: span(&policy_span),
                label: "needs data_backup.destination".into(),
                help: "declare data_backup.destination for this tenant (OceanBase refuses the backup with 9040 `backup dest is not set`)".into(),
            });
            continue;
        };
        // B2: the archive round DOING when the backup starts.
        let doing_now =
            have.round_status() == Some(&RoundStatus::Doing) && !has_step(StepAction::NoArchivelog);
        // A round on its way to DOING is waited for, not refused: PREPARE and
        // BEGINNING advance by themselves (v4.2.2_CE_BP1
        // src/share/backup/ob_tenant_archive_round.cpp); a STOPPING or
        // SUSPENDING round with archive mode on and an ENABLE destination is
        // restarted by the archive scheduler once it reaches STOP or SUSPEND
        // (v4.2.2_CE_BP1 src/rootserver/backup/ob_archive_scheduler_service.cpp,
        // the dest-is-enable branch of the per-tenant pass).
        let dest_enabled = have
            .archive_dest
            .as_ref()
            .is_some_and(|d| d.state == DestState::Enable);
        let starting = match have.round_status() {
            Some(RoundStatus::Prepare | RoundStatus::Beginning) => true,
            Some(RoundStatus::Stopping | RoundStatus::Suspending) => dest_enabled,
            _ => false,
        } && have.archivelog()
            && !has_step(StepAction::NoArchivelog);
        if !doing_now && starting && !has_step(StepAction::WaitArchiveDoing) {
            let status = have.round_status().map_or("", RoundStatus::as_str);
            let how = match have.round_status() {
                Some(RoundStatus::Stopping) => {
                    " (archive mode is on, so OceanBase starts a new round once this one stops)"
                }
                Some(RoundStatus::Suspending) => {
                    " (the destination is ENABLE, so OceanBase resumes the round once it is suspended)"
                }
                _ => "",
            };
            notes.push(format!(
                "tenant {name}: the archive round is {status}: the backup waits for DOING{how}"
            ));
            steps.push(
                Step::new(
                    StepId::tenant(name, "wait_archive_doing"),
                    StepAction::WaitArchiveDoing,
                    StepKind::Wait(Wait {
                        until: WaitUntil::ArchiveStatus {
                            statuses: vec![RoundStatus::Doing],
                        },
                        query: sql::archive_status_query(sys, have.id),
                        timeout_seconds: options.timeouts.archive_doing,
                        tenant_id: sys.then_some(have.id),
                    }),
                    Some(name),
                    name,
                )
                .serving(addresses.clone()),
            );
        } else if !doing_now && !has_step(StepAction::WaitArchiveDoing) {
            let status = have.round_status().map_or("absent", RoundStatus::as_str);
            // Archive mode on but a DEFER destination: the scheduler suspends
            // the round rather than resuming it (v4.2.2_CE_BP1
            // src/rootserver/backup/ob_archive_scheduler_service.cpp), so only
            // the destination's state can bring it back.
            let deferred = have
                .archive_dest
                .as_ref()
                .is_some_and(|d| d.state == DestState::Defer);
            let (why, help) = if have.archivelog() && deferred {
                (
                    " and its destination is DEFER, so OceanBase keeps it suspended",
                    "declare log_archive { state = \"enable\" } for this tenant to resume archiving first (OceanBase refuses the backup with 9040 `log archive status is not doing`)",
                )
            } else {
                (
                    " and the plan does not start it",
                    "declare log_archive { enabled = true, destination = … } for this tenant (OceanBase refuses the backup with 9040 `log archive status is not doing`)",
                )
            };
            errors.push(ConfigError::Blocked {
                message: format!(
                    "tenant {name} needs its log archive DOING before a backup, but the round is {status}{why}"
                ),
                span: span(&policy_span),
                label: "backup policy here".into(),
                help: help.into(),
            });
            continue;
        }
        // A build without PLUS ARCHIVELOG was refused by `check_build`.
        let plus = db.plus_archivelog.as_ref().is_some_and(|p| p.value);
        let full_needed = addresses
            .iter()
            .any(|a| a.setting == Setting::DataBackupFull);
        let incremental = !full_needed && !dest_changes && have.has_base_in(&dest);
        if !full_needed && !incremental {
            notes.push(format!(
                "tenant {name}: the incremental is planned as a full backup: no usable backup set in the current data destination (OceanBase runs an incremental without a base as a full backup)"
            ));
        }
        let target = if sys {
            vec![name.to_string()]
        } else {
            Vec::new()
        };
        let scope = Scope::Tenant(name.to_string());
        steps.extend(
            BackupSequence {
                scope: &scope,
                addresses,
                incremental,
                statement: sql::backup(incremental, &target, !sys, plus),
                encryption: db.encryption.as_ref().map(|e| &e.value),
                jobs: (
                    sql::backup_job_query(sys, have.id, have.max_job_id),
                    have.max_job_id,
                ),
                tenant_id: sys.then_some(have.id),
            }
            .steps(options),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(steps)
}

/// The SQL literal a tenant declares for a parameter setting, if any.
fn declared_literal(d: &DesiredTenant, setting: Setting) -> Option<String> {
    match setting {
        Setting::LogArchiveConcurrency => d.log_archive.concurrency.map(sql::int_literal),
        Setting::DataBackupConcurrency => d.data_backup.concurrency.map(sql::int_literal),
        Setting::LogArchiveLagTarget => {
            d.log_archive.lag_target.map(|v| sql::quote(&v.canonical()))
        }
        Setting::DataBackupFileSize => d.data_backup.file_size.map(|v| sql::quote(&v.canonical())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY_VERSIONED_SETTING: &str = r#"
defaults {
  log_archive {
    concurrency = 0
    lag_target  = "2m"
  }
  data_backup {
    file_size       = "4G"
    plus_archivelog = true
  }
}
"#;

    fn refused(build: &str) -> Vec<(String, String)> {
        let (config, errors) = crate::config::decode(EVERY_VERSIONED_SETTING);
        assert!(errors.is_empty(), "{errors:?}");
        check_build(&config, Build::parse(build).expect("build"))
            .into_iter()
            .map(|e| match e {
                ConfigError::NotOnBuild { feature, first, .. } => (feature, first),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn each_build_refuses_what_it_cannot_take_naming_the_first_build_that_can() {
        let features = |build| {
            refused(build)
                .into_iter()
                .map(|(f, first)| format!("{f} from {first}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            features("4.1.0.1"),
            [
                "log_archive.lag_target (archive_lag_target) from 4.2.0.0",
                "log_archive.concurrency = 0 (automatic) from 4.1.0.2",
                "data_backup.file_size per tenant (backup_data_file_size) from 4.2.1.2",
                "PLUS ARCHIVELOG from 4.2.0.0",
            ]
        );
        assert_eq!(
            features("4.2.1.1"),
            ["data_backup.file_size per tenant (backup_data_file_size) from 4.2.1.2"]
        );
        assert!(features("4.2.1.2").is_empty());
        assert!(features("4.2.2.1").is_empty());
        assert!(features("4.3.1.0").is_empty());
    }
}

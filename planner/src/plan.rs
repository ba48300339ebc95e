//! Stage `plan`: desired + live → [`Plan`]: the changes, the steps that make
//! them, edges from the [`crate::rules`], and the steps in execution order.
//!
//! Steps per tenant follow `shared/reference/oceanbase-backup.md` §3 ("Ordering
//! graph (4.x, per tenant)"). Order is Kahn's algorithm over the edges with a
//! deterministic tie-break (phase, then tenant, then id), so identical input
//! gives identical output. A cycle is a bug in the rules and is reported naming
//! its steps.

use crate::change::{self, Action, Address, Change, Parameter, Setting};
use crate::config::Config;
use crate::desired::{self, DesiredTenant, Environment};
use crate::diagnostic::{ConfigError, span};
use crate::graph::{self, GraphError, TieBreak};
use crate::live::{LiveState, LiveTenant};
use crate::sql::{self, Target};
pub use crate::step::{
    Edge, Hazard, HazardKind, SessionSetting, Step, StepAction, StepId, StepKind, Wait, WaitUntil,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The version of the JSON plan format (see `docs/json-format.md`).
pub const FORMAT_VERSION: &str = "1.0";

/// A complete plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// `ob_version()` of the server planned against.
    pub server_version: String,
    /// The login tenant.
    pub login_tenant: String,
    /// Fingerprint of the live state planned from.
    pub live_fingerprint: String,
    /// Changes, sorted by address.
    pub changes: Vec<Change>,
    /// Steps in execution order.
    pub steps: Vec<Step>,
    /// Edges with their rules.
    pub edges: Vec<Edge>,
    /// Remarks for the reader (coalesced statements, skipped tenants, ignores).
    pub notes: Vec<String>,
    /// Changes matched by an active `ignore` block: reported, not planned.
    pub accepted: Vec<Accepted>,
}

/// A change accepted by an `ignore` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The change as it would have been planned.
    pub change: Change,
    /// The ignore's reason.
    pub reason: String,
    /// Its last day, `None` when open-ended.
    #[serde(with = "date_text")]
    pub until: Option<time::Date>,
}

/// `Option<Date>` as `"YYYY-MM-DD"` or null.
mod date_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &Option<time::Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => s.serialize_some(&d.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<time::Date>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            crate::config::parse_date(&t)
                .ok_or_else(|| serde::de::Error::custom(format!("not a date: {t}")))
        })
        .transpose()
    }
}

impl Plan {
    /// Orders `steps` along the edges of [`crate::rules`] (ties broken by
    /// `tie_break`) and assembles the plan for `live`.
    ///
    /// Errors: [`PlanError::Graph`] when the step graph is broken (a bug).
    pub fn assemble(
        live: &LiveState,
        changes: Vec<Change>,
        steps: Vec<Step>,
        tie_break: TieBreak,
        notes: Vec<String>,
        accepted: Vec<Accepted>,
    ) -> Result<Plan, PlanError> {
        let steps: Vec<Step> = steps.into_iter().map(Step::with_limits).collect();
        let edges = crate::rules::edges(&steps);
        let (steps, edges) = graph::order(steps, edges, tie_break)?;
        Ok(Plan {
            server_version: live.server.ob_version.clone(),
            login_tenant: live.server.login_tenant.clone(),
            live_fingerprint: live.fingerprint(),
            changes,
            steps,
            edges,
            notes,
            accepted,
        })
    }

    /// No change to make.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.steps.is_empty()
    }

    /// Every hazard with the id of its step.
    pub fn hazards(&self) -> Vec<(&str, &Hazard)> {
        self.steps
            .iter()
            .flat_map(|s| s.hazards.iter().map(move |h| (s.id.as_str(), h)))
            .collect()
    }

    /// Counts of creates and updates.
    pub fn counts(&self) -> (usize, usize) {
        let create = self
            .changes
            .iter()
            .filter(|c| c.action == Action::Create)
            .count();
        (create, self.changes.len() - create)
    }
}

/// How long waits may take, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    /// Waiting for an archive round to reach DOING.
    pub archive_doing: u64,
    /// Waiting for an archive round to reach STOP.
    pub archive_stop: u64,
    /// Waiting for backup jobs to finish canceling.
    pub backup_jobs: u64,
    /// Following a backup job to its end.
    pub backup_run: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            archive_doing: 1800,
            archive_stop: 600,
            backup_jobs: 600,
            backup_run: 6 * 3600,
        }
    }
}

/// Problems that stop planning.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    /// The configuration does not fit the cluster; each error points at its text.
    #[error("the configuration does not fit the cluster")]
    #[diagnostic(code(obbackup::plan::config))]
    Config(Vec<ConfigError>),
    /// The step graph is broken (a bug in obbackup).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Graph(#[from] GraphError),
    /// The server runs 3.x but the live state lacks the cluster-level reads (a bug in obbackup).
    #[error(
        "internal error: the server runs OceanBase 3.x but its cluster-level state was not read"
    )]
    #[diagnostic(
        code(obbackup::plan::incomplete_live_state),
        help("this is a bug in obbackup; please report it with the server version")
    )]
    IncompleteLiveState,
}

/// What a plan depends on besides the file and the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Wait timeouts.
    pub timeouts: Timeouts,
    /// Today's date (UTC), for `ignore { until }`; passed in, never read from a clock here.
    pub today: time::Date,
    /// Follow backup jobs to their end (`apply --wait`).
    pub follow_backups: bool,
    /// How ready steps are picked when several are ready (output order only).
    pub tie_break: TieBreak,
}

/// Plans `config` against `live`.
pub fn plan(
    config: &Config,
    live: &LiveState,
    env: &Environment,
    options: &Options,
) -> Result<Plan, PlanError> {
    if live.server.is_3x() {
        return plan_3x(config, live, env, options);
    }
    let timeouts = options.timeouts;
    let mut errors = check_fit(config, live);
    errors.extend(wrong_line_for_4x(config));
    let managed: Vec<String> = if live.server.sys_login() {
        live.tenants.keys().cloned().collect()
    } else {
        live.tenants
            .keys()
            .filter(|n| **n == live.server.login_tenant)
            .cloned()
            .collect()
    };
    let desired = match desired::resolve(config, &managed, env) {
        Ok(d) => d,
        Err(e) => {
            errors.extend(e);
            desired::DesiredState::default()
        }
    };
    if !errors.is_empty() {
        return Err(PlanError::Config(errors));
    }
    let mut changes = Vec::new();
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let mut accepted = Vec::new();
    let mut used = vec![false; config.ignores.len()];
    let now = live
        .server
        .server_time
        .as_deref()
        .and_then(crate::live::parse_timestamp);
    let wants_freshness = desired.tenants.values().any(|d| {
        d.data_backup.full_max_age.is_some() || d.data_backup.incremental_max_age.is_some()
    });
    if wants_freshness && now.is_none() {
        notes.push("the server did not report NOW(): backup freshness was not checked".into());
    }
    for (name, want) in &desired.tenants {
        let Some(have) = live.tenants.get(name) else {
            continue;
        };
        if have.status != "NORMAL" {
            notes.push(format!(
                "tenant {name} is {}: not planned until it is NORMAL",
                have.status
            ));
            continue;
        }
        let mut all = change::diff(name, want, have);
        if let Some(now) = now {
            let stale = change::freshness(name, want, have, now);
            match have.backup_jobs.first() {
                Some(job) if !stale.is_empty() => notes.push(format!(
                    "tenant {name}: backup job {} ({} {}) is running: no other backup is planned; freshness is checked again when it ends",
                    job.job_id, job.backup_type, job.status
                )),
                _ => all.extend(stale),
            }
            all.sort_by(|a, b| a.address.cmp(&b.address));
        }
        let (kept, ignored) = apply_ignores(config, all, options.today, &mut used, &mut notes);
        accepted.extend(ignored);
        steps.extend(tenant_steps(
            name, want, have, &kept, live, timeouts, &mut notes,
        ));
        changes.extend(kept);
    }
    for (ignore, used) in config.ignores.iter().zip(&used) {
        if !used {
            notes.push(format!(
                "warning: ignore {:?} matches no drift (reason: {})",
                ignore.address, ignore.reason
            ));
        }
    }
    steps.extend(parameter_steps(&changes, &desired, live, &mut notes));
    let backups = backup_steps(&changes, &desired, live, &steps, options, &mut notes)
        .map_err(PlanError::Config)?;
    steps.extend(backups);
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    Plan::assemble(live, changes, steps, options.tie_break, notes, accepted)
}

/// Splits a tenant's changes into planned and accepted ones. An ignore matching
/// any part of `LOG_ARCHIVE_DEST` (destination, mode, piece_switch_interval)
/// accepts all three, since OceanBase writes them together (reference §2.2.1).
/// An expired ignore leaves its change planned, with a note.
fn apply_ignores(
    config: &Config,
    changes: Vec<Change>,
    today: time::Date,
    used: &mut [bool],
    notes: &mut Vec<String>,
) -> (Vec<Change>, Vec<Accepted>) {
    let matching = |c: &Change| {
        config
            .ignores
            .iter()
            .position(|i| i.matches(&c.address.to_string()))
    };
    let dest_ignore = changes
        .iter()
        .filter(|c| c.setting().in_archive_dest())
        .find_map(|c| matching(c).filter(|&i| config.ignores[i].active(today)));
    let mut kept = Vec::new();
    let mut accepted = Vec::new();
    for c in changes {
        let index = if c.setting().in_archive_dest() {
            dest_ignore.or_else(|| matching(&c))
        } else {
            matching(&c)
        };
        match index {
            Some(i) => {
                used[i] = true;
                let ignore = &config.ignores[i];
                if ignore.active(today) {
                    accepted.push(Accepted {
                        change: c,
                        reason: ignore.reason.clone(),
                        until: ignore.until,
                    });
                } else {
                    notes.push(format!(
                        "ignore {:?} expired on {}: {} is planned again",
                        ignore.address,
                        ignore.until.map(|d| d.to_string()).unwrap_or_default(),
                        c.address
                    ));
                    kept.push(c);
                }
            }
            None => kept.push(c),
        }
    }
    (kept, accepted)
}

/// Settings of the other server line, found while planning for 4.x: the 3.x
/// cluster-level settings (backup-backup was removed in 4.x, reference §2.1.1)
/// and archive compression.
fn wrong_line_for_4x(config: &Config) -> Vec<ConfigError> {
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
                "remove it; on 4.x copy backups with your storage's replication (reference §2.1.1, §2.3)".to_string(),
            )
        } else {
            (
                format!("cluster.{head} is an OceanBase 3.x cluster-level setting; the server runs 4.x"),
                "on 4.x backup is per tenant: declare log_archive and data_backup in defaults or tenant blocks (reference §2)".to_string(),
            )
        };
        errors.push(ConfigError::Mismatch {
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
            errors.push(ConfigError::Mismatch {
                message: "log_archive.compression is OceanBase 3.x's backup_log_archive_option; the server runs 4.x".into(),
                span: span(&c.span),
                label: "3.x only".into(),
                help: "remove it: the 4.x documents state that archive logs are not compressed (reference §2.2.1)".into(),
            });
        }
    }
    errors
}

/// Plans a 3.x cluster: the `cluster` block only (reference §1).
fn plan_3x(
    config: &Config,
    live: &LiveState,
    env: &Environment,
    options: &Options,
) -> Result<Plan, PlanError> {
    let mut errors = Vec::new();
    if let Some((want, at)) = &config.version {
        let parts: Vec<&str> = want.split('.').collect();
        let have: Vec<String> = live.server.parts.iter().map(u32::to_string).collect();
        if have.len() < parts.len() || parts.iter().zip(&have).any(|(w, h)| w != h) {
            errors.push(ConfigError::Mismatch {
                message: format!("the file is written for OceanBase {want}, the server runs {}", live.server.ob_version),
                span: span(at),
                label: "declared here".into(),
                help: "point at the right cluster, or change cluster.version after reviewing the file for that line".into(),
            });
        }
    }
    for block in &config.tenants {
        errors.push(ConfigError::Mismatch {
            message: format!("tenant \"{}\": on OceanBase 3.x backup is cluster-wide and tenant blocks do not apply", block.name),
            span: span(&block.span),
            label: "4.x only".into(),
            help: "move log_archive and data_backup into cluster { … }: 3.x archives and backs up every tenant together (reference §1)".into(),
        });
    }
    let defaults = &config.defaults;
    if let Some(s) = defaults
        .log_archive
        .values()
        .chain(defaults.data_backup.values())
        .next()
    {
        errors.push(ConfigError::Mismatch {
            message: "defaults: on OceanBase 3.x backup is cluster-wide and tenant defaults do not apply".into(),
            span: span(&s.span),
            label: "4.x only".into(),
            help: "move these settings into cluster { log_archive { … } data_backup { … } } (reference §1)".into(),
        });
    }
    let desired = crate::cluster3::resolve(config, env, &mut errors);
    let Some(live3) = &live.cluster3 else {
        return Err(PlanError::IncompleteLiveState);
    };
    let now = live
        .server
        .server_time
        .as_deref()
        .and_then(crate::live::parse_timestamp);
    let all = crate::cluster3::diff(&desired, live3, now);
    let mut notes = Vec::new();
    let mut used = vec![false; config.ignores.len()];
    let (changes, accepted) = apply_ignores(config, all, options.today, &mut used, &mut notes);
    for (ignore, used) in config.ignores.iter().zip(&used) {
        if !used {
            notes.push(format!(
                "warning: ignore {:?} matches no drift (reason: {})",
                ignore.address, ignore.reason
            ));
        }
    }
    if let Some((key, kind)) = &live3.running_backup
        && (desired.data_backup.full_max_age.is_some()
            || desired.data_backup.incremental_max_age.is_some())
    {
        notes.push(format!("cluster backup {key} ({kind}) is running: no other backup is planned; freshness is checked again when it ends"));
    }
    if !errors.is_empty() {
        return Err(PlanError::Config(errors));
    }
    let steps = crate::cluster3::steps(&desired, live3, &changes, options, &mut notes)
        .map_err(PlanError::Config)?;
    Plan::assemble(live, changes, steps, options.tie_break, notes, accepted)
}

/// Checks that the file fits the cluster: version guard, named tenants exist,
/// a user-tenant login names only itself.
fn check_fit(config: &Config, live: &LiveState) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    if let Some((want, at)) = &config.version {
        let parts: Vec<&str> = want.split('.').collect();
        let have: Vec<String> = live.server.parts.iter().map(u32::to_string).collect();
        if have.len() < parts.len() || parts.iter().zip(&have).any(|(w, h)| w != h) {
            errors.push(ConfigError::Mismatch {
                message: format!("the file is written for OceanBase {want}, the server runs {}", live.server.ob_version),
                span: span(at),
                label: "declared here".into(),
                help: "point at the right cluster, or change cluster.version after reviewing the file for that line".into(),
            });
        }
    }
    let known: Vec<&str> = live.tenants.keys().map(String::as_str).collect();
    for block in config.tenants.iter().filter(|t| t.name != "*") {
        if !live.server.sys_login() && block.name != live.server.login_tenant {
            errors.push(ConfigError::Mismatch {
                message: format!(
                    "logged into tenant {}, which can manage only itself",
                    live.server.login_tenant
                ),
                span: span(&block.span),
                label: format!("tenant {} is out of reach", block.name),
                help: "log in as root@sys to manage several tenants".into(),
            });
        } else if !live.tenants.contains_key(&block.name) {
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
    let round_busy = round.is_some_and(|s| s != "STOP");
    let state_after = la.state.clone().unwrap_or_else(|| {
        if dest_changed {
            "ENABLE".into()
        } else {
            have.archive_dest
                .as_ref()
                .map_or("ENABLE".into(), |d| d.state.clone())
        }
    });
    let will_have_dest = la.destination.is_some() || have.archive_dest.is_some();
    let wait = |statuses: Vec<String>, timeout| {
        StepKind::Wait(Wait {
            until: WaitUntil::ArchiveStatus { statuses },
            query: sql::archive_status_query(sys, have.id),
            timeout_seconds: timeout,
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
            wait(vec!["STOP".into()], timeouts.archive_stop),
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
            && state_after == "ENABLE"
            && changes
                .iter()
                .any(|c| c.setting() == Setting::LogArchiveState));
    if round_starts && want_archive {
        if !will_have_dest {
            notes.push(format!("tenant {name}: archive mode goes on, but no destination is declared or set: archiving starts once log_archive.destination is set"));
        } else if state_after == "DEFER" {
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
                wait(vec!["DOING".into()], timeouts.archive_doing),
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
                }),
                data_addresses.clone(),
                Vec::new(),
            );
        }
        let hazards = if have.data_backup_dest.is_some() {
            vec![Hazard {
                kind: HazardKind::BackupChainRestart,
                message: format!(
                    "tenant {name} gets a new data destination: backups in the old one stay there, and the next backup is full (reference §2.5 B7)"
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
    b.steps
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
    let can_coalesce =
        live.server.sys_login() && live.server.at_least(&[4, 2, 1]) && live.tenants.len() >= 2;
    let mut steps = Vec::new();
    for ((parameter, literal), group) in by_param {
        let param = parameter.name();
        let setting = group[0].setting();
        let everyone_same = live.tenants.keys().all(|t| {
            desired
                .tenants
                .get(t)
                .and_then(|d| declared_literal(d, setting))
                .as_deref()
                == Some(literal.as_str())
        });
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
        let (Some(want), Some(have)) = (desired.tenants.get(name), live.tenants.get(name)) else {
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
            .map(|l| l.span.clone())
            .unwrap_or(0..0);
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
            errors.push(ConfigError::Mismatch {
                message: format!("tenant {name} has no data backup destination, so no backup can run"),
                span: span(&policy_span),
                label: "needs data_backup.destination".into(),
                help: "declare data_backup.destination for this tenant (OceanBase refuses with 9040 `backup dest is not set`, reference §2.5 B3)".into(),
            });
            continue;
        };
        // B2: the archive round DOING when the backup starts.
        let doing_now = have.round_status() == Some("DOING") && !has_step(StepAction::NoArchivelog);
        if !doing_now && !has_step(StepAction::WaitArchiveDoing) {
            errors.push(ConfigError::Mismatch {
                message: format!(
                    "tenant {name} needs its log archive DOING before a backup, but the round is {} and the plan does not start it",
                    have.round_status().unwrap_or("absent")
                ),
                span: span(&policy_span),
                label: "backup policy here".into(),
                help: "declare log_archive { enabled = true, destination = … } for this tenant (OceanBase refuses with 9040 `log archive status is not doing`, reference §2.5 B2)".into(),
            });
            continue;
        }
        let plus = db.plus_archivelog.as_ref().is_some_and(|p| p.value);
        if let (true, Some(p)) = (plus && !live.server.at_least(&[4, 2]), &db.plus_archivelog) {
            errors.push(ConfigError::Mismatch {
                message: format!("PLUS ARCHIVELOG needs OceanBase 4.2 or later; the server runs {}", live.server.ob_version),
                span: span(&p.span),
                label: "not on this server".into(),
                help: "remove plus_archivelog (4.0 and 4.1 answer 1235 `plus archive is not supported`, reference §2.3)".into(),
            });
            continue;
        }
        let full_needed = addresses
            .iter()
            .any(|a| a.setting == Setting::DataBackupFull);
        let incremental = !full_needed && !dest_changes && have.has_base_in(&dest);
        if !full_needed && !incremental {
            notes.push(format!(
                "tenant {name}: the incremental is planned as a full backup: no usable backup set in the current data destination (OceanBase would convert it, reference §2.5 B7)"
            ));
        }
        let target = if sys {
            vec![name.to_string()]
        } else {
            Vec::new()
        };
        let verb = if incremental {
            "backup_incremental"
        } else {
            "backup_full"
        };
        let base = |action, verb: &str, kind, hazards| Step {
            id: StepId::tenant(name, verb),
            action,
            kind,
            tenant: Some(name.to_string()),
            covers: vec![name.to_string()],
            addresses: addresses.clone(),
            hazards,
            depends_on: Vec::new(),
            session: Vec::new(),
            timeout_seconds: None,
        };
        if let Some(enc) = &db.encryption {
            steps.push(base(
                StepAction::SetEncryption,
                "set_encryption",
                StepKind::Sql(sql::set_encryption(&enc.value.password)),
                Vec::new(),
            ));
        }
        steps.push(base(
            StepAction::Backup,
            verb,
            StepKind::Sql(sql::backup(incremental, &target, !sys, plus)),
            Vec::new(),
        ));
        if options.follow_backups || db.encryption.is_some() {
            let follow = options.follow_backups;
            let wait = Wait {
                until: WaitUntil::BackupJob {
                    after_job_id: have.max_job_id,
                    follow,
                    expect_password: db.encryption.is_some(),
                },
                query: sql::backup_job_query(sys, have.id, have.max_job_id),
                timeout_seconds: if follow {
                    options.timeouts.backup_run
                } else {
                    options.timeouts.backup_jobs
                },
            };
            steps.push(base(
                StepAction::WaitBackupJob,
                "wait_backup_job",
                StepKind::Wait(wait),
                Vec::new(),
            ));
        }
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

//! Stage `plan`: desired + live → [`Plan`]: the changes, the steps that make
//! them, edges from the [`crate::rules`], and the steps in execution order.
//!
//! Steps per tenant follow `shared/reference/oceanbase-backup.md` §3 ("Ordering
//! graph (4.x, per tenant)"). Order is Kahn's algorithm over the edges with a
//! deterministic tie-break (phase, then tenant, then id), so identical input
//! gives identical output. A cycle is a bug in the rules and is reported naming
//! its steps.

use crate::change::{Action, Change};
use crate::config::Config;
use crate::desired::Environment;
use crate::diagnostic::{ConfigError, span};
use crate::dialect;
use crate::graph::{self, GraphError, TieBreak};
use crate::ignore::Ignores;
use crate::live::{LiveScopes, LiveState};
pub use crate::step::{
    Edge, Hazard, HazardKind, SessionSetting, Step, StepAction, StepId, StepKind, Wait, WaitUntil,
};
use serde::{Deserialize, Serialize};

/// The version of the JSON plan format (see `docs/json-format.md`).
pub const FORMAT_VERSION: &str = "1.1";

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
    /// Declared policies the cluster breaches and no statement can fix
    /// (`log_archive.max_lag`, `data_backup.recoverability.max_rpo` and
    /// `.min_window`): drift, never steps. `before` is what was observed,
    /// `after` the limit.
    #[serde(default)]
    pub breaches: Vec<Change>,
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
    ) -> Result<Plan, GraphError> {
        let steps: Vec<Step> = steps.into_iter().map(Step::with_limits).collect();
        let edges = crate::rules::pairs(&steps);
        let (steps, edges) = graph::order_indexed(steps, &edges, tie_break)?;
        Ok(Plan {
            server_version: live.server.ob_version.clone(),
            login_tenant: live.server.login_tenant.clone(),
            live_fingerprint: live.fingerprint(),
            changes,
            steps,
            edges,
            notes,
            accepted,
            breaches: Vec::new(),
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

/// What a dialect planned: the changes it will make, the steps that make
/// them (not yet ordered), and the drift ignore blocks accepted.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    /// Changes to make.
    pub changes: Vec<Change>,
    /// Steps, in any order: [`Plan::assemble`] orders them.
    pub steps: Vec<Step>,
    /// Changes accepted by ignore blocks.
    pub accepted: Vec<Accepted>,
    /// Policy breaches no step fixes ([`Plan::breaches`]).
    pub breaches: Vec<Change>,
}

/// Plans `config` against `live`: one pipeline for both lines. The shared
/// stages are the version guard, accepted drift ([`crate::ignore`]),
/// freshness ([`crate::freshness`]) and the step graph; the dialect of the
/// server line ([`crate::dialect`]) resolves its blocks, diffs its scopes and
/// makes its steps.
///
/// Errors: [`PlanError::Config`] with every configuration problem at once;
/// [`PlanError::Graph`] for a broken step graph (a bug).
pub fn plan(
    config: &Config,
    live: &LiveState,
    env: &Environment,
    options: &Options,
) -> Result<Plan, PlanError> {
    let mut notes = Vec::new();
    if config.tenants.is_empty() && config.cluster.is_empty() {
        notes.push(
            "the configuration declares no tenant block and no cluster settings: it manages nothing"
                .into(),
        );
    }
    let mut ignores = Ignores::new(config, options.today);
    let planned = match &live.scopes {
        LiveScopes::Tenants { .. } => {
            dialect::ob4::plan(config, live, env, options, &mut ignores, &mut notes)
        }
        LiveScopes::Cluster { cluster } => dialect::ob3::plan(
            config,
            live,
            cluster,
            env,
            options,
            &mut ignores,
            &mut notes,
        ),
    };
    // The version guard comes first among the errors, and alone stops the plan.
    let planned = match (version_guard(config, &live.server), planned) {
        (None, planned) => planned,
        (Some(guard), Err(mut errors)) => {
            errors.insert(0, guard);
            Err(errors)
        }
        (Some(guard), Ok(_)) => Err(vec![guard]),
    };
    ignores.finish(&mut notes);
    let Planned {
        mut changes,
        steps,
        accepted,
        mut breaches,
    } = planned.map_err(PlanError::Config)?;
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    breaches.sort_by(|a, b| a.address.cmp(&b.address));
    let mut plan = Plan::assemble(live, changes, steps, options.tie_break, notes, accepted)?;
    plan.breaches = breaches;
    Ok(plan)
}

/// `cluster { version = "4.2" }` against the server's `ob_version()`: every
/// part declared must match.
fn version_guard(config: &Config, server: &crate::live::Server) -> Option<ConfigError> {
    let (want, at) = config.version.as_ref()?;
    let parts: Vec<&str> = want.split('.').collect();
    let have: Vec<String> = server.parts.iter().map(u32::to_string).collect();
    let fits = have.len() >= parts.len() && parts.iter().zip(&have).all(|(w, h)| w == h);
    (!fits).then(|| ConfigError::VersionMismatch {
        want: want.clone(),
        have: server.ob_version.clone(),
        span: span(at),
    })
}

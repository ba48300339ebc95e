//! One-shot operations (`obbackup backup full|incremental|cancel`): a plan built
//! from a request instead of a configuration, with the same preconditions,
//! statements, waits and redaction as declared backups. The steps come from the
//! dialect of the server line ([`crate::dialect::oneshot_steps`]); the plan is
//! assembled here alike.
//!
//! Preconditions (reference §2.5 B): the tenant exists and is NORMAL, its archive
//! round is DOING (B2), its data destination is set (B3), and it has no running
//! job (B4, the same initiator may not start a second). `CANCEL BACKUP` with no
//! running job is "nothing to cancel", not an error (§2.3).
#![allow(unused_assignments)] // miette derive false positive (miette#458)

use crate::graph::{GraphError, TieBreak};
use crate::live::LiveState;
use crate::plan::{Plan, Step, Timeouts};

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Start a backup of each tenant.
    Backup {
        /// `BACKUP INCREMENTAL` (OceanBase makes it full without a base, B7).
        incremental: bool,
        /// Tenants; empty = every user tenant (sys) or the login tenant.
        tenants: Vec<String>,
        /// `PLUS ARCHIVELOG` (4.2+).
        plus_archivelog: bool,
        /// Follow each job to its end.
        follow: bool,
    },
    /// Cancel running backups.
    Cancel {
        /// Tenants; empty = every user tenant (sys) or the login tenant.
        tenants: Vec<String>,
        /// Wait until the jobs are gone.
        follow: bool,
    },
}

/// Why a one-shot operation cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum OneShotError {
    /// The tenant does not exist (or is not a user tenant).
    #[error("tenant {0} does not exist in the cluster")]
    #[diagnostic(code(obbackup::backup::tenant))]
    UnknownTenant(String),
    /// A user-tenant login naming another tenant.
    #[error("logged into tenant {login}, which can act only on itself, not on {other}")]
    #[diagnostic(
        code(obbackup::backup::scope),
        help("log in as root@sys to act on several tenants")
    )]
    OutOfReach {
        /// The login tenant.
        login: String,
        /// The tenant named.
        other: String,
    },
    /// A tenant that cannot be backed up now.
    #[error("tenant {tenant} cannot be backed up now: {why}")]
    #[diagnostic(code(obbackup::backup::precondition), help("{help}"))]
    NotReady {
        /// The tenant.
        tenant: String,
        /// Why.
        why: String,
        /// What to do instead.
        help: String,
    },
    /// PLUS ARCHIVELOG before 4.2.
    #[error("PLUS ARCHIVELOG needs OceanBase 4.2 or later; the server runs {0}")]
    #[diagnostic(code(obbackup::backup::plus_archivelog))]
    PlusArchivelog(String),
    /// The one-shot plan's step graph is broken (a bug in obbackup).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Graph(#[from] GraphError),
}

/// The tenants a 4.x request acts on: those named (checked to exist, sorted,
/// once each), else every user tenant from sys, or the login tenant itself.
pub(crate) fn tenants(live: &LiveState, named: &[String]) -> Result<Vec<String>, OneShotError> {
    if !live.server.sys_login() {
        if let Some(other) = named.iter().find(|n| **n != live.server.login_tenant) {
            return Err(OneShotError::OutOfReach {
                login: live.server.login_tenant.clone(),
                other: other.clone(),
            });
        }
        return Ok(vec![live.server.login_tenant.clone()]);
    }
    if named.is_empty() {
        return Ok(live.tenants().keys().cloned().collect());
    }
    for n in named {
        if !live.tenants().contains_key(n) {
            return Err(OneShotError::UnknownTenant(n.clone()));
        }
    }
    let mut out = named.to_vec();
    out.sort();
    out.dedup();
    Ok(out)
}

/// A one-shot plan of `steps`: no changes, no options, the forward tie-break.
fn assemble(live: &LiveState, steps: Vec<Step>, notes: Vec<String>) -> Result<Plan, OneShotError> {
    Plan::assemble(
        live,
        Vec::new(),
        steps,
        TieBreak::Forward,
        notes,
        Vec::new(),
    )
    .map_err(OneShotError::from)
}

/// Builds the plan of a one-shot request: the steps come from the dialect
/// of the server line, the plan is assembled alike.
pub fn plan(live: &LiveState, request: &Request, timeouts: Timeouts) -> Result<Plan, OneShotError> {
    let mut notes = Vec::new();
    let steps = crate::dialect::oneshot_steps(live, request, timeouts, &mut notes)?;
    assemble(live, steps, notes)
}

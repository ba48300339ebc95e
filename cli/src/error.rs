//! The errors the command line reports, each with a code and, where it helps, advice.
#![allow(unused_assignments)] // miette derive false positive (miette#458)

use crate::db::DbError;
use obbackup_planner::diagnostic::ConfigReport;
use obbackup_planner::live::InspectError;

/// Every way a command can fail (exit code 1).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CliError {
    /// The configuration file cannot be read.
    #[error("cannot read {path}: {reason}")]
    #[diagnostic(code(obbackup::file))]
    File { path: String, reason: String },
    /// The configuration has problems.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigReport),
    /// Talking to the server failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Db(#[from] DbError),
    /// The live state could not be read or is not plannable.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Inspect(#[from] InspectError),
    /// The login cannot read what obbackup needs.
    #[error("the login (tenant {login_tenant}) may not read {view}: {cause}")]
    #[diagnostic(
        code(obbackup::access),
        help("obbackup reads the oceanbase.CDB_/DBA_ backup views and GV$OB_PARAMETERS, and runs ALTER SYSTEM: log in as root@sys (or a user with those privileges)")
    )]
    Access { login_tenant: String, view: String, cause: String },
    /// No cluster given.
    #[error("no cluster to talk to")]
    #[diagnostic(code(obbackup::target), help("pass --dsn mysql://root%40sys:PASSWORD@HOST:2881, set OBBACKUP_DSN, or use --sandbox"))]
    NoTarget,
    /// The sandbox could not start.
    #[error("the sandbox could not start: {0}")]
    #[diagnostic(code(obbackup::sandbox))]
    Sandbox(String),
    /// Apply refused to run.
    #[error("{0}")]
    #[diagnostic(code(obbackup::apply::refused))]
    Refused(String),
    /// A step failed.
    #[error("apply failed at step {step}: {cause}")]
    #[diagnostic(code(obbackup::apply::failed), help("{help}"))]
    StepFailed { step: String, cause: String, help: String },
    /// The cluster still differs after apply.
    #[error("did not converge: after apply, {0} change(s) remain")]
    #[diagnostic(code(obbackup::apply::converge), help("the remaining changes are listed above; an out-of-band change during apply, or an OceanBase behaviour obbackup does not model, can cause this"))]
    NotConverged(usize),
    /// An internal planning error (a bug).
    #[error("{0}")]
    #[diagnostic(code(obbackup::internal))]
    Internal(String),
}

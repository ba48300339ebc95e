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
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The configuration has problems.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(Box<ConfigReport>),
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
        help(
            "obbackup reads the oceanbase.CDB_/DBA_ backup views and GV$OB_PARAMETERS, and runs ALTER SYSTEM: log in as root@sys (or a user with those privileges)"
        )
    )]
    Access {
        /// The login tenant.
        login_tenant: String,
        /// The view that was refused.
        view: String,
        /// The server's error, or what was observed.
        cause: String,
    },
    /// A one-shot operation cannot run.
    #[error(transparent)]
    #[diagnostic(transparent)]
    OneShot(obbackup_planner::oneshot::OneShotError),
    /// A saved plan cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    PlanFile(#[from] obbackup_planner::planfile::PlanFileError),
    /// The cluster changed since the saved plan was made.
    #[error(
        "stale plan: the cluster changed since the plan was made ({count} difference(s)):\n{differences}"
    )]
    #[diagnostic(
        code(obbackup::apply::stale),
        help("nothing was run; make a new plan and review it")
    )]
    StalePlan {
        /// How many values changed.
        count: usize,
        /// One line per changed value.
        differences: String,
    },
    /// `cluster { dsn_env }` names an unset variable.
    #[error("cluster.dsn_env names {0}, which is not set")]
    #[diagnostic(
        code(obbackup::target),
        help("export {0}=mysql://root%40sys:PASSWORD@HOST:2881, or pass --dsn")
    )]
    DsnEnvUnset(String),
    /// No cluster given.
    #[error("no cluster to talk to")]
    #[diagnostic(
        code(obbackup::target),
        help(
            "pass --dsn mysql://root%40sys:PASSWORD@HOST:2881, set OBBACKUP_DSN, name the variable in cluster {{ dsn_env = \"…\" }}, or use --sandbox"
        )
    )]
    NoTarget,
    /// The sandbox could not start.
    #[error("the sandbox could not start: {0}")]
    #[diagnostic(code(obbackup::sandbox))]
    Sandbox(String),
    /// A flag's value, or a combination of flags, that cannot be used.
    #[error("{0}")]
    #[diagnostic(
        code(obbackup::usage),
        help("`obbackup help <command>` describes each flag")
    )]
    Usage(String),
    /// An input of `obbackup report` is not a JSON output of obbackup, or the
    /// inputs do not go together.
    #[error("{0}")]
    #[diagnostic(
        code(obbackup::report),
        help("give the files that `plan`, `drift` or `status` wrote with --format json")
    )]
    Report(String),
    /// A run that changes the cluster needs an approval nobody can give
    /// (no terminal, no --auto-approve or --allow-hazards).
    #[error("{0}")]
    #[diagnostic(code(obbackup::apply::refused))]
    Refused(String),
    /// Another apply holds the cluster's apply lock.
    #[error(
        "another obbackup apply is running on this cluster: connection {holder} holds the apply lock (waited {waited}s)"
    )]
    #[diagnostic(
        code(obbackup::apply::locked),
        help(
            "nothing was run; wait for it to finish and apply again, or pass --lock-timeout 10m to wait for it (the lock ends with its session; if that apply was killed, OceanBase frees the lock within seconds)"
        )
    )]
    Locked {
        /// The holder's connection id (`IS_USED_LOCK`), or `unknown`.
        holder: String,
        /// How long this apply waited, in seconds.
        waited: u64,
    },
    /// The plan sends secrets and the connection may be in clear.
    #[error(
        "{steps} step(s) send secrets (storage credentials, the backup encryption password), and the connection to {target} is not required to use TLS: with ssl-mode preferred (the default) it goes on in clear when TLS is not offered"
    )]
    #[diagnostic(
        code(obbackup::apply::plaintext),
        help(
            "nothing was run; add ?ssl-mode=required to the DSN (better: ?ssl-mode=verify_identity&ssl-ca=/path/to/ca.pem), after enabling TLS on the OceanBase server or obproxy; or pass --allow-plaintext-secrets to send them anyway"
        )
    )]
    Plaintext {
        /// `host:port`.
        target: String,
        /// How many steps carry secrets.
        steps: usize,
    },
    /// The cluster changed between the plan and its first statement.
    #[error(
        "the cluster changed since this plan was made: planning again gives other statements ({0})"
    )]
    #[diagnostic(
        code(obbackup::apply::changed),
        help(
            "nothing was run; another apply or a change by hand may be under way: run plan or apply again to see what is left"
        )
    )]
    Changed(String),
    /// A step failed.
    #[error("apply failed at step {step}: {cause}")]
    #[diagnostic(code(obbackup::apply::failed), help("{help}"))]
    StepFailed {
        /// The failed step's id.
        step: String,
        /// The server's error, or what was observed.
        cause: String,
        /// What to do instead.
        help: String,
    },
    /// The cluster still differs after apply.
    #[error("did not converge: after apply, {0} change(s) remain")]
    #[diagnostic(
        code(obbackup::apply::converge),
        help(
            "the remaining changes are listed above; an out-of-band change during apply, or an OceanBase behaviour obbackup does not model, can cause this"
        )
    )]
    NotConverged(usize),
    /// The planner's step graph is broken (a bug), with the graph's own code.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Graph(#[from] obbackup_planner::graph::GraphError),
    /// An internal error (a bug).
    #[error("{0}")]
    #[diagnostic(code(obbackup::internal))]
    Internal(String),
}

impl From<ConfigReport> for CliError {
    fn from(report: ConfigReport) -> Self {
        CliError::Config(Box::new(report))
    }
}

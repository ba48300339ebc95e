//! `--sandbox`: the simulator started in this process on a loopback port,
//! reached through the same sqlx path as a real cluster.

use crate::error::CliError;
use obbackup_planner::secret::Secret;

/// Starts the simulator from the default fixture (empty `value`) or a fixture
/// file, and returns a DSN logging in as `root@sys`.
#[cfg(feature = "sandbox")]
pub async fn start(value: &str) -> Result<Secret, CliError> {
    let text = if value.is_empty() {
        crate::args::DEFAULT_SANDBOX.to_string()
    } else {
        std::fs::read_to_string(value).map_err(|e| CliError::File {
            path: value.to_string(),
            reason: e.to_string(),
        })?
    };
    let sim = obsim::Simulator::start(&text, "127.0.0.1:0")
        .await
        .map_err(|e| CliError::Sandbox(e.to_string()))?;
    Ok(Secret::new(sim.dsn("sys")))
}

/// Without the `sandbox` feature there is no simulator to start: the error
/// says how to reach a cluster instead.
#[cfg(not(feature = "sandbox"))]
pub async fn start(_value: &str) -> Result<Secret, CliError> {
    Err(CliError::Sandbox(
        "this obbackup was built without the sandbox (cargo feature `sandbox`): give a cluster with --dsn or OBBACKUP_DSN".into(),
    ))
}

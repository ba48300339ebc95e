//! `obbackup export`: HCL describing the live cluster.

use super::*;

/// Runs `obbackup export`.
pub async fn run(target: TargetArgs) -> Result<u8, CliError> {
    let mut session = connect(&target, None).await?;
    let live = inspect::inspect(&mut session).await?;
    session.close().await;
    let (hcl, env) = obbackup_planner::export::hcl(&live);
    output::result(&hcl);
    if !env.is_empty() {
        output::info(&format!(
            "The exported file reads credentials from the environment; set before planning it: {}",
            env.join(", ")
        ));
    }
    Ok(0)
}

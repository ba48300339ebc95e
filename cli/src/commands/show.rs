//! `obbackup show`: renders a saved plan without a cluster.

use super::*;

/// Runs `obbackup show`.
pub fn run(planfile: std::path::PathBuf, format: Format) -> Result<u8, CliError> {
    let (_, text) = read_plan_file(&planfile)?;
    let file = PlanFile::parse(&text)?;
    output::report(&Report::Plan.render(&file.plan, format), format);
    Ok(0)
}

//! `obbackup drift`: compares without changing; exit 2 when the cluster drifted.

use super::*;

/// Runs `obbackup drift`.
pub async fn run(
    configs: Vec<std::path::PathBuf>,
    target: TargetArgs,
    format: Format,
    shard: ShardArgs,
    day: DayArgs,
) -> Result<u8, CliError> {
    let files = many::expand(&configs)?;
    let waits = no_waits();
    if let Some(files) = fleet(files.clone(), &shard)? {
        return Ok(many::run(files, Report::Drift, format, &target, waits, today(&day)?).await);
    }
    let evaluated = evaluate(&files[0], &target, &waits, today(&day)?).await?;
    evaluated.session.close().await;
    output::report(&Report::Drift.render(&evaluated.plan, format), format);
    Ok(if Report::Drift.has_changes(&evaluated.plan) {
        EXIT_CHANGES
    } else {
        0
    })
}

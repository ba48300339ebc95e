//! `obbackup status`: archive, backups and freshness per tenant (or the cluster).

use super::*;

/// Runs `obbackup status`.
pub async fn run(
    config: Option<&Path>,
    target: &TargetArgs,
    format: Format,
    detailed_exitcode: bool,
) -> Result<u8, CliError> {
    let loaded = match config {
        Some(path) => {
            let (name, text) = read(path)?;
            Some(decode(name, text)?)
        }
        None => None,
    };
    let dsn_env = loaded
        .as_ref()
        .and_then(|l| l.config.dsn_env.as_ref().map(|(v, _)| v.clone()));
    let mut session = connect(target, dsn_env.as_deref()).await?;
    let live = inspect::inspect(&mut session).await?;
    session.close().await;
    let desired = match &loaded {
        Some(l) => {
            let state = obbackup_planner::dialect::resolve(&l.config, &live, &environment())
                .map_err(|errors| CliError::from(ConfigReport::new(&l.name, &l.text, errors)))?;
            Some(state)
        }
        None => None,
    };
    let report = obbackup_planner::status::status(&live, desired.as_ref());
    match format {
        Format::Json => output::json(&render::status_json(&report)),
        Format::Markdown => output::result(&render::status_markdown(&report)),
        Format::Human => output::result(&render::status_human(&report)),
    }
    let violated = report.tenants.iter().any(|t| !t.violations.is_empty());
    Ok(if detailed_exitcode && violated {
        EXIT_CHANGES
    } else {
        0
    })
}

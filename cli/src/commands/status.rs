//! `obbackup status`: archive, backups, recoverability, retention and
//! problems per tenant (or the cluster), for people, JSON, Markdown or
//! OpenMetrics.

use super::*;
use crate::args::StatusFormat;

/// Runs `obbackup status`.
pub async fn run(
    config: Option<&Path>,
    target: &TargetArgs,
    format: StatusFormat,
    cluster_label: Option<&str>,
    detailed_exitcode: bool,
) -> Result<u8, CliError> {
    let label = cluster_label.map_or_else(
        || {
            config.and_then(|p| p.file_stem()).map_or_else(
                || "default".to_string(),
                |s| s.to_string_lossy().into_owned(),
            )
        },
        str::to_string,
    );
    let result = report(config, target, format == StatusFormat::Openmetrics).await;
    let (report, drift) = match result {
        Ok(done) => done,
        Err(e) => {
            if format == StatusFormat::Openmetrics {
                output::result(&obbackup_planner::metrics::scrape_failed(&label));
            }
            return Err(e);
        }
    };
    match format {
        StatusFormat::Json => output::json(&render::status_json(&report)),
        StatusFormat::Markdown => output::result(&render::status_markdown(&report)),
        StatusFormat::Human => output::human(&render::status_human(&report)),
        StatusFormat::Openmetrics => {
            let context = obbackup_planner::metrics::Context {
                cluster: &label,
                drift_addresses: drift,
            };
            output::result(&obbackup_planner::metrics::openmetrics(&report, &context));
        }
    }
    let violated = report.tenants.iter().any(|t| !t.violations.is_empty());
    Ok(if detailed_exitcode && violated {
        EXIT_CHANGES
    } else {
        0
    })
}

/// Reads the cluster and builds the status; with `count_drift` and a
/// configuration, also plans to count the drifted addresses.
async fn report(
    config: Option<&Path>,
    target: &TargetArgs,
    count_drift: bool,
) -> Result<(obbackup_planner::status::Status, Option<usize>), CliError> {
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
    let today = time::OffsetDateTime::now_utc().date();
    let drift = match (&loaded, count_drift) {
        (Some(l), true) => {
            // The cluster was read: a configuration that does not plan leaves
            // the drift count out, it does not fail the scrape.
            match plan_with(l, &live, Timeouts::default(), false, today) {
                Ok(plan) => Some(plan.changes.len() + plan.breaches.len()),
                Err(e) => {
                    output::info(&format!(
                        "warning: obbackup_drift_addresses left out: the configuration does not plan: {e}"
                    ));
                    None
                }
            }
        }
        _ => None,
    };
    // The configuration's active ignore blocks accept problems as drift does.
    let ignores: Vec<&obbackup_planner::config::Ignore> = loaded
        .as_ref()
        .map(|l| {
            l.config
                .ignores
                .iter()
                .filter(|i| i.active(today))
                .collect()
        })
        .unwrap_or_default();
    let accepted = |address: &obbackup_planner::address::Address| {
        let text = address.to_string();
        ignores.iter().any(|i| i.matches(&text))
    };
    Ok((
        obbackup_planner::status::status(&live, desired.as_ref(), &accepted),
        drift,
    ))
}

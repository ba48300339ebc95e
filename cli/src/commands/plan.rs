//! `obbackup plan`: reads the cluster, plans, prints the plan (human, JSON or
//! Markdown), optionally saves it (`--out`); several files or a directory are
//! planned as a fleet.

use super::*;

/// Runs `obbackup plan`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    configs: Vec<std::path::PathBuf>,
    target: TargetArgs,
    format: Format,
    detailed_exitcode: bool,
    out: Option<std::path::PathBuf>,
    shard: ShardArgs,
    waits: WaitArgs,
    day: DayArgs,
) -> Result<u8, CliError> {
    let files = many::expand(&configs)?;
    if let Some(files) = fleet(files.clone(), &shard)? {
        if out.is_some() {
            return Err(CliError::Usage(
                "--out saves the plan of one configuration: name one file".into(),
            ));
        }
        let code = many::run(files, Report::Plan, format, &target, waits, today(&day)?).await;
        return Ok(if code == EXIT_CHANGES && !detailed_exitcode {
            0
        } else {
            code
        });
    }
    let day = today(&day)?;
    let evaluated = evaluate(&files[0], &target, &waits, day).await?;
    evaluated.session.close().await;
    let plan = &evaluated.plan;
    if let Some(out) = out {
        let file = PlanFile::new(
            plan,
            &evaluated.loaded.name,
            &evaluated.loaded.text,
            &evaluated.loaded.config,
            &evaluated.live,
            day,
            planfile::SavedOptions {
                timeouts: timeouts(&waits),
                follow_backups: waits.wait,
            },
        );
        let text =
            serde_json::to_string_pretty(&file).map_err(|e| CliError::Internal(e.to_string()))?;
        // Through the redactor like every output: a plan file is read by people too.
        let text = crate::redact::clean(&text);
        std::fs::write(&out, text.as_bytes()).map_err(|e| CliError::File {
            path: out.display().to_string(),
            reason: e.to_string(),
        })?;
        output::info(&format!(
            "Saved the plan to {}: apply it with `obbackup apply {}`.",
            out.display(),
            out.display()
        ));
    }
    output::report(&Report::Plan.render(plan, format), format);
    Ok(if detailed_exitcode && !plan.is_empty() {
        EXIT_CHANGES
    } else {
        0
    })
}

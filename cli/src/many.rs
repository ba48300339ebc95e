//! Several clusters at once: one HCL file per cluster (each naming its DSN
//! variable with `cluster { dsn_env }`), planned with bounded parallelism and
//! reported together with one combined exit code: 1 if any failed, else 2 if any
//! has changes or drift, else 0.

use crate::args::{Format, TargetArgs, WaitArgs};
use crate::error::CliError;
use crate::{EXIT_CHANGES, Report, output};
use obbackup_planner::plan::FORMAT_VERSION;
use obbackup_planner::render;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many clusters are read at the same time.
pub const PARALLELISM: usize = 4;

/// Expands directories into their `*.hcl` files (sorted); keeps files as given.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| CliError::File {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(CliError::File {
                    path: path.display().to_string(),
                    reason: "no *.hcl file in this directory".into(),
                });
            }
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// The outcome for one cluster.
struct Outcome {
    file: String,
    result: Result<obbackup_planner::plan::Plan, CliError>,
}

/// Plans or drift-checks every file and prints one combined report; returns the exit code.
pub async fn run(
    files: Vec<PathBuf>,
    report: Report,
    format: Format,
    target: &TargetArgs,
    waits: WaitArgs,
    today: time::Date,
) -> u8 {
    let permits = Arc::new(tokio::sync::Semaphore::new(PARALLELISM));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, file) in files.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        let target = target.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let result = one(&file, &target, &waits, today).await;
            (
                index,
                Outcome {
                    file: file.display().to_string(),
                    result,
                },
            )
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(pair) => outcomes.push(pair),
            Err(e) => outcomes.push((
                usize::MAX,
                Outcome {
                    file: "(task)".into(),
                    result: Err(CliError::Internal(e.to_string())),
                },
            )),
        }
    }
    outcomes.sort_by_key(|(i, _)| *i);
    let outcomes: Vec<Outcome> = outcomes.into_iter().map(|(_, o)| o).collect();
    let code = if outcomes.iter().any(|o| o.result.is_err()) {
        1
    } else if outcomes
        .iter()
        .any(|o| o.result.as_ref().is_ok_and(|p| report.has_changes(p)))
    {
        EXIT_CHANGES
    } else {
        0
    };
    output::result(&combined(&outcomes, report, format));
    code
}

async fn one(
    file: &Path,
    target: &TargetArgs,
    waits: &WaitArgs,
    today: time::Date,
) -> Result<obbackup_planner::plan::Plan, CliError> {
    let evaluated = crate::commands::evaluate(file, target, waits, today).await?;
    evaluated.session.close().await;
    Ok(evaluated.plan)
}

fn status(report: Report, outcome: &Outcome) -> &'static str {
    match &outcome.result {
        Err(_) => "error",
        Ok(plan) if report.has_changes(plan) => match report {
            Report::Plan => "changes",
            Report::Drift => "drift",
        },
        Ok(_) => "in_sync",
    }
}

fn error_text(e: &CliError) -> String {
    format!("{:?}", miette::Report::msg(e.to_string()))
}

fn combined(outcomes: &[Outcome], report: Report, format: Format) -> String {
    match format {
        Format::Json => {
            let clusters: Vec<serde_json::Value> = outcomes
                .iter()
                .map(|o| {
                    let (body, error) = match &o.result {
                        Ok(plan) => (serde_json::from_str(&report.render(plan, Format::Json)).unwrap_or_default(), serde_json::Value::Null),
                        Err(e) => (serde_json::Value::Null, serde_json::Value::String(e.to_string())),
                    };
                    serde_json::json!({ "file": o.file, "status": status(report, o), "report": body, "error": error })
                })
                .collect();
            let kind = match report {
                Report::Plan => "plan_report",
                Report::Drift => "drift_report",
            };
            serde_json::to_string_pretty(&serde_json::json!({ "format_version": FORMAT_VERSION, "kind": kind, "clusters": clusters }))
                .unwrap_or_default()
        }
        Format::Human | Format::Markdown => {
            let mut out = String::new();
            let summary: Vec<String> = outcomes
                .iter()
                .map(|o| format!("{} {}", o.file, status(report, o)))
                .collect();
            if format == Format::Markdown {
                out.push_str(&format!("## obbackup: {} cluster(s)\n\n", outcomes.len()));
                for o in outcomes {
                    out.push_str(&format!("- `{}`: **{}**\n", o.file, status(report, o)));
                }
            } else {
                out.push_str(&format!(
                    "{} cluster(s): {}\n",
                    outcomes.len(),
                    summary.join(", ")
                ));
            }
            for (k, o) in outcomes.iter().enumerate() {
                if format == Format::Markdown {
                    out.push_str(&format!("\n---\n\n#### `{}`\n\n", o.file));
                } else {
                    out.push_str(&format!("\n=== {} ===\n", o.file));
                }
                match &o.result {
                    // A comment holds COMMENT_LIMIT characters: each cluster gets an
                    // equal share of what is left, so a small one leaves more to the next.
                    Ok(plan) if format == Format::Markdown => {
                        let left = render::COMMENT_LIMIT
                            .saturating_sub(out.chars().count() + 256 * (outcomes.len() - k));
                        out.push_str(&report.markdown_within(plan, left / (outcomes.len() - k)));
                    }
                    Ok(plan) => out.push_str(&report.render(plan, format)),
                    Err(e) if format == Format::Markdown => out.push_str(&format!(
                        "**error**: {}\n",
                        e.to_string().replace('|', "\\|")
                    )),
                    Err(e) => out.push_str(&error_text(e)),
                }
            }
            out
        }
    }
}

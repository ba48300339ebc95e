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

/// A share of a fleet: run `index` (1-based) of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This run's share, 1 to `total`.
    pub index: usize,
    /// How many shares there are.
    pub total: usize,
}

/// The shard this run takes: `--shard I/N`, else GitLab's `CI_NODE_INDEX` and
/// `CI_NODE_TOTAL` (1-based), else Kubernetes' `JOB_COMPLETION_INDEX`
/// (0-based) with `OBBACKUP_SHARD_TOTAL`; `None` when none is set. `env`
/// reads a variable. Errors name the value that is not a share.
pub fn shard(
    flag: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, CliError> {
    let refuse = |what: String| CliError::Usage(what);
    let number = |text: &str, what: &str| -> Result<usize, CliError> {
        text.trim()
            .parse()
            .map_err(|_| refuse(format!("{what} {text:?} is not a whole number")))
    };
    let (index, total, source) = if let Some(flag) = flag {
        let (i, n) = flag
            .split_once('/')
            .ok_or_else(|| refuse(format!("--shard {flag:?} is not I/N (e.g. 2/3)")))?;
        (number(i, "--shard")?, number(n, "--shard")?, "--shard")
    } else if let (Some(i), Some(n)) = (env("CI_NODE_INDEX"), env("CI_NODE_TOTAL")) {
        (
            number(&i, "CI_NODE_INDEX")?,
            number(&n, "CI_NODE_TOTAL")?,
            "CI_NODE_INDEX/CI_NODE_TOTAL",
        )
    } else if let (Some(i), Some(n)) = (env("JOB_COMPLETION_INDEX"), env("OBBACKUP_SHARD_TOTAL")) {
        (
            number(&i, "JOB_COMPLETION_INDEX")?.saturating_add(1),
            number(&n, "OBBACKUP_SHARD_TOTAL")?,
            "JOB_COMPLETION_INDEX/OBBACKUP_SHARD_TOTAL",
        )
    } else {
        return Ok(None);
    };
    if total == 0 || index == 0 || index > total {
        return Err(refuse(format!(
            "{source}: share {index} of {total} does not exist (shares are 1 to N, N ≥ 1)"
        )));
    }
    Ok(Some(Shard { index, total }))
}

/// The files of `shard`: file k of `files` (0-based) goes to share k mod N + 1.
pub fn share_of(files: Vec<PathBuf>, shard: Shard) -> Vec<PathBuf> {
    files
        .into_iter()
        .enumerate()
        .filter(|(k, _)| k % shard.total + 1 == shard.index)
        .map(|(_, f)| f)
        .collect()
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
    output::report(&combined(&outcomes, report, format), format);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_shard_comes_from_the_flag_then_gitlab_then_kubernetes() {
        let none = env(&[]);
        assert_eq!(shard(None, &none).expect("ok"), None);
        assert_eq!(
            shard(Some("2/3"), &none).expect("ok"),
            Some(Shard { index: 2, total: 3 })
        );
        let gitlab = env(&[("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "4")]);
        assert_eq!(
            shard(None, &gitlab).expect("ok"),
            Some(Shard { index: 3, total: 4 })
        );
        assert_eq!(
            shard(Some("1/2"), &gitlab).expect("ok"),
            Some(Shard { index: 1, total: 2 }),
            "the flag wins"
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0"), ("OBBACKUP_SHARD_TOTAL", "3")]);
        assert_eq!(
            shard(None, &k8s).expect("ok"),
            Some(Shard { index: 1, total: 3 })
        );
        for bad in ["0/3", "4/3", "1/0", "x/2", "3"] {
            assert!(shard(Some(bad), &none).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_file_goes_to_exactly_one_share() {
        let files: Vec<PathBuf> = (0..12)
            .map(|k| PathBuf::from(format!("c{k:02}.hcl")))
            .collect();
        let mut seen: Vec<PathBuf> = Vec::new();
        for index in 1..=3 {
            let share = share_of(files.clone(), Shard { index, total: 3 });
            assert_eq!(share.len(), 4);
            seen.extend(share);
        }
        seen.sort();
        assert_eq!(seen, files);
    }
}

//! `obbackup report merge`: the JSON reports of a fleet spread over several
//! runs (`plan`/`drift` with `--shard`), combined into one report: JSON in
//! the fleet format, or a summary for people and for a pull-request comment,
//! with the exit code a single run over every file would have had.

use obbackup_planner::plan::FORMAT_VERSION;
use obbackup_planner::render::COMMENT_LIMIT;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Which report family the inputs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `plan` and `plan_report`.
    Plan,
    /// `drift` and `drift_report`.
    Drift,
}

impl Family {
    fn fleet_kind(self) -> &'static str {
        match self {
            Family::Plan => "plan_report",
            Family::Drift => "drift_report",
        }
    }
}

/// The merged report: every cluster entry (`file`, `status`, `report`,
/// `error`), sorted by file.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// Plan or drift.
    pub family: Family,
    /// The cluster entries.
    pub clusters: Vec<Value>,
}

/// Reads one input (`name` for errors): a fleet report, or the report of a
/// single configuration (taken as one cluster named `name`). Errors say what
/// is wrong with the input.
pub fn read(name: &str, text: &str) -> Result<(Family, Vec<Value>), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    let version = value["format_version"].as_str().unwrap_or_default();
    if !version.starts_with("1.") {
        return Err(format!(
            "{name}: format_version {version:?} is not 1.x (written by another obbackup?)"
        ));
    }
    match value["kind"].as_str() {
        Some(kind @ ("plan_report" | "drift_report")) => {
            let family = if kind == "plan_report" {
                Family::Plan
            } else {
                Family::Drift
            };
            let clusters = value["clusters"]
                .as_array()
                .cloned()
                .ok_or_else(|| format!("{name}: a {kind} without clusters"))?;
            Ok((family, clusters))
        }
        Some(kind @ ("plan" | "drift")) => {
            let family = if kind == "plan" {
                Family::Plan
            } else {
                Family::Drift
            };
            let status = match family {
                Family::Plan if has_changes(&value, family) => "changes",
                Family::Drift if has_changes(&value, family) => "drift",
                _ => "in_sync",
            };
            Ok((
                family,
                vec![json!({ "file": name, "status": status, "report": value, "error": null })],
            ))
        }
        other => Err(format!(
            "{name}: kind {other:?} is not a plan or drift report (plan_report, drift_report, plan, drift)"
        )),
    }
}

fn has_changes(report: &Value, family: Family) -> bool {
    let listed = |key: &str| report[key].as_array().is_some_and(|a| !a.is_empty());
    match family {
        Family::Plan => listed("changes") || listed("steps"),
        Family::Drift => listed("changes") || listed("breaches"),
    }
}

/// Merges the inputs; refuses mixed families and a cluster file reported twice.
pub fn merge(inputs: Vec<(Family, Vec<Value>)>) -> Result<Merged, String> {
    let mut family = None;
    let mut clusters: Vec<Value> = Vec::new();
    for (f, entries) in inputs {
        if family.is_some_and(|known| known != f) {
            return Err(
                "the reports mix plan and drift: merge the plan reports and the drift reports separately"
                    .into(),
            );
        }
        family = Some(f);
        for entry in entries {
            let file = entry["file"].as_str().unwrap_or_default().to_string();
            if clusters.iter().any(|c| c["file"] == file.as_str()) {
                return Err(format!(
                    "{file} is in two reports: did two shards take the same file?"
                ));
            }
            clusters.push(entry);
        }
    }
    clusters.sort_by(|a, b| a["file"].as_str().cmp(&b["file"].as_str()));
    Ok(Merged {
        family: family.ok_or("no report to merge")?,
        clusters,
    })
}

impl Merged {
    /// 1 if any cluster failed, else 2 if any has changes or drift, else 0.
    pub fn exit_code(&self) -> u8 {
        let any = |s: &str| self.clusters.iter().any(|c| c["status"] == s);
        if any("error") {
            1
        } else if any("changes") || any("drift") {
            2
        } else {
            0
        }
    }

    /// The fleet JSON report.
    pub fn json(&self) -> Value {
        json!({
            "format_version": FORMAT_VERSION,
            "kind": self.family.fleet_kind(),
            "clusters": self.clusters,
        })
    }

    fn lines(entry: &Value) -> Vec<String> {
        let report = &entry["report"];
        let mut out = Vec::new();
        for c in report["changes"].as_array().into_iter().flatten() {
            let symbol = if c["action"] == "create" { "+" } else { "~" };
            out.push(format!(
                "{symbol} {}: {} → {}",
                c["address"].as_str().unwrap_or_default(),
                c["before"].as_str().unwrap_or("(not set)"),
                c["after"].as_str().unwrap_or_default()
            ));
        }
        for b in report["breaches"].as_array().into_iter().flatten() {
            out.push(format!(
                "! {}: {} → {}",
                b["address"].as_str().unwrap_or_default(),
                b["observed"].as_str().unwrap_or("nothing"),
                b["limit"].as_str().unwrap_or_default()
            ));
        }
        for s in report["steps"].as_array().into_iter().flatten() {
            for h in s["hazards"].as_array().into_iter().flatten() {
                out.push(format!(
                    "! hazard {} [{}]: {}",
                    s["id"].as_str().unwrap_or_default(),
                    h["kind"].as_str().unwrap_or_default(),
                    h["message"].as_str().unwrap_or_default()
                ));
            }
        }
        if let Some(error) = entry["error"].as_str() {
            out.push(format!("error: {error}"));
        }
        out
    }

    /// For people: one line per cluster, then each cluster's changes,
    /// breaches, hazards or error.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} cluster(s):", self.clusters.len());
        for c in &self.clusters {
            let _ = writeln!(
                out,
                "  {} {}",
                c["file"].as_str().unwrap_or_default(),
                c["status"].as_str().unwrap_or_default()
            );
        }
        for c in &self.clusters {
            let lines = Self::lines(c);
            if lines.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n=== {} ===", c["file"].as_str().unwrap_or_default());
            for line in lines {
                let _ = writeln!(out, "  {line}");
            }
        }
        out
    }

    /// For a pull-request comment, within `COMMENT_LIMIT` characters: the
    /// summary, then one collapsed section per cluster with something to
    /// show, as many as fit, and a note on how many were left out.
    pub fn markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = String::new();
        let _ = writeln!(out, "## obbackup: {} cluster(s)\n", self.clusters.len());
        // Clusters in sync are counted, the others listed (while they fit in
        // a quarter of the comment).
        let in_sync = self
            .clusters
            .iter()
            .filter(|c| c["status"] == "in_sync")
            .count();
        let _ = writeln!(out, "{in_sync} in sync.\n");
        let others: Vec<&Value> = self
            .clusters
            .iter()
            .filter(|c| c["status"] != "in_sync")
            .collect();
        for (k, c) in others.iter().enumerate() {
            let line = format!(
                "- `{}`: **{}**\n",
                cell(c["file"].as_str().unwrap_or_default()),
                c["status"].as_str().unwrap_or_default()
            );
            if out.chars().count() + line.chars().count() > COMMENT_LIMIT / 4 {
                let _ = writeln!(out, "- … and {} more", others.len() - k);
                break;
            }
            out.push_str(&line);
        }
        let sections: Vec<String> = self
            .clusters
            .iter()
            .filter_map(|c| {
                let lines = Self::lines(c);
                (!lines.is_empty()).then(|| {
                    let mut s = format!(
                        "\n<details><summary><code>{}</code>: {}</summary>\n\n",
                        cell(c["file"].as_str().unwrap_or_default()),
                        c["status"].as_str().unwrap_or_default()
                    );
                    for line in lines {
                        let _ = writeln!(s, "- {}", cell(&line));
                    }
                    s.push_str("\n</details>\n");
                    s
                })
            })
            .collect();
        let total = sections.len();
        for (k, section) in sections.into_iter().enumerate() {
            if out.chars().count() + section.chars().count() + 256 > COMMENT_LIMIT {
                let _ = writeln!(
                    out,
                    "\n> {} cluster section(s) left out for length; the JSON report lists them.",
                    total - k
                );
                break;
            }
            out.push_str(&section);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(kind: &str, entries: Value) -> String {
        json!({ "format_version": "1.0", "kind": kind, "clusters": entries }).to_string()
    }

    #[test]
    fn shards_merge_in_file_order_with_the_combined_exit_code() {
        let a = fleet(
            "drift_report",
            json!([{ "file": "c/b.hcl", "status": "in_sync", "report": {}, "error": null }]),
        );
        let b = fleet(
            "drift_report",
            json!([{ "file": "c/a.hcl", "status": "drift", "report": { "changes": [
                { "address": "tenant.t.log_archive.mode", "action": "update", "before": "OPTIONAL", "after": "MANDATORY" }
            ] }, "error": null }]),
        );
        let merged = merge(vec![
            read("a.json", &a).expect("read"),
            read("b.json", &b).expect("read"),
        ])
        .expect("merged");
        assert_eq!(merged.exit_code(), 2);
        let files: Vec<&str> = merged
            .clusters
            .iter()
            .filter_map(|c| c["file"].as_str())
            .collect();
        assert_eq!(files, ["c/a.hcl", "c/b.hcl"]);
        assert!(
            merged
                .human()
                .contains("  ~ tenant.t.log_archive.mode: OPTIONAL → MANDATORY")
        );
        assert_eq!(merged.json()["kind"], "drift_report");
    }

    #[test]
    fn mixed_families_duplicates_and_foreign_files_are_refused() {
        let plan = fleet("plan_report", json!([]));
        let drift = fleet(
            "drift_report",
            json!([{ "file": "x.hcl", "status": "in_sync", "report": {}, "error": null }]),
        );
        let err = merge(vec![
            read("p", &plan).expect("read"),
            read("d", &drift).expect("read"),
        ])
        .expect_err("mixed");
        assert!(err.contains("mix plan and drift"), "{err}");
        let err = merge(vec![
            read("d1", &drift).expect("read"),
            read("d2", &drift).expect("read"),
        ])
        .expect_err("twice");
        assert!(err.contains("x.hcl is in two reports"), "{err}");
        assert!(read("s", r#"{"format_version":"1.0","kind":"status"}"#).is_err());
        assert!(read("v", r#"{"format_version":"2.0","kind":"plan"}"#).is_err());
        assert!(read("n", "not json").is_err());
    }

    #[test]
    fn an_error_wins_the_exit_code_and_markdown_stays_within_a_comment() {
        let many: Vec<Value> = (0..1000)
            .map(|k| {
                json!({ "file": format!("c{k:03}.hcl"), "status": "changes", "report": { "changes": [
                    { "address": format!("tenant.t{k}.data_backup.concurrency"), "action": "update", "before": "1", "after": "8" }
                ], "steps": [] }, "error": null })
            })
            .chain(std::iter::once(
                json!({ "file": "zz.hcl", "status": "error", "report": null, "error": "cannot connect" }),
            ))
            .collect();
        let merged = merge(vec![
            read("f", &fleet("plan_report", Value::Array(many))).expect("read"),
        ])
        .expect("merged");
        assert_eq!(merged.exit_code(), 1);
        let md = merged.markdown();
        assert!(
            md.chars().count() <= COMMENT_LIMIT,
            "{}",
            md.chars().count()
        );
        assert!(md.contains("left out for length"));
    }
}

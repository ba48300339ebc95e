//! Saved plans (`obbackup plan --out FILE`): the plan with everything needed to
//! check, at apply, that it still holds — and no secret.
//!
//! A plan file holds the configuration text (secret-free by construction:
//! credentials must be `env()` references, which it lists), its SHA-256, the
//! date ignores were evaluated on, the redacted live state the plan was computed
//! from with its fingerprint, and the plan itself. At apply the cluster is read
//! again: a different fingerprint is a stale plan, reported with the paths that
//! changed; otherwise the embedded configuration is planned again (resolving
//! `env()` from the environment of the apply) and must give exactly the saved
//! steps. Format: `docs/plan-file.md`.

use crate::config::{Config, Piece, Value as ConfigValue};
use crate::live::LiveState;
use crate::plan::{Plan, StepKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The version of the plan file format. 1.1 added `options`; a 1.0 file is
/// read with the default wait limits and backups followed as its steps show.
pub const PLAN_FILE_VERSION: &str = "1.1";

/// The planning options a saved plan was made with; apply plans the saved
/// configuration again with exactly these, whatever its own flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOptions {
    /// Wait limits (`--wait-timeout` at plan time, else the defaults).
    pub timeouts: crate::plan::Timeouts,
    /// Whether backup jobs are followed to their end (`--wait` at plan time).
    pub follow_backups: bool,
}

/// The configuration a plan was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedConfig {
    /// File name as given on the command line.
    pub name: String,
    /// SHA-256 (hex) of `text`.
    pub sha256: String,
    /// The whole file.
    pub text: String,
}

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    /// [`PLAN_FILE_VERSION`].
    pub plan_file_version: String,
    /// The configuration.
    pub config: SavedConfig,
    /// Environment references the configuration reads (`env:NAME`), resolved again at apply.
    pub env_references: Vec<String>,
    /// The date `ignore` blocks were evaluated on (`YYYY-MM-DD`).
    pub today: String,
    /// The options the plan was made with (absent in 1.0 files: see [`PlanFile::options`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<SavedOptions>,
    /// The live state planned from (redacted JSON of `LiveState`).
    pub live_state: Value,
    /// The plan.
    pub plan: Plan,
}

/// Why a plan file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanFileError {
    /// Not JSON of the documented shape.
    #[error("not a plan file: {0}")]
    Malformed(String),
    /// Written by an incompatible version.
    #[error("plan file version {0} is not supported (this obbackup reads {PLAN_FILE_VERSION})")]
    Version(String),
    /// The embedded configuration does not match its hash.
    #[error(
        "the configuration inside the plan file does not match its SHA-256: the file was edited"
    )]
    Tampered,
}

/// Hex SHA-256 of a text.
pub fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every `env("NAME")` the configuration reads, as `env:NAME`, sorted: in
/// the tenant-level blocks (4.x) and in the `cluster` block (3.x) alike.
pub fn env_references(config: &Config) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    let tenant_blocks = std::iter::once(&config.defaults)
        .chain(config.tenants.iter().map(|t| &t.settings))
        .flat_map(|s| s.log_archive.values().chain(s.data_backup.values()));
    for setting in tenant_blocks.chain(config.cluster.values()) {
        if let ConfigValue::Text(t) = &setting.value {
            for piece in &t.pieces {
                if let Piece::Env { name, .. } = piece {
                    names.insert(format!("env:{name}"));
                }
            }
        }
    }
    names.into_iter().collect()
}

/// The variables `config` reads with `env()` for a secret: a credential
/// attribute of a destination (`access_key=${env("…")}`, any case) or a
/// password (`encryption { password = env("…") }`). Sorted, without
/// repeats.
pub fn secret_env_names(config: &Config) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    let tenant_blocks = std::iter::once(&config.defaults)
        .chain(config.tenants.iter().map(|t| &t.settings))
        .flat_map(|s| s.log_archive.iter().chain(s.data_backup.iter()));
    for (key, setting) in tenant_blocks.chain(config.cluster.iter()) {
        let ConfigValue::Text(t) = &setting.value else {
            continue;
        };
        let password = key.ends_with("password");
        let mut before = "";
        for piece in &t.pieces {
            match piece {
                Piece::Literal(text) => before = text,
                Piece::Env { name, .. } => {
                    let attribute = before
                        .rsplit(['?', '&'])
                        .next()
                        .and_then(|a| a.strip_suffix('='))
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    if password || crate::destination::Destination::is_credential(&attribute) {
                        names.insert(name.clone());
                    }
                    before = "";
                }
                Piece::TenantName => before = "",
            }
        }
    }
    names.into_iter().collect()
}

impl PlanFile {
    /// Builds the file for a plan computed from `config` (`name`, `text`) against `live` on `today`.
    pub fn new(
        plan: &Plan,
        name: &str,
        text: &str,
        config: &Config,
        live: &LiveState,
        today: time::Date,
        options: SavedOptions,
    ) -> Self {
        PlanFile {
            plan_file_version: PLAN_FILE_VERSION.to_string(),
            config: SavedConfig {
                name: name.to_string(),
                sha256: sha256(text),
                text: text.to_string(),
            },
            env_references: env_references(config),
            today: today.to_string(),
            options: Some(options),
            live_state: serde_json::to_value(live).unwrap_or(Value::Null),
            plan: plan.clone(),
        }
    }

    /// The options to plan the saved configuration again with: the recorded
    /// ones, or for a 1.0 file the default limits, following backups when a
    /// saved wait does.
    pub fn options(&self) -> SavedOptions {
        self.options.unwrap_or_else(|| SavedOptions {
            timeouts: crate::plan::Timeouts::default(),
            follow_backups: self.plan.steps.iter().any(|s| {
                matches!(&s.kind, StepKind::Wait(w)
                    if matches!(w.until, crate::step::WaitUntil::BackupJob { follow: true, .. }))
            }),
        })
    }

    /// Reads a plan file, checking its version and the configuration's hash.
    pub fn parse(text: &str) -> Result<Self, PlanFileError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PlanFileError::Malformed(e.to_string()))?;
        let version = value
            .get("plan_file_version")
            .and_then(Value::as_str)
            .unwrap_or("(none)")
            .to_string();
        if version.split('.').next() != PLAN_FILE_VERSION.split('.').next() {
            return Err(PlanFileError::Version(version));
        }
        let file: PlanFile =
            serde_json::from_value(value).map_err(|e| PlanFileError::Malformed(e.to_string()))?;
        if sha256(&file.config.text) != file.config.sha256 {
            return Err(PlanFileError::Tampered);
        }
        Ok(file)
    }

    /// The date ignores were evaluated on.
    pub fn today(&self) -> Option<time::Date> {
        crate::config::parse_date(&self.today)
    }

    /// What differs between the saved live state and `live`, one line per
    /// changed value (`tenants.t1.log_mode: "NOARCHIVELOG" → "ARCHIVELOG"`).
    /// Empty when the fingerprints agree.
    pub fn stale_differences(&self, live: &LiveState) -> Vec<String> {
        if live.fingerprint() == self.plan.live_fingerprint {
            return Vec::new();
        }
        let now = serde_json::to_value(live).unwrap_or(Value::Null);
        let mut out = Vec::new();
        json_differences("", &self.live_state, &now, &mut out);
        if out.is_empty() {
            out.push("the live state differs from the one the plan was made from".into());
        }
        out
    }
}

fn json_differences(path: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                json_differences(
                    &sub,
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (a, b) if a != b => out.push(format!("{path}: {a} → {b}")),
        _ => {}
    }
}

/// How the statements of `fresh` differ from those of `planned` (the SQL
/// steps in order, by id and text as shown; waits are left out, as a state
/// OceanBase reached on its own since only shortens them), or `None` when
/// they are the same. The text names the counts and the first step that
/// differs.
pub fn statement_difference(planned: &Plan, fresh: &Plan) -> Option<String> {
    let statements = |plan: &Plan| -> Vec<(String, String)> {
        plan.steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Sql(sql) => Some((s.id.to_string(), sql.shown.clone())),
                StepKind::Wait(_) => None,
            })
            .collect()
    };
    let (before, now) = (statements(planned), statements(fresh));
    if before == now {
        return None;
    }
    let first = before
        .iter()
        .zip(&now)
        .find(|(a, b)| a != b)
        .map(|(a, _)| a.0.clone())
        .or_else(|| before.get(now.len()).map(|a| a.0.clone()))
        .or_else(|| now.get(before.len()).map(|b| b.0.clone()))
        .unwrap_or_default();
    Some(format!(
        "{} statement(s) planned, {} now; the first that differs: {first}",
        before.len(),
        now.len()
    ))
}

/// Whether two plans have the same steps in the same order (ids, statements as
/// shown, waits, session settings and limits), which is what apply of a saved
/// plan must run.
pub fn same_steps(saved: &Plan, fresh: &Plan) -> bool {
    saved.steps.len() == fresh.steps.len()
        && saved.steps.iter().zip(&fresh.steps).all(|(a, b)| {
            a.id == b.id
                && a.session == b.session
                && a.timeout_seconds == b.timeout_seconds
                && match (&a.kind, &b.kind) {
                    (StepKind::Sql(x), StepKind::Sql(y)) => x.shown == y.shown,
                    // `tenant_id` is not saved; `query` names the tenant.
                    (StepKind::Wait(x), StepKind::Wait(y)) => {
                        x.until == y.until
                            && x.query == y.query
                            && x.timeout_seconds == y.timeout_seconds
                    }
                    _ => false,
                }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_env_names_are_credentials_and_passwords_only() {
        let text = r#"
tenant "t" {
  log_archive { destination = "oss://b/${env("BUCKET_DIR")}/t?host=h&ACCESS_ID=${env("T_ID")}&access_key=${env("T_KEY")}" }
  data_backup {
    destination = "file:///nfs/${env("ROOT")}/data"
    encryption { password = env("T_PASSWORD") }
  }
}
"#;
        let (config, errors) = crate::config::decode(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(secret_env_names(&config), ["T_ID", "T_KEY", "T_PASSWORD"]);
    }

    #[test]
    fn env_references_cover_both_lines() {
        let text = r#"
cluster {
  backup_dest = "oss://b/ob3?host=h&access_id=${env("OB3_ID")}&access_key=${env("OB3_KEY")}"
  data_backup {
    encryption { password = env("OB3_PASSWORD") }
  }
}
tenant "t" {
  log_archive { destination = "oss://b/t?host=h&access_id=${env("T_ID")}&access_key=${env("T_KEY")}" }
}
"#;
        let (config, errors) = crate::config::decode(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            env_references(&config),
            [
                "env:OB3_ID",
                "env:OB3_KEY",
                "env:OB3_PASSWORD",
                "env:T_ID",
                "env:T_KEY"
            ]
        );
    }
}

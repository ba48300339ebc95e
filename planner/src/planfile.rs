//! Saved plans (`obbackup plan --out FILE`): the plan with everything needed to
//! check, at apply, that it still holds — and no secret.
//!
//! A plan file holds the configuration text (secret-free by construction:
//! credentials must be `env()` references, which it lists), its SHA-256, the
//! date ignores were evaluated on, the redacted live state the plan was computed
//! from with its fingerprint, and the plan itself. At apply the cluster is read
//! again: a different fingerprint is a stale plan, reported with the paths that
//! changed; otherwise the embedded configuration is planned again with the
//! saved options (resolving `env()` from the environment of the apply) only
//! to obtain the secret text of the saved statements ([`bind`]): apply runs
//! the saved steps, in the saved order, and nothing else. Format:
//! `docs/plan-file.md`.

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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum PlanFileError {
    /// Not JSON of the documented shape.
    #[error("not a plan file: {0}")]
    #[diagnostic(
        code(obbackup::planfile::malformed),
        help("a plan file is what `obbackup plan --out FILE` wrote")
    )]
    Malformed(String),
    /// Written by an incompatible version.
    #[error("plan file version {0} is not supported (this obbackup reads {PLAN_FILE_VERSION})")]
    #[diagnostic(
        code(obbackup::planfile::version),
        help("make the plan again with this obbackup")
    )]
    Version(String),
    /// The embedded configuration does not match its hash.
    #[error(
        "the configuration inside the plan file does not match its SHA-256: the file was edited"
    )]
    #[diagnostic(
        code(obbackup::planfile::tampered),
        help("nothing was run; make a new plan and review it")
    )]
    Tampered,
    /// The recorded date is not a date.
    #[error("the plan file's date {0:?} is not YYYY-MM-DD")]
    #[diagnostic(
        code(obbackup::planfile::date),
        help("nothing was run; make a new plan and review it")
    )]
    Date(String),
    /// A saved statement carries a secret (shown masked), and the
    /// configuration, planned again against the same live state, no longer
    /// gives that statement: an `env()` value it reads changed.
    #[error(
        "step {step} of the saved plan sends a secret, and the configuration no longer gives that statement: an env() value it reads differs from when the plan was made"
    )]
    #[diagnostic(
        code(obbackup::planfile::env_changed),
        help(
            "nothing was run; the cluster has not changed since the plan, so export the values the plan was made with, or make a new plan and review it"
        )
    )]
    SecretChanged {
        /// The step's id.
        step: String,
    },
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

    /// The recorded date ignores were evaluated on.
    ///
    /// # Errors
    /// [`PlanFileError::Date`] when it is not `YYYY-MM-DD`.
    pub fn date(&self) -> Result<time::Date, PlanFileError> {
        self.today()
            .ok_or_else(|| PlanFileError::Date(self.today.clone()))
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

/// A saved plan made ready to run: its own steps and edges, with the text to
/// send of each statement.
#[derive(Debug, Clone)]
pub struct Bound {
    /// The saved plan, each statement's `text` filled in.
    pub plan: Plan,
    /// Steps that planning again gives and the saved plan does not (a backup
    /// that became due since, say): not run.
    pub left_out: Vec<crate::plan::Step>,
}

/// Binds the saved plan `saved` to `fresh`, the saved configuration planned
/// again with the saved options against a live state with the saved
/// fingerprint (so it differs only where time passed or an `env()` value
/// changed). Each saved statement takes the text to send of the fresh step
/// with its id when that step shows the same text; a statement that shows no
/// secret is sent as shown; waits take the fresh wait's tenant id (polled
/// with the others) when their queries agree. Steps, order and edges stay the
/// saved plan's: nothing the review did not see runs.
///
/// # Errors
/// [`PlanFileError::SecretChanged`] for the first saved statement that shows
/// a masked secret and is no longer planned with the same text.
pub fn bind(saved: &Plan, fresh: &Plan) -> Result<Bound, PlanFileError> {
    use crate::secret::{REDACTED, Secret};
    let by_id: std::collections::HashMap<&crate::plan::StepId, &crate::plan::Step> =
        fresh.steps.iter().map(|s| (&s.id, s)).collect();
    let mut plan = saved.clone();
    for step in &mut plan.steps {
        let now = by_id.get(&step.id).map(|s| &s.kind);
        match (&mut step.kind, now) {
            (StepKind::Sql(sql), Some(StepKind::Sql(again))) if again.shown == sql.shown => {
                sql.text = again.text.clone();
            }
            (StepKind::Sql(sql), _) if !sql.shown.contains(REDACTED) => {
                sql.text = Secret::new(sql.shown.clone());
            }
            (StepKind::Sql(_), _) => {
                return Err(PlanFileError::SecretChanged {
                    step: step.id.to_string(),
                });
            }
            (StepKind::Wait(wait), Some(StepKind::Wait(again))) if again.query == wait.query => {
                wait.tenant_id = again.tenant_id;
            }
            (StepKind::Wait(_), _) => {}
        }
    }
    let kept: std::collections::HashSet<&crate::plan::StepId> =
        saved.steps.iter().map(|s| &s.id).collect();
    let left_out = fresh
        .steps
        .iter()
        .filter(|s| !kept.contains(&s.id))
        .cloned()
        .collect();
    Ok(Bound { plan, left_out })
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

    use crate::plan::{Step, StepAction, StepId};
    use crate::secret::Secret;

    fn statement(verb: &str, action: StepAction, sql: crate::sql::SqlText) -> Step {
        Step::new(
            StepId::tenant("t", verb),
            action,
            StepKind::Sql(sql),
            Some("t"),
            "t",
        )
    }

    fn plan_of(steps: Vec<Step>) -> Plan {
        Plan {
            server_version: "4.2.2.1".into(),
            login_tenant: "sys".into(),
            live_fingerprint: "f".into(),
            changes: Vec::new(),
            steps,
            edges: Vec::new(),
            notes: Vec::new(),
            accepted: Vec::new(),
            breaches: Vec::new(),
        }
    }

    /// What a plan file gives back: the texts to send are not saved.
    fn saved(plan: &Plan) -> Plan {
        let text = serde_json::to_string(plan).expect("serialises");
        let back: Plan = serde_json::from_str(&text).expect("reads back");
        assert!(back.steps.iter().all(|s| match &s.kind {
            StepKind::Sql(sql) => sql.text.expose().is_empty(),
            StepKind::Wait(_) => true,
        }));
        back
    }

    fn encryption(password: &str) -> Step {
        statement(
            "set_encryption",
            StepAction::SetEncryption,
            crate::sql::set_encryption(&Secret::new(password.to_string())),
        )
    }

    fn backup() -> Step {
        statement(
            "backup_full",
            StepAction::Backup,
            crate::sql::SqlText::plain("ALTER SYSTEM BACKUP TENANT = t".into()),
        )
    }

    fn sent(plan: &Plan) -> Vec<String> {
        plan.steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Sql(sql) => Some(sql.text.expose().to_string()),
                StepKind::Wait(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_saved_statement_sends_the_text_of_the_step_that_shows_the_same() {
        let fresh = plan_of(vec![encryption("pw-of-apply"), backup()]);
        let bound = bind(&saved(&fresh), &fresh).expect("binds");
        assert_eq!(
            sent(&bound.plan),
            [
                "SET ENCRYPTION ON IDENTIFIED BY 'pw-of-apply' ONLY",
                "ALTER SYSTEM BACKUP TENANT = t"
            ]
        );
        assert!(bound.left_out.is_empty());
    }

    #[test]
    fn only_the_saved_steps_run_in_the_saved_order_and_the_rest_is_named() {
        let fresh = plan_of(vec![encryption("pw-of-apply"), backup()]);
        // Saved before the backup was due: the encryption step alone, and a
        // statement that planning no longer gives but that shows no secret.
        let mut earlier = plan_of(vec![
            statement(
                "set_concurrency",
                StepAction::SetParameter(crate::change::Parameter::LogArchiveConcurrency),
                crate::sql::SqlText::plain("ALTER SYSTEM SET log_archive_concurrency = 4".into()),
            ),
            encryption("pw-of-plan"),
        ]);
        earlier.edges.push(crate::plan::Edge {
            from: StepId::tenant("t", "set_concurrency"),
            to: StepId::tenant("t", "set_encryption"),
            rule: crate::rules::Rule::SessionEncryptionSequence,
        });
        let bound = bind(&saved(&earlier), &fresh).expect("binds");
        assert_eq!(
            sent(&bound.plan),
            [
                "ALTER SYSTEM SET log_archive_concurrency = 4",
                "SET ENCRYPTION ON IDENTIFIED BY 'pw-of-apply' ONLY"
            ]
        );
        assert_eq!(bound.plan.edges, earlier.edges);
        let left: Vec<String> = bound.left_out.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(left, ["tenant.t:backup_full"]);
    }

    #[test]
    fn a_saved_secret_statement_no_longer_planned_is_refused() {
        let dest = |dir: &str| {
            let text = format!(
                "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'location=oss://b/{dir}?host=h&access_key=k-123456'"
            );
            crate::sql::SqlText {
                shown: text.replace("k-123456", crate::secret::REDACTED),
                text: Secret::new(text),
            }
        };
        let plan = |dir| {
            plan_of(vec![statement(
                "set_log_archive_dest",
                StepAction::SetArchiveDest,
                dest(dir),
            )])
        };
        let error = bind(&saved(&plan("first")), &plan("second")).expect_err("refused");
        assert_eq!(
            error,
            PlanFileError::SecretChanged {
                step: "tenant.t:set_log_archive_dest".into()
            }
        );
        assert!(bind(&saved(&plan("first")), &plan("first")).is_ok());
    }
}

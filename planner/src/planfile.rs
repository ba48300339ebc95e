//! Saved plans (`obbackup plan --out FILE`): the plan with everything needed to
//! check, at apply, that it still holds — and no secret.
//!
//! A plan file holds the configuration text (secret-free by construction:
//! credentials must be `env()` references, which it lists), its SHA-256, the
//! date ignores were evaluated on, the redacted live state the plan was computed
//! from with its fingerprint, and the plan itself. At apply the cluster is read
//! again: a different fingerprint is a stale plan, reported with the paths that
//! changed; otherwise the embedded configuration is planned again with the
//! saved options (resolving `env()` from the environment of the apply), and
//! every saved step must be one it gives ([`bind`]): apply runs the saved
//! steps, in the saved order, with their secrets from this run's
//! environment, and nothing else. Format: `docs/plan-file.md`.

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
    /// A saved step that the configuration, planned again against the same
    /// cluster, no longer gives as saved.
    #[error(
        "step {step} of the saved plan is not what the configuration now plans against this unchanged cluster: the plan file was edited, an env() value the configuration reads changed, or another backup became due"
    )]
    #[diagnostic(
        code(obbackup::planfile::step_changed),
        help(
            "nothing was run; export the env() values the plan was made with, or make a new plan and review it"
        )
    )]
    StepChanged {
        /// The step's id.
        step: String,
    },
    /// Planning again gives steps beyond the saved ones that time alone does
    /// not add (only a backup that became due is).
    #[error(
        "the configuration now plans {steps} beyond the saved plan against this unchanged cluster: an env() value it reads changed since the plan was made"
    )]
    #[diagnostic(
        code(obbackup::planfile::new_steps),
        help(
            "nothing was run; export the env() values the plan was made with, or make a new plan and review it"
        )
    )]
    NewSteps {
        /// The steps' ids, comma-separated.
        steps: String,
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
        crate::config::parse_date(&self.today)
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

/// A saved plan made ready to run: its own steps, in its own order, with the
/// text to send of each statement.
#[derive(Debug, Clone)]
pub struct Bound {
    /// The saved plan, each statement's `text` filled in, its edges those
    /// the configuration gives now among its steps.
    pub plan: Plan,
    /// Steps that planning again gives and the saved plan does not: backups
    /// that became due since (nothing else is accepted). Not run.
    pub left_out: Vec<crate::plan::Step>,
}

/// What time alone can add to a plan of an unchanged cluster: a backup that
/// became due, with its encryption and its wait.
fn time_can_add(action: crate::plan::StepAction) -> bool {
    use crate::plan::StepAction as A;
    matches!(action, A::SetEncryption | A::Backup | A::WaitBackupJob)
}

/// Whether `saved` (read back from a plan file) is the step `fresh`: the
/// same action, statement as shown or wait, session settings, limit and
/// hazards.
fn same_step(saved: &crate::plan::Step, fresh: &crate::plan::Step) -> bool {
    saved.action == fresh.action
        && saved.session == fresh.session
        && saved.timeout_seconds == fresh.timeout_seconds
        && saved.hazards == fresh.hazards
        && match (&saved.kind, &fresh.kind) {
            (StepKind::Sql(a), StepKind::Sql(b)) => a.shown == b.shown,
            // `tenant_id` is not saved; `query` names the tenant.
            (StepKind::Wait(a), StepKind::Wait(b)) => {
                a.until == b.until && a.query == b.query && a.timeout_seconds == b.timeout_seconds
            }
            _ => false,
        }
}

/// Binds the saved plan `saved` to `fresh`, the saved configuration planned
/// again with the saved options against a live state with the saved
/// fingerprint. Every saved step must be a step `fresh` gives, the same as
/// shown: it then runs as `fresh` has it (its text to send, its tenant id),
/// in the saved order, ordered by the edges `fresh` gives among the saved
/// steps. So a plan file runs only what was reviewed, and only while the
/// configuration, its environment and the cluster still give it.
///
/// # Errors
/// [`PlanFileError::StepChanged`] for a saved step `fresh` does not give
/// (the file was edited, an `env()` value changed, another backup became
/// due); [`PlanFileError::NewSteps`] when `fresh` gives steps beyond the
/// saved ones that time alone cannot add; [`PlanFileError::StepChanged`]
/// too when the saved order breaks an edge.
pub fn bind(saved: &Plan, fresh: &Plan) -> Result<Bound, PlanFileError> {
    use std::collections::{HashMap, HashSet};
    let by_id: HashMap<&crate::plan::StepId, &crate::plan::Step> =
        fresh.steps.iter().map(|s| (&s.id, s)).collect();
    let kept: HashSet<&crate::plan::StepId> = saved.steps.iter().map(|s| &s.id).collect();
    let mut plan = saved.clone();
    for step in &mut plan.steps {
        let changed = || PlanFileError::StepChanged {
            step: step.id.to_string(),
        };
        let again = by_id
            .get(&step.id)
            .filter(|again| same_step(step, again))
            .ok_or_else(changed)?;
        step.kind = again.kind.clone();
    }
    plan.edges = fresh
        .edges
        .iter()
        .filter(|e| kept.contains(&e.from) && kept.contains(&e.to))
        .cloned()
        .collect();
    for step in &mut plan.steps {
        step.depends_on = plan
            .edges
            .iter()
            .filter(|e| e.to == step.id)
            .map(|e| e.from.clone())
            .collect();
    }
    let position: HashMap<&crate::plan::StepId, usize> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(n, s)| (&s.id, n))
        .collect();
    if let Some(edge) = plan
        .edges
        .iter()
        .find(|e| position[&e.from] > position[&e.to])
    {
        return Err(PlanFileError::StepChanged {
            step: edge.to.to_string(),
        });
    }
    let left_out: Vec<crate::plan::Step> = fresh
        .steps
        .iter()
        .filter(|s| !kept.contains(&s.id))
        .cloned()
        .collect();
    let unexplained: Vec<String> = left_out
        .iter()
        .filter(|s| !time_can_add(s.action))
        .map(|s| s.id.to_string())
        .collect();
    if !unexplained.is_empty() {
        return Err(PlanFileError::NewSteps {
            steps: unexplained.join(", "),
        });
    }
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

    fn concurrency(n: i64) -> Step {
        statement(
            "set_log_archive_concurrency",
            StepAction::SetParameter(crate::change::Parameter::LogArchiveConcurrency),
            crate::sql::SqlText::plain(format!("ALTER SYSTEM SET log_archive_concurrency = {n}")),
        )
    }

    fn edge(from: &str, to: &str) -> crate::plan::Edge {
        crate::plan::Edge {
            from: StepId::tenant("t", from),
            to: StepId::tenant("t", to),
            rule: crate::rules::Rule::SessionEncryptionSequence,
        }
    }

    #[test]
    fn a_backup_due_since_is_left_out_and_only_the_saved_steps_run() {
        let mut fresh = plan_of(vec![concurrency(4), encryption("pw-of-apply"), backup()]);
        fresh.edges = vec![
            edge("set_log_archive_concurrency", "set_encryption"),
            edge("set_encryption", "backup_full"),
        ];
        // Saved before the backup was due: the concurrency step alone.
        let mut earlier = fresh.clone();
        earlier.steps.truncate(1);
        earlier.edges.clear();
        let bound = bind(&saved(&earlier), &fresh).expect("binds");
        assert_eq!(
            sent(&bound.plan),
            ["ALTER SYSTEM SET log_archive_concurrency = 4"]
        );
        assert!(bound.plan.edges.is_empty());
        let left: Vec<String> = bound.left_out.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(left, ["tenant.t:set_encryption", "tenant.t:backup_full"]);
    }

    #[test]
    fn a_saved_step_the_configuration_no_longer_gives_is_refused() {
        // An edited statement (no secret in it).
        let fresh = plan_of(vec![concurrency(4)]);
        let mut edited = saved(&fresh);
        if let StepKind::Sql(sql) = &mut edited.steps[0].kind {
            sql.shown = "ALTER SYSTEM SET log_archive_concurrency = 40".into();
        }
        assert_eq!(
            bind(&edited, &fresh).expect_err("refused"),
            PlanFileError::StepChanged {
                step: "tenant.t:set_log_archive_concurrency".into()
            }
        );
        // A statement with a secret whose env() directory changed.
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
        assert_eq!(
            bind(&saved(&plan("first")), &plan("second")).expect_err("refused"),
            PlanFileError::StepChanged {
                step: "tenant.t:set_log_archive_dest".into()
            }
        );
        assert!(bind(&saved(&plan("first")), &plan("first")).is_ok());
    }

    #[test]
    fn steps_time_alone_cannot_add_are_refused() {
        let fresh = plan_of(vec![concurrency(4), backup()]);
        let mut earlier = fresh.clone();
        earlier.steps.remove(0);
        assert_eq!(
            bind(&saved(&earlier), &fresh).expect_err("refused"),
            PlanFileError::NewSteps {
                steps: "tenant.t:set_log_archive_concurrency".into()
            }
        );
    }

    #[test]
    fn the_edges_are_the_configurations_and_the_saved_order_must_keep_them() {
        let mut fresh = plan_of(vec![encryption("pw"), backup()]);
        fresh.edges = vec![edge("set_encryption", "backup_full")];
        // Edges dropped from the file come back from the configuration.
        let mut no_edges = saved(&fresh);
        no_edges.edges.clear();
        let bound = bind(&no_edges, &fresh).expect("binds");
        assert_eq!(bound.plan.edges, fresh.edges);
        assert_eq!(
            bound.plan.steps[1].depends_on,
            [StepId::tenant("t", "set_encryption")]
        );
        // A file whose order breaks an edge is refused.
        let mut swapped = saved(&fresh);
        swapped.steps.swap(0, 1);
        assert_eq!(
            bind(&swapped, &fresh).expect_err("refused"),
            PlanFileError::StepChanged {
                step: "tenant.t:backup_full".into()
            }
        );
    }
}

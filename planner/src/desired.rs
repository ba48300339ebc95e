//! Stage `resolve`, the shared half: the desired model ([`DesiredState`], one
//! entry per managed 4.x tenant; [`DataBackup`] and [`Located`] serve the 3.x
//! cluster block too), the evaluation of values (`${tenant.name}`, `env()`,
//! destinations, encryption) and [`validate`] without a cluster for both
//! lines. The dialects resolve their blocks with these
//! (`dialect::ob4::resolve`, `dialect::ob3::resolve`).
//!
//! Merge order per tenant: `defaults`, then the tenant's own block (`tenant "*"`
//! for every user tenant that has no block of its own). `${tenant.name}` is the
//! tenant's name; `${env("NAME")}` reads the environment given by the caller.
//! Credentials in destinations must come from `env()`; two tenants may not share
//! a destination (OceanBase needs one directory per tenant, reference §2.2.2).

use crate::config::{Attribute, Attributes, Config, Piece, Template, Value};
use crate::destination::Destination;
use crate::diagnostic::{ConfigError, span};
use crate::units::{Duration, Size};
use std::collections::BTreeMap;
use std::ops::Range;

/// The environment variables visible to `env()`.
pub type Environment = BTreeMap<String, String>;

/// A value with the span it came from (for plan-time errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Range<usize>,
}

/// Desired `log_archive` settings of one tenant; `None` means "not managed".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogArchive {
    /// Archive mode on (`ARCHIVELOG`) or off.
    pub enabled: Option<bool>,
    /// `LOCATION` of `LOG_ARCHIVE_DEST`.
    pub destination: Option<Located<Destination>>,
    /// `BINDING`: `OPTIONAL` or `MANDATORY` (upper case).
    pub mode: Option<String>,
    /// `PIECE_SWITCH_INTERVAL`.
    pub piece_switch_interval: Option<Duration>,
    /// `LOG_ARCHIVE_DEST_STATE`.
    pub state: Option<crate::states::DestState>,
    /// `log_archive_concurrency`.
    pub concurrency: Option<i64>,
    /// `archive_lag_target`.
    pub lag_target: Option<Duration>,
    /// `max_lag`: how far the archive checkpoint may be behind the server's
    /// clock (a policy drift and status check; no statement).
    pub max_lag: Option<Located<Duration>>,
}

/// Desired `data_backup` settings of one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataBackup {
    /// `DATA_BACKUP_DEST`.
    pub destination: Option<Located<Destination>>,
    /// `ha_low_thread_score`.
    pub concurrency: Option<i64>,
    /// `backup_data_file_size`.
    pub file_size: Option<Size>,
    /// `full { max_age }`: the newest usable full backup must be younger.
    pub full_max_age: Option<Located<Duration>>,
    /// `incremental { max_age }`: the newest usable backup (incremental or full) must be younger.
    pub incremental_max_age: Option<Located<Duration>>,
    /// `plus_archivelog`: backups carry the archive log needed to restore them (4.2+).
    pub plus_archivelog: Option<Located<bool>>,
    /// `encryption { password = env("…") }`: backup sets are encrypted with this password.
    pub encryption: Option<Located<Encryption>>,
    /// `delete_policy { recovery_window }`: the window of the 4.x delete
    /// policy `default` (backups older than it become obsolete).
    pub recovery_window: Option<Located<Duration>>,
    /// `recoverability { max_rpo }`: the newest restorable point may be at
    /// most this far behind the server's clock (a policy).
    pub max_rpo: Option<Located<Duration>>,
    /// `recoverability { min_window }`: the newest recovery window must span
    /// at least this long (a policy).
    pub min_window: Option<Located<Duration>>,
}

/// A backup password read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    /// The variable it was read from (the reference a plan file keeps).
    pub env: String,
    /// The password.
    pub password: crate::secret::Secret,
}

/// Everything declared for one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredTenant {
    /// Log archive settings.
    pub log_archive: LogArchive,
    /// Data backup settings.
    pub data_backup: DataBackup,
    /// Span of the `tenant` label that declared it.
    pub declared_at: Range<usize>,
}

/// The evaluated declaration: every managed tenant by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredState {
    /// `cluster { version }`, with its span.
    pub version: Option<Located<String>>,
    /// Tenants by name.
    pub tenants: BTreeMap<String, DesiredTenant>,
}

/// Validates without a cluster: resolves every named tenant, and the `*` block
/// for a stand-in tenant name (catching unset variables, literal credentials,
/// and a `*` destination without `${tenant.name}`, which every tenant would share).
pub fn validate(config: &Config, env: &Environment) -> Result<DesiredState, Vec<ConfigError>> {
    let named: Vec<String> = config
        .tenants
        .iter()
        .filter(|t| t.name != "*")
        .map(|t| t.name.clone())
        .collect();
    let mut errors = match crate::dialect::ob4::resolve(config, &named, env) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    };
    // The 3.x cluster block: destinations, credentials, environment, exclusive modes.
    let _ = crate::dialect::ob3::resolve(config, env, &mut errors);
    if let Some(star) = config.tenants.iter().find(|t| t.name == "*") {
        for name in ["tenant_a", "tenant_b"] {
            let probe = crate::dialect::ob4::resolve(config, &[name.to_string()], env);
            if let Err(e) = probe {
                errors.extend(e);
            }
        }
        for settings in [&star.settings.log_archive, &star.settings.data_backup]
            .into_iter()
            .chain([&config.defaults.log_archive, &config.defaults.data_backup])
        {
            if let Some(Attribute {
                value: Value::Text(t),
                span: at,
            }) = settings.get("destination")
                && !t.uses_tenant_name()
            {
                errors.push(ConfigError::WildcardShared { span: span(at) });
            }
        }
    }
    errors.dedup();
    if !errors.is_empty() {
        return Err(errors);
    }
    crate::dialect::ob4::resolve(config, &named, env)
}

pub(crate) fn located_duration(setting: Option<&Attribute>) -> Option<Located<Duration>> {
    setting.and_then(|s| {
        as_duration(&s.value).map(|d| Located {
            value: d,
            span: s.span.clone(),
        })
    })
}

/// The backup password: exactly one `env("NAME")`, never a literal. `None`
/// for a value that is not text, or with an [`ConfigError::EnvUnset`] or
/// [`ConfigError::LiteralCredential`] pushed to `errors`. Both lines use it.
pub(crate) fn encryption(
    setting: &Attribute,
    env: &Environment,
    errors: &mut Vec<ConfigError>,
) -> Option<Located<Encryption>> {
    let Value::Text(template) = &setting.value else {
        return None;
    };
    match template.pieces.as_slice() {
        [Piece::Env { name, span: at }] => match env.get(name) {
            Some(value) => Some(Located {
                value: Encryption {
                    env: name.clone(),
                    password: crate::secret::Secret::new(value.clone()),
                },
                span: setting.span.clone(),
            }),
            None => {
                errors.push(ConfigError::EnvUnset {
                    name: name.clone(),
                    span: span(at),
                });
                None
            }
        },
        _ => {
            errors.push(ConfigError::LiteralCredential {
                key: "password".into(),
                upper: "PASSWORD".into(),
                span: span(&setting.span),
            });
            None
        }
    }
}

pub(crate) fn merged(defaults: &Attributes, own: &Attributes) -> Attributes {
    let mut out = defaults.clone();
    out.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

pub(crate) fn as_bool(v: &Value) -> Option<bool> {
    if let Value::Bool(b) = v {
        Some(*b)
    } else {
        None
    }
}
pub(crate) fn as_int(v: &Value) -> Option<i64> {
    if let Value::Int(i) = v {
        Some(*i)
    } else {
        None
    }
}
pub(crate) fn as_choice(v: &Value) -> Option<&str> {
    if let Value::Choice(c) = v {
        Some(c)
    } else {
        None
    }
}
pub(crate) fn as_duration(v: &Value) -> Option<Duration> {
    if let Value::Duration(d) = v {
        Some(*d)
    } else {
        None
    }
}

/// Marks that bracket an `env()` value while the URI is checked.
const ENV_OPEN: char = '\u{1}';
const ENV_CLOSE: char = '\u{2}';

/// Evaluates a destination template for `tenant`, checking env variables and
/// that every credential value is exactly one `env()` call. Problems are pushed
/// to `errors` with the span of the value; `None` when the value is unusable.
pub(crate) fn destination(
    setting: &Attribute,
    attribute: &str,
    tenant: &str,
    env: &Environment,
    errors: &mut Vec<ConfigError>,
) -> Option<Located<Destination>> {
    let Value::Text(template) = &setting.value else {
        return None;
    };
    let (marked, full, complete) = evaluate(template, tenant, env, errors);
    // OceanBase splits LOG_ARCHIVE_DEST at spaces into further options
    // (v4.2.2_CE_BP1 src/share/backup/ob_backup_config.cpp): a destination
    // with whitespace or a control character, written or produced by
    // ${tenant.name} or env(), could smuggle BINDING=… and never converge.
    if let Some(bad) = full.chars().find(|c| c.is_whitespace() || c.is_control()) {
        errors.push(ConfigError::Destination {
            attribute: attribute.into(),
            reason: format!(
                "it contains U+{:04X} (a space, line break or control character), written or produced by ${{tenant.name}} or env(); OceanBase would read what follows as more options",
                u32::from(bad)
            ),
            span: span(&setting.span),
        });
        return None;
    }
    // Check credentials on the marked text: a credential's value must be one env() value.
    let marked_dest = match Destination::parse(&marked) {
        Ok(d) => d,
        Err(e) => {
            errors.push(ConfigError::Destination {
                attribute: attribute.into(),
                reason: e.to_string(),
                span: span(&setting.span),
            });
            return None;
        }
    };
    let query = marked.split_once('?').map_or("", |(_, q)| q);
    for pair in query.split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        if Destination::is_credential(key) {
            let from_env = value.starts_with(ENV_OPEN)
                && value.ends_with(ENV_CLOSE)
                && value.matches(ENV_OPEN).count() == 1;
            if !from_env {
                errors.push(ConfigError::LiteralCredential {
                    key: key.into(),
                    upper: key.to_ascii_uppercase(),
                    span: span(&setting.span),
                });
            }
        }
    }
    let _ = marked_dest;
    if !complete {
        return None;
    }
    match Destination::parse(&full) {
        Ok(d) => Some(Located {
            value: d,
            span: setting.span.clone(),
        }),
        Err(e) => {
            errors.push(ConfigError::Destination {
                attribute: attribute.into(),
                reason: e.to_string(),
                span: span(&setting.span),
            });
            None
        }
    }
}

/// Renders a template twice: with `env()` values bracketed by marks (for
/// checking where they sit) and plain. The flag is false when a variable is
/// unset (its value is then a placeholder, and an error is recorded).
pub(crate) fn evaluate(
    template: &Template,
    tenant: &str,
    env: &Environment,
    errors: &mut Vec<ConfigError>,
) -> (String, String, bool) {
    let mut marked = String::new();
    let mut full = String::new();
    let mut ok = true;
    for piece in &template.pieces {
        match piece {
            Piece::Literal(s) => {
                marked.push_str(s);
                full.push_str(s);
            }
            Piece::TenantName => {
                marked.push_str(tenant);
                full.push_str(tenant);
            }
            Piece::Env { name, span: at } => match env.get(name) {
                Some(v) => {
                    marked.push(ENV_OPEN);
                    marked.push_str(&"x".repeat(v.len().max(1)));
                    marked.push(ENV_CLOSE);
                    full.push_str(v);
                }
                None => {
                    errors.push(ConfigError::EnvUnset {
                        name: name.clone(),
                        span: span(at),
                    });
                    marked.push(ENV_OPEN);
                    marked.push('x');
                    marked.push(ENV_CLOSE);
                    ok = false;
                }
            },
        }
    }
    (marked, full, ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::decode;
    use crate::dialect::ob4::resolve;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn wildcard_expands_with_tenant_name_and_defaults() {
        let (config, errs) = decode(
            "defaults {\n  log_archive { mode = \"mandatory\" }\n}\ntenant \"*\" {\n  log_archive { destination = \"file:///b/${tenant.name}\" }\n}\ntenant \"t2\" {\n  log_archive {\n    destination = \"file:///c/t2\"\n    mode = \"optional\"\n  }\n}\n",
        );
        assert!(errs.is_empty());
        let state = resolve(&config, &["t1".into(), "t2".into(), "t3".into()], &env(&[]))
            .expect("resolves");
        assert_eq!(
            state.tenants["t1"]
                .log_archive
                .destination
                .as_ref()
                .map(|d| d.value.root()),
            Some("file:///b/t1")
        );
        assert_eq!(
            state.tenants["t1"].log_archive.mode.as_deref(),
            Some("MANDATORY")
        );
        assert_eq!(
            state.tenants["t2"]
                .log_archive
                .destination
                .as_ref()
                .map(|d| d.value.root()),
            Some("file:///c/t2")
        );
        assert_eq!(
            state.tenants["t2"].log_archive.mode.as_deref(),
            Some("OPTIONAL")
        );
        assert_eq!(
            state.tenants["t3"]
                .log_archive
                .destination
                .as_ref()
                .map(|d| d.value.root()),
            Some("file:///b/t3")
        );
    }

    #[test]
    fn credentials_must_come_from_env_and_env_must_be_set() {
        let text = "tenant \"t\" {\n  log_archive { destination = \"oss://b/t?host=h&access_id=${env(\"ID\")}&access_key=plain\" }\n  data_backup { destination = \"oss://b/d?host=h&access_id=${env(\"ID\")}&access_key=${env(\"NOPE\")}\" }\n}\n";
        let (config, errs) = decode(text);
        assert!(errs.is_empty());
        let errors = resolve(&config, &["t".into()], &env(&[("ID", "id")])).expect_err("fails");
        assert!(
            errors.iter().any(
                |e| matches!(e, ConfigError::LiteralCredential { key, .. } if key == "access_key")
            ),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, ConfigError::EnvUnset { name, .. } if name == "NOPE")),
            "{errors:?}"
        );
    }

    #[test]
    fn shared_destination_is_an_error() {
        let (config, _) =
            decode("tenant \"*\" {\n  log_archive { destination = \"file:///same\" }\n}\n");
        let errors = resolve(&config, &["a".into(), "b".into()], &env(&[])).expect_err("fails");
        assert!(
            matches!(&errors[..], [ConfigError::SharedDestination { first, second, .. }] if first == "a" && second == "b")
        );
        assert!(validate(&config, &env(&[])).is_err());
    }

    #[test]
    fn destinations_cannot_smuggle_options() {
        let smuggling = [
            // Written literally.
            ("file:///nfs/t BINDING=MANDATORY", "U+0020", env(&[])),
            // From env(), without showing its value.
            (
                "oss://b/t?host=h&access_id=${env(\"ID\")}&access_key=${env(\"KEY\")}",
                "U+000A",
                env(&[("ID", "id"), ("KEY", "secret\nBINDING=OPTIONAL")]),
            ),
            // From a tenant name.
            ("file:///nfs/${tenant.name}", "U+001B", env(&[])),
        ];
        for (destination, named, variables) in smuggling {
            let text = format!(
                "tenant \"*\" {{\n  log_archive {{ destination = \"{}\" }}\n}}\n",
                destination
            );
            let (config, errs) = decode(&text);
            assert!(errs.is_empty(), "{destination}: {errs:?}");
            let errors =
                resolve(&config, &["t\u{1b}[31m".into()], &variables).expect_err(destination);
            let shown = format!("{errors:?}");
            assert!(
                matches!(&errors[..], [ConfigError::Destination { reason, .. }] if reason.contains(named)),
                "{destination}: {shown}"
            );
            assert!(!shown.contains("secret"), "{shown}");
        }
    }
}

//! The 4.x configuration (defaults, named and `*` tenant blocks) resolved into the desired state.

use super::*;

/// Resolves the configuration for the given user tenants: named blocks apply
/// to their tenant, `tenant "*"` to every other one. Named tenants missing from
/// `user_tenants` are not resolved here (the planner reports them).
pub fn resolve(
    config: &Config,
    user_tenants: &[String],
    env: &Environment,
) -> Result<DesiredState, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut state = DesiredState {
        version: config.version.as_ref().map(|(v, s)| Located {
            value: v.clone(),
            span: s.clone(),
        }),
        tenants: BTreeMap::new(),
    };
    let wildcard = config.tenants.iter().find(|t| t.name == "*");
    // Blocks by name: one lookup per tenant keeps resolution linear.
    let named: std::collections::HashMap<&str, &TenantBlock> = config
        .tenants
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    for name in user_tenants {
        let block = named.get(name.as_str()).copied().or(wildcard);
        let Some(block) = block else { continue };
        let tenant = resolve_tenant(config, block, name, env, &mut errors);
        state.tenants.insert(name.clone(), tenant);
    }
    check_shared_destinations(&state, &mut errors);
    errors.dedup();
    if errors.is_empty() {
        Ok(state)
    } else {
        Err(errors)
    }
}

pub(super) fn resolve_tenant(
    config: &Config,
    block: &TenantBlock,
    name: &str,
    env: &Environment,
    errors: &mut Vec<ConfigError>,
) -> DesiredTenant {
    let la = merged(&config.defaults.log_archive, &block.settings.log_archive);
    let db = merged(&config.defaults.data_backup, &block.settings.data_backup);
    // LOG_ARCHIVE_DEST is written whole (reference §2.2.1): BINDING and
    // PIECE_SWITCH_INTERVAL cannot be sent without the LOCATION they belong to.
    if !la.contains_key("destination") {
        for key in ["mode", "piece_switch_interval"] {
            if let Some(s) = la.get(key) {
                errors.push(ConfigError::Requires {
                    message: format!("log_archive.{key} for tenant {name} has no log_archive.destination"),
                    span: span(&s.span),
                    label: "needs a destination".into(),
                    help: "OceanBase sets mode and piece_switch_interval as part of LOG_ARCHIVE_DEST together with LOCATION: declare log_archive.destination for this tenant too".into(),
                });
            }
        }
    }
    DesiredTenant {
        log_archive: LogArchive {
            enabled: la.get("enabled").and_then(|s| as_bool(&s.value)),
            destination: la
                .get("destination")
                .and_then(|s| destination(s, "destination", name, env, errors)),
            mode: la
                .get("mode")
                .and_then(|s| as_choice(&s.value))
                .map(|c| c.to_ascii_uppercase()),
            piece_switch_interval: la
                .get("piece_switch_interval")
                .and_then(|s| as_duration(&s.value)),
            state: la
                .get("state")
                .and_then(|s| as_choice(&s.value))
                .map(crate::states::DestState::parse),
            concurrency: la.get("concurrency").and_then(|s| as_int(&s.value)),
            lag_target: la.get("lag_target").and_then(|s| as_duration(&s.value)),
            max_lag: located_duration(la.get("max_lag")),
        },
        data_backup: DataBackup {
            destination: db
                .get("destination")
                .and_then(|s| destination(s, "destination", name, env, errors)),
            concurrency: db.get("concurrency").and_then(|s| as_int(&s.value)),
            file_size: db.get("file_size").and_then(|s| match s.value {
                Value::Size(v) => Some(v),
                _ => None,
            }),
            full_max_age: located_duration(db.get("full.max_age")),
            incremental_max_age: located_duration(db.get("incremental.max_age")),
            plus_archivelog: db.get("plus_archivelog").and_then(|s| {
                as_bool(&s.value).map(|v| Located {
                    value: v,
                    span: s.span.clone(),
                })
            }),
            encryption: db
                .get("encryption.password")
                .and_then(|s| encryption(s, env, errors)),
            recovery_window: located_duration(db.get("delete_policy.recovery_window")),
            max_rpo: located_duration(db.get("recoverability.max_rpo")),
            min_window: located_duration(db.get("recoverability.min_window")),
        },
        declared_at: block.span.clone(),
    }
}

pub(super) fn check_shared_destinations(state: &DesiredState, errors: &mut Vec<ConfigError>) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (name, tenant) in &state.tenants {
        for dest in [
            &tenant.log_archive.destination,
            &tenant.data_backup.destination,
        ]
        .into_iter()
        .flatten()
        {
            let key = dest.value.root().to_string();
            if let Some(first) = seen.get(&key) {
                errors.push(ConfigError::SharedDestination {
                    first: first.clone(),
                    second: name.clone(),
                    destination: dest.value.root().to_string(),
                    span: span(&dest.span),
                });
            } else {
                seen.insert(key, name.clone());
            }
        }
    }
}

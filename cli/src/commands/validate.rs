//! `obbackup validate`: checks a file without a cluster.

use super::*;
use obbackup_planner::dialect::Dialect;
use obbackup_planner::dialect::capability::Build;

/// Reports decode problems together with what evaluating the rest finds, so
/// one run shows every problem; with `server_version`, or the line the file
/// declares in `cluster { version }`, also the settings of the other line, and
/// with a build the settings it cannot take.
/// Unless `require_env`, variables that `env()` reads but the environment lacks
/// are checked as references only (a fork's CI has no secrets): a placeholder
/// stands for each, and the output lists them.
pub fn run(path: &Path, server_version: Option<&str>, require_env: bool) -> Result<u8, CliError> {
    let build = match server_version {
        Some(text) => Some(Build::parse(text).ok_or_else(|| {
            CliError::Usage(format!(
                "--server-version {text:?} is not an OceanBase build: give ob_version() as printed, e.g. 4.2.1.2"
            ))
        })?),
        None => None,
    };
    let (name, text) = read(path)?;
    let (config, mut errors) = config::decode(&text);
    let mut env = environment();
    let mut unset = Vec::new();
    if !require_env {
        for reference in planfile::env_references(&config) {
            let name = reference.trim_start_matches("env:").to_string();
            if !env.contains_key(&name) {
                env.insert(name.clone(), format!("unset-{name}"));
                unset.push(name);
            }
        }
    }
    if let Err(more) = desired::validate(&config, &env) {
        errors.extend(
            more.into_iter()
                .filter(|e| !errors.contains(e))
                .collect::<Vec<_>>(),
        );
    }
    // The line: the build given, else the version the file declares.
    let declared = config.version.as_ref().and_then(|(text, _)| {
        let mut build = Build::parse_prefix(text)?;
        // "3" alone names the line: check as 3.2, which takes the most.
        if build.0[0] == 3 && build.0[1] == 0 {
            build.0[1] = 2;
        }
        Some(build)
    });
    let more = match build.or(declared) {
        Some(b) if b.0[0] >= 3 => Dialect::of_build(b).validate(&config, &env, b, build.is_some()),
        _ => Vec::new(),
    };
    errors.extend(
        more.into_iter()
            .filter(|e| !errors.contains(e))
            .collect::<Vec<_>>(),
    );
    if !errors.is_empty() {
        return Err(ConfigReport::new(&name, &text, errors).into());
    }
    let against = build.map_or(String::new(), |b| format!(" for OceanBase {b}"));
    output::result(&format!(
        "{name}: valid{against} ({} tenant block(s)).",
        config.tenants.len()
    ));
    if !unset.is_empty() {
        output::info(&format!(
            "note: not set here, checked as references only (plan and apply need them; --require-env checks them now): {}",
            unset.join(", ")
        ));
    }
    if config.tenants.is_empty() && config.cluster.is_empty() {
        output::info(
            "note: the file declares no tenant block and no cluster settings: it manages nothing",
        );
    }
    Ok(0)
}

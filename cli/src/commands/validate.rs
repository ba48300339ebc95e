//! `obbackup validate`: checks a file without a cluster.

use super::*;
use obbackup_planner::dialect::capability::Build;

/// Reports decode problems together with what evaluating the rest finds, so
/// one run shows every problem; with `server_version`, also the settings that
/// build cannot take.
pub fn run(path: &Path, server_version: Option<&str>) -> Result<u8, CliError> {
    let build = match server_version {
        Some(text) => Some(Build::parse(text).ok_or_else(|| {
            CliError::Refused(format!(
                "--server-version {text:?} is not an OceanBase build: give ob_version() as printed, e.g. 4.2.1.2"
            ))
        })?),
        None => None,
    };
    let (name, text) = read(path)?;
    let (config, mut errors) = config::decode(&text);
    if let Err(more) = desired::validate(&config, &environment()) {
        errors.extend(
            more.into_iter()
                .filter(|e| !errors.contains(e))
                .collect::<Vec<_>>(),
        );
    }
    if let Some(build) = build.filter(|b| b.0[0] >= 4) {
        errors.extend(obbackup_planner::dialect::ob4::check_build(&config, build));
    }
    if !errors.is_empty() {
        return Err(ConfigReport::new(&name, &text, errors).into());
    }
    let against = build.map_or(String::new(), |b| format!(" for OceanBase {b}"));
    output::result(&format!(
        "{name}: valid{against} ({} tenant block(s)).",
        config.tenants.len()
    ));
    Ok(0)
}

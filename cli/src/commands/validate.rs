//! `obbackup validate`: checks a file without a cluster.

use super::*;

/// Reports decode problems together with what evaluating the rest finds, so
/// one run shows every problem.
pub fn run(path: &Path) -> Result<u8, CliError> {
    let (name, text) = read(path)?;
    let (config, mut errors) = config::decode(&text);
    if let Err(more) = desired::validate(&config, &environment()) {
        errors.extend(
            more.into_iter()
                .filter(|e| !errors.contains(e))
                .collect::<Vec<_>>(),
        );
    }
    if !errors.is_empty() {
        return Err(ConfigReport::new(&name, &text, errors).into());
    }
    output::result(&format!(
        "{name}: valid ({} tenant block(s)).",
        config.tenants.len()
    ));
    Ok(0)
}

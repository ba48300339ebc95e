//! `obbackup report merge`: reads JSON reports and prints them merged
//! ([`crate::merge`]).

use super::*;

/// Runs `obbackup report merge`: exit 1 if any cluster failed, else 2 if any
/// has changes or drift, else 0.
pub fn merge(reports: &[std::path::PathBuf], format: Format) -> Result<u8, CliError> {
    let mut inputs = Vec::new();
    for path in reports {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CliError::File {
            path: name.clone(),
            reason: e.to_string(),
        })?;
        inputs.push(crate::merge::read(&name, &text).map_err(CliError::Report)?);
    }
    let merged = crate::merge::merge(inputs).map_err(CliError::Report)?;
    match format {
        Format::Json => output::json(&merged.json()),
        Format::Markdown => output::result(&merged.markdown()),
        Format::Human => output::human(&merged.human()),
    }
    Ok(merged.exit_code())
}

//! `obbackup man`: manual pages generated from the command line's own
//! definition (clap_mangen).

use super::*;

/// `obbackup man`: the manual page on stdout, or one page per command
/// written into `dir` (`obbackup.1`, `obbackup-plan.1`, …).
pub fn run(dir: Option<&Path>) -> Result<u8, CliError> {
    let command = <crate::args::Cli as clap::CommandFactory>::command();
    let Some(dir) = dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .map_err(|e| CliError::Internal(e.to_string()))?;
        output::result(&String::from_utf8_lossy(&page));
        return Ok(0);
    };
    let file_error = |path: &Path, e: std::io::Error| CliError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    let mut pages = vec![("obbackup".to_string(), command.clone())];
    for sub in command.get_subcommands() {
        pages.push((format!("obbackup-{}", sub.get_name()), sub.clone()));
    }
    for (name, page) in pages {
        let path = dir.join(format!("{name}.1"));
        let mut text = Vec::new();
        clap_mangen::Man::new(page)
            .title(name.to_uppercase())
            .render(&mut text)
            .map_err(|e| CliError::Internal(e.to_string()))?;
        std::fs::write(&path, text).map_err(|e| file_error(&path, e))?;
    }
    output::info(&format!("Wrote the manual pages to {}.", dir.display()));
    Ok(0)
}

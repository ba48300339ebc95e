//! `obbackup fmt`: rewrites configuration files in the canonical layout
//! ([`obbackup_planner::format`]), or with `--check` lists the files that are
//! not in it.

use super::*;

/// Runs `obbackup fmt`: 0 when every file is (now) formatted, 2 with
/// `--check` when one is not, 1 when a file cannot be read, parsed or written
/// (the other files are still done).
pub fn run(paths: &[std::path::PathBuf], check: bool) -> Result<u8, CliError> {
    let files = many::expand(paths)?;
    let mut unformatted = 0;
    let mut failed = 0;
    for file in &files {
        let name = file.display().to_string();
        // Read as every command reads a configuration (size limit, UTF-8, no
        // byte order mark); compared with the file as it is on disk.
        let outcome = read(file)
            .map_err(|e| e.to_string())
            .and_then(|(_, text)| {
                obbackup_planner::format::format(&text).map_err(|e| {
                    let code = miette::Diagnostic::code(&e)
                        .map(|c| format!(" [{c}]"))
                        .unwrap_or_default();
                    format!("{e}{code}")
                })
            })
            .map(|formatted| {
                let on_disk = std::fs::read_to_string(file).unwrap_or_default();
                (on_disk, formatted)
            });
        match outcome {
            Ok((text, formatted)) if text == formatted => {}
            Ok((_, formatted)) => {
                unformatted += 1;
                if !check && let Err(e) = std::fs::write(file, formatted) {
                    output::info(&format!("error: {name}: cannot write: {e}"));
                    failed += 1;
                    continue;
                }
                output::result(&name);
            }
            Err(e) => {
                output::info(&format!("error: {name}: {e}"));
                failed += 1;
            }
        }
    }
    Ok(if failed > 0 {
        1
    } else if check && unformatted > 0 {
        EXIT_CHANGES
    } else {
        0
    })
}

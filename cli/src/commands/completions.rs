//! `obbackup completions SHELL`: a completion script generated from the
//! command line's own definition (clap_complete).

use super::*;

/// Prints the completion script for `shell` on stdout.
pub fn run(shell: clap_complete::Shell) -> Result<u8, CliError> {
    let mut command = <crate::args::Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "obbackup", &mut std::io::stdout());
    Ok(0)
}

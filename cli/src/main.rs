//! The `obbackup` binary: see the library for the commands.

fn main() -> std::process::ExitCode {
    obbackup::run()
}

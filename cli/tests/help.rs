//! The binary's help teaches: every command documents its flags and the exit codes.
//! (This integration test also makes `cargo test --workspace` build the binary
//! that the end-to-end tests in `tests/` run.)

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_obbackup"))
        .args(args)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn top_level_help_names_commands_and_exit_codes() {
    let text = help(&["--help"]);
    for word in ["validate", "plan", "apply", "drift", "Exit codes"] {
        assert!(text.contains(word), "missing {word} in:\n{text}");
    }
}

#[test]
fn plan_help_documents_target_flags() {
    let text = help(&["plan", "--help"]);
    for word in [
        "--dsn",
        "OBBACKUP_DSN",
        "root%40sys",
        "--sandbox",
        "--format",
        "--detailed-exitcode",
    ] {
        assert!(text.contains(word), "missing {word} in:\n{text}");
    }
}

#[test]
fn dsn_from_the_environment_is_never_shown_in_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_obbackup"))
        .args(["plan", "--help"])
        .env("OBBACKUP_DSN", "mysql://root%40sys:hunter2@h:1")
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));
}

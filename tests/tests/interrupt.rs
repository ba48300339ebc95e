//! Ctrl-C on a terminal during an apply: the terminal turns it into SIGINT.
//! The first stops launching steps, lets a running statement finish and
//! abandons a running wait, then reports what ran, what was in flight and
//! what did not run (exit 130); a second exits at once.

use obbackup_tests::{binary, root, sent_alters, start, temp_config};
use std::process::Command;
use std::time::{Duration, Instant};

const CTRL_C: &str = "\u{3}";

/// Archive on for every tenant, and a full backup due, so that steps follow
/// the waits.
const CONFIG: &str = r#"
defaults {
  log_archive { enabled = true }
}
tenant "*" {
  log_archive { destination = "file:///nfs/${tenant.name}/archive" }
  data_backup {
    destination = "file:///nfs/${tenant.name}/data"
    full { max_age = "7d" }
  }
}
"#;

/// Runs `apply` in a pseudo-terminal against `dsn`, typing `steps` (text to
/// wait for, keys to type); the exit code, the screen, and how long it took.
fn apply_in_terminal(dsn: &str, steps: &[(&str, &str)]) -> (i32, String, Duration) {
    let config = temp_config("interrupt-pty.hcl", CONFIG);
    let steps = serde_json::to_string(steps).expect("json");
    let started = Instant::now();
    let out = Command::new("python3")
        .arg(root().join("tests/support/pty_run.py"))
        .args(["--steps", &steps, "--"])
        .arg(binary())
        .args(["apply", &config, "--dsn", dsn, "--auto-approve"])
        .args(["--poll-interval-ms", "20"])
        .env("NO_COLOR", "1")
        .env_remove("OBBACKUP_DSN")
        .output()
        .expect("python3 runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn ctrl_c_during_a_wait_abandons_it_and_reports() {
    let sim = start("empty-4.2.json");
    // The rounds never reach DOING: the apply sits in its wait (the three
    // tenants' waits polled together; the plan printed before names each).
    sim.stall("BEGINNING");
    let (code, screen, _) = apply_in_terminal(
        &sim.dsn("sys"),
        &[("archive round of each of 3 tenants", CTRL_C)],
    );
    assert_eq!(code, 130, "{screen}");
    assert!(screen.contains("INTERRUPTED"), "{screen}");
    assert!(screen.contains("not run"), "{screen}");
    assert!(screen.contains("Apply interrupted"), "{screen}");
    // Nothing after the wait was sent: no backup.
    assert!(
        !sent_alters(&sim)
            .iter()
            .any(|s| s.starts_with("ALTER SYSTEM BACKUP")),
        "{:#?}",
        sent_alters(&sim)
    );
}

#[test]
fn ctrl_c_during_a_statement_lets_it_finish_then_launches_nothing() {
    let sim = start("empty-4.2.json");
    // The first destination statement takes 4 s to answer (time enough for
    // the keystroke to arrive on a busy machine).
    sim.stall_reply("LOG_ARCHIVE_DEST", 4_000);
    let (code, screen, _) = apply_in_terminal(
        &sim.dsn("sys"),
        &[("→ ALTER SYSTEM SET LOG_ARCHIVE_DEST", CTRL_C)],
    );
    assert_eq!(code, 130, "{screen}");
    assert!(
        screen.contains("interrupted: no further step starts"),
        "{screen}"
    );
    // The statement in flight finished and is reported as run; only one
    // LOG_ARCHIVE_DEST statement was sent, and no ARCHIVELOG.
    let alters = sent_alters(&sim);
    assert_eq!(
        alters
            .iter()
            .filter(|s| s.contains("SET LOG_ARCHIVE_DEST"))
            .count(),
        1,
        "{alters:#?}"
    );
    assert!(
        !alters.iter().any(|s| s.contains(" ARCHIVELOG")),
        "{alters:#?}"
    );
    assert!(screen.contains("not run"), "{screen}");
    assert!(screen.contains("Apply interrupted"), "{screen}");
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let sim = start("empty-4.2.json");
    // The statement would take a minute to answer.
    sim.stall_reply("LOG_ARCHIVE_DEST", 60_000);
    let (code, screen, took) = apply_in_terminal(
        &sim.dsn("sys"),
        &[
            ("→ ALTER SYSTEM SET LOG_ARCHIVE_DEST", CTRL_C),
            ("interrupt again to exit at once", CTRL_C),
        ],
    );
    assert_eq!(code, 130, "{screen}");
    assert!(
        took < Duration::from_secs(30),
        "took {took:?}, the statement was not abandoned:\n{screen}"
    );
}

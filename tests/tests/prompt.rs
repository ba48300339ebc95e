//! Interactive approval: on a terminal, apply asks and runs only after `yes`
//! (hazards included in the question); anything else runs nothing.

use obbackup_tests::{binary, root, sent_alters, start, temp_config};
use std::process::Command;

fn in_terminal(answer: &str, args: &[&str]) -> (i32, String) {
    let script = root().join("tests/support/pty_run.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(answer)
        .arg("Only 'yes' is accepted")
        .arg("--")
        .arg(binary())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("OBBACKUP_DSN")
        .output()
        .expect("python3 runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn apply_asks_on_a_terminal_and_runs_only_after_yes() {
    let sim = start("documented-4.2.json");
    let config = temp_config(
        "prompt.hcl",
        "tenant \"mysql_tenant\" {\n  log_archive {\n    enabled = true\n    destination = \"file:///data/nfs/backup/mysql_tenant/prompted\"\n  }\n}\n",
    );
    let dsn = sim.dsn("sys");
    let (code, screen) = in_terminal(
        "no",
        &["apply", &config, "--dsn", &dsn, "--poll-interval-ms", "20"],
    );
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("accepting 1 hazard(s)?"),
        "the question names the hazards:\n{screen}"
    );
    assert!(
        screen.contains("Apply cancelled: nothing was run."),
        "{screen}"
    );
    assert!(sent_alters(&sim).is_empty());

    let (code, screen) = in_terminal(
        "yes",
        &["apply", &config, "--dsn", &dsn, "--poll-interval-ms", "20"],
    );
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Apply complete"), "{screen}");
    assert!(sent_alters(&sim).iter().any(|s| s.contains("prompted")));
}

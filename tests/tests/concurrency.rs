//! Two applies on one cluster. Where the build has GET_LOCK (4.3.1 on) the
//! second stops at once naming the first's connection, or with
//! `--lock-timeout` waits for it and then plans what is left (nothing);
//! where it has none, the second re-reads the cluster before its first
//! statement and stops when the statements changed. Either way the second
//! sends no control statement.

use obbackup_tests::{Invocation, binary, root, start, temp_config};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ARCHIVE: &str = r#"
tenant "*" {
  log_archive {
    enabled     = true
    destination = "file:///nfs/${tenant.name}/archive"
  }
}
"#;

/// Starts an apply in the background (its output collected at the end).
fn apply_in_background(config: &str, dsn: &str) -> Child {
    Command::new(binary())
        .current_dir(root())
        .args(["apply", config, "--dsn", dsn, "--auto-approve"])
        .args(["--poll-interval-ms", "20"])
        .env_remove("OBBACKUP_DSN")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs")
}

/// Waits until `ready` holds of the simulator's journal.
fn until(
    sim: &obsim::Simulator,
    what: &str,
    ready: impl Fn(&[obsim::server::JournalEntry]) -> bool,
) {
    let started = Instant::now();
    while !ready(&sim.journal()) {
        assert!(started.elapsed() < Duration::from_secs(20), "never: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The control statements connection `connection` sent.
fn alters_of(sim: &obsim::Simulator, connection: u32) -> Vec<String> {
    sim.journal()
        .into_iter()
        .filter(|e| e.connection == connection && e.sql.starts_with("ALTER SYSTEM"))
        .map(|e| e.sql)
        .collect()
}

/// Connections that appear in the journal, in order of first appearance.
fn connections(sim: &obsim::Simulator) -> Vec<u32> {
    let mut out = Vec::new();
    for e in sim.journal() {
        if e.connection > 0 && !out.contains(&e.connection) {
            out.push(e.connection);
        }
    }
    out
}

#[test]
fn with_get_lock_a_second_apply_stops_naming_the_first_or_waits_for_it() {
    let sim = start("empty-4.3.1.0.json");
    // The first apply's first destination statement takes 5 s: the second
    // and third start while it holds the lock.
    sim.stall_reply("SET LOG_ARCHIVE_DEST", 5_000);
    let config = temp_config("lock-431.hcl", ARCHIVE);
    let dsn = sim.dsn("sys");
    let first = apply_in_background(&config, &dsn);
    until(&sim, "the first apply takes the lock", |j| {
        j.iter().any(|e| e.sql.contains("GET_LOCK"))
            && j.iter()
                .any(|e| e.sql.contains("DATA_BACKUP_DEST") || e.sql.contains("ARCHIVE_DEST"))
    });
    let holder = connections(&sim)[0];

    let second = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(second.code, 1, "{}", second.all());
    assert!(
        second
            .stderr
            .contains(&format!("connection {holder} holds the apply lock")),
        "{}",
        second.stderr
    );
    let second_connection = *connections(&sim).last().expect("second");
    assert_ne!(second_connection, holder);
    assert!(alters_of(&sim, second_connection).is_empty());

    // A third waits for the lock, then finds nothing left to do.
    let third = Invocation::new(&["apply", &config, "--lock-timeout", "30s"])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .run();
    let first = first.wait_with_output().expect("first ends");
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(third.code, 0, "{}", third.all());
    assert!(
        third.stderr.contains("waiting up to 30s"),
        "{}",
        third.stderr
    );
    assert!(third.stdout.contains("No changes"), "{}", third.stdout);
    let third_connection = *connections(&sim).last().expect("third");
    assert!(alters_of(&sim, third_connection).is_empty());
}

#[test]
fn without_get_lock_a_second_apply_finds_the_cluster_changed_and_sends_nothing() {
    let sim = start("empty-4.2.json");
    // The first apply's third server query (lock check, plan read, the
    // check before its first statement) takes 8 s: the second runs meanwhile
    // (time enough on a loaded machine).
    sim.stall_reply_at("SELECT ob_version()", 2, 8_000);
    let config = temp_config("nolock-422.hcl", ARCHIVE);
    let dsn = sim.dsn("sys");
    let first = apply_in_background(&config, &dsn);
    until(&sim, "the first apply has read the cluster", |j| {
        j.iter()
            .filter(|e| e.connection > 0 && e.sql.contains("CDB_OB_BACKUP_TASKS"))
            .count()
            >= 1
    });
    std::thread::sleep(Duration::from_millis(200));
    let second = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(second.code, 0, "{}", second.all());
    let first = first.wait_with_output().expect("first ends");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the cluster changed since this plan was made"),
        "{stderr}"
    );
    assert!(alters_of(&sim, connections(&sim)[0]).is_empty());
}

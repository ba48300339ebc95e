//! Harness for the end-to-end tests: starts `obsim` from a fixture (with short
//! transition delays) and runs the real `obbackup` binary against it.
//!
//! The binary is the one `cargo test --workspace` builds next to the test
//! executables (`target/<profile>/obbackup`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Reads `fixtures/live/<name>` and shortens its transition delays so tests run fast
/// (PREPARE 20 ms, BEGINNING 60 ms, STOPPING 60 ms, SUSPENDING 20 ms, CANCELING 60 ms,
/// backup INIT 20 ms, backup running 150 ms).
pub fn fast_fixture(name: &str) -> String {
    fast_fixture_at(&root().join("fixtures/live").join(name))
}

/// Reads the fixture at `path` and shortens its transition delays as
/// [`fast_fixture`] does.
pub fn fast_fixture_at(path: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut value: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    value["delays_ms"] = serde_json::json!({
        "archive_prepare": 20, "archive_beginning": 60, "archive_stopping": 60,
        "archive_suspending": 20, "backup_canceling": 60,
        "backup_init": 20, "backup_running": 150
    });
    value.to_string()
}

/// Starts a simulator from a fixture with fast delays.
pub fn start(fixture: &str) -> obsim::Simulator {
    obsim::Simulator::start_in_thread(&fast_fixture(fixture))
        .unwrap_or_else(|e| panic!("{fixture}: {e}"))
}

/// The `obbackup` binary built by `cargo test --workspace`.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = dir.join(format!("obbackup{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace`",
        path.display()
    );
    path
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Both streams, for "appears nowhere" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `obbackup` with `args` (paths relative to the workspace root), no
/// inherited DSN, no colour, extra environment `env`, and no standard input.
pub fn obbackup(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(binary());
    command
        .current_dir(root())
        .args(args)
        .env_remove("OBBACKUP_DSN")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run obbackup: {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Writes `text` to a fresh file under the target directory and returns its path.
pub fn temp_config(name: &str, text: &str) -> String {
    let dir = root().join("target/test-configs");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path.display().to_string()
}

/// Statements the tool sent (connection id > 0), in order.
pub fn sent(sim: &obsim::Simulator) -> Vec<String> {
    sim.journal()
        .into_iter()
        .filter(|e| e.connection > 0)
        .map(|e| e.sql)
        .collect()
}

/// Control statements (not SELECT/SET session) the tool sent, in order.
pub fn sent_alters(sim: &obsim::Simulator) -> Vec<String> {
    sent(sim)
        .into_iter()
        .filter(|s| s.starts_with("ALTER SYSTEM"))
        .collect()
}

/// Panics, showing the whole `text`, unless it contains `needle`.
#[track_caller]
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

/// The rows a SELECT returns when run on the simulator as `root@tenant`
/// (through the simulator's own parser and engine, as an operator would).
#[track_caller]
pub fn query_rows(sim: &obsim::Simulator, tenant: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    match sim.execute_as(tenant, sql) {
        Ok(obsim::cluster::Reply::Rows { rows, .. }) => rows,
        other => panic!("{sql}: no rows: {other:?}"),
    }
}

//! Faults and stalls seeded through the fixture of `obsim serve` (the
//! simulator as its own process, as an operator or another tool would run
//! it): a dropped connection and a server error reach `obbackup apply` as
//! they would from a real cluster, fire once, and a second apply converges.

use obbackup_tests::{Invocation, binary, fast_fixture, temp_config};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `obsim serve`, killed when dropped.
struct Served {
    child: Child,
    addr: String,
}

impl Served {
    /// `root@sys` with an empty password, as obsim accepts.
    fn dsn(&self) -> String {
        format!("mysql://root%40sys@{}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `obsim` is built beside `obbackup` by `cargo test --workspace`.
fn obsim() -> std::path::PathBuf {
    binary().with_file_name(format!("obsim{}", std::env::consts::EXE_SUFFIX))
}

/// Writes `fixture` to a file and serves it on a free port; the address is
/// read from the line `obsim: serving FILE on ADDR` on its stderr.
fn serve(name: &str, fixture: &serde_json::Value) -> Served {
    let path = temp_config(name, &fixture.to_string());
    let mut child = Command::new(obsim())
        .args(["serve", "--fixture", &path, "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("obsim starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut line = String::new();
    BufReader::new(stderr).read_line(&mut line).expect("reads");
    let addr = line
        .trim()
        .rsplit(" on ")
        .next()
        .filter(|_| line.starts_with("obsim: serving"))
        .unwrap_or_else(|| panic!("unexpected first line from obsim: {line:?}"))
        .to_string();
    Served { child, addr }
}

/// `obbackup apply --auto-approve` with fast polls and waits.
fn apply(config: &str, dsn: &str) -> obbackup_tests::Run {
    Invocation::new(&["apply", config])
        .dsn(dsn)
        .auto_approve()
        .fast()
        .run()
}

fn with_faults(faults: serde_json::Value) -> serde_json::Value {
    let mut fixture: serde_json::Value =
        serde_json::from_str(&fast_fixture("empty-4.2.json")).expect("json");
    fixture["faults"] = faults;
    fixture
}

const CONFIG: &str = r#"
tenant "app_tenant" {
  log_archive {
    enabled     = true
    destination = "file:///nfs/app/archive"
  }
}
tenant "mysql_tenant" {
  log_archive {
    enabled     = true
    destination = "file:///nfs/mysql/archive"
  }
}
"#;

#[test]
fn a_dropped_connection_from_the_fixture_is_reported_and_a_second_apply_converges() {
    let served = serve(
        "serve-drop.json",
        &with_faults(serde_json::json!([
            { "statement": "ALTER SYSTEM ARCHIVELOG TENANT = 'mysql_tenant'", "action": "drop" }
        ])),
    );
    let dsn = served.dsn();
    let config = temp_config("serve-drop.hcl", CONFIG);
    let first = apply(&config, &dsn);
    assert_eq!(first.code, 1, "{}", first.all());
    assert!(
        first.all().contains("tenant.mysql_tenant:archivelog"),
        "the failed step is named: {}",
        first.all()
    );
    let second = apply(&config, &dsn);
    assert_eq!(second.code, 0, "{}", second.all());
    let plan = Invocation::new(&["plan", &config]).dsn(&dsn).run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
}

#[test]
fn a_server_error_from_the_fixture_fails_only_its_own_tenant() {
    let served = serve(
        "serve-error.json",
        &with_faults(serde_json::json!([
            { "statement": "LOG_ARCHIVE_DEST = 'LOCATION=file:///nfs/app", "action": "error",
              "code": 9026, "message": "injected: backup destination is not valid" }
        ])),
    );
    let dsn = served.dsn();
    let config = temp_config("serve-error.hcl", CONFIG);
    let first = apply(&config, &dsn);
    assert_eq!(first.code, 1, "{}", first.all());
    assert!(first.all().contains("9026"), "{}", first.all());
    // mysql_tenant's branch does not depend on app_tenant's and ran to the end.
    let plan = Invocation::new(&["plan", &config]).dsn(&dsn).run();
    assert!(!plan.stdout.contains("mysql_tenant"), "{}", plan.stdout);
    assert!(plan.stdout.contains("app_tenant"), "{}", plan.stdout);
}

#[test]
fn a_fault_that_cannot_fire_is_refused_at_start() {
    let path = temp_config(
        "serve-bad-fault.json",
        &with_faults(serde_json::json!([{ "statement": "ARCHIVELOG", "action": "error" }]))
            .to_string(),
    );
    let out = Command::new(obsim())
        .args(["serve", "--fixture", &path, "--listen", "127.0.0.1:0"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`error` needs a `code`"), "{stderr}");
}

#[test]
fn a_stalled_status_from_the_fixture_times_the_wait_out() {
    let mut fixture = with_faults(serde_json::json!([]));
    fixture["stalled"] = serde_json::json!(["BEGINNING"]);
    let served = serve("serve-stalled.json", &fixture);
    let dsn = served.dsn();
    let config = temp_config("serve-stalled.hcl", CONFIG);
    let out = Invocation::new(&["apply", &config])
        .dsn(&dsn)
        .auto_approve()
        .fast_polls()
        .args(&["--wait-timeout", "1s"])
        .run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.all().contains("tenant.app_tenant:wait_archive_doing"),
        "{}",
        out.all()
    );
    assert!(out.all().contains("BEGINNING"), "{}", out.all());
    // The advice names the view this line shows the round in, and the flag.
    assert!(
        out.all()
            .contains("check CDB_OB_ARCHIVELOG, raise --wait-timeout"),
        "{}",
        out.all()
    );
}

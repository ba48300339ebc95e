//! What a pipeline and a person debugging a real cluster get: `apply
//! --format json` (schema-checked, on success and on failure), and the log
//! (`-v`, `-vv`, `OBBACKUP_LOG`, `--log-file`) with timestamps, statements as
//! shown, durations and row counts, polls and what they observed, and no
//! secret anywhere.

use obbackup_tests::{Invocation, assert_contains, root, start, temp_config};

const ARCHIVE: &str = r#"
tenant "*" {
  log_archive {
    enabled     = true
    destination = "file:///nfs/${tenant.name}/archive"
  }
}
"#;

fn schema() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("docs/schema/apply.schema.json")).expect("schema file");
    jsonschema::validator_for(&serde_json::from_str(&text).expect("schema JSON"))
        .expect("valid schema")
}

/// The JSON object on `stdout`, checked against the schema.
fn report(stdout: &str) -> serde_json::Value {
    let value: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    let errors: Vec<String> = schema()
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{stdout}");
    value
}

#[test]
fn apply_json_reports_every_step_and_how_the_apply_ended() {
    let sim = start("empty-4.2.json");
    let config = temp_config("json-apply.hcl", ARCHIVE);
    let apply = Invocation::new(&["apply", &config, "--format", "json"])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let json = report(&apply.stdout);
    assert_eq!(json["result"], "complete");
    let steps = json["steps"].as_array().expect("steps");
    assert_eq!(json["summary"]["steps"].as_u64(), Some(steps.len() as u64));
    assert!(steps.iter().all(|s| s["outcome"] == "done"), "{json:#}");
    assert!(
        steps
            .iter()
            .any(|s| s["id"] == "tenant.app_tenant:archivelog")
    );
    // The plan went to standard error, not into the JSON stream.
    assert_contains(&apply.stderr, "Steps, in order:");

    // Nothing left to do: a report with no steps.
    let again = Invocation::new(&["apply", &config, "--format", "json"])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .fast()
        .run();
    assert_eq!(again.code, 0, "{}", again.all());
    let json = report(&again.stdout);
    assert_eq!(json["result"], "no_changes");
    assert_eq!(json["steps"].as_array().map(Vec::len), Some(0));
}

#[test]
fn apply_json_names_the_failure_and_the_steps_it_blocked() {
    let sim = start("empty-4.2.json");
    sim.fail_next("ARCHIVELOG TENANT = 'mysql_tenant'", 4016, "internal error");
    let config = temp_config("json-fail.hcl", ARCHIVE);
    let apply = Invocation::new(&["apply", &config, "--format", "json"])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .fast()
        .run();
    assert_eq!(apply.code, 1, "{}", apply.all());
    let json = report(&apply.stdout);
    assert_eq!(json["result"], "failed");
    let step = |id: &str| {
        json["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == id))
            .unwrap_or_else(|| panic!("no step {id}: {json:#}"))
            .clone()
    };
    let failed = step("tenant.mysql_tenant:archivelog");
    assert_eq!(failed["outcome"], "failed");
    assert!(
        failed["error"]["cause"]
            .as_str()
            .is_some_and(|c| c.contains("4016")),
        "{failed:#}"
    );
    let blocked = step("tenant.mysql_tenant:wait_archive_doing");
    assert_eq!(blocked["outcome"], "skipped");
    assert_eq!(blocked["blocked_by"], "tenant.mysql_tenant:archivelog");
    // Other tenants' branches still ran.
    assert_eq!(
        step("tenant.app_tenant:wait_archive_doing")["outcome"],
        "done"
    );
}

/// A log line: an RFC 3339 timestamp first.
fn timestamped(line: &str) -> bool {
    line.len() > 20 && line.as_bytes()[4] == b'-' && line.as_bytes()[10] == b'T'
}

#[test]
fn the_log_shows_statements_reads_and_polls_with_timings_and_no_secret() {
    let key = "CANARY-oss-key-7d1";
    let password = "CANARY-backup-pw-9e4";
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "logged.hcl",
        r#"
tenant "*" {
  log_archive {
    enabled     = true
    destination = "oss://bucket/${tenant.name}/archive?host=oss.example.com&access_id=${env("OBB_ID")}&access_key=${env("OBB_KEY")}"
  }
  data_backup {
    destination = "file:///nfs/${tenant.name}/data"
    full { max_age = "7d" }
    encryption { password = env("OBB_PW") }
  }
}
"#,
    );
    let env = [("OBB_ID", "ID"), ("OBB_KEY", key), ("OBB_PW", password)];
    let dsn = sim.dsn("sys");

    // No -v: no log lines.
    let quiet = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .envs(&env)
        .run();
    assert!(!quiet.stderr.lines().any(timestamped), "{}", quiet.stderr);

    // -v: statements sent and steps done (INFO), no reads or polls (DEBUG).
    let apply_v = Invocation::new(&["apply", &config, "-v"])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .envs(&env)
        .run();
    assert_eq!(apply_v.code, 0, "{}", apply_v.all());
    let info: Vec<&str> = apply_v.stderr.lines().filter(|l| timestamped(l)).collect();
    assert!(
        info.iter()
            .any(|l| l.contains("INFO") && l.contains("sent: ALTER SYSTEM")),
        "{info:#?}"
    );
    assert!(!info.iter().any(|l| l.contains("DEBUG")), "{info:#?}");
    assert!(!apply_v.all().contains(key) && !apply_v.all().contains(password));

    let sim = start("empty-4.2.json");
    let dsn = sim.dsn("sys");
    let apply = Invocation::new(&["apply", &config, "-vv"])
        .dsn(&dsn)
        .auto_approve()
        .fast()
        .envs(&env)
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let log: Vec<&str> = apply.stderr.lines().filter(|l| timestamped(l)).collect();
    let has = |words: &[&str]| log.iter().any(|l| words.iter().all(|w| l.contains(w)));
    assert!(
        has(&["INFO", "sent: ALTER SYSTEM ARCHIVELOG", "ms="]),
        "{log:#?}"
    );
    assert!(has(&["DEBUG", "read: SELECT", "rows="]), "{log:#?}");
    assert!(has(&["DEBUG", "poll", "observed="]), "{log:#?}");
    assert!(has(&["step done", "step="]), "{log:#?}");
    assert!(
        has(&["sent: SET ENCRYPTION ON IDENTIFIED BY '(sensitive)' ONLY"]),
        "{log:#?}"
    );
    assert!(
        !apply.all().contains(key) && !apply.all().contains(password),
        "a secret leaked:\n{}",
        apply.all()
    );

    // OBBACKUP_LOG picks what is logged; --log-file takes it off stderr.
    let file = root().join("target/test-configs/obbackup.log");
    let _ = std::fs::remove_file(&file);
    let logged = Invocation::new(&["plan", &config, "--log-file", &file.display().to_string()])
        .dsn(&dsn)
        .envs(&env)
        .env("OBBACKUP_LOG", "obbackup::db=debug")
        .run();
    assert_eq!(logged.code, 0, "{}", logged.all());
    assert!(!logged.stderr.lines().any(timestamped), "{}", logged.stderr);
    let text = std::fs::read_to_string(&file).expect("log file written");
    assert!(text.lines().all(timestamped), "{text}");
    assert!(text.contains("read: SELECT"), "{text}");
    assert!(!text.contains(key) && !text.contains(password), "{text}");

    // A filter that does not parse is refused, pointing at the variable.
    let bad = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .envs(&env)
        .env("OBBACKUP_LOG", "obbackup=loud")
        .run();
    assert_eq!(bad.code, 1, "{}", bad.all());
    assert_contains(&bad.stderr, "OBBACKUP_LOG");
}

//! The three uses end to end: saved plans for pull requests and pipelines,
//! drift with accepted exceptions on a schedule, several clusters, export,
//! graph, and the JSON contract checked against its schemas.

use obbackup_tests::{Invocation, assert_contains, root, sent, sent_alters, start, temp_config};

const EVERY_TENANT: &str = r#"
defaults {
  log_archive { enabled = true }
  data_backup { concurrency = 6 }
}
tenant "*" {
  log_archive { destination = "file:///nfs/${tenant.name}/archive" }
}
"#;

/// Where a test writes its plan file `name` (beside its configurations).
fn plan_path(name: &str) -> String {
    root()
        .join("target/test-configs")
        .join(name)
        .display()
        .to_string()
}

fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/schema").join(name)).expect("schema file");
    let value: serde_json::Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::validator_for(&value).expect("valid schema")
}

fn check(validator: &jsonschema::Validator, json: &str) {
    let value: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}):\n{json}"));
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{json}");
}

#[test]
fn a_saved_plan_runs_exactly_its_steps_on_an_unchanged_cluster() {
    let sim = start("empty-4.2.json");
    let config = temp_config("saved.hcl", EVERY_TENANT);
    let planfile = plan_path("saved.plan");
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .args(&["--out", &planfile])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&planfile).expect("written")).expect("JSON");
    assert_eq!(saved["plan_file_version"], "1.1");
    let expected: Vec<String> = saved["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["kind"]["sql"]["shown"].as_str().map(str::to_string))
        .collect();
    assert!(!expected.is_empty());

    let shown = Invocation::new(&["show", &planfile])
        .format("markdown")
        .run();
    assert_eq!(shown.code, 0, "{}", shown.all());
    assert_contains(&shown.stdout, "### obbackup plan");

    let apply = Invocation::new(&["apply", &planfile])
        .dsn(&dsn)
        .auto_approve()
        .fast_polls()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        sent_alters(&sim),
        expected,
        "apply of a saved plan runs exactly its steps"
    );
}

/// A saved plan runs its own steps and nothing else. Made before a backup
/// was due (here: the same plan file without its backup steps, as `plan
/// --out` wrote it then, against the same live state), it runs every saved
/// statement, names the backups planning now adds without running them, and
/// does not count what they serve against convergence.
#[test]
fn a_saved_plan_runs_only_its_steps_when_a_backup_became_due_since() {
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "saved-due.hcl",
        r#"
tenant "*" {
  log_archive {
    enabled     = true
    destination = "file:///nfs/${tenant.name}/archive"
  }
  data_backup {
    destination = "file:///nfs/${tenant.name}/data"
    full { max_age = "7d" }
  }
}
"#,
    );
    let planfile = plan_path("saved-due.plan");
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .args(&["--out", &planfile])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&planfile).expect("written")).expect("JSON");
    let is_backup =
        |id: &serde_json::Value| id.as_str().is_some_and(|i| i.ends_with(":backup_full"));
    let steps = saved["plan"]["steps"].as_array_mut().expect("steps");
    let before = steps.len();
    steps.retain(|s| !is_backup(&s["id"]));
    let backups = before - steps.len();
    assert!(backups >= 2, "one backup per tenant: {backups}");
    saved["plan"]["edges"]
        .as_array_mut()
        .expect("edges")
        .retain(|e| !is_backup(&e["from"]) && !is_backup(&e["to"]));
    saved["plan"]["changes"]
        .as_array_mut()
        .expect("changes")
        .retain(|c| {
            !c["address"]
                .as_str()
                .unwrap_or_default()
                .ends_with("data_backup.full")
        });
    std::fs::write(&planfile, saved.to_string()).expect("writes");
    let expected: Vec<String> = saved["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["kind"]["sql"]["shown"].as_str().map(str::to_string))
        .collect();

    let apply = Invocation::new(&["apply", &planfile])
        .dsn(&dsn)
        .auto_approve()
        .fast_polls()
        .format("json")
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(sent_alters(&sim), expected, "only the saved statements ran");
    assert_contains(
        &apply.stderr,
        &format!(
            "since the plan was made, backups became due: {backups} step(s) that are not in this saved plan will not run"
        ),
    );
    assert_contains(
        &apply.stderr,
        &format!(
            "Apply complete: every step of the saved plan ran. {backups} step(s) planned since were not in it"
        ),
    );
    let report: serde_json::Value = serde_json::from_str(&apply.stdout).expect("JSON");
    obbackup_tests::assert_schema("apply.schema.json", &report);
    assert_eq!(report["result"], "complete");
    assert_eq!(report["remaining"], serde_json::json!([]));
    let left_out = report["left_out"].as_array().expect("left_out");
    assert_eq!(left_out.len(), backups);
    assert!(
        left_out
            .iter()
            .all(|id| id.as_str().is_some_and(|i| i.ends_with(":backup_full"))),
        "{left_out:?}"
    );
    // The backups are still due: planning again gives them.
    let again = Invocation::new(&["plan", &config]).dsn(&dsn).run();
    assert_eq!(again.code, 0, "{}", again.all());
    assert_contains(&again.stdout, "backups due");
}

/// The secrets of a saved plan come from the environment of the apply (the
/// file holds none), but only for the statements the review saw: when an
/// `env()` value that shapes a statement carrying a secret changed (here the
/// directory of an object-storage destination), apply refuses before
/// anything runs; with the values of the plan it runs, sending the access
/// key of its own environment.
#[test]
fn a_saved_plan_refuses_a_secret_statement_the_environment_no_longer_gives() {
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "saved-env.hcl",
        r#"
tenant "*" {
  log_archive {
    enabled     = true
    destination = "oss://bucket/${env("OBB_DIR")}/${tenant.name}?host=oss.example.com&access_id=${env("OBB_ID")}&access_key=${env("OBB_KEY")}"
  }
}
"#,
    );
    let planfile = plan_path("saved-env.plan");
    let dsn = sim.dsn("sys");
    let env = |dir: &'static str, key: &'static str| {
        [("OBB_DIR", dir), ("OBB_ID", "id-000111"), ("OBB_KEY", key)]
    };
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .envs(&env("first", "key-AAA111"))
        .args(&["--out", &planfile])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());

    let moved = Invocation::new(&["apply", &planfile])
        .dsn(&dsn)
        .envs(&env("second", "key-AAA111"))
        .auto_approve()
        .fast_polls()
        .run();
    assert_eq!(moved.code, 1, "{}", moved.all());
    assert_contains(&moved.stderr, "obbackup::planfile::step_changed");
    assert_contains(
        &moved.stderr,
        "an env() value the configuration reads changed",
    );
    assert!(sent_alters(&sim).is_empty(), "{:?}", sent_alters(&sim));

    let apply = Invocation::new(&["apply", &planfile])
        .dsn(&dsn)
        .envs(&env("first", "key-BBB222"))
        .auto_approve()
        .fast_polls()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let dests: Vec<String> = sent_alters(&sim)
        .into_iter()
        .filter(|s| s.contains("LOG_ARCHIVE_DEST"))
        .collect();
    assert!(!dests.is_empty());
    assert!(
        dests
            .iter()
            .all(|s| s.contains("oss://bucket/first/") && s.contains("key-BBB222")),
        "{dests:?}"
    );
}

/// A plan file runs only what the configuration gives: a statement edited in
/// the file (here a concurrency of 6 made 60) is refused before anything runs.
#[test]
fn a_statement_edited_in_the_plan_file_is_refused() {
    let sim = start("empty-4.2.json");
    let config = temp_config("saved-edited.hcl", EVERY_TENANT);
    let planfile = plan_path("saved-edited.plan");
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .args(&["--out", &planfile])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let text = std::fs::read_to_string(&planfile).expect("written");
    let edited = text.replace("ha_low_thread_score = 6", "ha_low_thread_score = 60");
    assert_ne!(edited, text, "the plan sets the concurrency");
    std::fs::write(&planfile, edited).expect("writes");
    let apply = Invocation::new(&["apply", &planfile])
        .dsn(&dsn)
        .auto_approve()
        .fast_polls()
        .run();
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert_contains(&apply.stderr, "obbackup::planfile::step_changed");
    assert!(sent_alters(&sim).is_empty(), "{:?}", sent_alters(&sim));
}

/// The plan's own wait limits and session settings travel in the plan file:
/// a plan made with `--wait-timeout` applies with those limits whatever the
/// flags of the apply, and the statement that sets a destination gets its
/// `ob_query_timeout` from the step, sent right before it.
#[test]
fn a_saved_plan_keeps_the_options_it_was_made_with() {
    let sim = start("empty-4.2.json");
    let config = temp_config("saved-options.hcl", EVERY_TENANT);
    let planfile = plan_path("saved-options.plan");
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .args(&["--out", &planfile, "--wait-timeout", "900"])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&planfile).expect("written")).expect("JSON");
    assert_eq!(saved["options"]["timeouts"]["archive_doing"], 900);
    assert_eq!(saved["options"]["follow_backups"], false);
    let waits: Vec<u64> = saved["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["kind"]["wait"]["timeout_seconds"].as_u64())
        .collect();
    assert!(
        !waits.is_empty() && waits.iter().all(|&t| t == 900),
        "{waits:?}"
    );
    // Applied with other flags (and with none): the saved limits hold, nothing is refused.
    let apply = Invocation::new(&["apply", &planfile])
        .dsn(&dsn)
        .auto_approve()
        .fast_polls()
        .args(&["--wait-timeout", "30"])
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_contains(&apply.stderr, "this saved plan runs as it was reviewed");
    let sent = sent(&sim);
    let first_dest = sent
        .iter()
        .position(|s| {
            s.starts_with("ALTER SYSTEM SET LOG_ARCHIVE_DEST")
                || s.starts_with("ALTER SYSTEM SET DATA_BACKUP_DEST")
        })
        .expect("a destination statement");
    assert_eq!(
        sent[first_dest - 1],
        "SET ob_query_timeout = 600000000",
        "{sent:#?}"
    );
    assert_eq!(
        sent.iter()
            .filter(|s| s.starts_with("SET ob_query_timeout"))
            .count(),
        1,
        "set once per connection: {sent:#?}"
    );
}

#[test]
fn a_stale_plan_is_refused_naming_what_changed() {
    let sim = start("empty-4.2.json");
    let config = temp_config("stale.hcl", EVERY_TENANT);
    let planfile = plan_path("stale.plan");
    let dsn = sim.dsn("sys");
    assert_eq!(
        Invocation::new(&["plan", &config])
            .dsn(&dsn)
            .args(&["--out", &planfile])
            .run()
            .code,
        0
    );
    sim.execute_as(
        "sys",
        "ALTER SYSTEM SET ha_low_thread_score = 4 TENANT = 'app_tenant'",
    )
    .expect("out-of-band change");
    sim.clear_journal();
    let apply = Invocation::new(&["apply", &planfile])
        .dsn(&dsn)
        .auto_approve()
        .run();
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert_contains(&apply.stderr, "stale plan");
    assert!(
        apply
            .stderr
            .contains("tenants.app_tenant.parameters.ha_low_thread_score"),
        "{}",
        apply.stderr
    );
    assert!(
        sent_alters(&sim).is_empty(),
        "nothing may run from a stale plan"
    );
}

#[test]
fn an_edited_plan_file_is_refused() {
    let sim = start("empty-4.2.json");
    let config = temp_config("edited.hcl", EVERY_TENANT);
    let planfile = root().join("target/test-configs/edited.plan");
    assert_eq!(
        Invocation::new(&["plan", &config])
            .dsn(&sim.dsn("sys"))
            .args(&["--out", &planfile.display().to_string()])
            .run()
            .code,
        0
    );
    let text = std::fs::read_to_string(&planfile)
        .expect("written")
        .replace("concurrency = 6", "concurrency = 60");
    std::fs::write(&planfile, text).expect("edited");
    let apply = Invocation::new(&["apply", &planfile.display().to_string()])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .run();
    assert_eq!(apply.code, 1);
    assert_contains(&apply.stderr, "was edited");
}

#[test]
fn the_plan_file_holds_no_secret_only_references() {
    let canary = "CANARY-planfile-9d2";
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "secret-plan.hcl",
        r#"
tenant "app_tenant" {
  data_backup {
    destination = "oss://bucket/app/data?host=h&access_id=${env("OSS_ID")}&access_key=${env("OSS_KEY")}"
  }
}
"#,
    );
    let planfile = plan_path("secret.plan");
    let env = [("OSS_ID", "id"), ("OSS_KEY", canary)];
    let dsn = sim.dsn("sys");
    let plan = Invocation::new(&["plan", &config])
        .dsn(&dsn)
        .args(&["--out", &planfile])
        .format("markdown")
        .envs(&env)
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let text = std::fs::read_to_string(&planfile).expect("written");
    assert!(!text.contains(canary), "the plan file leaks the secret");
    assert!(!plan.all().contains(canary));
    assert!(text.contains("env:OSS_KEY"), "references are listed");
    let apply = Invocation::new(&["apply", &planfile])
        .dsn(&dsn)
        .auto_approve()
        .envs(&env)
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(!apply.all().contains(canary));
    assert!(
        sent(&sim).iter().any(|s| s.contains(canary)),
        "the reference is resolved again at apply"
    );
}

#[test]
fn accepted_drift_is_reported_but_not_counted_until_its_date() {
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "ignore.hcl",
        r#"
defaults {
  data_backup { concurrency = 6 }
}
tenant "*" {}
ignore {
  address = "tenant.app_tenant.data_backup.concurrency"
  reason  = "raised for the migration, ticket OPS-42"
  until   = "2027-01-31"
}
"#,
    );
    let dsn = sim.dsn("sys");
    assert_eq!(
        Invocation::new(&["apply", &config])
            .dsn(&dsn)
            .auto_approve()
            .args(&["--today", "2027-01-01"])
            .run()
            .code,
        0
    );
    sim.execute_as(
        "sys",
        "ALTER SYSTEM SET ha_low_thread_score = 20 TENANT = 'app_tenant'",
    )
    .expect("out-of-band");
    let before = Invocation::new(&["drift", &config])
        .dsn(&dsn)
        .args(&["--today", "2027-01-31"])
        .run();
    assert_eq!(before.code, 0, "{}", before.all());
    assert_contains(&before.stdout, "Accepted drift");
    assert_contains(&before.stdout, "OPS-42");
    let after = Invocation::new(&["drift", &config])
        .dsn(&dsn)
        .args(&["--today", "2027-02-01"])
        .run();
    assert_eq!(after.code, 2, "{}", after.all());
    assert!(
        after
            .stdout
            .contains("tenant.app_tenant.data_backup.concurrency"),
        "{}",
        after.stdout
    );
    assert_contains(&after.stdout, "expired on 2027-01-31");
    let json = Invocation::new(&["drift", &config])
        .dsn(&dsn)
        .args(&["--today", "2027-01-31"])
        .format("json")
        .run();
    check(&schema("drift.schema.json"), &json.stdout);
}

#[test]
fn several_clusters_report_together_and_name_the_drifted_one() {
    let a = start("empty-4.2.json");
    let b = start("empty-4.2.json");
    let dir = root().join("target/test-configs/fleet");
    std::fs::create_dir_all(&dir).expect("dir");
    for (name, var) in [("a.hcl", "OBB_FLEET_A"), ("b.hcl", "OBB_FLEET_B")] {
        std::fs::write(
            dir.join(name),
            format!("cluster {{\n  dsn_env = \"{var}\"\n}}\n{EVERY_TENANT}"),
        )
        .expect("write");
    }
    let env = [("OBB_FLEET_A", a.dsn("sys")), ("OBB_FLEET_B", b.dsn("sys"))];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let fleet = dir.display().to_string();
    for file in ["a.hcl", "b.hcl"] {
        let path = dir.join(file).display().to_string();
        let apply = Invocation::new(&["apply", &path])
            .auto_approve()
            .fast_polls()
            .envs(&env)
            .run();
        assert_eq!(apply.code, 0, "{}", apply.all());
    }
    let clean = Invocation::new(&["drift", &fleet]).envs(&env).run();
    assert_eq!(clean.code, 0, "{}", clean.all());
    b.execute_as(
        "sys",
        "ALTER SYSTEM SET ha_low_thread_score = 1 TENANT = 'mysql_tenant'",
    )
    .expect("drift on b");
    let drift = Invocation::new(&["drift", &fleet]).envs(&env).run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert_contains(&drift.stdout, "b.hcl drift");
    assert_contains(&drift.stdout, "a.hcl in_sync");
    let json = Invocation::new(&["drift", &fleet])
        .format("json")
        .envs(&env)
        .run();
    check(&schema("report.schema.json"), &json.stdout);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value["clusters"][1]["status"], "drift");
    check(
        &schema("drift.schema.json"),
        &value["clusters"][1]["report"].to_string(),
    );
    let markdown = Invocation::new(&["drift", &fleet])
        .format("markdown")
        .envs(&env)
        .run();
    assert!(
        markdown
            .stdout
            .contains("`tenant.mysql_tenant.data_backup.concurrency`"),
        "{}",
        markdown.stdout
    );
    let missing = Invocation::new(&["drift", &fleet])
        .env("OBB_FLEET_A", env[0].1)
        .run();
    assert_eq!(missing.code, 1, "an unreachable cluster makes the run fail");
    assert_contains(&missing.stdout, "OBB_FLEET_B, which is not set");
}

#[test]
fn export_round_trips_on_every_fixture() {
    let mut fixtures: Vec<String> = std::fs::read_dir(root().join("fixtures/live"))
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 4);
    for fixture in fixtures {
        let sim = start(&fixture);
        let dsn = sim.dsn("sys");
        let export = Invocation::new(&["export"]).dsn(&dsn).run();
        assert_eq!(export.code, 0, "{fixture}: {}", export.all());
        let file = temp_config(&format!("export-{fixture}.hcl"), &export.stdout);
        let names: Vec<String> = export
            .stderr
            .split(": ")
            .nth(1)
            .map(|list| list.trim().split(", ").map(str::to_string).collect())
            .unwrap_or_default();
        let env: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "from-env")).collect();
        let plan = Invocation::new(&["plan", &file])
            .dsn(&dsn)
            .format("json")
            .envs(&env)
            .run();
        assert_eq!(plan.code, 0, "{fixture}: {}", plan.all());
        // The export declares what runs; the only change left is the restart
        // of a round that is INTERRUPTED although archiving is on.
        let value: serde_json::Value = serde_json::from_str(&plan.stdout).expect("JSON");
        let left: Vec<&str> = value["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .filter(|c| {
                !(c["address"]
                    .as_str()
                    .is_some_and(|a| a.ends_with(".log_archive.round"))
                    && c["before"] == "INTERRUPTED")
            })
            .filter_map(|c| c["address"].as_str())
            .collect();
        assert!(
            left.is_empty(),
            "{fixture}: the export must plan empty:\n{}\n{left:?}",
            export.stdout
        );
        assert!(
            !export.stdout.contains("access_key=xxx"),
            "{fixture}: credentials must become env() references"
        );
    }
}

#[test]
fn graph_prints_dot_with_rule_labels() {
    let sim = start("documented-4.2.json");
    let config = temp_config("graph.hcl", EVERY_TENANT);
    let out = Invocation::new(&["graph", &config])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.starts_with("digraph {"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("label = \"archive_stopped_before_archive_dest\""),
        "{}",
        out.stdout
    );
    assert_contains(&out.stdout, "tenant.mysql_tenant:noarchivelog");
}

#[test]
fn plan_json_matches_its_schema() {
    for fixture in ["empty-4.2.json", "documented-4.2.json"] {
        let sim = start(fixture);
        let config = temp_config("schema.hcl", EVERY_TENANT);
        let out = Invocation::new(&["plan", &config])
            .dsn(&sim.dsn("sys"))
            .format("json")
            .run();
        assert_eq!(out.code, 0, "{}", out.all());
        check(&schema("plan.schema.json"), &out.stdout);
    }
}

/// Archive waits and backup-job follows have separate limits, written as
/// durations or seconds, and a saved plan records both.
#[test]
fn wait_and_backup_limits_are_separate_durations() {
    let sim = start("empty-4.2.json");
    let config = temp_config("limits.hcl", EVERY_TENANT);
    let planfile = plan_path("limits.plan");
    let plan = Invocation::new(&["plan", &config, "--out", &planfile])
        .dsn(&sim.dsn("sys"))
        .args(&["--wait", "--wait-timeout", "2m", "--backup-timeout", "3h"])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&planfile).expect("written")).expect("JSON");
    let timeouts = &saved["options"]["timeouts"];
    assert_eq!(timeouts["archive_doing"], 120);
    assert_eq!(timeouts["archive_stop"], 120);
    assert_eq!(timeouts["backup_jobs"], 120);
    assert_eq!(timeouts["backup_run"], 10_800);
    assert_contains(&plan.stdout, "(up to 120s, --wait-timeout)");
    // A backup due, followed with --wait: its limit is --backup-timeout's.
    let due = temp_config(
        "limits-backup.hcl",
        "tenant \"*\" {\n  log_archive {\n    enabled     = true\n    destination = \"file:///nfs/${tenant.name}/archive\"\n  }\n  data_backup {\n    destination = \"file:///nfs/${tenant.name}/data\"\n    full { max_age = \"7d\" }\n  }\n}\n",
    );
    let plan = Invocation::new(&["plan", &due])
        .dsn(&sim.dsn("sys"))
        .args(&["--wait", "--backup-timeout", "3h"])
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert_contains(&plan.stdout, "(up to 10800s, --backup-timeout)");
    let bad = Invocation::new(&["plan", &config])
        .dsn(&sim.dsn("sys"))
        .args(&["--backup-timeout", "soon"])
        .run();
    assert_ne!(bad.code, 0);
    assert_contains(&bad.stderr, "is not a duration such as 30m");
}

/// `status --format markdown` renders Markdown, `status --detailed-exitcode`
/// exits 2 on a freshness violation, and `graph` draws a saved plan without a
/// cluster.
#[test]
fn status_markdown_detailed_exitcode_and_graph_of_a_saved_plan() {
    let sim = start("history-4.2.json");
    let policy = temp_config(
        "status-policy.hcl",
        "tenant \"stale_full\" {\n  data_backup {\n    full { max_age = \"7d\" }\n  }\n}\n",
    );
    let markdown = Invocation::new(&["status", &policy])
        .dsn(&sim.dsn("sys"))
        .format("markdown")
        .run();
    assert_eq!(markdown.code, 0, "{}", markdown.all());
    assert_contains(&markdown.stdout, "### obbackup status");
    assert_contains(&markdown.stdout, "| tenant | log archive |");
    assert_contains(&markdown.stdout, "1 problem(s)");
    assert_contains(&markdown.stdout, "data_backup.full");
    let detailed = Invocation::new(&["status", &policy, "--detailed-exitcode"])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(detailed.code, 2, "{}", detailed.all());
    let no_policy = Invocation::new(&["status", "--detailed-exitcode"])
        .dsn(&sim.dsn("sys"))
        .run();
    assert_eq!(no_policy.code, 0, "{}", no_policy.all());

    let other = start("empty-4.2.json");
    let config = temp_config("graph-saved.hcl", EVERY_TENANT);
    let planfile = plan_path("graph-saved.plan");
    let plan = Invocation::new(&["plan", &config, "--out", &planfile])
        .dsn(&other.dsn("sys"))
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let graph = Invocation::new(&["graph", &planfile]).run();
    assert_eq!(graph.code, 0, "{}", graph.all());
    assert_contains(&graph.stdout, "digraph");
    assert_contains(&graph.stdout, "archive_dest_before_archivelog");
}

/// `--timeout` bounds a statement without a limit of its own: a reply that
/// does not come fails that step after the limit, names the limit, and the
/// run stops there (the session may still be busy with it).
#[test]
fn a_statement_past_the_timeout_fails_its_step() {
    let sim = start("empty-4.2.json");
    let config = temp_config(
        "statement-timeout.hcl",
        "tenant \"app_tenant\" {\n  log_archive { concurrency = 4 }\n}\n",
    );
    sim.stall_reply("SET log_archive_concurrency", 20_000);
    let started = std::time::Instant::now();
    let apply = Invocation::new(&["apply", &config])
        .dsn(&sim.dsn("sys"))
        .auto_approve()
        .args(&["--timeout", "2"])
        .run();
    let took = started.elapsed();
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert!(
        took < std::time::Duration::from_secs(15),
        "the 20 s reply was not cut off: {took:?}"
    );
    assert_contains(
        &apply.all(),
        "FAILED   1. ALTER SYSTEM SET log_archive_concurrency",
    );
    assert_contains(&apply.all(), "no answer within 2s");
    assert_contains(&apply.all(), "may still complete on the server");
}

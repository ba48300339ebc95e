//! `status --format openmetrics`, read back by a real OpenMetrics parser
//! (Python `prometheus_client`, which `scripts/test.sh` installs and names in
//! `OBBACKUP_PYTHON`), and the Kubernetes examples in `examples/monitoring`,
//! read by PyYAML: every metric an alert names must be in the output.

use obbackup_tests::{Invocation, assert_contains, root, start, temp_config};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};

/// Runs `script` with the test environment's Python, `input` on standard
/// input; returns what it printed, as JSON. Panics when Python is missing
/// (the test command sets it up: no test is skipped) or the script fails.
fn python(script: &str, input: &str) -> Value {
    let python = std::env::var("OBBACKUP_PYTHON")
        .expect("OBBACKUP_PYTHON names the Python with prometheus_client and PyYAML (run the tests through scripts/test.sh)");
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("written");
    let out = child.wait_with_output().expect("python ends");
    assert!(
        out.status.success(),
        "python failed:\n{}\ninput:\n{input}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from python")
}

/// Families and samples as the OpenMetrics parser reads them:
/// `{family: {"unit": …, "samples": [[name, labels, value], …]}}`.
const PARSE: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    out[family.name] = {"type": family.type, "unit": family.unit,
                        "samples": [[s.name, s.labels, s.value] for s in family.samples]}
print(json.dumps(out))
"#;

fn value_of(families: &Value, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    families[family]["samples"]
        .as_array()?
        .iter()
        .find(|s| labels.iter().all(|(k, v)| s[1][*k] == *v))
        .and_then(|s| s[2].as_f64())
}

const POLICY: &str = "defaults {\n  data_backup {\n    recoverability {\n      max_rpo = \"1d\"\n    }\n  }\n}\ntenant \"*\" {}\n";

#[test]
fn the_metrics_parse_as_openmetrics_and_agree_with_the_json_status() {
    let sim = start("recovery-4.2.json");
    let dsn = sim.dsn("sys");
    let config = temp_config("metrics-prod.hcl", POLICY);
    let metrics = Invocation::new(&["status", &config])
        .dsn(&dsn)
        .format("openmetrics")
        .run();
    assert_eq!(metrics.code, 0, "{}", metrics.all());
    let families = python(PARSE, &metrics.stdout);
    let json = Invocation::new(&["status"]).dsn(&dsn).format("json").run();
    let status: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let tenant = |name: &str| {
        status["tenants"]
            .as_array()
            .expect("tenants")
            .iter()
            .find(|t| t["tenant"] == name)
            .cloned()
            .expect("listed")
    };

    assert_eq!(
        value_of(
            &families,
            "obbackup_scrape_success",
            &[("cluster", "metrics-prod")]
        ),
        Some(1.0),
        "the label defaults to the configuration's name"
    );
    assert_eq!(
        families["obbackup_rpo_seconds"]["unit"], "seconds",
        "units are declared"
    );
    // The RPO and the window agree with the JSON status (same seconds).
    let rpo = value_of(
        &families,
        "obbackup_rpo_seconds",
        &[("tenant", "plus_only")],
    );
    let json_rpo = tenant("plus_only")["rpo_seconds"].as_f64();
    assert!(
        rpo.zip(json_rpo).is_some_and(|(a, b)| (a - b).abs() <= 2.0),
        "{rpo:?} vs {json_rpo:?}"
    );
    // The plus_only point window is 2024-06-17 12:00:00 UTC.
    assert_eq!(
        value_of(
            &families,
            "obbackup_recovery_window_end_timestamp_seconds",
            &[("tenant", "plus_only")]
        ),
        Some(1_718_625_600.0)
    );
    assert_eq!(
        value_of(
            &families,
            "obbackup_backup_last_success_timestamp_seconds",
            &[("tenant", "gapped"), ("type", "full")]
        ),
        Some(1_718_884_800.0 - 10.0 * 86_400.0),
        "the full backup ended 10 days before the simulator's start"
    );
    assert_eq!(
        value_of(
            &families,
            "obbackup_archive_round_status",
            &[("tenant", "gapped"), ("status", "DOING")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value_of(
            &families,
            "obbackup_archive_round_status",
            &[("tenant", "gapped"), ("status", "INTERRUPTED")]
        ),
        Some(0.0)
    );
    // No window for the tenants that cannot restore: no sample, not a zero.
    assert_eq!(
        value_of(&families, "obbackup_rpo_seconds", &[("tenant", "never")]),
        None
    );
    // max_rpo 1d: failed_and_deleted, interrupted, never and plus_only breach it.
    assert_eq!(
        value_of(&families, "obbackup_drift_addresses", &[]),
        Some(4.0)
    );
}

#[test]
fn a_failed_read_leaves_scrape_success_zero_and_exits_1() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = unused.local_addr().expect("address").port();
    drop(unused);
    let out = Invocation::new(&["status", "--cluster-label", "east"])
        .dsn(&format!("mysql://root%40sys@127.0.0.1:{port}"))
        .format("openmetrics")
        .run();
    assert_eq!(out.code, 1, "{}", out.all());
    let families = python(PARSE, &out.stdout);
    assert_eq!(
        value_of(&families, "obbackup_scrape_success", &[("cluster", "east")]),
        Some(0.0)
    );
    assert!(!out.stderr.is_empty(), "the error is reported too");
}

#[test]
fn the_kubernetes_examples_parse_and_alert_only_on_metrics_obbackup_prints() {
    let sim = start("retention-4.2.json");
    let config = temp_config("metrics-rules.hcl", POLICY);
    let metrics = Invocation::new(&["status", &config])
        .dsn(&sim.dsn("sys"))
        .format("openmetrics")
        .run();
    let families = python(PARSE, &metrics.stdout);
    let printed: BTreeSet<String> = families
        .as_object()
        .expect("families")
        .keys()
        .cloned()
        .collect();
    let dir = root().join("examples/monitoring");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("example");
    let load = r#"
import json, sys, yaml
print(json.dumps(list(yaml.safe_load_all(sys.stdin.read()))))
"#;
    let cron = python(load, &read("cronjob.yaml"));
    assert_eq!(cron[0]["kind"], "CronJob");
    let script =
        cron[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
            .as_str()
            .expect("the job's script")
            .to_string();
    assert_contains(&script, "--format openmetrics");
    let rule = python(load, &read("prometheus-rule.yaml"));
    assert_eq!(rule[0]["kind"], "PrometheusRule");
    let mut named = BTreeSet::new();
    let mut alerts = BTreeSet::new();
    for r in rule[0]["spec"]["groups"][0]["rules"]
        .as_array()
        .expect("rules")
    {
        alerts.insert(r["alert"].as_str().expect("alert name").to_string());
        let expr = r["expr"].as_str().expect("expr");
        for (i, _) in expr.match_indices("obbackup_") {
            let name: String = expr[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            named.insert(name);
        }
    }
    let missing: Vec<&String> = named.difference(&printed).collect();
    assert!(
        missing.is_empty(),
        "alerts name metrics obbackup does not print: {missing:?}"
    );
    for needed in [
        "ObbackupArchiveLagging",
        "ObbackupFullBackupStale",
        "ObbackupRpoBreached",
        "ObbackupCleanupFailed",
    ] {
        assert!(alerts.contains(needed), "{needed} in {alerts:?}");
    }
}

/// 3.x shows no SCN, but the server's own clock gives the offset
/// (`UNIX_TIMESTAMP()` beside `NOW(6)`): timestamps are Unix time there too.
#[test]
fn on_3x_timestamps_come_from_the_servers_own_clock() {
    let fixture = r#"{ "version": "3.2.4.1",
      "parameters": { "backup_dest": "file:///data/nfs/backup" },
      "archive": { "round_id": 1, "status": "DOING" },
      "backup_history": [ { "backup_type": "D", "ended_ago": "1d" } ] }"#;
    let sim = obbackup_tests::Sim(obsim::Simulator::start_in_thread(fixture).expect("starts"));
    let dsn = sim.dsn("sys");
    let json = Invocation::new(&["status"]).dsn(&dsn).format("json").run();
    let status: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let age = status["tenants"][0]["last_full_age_seconds"]
        .as_i64()
        .expect("the age is known");
    let metrics = Invocation::new(&["status"])
        .dsn(&dsn)
        .format("openmetrics")
        .run();
    assert_eq!(metrics.code, 0, "{}", metrics.all());
    let families = python(PARSE, &metrics.stdout);
    let ended = value_of(
        &families,
        "obbackup_backup_last_success_timestamp_seconds",
        &[("tenant", "cluster"), ("type", "full")],
    )
    .expect("a timestamp");
    // The simulated clock starts at 2024-06-20 12:00:00 UTC; the backup
    // ended a day before (the two reads are moments apart).
    let expected = 1_718_884_800.0 - 86_400.0;
    assert!((ended - expected).abs() < 60.0, "{ended} vs {expected}");
    assert!((86_400..86_460).contains(&age), "{age}");
    assert!(
        value_of(
            &families,
            "obbackup_archive_checkpoint_lag_seconds",
            &[("tenant", "cluster")]
        )
        .is_some(),
        "durations are shown as ever"
    );
}

//! Recoverability, end to end: `status` shows each tenant's restore windows
//! and RPO, and `recoverability { max_rpo min_window }` breaches are drift.
//! Fixture: `fixtures/live/recovery-4.2.json` (two archive rounds with a gap,
//! deleted and failed full sets, a PLUS ARCHIVELOG set alone, no backup) and,
//! for 3.x, `fixtures/live/recovery-3.2.json` (a round history with a gap,
//! full and incremental sets, a failed one).

use obbackup_tests::{Invocation, assert_contains, start, temp_config};
use serde_json::Value;

fn tenant<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["tenant"] == name)
        .expect("tenant listed")
}

/// The windows as (start, end, sets) with the times cut to the second.
fn windows(t: &Value) -> Vec<(String, String, Vec<u64>)> {
    t["recovery_windows"]
        .as_array()
        .expect("windows")
        .iter()
        .map(|w| {
            let cut = |v: &Value| v.as_str().expect("time").chars().take(19).collect();
            let sets = w["backup_sets"]
                .as_array()
                .expect("sets")
                .iter()
                .filter_map(Value::as_u64)
                .collect();
            (cut(&w["start"]), cut(&w["end"]), sets)
        })
        .collect()
}

#[test]
fn status_shows_windows_with_gaps_and_the_rpo() {
    let sim = start("recovery-4.2.json");
    let status = Invocation::new(&["status"])
        .dsn(&sim.dsn("sys"))
        .format("json")
        .run();
    assert_eq!(status.code, 0, "{}", status.all());
    let value: Value = serde_json::from_str(&status.stdout).expect("JSON");
    obbackup_tests::assert_schema("status.schema.json", &value);

    // Round 1 (pieces 1-1, 1-2) ends 20 days ago; round 2 starts 15 days ago.
    // Full 1 (35 days ago) restores until round 1 ends; full 2 (10 days ago)
    // and its incremental from then on, up to the checkpoint.
    let gapped = tenant(&value, "gapped");
    let w = windows(gapped);
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(
        (&w[0].0[..], &w[0].1[..], &w[0].2[..]),
        ("2024-05-16T12:00:00", "2024-05-31T12:00:00", &[1][..])
    );
    assert_eq!(
        (&w[1].0[..], &w[1].2[..]),
        ("2024-06-10T12:00:00", &[2, 3][..])
    );
    assert!(w[1].1.starts_with("2024-06-20T12:00"), "{w:?}");
    assert_eq!(
        gapped["recovery_windows"][0]["pieces"],
        serde_json::json!(["1-1", "1-2"])
    );
    let rpo = gapped["rpo_seconds"].as_i64().expect("an RPO");
    assert!((0..120).contains(&rpo), "{rpo}");

    // The only full sets were deleted or failed: the incremental has no base.
    let broken = tenant(&value, "failed_and_deleted");
    assert_eq!(broken["recovery_windows"], serde_json::json!([]));
    assert_eq!(broken["rpo_seconds"], Value::Null);

    // A PLUS ARCHIVELOG set restores to its own point, without an archive.
    let plus = tenant(&value, "plus_only");
    let w = windows(plus);
    assert_eq!(
        w,
        [(
            "2024-06-17T12:00:00".to_string(),
            "2024-06-17T12:00:00".to_string(),
            vec![1]
        )]
    );
    let rpo = plus["rpo_seconds"].as_i64().expect("an RPO");
    assert!((259_200..259_320).contains(&rpo), "three days: {rpo}");

    // A round INTERRUPTED two days ago: the window ends at its checkpoint.
    let interrupted = tenant(&value, "interrupted");
    let w = windows(interrupted);
    assert_eq!(
        w,
        [(
            "2024-06-11T12:00:00".to_string(),
            "2024-06-18T12:00:00".to_string(),
            vec![1]
        )]
    );
    let rpo = interrupted["rpo_seconds"].as_i64().expect("an RPO");
    assert!((172_800..172_920).contains(&rpo), "two days: {rpo}");

    let never = tenant(&value, "never");
    assert_eq!(never["recovery_windows"], serde_json::json!([]));
    assert_eq!(never["rpo_seconds"], Value::Null);

    let human = Invocation::new(&["status"]).dsn(&sim.dsn("sys")).run();
    assert_contains(
        &human.stdout,
        "restorable    2024-05-16 12:00:00 → 2024-05-31 12:00:00 (sets 1; pieces 1-1, 1-2)",
    );
    assert_contains(&human.stdout, "(sets 1, no archive needed)");
}

#[test]
fn recoverability_breaches_are_drift_naming_the_measure_and_the_limit() {
    let sim = start("recovery-4.2.json");
    let dsn = sim.dsn("sys");
    let config = temp_config(
        "recovery-policy.hcl",
        "defaults {\n  data_backup {\n    recoverability {\n      max_rpo    = \"1d\"\n      min_window = \"7d\"\n    }\n  }\n}\ntenant \"*\" {}\n",
    );
    let drift = Invocation::new(&["drift", &config])
        .dsn(&dsn)
        .format("json")
        .run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    let value: Value = serde_json::from_str(&drift.stdout).expect("JSON");
    let breaches: Vec<(String, String, String)> = value["breaches"]
        .as_array()
        .expect("breaches")
        .iter()
        .map(|b| {
            (
                b["address"].as_str().unwrap_or_default().to_string(),
                b["observed"].as_str().unwrap_or_default().to_string(),
                b["limit"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let addresses: Vec<&str> = breaches.iter().map(|b| b.0.as_str()).collect();
    // gapped: RPO about 0 and a 10-day newest window: no breach.
    assert_eq!(
        addresses,
        [
            "tenant.failed_and_deleted.data_backup.recoverability.max_rpo",
            "tenant.failed_and_deleted.data_backup.recoverability.min_window",
            "tenant.interrupted.data_backup.recoverability.max_rpo",
            "tenant.never.data_backup.recoverability.max_rpo",
            "tenant.never.data_backup.recoverability.min_window",
            "tenant.plus_only.data_backup.recoverability.max_rpo",
            "tenant.plus_only.data_backup.recoverability.min_window",
        ]
    );
    assert_eq!(breaches[0].1, "no restorable point");
    assert_eq!(breaches[0].2, "max_rpo 1d");
    assert!(
        breaches[5]
            .1
            .starts_with("RPO 3d 0h (restorable up to 2024-06-17T12:00:00"),
        "{:?}",
        breaches[5]
    );
    assert_eq!(
        breaches[6].1,
        "newest window 0s long (from 2024-06-17T12:00:00.000000+00:00)"
    );
    assert_eq!(breaches[6].2, "min_window 7d");
    // interrupted: its 7-day window meets min_window 7d exactly: no breach.

    let status = Invocation::new(&["status", &config])
        .dsn(&dsn)
        .detailed_exitcode()
        .run();
    assert_eq!(status.code, 2, "{}", status.all());
    assert_contains(
        &status.stdout,
        "! data_backup.recoverability.max_rpo: no restorable point, max_rpo 1d",
    );
}

#[test]
fn on_3x_status_shows_the_clusters_windows_and_breaches_are_drift() {
    // Round 1 ran 40 to 20 days ago, round 2 from 15 days ago; fulls 35 and
    // 10 days ago, an incremental 3 days ago, a failed full 2 days ago (each
    // took 10 minutes: a set's snapshot is its start).
    let sim = start("recovery-3.2.json");
    let dsn = sim.dsn("sys");
    let status = Invocation::new(&["status"]).dsn(&dsn).format("json").run();
    assert_eq!(status.code, 0, "{}", status.all());
    let value: Value = serde_json::from_str(&status.stdout).expect("JSON");
    obbackup_tests::assert_schema("status.schema.json", &value);
    let cluster = tenant(&value, "cluster");
    let w = windows(cluster);
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(
        (&w[0].0[..], &w[0].1[..], &w[0].2[..]),
        ("2024-05-16T11:50:00", "2024-05-31T12:00:00", &[1][..])
    );
    assert_eq!(
        (&w[1].0[..], &w[1].2[..]),
        ("2024-06-10T11:50:00", &[2, 3][..])
    );
    assert!(w[1].1.starts_with("2024-06-20T12:00"), "{w:?}");
    assert_eq!(
        cluster["recovery_windows"][1]["pieces"],
        serde_json::json!(["2-3"])
    );
    let rpo = cluster["rpo_seconds"].as_i64().expect("an RPO");
    assert!((0..120).contains(&rpo), "{rpo}");

    let config = temp_config(
        "recovery-3.hcl",
        "cluster {\n  version = \"3.2\"\n  data_backup {\n    recoverability {\n      max_rpo    = \"1h\"\n      min_window = \"30d\"\n    }\n  }\n}\n",
    );
    let drift = Invocation::new(&["drift", &config])
        .dsn(&dsn)
        .format("json")
        .run();
    assert_eq!(drift.code, 2, "{}", drift.all());
    let value: Value = serde_json::from_str(&drift.stdout).expect("JSON");
    let breaches = value["breaches"].as_array().expect("breaches");
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(
        breaches[0]["address"],
        "cluster.data_backup.recoverability.min_window"
    );
    assert_eq!(breaches[0]["limit"], "min_window 30d");
    assert_contains(
        breaches[0]["observed"].as_str().unwrap_or_default(),
        "newest window 10d 0h long (from 2024-06-10T11:50:00",
    );

    // The only backup of this cluster failed: nothing restores.
    let sim = start("documented-3.2.json");
    let status = Invocation::new(&["status", &config])
        .dsn(&sim.dsn("sys"))
        .detailed_exitcode()
        .run();
    assert_eq!(status.code, 2, "{}", status.all());
    assert_contains(
        &status.stdout,
        "! data_backup.recoverability.max_rpo: no restorable point, max_rpo 1h",
    );
}

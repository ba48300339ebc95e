//! A fleet spread over several runs: 12 clusters (12 simulators) in 3 shards
//! (`--shard i/3`, or the CI's node variables), then `report merge`: every
//! cluster reported exactly once, as one run over every file reports it, with
//! the same exit code.

use obbackup_tests::{Invocation, assert_contains, root, start};
use serde_json::Value;
use std::collections::BTreeMap;

const CONFIG: &str = r#"
defaults {
  data_backup { concurrency = 8 }
}
tenant "*" {}
"#;

struct Fleet {
    _sims: Vec<obbackup_tests::Sim>,
    dir: String,
    env: Vec<(String, String)>,
}

/// Twelve clusters; the ones whose number is divisible by 3 already match.
fn fleet() -> Fleet {
    let dir = root().join("target/test-configs/shards");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let mut sims = Vec::new();
    let mut env = Vec::new();
    for k in 0..12 {
        let sim = start("empty-4.2.json");
        let var = format!("OBB_SHARD_{k:02}");
        std::fs::write(
            dir.join(format!("c{k:02}.hcl")),
            format!("cluster {{\n  dsn_env = \"{var}\"\n}}\n{CONFIG}"),
        )
        .expect("write");
        if k % 3 == 0 {
            for tenant in ["mysql_tenant", "oracle_tenant", "app_tenant"] {
                sim.execute_as(
                    "sys",
                    &format!("ALTER SYSTEM SET ha_low_thread_score = 8 TENANT = '{tenant}'"),
                )
                .expect("set");
            }
        }
        env.push((var, sim.dsn("sys")));
        sims.push(sim);
    }
    Fleet {
        _sims: sims,
        dir: dir.display().to_string(),
        env,
    }
}

fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .map(|c| {
            let file = c["file"].as_str().unwrap_or_default();
            let name = file.rsplit('/').next().unwrap_or(file).to_string();
            (name, c["status"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn three_shards_merge_into_the_report_of_one_run() {
    let f = fleet();
    let env: Vec<(&str, &str)> = f
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let whole = Invocation::new(&["drift", &f.dir])
        .format("json")
        .envs(&env)
        .run();
    assert_eq!(whole.code, 2, "{}", whole.all());
    let whole: Value = serde_json::from_str(&whole.stdout).expect("JSON");

    let out_dir = root().join("target/test-configs/shard-reports");
    std::fs::create_dir_all(&out_dir).expect("dir");
    let mut paths = Vec::new();
    for index in 1..=3 {
        // Share 2 reads GitLab's variables; the others take the flag.
        let mut run = Invocation::new(&["drift", &f.dir])
            .format("json")
            .envs(&env);
        run = if index == 2 {
            run.env("CI_NODE_INDEX", "2").env("CI_NODE_TOTAL", "3")
        } else {
            run.args(&["--shard", &format!("{index}/3")])
        };
        let out = run.run();
        // Share 1 holds c00, c03, c06 and c09: the clusters that match.
        let expected = if index == 1 { 0 } else { 2 };
        assert_eq!(out.code, expected, "shard {index}: {}", out.all());
        let value: Value = serde_json::from_str(&out.stdout).expect("JSON");
        assert_eq!(
            value["clusters"].as_array().map(Vec::len),
            Some(4),
            "shard {index} takes 4 of 12"
        );
        let path = out_dir.join(format!("shard-{index}.json"));
        std::fs::write(&path, &out.stdout).expect("write");
        paths.push(path.display().to_string());
    }
    let mut args = vec!["report", "merge"];
    args.extend(paths.iter().map(String::as_str));
    let merged = Invocation::new(&args).format("json").run();
    assert_eq!(merged.code, 2, "{}", merged.all());
    let merged: Value = serde_json::from_str(&merged.stdout).expect("JSON");
    assert_eq!(statuses(&merged), statuses(&whole));
    assert_eq!(statuses(&merged).len(), 12);
    assert_eq!(
        statuses(&merged)
            .values()
            .filter(|s| *s == "in_sync")
            .count(),
        4
    );

    let human = Invocation::new(&args).run();
    assert_contains(&human.stdout, "12 cluster(s):");
    assert_contains(&human.stdout, "c01.hcl drift");
    let markdown = Invocation::new(&args).format("markdown").run();
    assert_contains(&markdown.stdout, "## obbackup: 12 cluster(s)");
    assert_contains(&markdown.stdout, "4 in sync.");

    // The same file in two reports is refused.
    let twice = Invocation::new(&["report", "merge", &paths[0], &paths[0]]).run();
    assert_eq!(twice.code, 1, "{}", twice.all());
    assert_contains(&twice.stderr, "is in two reports");
    assert_contains(&twice.stderr, "obbackup::report");
    // A share that does not exist is refused.
    let bad = Invocation::new(&["drift", &f.dir, "--shard", "4/3"])
        .envs(&env)
        .run();
    assert_eq!(bad.code, 1, "{}", bad.all());
    assert_contains(&bad.stderr, "share 4 of 3 does not exist");
    assert_contains(&bad.stderr, "obbackup::usage");
}

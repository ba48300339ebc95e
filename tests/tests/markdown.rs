//! Pull-request comments stay within what GitHub takes (65,536 characters):
//! the summary and hazards first, one collapsed section per tenant, and
//! sections left out with a note when they do not fit — for plan and drift,
//! at 3, 300 and 3,000 tenants, for one cluster and for a fleet; and the
//! terminal plan grouped by tenant at 3 and 300 tenants.

use obbackup_tests::{Invocation, root, temp_config};

const LIMIT: usize = 65_536;

const CONFIG: &str = r#"
defaults {
  log_archive { enabled = true }
  data_backup { concurrency = 8 }
}
tenant "*" {
  log_archive { destination = "file:///nfs/${tenant.name}/archive" }
  data_backup { destination = "file:///nfs/${tenant.name}/data" }
}
"#;

fn simulator(tenants: usize) -> obbackup_tests::Sim {
    let fixture = serde_json::json!({
        "version": "4.2.2.1",
        "generated_tenants": { "count": tenants, "prefix": "tenant_", "first_id": 1002 }
    });
    obbackup_tests::Sim(obsim::Simulator::start_in_thread(&fixture.to_string()).expect("starts"))
}

fn check(markdown: &str, tenants: usize, what: &str) {
    let length = markdown.chars().count();
    assert!(length <= LIMIT, "{what}: {length} characters");
    let first = markdown.find("<details>").unwrap_or(markdown.len());
    assert!(
        markdown[..first].contains("to create") || markdown[..first].contains("drifted"),
        "{what}: no summary before the sections"
    );
    let shown = markdown.matches("<details><summary><code>tenant_").count();
    let left_out = markdown.contains("section(s) left out");
    if tenants <= 3 {
        assert_eq!(shown, tenants, "{what}");
        assert!(!left_out, "{what}");
    } else {
        assert!(shown > 0 && shown < tenants, "{what}: {shown} sections");
        assert!(left_out, "{what}: no note of what was left out");
    }
}

#[test]
fn plan_and_drift_comments_fit_at_every_size() {
    let config = temp_config("markdown.hcl", CONFIG);
    for tenants in [3, 300, 3_000] {
        let sim = simulator(tenants);
        for command in ["plan", "drift"] {
            let out = Invocation::new(&[command, &config, "--format", "markdown"])
                .dsn(&sim.dsn("sys"))
                .run();
            assert!(out.code == 0 || out.code == 2, "{}", out.stderr);
            check(&out.stdout, tenants, &format!("{command} at {tenants}"));
        }
    }
}

#[test]
fn a_fleet_comment_fits_and_names_every_cluster() {
    let dir = root().join("target/test-configs/markdown-fleet");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let sims: Vec<(usize, obbackup_tests::Sim)> = [3, 300, 3_000]
        .into_iter()
        .map(|n| (n, simulator(n)))
        .collect();
    let mut env = Vec::new();
    for (n, sim) in &sims {
        let var = format!("OB_MD_{n}_DSN");
        std::fs::write(
            dir.join(format!("cluster-{n}.hcl")),
            format!("cluster {{\n  dsn_env = \"{var}\"\n}}\n{CONFIG}"),
        )
        .expect("writes");
        env.push((var, sim.dsn("sys")));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for command in ["plan", "drift"] {
        let out = Invocation::new(&[command, &dir.display().to_string(), "--format", "markdown"])
            .envs(&env)
            .run();
        assert!(out.code == 0 || out.code == 2, "{}", out.stderr);
        let length = out.stdout.chars().count();
        assert!(length <= LIMIT, "{command}: {length} characters");
        for n in [3, 300, 3_000] {
            assert!(
                out.stdout.contains(&format!("cluster-{n}.hcl")),
                "{command}: cluster-{n} missing"
            );
        }
        assert!(out.stdout.contains("section(s) left out"), "{command}");
    }
}

#[test]
fn thousands_of_hazards_still_fit() {
    // 3,000 tenants archiving into old destinations: moving each is a hazard.
    let tenants: Vec<serde_json::Value> = (0..3_000)
        .map(|n| {
            let id = 1002 + 2 * n;
            serde_json::json!({
                "id": id, "name": format!("tenant_{n}"), "log_mode": "ARCHIVELOG",
                "archive_dest": { "path": format!("file:///nfs/old/tenant_{n}/archive"), "dest_id": id },
                "archive_round": { "round_id": 1, "status": "DOING" }
            })
        })
        .collect();
    let sim = obbackup_tests::Sim(
        obsim::Simulator::start_in_thread(
            &serde_json::json!({ "version": "4.2.2.1", "tenants": tenants }).to_string(),
        )
        .expect("starts"),
    );
    let out = Invocation::new(&[
        "plan",
        &temp_config("hazards.hcl", CONFIG),
        "--format",
        "markdown",
    ])
    .dsn(&sim.dsn("sys"))
    .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let length = out.stdout.chars().count();
    assert!(length <= LIMIT, "{length} characters");
    assert!(
        out.stdout.contains("more hazard(s)"),
        "no note of the hazards left out"
    );
    assert!(out.stdout.contains("section(s) left out"));
}

/// The terminal plan at 3 and 300 tenants: one header per tenant with its
/// changes under it, typed values, and a summary a person would count.
#[test]
fn the_terminal_plan_groups_changes_under_one_header_per_tenant() {
    let config = temp_config("terminal.hcl", CONFIG);
    for tenants in [3, 300] {
        let sim = simulator(tenants);
        let out = Invocation::new(&["plan", &config])
            .dsn(&sim.dsn("sys"))
            .run();
        assert_eq!(out.code, 0, "{}", out.all());
        let changes = out
            .stdout
            .split("Changes:\n")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .expect("a Changes section");
        let headers: Vec<&str> = changes
            .lines()
            .filter(|l| l.starts_with("  tenant "))
            .collect();
        assert_eq!(headers.len(), tenants, "one header per tenant");
        let mut current = "";
        let mut lines = 0;
        for line in changes.lines() {
            if let Some(name) = line.strip_prefix("  tenant ") {
                current = name;
                continue;
            }
            lines += 1;
            assert!(
                line.starts_with(&format!("    ~ tenant.{current}."))
                    || line.starts_with(&format!("    + tenant.{current}.")),
                "a change under another tenant's header: {line:?} under {current:?}"
            );
        }
        // Four changes each: archive mode, two destinations, concurrency.
        assert_eq!(lines, 4 * tenants);
        assert!(
            changes.contains(&"log_archive.enabled: false → true".to_string()),
            "booleans are bare"
        );
        assert!(
            changes.contains("data_backup.concurrency: 0 → 8"),
            "numbers are bare"
        );
        assert!(
            changes.contains(": (not set) → \"file:///nfs/tenant_1/archive\""),
            "destinations are quoted"
        );
        assert!(
            out.stdout.contains(&format!(
                "Plan: {} to create, {} to update;",
                2 * tenants,
                2 * tenants
            )),
            "{}",
            out.stdout.lines().last().unwrap_or_default()
        );
    }
}

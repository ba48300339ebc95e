//! Canary secrets in every credential position — the DSN's password, an OSS
//! access id and key in both destinations, the backup encryption password —
//! and a server error forced on every statement that carries one, its
//! message quoting the secrets as a server quoting the statement would.
//! Every output of plan, apply (human and JSON), the log (stderr and file)
//! and a saved plan file is searched: no canary appears anywhere.

use obbackup_tests::{Invocation, root, temp_config};

// No canary shares four characters at its start or end with another: the
// masking of a statement's own secrets in its server errors also hides
// their beginnings and ends, and must not be what hides the others.
const DSN_PASSWORD: &str = "Zebra-Yak-9";
const ACCESS_ID: &str = "Aq1Bw2Cx3";
const ACCESS_KEY: &str = "Mn4Op5Qr6";
const PASSWORD: &str = "St7Uv8Wx9";
const CANARIES: [&str; 4] = [DSN_PASSWORD, ACCESS_ID, ACCESS_KEY, PASSWORD];

const CONFIG: &str = r#"
tenant "*" {
  log_archive {
    enabled     = true
    destination = "oss://bucket/${tenant.name}/archive?host=oss.example.com&access_id=${env("OBB_ID")}&access_key=${env("OBB_KEY")}"
  }
  data_backup {
    destination = "oss://bucket/${tenant.name}/data?host=oss.example.com&access_id=${env("OBB_ID")}&access_key=${env("OBB_KEY")}"
    full { max_age = "7d" }
    encryption { password = env("OBB_PW") }
  }
}
"#;

fn simulator() -> obbackup_tests::Sim {
    let fixture = serde_json::json!({
        "version": "4.2.2.1",
        "delays_ms": { "archive_prepare": 20, "archive_beginning": 60, "archive_stopping": 60,
                       "archive_suspending": 20, "backup_canceling": 60, "backup_init": 20,
                       "backup_running": 150 },
        "users": [{ "tenant": "sys", "user": "root", "password": DSN_PASSWORD }],
        "tenants": [{ "id": 1002, "name": "app" }, { "id": 1004, "name": "crm" }]
    });
    obbackup_tests::Sim(obsim::Simulator::start_in_thread(&fixture.to_string()).expect("starts"))
}

#[test]
fn no_canary_reaches_any_output_even_through_server_errors() {
    let env = [
        ("OBB_ID", ACCESS_ID),
        ("OBB_KEY", ACCESS_KEY),
        ("OBB_PW", PASSWORD),
    ];
    let config = temp_config("canaries.hcl", CONFIG);
    // One word far longer than a terminal line, with the secrets at many
    // offsets: wherever a diagnostic wraps it, no secret may be cut in two.
    let long_word: String = (0..24)
        .map(|k| {
            format!(
                "{}access_id={ACCESS_ID}&access_key={ACCESS_KEY}&pw={PASSWORD}&login={DSN_PASSWORD}&",
                "x".repeat(k)
            )
        })
        .collect();
    let echo = format!(
        "You have an error in your SQL syntax; check the manual near '{long_word}' at line 1"
    );
    let mut outputs = Vec::new();
    // The statements that carry secrets, and one that carries none (its
    // error is masked by the redactor alone).
    for statement in [
        "SET LOG_ARCHIVE_DEST",
        "SET DATA_BACKUP_DEST",
        "SET ENCRYPTION",
        "ARCHIVELOG TENANT",
    ] {
        let sim = simulator();
        let addr = sim.addr();
        let dsn = format!("mysql://root%40sys:{DSN_PASSWORD}@{addr}");
        let planfile = root().join("target/test-configs/canaries.plan");
        let plan = Invocation::new(&["plan", &config, "--out", &planfile.display().to_string()])
            .dsn(&dsn)
            .envs(&env)
            .arg("-vv")
            .run();
        assert_eq!(plan.code, 0, "{}", plan.all());
        outputs.push((format!("plan ({statement})"), plan.all()));
        outputs.push((
            "plan file".into(),
            std::fs::read_to_string(&planfile).expect("plan file"),
        ));

        // Every statement of the kind fails (one per tenant: the other
        // tenant's branch still runs after the first failure).
        let sent = plan.stdout.matches(statement).count();
        assert!(
            sent >= 2,
            "{statement} is planned per tenant: {}",
            plan.stdout
        );
        for _ in 0..sent {
            sim.fail_next(statement, 1064, &echo);
        }
        let log = root().join("target/test-configs/canaries.log");
        let _ = std::fs::remove_file(&log);
        for format in ["human", "json"] {
            let apply = Invocation::new(&["apply", &config, "--format", format])
                .dsn(&dsn)
                .envs(&env)
                .auto_approve()
                .allow_hazards()
                .fast()
                .args(&["-vv", "--log-file", &log.display().to_string()])
                .run();
            if format == "human" {
                // This apply met every forced error.
                assert_eq!(apply.code, 1, "{}", apply.all());
                assert!(
                    apply.all().matches("1064").count() >= sent,
                    "the injected errors were not all met for {statement}: {}",
                    apply.all()
                );
            }
            outputs.push((format!("apply {format} ({statement})"), apply.all()));
        }
        outputs.push((
            format!("log file ({statement})"),
            std::fs::read_to_string(&log).expect("log file"),
        ));
    }
    // Also with line breaks and the diagnostics' gutters taken out: a secret
    // cut across two lines has leaked too.
    let leaks: Vec<String> = outputs
        .iter()
        .flat_map(|(what, text)| {
            let flat: String = text
                .chars()
                .filter(|c| !c.is_whitespace() && !matches!(c, '|' | '│' | '·'))
                .collect();
            CANARIES
                .iter()
                .filter(move |c| text.contains(*c) || flat.contains(*c))
                .map(move |c| format!("{c} in {what}"))
        })
        .collect();
    assert!(leaks.is_empty(), "{leaks:#?}");
}

/// A credential containing `&` splits its destination's parameters: the
/// error names the parameter by position, never by the text after the `&`.
#[test]
fn a_credential_with_an_ampersand_is_refused_without_showing_any_of_it() {
    let sim = obbackup_tests::start("empty-4.2.json");
    let config = temp_config("ampersand.hcl", CONFIG);
    let env = [
        ("OBB_ID", ACCESS_ID),
        ("OBB_KEY", "keyhead1&tailpart9"),
        ("OBB_PW", PASSWORD),
    ];
    for command in ["plan", "validate"] {
        let mut run = Invocation::new(&[command, &config]).envs(&env);
        if command == "plan" {
            run = run.dsn(&sim.dsn("sys"));
        }
        let out = run.run();
        assert_eq!(out.code, 1, "{command}: {}", out.all());
        assert!(
            out.all().contains("is not key=value"),
            "{command}: {}",
            out.all()
        );
        for part in ["keyhead1", "tailpart9"] {
            assert!(
                !out.all().contains(part),
                "{part} shown by {command}: {}",
                out.all()
            );
        }
    }
}

/// Only credentials and passwords are secrets: a variable that names a
/// directory is shown as it is, and a saved plan holding its value (and the
/// word inside its own keys, `follow_backups`) stays readable and applicable.
#[test]
fn values_env_reads_for_paths_are_not_secrets() {
    let sim = obbackup_tests::start("empty-4.2.json");
    let config = temp_config(
        "env-path.hcl",
        "tenant \"*\" {\n  log_archive {\n    enabled     = true\n    destination = \"file:///nfs/${env(\"OBB_ROOT\")}/${tenant.name}/archive\"\n  }\n}\n",
    );
    let env = [("OBB_ROOT", "backups")];
    let planfile = root().join("target/test-configs/env-path.plan");
    let plan = Invocation::new(&["plan", &config, "--out", &planfile.display().to_string()])
        .dsn(&sim.dsn("sys"))
        .envs(&env)
        .run();
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout.contains("file:///nfs/backups/"),
        "{}",
        plan.stdout
    );
    let apply = Invocation::new(&["apply", &planfile.display().to_string()])
        .dsn(&sim.dsn("sys"))
        .envs(&env)
        .auto_approve()
        .fast()
        .run();
    assert_eq!(apply.code, 0, "{}", apply.all());
}

//! Command-line conventions: shell completions, manual pages, a `--version`
//! that says what was built, `--sandbox` winning over `OBBACKUP_DSN`, and
//! colour by `--color`, `NO_COLOR` and `CLICOLOR_FORCE`, and a JSON contract
//! document that names the version the outputs carry.

use obbackup_tests::{Invocation, root};

#[test]
fn completions_for_every_shell_name_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = Invocation::new(&["completions", shell]).run();
        assert_eq!(out.code, 0, "{shell}: {}", out.all());
        for word in ["obbackup", "apply", "drift", "lock-timeout"] {
            assert!(out.stdout.contains(word), "{shell}: no {word:?}");
        }
    }
    let bad = Invocation::new(&["completions", "tcsh"]).run();
    assert_eq!(bad.code, 2, "{}", bad.all());
}

#[test]
fn manual_pages_on_stdout_or_one_per_command() {
    let page = Invocation::new(&["man"]).run();
    assert_eq!(page.code, 0, "{}", page.all());
    assert!(page.stdout.contains(".TH obbackup 1"), "{}", page.stdout);
    assert!(page.stdout.contains("apply"), "{}", page.stdout);
    let dir = root().join("target/test-configs/man");
    let _ = std::fs::remove_dir_all(&dir);
    let out = Invocation::new(&["man", "--dir", &dir.display().to_string()]).run();
    assert_eq!(out.code, 0, "{}", out.all());
    let apply = std::fs::read_to_string(dir.join("obbackup-apply.1")).expect("apply page");
    assert!(apply.contains("lock\\-timeout"), "{apply}");
    assert!(dir.join("obbackup.1").exists());
}

#[test]
fn the_version_names_the_commit_the_target_and_the_lines() {
    let out = Invocation::new(&["--version"]).run();
    assert_eq!(out.code, 0, "{}", out.all());
    for word in [
        "obbackup 0.",
        "commit ",
        "linux",
        "OceanBase 3.1",
        "4.1 and later",
    ] {
        assert!(out.stdout.contains(word), "{word:?} in {}", out.stdout);
    }
}

#[test]
fn the_sandbox_wins_over_an_exported_dsn() {
    let out = Invocation::new(&["plan", "examples/basic-4.2.hcl", "--sandbox"])
        .env("OBBACKUP_DSN", "mysql://root%40sys@192.0.2.1:2881")
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.starts_with("OceanBase "), "{}", out.stdout);
}

/// `--sandbox` takes no value, so a file after it is the configuration;
/// `--fixture FILE` chooses the simulated cluster and implies `--sandbox`.
#[test]
fn the_sandbox_is_a_flag_and_the_fixture_its_own_option() {
    let before = Invocation::new(&["plan", "--sandbox", "examples/basic-4.2.hcl"]).run();
    assert_eq!(before.code, 0, "{}", before.all());
    assert!(
        before.stdout.contains("OceanBase 4.2.2.1"),
        "{}",
        before.stdout
    );
    let fixture = Invocation::new(&[
        "plan",
        "examples/ob3-archive-compression.hcl",
        "--fixture",
        "fixtures/live/empty-3.2.json",
    ])
    .run();
    assert_eq!(fixture.code, 0, "{}", fixture.all());
    assert!(
        fixture.stdout.contains("OceanBase 3.2"),
        "{}",
        fixture.stdout
    );
}

#[test]
fn colour_follows_the_flag_no_color_and_clicolor_force() {
    let sim = obbackup_tests::start("retention-4.2.json");
    let config = obbackup_tests::temp_config(
        "colour.hcl",
        "tenant \"t3\" {\n  data_backup {\n    delete_policy {\n      recovery_window = \"9d\"\n    }\n  }\n}\n",
    );
    let dsn = sim.dsn("sys");
    let plan = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["plan", config.as_str(), "--dsn", dsn.as_str()];
        args.extend_from_slice(extra);
        Invocation::new(&args).envs(env).run()
    };
    let plain = plan(&[], &[]);
    assert!(!plain.stdout.contains('\u{1b}'), "a pipe gets no colour");
    let always = plan(&["--color", "always"], &[]);
    assert!(
        always
            .stdout
            .contains("\u{1b}[32m    + tenant.t3.data_backup.delete_policy.recovery_window"),
        "{:?}",
        always.stdout
    );
    let stripped = always
        .stdout
        .replace("\u{1b}[32m", "")
        .replace("\u{1b}[1m", "")
        .replace("\u{1b}[0m", "");
    assert_eq!(stripped, plain.stdout, "colour changes nothing else");
    let forced = plan(&[], &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]);
    assert!(
        forced.stdout.contains('\u{1b}'),
        "CLICOLOR_FORCE colours a pipe"
    );
    let no_color_wins = plan(&[], &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
    assert!(!no_color_wins.stdout.contains('\u{1b}'));
    let never = plan(
        &["--color", "never"],
        &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")],
    );
    assert!(!never.stdout.contains('\u{1b}'));
    let json = plan(&["--color", "always", "--format", "json"], &[]);
    assert!(!json.stdout.contains('\u{1b}'), "JSON is never coloured");
}

/// The JSON contract's document names the version the outputs carry, and says
/// what that version added (a reader deciding whether it can rely on a field
/// reads this list).
#[test]
fn the_json_format_document_names_the_current_version_and_what_it_added() {
    let version = obbackup_planner::plan::FORMAT_VERSION;
    let text =
        std::fs::read_to_string(root().join("docs/json-format.md")).expect("docs/json-format.md");
    assert!(
        text.contains(&format!("Current version: **{version}**")),
        "docs/json-format.md does not name {version} as the current version"
    );
    assert!(
        text.contains(&format!("- **{version}**: ")),
        "docs/json-format.md does not say what {version} added"
    );
    let example = format!("\"format_version\": \"{version}\"");
    let stale = text
        .lines()
        .filter(|l| l.contains("\"format_version\":") && !l.contains(&example))
        .count();
    assert_eq!(
        stale, 0,
        "examples in docs/json-format.md carry another version"
    );
}

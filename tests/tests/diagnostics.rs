//! Invalid configurations and their rendered diagnostics (snapshots), through the
//! real binary's `validate`.

use obbackup_tests::{obbackup, root};

fn validate(name: &str) -> String {
    let path = format!("fixtures/config/invalid/{name}");
    // --require-env: unset variables are errors too, as plan and apply report them.
    let out = obbackup(&["validate", &path, "--require-env"], &[]);
    assert_eq!(out.code, 1, "{name} must be refused:\n{}", out.all());
    assert!(out.stdout.is_empty(), "diagnostics go to stderr");
    out.stderr
}

#[test]
fn every_invalid_fixture_is_covered_by_a_snapshot() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("fixtures/config/invalid"))
        .expect("folder")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["destinations.hcl", "shared.hcl", "syntax.hcl", "typos.hcl"]
    );
}

#[test]
fn typos_and_ranges() {
    let text = validate("typos.hcl");
    assert!(text.contains("did you mean `enabled`"));
    assert!(text.contains("did you mean `log_archive`"));
    insta::assert_snapshot!(text);
}

#[test]
fn destinations_credentials_and_missing_destination() {
    let text = validate("destinations.hcl");
    assert!(
        !text.contains("hunter2"),
        "a literal credential must be masked"
    );
    assert!(
        !text.contains("hunter3"),
        "a literal backup password must be masked"
    );
    assert!(text.contains("credential `password` is written literally"));
    assert!(text.contains("OBB_FIXTURE_UNSET_ID"));
    insta::assert_snapshot!(text);
    // Without --require-env an unset variable is a reference checked, named
    // in a note, not an error (forks' CI has no secrets).
    let out = obbackup(
        &["validate", "fixtures/config/invalid/destinations.hcl"],
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        !out.stderr.contains("obbackup::config::env_unset"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("credential `password` is written literally")
    );
}

/// A valid file whose secrets are not set here validates, naming what it
/// could not check; with --require-env it does not.
#[test]
fn validate_checks_env_references_without_their_values() {
    let path = obbackup_tests::temp_config(
        "refs-only.hcl",
        "tenant \"t\" {\n  log_archive { destination = \"oss://b/t?host=h&access_id=${env(\"OBB_UNSET_ID\")}&access_key=${env(\"OBB_UNSET_KEY\")}\" }\n}\n",
    );
    let out = obbackup(&["validate", &path], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr.contains("OBB_UNSET_ID, OBB_UNSET_KEY"),
        "{}",
        out.stderr
    );
    let strict = obbackup(&["validate", &path, "--require-env"], &[]);
    assert_eq!(strict.code, 1, "{}", strict.all());
    assert!(
        strict.stderr.contains("OBB_UNSET_KEY` is not set"),
        "{}",
        strict.stderr
    );
    let empty = obbackup_tests::temp_config(
        "manages-nothing.hcl",
        "defaults {\n  log_archive { enabled = true }\n}\n",
    );
    let out = obbackup(&["validate", &empty], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stderr.contains("it manages nothing"), "{}", out.stderr);
}

#[test]
fn shared_destinations() {
    insta::assert_snapshot!(validate("shared.hcl"));
}

#[test]
fn syntax_error() {
    insta::assert_snapshot!(validate("syntax.hcl"));
}

/// Inputs at the edges: a configuration over the size limit is refused at
/// once with its size; a huge value is not repeated whole in the message.
#[test]
fn oversized_files_and_values_are_refused_briefly() {
    let big = "# padding\n".repeat(900_000);
    let path = obbackup_tests::temp_config("oversized.hcl", &big);
    let out = obbackup_tests::obbackup(&["validate", &path], &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("9000000 bytes"), "{}", out.stderr);
    assert!(
        out.stderr.contains("at most 8388608 bytes"),
        "{}",
        out.stderr
    );
    let value = "x".repeat(100_000);
    let path = obbackup_tests::temp_config(
        "huge-value.hcl",
        &format!("defaults {{\n  log_archive {{ mode = \"{value}\" }}\n}}\n"),
    );
    let out = obbackup_tests::obbackup(&["validate", &path], &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("(100000 bytes)"),
        "{}",
        &out.stderr[..out.stderr.len().min(2000)]
    );
    // The source line is cut in the rendered snippet too.
    assert!(
        out.stderr.contains("more bytes)"),
        "{}",
        &out.stderr[..out.stderr.len().min(2000)]
    );
    assert!(
        out.all().len() < 8_000,
        "{} bytes of diagnostics for one value",
        out.all().len()
    );
}

//! The CI files in `examples/ci` run as written: each validates against the
//! official schema (GitHub Actions workflow, GitLab CI pipeline) as vendored
//! by `check-jsonschema`, which `scripts/test.sh` installs with the Python it
//! names in `OBBACKUP_PYTHON`; and every obbackup command and flag they use
//! exists.

use obbackup_tests::{Invocation, root};
use std::collections::BTreeSet;
use std::process::Command;

fn python() -> String {
    std::env::var("OBBACKUP_PYTHON").expect(
        "OBBACKUP_PYTHON names the Python with check-jsonschema (run the tests through scripts/test.sh)",
    )
}

#[test]
fn the_ci_files_validate_against_the_official_schemas() {
    for (file, schema) in [
        ("github-actions.yml", "vendor.github-workflows"),
        ("gitlab-ci.yml", "vendor.gitlab-ci"),
    ] {
        let path = root().join("examples/ci").join(file);
        let out = Command::new(python())
            .args(["-m", "check_jsonschema", "--builtin-schema", schema])
            .arg(&path)
            .output()
            .expect("check-jsonschema runs");
        assert!(
            out.status.success(),
            "{file}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The checker does refuse a broken file.
    let broken = root().join("target/test-configs/broken-workflow.yml");
    std::fs::create_dir_all(broken.parent().expect("a folder")).expect("folder");
    std::fs::write(
        &broken,
        "on: push\njobs:\n  x:\n    runs-on: 3\n    steps: nope\n",
    )
    .expect("written");
    let out = Command::new(python())
        .args([
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
        ])
        .arg(&broken)
        .output()
        .expect("check-jsonschema runs");
    assert!(!out.status.success(), "a broken workflow must fail");
}

/// Every `obbackup <command> [<subcommand>] …` in `text`, as (command
/// words, flags). The word after a command is its subcommand when the
/// command has subcommands (`report merge`, `backup full`).
fn invocations(text: &str) -> Vec<(Vec<String>, BTreeSet<String>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start_matches(['-', ' ']);
        if line.trim_start().starts_with('#') {
            continue;
        }
        for (at, _) in line.match_indices("obbackup ") {
            // `obbackup` the program, not a word inside a name or URL.
            let before = line[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '-' || c == '_') {
                continue;
            }
            let rest = &line[at + "obbackup ".len()..];
            let mut words = rest.split_whitespace().peekable();
            let Some(command) = words.next() else {
                continue;
            };
            if command.starts_with('-') || command.contains(['"', ':', '$']) {
                continue;
            }
            let mut path = vec![command.to_string()];
            let help = Invocation::new(&[command, "--help"]).run();
            if help.stdout.contains("\nCommands:")
                && let Some(sub) = words.next_if(|w| !w.starts_with('-'))
            {
                path.push(sub.to_string());
            }
            let flags = words
                .take_while(|w| !matches!(*w, ";" | "|" | "||" | "&&" | ">" | ">>"))
                .filter(|w| w.starts_with("--"))
                .map(|w| {
                    w.split('=')
                        .next()
                        .unwrap_or(w)
                        .trim_end_matches(';')
                        .to_string()
                })
                .collect();
            out.push((path, flags));
        }
    }
    out
}

#[test]
fn every_obbackup_command_and_flag_the_ci_files_use_exists() {
    let mut seen = 0;
    for file in ["github-actions.yml", "gitlab-ci.yml"] {
        let text = std::fs::read_to_string(root().join("examples/ci").join(file)).expect("example");
        let calls = invocations(&text);
        assert!(calls.len() >= 4, "{file}: {calls:?}");
        for (path, flags) in calls {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push("--help");
            let help = Invocation::new(&args).run();
            let command = path.join(" ");
            assert_eq!(help.code, 0, "{file}: obbackup {command}: {}", help.all());
            for flag in flags {
                assert!(
                    help.stdout.contains(&format!("{flag} "))
                        || help.stdout.contains(&format!("{flag}\n")),
                    "{file}: obbackup {command} has no {flag}"
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 6, "flags checked: {seen}");
    // The reader finds what it should, and a made-up flag is caught.
    let calls = invocations("run: obbackup apply \"p\" --auto-approve --allow-everything");
    assert_eq!(calls[0].0, ["apply"]);
    let calls = invocations("run: obbackup report merge a.json --format json");
    assert_eq!(calls[0].0, ["report", "merge"]);
    let help = Invocation::new(&["apply", "--help"]).run();
    assert!(!help.stdout.contains("--allow-everything "));
}

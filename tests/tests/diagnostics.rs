//! Invalid configurations and their rendered diagnostics (snapshots), through the
//! real binary's `validate`.

use obbackup_tests::{Invocation, root};

fn validate(name: &str) -> String {
    let path = format!("fixtures/config/invalid/{name}");
    // --require-env: unset variables are errors too, as plan and apply report them.
    let out = Invocation::new(&["validate", &path, "--require-env"]).run();
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
    let out = Invocation::new(&["validate", "fixtures/config/invalid/destinations.hcl"]).run();
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
    let out = Invocation::new(&["validate", &path]).run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr.contains("OBB_UNSET_ID, OBB_UNSET_KEY"),
        "{}",
        out.stderr
    );
    let strict = Invocation::new(&["validate", &path, "--require-env"]).run();
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
    let out = Invocation::new(&["validate", &empty]).run();
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
    let out = Invocation::new(&["validate", &path]).run();
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
    let out = Invocation::new(&["validate", &path]).run();
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

/// The hostile corpus, `fixtures/config/hostile/`: syntax errors, wrong types,
/// unknown blocks, out-of-range values, duplicates, bad destinations and
/// tenant names, the other line's settings, deep nesting, huge values and
/// files, binary and other encodings, a BOM and CR line endings. Every file
/// is refused — quickly, without a panic, with a location (a source snippet,
/// or line and column for a file that is not UTF-8), briefly, and without
/// repeating a secret written in it.
#[test]
fn every_hostile_configuration_is_refused_with_a_location() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let dir = root().join("fixtures/config/hostile");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .expect("folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert!(files.len() >= 120, "{} files", files.len());
    let check = |path: &std::path::Path| -> Result<(), String> {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut child = Command::new(obbackup_tests::binary())
            .current_dir(&dir)
            .args(["validate", &name])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{name}: cannot run: {e}"))?;
        let started = Instant::now();
        // A generous limit on a loaded machine; each file takes milliseconds.
        while child.try_wait().map_err(|e| e.to_string())?.is_none() {
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                return Err(format!("{name}: still running after 20 s"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code().unwrap_or(-1);
        let text = std::fs::read(path).map_err(|e| e.to_string())?;
        let why = if code != 1 {
            Some(format!("exit {code}, not 1"))
        } else if stderr.contains("panicked") || !out.stdout.is_empty() {
            Some("a panic, or output on stdout".into())
        } else if std::str::from_utf8(&text).is_ok() && !stderr.contains(&format!(",-[{name}:")) {
            Some("no source location".into())
        } else if std::str::from_utf8(&text).is_err() && !stderr.contains(", column ") {
            Some("no line and column for text that is not UTF-8".into())
        } else if stderr.len() > 64 * 1024 {
            Some(format!("{} bytes of diagnostics", stderr.len()))
        } else if ["hunter2", "it's a secret"]
            .iter()
            .any(|s| stderr.contains(s))
        {
            Some("a secret written in the file is shown".into())
        } else {
            None
        };
        match why {
            Some(why) => Err(format!(
                "{name}: {why}:\n{}",
                &stderr[..stderr.len().min(1500)]
            )),
            None => Ok(()),
        }
    };
    // Four at a time: the files are independent.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let chunk = files.len().div_ceil(4);
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|p| check(p).err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Some refusals say more than the parser would.
    for (file, words) in [
        (
            "022-syntax-lone-carriage-returns.hcl",
            "a carriage return without a line feed",
        ),
        ("135-large-many-errors.hcl", "2000 problem(s)"),
        ("119-name-too-long.hcl", "65 bytes, at most 64"),
        ("140-binary-latin1.hcl", "byte 0xe9 at line 1, column 12"),
        // Columns count characters: `é` before the bad byte is one.
        (
            "142-binary-after-multibyte.hcl",
            "byte 0xe9 at line 1, column 13",
        ),
    ] {
        let out = Invocation::new(&["validate", &dir.join(file).display().to_string()]).run();
        assert!(out.stderr.contains(words), "{file}: {}", out.stderr);
    }
}

/// What some editors write is still a configuration: a UTF-8 byte order mark
/// and CRLF line endings are accepted (a lone CR, or a second BOM, is not:
/// see the hostile corpus).
#[test]
fn a_byte_order_mark_and_crlf_line_endings_are_accepted() {
    let body = "tenant \"app\" {\r\n  log_archive { enabled = true }\r\n}\r\n";
    let path = obbackup_tests::temp_config("bom-crlf.hcl", &format!("\u{feff}{body}"));
    let out = Invocation::new(&["validate", &path]).run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains("valid (1 tenant block(s))"),
        "{}",
        out.all()
    );
    // fmt rewrites it without the mark.
    let out = Invocation::new(&["fmt", &path]).run();
    assert_eq!(out.code, 0, "{}", out.all());
    let rewritten = std::fs::read_to_string(&path).expect("file");
    assert!(!rewritten.starts_with('\u{feff}'), "{rewritten:?}");
}

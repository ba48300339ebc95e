//! Every `examples/*.hcl` validates and plans against the sandbox fixture named in
//! its first line (`# sandbox: fixtures/live/…`), or the default sandbox.

use obbackup_tests::{Invocation, root};

const ENV: &[(&str, &str)] = &[
    ("OB_OSS_ACCESS_ID", "example-id"),
    ("OB_OSS_ACCESS_KEY", "example-key"),
];

/// Every `examples/*.hcl`, in name order.
fn examples() -> Vec<std::path::PathBuf> {
    let mut examples: Vec<_> = std::fs::read_dir(root().join("examples"))
        .expect("examples folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
        .collect();
    examples.sort();
    examples
}

#[test]
fn every_example_validates_and_plans() {
    let examples = examples();
    assert!(examples.len() >= 2, "{examples:?}");
    for path in examples {
        let text = std::fs::read_to_string(&path).expect("readable");
        let file = path
            .strip_prefix(root())
            .expect("inside the workspace")
            .display()
            .to_string();
        let valid = Invocation::new(&["validate", &file]).envs(ENV).run();
        assert_eq!(valid.code, 0, "{file}:\n{}", valid.all());
        let fixture = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# sandbox: "))
            .unwrap_or("");
        let mut args = vec!["plan", file.as_str(), "--sandbox"];
        if !fixture.is_empty() {
            args.extend(["--fixture", fixture]);
        }
        let plan = Invocation::new(&args).envs(ENV).run();
        assert_eq!(plan.code, 0, "{file} against {fixture:?}:\n{}", plan.all());
        assert!(plan.stdout.starts_with("OceanBase "), "{}", plan.stdout);
        assert!(
            !plan.all().contains("example-key"),
            "credential leaked from {file}"
        );
        // Users read the file and the plan: neither cites an internal document.
        for word in ["§", "reference", "(seed"] {
            assert!(!text.contains(word), "{file} cites {word:?}");
            assert!(
                !plan.all().contains(word),
                "{file}: {word:?} in:\n{}",
                plan.all()
            );
        }
    }
}

/// `validate --server-version` checks a file against a build without a
/// cluster: the 4.2 example takes 4.2.2.1, and 4.1.0.1 (whose
/// log_archive_concurrency range is [1, 100]) is refused at the attribute,
/// naming the first build that takes it.
#[test]
fn validate_checks_a_file_against_a_build() {
    let ok = Invocation::new(&[
        "validate",
        "examples/basic-4.2.hcl",
        "--server-version",
        "4.2.2.1",
    ])
    .envs(ENV)
    .run();
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(
        ok.stdout.contains("valid for OceanBase 4.2.2.1"),
        "{}",
        ok.all()
    );
    let old = Invocation::new(&[
        "validate",
        "examples/basic-4.2.hcl",
        "--server-version",
        "4.1.0.1",
    ])
    .envs(ENV)
    .run();
    assert_eq!(old.code, 1, "{}", old.all());
    for needle in [
        "obbackup::plan::not_on_build",
        "log_archive.concurrency = 0 (automatic) needs OceanBase 4.1.0.2 or later, not 4.1.0.1",
        "examples/basic-4.2.hcl:15:",
    ] {
        assert!(
            old.stderr.contains(needle),
            "{needle:?} in:\n{}",
            old.stderr
        );
    }
    let bad = Invocation::new(&[
        "validate",
        "examples/basic-4.2.hcl",
        "--server-version",
        "4.x",
    ])
    .envs(ENV)
    .run();
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("is not an OceanBase build") && bad.stderr.contains("obbackup::usage"),
        "{}",
        bad.stderr
    );
}

/// The README's supported-versions table is the capability table: it is
/// checked here, and this test prints the table to paste when they differ.
#[test]
fn the_readme_table_of_builds_is_the_capability_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let (start, end) = ("<!-- capability-table -->\n", "<!-- /capability-table -->");
    let table = readme
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(table, _)| table)
        .expect("the README has the capability-table markers");
    let expected = obbackup_planner::dialect::capability::markdown_table();
    assert_eq!(
        table, expected,
        "paste this between the markers:\n{expected}"
    );
}

/// An example a build of its line cannot take says so in its header: every
/// "needs OceanBase X or later" that `validate --server-version` answers for
/// a build is in the file's leading comment.
#[test]
fn every_example_names_the_builds_it_needs() {
    const BUILDS_4X: [&str; 6] = [
        "4.1.0.0", "4.2.0.0", "4.2.1.1", "4.2.1.2", "4.2.2.1", "4.3.1.0",
    ];
    const BUILDS_3X: [&str; 2] = ["3.1.5", "3.2.4.1"];
    let env: Vec<(&str, &str)> = ENV
        .iter()
        .copied()
        .chain([("OB_BACKUP_PASSWORD", "pw")])
        .collect();
    let examples = examples();
    let mut refused_somewhere = 0;
    for path in examples {
        let text = std::fs::read_to_string(&path).expect("readable");
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim())
            .collect::<Vec<_>>()
            .join(" ");
        let file = path.display().to_string();
        let builds: &[&str] = if text.contains("backup_dest") {
            &BUILDS_3X
        } else {
            &BUILDS_4X
        };
        for build in builds {
            let out = Invocation::new(&["validate", &file, "--server-version", build])
                .envs(&env)
                .run();
            if out.code == 0 {
                continue;
            }
            refused_somewhere += 1;
            let needs: Vec<&str> = out
                .stderr
                .match_indices("needs OceanBase ")
                .filter_map(|(at, _)| {
                    let rest = &out.stderr[at..];
                    rest.find(" or later")
                        .map(|end| &rest[..end + " or later".len()])
                })
                .collect();
            assert!(!needs.is_empty(), "{file} on {build}:\n{}", out.stderr);
            for need in needs {
                assert!(
                    header.contains(need),
                    "{file}: its header does not say it {need:?} (refused on {build})"
                );
            }
        }
    }
    assert!(refused_somewhere > 0, "no example is refused by any build");
}

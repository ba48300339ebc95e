//! `obbackup fmt`: rewrites files in the canonical layout, `--check` lists
//! the ones that are not (exit 2), a file that does not parse is left alone
//! (exit 1); the examples, the scenario configurations and `export` output
//! are all in the layout already.

use obbackup_tests::{Invocation, assert_contains, root, start, temp_config};

const MESSY: &str = "# prod\ncluster {\n      version=\"4.2\"\n}\n\n\n\ntenant   \"t\"   {\n log_archive {\n  enabled = true\n    mode=\"optional\"   # the binding\n }\n}\n";
const CANONICAL: &str = "# prod\ncluster {\n  version = \"4.2\"\n}\n\ntenant \"t\" {\n  log_archive {\n    enabled = true\n    mode    = \"optional\"   # the binding\n  }\n}\n";

#[test]
fn check_lists_then_fmt_rewrites_and_nothing_is_left() {
    let path = temp_config("fmt-messy.hcl", MESSY);
    let check = Invocation::new(&["fmt", "--check", &path]).run();
    assert_eq!(check.code, 2, "{}", check.all());
    assert_contains(&check.stdout, "fmt-messy.hcl");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        MESSY,
        "--check writes nothing"
    );
    let fmt = Invocation::new(&["fmt", &path]).run();
    assert_eq!(fmt.code, 0, "{}", fmt.all());
    assert_eq!(std::fs::read_to_string(&path).expect("read"), CANONICAL);
    let again = Invocation::new(&["fmt", "--check", &path]).run();
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.is_empty(), "{}", again.stdout);
}

#[test]
fn a_file_that_does_not_parse_is_left_alone() {
    let text = "cluster {\n  version = \"4.2\"\n";
    let path = temp_config("fmt-broken.hcl", text);
    let out = Invocation::new(&["fmt", &path]).run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert_contains(&out.stderr, "fmt-broken.hcl: not valid HCL");
    assert_contains(&out.stderr, "[obbackup::fmt::syntax]");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
}

#[test]
fn examples_scenarios_and_exports_are_in_the_layout() {
    let mut paths = vec![root().join("examples").display().to_string()];
    for entry in std::fs::read_dir(root().join("fixtures/scenarios")).expect("scenarios") {
        let config = entry.expect("entry").path().join("config.hcl");
        if config.exists() {
            paths.push(config.display().to_string());
        }
    }
    let mut args = vec!["fmt", "--check"];
    args.extend(paths.iter().map(String::as_str));
    let out = Invocation::new(&args).run();
    assert_eq!(out.code, 0, "not in the layout:\n{}", out.all());
    for fixture in [
        "documented-4.2.json",
        "retention-4.2.json",
        "documented-3.2.json",
    ] {
        let sim = start(fixture);
        let export = Invocation::new(&["export"]).dsn(&sim.dsn("sys")).run();
        assert_eq!(export.code, 0, "{}", export.all());
        let path = temp_config(&format!("fmt-export-{fixture}.hcl"), &export.stdout);
        let check = Invocation::new(&["fmt", "--check", &path]).run();
        assert_eq!(
            check.code, 0,
            "{fixture}: export is not in the layout:\n{}",
            export.stdout
        );
    }
}

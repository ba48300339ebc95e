//! Every `examples/*.hcl` validates and plans against the sandbox fixture named in
//! its first line (`# sandbox: fixtures/live/…`), or the default sandbox.

use obbackup_tests::{obbackup, root};

const ENV: &[(&str, &str)] = &[
    ("OB_OSS_ACCESS_ID", "example-id"),
    ("OB_OSS_ACCESS_KEY", "example-key"),
];

#[test]
fn every_example_validates_and_plans() {
    let mut examples: Vec<_> = std::fs::read_dir(root().join("examples"))
        .expect("examples folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 2, "{examples:?}");
    for path in examples {
        let text = std::fs::read_to_string(&path).expect("readable");
        let file = path
            .strip_prefix(root())
            .expect("inside the workspace")
            .display()
            .to_string();
        let valid = obbackup(&["validate", &file], ENV);
        assert_eq!(valid.code, 0, "{file}:\n{}", valid.all());
        let fixture = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# sandbox: "))
            .unwrap_or("");
        let mut args = vec!["plan", file.as_str(), "--sandbox"];
        if !fixture.is_empty() {
            args.push(fixture);
        }
        let plan = obbackup(&args, ENV);
        assert_eq!(plan.code, 0, "{file} against {fixture:?}:\n{}", plan.all());
        assert!(plan.stdout.starts_with("OceanBase "), "{}", plan.stdout);
        assert!(
            !plan.all().contains("example-key"),
            "credential leaked from {file}"
        );
    }
}

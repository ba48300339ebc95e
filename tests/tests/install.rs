//! Installing and shipping obbackup, as far as this machine allows: the
//! README's two `cargo install` commands (from the repository with `--git`,
//! and `--path cli`) install a working binary; the binary without the
//! `sandbox` feature links neither the simulator nor SQLite; the planner and
//! simulator crates package for crates.io (`cargo publish --dry-run`); the
//! release workflow validates against GitHub's schema and
//! builds musl binaries with checksums; the Dockerfile builds that binary.
//! (No container engine runs here, and no musl target is installed: those
//! two are read, not run.)

use obbackup_tests::root;
use std::process::Command;

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

#[test]
fn without_the_sandbox_feature_neither_the_simulator_nor_sqlite_is_linked() {
    let tree = |args: &[&str]| -> String {
        let out = cargo()
            .args(["tree", "-p", "obbackup", "-e", "normal", "--prefix", "none"])
            .args(args)
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let with = tree(&[]);
    assert!(
        with.contains("obsim v") && with.contains("rusqlite v"),
        "{with}"
    );
    let without = tree(&["--no-default-features"]);
    assert!(!without.contains("obsim v"), "{without}");
    assert!(!without.contains("rusqlite v"), "{without}");
    assert!(without.contains("obbackup-planner v"), "{without}");
}

/// The target directory the nested cargo commands share: the outer `cargo
/// test` holds the main one.
fn side_target() -> std::path::PathBuf {
    root().join("target/publish-check")
}

/// A repository holding exactly the committed tree of this one, with full
/// history of its own: `cargo install --git` cannot fetch from a shallow
/// clone, which CI may use.
fn snapshot_repository() -> std::path::PathBuf {
    let repo = root().join("target/install-check-repo");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).expect("folder");
    let archive = Command::new("git")
        .args(["archive", "--format=tar", "HEAD"])
        .current_dir(root())
        .output()
        .expect("git archive runs");
    assert!(
        archive.status.success(),
        "{}",
        String::from_utf8_lossy(&archive.stderr)
    );
    let tar = root().join("target/install-check-repo.tar");
    std::fs::write(&tar, &archive.stdout).expect("written");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(&repo)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let untar = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .current_dir(&repo)
        .status()
        .expect("tar runs");
    assert!(untar.success());
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.name=obbackup tests",
        "-c",
        "user.email=tests@obbackup.invalid",
        "commit",
        "-q",
        "-m",
        "snapshot",
    ]);
    let _ = std::fs::remove_file(&tar);
    repo
}

#[test]
fn both_install_commands_of_the_readme_install_a_working_binary() {
    let repository = format!("file://{}", snapshot_repository().display());
    for (how, source) in [
        ("path", vec!["--path", "cli"]),
        ("git", vec!["--git", repository.as_str(), "obbackup"]),
    ] {
        // --debug and without the sandbox: the install itself is what is
        // tested, and this keeps it to about a minute on two cores.
        let dest = root().join(format!("target/install-check-{how}"));
        let _ = std::fs::remove_dir_all(&dest);
        let out = cargo()
            .args(["install", "--locked", "--debug", "--no-default-features"])
            .args(&source)
            .arg("--root")
            .arg(&dest)
            .arg("--target-dir")
            .arg(side_target())
            .output()
            .expect("cargo install runs");
        assert!(
            out.status.success(),
            "{how}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let binary = dest.join("bin/obbackup");
        let version = Command::new(&binary)
            .arg("--version")
            .output()
            .expect("runs");
        assert!(
            String::from_utf8_lossy(&version.stdout).starts_with("obbackup 0.1.0 (commit "),
            "{how}: {}",
            String::from_utf8_lossy(&version.stdout)
        );
        let sandbox = Command::new(&binary)
            .args(["plan", "examples/basic-4.2.hcl", "--sandbox"])
            .current_dir(root())
            .env("NO_COLOR", "1")
            .output()
            .expect("runs");
        assert_eq!(sandbox.status.code(), Some(1), "{how}");
        assert!(
            String::from_utf8_lossy(&sandbox.stderr).contains("built without the sandbox"),
            "{how}: {}",
            String::from_utf8_lossy(&sandbox.stderr)
        );
        let _ = std::fs::remove_dir_all(&dest);
    }
}

/// The crates that depend on no unpublished crate package for crates.io;
/// `obbackup` needs them published first (its dry run resolves them there).
#[test]
fn the_planner_and_simulator_crates_package_for_crates_io() {
    for krate in ["obbackup-planner", "obsim"] {
        let out = cargo()
            .args(["publish", "--dry-run", "--allow-dirty", "-p", krate])
            .env("CARGO_TARGET_DIR", side_target())
            .output()
            .expect("cargo publish runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{krate}: {stderr}");
        assert!(
            stderr.contains("aborting upload due to dry run"),
            "{krate}: {stderr}"
        );
    }
}

#[test]
fn the_release_workflow_and_the_dockerfile_build_static_binaries_without_the_sandbox() {
    let workflow = root().join(".github/workflows/release.yml");
    let python = std::env::var("OBBACKUP_PYTHON").expect(
        "OBBACKUP_PYTHON names the Python with check-jsonschema (run the tests through scripts/test.sh)",
    );
    let out = Command::new(python)
        .args([
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
        ])
        .arg(&workflow)
        .output()
        .expect("check-jsonschema runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = std::fs::read_to_string(&workflow).expect("workflow");
    for needle in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "cargo build --release --locked --no-default-features -p obbackup",
        "sha256sum",
        "tags: [\"v*\"]",
    ] {
        assert!(text.contains(needle), "release.yml lacks {needle:?}");
    }
    let docker = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    let stages: Vec<&str> = docker.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 2, "a build stage and a small runtime stage");
    assert!(docker.contains("cargo build --release --locked --no-default-features -p obbackup"));
    assert!(
        docker.contains("COPY --from=build /src/target/release/obbackup /usr/local/bin/obbackup")
    );
    assert!(docker.contains("USER 65532"), "not root");
    // Every crate the workspace publishes has a version on its path dependencies.
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    for name in ["obbackup-planner", "obsim", "obbackup"] {
        let line = manifest
            .lines()
            .find(|l| l.starts_with(&format!("{name} = ")))
            .expect("a workspace dependency");
        assert!(line.contains("version = "), "{line}");
    }
}

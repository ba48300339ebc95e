//! Harness for the end-to-end tests: starts `obsim` from a fixture (with short
//! transition delays) and runs the real `obbackup` binary against it.
//!
//! The binary is the one `cargo test --workspace` builds next to the test
//! executables (`target/<profile>/obbackup`).

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod scenario;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Reads `fixtures/live/<name>` and shortens its transition delays so tests run fast
/// (PREPARE 20 ms, BEGINNING 60 ms, STOPPING 60 ms, SUSPENDING 20 ms, CANCELING 60 ms,
/// backup INIT 20 ms, backup running 150 ms).
pub fn fast_fixture(name: &str) -> String {
    fast_fixture_at(&root().join("fixtures/live").join(name))
}

/// Reads the fixture at `path` and shortens its transition delays as
/// [`fast_fixture`] does.
pub fn fast_fixture_at(path: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut value: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    value["delays_ms"] = serde_json::json!({
        "archive_prepare": 20, "archive_beginning": 60, "archive_stopping": 60,
        "archive_suspending": 20, "backup_canceling": 60,
        "backup_init": 20, "backup_running": 150
    });
    value.to_string()
}

/// Reads a scenario's fixture at `path`: the fast delays of
/// [`fast_fixture_at`], except those the fixture's own `delays_ms` sets (a
/// scenario that starts in a transitional status holds it long enough to be
/// read the same way on a slow machine).
pub fn scenario_fixture(path: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let own: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut value: serde_json::Value = serde_json::from_str(&fast_fixture_at(path)).expect("json");
    if let Some(delays) = own.get("delays_ms").and_then(|d| d.as_object()) {
        for (key, ms) in delays {
            value["delays_ms"][key] = ms.clone();
        }
    }
    value.to_string()
}

/// Starts a simulator from a fixture with fast delays. When the test is done
/// with it, every statement the tool sent it must parse in OceanBase's grammar
/// ([`Sim`]).
pub fn start(fixture: &str) -> Sim {
    Sim(obsim::Simulator::start_in_thread(&fast_fixture(fixture))
        .unwrap_or_else(|e| panic!("{fixture}: {e}")))
}

/// [`start`] for a test whose client is not the tool (a stock driver sending
/// its own statements): no grammar check of the journal.
pub fn start_for_other_clients(fixture: &str) -> obsim::Simulator {
    obsim::Simulator::start_in_thread(&fast_fixture(fixture))
        .unwrap_or_else(|e| panic!("{fixture}: {e}"))
}

/// A simulator of an end-to-end test. Dropped at the end of a test that has
/// not failed otherwise, it checks every statement the tool sent it (its
/// journal, not the test's own in-process queries) against OceanBase's
/// MySQL-mode grammar and fails the test on a rejection: so every end-to-end
/// test also checks the syntax of what it made the tool send.
pub struct Sim(pub obsim::Simulator);

impl std::ops::Deref for Sim {
    type Target = obsim::Simulator;
    fn deref(&self) -> &obsim::Simulator {
        &self.0
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let mut statements = sent(&self.0);
        statements.sort();
        statements.dedup();
        let rejected = shared_grammar(statements);
        assert!(
            rejected.is_empty(),
            "OceanBase's grammar rejects what the tool sent:\n{rejected:#?}"
        );
    }
}

/// The grammar process of this test process (the parser loads once), and
/// the statements it has already accepted.
struct LineGrammar {
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    seen: std::collections::HashSet<String>,
    _child: std::process::Child,
}

/// Checks `statements` not checked before in this process; returns the
/// rejected ones with the grammar's message.
fn shared_grammar(statements: Vec<String>) -> Vec<(String, String)> {
    use std::io::{BufRead as _, Write as _};
    static GRAMMAR: std::sync::OnceLock<std::sync::Mutex<LineGrammar>> = std::sync::OnceLock::new();
    let grammar = GRAMMAR.get_or_init(|| {
        let dir = std::env::var("OBBACKUP_OBPARSER_DIR").unwrap_or_else(|_| {
            panic!("OBBACKUP_OBPARSER_DIR is not set: run the tests with `bash scripts/test.sh cargo test --workspace`")
        });
        let mut child = Command::new("node")
            .arg(root().join("tests/support/grammar.js"))
            .arg(&dir)
            .arg("--lines")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run node: {e}"));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        std::sync::Mutex::new(LineGrammar {
            stdin,
            stdout,
            seen: std::collections::HashSet::new(),
            _child: child,
        })
    });
    let mut grammar = grammar
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut rejected = Vec::new();
    for sql in statements {
        if grammar.seen.contains(&sql) {
            continue;
        }
        let line = serde_json::to_string(&sql).unwrap_or_default();
        writeln!(grammar.stdin, "{line}").expect("the grammar takes input");
        grammar.stdin.flush().expect("the grammar takes input");
        let mut answer = String::new();
        grammar
            .stdout
            .read_line(&mut answer)
            .expect("the grammar answers");
        let answer: serde_json::Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("the grammar printed {answer:?}: {e}"));
        match answer["error"].as_str() {
            Some(error) => rejected.push((sql, error.to_string())),
            None => {
                grammar.seen.insert(sql);
            }
        }
    }
    rejected
}

/// The `obbackup` binary built by `cargo test --workspace`.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = dir.join(format!("obbackup{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace`",
        path.display()
    );
    path
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Both streams, for "appears nowhere" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `obbackup` with `args` (paths relative to the workspace root), no
/// inherited DSN or CI shard variables, no colour, extra environment `env`,
/// and no standard input.
fn obbackup(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(binary());
    command
        .current_dir(root())
        .args(args)
        .env_remove("OBBACKUP_DSN")
        // A CI's node variables would shard fleet runs (see --shard).
        .env_remove("CI_NODE_INDEX")
        .env_remove("CI_NODE_TOTAL")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("OBBACKUP_SHARD_TOTAL")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run obbackup: {e}"));
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    speaks_to_users(&run.all());
    run
}

/// Panics when `output` cites a document users do not have (a section sign,
/// `reference §`, `(seed …)`): every run of the binary in the suite, error
/// paths included, is checked.
#[track_caller]
pub fn speaks_to_users(output: &str) {
    for word in ["§", "(seed "] {
        assert!(
            !output.contains(word),
            "user output cites an internal document ({word:?}):\n{output}"
        );
    }
}

/// Flags that make waits short in tests: poll every 20 ms and give up on a
/// wait after 20 s.
const FAST: &[&str] = &["--poll-interval-ms", "20", "--wait-timeout", "20"];

/// One run of the `obbackup` binary, put together flag by flag and started by
/// [`Invocation::run`], which hands the arguments, in the order given, and the
/// extra environment to [`obbackup`] (workspace root as working directory, no
/// inherited DSN, no colour, no standard input).
///
/// ```no_run
/// # use obbackup_tests::{start, temp_config, Invocation};
/// let sim = start("empty-4.2.json");
/// let config = temp_config("doc.hcl", "tenant \"*\" {}\n");
/// let apply = Invocation::new(&["apply", &config])
///     .dsn(&sim.dsn("sys"))
///     .auto_approve()
///     .fast()
///     .env("OSS_KEY", "k")
///     .run();
/// assert_eq!(apply.code, 0, "{}", apply.all());
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Invocation {
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Invocation {
    /// Starts with `args`: the command and its positional arguments, e.g.
    /// `&["apply", &config]` or `&["backup", "full"]`.
    pub fn new(args: &[&str]) -> Self {
        Self::default().args(args)
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_string());
        self
    }

    /// Appends several arguments, in order.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Appends `--dsn <dsn>`.
    pub fn dsn(self, dsn: &str) -> Self {
        self.args(&["--dsn", dsn])
    }

    /// Appends `--format <format>` (`json`, `markdown`, …).
    pub fn format(self, format: &str) -> Self {
        self.args(&["--format", format])
    }

    /// Appends `--auto-approve`.
    pub fn auto_approve(self) -> Self {
        self.arg("--auto-approve")
    }

    /// Appends `--allow-hazards`.
    pub fn allow_hazards(self) -> Self {
        self.arg("--allow-hazards")
    }

    /// Appends `--detailed-exitcode` (exit 2 when there are changes).
    pub fn detailed_exitcode(self) -> Self {
        self.arg("--detailed-exitcode")
    }

    /// Appends `--wait` (follow backups to their end).
    pub fn wait(self) -> Self {
        self.arg("--wait")
    }

    /// Appends `--poll-interval-ms 20 --wait-timeout 20`: polls every 20 ms and
    /// gives up on a wait after 20 s, for commands that wait on the simulator.
    pub fn fast(self) -> Self {
        self.args(FAST)
    }

    /// Appends only `--poll-interval-ms 20`, leaving the wait limits to the
    /// plan or the defaults (for saved plans, whose limits must not change).
    pub fn fast_polls(self) -> Self {
        self.args(&FAST[..2])
    }

    /// Sets one extra environment variable for the run.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Sets several extra environment variables for the run.
    pub fn envs(self, env: &[(&str, &str)]) -> Self {
        env.iter().fold(self, |run, (k, v)| run.env(k, v))
    }

    /// Runs the binary and waits for it to exit.
    pub fn run(&self) -> Run {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        obbackup(&args, &env)
    }
}

/// Writes `text` to a fresh file under the target directory and returns its path.
pub fn temp_config(name: &str, text: &str) -> String {
    let dir = root().join("target/test-configs");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path.display().to_string()
}

/// Statements the tool sent (connection id > 0), in order.
pub fn sent(sim: &obsim::Simulator) -> Vec<String> {
    sim.journal()
        .into_iter()
        .filter(|e| e.connection > 0)
        .map(|e| e.sql)
        .collect()
}

/// Control statements (not SELECT/SET session) the tool sent, in order.
pub fn sent_alters(sim: &obsim::Simulator) -> Vec<String> {
    sent(sim)
        .into_iter()
        .filter(|s| s.starts_with("ALTER SYSTEM"))
        .collect()
}

/// Panics, showing the whole `text`, unless it contains `needle`.
#[track_caller]
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

/// The rows a SELECT returns when run on the simulator as `root@tenant`
/// (through the simulator's own parser and engine, as an operator would).
#[track_caller]
pub fn query_rows(sim: &obsim::Simulator, tenant: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    match sim.execute_as(tenant, sql) {
        Ok(obsim::cluster::Reply::Rows { rows, .. }) => rows,
        other => panic!("{sql}: no rows: {other:?}"),
    }
}

/// The statements OceanBase's MySQL-mode grammar rejects among `statements`,
/// each with the parser's message. The grammar is the npm package
/// `@oceanbase-odc/ob-parser-js` that `scripts/test.sh` installs and names in
/// `OBBACKUP_OBPARSER_DIR`; without it this panics (the test command sets it
/// up: no test is skipped).
pub fn grammar_rejections(statements: &[String]) -> Vec<(String, String)> {
    use std::io::Write as _;
    let dir = std::env::var("OBBACKUP_OBPARSER_DIR").unwrap_or_else(|_| {
        panic!("OBBACKUP_OBPARSER_DIR is not set: run the tests with `bash scripts/test.sh cargo test --workspace`")
    });
    let script = root().join("tests/support/grammar.js");
    let mut child = Command::new("node")
        .arg(&script)
        .arg(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    let input = serde_json::to_string(statements).unwrap_or_default();
    child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(input.as_bytes()))
        .transpose()
        .unwrap_or_else(|e| panic!("cannot write to the grammar: {e}"));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("the grammar did not finish: {e}"));
    assert!(output.status.success(), "the grammar script failed");
    let rejected: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("the grammar printed no JSON: {e}"));
    rejected
        .into_iter()
        .map(|r| {
            (
                r["sql"].as_str().unwrap_or_default().to_string(),
                r["error"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Panics, listing every error, unless `value` matches the JSON Schema
/// `docs/schema/<schema>` (the contract of `--format json`).
#[track_caller]
pub fn assert_schema(schema: &str, value: &serde_json::Value) {
    let path = root().join("docs/schema").join(schema);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let schema_value: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{schema}: {e}"));
    let validator = jsonschema::validator_for(&schema_value)
        .unwrap_or_else(|e| panic!("{schema} is not a schema: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{schema}: {errors:?}");
}

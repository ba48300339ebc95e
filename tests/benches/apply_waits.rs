//! Benchmark: what an apply costs beyond OceanBase's own transitions. For 30,
//! 300 and 3,000 generated tenants, each archiving into its own destination
//! (round DOING), the configuration moves every tenant's archive to a new
//! destination: per tenant `NOARCHIVELOG`, a wait for STOP,
//! `SET LOG_ARCHIVE_DEST`, `ARCHIVELOG` and a wait for DOING. The simulator
//! takes its default transition delays (STOPPING → STOP 500 ms, PREPARE →
//! BEGINNING 200 ms, BEGINNING → DOING 800 ms), so no apply can take less than
//! 1.5 s; the benchmark prints the statements the apply sent (per tenant and
//! in all), its wall time, and the time over that floor. Each size runs in
//! its own process so the executor's progress lines can be discarded.
//! Prints figures; asserts nothing.
//! Run: `cargo bench -p obbackup-tests --bench apply_waits`
//! (`BENCH_TENANTS=300` for one size).

use obbackup::{db, executor, inspect};
use obbackup_planner::config::decode;
use obbackup_planner::plan::{self, Timeouts};
use obbackup_planner::secret::Secret;
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
tenant "*" {
  log_archive {
    enabled     = true
    destination = "file:///nfs/new/${tenant.name}/archive"
  }
}
"#;

/// The least time the transitions take, in milliseconds: STOPPING → STOP,
/// then PREPARE → BEGINNING → DOING (the simulator's default delays).
const FLOOR_MS: f64 = 500.0 + 200.0 + 800.0;

/// The poll interval apply uses by default (`--poll-interval-ms`).
const POLL: Duration = Duration::from_millis(1000);

fn fixture(tenants: usize) -> String {
    let tenants: Vec<serde_json::Value> = (0..tenants)
        .map(|n| {
            let id = 1002 + 2 * n as u64;
            serde_json::json!({
                "id": id,
                "name": format!("tenant_{n}"),
                "log_mode": "ARCHIVELOG",
                "archive_dest": {
                    "path": format!("file:///nfs/old/tenant_{n}/archive"),
                    "binding": "OPTIONAL",
                    "piece_switch_interval": "1d",
                    "state": "ENABLE",
                    "dest_id": id
                },
                "archive_round": { "round_id": 1, "status": "DOING" }
            })
        })
        .collect();
    serde_json::json!({ "version": "4.2.2.1", "tenants": tenants }).to_string()
}

fn main() {
    if let Ok(size) = std::env::var("BENCH_CHILD") {
        return child(size.parse().expect("a number"));
    }
    let sizes: Vec<usize> = match std::env::var("BENCH_TENANTS") {
        Ok(v) => v.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) => vec![30, 300, 3_000],
    };
    println!("tenants  statements  per tenant  apply ms  floor ms  over floor");
    let exe = std::env::current_exe().expect("own path");
    for tenants in sizes {
        let output = std::process::Command::new(&exe)
            .env("BENCH_CHILD", tenants.to_string())
            .stderr(std::process::Stdio::null())
            .output()
            .expect("runs");
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
}

fn child(tenants: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (config, errors) = decode(CONFIG);
    assert!(errors.is_empty());
    let options = plan::Options {
        timeouts: Timeouts::default(),
        today: time::OffsetDateTime::now_utc().date(),
        follow_backups: false,
        tie_break: Default::default(),
    };
    let sim = obsim::Simulator::start_in_thread(&fixture(tenants)).expect("simulator");
    let dsn = Secret::new(sim.dsn("sys"));
    let (report, took, sent) = runtime.block_on(async {
        let mut session = db::Session::connect(&dsn, Duration::from_secs(60))
            .await
            .expect("connects");
        let live = inspect::inspect(&mut session).await.expect("inspects");
        let plan = plan::plan(&config, &live, &Default::default(), &options).expect("plans");
        let before = sim.journal().len();
        let started = Instant::now();
        let report = executor::run(
            &mut session,
            &plan,
            executor::Options {
                poll: POLL,
                statement_timeout: Duration::from_secs(60),
            },
        )
        .await;
        let took = started.elapsed();
        let sent = sim.journal().len() - before;
        session.close().await;
        (report, took, sent)
    });
    assert!(report.failure().is_none(), "the apply failed: {report:?}");
    let ms = took.as_secs_f64() * 1e3;
    println!(
        "{tenants:>7}  {sent:>10}  {:>10.2}  {ms:>8.0}  {FLOOR_MS:>8.0}  {:>9.0}%",
        sent as f64 / tenants as f64,
        (ms / FLOOR_MS - 1.0) * 100.0
    );
}

//! Benchmark: how planning scales with the number of tenants. For 3, 300,
//! 1,000, 3,000 and 10,000 generated tenants (fixtures made here, not
//! committed) it reads the live state from an in-process simulator once, then
//! times `plan` and `render::human` separately, and prints the peak heap of
//! planning plus rendering (measured by the `peak_alloc` allocator) and the
//! statements the read sent. Prints figures; asserts nothing.
//! Run: `cargo bench -p obbackup-tests` (`BENCH_TENANTS=1000,10000` for some sizes only).

use obbackup::{db, inspect};
use obbackup_planner::config::decode;
use obbackup_planner::plan::{self, Timeouts};
use obbackup_planner::render;
use obbackup_planner::secret::Secret;
use peak_alloc::PeakAlloc;
use std::time::{Duration, Instant};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const CONFIG: &str = r#"
defaults {
  log_archive { enabled = true }
  data_backup { concurrency = 8 }
}
tenant "*" {
  log_archive { destination = "file:///nfs/${tenant.name}/archive" }
  data_backup { destination = "file:///nfs/${tenant.name}/data" }
}
"#;

fn fixture(tenants: usize) -> String {
    serde_json::json!({
        "version": "4.2.2.1",
        "generated_tenants": { "count": tenants, "prefix": "tenant_", "first_id": 1002 }
    })
    .to_string()
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}

fn main() {
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
    println!("tenants  steps  statements  read ms  plan ms  human ms  peak heap MB (plan + human)");
    // `BENCH_TENANTS=1000,10000` measures only those sizes (for profiling).
    let sizes: Vec<usize> = std::env::var("BENCH_TENANTS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![3, 300, 1_000, 3_000, 10_000]);
    for tenants in sizes {
        let sim = obsim::Simulator::start_in_thread(&fixture(tenants)).expect("simulator");
        let dsn = Secret::new(sim.dsn("sys"));
        let started = Instant::now();
        let live = runtime.block_on(async {
            let mut session = db::Session::connect(&dsn, Duration::from_secs(60))
                .await
                .expect("connects");
            let live = inspect::inspect(&mut session).await.expect("inspects");
            session.close().await;
            live
        });
        let read = started.elapsed();
        let statements = sim.journal().len();
        let runs = if tenants >= 3_000 { 5 } else { 20 };
        let (mut plan_times, mut human_times) = (Vec::new(), Vec::new());
        let mut steps = 0;
        let mut peak = 0.0f32;
        for _ in 0..runs {
            HEAP.reset_peak_usage();
            let base = HEAP.current_usage_as_mb();
            let started = Instant::now();
            let plan = plan::plan(&config, &live, &Default::default(), &options).expect("plans");
            plan_times.push(started.elapsed());
            let started = Instant::now();
            let text = render::human(&plan);
            human_times.push(started.elapsed());
            steps = plan.steps.len();
            peak = peak.max(HEAP.peak_usage_as_mb() - base);
            drop((plan, text));
        }
        println!(
            "{tenants:>7}  {steps:>5}  {statements:>10}  {:>7.1}  {:>7.1}  {:>8.1}  {peak:>.1}",
            read.as_secs_f64() * 1e3,
            median(plan_times),
            median(human_times),
        );
    }
}

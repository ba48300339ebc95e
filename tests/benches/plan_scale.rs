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

/// (minimum, median) in milliseconds. The minimum is the figure least
/// disturbed by other work on the machine; the ratios use it.
fn summary(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(times[0]), ms(times[times.len() / 2]))
}

/// Without `BENCH_TENANTS`, each size runs in a fresh process (this program
/// again), so no size inherits the heap the previous one left behind; the
/// parent prints the rows and the ratios.
fn main() {
    if std::env::var_os("BENCH_TENANTS").is_none() {
        return parent();
    }
    child();
}

fn parent() {
    let exe = std::env::current_exe().expect("own path");
    let mut minima: Vec<(usize, f64, f64)> = Vec::new();
    println!("{HEADER}");
    for tenants in [3usize, 300, 1_000, 3_000, 10_000] {
        let output = std::process::Command::new(&exe)
            .env("BENCH_TENANTS", tenants.to_string())
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&output.stdout);
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("MINIMA ") {
                let v: Vec<f64> = rest.split(' ').filter_map(|x| x.parse().ok()).collect();
                minima.push((tenants, v[0], v[1]));
            } else if line != HEADER && !line.contains(" / ") || line.starts_with(' ') {
                println!("{line}");
            }
        }
    }
    ratios(&minima);
}

const HEADER: &str = "tenants  steps  statements  read ms  plan ms (min / median)  human ms (min / median)  peak heap MB (plan + human)";

/// Each size against the next smaller one measured: linear cost keeps the
/// ratio of times near the ratio of tenants.
fn ratios(minima: &[(usize, f64, f64)]) {
    let at = |n: usize| minima.iter().find(|m| m.0 == n);
    if let (Some(&(_, plan_1k, human_1k)), Some(&(_, plan_10k, human_10k))) =
        (at(1_000), at(10_000))
    {
        println!(
            "10000 / 1000 tenants (10x): plan {:.1}x, human {:.1}x (target: at most 12x)",
            plan_10k / plan_1k,
            human_10k / human_1k
        );
    }
    for pair in minima.windows(2) {
        let ((small, plan_small, human_small), (large, plan_large, human_large)) =
            (pair[0], pair[1]);
        println!(
            "{large} / {small} tenants ({:.0}x): plan {:.1}x, human {:.1}x",
            large as f64 / small as f64,
            plan_large / plan_small,
            human_large / human_small
        );
    }
}

fn child() {
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
    println!("{HEADER}");
    let mut minima: Vec<(usize, f64, f64)> = Vec::new();
    // `BENCH_TENANTS=1000,10000` measures those sizes in this process.
    let sizes: Vec<usize> = std::env::var("BENCH_TENANTS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_default();
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
        // The simulator's clock keeps working in the background: stop it before timing the planner.
        drop(sim);
        let runs = std::env::var("BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if tenants >= 3_000 { 11 } else { 31 });
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
        let (plan_min, plan_median) = summary(plan_times);
        let (human_min, human_median) = summary(human_times);
        minima.push((tenants, plan_min, human_min));
        println!("MINIMA {plan_min} {human_min}");
        println!(
            "{tenants:>7}  {steps:>5}  {statements:>10}  {:>7.1}  {plan_min:>10.1} / {plan_median:<10.1}  {human_min:>11.1} / {human_median:<10.1}  {peak:>.1}",
            read.as_secs_f64() * 1e3,
        );
    }
    ratios(&minima);
}

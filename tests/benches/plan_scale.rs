//! Benchmark: how planning scales with the number of tenants. For 3, 300,
//! 1,000, 3,000 and 10,000 generated tenants (fixtures made here, not
//! committed) it reads each live state from an in-process simulator once, then
//! times `plan` and `render::human` separately, and prints the peak heap of
//! planning plus rendering (measured by the `peak_alloc` allocator) and the
//! statements the read sent. Prints figures; asserts nothing.
//!
//! The sizes are measured in rounds, one run of every size per round, so a
//! change in the machine's speed during the benchmark (common on a shared
//! virtual machine, where the same run can differ by half between two
//! processes) reaches every size alike and the ratios between sizes stay
//! meaningful. Each figure is the minimum over the rounds, with the median;
//! every timed run follows an untimed run of the same size.
//!
//! Rendering is timed twice. Right after planning (as `obbackup plan` does),
//! a 1,000-tenant plan (about 4 MB) is still in the processor's caches and a
//! 10,000-tenant one (about 36 MB) is not, so that ratio also measures the
//! cache's size. It is timed again after [`empty_caches`] has written a
//! buffer larger than the caches, so every size reads its plan from memory:
//! that ratio is the rendering's own scaling.
//! Run: `cargo bench -p obbackup-tests` (`BENCH_TENANTS=1000,10000` for some
//! sizes only, `BENCH_RUNS=N` rounds, default 21).

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

/// Bytes written by [`empty_caches`]: more than the last-level cache of any
/// machine this runs on (32 MB on the build machine), so nothing of the plan
/// stays cached.
const CACHE_FLUSH_BYTES: usize = 128 << 20;

/// Writes one byte of every cache line of `buffer`, pushing everything else
/// out of the processor's caches.
fn empty_caches(buffer: &mut [u8]) {
    for n in (0..buffer.len()).step_by(64) {
        buffer[n] = buffer[n].wrapping_add(1);
    }
    std::hint::black_box(&buffer);
}

/// (minimum, median) in milliseconds. The minimum is the figure least
/// disturbed by other work on the machine; the ratios use it.
fn summary(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(times[0]), ms(times[times.len() / 2]))
}

const HEADER: &str = "tenants  steps  statements  read ms  plan ms (min / median)  human ms (min / median)  human, caches emptied (min / median)  peak heap MB (plan + human)";

/// Each size against the next smaller one measured: linear cost keeps the
/// ratio of times near the ratio of tenants.
fn ratios(minima: &[Minima]) {
    let line = |small: &Minima, large: &Minima| {
        format!(
            "plan {:.1}x, human {:.1}x, human with caches emptied {:.1}x",
            large.plan / small.plan,
            large.human / small.human,
            large.human_cold / small.human_cold
        )
    };
    let at = |n: usize| minima.iter().find(|m| m.tenants == n);
    if let (Some(small), Some(large)) = (at(1_000), at(10_000)) {
        println!(
            "10000 / 1000 tenants (10x): {} (target: at most 12x)",
            line(small, large)
        );
    }
    for pair in minima.windows(2) {
        println!(
            "{} / {} tenants ({:.0}x): {}",
            pair[1].tenants,
            pair[0].tenants,
            pair[1].tenants as f64 / pair[0].tenants as f64,
            line(&pair[0], &pair[1])
        );
    }
}

/// The minimum times of one size, in milliseconds.
struct Minima {
    tenants: usize,
    plan: f64,
    human: f64,
    human_cold: f64,
}

/// One size: its live state and what its runs measured.
struct Size {
    tenants: usize,
    live: obbackup_planner::live::LiveState,
    read: Duration,
    statements: usize,
    steps: usize,
    plan_times: Vec<Duration>,
    human_times: Vec<Duration>,
    human_cold_times: Vec<Duration>,
    peak_mb: f32,
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
    let sizes: Vec<usize> = match std::env::var("BENCH_TENANTS") {
        Ok(v) => v.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) => vec![3, 300, 1_000, 3_000, 10_000],
    };
    let rounds: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21);
    let mut measured: Vec<Size> = sizes
        .into_iter()
        .map(|tenants| {
            let sim = obsim::Simulator::start_in_thread(&fixture(tenants)).expect("simulator");
            let dsn = Secret::new(sim.dsn("sys"));
            let started = Instant::now();
            let live = runtime.block_on(async {
                // Generous: under valgrind (instruction counts, README) the
                // read of 10,000 tenants takes minutes.
                let mut session = db::Session::connect(&dsn, Duration::from_secs(1800))
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
            Size {
                tenants,
                live,
                read,
                statements,
                steps: 0,
                plan_times: Vec::new(),
                human_times: Vec::new(),
                human_cold_times: Vec::new(),
                peak_mb: 0.0,
            }
        })
        .collect();
    let mut flush = vec![0u8; CACHE_FLUSH_BYTES];
    for _ in 0..rounds {
        for size in &mut measured {
            // An untimed run first: the allocator tidies what the previous
            // size freed during the next allocations, and that cost belongs
            // to the previous size, not to this one.
            drop(render::human(
                &plan::plan(&config, &size.live, &Default::default(), &options).expect("plans"),
            ));
            HEAP.reset_peak_usage();
            let base = HEAP.current_usage_as_mb();
            let started = Instant::now();
            let plan =
                plan::plan(&config, &size.live, &Default::default(), &options).expect("plans");
            size.plan_times.push(started.elapsed());
            let started = Instant::now();
            let text = render::human(&plan);
            size.human_times.push(started.elapsed());
            size.steps = plan.steps.len();
            size.peak_mb = size.peak_mb.max(HEAP.peak_usage_as_mb() - base);
            drop(text);
            empty_caches(&mut flush);
            let started = Instant::now();
            let text = render::human(&plan);
            size.human_cold_times.push(started.elapsed());
            drop((plan, text));
        }
    }
    println!("{HEADER}");
    let mut minima: Vec<Minima> = Vec::new();
    for size in measured {
        let (plan_min, plan_median) = summary(size.plan_times);
        let (human_min, human_median) = summary(size.human_times);
        let (cold_min, cold_median) = summary(size.human_cold_times);
        minima.push(Minima {
            tenants: size.tenants,
            plan: plan_min,
            human: human_min,
            human_cold: cold_min,
        });
        println!(
            "{:>7}  {:>5}  {:>10}  {:>7.1}  {plan_min:>10.1} / {plan_median:<10.1}  {human_min:>11.1} / {human_median:<10.1}  {cold_min:>20.1} / {cold_median:<14.1}  {:>.1}",
            size.tenants,
            size.steps,
            size.statements,
            size.read.as_secs_f64() * 1e3,
            size.peak_mb,
        );
    }
    ratios(&minima);
}

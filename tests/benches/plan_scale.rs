//! Benchmark: how long a whole plan (connect, read the live state, plan, render)
//! takes against the 3- and 300-tenant fixtures, and how many statements it sends.
//! Prints figures; asserts nothing. Run: `cargo bench -p obbackup-tests`.

use obbackup::{db, inspect};
use obbackup_planner::config::decode;
use obbackup_planner::plan::{self, Timeouts};
use obbackup_planner::render;
use obbackup_planner::secret::Secret;
use std::time::{Duration, Instant};

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

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (config, errors) = decode(CONFIG);
    assert!(errors.is_empty());
    for fixture in ["scale-3.json", "scale-300.json"] {
        let sim = obbackup_tests::start(fixture);
        let dsn = Secret::new(sim.dsn("sys"));
        let runs = 20;
        let mut times = Vec::with_capacity(runs);
        let mut steps = 0;
        for _ in 0..runs {
            sim.clear_journal();
            let started = Instant::now();
            runtime.block_on(async {
                let mut session = db::Session::connect(&dsn, Duration::from_secs(30))
                    .await
                    .expect("connects");
                let live = inspect::inspect(&mut session).await.expect("inspects");
                let options = plan::Options {
                    timeouts: Timeouts::default(),
                    today: time::OffsetDateTime::now_utc().date(),
                    follow_backups: false,
                    tie_break: Default::default(),
                };
                let plan =
                    plan::plan(&config, &live, &Default::default(), &options).expect("plans");
                steps = plan.steps.len();
                let _ = render::human(&plan);
                session.close().await;
            });
            times.push(started.elapsed());
        }
        times.sort();
        let statements = sim.journal().len();
        println!(
            "{fixture}: plan of {steps} steps, {statements} statements sent; median {:.1} ms, min {:.1} ms, max {:.1} ms over {runs} runs",
            times[runs / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[runs - 1].as_secs_f64() * 1e3
        );
    }
}

//! Benchmark: how `validate` scales with the number of tenant blocks. For
//! 4,000, 16,000 and 32,000 generated `tenant` blocks (text made here, not
//! committed) it times decoding the HCL and validating the configuration
//! (what `obbackup validate` does without a cluster), in rounds, and prints
//! the minimum and median of each with the ratio between sizes. Prints
//! figures; asserts nothing. Run: `cargo bench -p obbackup-tests --bench
//! validate_scale` (`BENCH_BLOCKS=1000,8000` for other sizes, `BENCH_RUNS=N`
//! rounds, default 7).

use obbackup_planner::config::decode;
use obbackup_planner::desired::{self, Environment};
use std::time::{Duration, Instant};

fn text(blocks: usize) -> String {
    let mut out = String::with_capacity(blocks * 200);
    out.push_str(
        "defaults {\n  log_archive { enabled = true }\n  data_backup { concurrency = 4 }\n}\n",
    );
    for n in 0..blocks {
        out.push_str(&format!(
            "tenant \"t{n}\" {{\n  log_archive {{ destination = \"file:///nfs/t{n}/archive\" }}\n  data_backup {{\n    destination = \"file:///nfs/t{n}/data\"\n    full {{ max_age = \"7d\" }}\n  }}\n}}\n"
        ));
    }
    out
}

fn main() {
    let sizes: Vec<usize> = match std::env::var("BENCH_BLOCKS") {
        Ok(v) => v.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) => vec![4_000, 16_000, 32_000],
    };
    let rounds: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let texts: Vec<(usize, String)> = sizes.iter().map(|&n| (n, text(n))).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); texts.len()];
    let env = Environment::new();
    for _ in 0..rounds {
        for (k, (blocks, text)) in texts.iter().enumerate() {
            let started = Instant::now();
            let (config, errors) = decode(text);
            assert!(errors.is_empty(), "{blocks}: {errors:?}");
            let valid = desired::validate(&config, &env);
            assert!(valid.is_ok(), "{blocks} blocks do not validate");
            times[k].push(started.elapsed());
        }
    }
    println!("blocks   bytes      validate ms (min / median)");
    let mut minima = Vec::new();
    for ((blocks, text), mut t) in texts.iter().zip(times) {
        t.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (min, median) = (ms(t[0]), ms(t[t.len() / 2]));
        minima.push((*blocks, min));
        println!("{blocks:>6}  {:>9}  {min:>10.1} / {median:.1}", text.len());
    }
    for pair in minima.windows(2) {
        let ((small, a), (large, b)) = (pair[0], pair[1]);
        println!(
            "{large} / {small} blocks ({:.0}x): validate {:.1}x",
            large as f64 / small as f64,
            b / a
        );
    }
}

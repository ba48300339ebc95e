//! `obsim serve --fixture FILE [--listen ADDR]`: serve a simulated OceanBase
//! cluster over the MySQL protocol until interrupted.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// A simulator of the OceanBase backup control plane over the MySQL protocol.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a cluster seeded from a JSON fixture (format: fixtures/README.md).
    ///
    /// Log in as `root@sys` (or `root@<tenant>`) with an empty password, e.g.
    /// `mysql -h127.0.0.1 -P2881 -uroot@sys`.
    Serve {
        /// The fixture file.
        #[arg(long)]
        fixture: std::path::PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:2881")]
        listen: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let Cli {
        command: Command::Serve { fixture, listen },
    } = Cli::parse();
    let text = match std::fs::read_to_string(&fixture) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read fixture {}: {e}", fixture.display());
            return ExitCode::FAILURE;
        }
    };
    match obsim::Simulator::start(&text, &listen).await {
        Ok(sim) => {
            eprintln!("obsim: serving {} on {}", fixture.display(), sim.addr());
            let _ = tokio::signal::ctrl_c().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

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
        /// Offer TLS with this certificate chain (PEM); needs --tls-key.
        #[arg(long, requires = "tls_key", value_name = "PEM")]
        tls_cert: Option<std::path::PathBuf>,
        /// The private key of --tls-cert (PEM).
        #[arg(long, requires = "tls_cert", value_name = "PEM")]
        tls_key: Option<std::path::PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let Cli {
        command:
            Command::Serve {
                fixture,
                listen,
                tls_cert,
                tls_key,
            },
    } = Cli::parse();
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => {
            match (
                std::fs::read_to_string(&cert),
                std::fs::read_to_string(&key),
            ) {
                (Ok(cert_pem), Ok(key_pem)) => Some(obsim::TlsIdentity { cert_pem, key_pem }),
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("error: cannot read the TLS certificate or key: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        _ => None,
    };
    let text = match std::fs::read_to_string(&fixture) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read fixture {}: {e}", fixture.display());
            return ExitCode::FAILURE;
        }
    };
    match obsim::Simulator::start_with_tls(&text, &listen, tls).await {
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

//! `obsim`: a simulator of the OceanBase 4.x backup control plane that speaks the
//! MySQL protocol, for testing obbackup without a real cluster.
//!
//! Stages: a JSON [`fixture::Fixture`] seeds a [`cluster::Cluster`]; the
//! [`server`] accepts MySQL connections, parses each statement
//! ([`statement`]), runs SELECTs on an in-memory SQLite copy of the views
//! ([`views`]) and applies OceanBase commands with their preconditions and errors
//! ([`cluster`]). Asynchronous states (archive rounds, canceled jobs) advance on
//! the wall clock with the fixture's delays. Tests read the journal of executed
//! statements and inject faults through [`Simulator`].
//!
//! Behaviour follows `shared/reference/oceanbase-backup.md`; each rule cites its
//! section. This crate shares no code with the planner.

pub mod backup;
pub mod cluster;
pub mod destination;
pub mod error;
pub mod fixture;
pub mod ob3;
pub mod parameter;
pub mod protocol;
pub mod retention;
pub mod server;
pub mod statement;
pub mod views;

use server::{Fault, FaultAction, JournalEntry, Shared};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A running simulator: its address and a handle on its state.
#[derive(Debug, Clone)]
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

/// Errors starting a simulator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The fixture is not valid JSON of the documented shape.
    #[error("fixture is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// The fixture is consistent JSON but describes an impossible cluster.
    #[error("fixture is not valid: {0}")]
    Fixture(String),
    /// The TLS certificate or key cannot be used.
    #[error("cannot serve TLS: {0}")]
    Tls(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address given.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A certificate chain and its private key, in PEM, for serving TLS.
#[derive(Debug, Clone)]
pub struct TlsIdentity {
    /// The certificate chain, leaf first.
    pub cert_pem: String,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: String,
}

impl TlsIdentity {
    /// A rustls server configuration (ring provider, TLS 1.2 and 1.3).
    fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, StartError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let bad = |e: &dyn std::fmt::Display| StartError::Tls(e.to_string());
        let certs = CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(&e))?;
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(|e| bad(&e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(&e))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| bad(&e))?;
        Ok(Arc::new(config))
    }
}

impl Simulator {
    /// Builds the cluster from fixture JSON and starts serving on `listen`
    /// (`127.0.0.1:0` picks a free port) inside the current tokio runtime.
    pub async fn start(fixture_json: &str, listen: &str) -> Result<Self, StartError> {
        Self::start_with_tls(fixture_json, listen, None).await
    }

    /// [`Simulator::start`], offering TLS with `tls` (the handshake
    /// announces `CLIENT_SSL`; a client that asks switches to TLS before
    /// logging in, as with OceanBase's `ssl` settings).
    pub async fn start_with_tls(
        fixture_json: &str,
        listen: &str,
        tls: Option<TlsIdentity>,
    ) -> Result<Self, StartError> {
        let tls = tls.map(|t| t.server_config()).transpose()?;
        let fixture = fixture::Fixture::from_json(fixture_json)?;
        let mut cluster = cluster::Cluster::from_fixture(&fixture).map_err(StartError::Fixture)?;
        cluster.stalled.extend(fixture.stalled.iter().cloned());
        let faults = fixture
            .faults
            .iter()
            .map(|f| {
                let action = match f.validate().map_err(StartError::Fixture)? {
                    fixture::FaultSeedAction::Drop => FaultAction::DropConnection,
                    fixture::FaultSeedAction::DropAfter => FaultAction::DropAfter,
                    fixture::FaultSeedAction::Error(code, message) => {
                        FaultAction::Fail { code, message }
                    }
                    fixture::FaultSeedAction::Stall(ms) => FaultAction::Stall(ms),
                };
                Ok(Fault {
                    pattern: f.statement.clone(),
                    skip: f.skip,
                    action,
                })
            })
            .collect::<Result<Vec<_>, StartError>>()?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: listen.to_string(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: listen.to_string(),
            source,
        })?;
        let mut state = Shared::new(cluster);
        state.faults = faults;
        let shared = Arc::new(Mutex::new(state));
        tokio::spawn(server::serve(listener, Arc::clone(&shared), tls));
        Ok(Self { addr, shared })
    }

    /// Starts a simulator on its own thread and runtime (for synchronous tests).
    /// The thread lives as long as the process.
    pub fn start_in_thread(fixture_json: &str) -> Result<Self, StartError> {
        Self::start_in_thread_on(fixture_json, "127.0.0.1:0")
    }

    /// [`Simulator::start_in_thread`] listening on `listen` (`0.0.0.0:0`
    /// for every interface).
    pub fn start_in_thread_on(fixture_json: &str, listen: &str) -> Result<Self, StartError> {
        Self::start_in_thread_with_tls(fixture_json, listen, None)
    }

    /// [`Simulator::start_in_thread_on`], offering TLS with `tls`.
    pub fn start_in_thread_with_tls(
        fixture_json: &str,
        listen: &str,
        tls: Option<TlsIdentity>,
    ) -> Result<Self, StartError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let json = fixture_json.to_string();
        let listen = listen.to_string();
        std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(StartError::Bind {
                        addr: "runtime".into(),
                        source: e,
                    }));
                    return;
                }
            };
            runtime.block_on(async move {
                let started = Simulator::start_with_tls(&json, &listen, tls).await;
                let ok = started.is_ok();
                let _ = tx.send(started);
                if ok {
                    std::future::pending::<()>().await;
                }
            });
        });
        rx.recv()
            .unwrap_or_else(|_| Err(StartError::Fixture("simulator thread ended".into())))
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A DSN for logging in as `root@<tenant>` with an empty password.
    pub fn dsn(&self, tenant: &str) -> String {
        format!("mysql://root%40{tenant}@{}", self.addr)
    }

    /// Every statement received so far.
    pub fn journal(&self) -> Vec<JournalEntry> {
        server::lock(&self.shared).journal.clone()
    }

    /// Forgets the journal.
    pub fn clear_journal(&self) {
        server::lock(&self.shared).journal.clear();
    }

    /// Fails the next statement containing `pattern` with error `code`.
    pub fn fail_next(&self, pattern: &str, code: u16, message: &str) {
        server::lock(&self.shared).faults.push(Fault {
            pattern: pattern.to_string(),
            skip: 0,
            action: FaultAction::Fail {
                code,
                message: message.to_string(),
            },
        });
    }

    /// Drops the connection instead of answering the next statement containing `pattern`.
    pub fn drop_next(&self, pattern: &str) {
        self.drop_at(pattern, 0, false);
    }

    /// Drops the connection at the statement containing `pattern` that
    /// follows `skip` other such statements (counted from now): before it
    /// runs, or with `after` once it has run, never replying either way.
    pub fn drop_at(&self, pattern: &str, skip: usize, after: bool) {
        server::lock(&self.shared).faults.push(Fault {
            pattern: pattern.to_string(),
            skip,
            action: if after {
                FaultAction::DropAfter
            } else {
                FaultAction::DropConnection
            },
        });
    }

    /// Holds the next statement containing `pattern` for `ms` milliseconds
    /// before running and answering it (a slow server; other connections
    /// are not held up).
    pub fn stall_reply(&self, pattern: &str, ms: u64) {
        self.stall_reply_at(pattern, 0, ms);
    }

    /// [`Simulator::stall_reply`] for the statement containing `pattern`
    /// that follows `skip` other such statements (counted from now).
    pub fn stall_reply_at(&self, pattern: &str, skip: usize, ms: u64) {
        server::lock(&self.shared).faults.push(Fault {
            pattern: pattern.to_string(),
            skip,
            action: FaultAction::Stall(ms),
        });
    }

    /// Stops transitions out of `status` (e.g. `BEGINNING`) until [`Simulator::resume`].
    pub fn stall(&self, status: &str) {
        server::lock(&self.shared)
            .cluster
            .stalled
            .insert(status.to_string());
    }

    /// Makes the next backup job of `tenant` end FAILED with `result` and `comment`.
    pub fn fail_next_backup(&self, tenant: &str, result: i64, comment: &str) {
        let mut s = server::lock(&self.shared);
        if let Some(id) = s.cluster.tenant_by_name(tenant).map(|t| t.id) {
            s.cluster.fail_next_backup(id, result, comment);
        }
    }

    /// Lets a stalled status advance again.
    pub fn resume(&self, status: &str) {
        server::lock(&self.shared).cluster.stalled.remove(status);
    }

    /// Runs one statement as `root@tenant`, as an operator would behind the
    /// tool's back, through the same parser and executor as the network path.
    /// The statement is journaled with connection id 0.
    pub fn execute_as(&self, tenant: &str, sql: &str) -> Result<cluster::Reply, error::ObError> {
        let mut s = server::lock(&self.shared);
        let account = s
            .cluster
            .account(&format!("root@{tenant}"))
            .ok_or_else(error::ObError::invalid_tenant_name)?;
        let mut session = cluster::Session {
            id: 0,
            tenant_id: account.tenant_id,
            user: account.user,
            privilege: account.privilege,
            encryption: None,
        };
        let mut engine = views::Engine::new(&s.cluster, &session)
            .map_err(|e| error::ObError::injected(4016, &e))?;
        let result = server::execute(&mut s.cluster, &mut engine, &mut session, sql);
        let outcome = match &result {
            Ok(_) => server::Outcome::Ok,
            Err(e) => server::Outcome::Error(e.code),
        };
        s.journal.push(JournalEntry {
            connection: 0,
            tenant: tenant.to_string(),
            sql: sql.to_string(),
            outcome,
        });
        result
    }
}

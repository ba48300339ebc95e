//! The tokio MySQL-protocol front end: accepts connections, authenticates
//! `user@tenant` logins with `mysql_native_password`, and answers text queries
//! from the shared cluster state. Every statement is recorded in the journal;
//! injected faults are applied before a statement runs.

use crate::cluster::{Cluster, Reply, Session};
use crate::error::ObError;
use crate::protocol::{self, PacketStream};
use crate::statement::{self, Statement};
use crate::views::Engine;
use rand::Rng;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::net::{TcpListener, TcpStream};

/// What happened to one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Succeeded (rows returned or affected).
    Ok,
    /// Failed with this error number.
    Error(u16),
    /// The connection was dropped by an injected fault; the statement did not run.
    Dropped,
    /// The statement ran, then the connection was dropped by an injected fault.
    DroppedAfter,
}

/// One journal line: a statement as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Connection id.
    pub connection: u32,
    /// Login tenant name.
    pub tenant: String,
    /// The statement text.
    pub sql: String,
    /// Its outcome.
    pub outcome: Outcome,
}

/// A one-shot fault for a statement whose text contains `pattern`
/// (case-insensitive): the first such statement after `skip` others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Substring to match.
    pub pattern: String,
    /// How many matching statements pass before the fault fires.
    pub skip: usize,
    /// What to do.
    pub action: FaultAction,
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Reply with this error number and message.
    Fail {
        /// The error number.
        code: u16,
        /// The message text.
        message: String,
    },
    /// Close the connection without replying (the statement does not run).
    DropConnection,
    /// Run the statement, then close the connection without replying (it
    /// took effect, but the client cannot know).
    DropAfter,
    /// Hold the statement this many milliseconds (without holding up other
    /// connections), then run and answer it: a slow server.
    Stall(u64),
}

/// State shared by every connection.
#[derive(Debug)]
pub struct Shared {
    /// The cluster.
    pub cluster: Cluster,
    /// Every statement received, in order.
    pub journal: Vec<JournalEntry>,
    /// Pending one-shot faults.
    pub faults: Vec<Fault>,
    next_connection: u32,
}

impl Shared {
    /// Wraps a cluster.
    pub fn new(cluster: Cluster) -> Self {
        Self {
            cluster,
            journal: Vec::new(),
            faults: Vec::new(),
            next_connection: 1,
        }
    }
}

/// Locks the shared state, recovering from a poisoned lock (a panicked session
/// must not take the simulator down).
pub fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The TLS the simulator serves, when it serves TLS.
pub type Tls = Option<Arc<rustls::ServerConfig>>;

/// Accepts connections forever; with `tls`, offers TLS to each.
pub async fn serve(listener: TcpListener, shared: Arc<Mutex<Shared>>, tls: Tls) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = Arc::clone(&shared);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let _ = handle(stream, shared, tls).await;
        });
    }
}

const COM_QUIT: u8 = 0x01;
const COM_INIT_DB: u8 = 0x02;
const COM_QUERY: u8 = 0x03;
const COM_PING: u8 = 0x0E;
const COM_STMT_PREPARE: u8 = 0x16;

/// A connection: the greeting, then, when the client asks for TLS with an
/// SSLRequest, the TLS handshake and the rest of the session over it.
async fn handle(stream: TcpStream, shared: Arc<Mutex<Shared>>, tls: Tls) -> std::io::Result<()> {
    let mut io = PacketStream::new(stream);
    let salt: [u8; 20] = {
        let mut rng = rand::rng();
        std::array::from_fn(|_| rng.random_range(b'!'..=b'~'))
    };
    let (connection_id, greeting) = {
        let mut s = lock(&shared);
        let id = s.next_connection;
        s.next_connection += 1;
        (
            id,
            protocol::handshake(&s.cluster.version_string(), id, &salt, tls.is_some()),
        )
    };
    io.write(&greeting).await?;
    io.flush().await?;
    let Some(packet) = io.read().await? else {
        return Ok(());
    };
    match tls {
        Some(config) if protocol::is_ssl_request(&packet) => {
            let sequence = io.sequence;
            let stream = tokio_rustls::TlsAcceptor::from(config)
                .accept(io.into_inner())
                .await?;
            let mut io = PacketStream::new(stream);
            io.sequence = sequence;
            let Some(packet) = io.read().await? else {
                return Ok(());
            };
            session(io, packet, shared, salt, connection_id).await
        }
        _ => session(io, packet, shared, salt, connection_id).await,
    }
}

/// The session after the greeting: `packet` is the client's
/// HandshakeResponse; then authentication and the command loop.
async fn session<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut io: PacketStream<S>,
    packet: Vec<u8>,
    shared: Arc<Mutex<Shared>>,
    salt: [u8; 20],
    connection_id: u32,
) -> std::io::Result<()> {
    let response = match protocol::parse_handshake_response(&packet) {
        Ok(r) => r,
        Err(why) => {
            io.write(&protocol::err(
                1043,
                "08S01",
                &format!("Bad handshake: {why}"),
            ))
            .await?;
            return io.flush().await;
        }
    };
    let deprecate_eof = response.capabilities & protocol::capability::DEPRECATE_EOF != 0;
    let mut auth = response.auth_response.clone();
    if response
        .plugin
        .as_deref()
        .is_some_and(|p| p != protocol::NATIVE_PASSWORD)
    {
        io.write(&protocol::auth_switch(&salt)).await?;
        io.flush().await?;
        let Some(reply) = io.read().await? else {
            return Ok(());
        };
        auth = reply;
    }
    let account = lock(&shared).cluster.account(&response.username);
    let Some(account) =
        account.filter(|a| protocol::verify_native_password(&a.password, &salt, &auth))
    else {
        let e = ObError::access_denied(&response.username);
        io.write(&protocol::err(e.code, e.sqlstate, &e.message))
            .await?;
        return io.flush().await;
    };
    let mut session = Session {
        id: connection_id,
        tenant_id: account.tenant_id,
        user: account.user.clone(),
        privilege: account.privilege.clone(),
        encryption: None,
    };
    let engine = {
        let s = lock(&shared);
        Engine::new(&s.cluster, &session)
    };
    // The session's user-level locks end with it, however the loop below ends.
    let _locks = ReleaseOnClose {
        locks: lock(&shared).cluster.user_locks.clone(),
        connection: connection_id,
    };
    let mut engine = match engine {
        Ok(e) => e,
        Err(why) => {
            io.write(&protocol::err(
                4016,
                "HY000",
                &format!("Internal error: {why}"),
            ))
            .await?;
            return io.flush().await;
        }
    };
    io.write(&protocol::ok(0)).await?;
    io.flush().await?;
    loop {
        let Some(packet) = io.read().await? else {
            return Ok(());
        };
        let Some((&command, body)) = packet.split_first() else {
            return Ok(());
        };
        let replies: Vec<Vec<u8>> = match command {
            COM_QUIT => return Ok(()),
            COM_PING | COM_INIT_DB => vec![protocol::ok(0)],
            COM_QUERY => {
                let sql = String::from_utf8_lossy(body).into_owned();
                let stall = take_fault(&mut lock(&shared).faults, &sql, true);
                if let Some(Fault {
                    action: FaultAction::Stall(ms),
                    ..
                }) = stall
                {
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                }
                match run(&shared, &mut engine, &mut session, &sql) {
                    None => return Ok(()),
                    Some(Ok(Reply::Ok(n))) => vec![protocol::ok(n)],
                    Some(Ok(Reply::Rows { columns, rows })) => {
                        protocol::result_set(&columns, &rows, deprecate_eof)
                    }
                    Some(Err(e)) => vec![protocol::err(e.code, e.sqlstate, &e.message)],
                }
            }
            COM_STMT_PREPARE => {
                let sql = String::from_utf8_lossy(body).into_owned();
                // OceanBase rejects `?` in SHOW PARAMETERS / ALTER SYSTEM at PREPARE with 1064
                // (reference header, observed on seekdb); the simulator serves the text protocol only.
                let e = if sql.contains('?') {
                    ObError::parse(
                        sql.split('?')
                            .nth(1)
                            .map_or("", |_| &sql[sql.find('?').unwrap_or(0)..]),
                    )
                } else {
                    ObError::not_supported(Some(
                        "obsim: prepared statements (COM_STMT_PREPARE) are",
                    ))
                };
                vec![protocol::err(e.code, e.sqlstate, &e.message)]
            }
            other => vec![protocol::err(
                1047,
                "08S01",
                &format!("Unknown command {other:#04x}"),
            )],
        };
        for r in replies {
            io.write(&r).await?;
        }
        io.flush().await?;
    }
}

/// Runs one statement: journal, faults, then the engine or the cluster.
/// `None` means: drop the connection.
fn run(
    shared: &Mutex<Shared>,
    engine: &mut Engine,
    session: &mut Session,
    sql: &str,
) -> Option<Result<Reply, ObError>> {
    let mut s = lock(shared);
    let tenant = s
        .cluster
        .tenants
        .get(&session.tenant_id)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    // The journal never keeps a backup password (it may be printed by tests).
    let journaled = redact_encryption(sql);
    let result = match take_fault(&mut s.faults, sql, false) {
        Some(Fault {
            action: FaultAction::DropAfter,
            ..
        }) => {
            let _ = execute(&mut s.cluster, engine, session, sql);
            s.journal.push(JournalEntry {
                connection: session.id,
                tenant,
                sql: journaled,
                outcome: Outcome::DroppedAfter,
            });
            return None;
        }
        Some(Fault {
            action: FaultAction::DropConnection,
            ..
        }) => {
            s.journal.push(JournalEntry {
                connection: session.id,
                tenant,
                sql: journaled,
                outcome: Outcome::Dropped,
            });
            return None;
        }
        Some(Fault {
            action: FaultAction::Fail { code, message },
            ..
        }) => Err(ObError::injected(code, &message)),
        Some(Fault {
            action: FaultAction::Stall(_),
            ..
        })
        | None => execute(&mut s.cluster, engine, session, sql),
    };
    let outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(e) => Outcome::Error(e.code),
    };
    s.journal.push(JournalEntry {
        connection: session.id,
        tenant,
        sql: journaled,
        outcome,
    });
    Some(result)
}

/// Releases a connection's user-level locks when it closes.
struct ReleaseOnClose {
    locks: crate::cluster::UserLocks,
    connection: u32,
}

impl Drop for ReleaseOnClose {
    fn drop(&mut self) {
        self.locks.release_all(self.connection);
    }
}

/// Takes the fault that fires on `sql`: among the stalls (`stalls`) or among
/// the other faults, the first whose pattern `sql` contains
/// (case-insensitive) and whose `skip` is spent; the matching ones it passes
/// count one statement off their `skip`.
fn take_fault(faults: &mut Vec<Fault>, sql: &str, stalls: bool) -> Option<Fault> {
    let lower = sql.to_lowercase();
    let mut firing = None;
    for (i, f) in faults.iter_mut().enumerate() {
        if matches!(f.action, FaultAction::Stall(_)) != stalls {
            continue;
        }
        if lower.contains(&f.pattern.to_lowercase()) {
            if f.skip == 0 {
                firing = Some(i);
                break;
            }
            f.skip -= 1;
        }
    }
    firing.map(|i| faults.remove(i))
}

/// `SET ENCRYPTION ON IDENTIFIED BY '…'` with the password replaced, for the journal.
fn redact_encryption(sql: &str) -> String {
    let upper = sql.to_uppercase();
    match (upper.find("IDENTIFIED BY"), upper.rfind("ONLY")) {
        (Some(a), Some(b)) if upper.trim_start().starts_with("SET ENCRYPTION") && b > a => {
            format!("{}IDENTIFIED BY '(sensitive)' {}", &sql[..a], &sql[b..])
        }
        _ => sql.to_string(),
    }
}

/// Parses and executes one statement against the cluster.
pub fn execute(
    cluster: &mut Cluster,
    engine: &mut Engine,
    session: &mut Session,
    sql: &str,
) -> Result<Reply, ObError> {
    let parsed = statement::parse(sql)?;
    if let Statement::SetSession(names) = &parsed {
        const KNOWN: &[&str] = &[
            "names",
            "sql_mode",
            "time_zone",
            "autocommit",
            "character_set_client",
            "character_set_results",
            "character_set_connection",
            "collation_connection",
            "ob_query_timeout",
            "ob_trx_timeout",
            "wait_timeout",
            "interactive_timeout",
            "transaction_isolation",
            "tx_isolation",
            "sql_select_limit",
        ];
        if let Some(unknown) = names.iter().find(|n| !KNOWN.contains(&n.as_str())) {
            return Err(ObError::unknown_variable(unknown));
        }
        return Ok(Reply::Ok(0));
    }
    if let Statement::Select(text) = &parsed {
        cluster.tick(Instant::now());
        return engine.query(cluster, session, text);
    }
    cluster.execute(session, &parsed)
}

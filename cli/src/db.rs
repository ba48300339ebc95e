//! The database edge: one sqlx MySQL connection, text protocol only
//! (`raw_sql`), rows decoded by column name into the planner's [`Row`]s.
//!
//! Connect options follow `shared/reference/rust-stack.md`: sqlx's connect
//! preamble (`SET sql_mode=…, time_zone=…, NAMES utf8mb4`) is turned off, and no
//! collation is forced, because some OceanBase builds break on it.

use obbackup_planner::live::Row;
use obbackup_planner::secret::Secret;
use obbackup_planner::sql::SqlText;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlDatabaseError};
use sqlx::{AssertSqlSafe, Column, ConnectOptions, Connection, Row as _};
use std::time::Duration;

/// A failure talking to the server.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DbError {
    /// The DSN does not parse.
    #[error("the DSN is not a valid mysql:// URL: {0}")]
    #[diagnostic(
        code(obbackup::db::dsn),
        help("mysql://USER%40TENANT:PASSWORD@HOST:PORT, e.g. mysql://root%40sys@127.0.0.1:2881")
    )]
    Dsn(String),
    /// The DSN requires TLS and it could not be set up.
    #[error("cannot connect to {target} with TLS: {reason}")]
    #[diagnostic(
        code(obbackup::db::tls),
        help(
            "the DSN's ssl-mode requires TLS: enable TLS on the OceanBase server or obproxy, give its CA with ssl-ca=/path/to/ca.pem (verify_ca, verify_identity), or, on a trusted network, use ssl-mode=preferred with --allow-plaintext-secrets"
        )
    )]
    Tls {
        /// Where the DSN points (no password).
        target: String,
        /// Why.
        reason: String,
    },
    /// The server could not be reached or refused the login.
    #[error("cannot connect to {target}: {reason}")]
    #[diagnostic(
        code(obbackup::db::connect),
        help(
            "check host, port, user@tenant and password; the login tenant is part of the user name (root%40sys)"
        )
    )]
    Connect {
        /// Where the DSN points (no password).
        target: String,
        /// Why.
        reason: String,
    },
    /// The server answered a statement with an error.
    #[error("{number} ({sqlstate}): {message}")]
    #[diagnostic(code(obbackup::db::server))]
    Server {
        /// The server error number.
        number: u16,
        /// The SQLSTATE.
        sqlstate: String,
        /// The message text.
        message: String,
    },
    /// The connection broke or timed out.
    #[error("connection lost: {0}")]
    #[diagnostic(code(obbackup::db::io))]
    Io(String),
}

impl DbError {
    /// The server's error number, when the server answered.
    pub fn number(&self) -> Option<u16> {
        match self {
            DbError::Server { number, .. } => Some(*number),
            _ => None,
        }
    }
}

fn from_sqlx(e: sqlx::Error) -> DbError {
    match &e {
        sqlx::Error::Database(db) => {
            let number = db
                .try_downcast_ref::<MySqlDatabaseError>()
                .map_or(0, MySqlDatabaseError::number);
            DbError::Server {
                number,
                sqlstate: db.code().map(|c| c.to_string()).unwrap_or_default(),
                message: db.message().to_string(),
            }
        }
        other => DbError::Io(other.to_string()),
    }
}

/// An open session. Statements run one at a time on this one connection, so
/// session state (encryption) is kept between them.
pub struct Session {
    conn: MySqlConnection,
    timeout: Duration,
    /// Statements sent on this session, for reports.
    pub statements_sent: usize,
    /// The tenant of the login name (`user@tenant[#cluster]`), `sys` without one:
    /// an observer logs a bare `user` into sys.
    pub login_tenant: String,
    /// Why secrets may travel on this connection, or why not.
    pub wire: Wire,
}

/// Whether what is sent on a connection is protected on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// The DSN requires TLS (`ssl-mode=required`, `verify_ca`,
    /// `verify_identity`): the connection fails rather than go in clear.
    Tls,
    /// The server is on this machine (a loopback address, `localhost`, a
    /// Unix socket): nothing crosses a network.
    Loopback,
    /// Neither: with `ssl-mode` `preferred` (the default) the client takes
    /// TLS when the server offers it but goes on in clear when it does not,
    /// or when someone between strips the offer.
    MaybePlain {
        /// `host:port`, for the message.
        target: String,
    },
}

impl Wire {
    /// What `options` promise about the wire.
    pub fn of(options: &MySqlConnectOptions) -> Wire {
        use sqlx::mysql::MySqlSslMode;
        let host = options.get_host().trim_matches(|c| c == '[' || c == ']');
        let loopback = options.get_socket().is_some()
            || host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match options.get_ssl_mode() {
            MySqlSslMode::Required | MySqlSslMode::VerifyCa | MySqlSslMode::VerifyIdentity => {
                Wire::Tls
            }
            _ if loopback => Wire::Loopback,
            _ => Wire::MaybePlain {
                target: format!("{}:{}", options.get_host(), options.get_port()),
            },
        }
    }
}

/// The tenant part of an OceanBase login name: `root@mysql_tenant#prod` →
/// `mysql_tenant`, `root` → `sys`.
pub fn tenant_of_login(user: &str) -> String {
    match user.split_once('@') {
        Some((_, rest)) => rest.split('#').next().unwrap_or("sys").to_string(),
        None => "sys".to_string(),
    }
}

/// OceanBase's MySQL-protocol port, used when a DSN names none (MySQL's
/// 3306 is never OceanBase's).
pub const DEFAULT_PORT: u16 = 2881;

const DSN_EXAMPLE: &str = "mysql://root%40sys:PASSWORD@10.0.0.1:2881";

/// Reads a DSN: only `mysql://` is accepted, the port defaults to 2881, and
/// what cannot be read is said with an example. Errors never contain the
/// password.
pub fn connect_options(dsn: &str) -> Result<MySqlConnectOptions, DbError> {
    let Some((scheme, _)) = dsn.split_once("://") else {
        return Err(DbError::Dsn(format!(
            "the DSN has no scheme: write it as a URL, {DSN_EXAMPLE}"
        )));
    };
    if !scheme.eq_ignore_ascii_case("mysql") {
        return Err(DbError::Dsn(format!(
            "the DSN scheme is {scheme}://; obbackup speaks the MySQL protocol: {DSN_EXAMPLE}"
        )));
    }
    let unreadable = || {
        DbError::Dsn(format!(
            "the DSN cannot be read as a URL: percent-encode @ : / # ? in the user and password (%40 %3A %2F %23 %3F), e.g. {DSN_EXAMPLE}"
        ))
    };
    let mut url = url::Url::parse(dsn).map_err(|_| unreadable())?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(unreadable());
    }
    if url.port().is_none() {
        url.set_port(Some(DEFAULT_PORT))
            .map_err(|()| unreadable())?;
    }
    MySqlConnectOptions::from_url(&url).map_err(|_| unreadable())
}

/// Where a DSN points, without its password (for messages).
pub fn describe(dsn: &str) -> String {
    match connect_options(dsn) {
        Ok(o) => format!("{}@{}:{}", o.get_username(), o.get_host(), o.get_port()),
        Err(_) => "(unparsable DSN)".into(),
    }
}

impl Session {
    /// Connects. `timeout` bounds the connect and every statement.
    pub async fn connect(dsn: &Secret, timeout: Duration) -> Result<Self, DbError> {
        let options = connect_options(dsn.expose())?
            .pipes_as_concat(false)
            .no_engine_substitution(false)
            .timezone(None)
            .set_names(false)
            .disable_statement_logging();
        if let Some((written, decoded)) = dsn_password(dsn.expose()) {
            crate::redact::register(&written);
            crate::redact::register(&decoded);
        }
        let wire = Wire::of(&options);
        let target = describe(dsn.expose());
        let login_tenant = tenant_of_login(options.get_username());
        let conn = tokio::time::timeout(timeout, options.connect())
            .await
            .map_err(|_| DbError::Connect {
                target: target.clone(),
                reason: format!("no answer within {}s", timeout.as_secs()),
            })?
            .map_err(|e| {
                let reason = redact_dsn_error(&from_sqlx(e).to_string(), dsn);
                if wire == Wire::Tls && (reason.contains("TLS") || reason.contains("certificate")) {
                    DbError::Tls { target, reason }
                } else {
                    DbError::Connect { target, reason }
                }
            })?;
        tracing::info!(target: "obbackup::db", "connected to {}", describe(dsn.expose()));
        Ok(Self {
            conn,
            timeout,
            statements_sent: 0,
            login_tenant,
            wire,
        })
    }

    /// Runs a query (reads carry no secrets) and returns its rows, columns
    /// keyed by lower-case name. Logged at debug level with its duration
    /// and row count.
    pub async fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        self.statements_sent += 1;
        let started = std::time::Instant::now();
        let rows = tokio::time::timeout(
            self.timeout,
            sqlx::raw_sql(AssertSqlSafe(sql.to_string())).fetch_all(&mut self.conn),
        )
        .await
        .map_err(|_| DbError::Io(format!("no answer within {}s", self.timeout.as_secs())))
        .and_then(|r| r.map_err(from_sqlx));
        let ms = (started.elapsed().as_secs_f64() * 1e4).round() / 10.0;
        let rows = match rows {
            Ok(rows) => {
                tracing::debug!(target: "obbackup::db", rows = rows.len(), ms, "read: {sql}");
                rows
            }
            Err(e) => {
                tracing::warn!(target: "obbackup::db", ms, error = %e, "read failed: {sql}");
                return Err(e);
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut map = Row::new();
            for (i, column) in row.columns().iter().enumerate() {
                // Text protocol: every value arrives as text, whatever its type.
                let value: Option<String> = row
                    .try_get_unchecked(i)
                    .map_err(|e| DbError::Io(e.to_string()))?;
                map.insert(column.name().to_ascii_lowercase(), value);
            }
            out.push(map);
        }
        Ok(out)
    }

    /// Runs a statement: registers its secret parts with [`crate::redact`],
    /// sends its text (which may carry credentials) and
    /// logs, at info level, only its shown form with the duration and the
    /// rows affected, or the error with the statement's secrets redacted.
    pub async fn execute(&mut self, sql: &SqlText, timeout: Duration) -> Result<u64, DbError> {
        self.statements_sent += 1;
        for secret in sql.secrets() {
            crate::redact::register(&secret);
        }
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(
            timeout,
            sqlx::raw_sql(AssertSqlSafe(sql.text.expose().to_string())).execute(&mut self.conn),
        )
        .await
        .map_err(|_| {
            DbError::Io(format!(
                "no answer within {}s; the statement may still complete on the server",
                timeout.as_secs()
            ))
        })
        .and_then(|r| r.map_err(from_sqlx));
        let ms = (started.elapsed().as_secs_f64() * 1e4).round() / 10.0;
        match result {
            Ok(done) => {
                let rows = done.rows_affected();
                tracing::info!(target: "obbackup::db", rows, ms, "sent: {}", sql.shown);
                Ok(rows)
            }
            Err(e) => {
                tracing::warn!(target: "obbackup::db", ms, error = %sql.redact(&e.to_string()), "failed: {}", sql.shown);
                Err(e)
            }
        }
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}

/// The DSN's password as written (percent-encoded) and decoded, if it has
/// a non-empty one.
fn dsn_password(dsn: &str) -> Option<(String, String)> {
    let url = url::Url::parse(dsn).ok()?;
    let written = url.password().filter(|p| !p.is_empty())?;
    let decoded = percent_encoding::percent_decode_str(written)
        .decode_utf8_lossy()
        .into_owned();
    Some((written.to_string(), decoded))
}

/// Removes the DSN's password (as written and decoded, however short) from
/// an error text, should a driver echo it.
fn redact_dsn_error(message: &str, dsn: &Secret) -> String {
    match dsn_password(dsn.expose()) {
        Some((written, decoded)) => message
            .replace(&written, obbackup_planner::secret::REDACTED)
            .replace(&decoded, obbackup_planner::secret::REDACTED),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connect_error_never_shows_the_password_as_written_or_decoded() {
        let dsn = Secret::new("mysql://root%40sys:p%40ss@10.0.0.1:2881".to_string());
        assert_eq!(
            redact_dsn_error("denied for p%40ss (p@ss)", &dsn),
            "denied for (sensitive) ((sensitive))"
        );
        let bare = Secret::new("mysql://root%40sys@10.0.0.1:2881".to_string());
        assert_eq!(redact_dsn_error("denied", &bare), "denied");
    }

    #[test]
    fn the_wire_is_protected_by_required_tls_or_loopback_only() {
        let wire = |dsn: &str| Wire::of(&connect_options(dsn).expect("reads"));
        assert_eq!(wire("mysql://root%40sys@127.0.0.1:2881"), Wire::Loopback);
        assert_eq!(wire("mysql://root%40sys@localhost"), Wire::Loopback);
        assert_eq!(wire("mysql://root%40sys@[::1]:2881"), Wire::Loopback);
        assert_eq!(
            wire("mysql://root%40sys@10.0.0.1:2881"),
            Wire::MaybePlain {
                target: "10.0.0.1:2881".into()
            }
        );
        assert!(matches!(
            wire("mysql://root%40sys@10.0.0.1?ssl-mode=preferred"),
            Wire::MaybePlain { .. }
        ));
        for mode in ["required", "verify_ca", "verify_identity"] {
            assert_eq!(
                wire(&format!("mysql://root%40sys@10.0.0.1?ssl-mode={mode}")),
                Wire::Tls,
                "{mode}"
            );
        }
    }

    #[test]
    fn dsns_are_mysql_urls_with_oceanbase_defaults() {
        let options = connect_options("mysql://root%40sys@127.0.0.1").expect("reads");
        assert_eq!(options.get_port(), DEFAULT_PORT);
        assert_eq!(options.get_username(), "root@sys");
        let options = connect_options("mysql://root%40sys:pw@127.0.0.1:2883").expect("reads");
        assert_eq!(options.get_port(), 2883);
        for (dsn, says) in [
            ("admin:pw@127.0.0.1:2881", "no scheme"),
            ("postgres://u:pw@h:5432/db", "postgres://"),
            ("mysql://root:se/cr#et@h:2881", "percent-encode"),
            ("mysql://", "percent-encode"),
        ] {
            let error = connect_options(dsn).expect_err(dsn).to_string();
            assert!(error.contains(says), "{dsn}: {error}");
            assert!(error.contains("mysql://"), "{dsn}: {error}");
            assert!(
                !error.contains("se/cr#et"),
                "{dsn}: the password leaked: {error}"
            );
        }
    }

    #[test]
    fn login_names_carry_the_tenant() {
        assert_eq!(
            super::tenant_of_login("root@mysql_tenant#prod"),
            "mysql_tenant"
        );
        assert_eq!(super::tenant_of_login("root@sys"), "sys");
        assert_eq!(super::tenant_of_login("root"), "sys");
    }
}

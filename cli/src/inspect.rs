//! Stage `inspect` (I/O half): runs the fixed reads of `obbackup_planner::sql`
//! on a session and hands the rows to `obbackup_planner::live`. The number of
//! queries does not depend on the number of tenants: one server query plus one
//! per `Read`.

use crate::db::{DbError, Session};
use crate::error::CliError;
use obbackup_planner::dialect::Dialect;
use obbackup_planner::live::{self, InspectError, LiveState};
use obbackup_planner::sql;
use std::collections::BTreeMap;

/// Reads the live state: the server query, the login query, then every `Read`.
pub async fn inspect(session: &mut Session) -> Result<LiveState, CliError> {
    let rows = match session.query(sql::SERVER_QUERY).await {
        Ok(rows) => rows,
        // No ob_version()/effective_tenant(): not OceanBase. Read version() to say what it is.
        Err(DbError::Server {
            number: 1305 | 1064 | 1046,
            ..
        }) => {
            let rows = session
                .query(sql::VERSION_FALLBACK_QUERY)
                .await
                .map_err(CliError::Db)?;
            let version = rows
                .first()
                .and_then(|r| r.get("version").cloned().flatten())
                .unwrap_or_default();
            return Err(CliError::Inspect(InspectError::NotOceanBase { version }));
        }
        Err(e) => return Err(CliError::Db(e)),
    };
    // effective_tenant() is not on every OceanBase kernel (seekdb answers 1305):
    // then the tenant comes from the login name.
    let login = match session.query(sql::LOGIN_QUERY).await {
        Ok(rows) => Some(rows),
        Err(DbError::Server {
            number: 1305 | 1064,
            ..
        }) => None,
        Err(e) => return Err(CliError::Db(e)),
    };
    let server = live::server_from_rows(&rows, login.as_deref(), &session.login_tenant)
        .map_err(CliError::Inspect)?;
    live::check_login(&server).map_err(CliError::Inspect)?;
    let mut reads = BTreeMap::new();
    for &read in Dialect::of(&server).reads() {
        let text = read.sql(server.sys_login());
        let rows = session
            .query(&text)
            .await
            .map_err(|e| access_error(e, &server.login_tenant, &text))?;
        reads.insert(read, rows);
    }
    live::from_rows(server, &reads).map_err(CliError::Inspect)
}

/// Turns a refused read into an error that says which privilege is missing.
fn access_error(e: DbError, tenant: &str, query: &str) -> CliError {
    match e.number() {
        Some(1142 | 1227 | 1044 | 1045) => CliError::Access {
            login_tenant: tenant.to_string(),
            view: query
                .split("FROM ")
                .nth(1)
                .and_then(|s| s.split_whitespace().next())
                .unwrap_or("?")
                .to_string(),
            cause: e.to_string(),
        },
        _ => CliError::Db(e),
    }
}

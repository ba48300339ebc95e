//! The `oceanbase` views, materialised into an in-memory SQLite database per
//! session so that any `SELECT` a client sends runs on a real SQL engine.
//!
//! Column names and order follow [S4.2.2] `ob_inner_table_schema_def.py` as listed
//! in `shared/reference/oceanbase-backup.md` §2.4 and §0.4 (GV$OB_PARAMETERS);
//! value formats follow §3 ("Simulator output shapes"). From sys the `CDB_` views
//! and `DBA_OB_TENANTS` exist; from a user tenant the `DBA_` views show that
//! tenant only, without `TENANT_ID` (§2.4). A view that does not exist for the
//! login is `1146`, as on OceanBase.

mod ob3;
mod ob4;

use crate::cluster::{Cluster, Reply, SCN_BASE_NS, SYS_TENANT_ID, Session};
use crate::error::ObError;
use crate::protocol::{Column, ColumnType};
use rusqlite::types::Value;
use std::time::Instant;

/// Column type in a view definition.
#[derive(Clone, Copy)]
enum T {
    /// BIGINT.
    I,
    /// VARCHAR.
    S,
    /// DECIMAL, kept as text.
    D,
}

type Row = Vec<Value>;

struct View {
    name: &'static str,
    columns: &'static [(&'static str, T)],
    /// Rows for the sys tenant's CDB view; the first column is TENANT_ID unless `tenant_scoped` is false.
    rows: fn(&Cluster, Instant) -> Vec<Row>,
    /// Whether a `DBA_` twin exists for user tenants (TENANT_ID dropped, rows filtered).
    dba_twin: bool,
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn int(n: u64) -> Value {
    Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Whether `column` of view `view` is missing on the cluster's build.
/// `DATA_PROGRESS` of the backup task views: in `CDB_OB_BACKUP_TASKS` from
/// v4.2.1_CE_BP3 (4.2.1.3) on the 4.2.1 line, in v4.2.2_CE and every 4.3
/// build; in `DBA_OB_BACKUP_TASKS` from v4.3.1_CE_BETA (4.3.1.0)
/// (`src/share/inner_table/ob_inner_table_schema_def.py` at those tags).
fn absent_column(cluster: &Cluster, view: &str, column: &str) -> bool {
    if column != "DATA_PROGRESS" {
        return false;
    }
    let v = &cluster.version_parts;
    let at = |parts: &[u32]| v.as_slice() >= parts;
    match view {
        "CDB_OB_BACKUP_TASKS" => {
            let on_4_2_1 = v.starts_with(&[4, 2, 1]);
            !((on_4_2_1 && at(&[4, 2, 1, 3])) || (!on_4_2_1 && at(&[4, 2, 2])))
        }
        "DBA_OB_BACKUP_TASKS" => !at(&[4, 3, 1]),
        _ => false,
    }
}

/// SCN at `at`: nanoseconds since the Unix epoch on the simulated clock.
fn scn_at(cluster: &Cluster, at: Instant) -> u64 {
    cluster.sim_ns(at)
}

/// Formats nanoseconds since the epoch as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC).
pub fn display_time(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let micros = (ns % 1_000_000_000) / 1_000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil-from-days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{micros:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A per-session SQL engine over the views.
pub struct Engine {
    conn: rusqlite::Connection,
    /// (view name as created, columns) for every view this session can see.
    tables: Vec<(String, Vec<(&'static str, T)>)>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("tables", &self.tables.len())
            .finish()
    }
}

fn decl(t: T) -> &'static str {
    match t {
        T::I => "INTEGER",
        T::S => "TEXT",
        T::D => "DECIMAL_TEXT",
    }
}

impl Engine {
    /// Creates the engine for `session`, with the SQL functions OceanBase offers
    /// that clients use to learn the server (`version()`, `ob_version()`,
    /// `effective_tenant()`, `effective_tenant_id()`, `database()`, `current_user()`).
    pub fn new(cluster: &Cluster, session: &Session) -> Result<Self, String> {
        use rusqlite::functions::FunctionFlags;
        let conn = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
        conn.execute_batch("ATTACH DATABASE ':memory:' AS oceanbase")
            .map_err(|e| e.to_string())?;
        let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
        let tenant_name = cluster
            .tenants
            .get(&session.tenant_id)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let constants: Vec<(&str, Value)> = vec![
            ("version", text(cluster.version_string())),
            ("ob_version", text(&cluster.version)),
            ("effective_tenant", text(tenant_name)),
            ("effective_tenant_id", int(session.tenant_id)),
            ("database", text("oceanbase")),
            ("current_user", text(format!("{}@%", session.user))),
        ];
        for (name, value) in constants {
            conn.create_scalar_function(name, 0, flags, move |_| Ok(value.clone()))
                .map_err(|e| e.to_string())?;
        }
        // NOW() / NOW(6): the simulated wall clock, in the format of the time columns.
        let epoch = cluster.epoch;
        for arity in [0, 1] {
            conn.create_scalar_function("now", arity, FunctionFlags::SQLITE_UTF8, move |_| {
                let ns = SCN_BASE_NS + u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(0);
                Ok(text(display_time(ns)))
            })
            .map_err(|e| e.to_string())?;
        }
        // UNIX_TIMESTAMP(): the same clock in seconds since the Unix epoch;
        // the simulated server shows its times in UTC, so NOW() less this is 0.
        conn.create_scalar_function("unix_timestamp", 0, FunctionFlags::SQLITE_UTF8, move |_| {
            let ns = SCN_BASE_NS + u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(0);
            Ok(int(ns / 1_000_000_000))
        })
        .map_err(|e| e.to_string())?;
        // GET_LOCK and its companions exist from 4.3.1.0 (v4.3.1_CE_BETA
        // src/sql/engine/expr/ob_expr_operator_factory.cpp; absent in
        // v4.3.0_CE_BETA): before, the name is unknown (1305).
        if !cluster.line.is_ob3() && cluster.version_parts.as_slice() >= [4, 3, 1, 0].as_slice() {
            let (tenant, connection) = (session.tenant_id, session.id);
            let locks = cluster.user_locks.clone();
            conn.create_scalar_function("get_lock", 2, FunctionFlags::SQLITE_UTF8, move |ctx| {
                let name: String = ctx.get(0)?;
                Ok(locks.get(tenant, &name, connection))
            })
            .map_err(|e| e.to_string())?;
            let locks = cluster.user_locks.clone();
            conn.create_scalar_function(
                "release_lock",
                1,
                FunctionFlags::SQLITE_UTF8,
                move |ctx| {
                    let name: String = ctx.get(0)?;
                    Ok(locks.release(tenant, &name, connection))
                },
            )
            .map_err(|e| e.to_string())?;
            let locks = cluster.user_locks.clone();
            conn.create_scalar_function(
                "is_used_lock",
                1,
                FunctionFlags::SQLITE_UTF8,
                move |ctx| {
                    let name: String = ctx.get(0)?;
                    Ok(locks.holder(tenant, &name).map(i64::from))
                },
            )
            .map_err(|e| e.to_string())?;
            let locks = cluster.user_locks.clone();
            conn.create_scalar_function(
                "is_free_lock",
                1,
                FunctionFlags::SQLITE_UTF8,
                move |ctx| {
                    let name: String = ctx.get(0)?;
                    Ok(i64::from(locks.holder(tenant, &name).is_none()))
                },
            )
            .map_err(|e| e.to_string())?;
        }
        let mut tables = Vec::new();
        let sys = session.tenant_id == SYS_TENANT_ID;
        if cluster.line.is_ob3() {
            // 3.x: the CDB views and inner tables exist for sys only (reference §1.4).
            if sys {
                for view in ob3::VIEWS {
                    tables.push((view.name.to_string(), view.columns.to_vec()));
                }
            }
            return Self::create(conn, tables);
        }
        for view in ob4::VIEWS {
            if sys || view.name == "DBA_OB_TENANTS" {
                // DBA_OB_TENANTS from a user tenant shows that tenant's row only
                // (**UNCONFIRMED** for 4.1+; 4.0 made it sys-only, reference §2.4).
                tables.push((view.name.to_string(), view.columns.to_vec()));
            } else if view.dba_twin {
                tables.push((
                    view.name.replacen("CDB_", "DBA_", 1),
                    view.columns[1..].to_vec(),
                ));
            }
        }
        tables.push(("GV$OB_PARAMETERS".to_string(), ob4::PARAMETERS.to_vec()));
        tables.push(("V$OB_PARAMETERS".to_string(), ob4::PARAMETERS.to_vec()));
        for (name, columns) in &mut tables {
            columns.retain(|(column, _)| !absent_column(cluster, name, column));
        }
        Self::create(conn, tables)
    }

    fn create(
        conn: rusqlite::Connection,
        tables: Vec<(String, Vec<(&'static str, T)>)>,
    ) -> Result<Self, String> {
        for (name, columns) in &tables {
            let cols: Vec<String> = columns
                .iter()
                .map(|(c, t)| format!("\"{c}\" {}", decl(*t)))
                .collect();
            conn.execute_batch(&format!(
                "CREATE TABLE oceanbase.\"{name}\" ({})",
                cols.join(", ")
            ))
            .map_err(|e| e.to_string())?;
        }
        Ok(Self { conn, tables })
    }

    /// Runs a SELECT for `session` after refreshing the views it mentions.
    pub fn query(
        &mut self,
        cluster: &Cluster,
        session: &Session,
        sql: &str,
    ) -> Result<Reply, ObError> {
        let upper = sql.to_uppercase();
        let mentioned: Vec<usize> = (0..self.tables.len())
            .filter(|&i| upper.contains(&self.tables[i].0))
            .collect();
        if let (true, Some(&i)) = (session.privilege == "none", mentioned.first()) {
            return Err(ObError::select_denied(&session.user, &self.tables[i].0));
        }
        let now = Instant::now();
        let tx = self.conn.transaction().map_err(internal)?;
        for &i in &mentioned {
            let (name, columns) = &self.tables[i];
            let rows = Self::rows_for(cluster, session, name, now);
            // Columns this build lacks are dropped from the rows as from the table.
            let full = Self::columns_of(cluster, session, name);
            let keep: Vec<usize> = full
                .iter()
                .enumerate()
                .filter(|(_, c)| !absent_column(cluster, name, c))
                .map(|(k, _)| k)
                .collect();
            let rows: Vec<Row> = if keep.len() == full.len() {
                rows
            } else {
                rows.into_iter()
                    .map(|r| keep.iter().map(|&k| r[k].clone()).collect())
                    .collect()
            };
            debug_assert!(rows.iter().all(|r| r.len() == columns.len()));
            tx.execute(&format!("DELETE FROM oceanbase.\"{name}\""), [])
                .map_err(internal)?;
            let marks = vec!["?"; columns.len()].join(", ");
            let mut insert = tx
                .prepare(&format!(
                    "INSERT INTO oceanbase.\"{name}\" VALUES ({marks})"
                ))
                .map_err(internal)?;
            for row in rows {
                insert
                    .execute(rusqlite::params_from_iter(row))
                    .map_err(internal)?;
            }
        }
        tx.commit().map_err(internal)?;
        let mut stmt = self
            .conn
            .prepare(&quote_dollar_names(sql))
            .map_err(|e| map_sqlite_error(&e, sql))?;
        let undeclared: Vec<bool> = stmt
            .columns()
            .iter()
            .map(|c| c.decl_type().is_none())
            .collect();
        let columns: Vec<Column> = stmt
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string(),
                kind: match c.decl_type() {
                    Some("INTEGER") => ColumnType::BigInt,
                    Some("DECIMAL_TEXT") => ColumnType::Decimal,
                    _ => ColumnType::Varchar,
                },
            })
            .collect();
        let width = columns.len();
        let mut out_rows = Vec::new();
        let mut rows = stmt.query([]).map_err(|e| map_sqlite_error(&e, sql))?;
        while let Some(row) = rows.next().map_err(|e| map_sqlite_error(&e, sql))? {
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                let value: Value = row.get(i).map_err(internal)?;
                cells.push(match value {
                    Value::Null => None,
                    Value::Integer(n) => Some(n.to_string()),
                    Value::Real(f) => Some(f.to_string()),
                    Value::Text(s) => Some(s),
                    Value::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                });
            }
            out_rows.push(cells);
        }
        // Expression columns have no declared type: report BIGINT when every value is an integer.
        let mut columns = columns;
        for (i, col) in columns.iter_mut().enumerate() {
            if col.kind == ColumnType::Varchar
                && !out_rows.is_empty()
                && undeclared[i]
                && out_rows
                    .iter()
                    .all(|r| r[i].as_deref().is_some_and(|v| v.parse::<i64>().is_ok()))
            {
                col.kind = ColumnType::BigInt;
            }
        }
        Ok(Reply::Rows {
            columns,
            rows: out_rows,
        })
    }

    /// The view `name` answers from (a `DBA_` name finds its `CDB_` twin).
    fn view(cluster: &Cluster, name: &str) -> Option<&'static View> {
        let cdb = name.replacen("DBA_", "CDB_", 1);
        let list = if cluster.line.is_ob3() {
            ob3::VIEWS
        } else {
            ob4::VIEWS
        };
        list.iter()
            .find(|v| v.name == name || (v.dba_twin && v.name == cdb))
    }

    /// Every column a view has on the newest build, as its rows carry them.
    fn columns_of(cluster: &Cluster, session: &Session, name: &str) -> Vec<&'static str> {
        if name == "GV$OB_PARAMETERS" || name == "V$OB_PARAMETERS" {
            return ob4::PARAMETERS.iter().map(|(c, _)| *c).collect();
        }
        let sys = session.tenant_id == SYS_TENANT_ID;
        let Some(view) = Self::view(cluster, name) else {
            return Vec::new();
        };
        let skip = usize::from(!sys && view.dba_twin && view.name != name);
        view.columns[skip..].iter().map(|(c, _)| *c).collect()
    }

    fn rows_for(cluster: &Cluster, session: &Session, name: &str, now: Instant) -> Vec<Row> {
        let sys = session.tenant_id == SYS_TENANT_ID;
        if name == "GV$OB_PARAMETERS" || name == "V$OB_PARAMETERS" {
            return ob4::parameter_rows(cluster, if sys { None } else { Some(session.tenant_id) });
        }
        let Some(view) = Self::view(cluster, name) else {
            return Vec::new();
        };
        let rows = (view.rows)(cluster, now);
        if sys {
            return rows;
        }
        let own = int(session.tenant_id);
        if !view.dba_twin {
            return rows.into_iter().filter(|r| r[0] == own).collect();
        }
        rows.into_iter()
            .filter(|r| r[0] == own)
            .map(|mut r| r.split_off(1))
            .collect()
    }
}

/// SQLite does not take `$` inside bare identifiers (`GV$OB_PARAMETERS`): quote such names.
fn quote_dollar_names(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut word = String::new();
    let mut in_string = false;
    for c in sql.chars() {
        if in_string {
            out.push(c);
            if c == '\'' {
                in_string = false;
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
            word.push(c);
            continue;
        }
        flush_word(&mut out, &mut word);
        if c == '\'' {
            in_string = true;
        }
        out.push(c);
    }
    flush_word(&mut out, &mut word);
    out
}

fn flush_word(out: &mut String, word: &mut String) {
    if word.contains('$') {
        out.push('"');
        out.push_str(&word.to_uppercase());
        out.push('"');
    } else {
        out.push_str(word);
    }
    word.clear();
}

fn internal(e: rusqlite::Error) -> ObError {
    ObError::injected(4016, &format!("Internal error: {e}"))
}

/// Maps SQLite's complaints to the MySQL/OceanBase errors a client would get.
fn map_sqlite_error(e: &rusqlite::Error, sql: &str) -> ObError {
    let message = e.to_string();
    if let Some(name) = message.strip_prefix("no such table: ") {
        let name = name.trim_matches('"');
        let full = if name.contains('.') {
            name.to_string()
        } else {
            format!("oceanbase.{name}")
        };
        return ObError::no_such_table(&full);
    }
    if let Some(name) = message.strip_prefix("no such column: ") {
        return ObError::unknown_column(name);
    }
    if let Some(name) = message.strip_prefix("ambiguous column name: ") {
        return ObError::injected(1052, &format!("Column '{name}' in field list is ambiguous"));
    }
    if let Some(name) = message.strip_prefix("no such function: ") {
        return ObError::injected(
            1305,
            &format!("FUNCTION oceanbase.{} does not exist", name.to_lowercase()),
        );
    }
    let near = message
        .split("near \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|token| sql.find(token).map(|at| &sql[at..]))
        .unwrap_or(sql);
    ObError::parse(near)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_time_formats_utc() {
        assert_eq!(display_time(SCN_BASE_NS), "2024-06-20 12:00:00.000000");
        assert_eq!(
            display_time(1_706_670_992_366_131_000),
            "2024-01-31 03:16:32.366131"
        );
    }

    #[test]
    fn dollar_names_are_quoted_outside_strings() {
        assert_eq!(
            quote_dollar_names("SELECT a FROM oceanbase.GV$OB_PARAMETERS WHERE NAME = 'x$y'"),
            "SELECT a FROM oceanbase.\"GV$OB_PARAMETERS\" WHERE NAME = 'x$y'"
        );
    }
}

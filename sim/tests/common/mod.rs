//! Helpers shared by the simulator's behaviour tests (`mod common;` in each
//! test file): the error number of a reply, the rows of a query, waiting for a
//! status, and tables of statements with the error each must get.
//!
//! Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use obsim::Simulator;
use obsim::cluster::Reply;
use obsim::error::ObError;

/// The error number of a reply: 0 when the statement succeeded, otherwise the
/// MySQL error number the simulator sends (e.g. 5099).
pub fn code(result: Result<Reply, ObError>) -> u16 {
    match result {
        Ok(_) => 0,
        Err(e) => e.code,
    }
}

/// The rows `sql` returns when run as `root@tenant`; panics when it fails or
/// returns no result set.
#[track_caller]
pub fn rows(sim: &Simulator, tenant: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    match sim.execute_as(tenant, sql).expect("query runs") {
        Reply::Rows { rows, .. } => rows,
        Reply::Ok(_) => panic!("{sql} returned no rows"),
    }
}

/// Polls `sql` as `sys` every 5 ms, up to 2 s, until the first column of its
/// first row is `want`; panics if it never is.
#[track_caller]
pub fn wait_for(sim: &Simulator, sql: &str, want: &str) {
    for _ in 0..400 {
        if rows(sim, "sys", sql)
            .first()
            .and_then(|r| r[0].clone())
            .as_deref()
            == Some(want)
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("{sql} never returned {want}");
}

/// What a row of an error table expects of the message.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// Any message (or success).
    Any,
    /// Exactly this message.
    Is(&'a str),
}

/// One row of an error table: login tenant, statement, expected error number
/// (0 for success), expected message.
pub type Row<'a> = (&'a str, &'a str, u16, Message<'a>);

/// Runs the rows in order on `sim` (so a row sees the state the rows before it
/// left) and panics once, listing every row whose error number or message is
/// not the expected one, with its tenant and statement.
#[track_caller]
pub fn assert_codes(sim: &Simulator, table: &[Row<'_>]) {
    let mut failures = Vec::new();
    for (index, &(tenant, sql, want, message)) in table.iter().enumerate() {
        let (got, text) = match sim.execute_as(tenant, sql) {
            Ok(_) => (0, String::new()),
            Err(e) => (e.code, e.message),
        };
        let message_ok = match message {
            Message::Any => true,
            Message::Is(expected) => text == expected,
        };
        if got != want || !message_ok {
            failures.push(format!(
                "row {index}: {tenant}> {sql}\n    got {got} {text:?}, want {want} {message:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

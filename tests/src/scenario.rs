//! What the scenario runner and the fault-position test share: how a
//! scenario's configuration is read, the date and environment it plans with,
//! the live-state read, and the apply options (fast polls).

use obbackup::{db, executor, inspect};
use obbackup_planner::config::{Config, decode};
use obbackup_planner::desired::Environment;
use obbackup_planner::graph::TieBreak;
use obbackup_planner::live::LiveState;
use obbackup_planner::plan::{self, Timeouts};
use obbackup_planner::secret::Secret;
use std::path::Path;
use std::time::Duration;

/// The date `ignore` blocks are evaluated on (2026-12-01), fixed so snapshots are stable.
pub fn today() -> time::Date {
    time::Date::from_calendar_date(2026, time::Month::December, 1).expect("date")
}

/// The environment every scenario plans with: `env("OB_BACKUP_PASSWORD")`.
pub fn environment() -> Environment {
    [(
        "OB_BACKUP_PASSWORD".to_string(),
        "scenario-password".to_string(),
    )]
    .into()
}

/// Planner options: default timeouts, [`today`], and the given follow and tie-break.
pub fn options(follow: bool, tie_break: TieBreak) -> plan::Options {
    plan::Options {
        timeouts: Timeouts::default(),
        today: today(),
        follow_backups: follow,
        tie_break,
    }
}

/// The configuration at `path`; panics naming the file on a read or decode error.
pub fn config_at(path: &Path) -> Config {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let (config, errors) = decode(&text);
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    config
}

/// Connects (10 s limit) and reads the live state; panics on either failure.
pub async fn read(dsn: &Secret) -> (db::Session, LiveState) {
    let mut session = db::Session::connect(dsn, Duration::from_secs(10))
        .await
        .expect("connects");
    let live = inspect::inspect(&mut session).await.expect("reads");
    (session, live)
}

/// Apply options for the simulator's fast delays: 20 ms polls, 10 s per statement.
pub const APPLY: executor::Options = executor::Options {
    poll: Duration::from_millis(20),
    statement_timeout: Duration::from_secs(10),
};

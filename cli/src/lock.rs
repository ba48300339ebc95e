//! One apply at a time per cluster. Where the build has MySQL-mode
//! user-level locks (4.3.1 on: [`Capability::UserLevelLocks`]), apply takes
//! the lock [`sql::APPLY_LOCK`] in its login tenant before it reads the
//! cluster, and holds it until its steps have run; a second apply retries
//! once a second up to `--lock-timeout`, then stops naming the holder's
//! connection. Locks are per tenant in OceanBase, so two applies exclude each
//! other when they log into the same tenant (sys for every cluster-wide one).
//! Where the build has none, apply re-reads the cluster before its first
//! statement instead (`commands::apply`).

use crate::db::Session;
use crate::error::CliError;
use crate::output;
use obbackup_planner::dialect::capability::{Build, Capability};
use obbackup_planner::sql;
use std::time::{Duration, Instant};

/// What [`acquire`] obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lock {
    /// This session holds the lock.
    Held,
    /// The build has no lock to take (or refused it): why, for the log.
    Unavailable(String),
}

/// Takes the apply lock on `session`, retrying once a second for up to
/// `timeout` while another session holds it. Reads `ob_version()` first to
/// know whether the build has the lock.
///
/// Errors: [`CliError::Locked`] naming the holder when it is still held
/// after `timeout`; [`CliError::Db`] when the session breaks.
pub async fn acquire(session: &mut Session, timeout: Duration) -> Result<Lock, CliError> {
    let rows = session
        .query(sql::SERVER_QUERY)
        .await
        .map_err(CliError::Db)?;
    let version = rows
        .first()
        .and_then(|r| r.get("ob_version").cloned().flatten())
        .unwrap_or_default();
    let has_locks = Build::parse(&version).is_some_and(|b| Capability::UserLevelLocks.on(b));
    if !has_locks {
        return Ok(Lock::Unavailable(format!(
            "OceanBase {version} has no GET_LOCK (it arrived in {})",
            Capability::UserLevelLocks.first()
        )));
    }
    let started = Instant::now();
    let mut said = false;
    loop {
        let got = match session.query(&sql::get_lock(sql::APPLY_LOCK)).await {
            Ok(rows) => rows
                .first()
                .and_then(|r| r.get("got").cloned().flatten())
                .unwrap_or_default(),
            // A tenant whose data version predates the functions answers 1235.
            Err(e) if e.number().is_some() => {
                return Ok(Lock::Unavailable(format!("GET_LOCK was refused: {e}")));
            }
            Err(e) => return Err(CliError::Db(e)),
        };
        match got.as_str() {
            "1" => {
                tracing::info!(lock = sql::APPLY_LOCK, "apply lock taken");
                return Ok(Lock::Held);
            }
            "0" => {}
            other => {
                return Ok(Lock::Unavailable(format!("GET_LOCK answered {other:?}")));
            }
        }
        let holder = session
            .query(&sql::is_used_lock(sql::APPLY_LOCK))
            .await
            .ok()
            .and_then(|rows| {
                rows.first()
                    .and_then(|r| r.get("holder").cloned().flatten())
            })
            .unwrap_or_else(|| "unknown".into());
        if started.elapsed() >= timeout {
            return Err(CliError::Locked {
                holder,
                waited: started.elapsed().as_secs(),
            });
        }
        if !said {
            output::info(&format!(
                "another apply holds the apply lock (connection {holder}); waiting up to {}s for it",
                timeout.as_secs()
            ));
            said = true;
        }
        tokio::time::sleep(Duration::from_secs(1).min(timeout.saturating_sub(started.elapsed())))
            .await;
    }
}

/// Releases the apply lock (best effort: the lock also ends with the session).
pub async fn release(session: &mut Session, lock: &Lock) {
    if *lock == Lock::Held {
        let _ = session.query(&sql::release_lock(sql::APPLY_LOCK)).await;
    }
}

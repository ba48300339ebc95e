//! Archive health as policy (4.x): `log_archive { max_lag = "5m" }` is
//! breached when the tenant's dest-0 archive round is meant to be running and
//! its checkpoint (`CDB_OB_ARCHIVELOG.CHECKPOINT_SCN_DISPLAY`) is further
//! behind the server's clock (`NOW(6)`) than the limit. That covers a DOING
//! round that lags, and a round stuck in INTERRUPTED, or in a transition
//! (PREPARE, BEGINNING, STOPPING, SUSPENDING) after a media failure: the
//! checkpoint of a round that does not archive stops moving, so its lag is how
//! long it has not archived (the view has no time of the last status change).
//! STOP and SUSPEND are states an operator chose (`NOARCHIVELOG`,
//! `LOG_ARCHIVE_DEST_STATE = 'DEFER'`): not breaches. Round statuses: v4.2.2_CE_BP1
//! `src/share/backup/ob_archive_struct.cpp` (`ObArchiveRoundState`).
//!
//! A breach is reported as a [`Change`] of `log_archive.max_lag` whose
//! `before` is what was observed and `after` the limit; no statement can fix
//! it, so it is drift (and a `status` problem) but never a step.

use crate::address::{Address, Scope, Setting};
use crate::change::{Change, age_text};
use crate::desired::LogArchive;
use crate::live::{LiveTenant, parse_timestamp};
use crate::states::RoundStatus;

/// The breach of `policy.max_lag` by `tenant` at server time `now` (seconds),
/// or `None` (no limit declared, archiving stopped or suspended on purpose,
/// no checkpoint yet, or within the limit).
pub fn archive_lag(
    scope: &Scope,
    policy: &LogArchive,
    tenant: &LiveTenant,
    now: i64,
) -> Option<Change> {
    let round = tenant.archive_round.as_ref()?;
    round_lag(
        scope,
        policy.max_lag.as_ref()?,
        round.round_id,
        &round.status,
        round.checkpoint.as_deref(),
        now,
    )
}

/// The breach of `limit` by a round (`round_id`, `status`, `checkpoint` as
/// the server shows it) at server time `now`, for either line: on 3.x the
/// cluster's round of `CDB_OB_BACKUP_ARCHIVELOG`, whose `MAX_NEXT_TIME` is the
/// checkpoint (v3.1.5_CE_HF2 `src/share/backup/ob_log_archive_backup_info_mgr.cpp`,
/// `parse_log_archive_status_`), STOP its chosen state.
pub fn round_lag(
    scope: &Scope,
    limit: &crate::desired::Located<crate::units::Duration>,
    round_id: u64,
    status: &RoundStatus,
    checkpoint: Option<&str>,
    now: i64,
) -> Option<Change> {
    if matches!(status, RoundStatus::Stop | RoundStatus::Suspend) {
        return None;
    }
    let checkpoint = checkpoint.and_then(parse_timestamp)?;
    let lag = now - checkpoint;
    let limit_seconds = limit.value.as_secs();
    (lag > limit_seconds).then(|| {
        Change::new(
            Address {
                scope: scope.clone(),
                setting: Setting::LogArchiveMaxLag,
            },
            Some(format!(
                "round {round_id} {status}, checkpoint {} behind",
                age_text(lag)
            )),
            format!("max_lag {}", limit.value.canonical()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::Located;
    use crate::live::ArchiveRound;
    use crate::units::Duration;

    /// 2024-06-20 12:00:00 UTC.
    const NOW: i64 = 1_718_884_800;

    fn tenant(status: &str, checkpoint: Option<&str>) -> LiveTenant {
        let mut t = crate::live::blank_tenant();
        t.archive_round = Some(ArchiveRound {
            round_id: 3,
            status: RoundStatus::parse(status),
            checkpoint: checkpoint.map(str::to_string),
        });
        t
    }

    fn policy(max_lag: &str) -> LogArchive {
        LogArchive {
            max_lag: Some(Located {
                value: Duration::parse(max_lag).expect("duration"),
                span: 0..0,
            }),
            ..LogArchive::default()
        }
    }

    fn check(status: &str, checkpoint: Option<&str>, max_lag: &str) -> Option<Change> {
        archive_lag(
            &Scope::Tenant("t".into()),
            &policy(max_lag),
            &tenant(status, checkpoint),
            NOW,
        )
    }

    #[test]
    fn a_lagging_or_stuck_round_breaches_and_a_chosen_stop_does_not() {
        let twelve_minutes_ago = Some("2024-06-20 11:48:00.000000");
        let breach = check("DOING", twelve_minutes_ago, "5m").expect("breach");
        assert_eq!(breach.address.to_string(), "tenant.t.log_archive.max_lag");
        assert_eq!(
            breach.before.as_deref(),
            Some("round 3 DOING, checkpoint 12m behind")
        );
        assert_eq!(breach.after, "max_lag 5m");
        assert!(check("DOING", twelve_minutes_ago, "15m").is_none());
        for stuck in ["INTERRUPTED", "STOPPING", "SUSPENDING", "BEGINNING"] {
            let b = check(stuck, twelve_minutes_ago, "5m").expect(stuck);
            assert!(b.before.as_deref().is_some_and(|t| t.contains(stuck)));
        }
        for chosen in ["STOP", "SUSPEND"] {
            assert!(
                check(chosen, twelve_minutes_ago, "5m").is_none(),
                "{chosen}"
            );
        }
        assert!(check("DOING", None, "5m").is_none(), "no checkpoint yet");
        let mut no_policy = policy("5m");
        no_policy.max_lag = None;
        assert!(
            archive_lag(
                &Scope::Tenant("t".into()),
                &no_policy,
                &tenant("DOING", twelve_minutes_ago),
                NOW
            )
            .is_none()
        );
    }
}

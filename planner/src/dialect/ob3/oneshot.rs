//! The 3.x steps of a one-shot backup or cancel (`obbackup backup`).

use super::*;

/// The 3.x request: one cluster backup (`BACKUP [INCREMENTAL] DATABASE`) or
/// `CANCEL BACKUP` (9049 when nothing runs is "nothing to cancel", §1.3).
pub fn oneshot_steps(
    live: &LiveState,
    cluster: &crate::dialect::ob3::LiveCluster,
    request: &Request,
    timeouts: Timeouts,
    notes: &mut Vec<String>,
) -> Result<Vec<Step>, OneShotError> {
    let mut steps = Vec::new();
    let cluster_step = |action, verb: &str, kind| {
        Step::new(
            StepId::cluster(verb),
            action,
            kind,
            None,
            crate::dialect::ob3::CLUSTER,
        )
    };
    match request {
        Request::Backup {
            incremental,
            tenants,
            plus_archivelog,
            follow,
        } => {
            if !tenants.is_empty() {
                return Err(OneShotError::NotReady {
                    tenant: tenants.join(", "),
                    why: "OceanBase 3.x backs up the whole cluster".into(),
                    help: "leave out --tenant: OceanBase 3.x backs up the whole cluster".into(),
                });
            }
            if *plus_archivelog {
                return Err(OneShotError::PlusArchivelog(live.server.ob_version.clone()));
            }
            let not_ready = |why: String, help: &str| OneShotError::NotReady {
                tenant: crate::dialect::ob3::CLUSTER.into(),
                why,
                help: help.into(),
            };
            if cluster.archive_status != Some(RoundStatus::Doing) {
                return Err(not_ready(
                    format!(
                        "the log archive is {}, not DOING",
                        cluster
                            .archive_status
                            .as_ref()
                            .map_or("never started", RoundStatus::as_str)
                    ),
                    "start log archiving first (OceanBase answers 9040)",
                ));
            }
            if let Some(busy) = cluster.backup_in_progress() {
                return Err(not_ready(
                    busy,
                    "wait for it, or cancel it (OceanBase answers 9036)",
                ));
            }
            if *incremental && !cluster.last_completed.contains_key(&BackupType::Full) {
                notes.push("cluster: no successful backup set: OceanBase records this incremental as a full backup".into());
            }
            let verb = if *incremental {
                "backup_incremental"
            } else {
                "backup_full"
            };
            steps.push(cluster_step(
                StepAction::Backup,
                verb,
                StepKind::Sql(sql::backup(*incremental, &[], true, false)),
            ));
            if *follow {
                let wait = Wait {
                    until: WaitUntil::BackupJob {
                        after_job_id: cluster.max_bs_key,
                        follow: true,
                        expect_password: false,
                    },
                    query: sql::cluster_backup_query(cluster.max_bs_key),
                    timeout_seconds: timeouts.backup_run,
                    tenant_id: None,
                };
                steps.push(cluster_step(
                    StepAction::WaitBackupJob,
                    "wait_backup_job",
                    StepKind::Wait(wait),
                ));
            }
        }
        Request::Cancel { tenants, follow } => {
            if !tenants.is_empty() {
                return Err(OneShotError::NotReady {
                    tenant: tenants.join(", "),
                    why: "OceanBase 3.x backs up the whole cluster".into(),
                    help: "leave out --tenant".into(),
                });
            }
            // v3.1.5_CE_HF2 src/rootserver/ob_backup_cancel_scheduler.cpp:
            // STOP answers 9049, PREPARE and CLEANUP 9041.
            if let Some(phase @ (BackupPhase::Prepare | BackupPhase::Cleanup)) =
                &cluster.backup_status
            {
                return Err(OneShotError::NotReady {
                    tenant: crate::dialect::ob3::CLUSTER.into(),
                    why: format!("the cluster backup is in {phase}"),
                    help: "OceanBase cannot cancel a backup in PREPARE or CLEANUP (9041): wait for it to end or to start its set".into(),
                });
            }
            if cluster.backup_in_progress().is_none() {
                notes.push(
                    "nothing to cancel: no backup is running (OceanBase would answer 9049)".into(),
                );
            } else {
                steps.push(cluster_step(
                    StepAction::CancelBackup,
                    "cancel_backup",
                    StepKind::Sql(sql::cancel_backup(&Target::Own)),
                ));
                if *follow {
                    let wait = Wait {
                        until: WaitUntil::NoBackupJobs,
                        query: sql::CLUSTER_RUNNING_BACKUP_QUERY.into(),
                        timeout_seconds: timeouts.backup_jobs,
                        tenant_id: None,
                    };
                    steps.push(cluster_step(
                        StepAction::WaitBackupJobsGone,
                        "wait_backup_jobs_gone",
                        StepKind::Wait(wait),
                    ));
                }
            }
        }
    }
    Ok(steps)
}

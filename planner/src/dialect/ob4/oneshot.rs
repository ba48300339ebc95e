//! The 4.x steps of a one-shot backup or cancel (`obbackup backup`).

use super::*;

/// The 4.x steps of a one-shot request (`obbackup backup`): per tenant, a
/// backup (checked as OceanBase checks it: the tenant NORMAL, its round
/// DOING, a data destination, no job of its own or of a sys backup under
/// way; reference §2.5 B) or a cancel where a job runs, each followed when
/// asked; notes gain what the user should know.
pub fn oneshot_steps(
    live: &LiveState,
    request: &Request,
    timeouts: Timeouts,
    notes: &mut Vec<String>,
) -> Result<Vec<Step>, OneShotError> {
    let sys = live.server.sys_login();
    let mut steps = Vec::new();
    match request {
        Request::Backup {
            incremental,
            tenants: named,
            plus_archivelog,
            follow,
        } => {
            if *plus_archivelog && !live.server.at_least(&[4, 2]) {
                return Err(OneShotError::PlusArchivelog(live.server.ob_version.clone()));
            }
            for name in tenants(live, named)? {
                let Some(t) = live.tenants().get(&name) else {
                    return Err(OneShotError::UnknownTenant(name));
                };
                let not_ready = |why: String, help: &str| OneShotError::NotReady {
                    tenant: name.clone(),
                    why,
                    help: help.to_string(),
                };
                if t.status != crate::states::TenantStatus::Normal {
                    return Err(not_ready(
                        format!("its status is {}", t.status),
                        "wait until the tenant is NORMAL (OceanBase answers 9040)",
                    ));
                }
                if t.round_status() != Some(&RoundStatus::Doing) {
                    return Err(not_ready(
                        format!(
                            "its log archive round is {}, not DOING",
                            t.round_status().map_or("absent", RoundStatus::as_str)
                        ),
                        "start log archiving first: declare log_archive and run obbackup apply (OceanBase answers 9040)",
                    ));
                }
                let Some(dest) = &t.data_backup_dest else {
                    return Err(not_ready(
                        "it has no data backup destination".into(),
                        "set data_backup.destination and apply first (OceanBase answers 9040)",
                    ));
                };
                if let Some(job) = t.backup_jobs.first() {
                    return Err(not_ready(
                        format!(
                            "backup job {} ({} {}) is running",
                            job.job_id, job.backup_type, job.status
                        ),
                        "wait for it, or cancel it with obbackup backup cancel (OceanBase answers 9036)",
                    ));
                }
                if let Some(job) = t.cluster_job {
                    return Err(not_ready(
                        format!("a backup started from sys (cluster job {job}) is under way"),
                        "wait for it: OceanBase starts the tenants' jobs at its next scheduling pass and answers 9036 meanwhile",
                    ));
                }
                if *incremental && !t.has_base_in(dest) {
                    notes.push(format!("tenant {name}: no usable backup set in the current data destination: OceanBase runs this incremental as a full backup"));
                }
                let target = if sys { vec![name.clone()] } else { Vec::new() };
                let verb = if *incremental {
                    "backup_incremental"
                } else {
                    "backup_full"
                };
                steps.push(oneshot_step(
                    &name,
                    StepAction::Backup,
                    verb,
                    StepKind::Sql(sql::backup(*incremental, &target, !sys, *plus_archivelog)),
                ));
                if *follow {
                    let wait = Wait {
                        until: WaitUntil::BackupJob {
                            after_job_id: t.max_job_id,
                            follow: true,
                            expect_password: false,
                        },
                        query: sql::backup_job_query(sys, t.id, t.max_job_id),
                        timeout_seconds: timeouts.backup_run,
                        tenant_id: sys.then_some(t.id),
                    };
                    steps.push(oneshot_step(
                        &name,
                        StepAction::WaitBackupJob,
                        "wait_backup_job",
                        StepKind::Wait(wait),
                    ));
                }
            }
        }
        Request::Cancel {
            tenants: named,
            follow,
        } => {
            for name in tenants(live, named)? {
                let Some(t) = live.tenants().get(&name) else {
                    return Err(OneShotError::UnknownTenant(name));
                };
                if t.backup_jobs.is_empty() {
                    continue;
                }
                let target = if sys {
                    Target::Tenant(name.clone())
                } else {
                    Target::Own
                };
                steps.push(oneshot_step(
                    &name,
                    StepAction::CancelBackup,
                    "cancel_backup",
                    StepKind::Sql(sql::cancel_backup(&target)),
                ));
                if *follow {
                    let wait = Wait {
                        until: WaitUntil::NoBackupJobs,
                        query: sql::backup_jobs_query(sys, t.id),
                        timeout_seconds: timeouts.backup_jobs,
                        tenant_id: sys.then_some(t.id),
                    };
                    steps.push(oneshot_step(
                        &name,
                        StepAction::WaitBackupJobsGone,
                        "wait_backup_jobs_gone",
                        StepKind::Wait(wait),
                    ));
                }
            }
            if steps.is_empty() {
                notes.push("nothing to cancel: no backup job is running".into());
            }
        }
    }
    Ok(steps)
}

/// A one-shot step of tenant `name`.
pub(super) fn oneshot_step(name: &str, action: StepAction, verb: &str, kind: StepKind) -> Step {
    Step {
        id: StepId::tenant(name, verb),
        action,
        kind,
        tenant: Some(name.to_string()),
        covers: vec![name.to_string()],
        addresses: Vec::new(),
        hazards: Vec::new(),
        depends_on: Vec::new(),
        session: Vec::new(),
        timeout_seconds: None,
    }
}

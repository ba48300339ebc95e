//! One-shot operations (`obbackup backup full|incremental|cancel`): a plan built
//! from a request instead of a configuration, with the same preconditions,
//! statements, waits and redaction as declared backups.
//!
//! Preconditions (reference §2.5 B): the tenant exists and is NORMAL, its archive
//! round is DOING (B2), its data destination is set (B3), and it has no running
//! job (B4, the same initiator may not start a second). `CANCEL BACKUP` with no
//! running job is "nothing to cancel", not an error (§2.3).
#![allow(unused_assignments)] // miette derive false positive (miette#458)

use crate::graph::TieBreak;
use crate::live::LiveState;
use crate::plan::{Plan, PlanError, Step, StepAction, StepId, StepKind, Timeouts, Wait, WaitUntil};
use crate::sql::{self, Target};
use crate::states::{BackupPhase, BackupType, RoundStatus};

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Start a backup of each tenant.
    Backup {
        /// `BACKUP INCREMENTAL` (OceanBase makes it full without a base, B7).
        incremental: bool,
        /// Tenants; empty = every user tenant (sys) or the login tenant.
        tenants: Vec<String>,
        /// `PLUS ARCHIVELOG` (4.2+).
        plus_archivelog: bool,
        /// Follow each job to its end.
        follow: bool,
    },
    /// Cancel running backups.
    Cancel {
        /// Tenants; empty = every user tenant (sys) or the login tenant.
        tenants: Vec<String>,
        /// Wait until the jobs are gone.
        follow: bool,
    },
}

/// Why a one-shot operation cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum OneShotError {
    /// The tenant does not exist (or is not a user tenant).
    #[error("tenant {0} does not exist in the cluster")]
    #[diagnostic(code(obbackup::backup::tenant))]
    UnknownTenant(String),
    /// A user-tenant login naming another tenant.
    #[error("logged into tenant {login}, which can act only on itself, not on {other}")]
    #[diagnostic(
        code(obbackup::backup::scope),
        help("log in as root@sys to act on several tenants")
    )]
    OutOfReach {
        /// The login tenant.
        login: String,
        /// The tenant named.
        other: String,
    },
    /// A tenant that cannot be backed up now.
    #[error("tenant {tenant} cannot be backed up now: {why}")]
    #[diagnostic(code(obbackup::backup::precondition), help("{help}"))]
    NotReady {
        /// The tenant.
        tenant: String,
        /// Why.
        why: String,
        /// What to do instead.
        help: String,
    },
    /// PLUS ARCHIVELOG before 4.2.
    #[error("PLUS ARCHIVELOG needs OceanBase 4.2 or later; the server runs {0}")]
    #[diagnostic(code(obbackup::backup::plus_archivelog))]
    PlusArchivelog(String),
    /// A planning bug.
    #[error("{0}")]
    #[diagnostic(code(obbackup::internal))]
    Internal(String),
}

fn tenants(live: &LiveState, named: &[String]) -> Result<Vec<String>, OneShotError> {
    if !live.server.sys_login() {
        if let Some(other) = named.iter().find(|n| **n != live.server.login_tenant) {
            return Err(OneShotError::OutOfReach {
                login: live.server.login_tenant.clone(),
                other: other.clone(),
            });
        }
        return Ok(vec![live.server.login_tenant.clone()]);
    }
    if named.is_empty() {
        return Ok(live.tenants().keys().cloned().collect());
    }
    for n in named {
        if !live.tenants().contains_key(n) {
            return Err(OneShotError::UnknownTenant(n.clone()));
        }
    }
    let mut out = named.to_vec();
    out.sort();
    out.dedup();
    Ok(out)
}

fn step(name: &str, action: StepAction, verb: &str, kind: StepKind) -> Step {
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

/// The 3.x request: one cluster backup (`BACKUP [INCREMENTAL] DATABASE`) or
/// `CANCEL BACKUP` (9049 when nothing runs is "nothing to cancel", §1.3).
fn plan_cluster(
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

/// A one-shot plan of `steps`: no changes, no options, the forward tie-break.
fn assemble(live: &LiveState, steps: Vec<Step>, notes: Vec<String>) -> Result<Plan, OneShotError> {
    Plan::assemble(
        live,
        Vec::new(),
        steps,
        TieBreak::Forward,
        notes,
        Vec::new(),
    )
    .map_err(|e: PlanError| OneShotError::Internal(e.to_string()))
}

/// Builds the plan of a one-shot request.
pub fn plan(live: &LiveState, request: &Request, timeouts: Timeouts) -> Result<Plan, OneShotError> {
    let sys = live.server.sys_login();
    if let crate::live::LiveScopes::Cluster { cluster } = &live.scopes {
        let mut notes = Vec::new();
        let steps = plan_cluster(live, cluster, request, timeouts, &mut notes)?;
        return assemble(live, steps, notes);
    }
    let mut steps = Vec::new();
    let mut notes = Vec::new();
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
                steps.push(step(
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
                    steps.push(step(
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
                steps.push(step(
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
                    steps.push(step(
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
    assemble(live, steps, notes)
}

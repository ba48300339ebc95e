//! `obbackup backup full|incremental|cancel`: one-shot backups and cancel.

use super::*;

/// `obbackup backup full|incremental|cancel`: plans the request and runs it.
pub async fn run(action: BackupAction) -> Result<u8, CliError> {
    use obbackup_planner::oneshot::{self, Request};
    // Canceling running jobs is a hazard: it is confirmed, as apply confirms it.
    let mut cancel_needs_approval = false;
    let (request, target, waits) = match action {
        BackupAction::Full(a) => (
            Request::Backup {
                incremental: false,
                tenants: a.tenants,
                plus_archivelog: a.plus_archivelog,
                follow: a.waits.wait,
            },
            a.target,
            a.waits,
        ),
        BackupAction::Incremental(a) => (
            Request::Backup {
                incremental: true,
                tenants: a.tenants,
                plus_archivelog: a.plus_archivelog,
                follow: a.waits.wait,
            },
            a.target,
            a.waits,
        ),
        BackupAction::Cancel(a) => {
            cancel_needs_approval = !a.auto_approve;
            (
                Request::Cancel {
                    tenants: a.tenants,
                    follow: a.waits.wait,
                },
                a.target,
                a.waits,
            )
        }
    };
    let mut session = connect(&target, None).await?;
    let live = inspect::inspect(&mut session).await?;
    let plan = oneshot::plan(&live, &request, timeouts(&waits)).map_err(CliError::OneShot)?;
    output::human(&render::human(&plan));
    if plan.steps.is_empty() {
        session.close().await;
        return Ok(0);
    }
    if cancel_needs_approval {
        if !output::interactive() {
            session.close().await;
            return Err(CliError::Refused(
                "backup cancel cancels the running backup job(s) above and nobody can be asked: pass --auto-approve to cancel them".into(),
            ));
        }
        if !output::confirm("Cancel the running backup job(s) above?") {
            session.close().await;
            output::info("Nothing was canceled.");
            return Ok(1);
        }
    }
    if let Err(e) = guard_secrets(&session, &plan, &target) {
        session.close().await;
        return Err(e);
    }
    let options = executor::Options {
        poll: Duration::from_millis(waits.poll_interval_ms.max(10)),
        statement_timeout: Duration::from_secs(target.timeout),
    };
    let report = executor::run(&mut session, &plan, options).await;
    session.close().await;
    output::result(&render::apply_report(&report));
    if let Some((step, cause, help)) = report.failure() {
        return Err(CliError::StepFailed {
            step: step.to_string(),
            cause: cause.to_string(),
            help: help.to_string(),
        });
    }
    Ok(0)
}

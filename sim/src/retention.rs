//! OceanBase 4.x retention: the delete policy `default` of each tenant
//! (`ALTER SYSTEM ADD|DROP DELETE BACKUP POLICY`), its cleanup jobs, and the
//! archive pieces they delete. Every check follows the tag and file cited on
//! it; the hourly cleanup itself is not simulated (fixtures seed its jobs).

use crate::cluster::{Cluster, Reply, SYS_TENANT_ID, Session};
use crate::error::ObError;
use crate::fixture::{DeleteJobSeed, PieceSeed4};
use crate::statement::TenantList;
use std::time::Instant;

/// A cleanup job (`CDB_OB_BACKUP_DELETE_JOBS` / `…_JOB_HISTORY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteJob {
    /// `TENANT_ID`.
    pub tenant_id: u64,
    /// `JOB_ID`.
    pub job_id: u64,
    /// `STATUS`: INIT, DOING, COMPLETED, FAILED, CANCELING, CANCELED
    /// (v4.2.2_CE_BP1 `src/share/backup/ob_backup_clean_struct.cpp`).
    pub status: String,
    /// Start, simulated ns.
    pub start_ns: u64,
    /// End, simulated ns (none while running).
    pub end_ns: Option<u64>,
    /// `PARAMETER`: the expiry time the job deletes up to, simulated ns.
    pub expiry_ns: u64,
    /// `RESULT`: the error code, 0 on success.
    pub result: i64,
    /// `COMMENT`: the error's text on failure, empty on success.
    pub comment: String,
}

/// A 4.x archive piece (`CDB_OB_ARCHIVELOG_PIECE_FILES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// `TENANT_ID`.
    pub tenant_id: u64,
    /// `DEST_ID`.
    pub dest_id: u64,
    /// `ROUND_ID`.
    pub round_id: u64,
    /// `PIECE_ID`.
    pub piece_id: u64,
    /// `STATUS`: ACTIVE, FREEZING, FROZEN, INACTIVE.
    pub status: String,
    /// `FILE_STATUS`: AVAILABLE, DELETING, DELETED, …
    pub file_status: String,
    /// `START_SCN` (simulated ns).
    pub start_scn: u64,
    /// `CHECKPOINT_SCN` (simulated ns).
    pub checkpoint_scn: u64,
    /// `PATH`.
    pub path: String,
}

/// How long ago, as a duration string of the fixture, in simulated ns before `now_ns`.
fn ago(now_ns: u64, text: &str, what: &str) -> Result<u64, String> {
    crate::parameter::parse_time_us(text)
        .map(|us| now_ns.saturating_sub(us * 1000))
        .ok_or_else(|| format!("{what} {text:?} is not a duration"))
}

impl Cluster {
    /// Seeds a tenant's delete policy, cleanup jobs and archive pieces from
    /// the fixture; `archive` is the tenant's archive destination (path,
    /// dest id), which pieces belong to unless they name a path. Errors name
    /// the entry that is not valid.
    pub(crate) fn seed_retention(
        &mut self,
        tenant_id: u64,
        policy: Option<&str>,
        jobs: &[DeleteJobSeed],
        pieces: &[PieceSeed4],
        archive: Option<(&str, u64)>,
        now: Instant,
    ) -> Result<(), String> {
        let now_ns = self.sim_ns(now);
        if let Some(window) = policy {
            self.delete_policies.insert(tenant_id, window.to_string());
        }
        for seed in jobs {
            let job_id = self.next_delete_job_id(tenant_id);
            let start_ns = ago(now_ns, &seed.started_ago, "started_ago")?;
            let running = matches!(seed.status.as_str(), "INIT" | "DOING" | "CANCELING");
            let end_ns = if running {
                None
            } else {
                Some(ago(now_ns, &seed.ended_ago, "ended_ago")?)
            };
            let job = DeleteJob {
                tenant_id,
                job_id,
                status: seed.status.clone(),
                start_ns,
                end_ns,
                expiry_ns: start_ns,
                result: seed.result,
                comment: seed.comment.clone(),
            };
            if running {
                self.delete_jobs.push(job);
            } else {
                self.delete_job_history.push(job);
            }
        }
        for seed in pieces {
            let path = seed
                .path
                .clone()
                .or_else(|| archive.map(|(p, _)| p.to_string()))
                .ok_or("a piece needs a path or the tenant's archive_dest")?;
            self.archive_pieces.push(Piece {
                tenant_id,
                dest_id: archive.map_or(0, |(_, id)| id),
                round_id: seed.round_id,
                piece_id: seed.piece_id,
                status: seed.status.clone(),
                file_status: seed.file_status.clone(),
                start_scn: ago(now_ns, &seed.started_ago, "started_ago")?,
                checkpoint_scn: ago(now_ns, &seed.checkpoint_ago, "checkpoint_ago")?,
                path,
            });
        }
        Ok(())
    }

    fn next_delete_job_id(&self, tenant_id: u64) -> u64 {
        self.delete_jobs
            .iter()
            .chain(&self.delete_job_history)
            .filter(|j| j.tenant_id == tenant_id)
            .map(|j| j.job_id)
            .max()
            .unwrap_or(0)
            + 1
    }

    /// `ALTER SYSTEM ADD|DROP DELETE BACKUP POLICY`, checked in the order of
    /// `ObDeletePolicyResolver::resolve` (identical in v4.0.0_CE..v4.3.1_CE_BETA,
    /// `src/sql/resolver/cmd/ob_alter_system_resolver.cpp`): the name must be
    /// `default` (case-sensitive); a user tenant may not name tenants; sys must
    /// name exactly one; ADD needs RECOVERY_WINDOW or REDUNDANCY, a window its
    /// time parser reads, and without a window a redundancy of 1. Every refusal
    /// is 1235. Naming sys is 4016 (`get_tenant_ids`), an unknown name 5160.
    /// ADD inserts into `__all_backup_delete_policy` with no existence check,
    /// so adding twice is the primary key's 1062; DROP deletes without
    /// checking that a row went (v4.2.2_CE_BP1
    /// `src/share/backup/ob_backup_clean_operator.cpp`, `ObDeletePolicyOperator`).
    pub(crate) fn delete_policy(
        &mut self,
        session: &Session,
        add: bool,
        name: &str,
        recovery_window: Option<&str>,
        redundancy: Option<i64>,
        tenants: Option<&TenantList>,
    ) -> Result<Reply, ObError> {
        if name != "default" {
            return Err(ObError::not_supported(Some(
                "The policy name is not 'default', it is",
            )));
        }
        let sys = session.tenant_id == SYS_TENANT_ID;
        let tenant_id = match (tenants, sys) {
            (Some(_), false) => {
                return Err(ObError::not_supported(Some(
                    "user tenant cannot specify tenant names",
                )));
            }
            (None, true) => {
                return Err(ObError::not_supported(Some(
                    "Too little tenant names specified, only one tenant name can be specified",
                )));
            }
            (None, false) => session.tenant_id,
            (Some(list), true) => {
                let names = match list {
                    TenantList::Names(names) => names.clone(),
                    TenantList::All => vec!["all".to_string()],
                    TenantList::AllUser => vec!["all_user".to_string()],
                    TenantList::AllMeta => vec!["all_meta".to_string()],
                };
                let mut ids = Vec::new();
                for n in &names {
                    let t = self
                        .tenant_by_name(n)
                        .ok_or_else(ObError::invalid_tenant_name)?;
                    if t.id == SYS_TENANT_ID {
                        return Err(ObError::unexpected());
                    }
                    ids.push(t.id);
                }
                if ids.len() > 1 {
                    return Err(ObError::not_supported(Some(
                        "Too many tenant names specified, only one tenant name can be specified",
                    )));
                }
                ids[0]
            }
        };
        if !add {
            self.delete_policies.remove(&tenant_id);
            return Ok(Reply::Ok(0));
        }
        match (recovery_window, redundancy) {
            (None, None) => {
                return Err(ObError::not_supported(Some(
                    "Neither recovery_window nor redundancy is set",
                )));
            }
            (Some(w), _) if !w.is_empty() && crate::parameter::parse_time_us(w).is_none() => {
                return Err(ObError::not_supported(Some(
                    "recovery window is not be time string",
                )));
            }
            (None | Some(""), Some(r)) if r != 1 => {
                return Err(ObError::not_supported(Some("Redundancy not equal to 1 is")));
            }
            _ => {}
        }
        if self.delete_policies.contains_key(&tenant_id) {
            return Err(ObError::duplicate_entry(
                &format!("{tenant_id}-default"),
                "PRIMARY",
            ));
        }
        self.delete_policies
            .insert(tenant_id, recovery_window.unwrap_or("").to_string());
        Ok(Reply::Ok(1))
    }

    /// The pieces `CDB_OB_ARCHIVELOG_PIECE_FILES` shows: the seeded ones, and
    /// for a tenant whose round is DOING and has no piece of that round, one
    /// ACTIVE piece from the round's start to `now`.
    pub fn pieces_at(&self, now: Instant) -> Vec<Piece> {
        let mut out = self.archive_pieces.clone();
        for t in self.tenants.values() {
            let Some(round) = &t.round else { continue };
            let has = out
                .iter()
                .any(|p| p.tenant_id == t.id && p.round_id == round.round_id);
            if round.status == "DOING" && !has {
                out.push(Piece {
                    tenant_id: t.id,
                    dest_id: round.dest_id,
                    round_id: round.round_id,
                    piece_id: 1,
                    status: "ACTIVE".into(),
                    file_status: "AVAILABLE".into(),
                    start_scn: self.sim_ns(round.started),
                    checkpoint_scn: self.sim_ns(now).saturating_sub(round.lag_ns),
                    path: round.path.clone(),
                });
            }
        }
        out
    }
}

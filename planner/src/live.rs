//! Stage `inspect` (pure half): rows of the fixed reads in [`crate::sql`] →
//! [`LiveState`]. The caller runs the queries; [`from_rows`] hands the rows to
//! the dialect of the server's line (4.x tenants: `dialect::ob4::from_rows`;
//! the 3.x cluster: `dialect::ob3::from_rows`), which decode them by their
//! lower-case column aliases with the helpers here, reporting missing or
//! malformed values by name. The 4.x model types live here, beside the
//! shared ones.
//!
//! Values follow `shared/reference/oceanbase-backup.md` §2.4: `CDB_OB_ARCHIVE_DEST`
//! rows `path, binding, dest_id, piece_switch_interval, state`; `CDB_OB_ARCHIVELOG`
//! keeps a `STOP` row after a round stops; `DBA_OB_TENANTS.LOG_MODE` is
//! `ARCHIVELOG`/`NOARCHIVELOG` (4.1+); `GV$OB_PARAMETERS` has one row per tenant
//! and server.
#![allow(unused_assignments)] // miette derive false positive (miette#458)

use crate::destination::Destination;
use crate::sql::Read;
use crate::states::{
    BackupType, DestState, FileStatus, JobStatus, PieceStatus, RoundStatus, SetStatus, TenantStatus,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One result row: lower-case column name → text (NULL is `None`).
pub type Row = BTreeMap<String, Option<String>>;

/// Problems reading the live state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum InspectError {
    /// The server is not OceanBase at all.
    #[error("the server is not OceanBase: version() = {version:?}")]
    #[diagnostic(
        code(obbackup::inspect::not_oceanbase),
        help("point --dsn at an OceanBase observer or OBProxy (MySQL port, usually 2881 or 2883)")
    )]
    NotOceanBase {
        /// The version as found.
        version: String,
    },
    /// An OceanBase line this build does not plan for.
    #[error("OceanBase {version} is not supported: {why}")]
    #[diagnostic(code(obbackup::inspect::unsupported_line), help("{help}"))]
    UnsupportedLine {
        /// The version as found.
        version: String,
        /// Why.
        why: String,
        /// What to do instead.
        help: String,
    },
    /// A read returned a row without an expected column.
    #[error("{read} returned no column `{column}`")]
    #[diagnostic(code(obbackup::inspect::column))]
    MissingColumn {
        /// The read (view) it came from.
        read: String,
        /// The column.
        column: String,
    },
    /// A read returned a value obbackup cannot interpret.
    #[error("{read} returned `{column}` = {value:?}, which is not {expected}")]
    #[diagnostic(code(obbackup::inspect::value))]
    BadValue {
        /// The read (view) it came from.
        read: String,
        /// The column.
        column: String,
        /// The value as found.
        value: String,
        /// What was expected.
        expected: String,
    },
}

/// One parameter value from a row of `SHOW PARAMETERS` (its own lower-case
/// columns) or of `GV$OB_PARAMETERS` / `V$OB_PARAMETERS` read with lower-case
/// aliases: `(server, name, value)`. The server is `ip:port` where the row has
/// `svr_ip`/`svr_port` (multi-server OceanBase), else `local` (seekdb's
/// `SHOW PARAMETERS` has no such columns). `value` is text whatever `data_type`
/// says (reference, rust-stack "sqlx 0.9 with OceanBase").
pub fn parameter_row(row: &Row, read: &str) -> Result<(String, String, String), InspectError> {
    let server = match (
        row.get("svr_ip").cloned().flatten(),
        row.get("svr_port").cloned().flatten(),
    ) {
        (Some(ip), Some(port)) => format!("{ip}:{port}"),
        _ => "local".to_string(),
    };
    let name = required(row, read, "name")?.to_ascii_lowercase();
    let value = get(row, read, "value")?.unwrap_or_default().to_string();
    Ok((server, name, value))
}

/// The values of parameter `name` per server in rows of `SHOW PARAMETERS` or
/// `[G]V$OB_PARAMETERS` (see [`parameter_row`]).
pub fn parameter_values(
    rows: &[Row],
    read: &str,
    name: &str,
) -> Result<BTreeMap<String, String>, InspectError> {
    let mut out = BTreeMap::new();
    for row in rows {
        let (server, n, value) = parameter_row(row, read)?;
        if n.eq_ignore_ascii_case(name) {
            out.insert(server, value);
        }
    }
    Ok(out)
}

/// The server line and login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Server {
    /// `ob_version()`, e.g. `4.2.2.1`.
    pub ob_version: String,
    /// Its numeric parts.
    pub parts: Vec<u32>,
    /// `version()`, e.g. `5.7.25-OceanBase_CE-v4.2.2.1`.
    pub version: String,
    /// `effective_tenant()`, or the tenant of the login name (`user@tenant`).
    pub login_tenant: String,
    /// `effective_tenant_id()`, when the server has it.
    pub login_tenant_id: Option<u64>,
    /// 4.x: the lowest build of the cluster's servers (`min_observer_version`,
    /// lowest across servers), when read: during a rolling upgrade it is below
    /// `ob_version()`, and OceanBase refuses what the older build lacks.
    pub min_observer_version: Option<crate::dialect::capability::Build>,
    /// `NOW(6)` on the server, the clock backup ages are measured with
    /// (not fingerprinted: it moves).
    #[serde(skip)]
    pub server_time: Option<String>,
    /// `UNIX_TIMESTAMP()` at the same instant: seconds since the Unix epoch
    /// (not fingerprinted: it moves).
    #[serde(skip)]
    pub server_epoch: Option<i64>,
}

impl Server {
    /// Logged into sys (tenant id 1): every tenant is managed with `TENANT =` clauses.
    pub fn sys_login(&self) -> bool {
        match self.login_tenant_id {
            Some(id) => id == 1,
            None => self.login_tenant.eq_ignore_ascii_case("sys"),
        }
    }

    /// OceanBase 3.x: cluster-level backup (reference §1).
    pub fn is_cluster_level(&self) -> bool {
        self.parts.first() == Some(&3)
    }

    /// Whether the line is at least `parts` (`&[4, 2, 1]`).
    pub fn at_least(&self, parts: &[u32]) -> bool {
        self.parts.as_slice() >= parts
    }

    /// Whether this build takes `capability`
    /// ([`crate::dialect::capability`]); false when `ob_version` is not a build.
    pub fn takes(&self, capability: crate::dialect::capability::Capability) -> bool {
        crate::dialect::capability::Build::parse(&self.ob_version).is_some_and(|b| capability.on(b))
    }
}

pub(crate) fn get<'a>(
    row: &'a Row,
    read: &str,
    column: &str,
) -> Result<Option<&'a str>, InspectError> {
    row.get(column)
        .map(|v| v.as_deref())
        .ok_or_else(|| InspectError::MissingColumn {
            read: read.into(),
            column: column.into(),
        })
}

pub(crate) fn required<'a>(
    row: &'a Row,
    read: &str,
    column: &str,
) -> Result<&'a str, InspectError> {
    get(row, read, column)?.ok_or_else(|| InspectError::BadValue {
        read: read.into(),
        column: column.into(),
        value: "NULL".into(),
        expected: "a value".into(),
    })
}

pub(crate) fn number(row: &Row, read: &str, column: &str) -> Result<u64, InspectError> {
    let text = required(row, read, column)?;
    text.trim().parse().map_err(|_| InspectError::BadValue {
        read: read.into(),
        column: column.into(),
        value: text.into(),
        expected: "a whole number".into(),
    })
}

/// Decodes [`crate::sql::SERVER_QUERY`] and, when the server answered it,
/// [`crate::sql::LOGIN_QUERY`]; without the latter the login tenant is
/// `tenant_from_login` (the `@tenant` part of the user name, `sys` by default).
/// OceanBase 4.1+ only; 3.x, 4.0 and seekdb are named as such.
pub fn server_from_rows(
    rows: &[Row],
    login: Option<&[Row]>,
    tenant_from_login: &str,
) -> Result<Server, InspectError> {
    let read = "SELECT ob_version()";
    let row = rows.first().ok_or_else(|| InspectError::MissingColumn {
        read: read.into(),
        column: "ob_version".into(),
    })?;
    let ob_version = required(row, read, "ob_version")?.to_string();
    let version = get(row, read, "version")?.unwrap_or_default().to_string();
    let parts: Vec<u32> = ob_version
        .split('.')
        .map_while(|p| p.parse().ok())
        .collect();
    if parts.is_empty() {
        return Err(InspectError::BadValue {
            read: read.into(),
            column: "ob_version".into(),
            value: ob_version,
            expected: "a dotted version".into(),
        });
    }
    if version.to_ascii_lowercase().contains("seekdb") {
        return Err(InspectError::UnsupportedLine {
            version: version.clone(),
            why: "seekdb has no backup subsystem (no log archive, no data backup)".into(),
            help:
                "obbackup manages OceanBase clusters; seekdb cannot be backed up with ALTER SYSTEM"
                    .into(),
        });
    }
    match parts[0] {
        4 if parts.as_slice() >= [4, 1].as_slice() => {}
        4 => {
            return Err(InspectError::UnsupportedLine {
                version: ob_version,
                why: "4.0 has no archive mode flag (DBA_OB_TENANTS.LOG_MODE arrived in 4.1)".into(),
                help: "upgrade to 4.1 or later".into(),
            });
        }
        3 => {}
        _ => {
            return Err(InspectError::UnsupportedLine {
                version: ob_version,
                why: "unknown server line".into(),
                help: "this build plans OceanBase 4.1 and later".into(),
            });
        }
    }
    let (login_tenant, login_tenant_id) = match login.and_then(|r| r.first()) {
        Some(l) => {
            let read = "SELECT effective_tenant()";
            (
                required(l, read, "tenant_name")?.to_string(),
                Some(number(l, read, "tenant_id")?),
            )
        }
        None => (tenant_from_login.to_string(), None),
    };
    Ok(Server {
        ob_version,
        parts,
        version,
        login_tenant,
        login_tenant_id,
        min_observer_version: None,
        server_time: row.get("server_time").cloned().flatten(),
        server_epoch: row
            .get("server_epoch")
            .cloned()
            .flatten()
            .and_then(|e| e.trim().parse().ok()),
    })
}

/// Seconds since the Unix epoch of an OceanBase timestamp text
/// (`YYYY-MM-DD HH:MM:SS[.ffffff]`), read in the server's own time zone — only
/// differences between two such values are meaningful.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let (date, time_part) = text.trim().split_once(' ')?;
    let date = crate::config::parse_date(date)?;
    let mut hms = time_part.split('.').next()?.split(':');
    let (h, m, s) = (
        hms.next()?.parse().ok()?,
        hms.next()?.parse().ok()?,
        hms.next()?.parse().ok()?,
    );
    let time = time::Time::from_hms(h, m, s).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// A server time (`2024-06-20 12:00:00.123456`) to the second, for people.
pub fn to_second(text: &str) -> &str {
    text.split('.').next().unwrap_or(text)
}

/// A `LOG_ARCHIVE_DEST` as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveDest {
    /// The location (credentials redacted on display).
    #[serde(serialize_with = "redacted")]
    pub location: Destination,
    /// `binding`, upper-cased.
    pub binding: String,
    /// `piece_switch_interval` as stored.
    pub piece_switch_interval: String,
    /// `state`.
    pub state: DestState,
}

fn redacted<S: serde::Serializer>(d: &Destination, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.redacted())
}

fn redacted_opt<S: serde::Serializer>(d: &Option<Destination>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.redacted()),
        None => s.serialize_none(),
    }
}

/// The current dest-0 archive round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveRound {
    /// `ROUND_ID`.
    pub round_id: u64,
    /// `STATUS`.
    pub status: RoundStatus,
    /// `CHECKPOINT_SCN_DISPLAY` (excluded from the fingerprint: it moves while archiving).
    #[serde(skip)]
    pub checkpoint: Option<String>,
}

/// An active backup job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupJob {
    /// `JOB_ID`.
    pub job_id: u64,
    /// `BACKUP_TYPE`.
    pub backup_type: BackupType,
    /// `STATUS`.
    pub status: JobStatus,
    /// `START_TIMESTAMP`.
    pub start_time: Option<String>,
    /// `ENCRYPTION_MODE`.
    pub encryption_mode: Option<String>,
    /// `PLUS_ARCHIVELOG`: `ON` / `OFF`.
    pub plus_archivelog: Option<String>,
    /// Finished and total macro blocks (`CDB_OB_BACKUP_TASKS`), for progress (not fingerprinted).
    #[serde(skip)]
    pub progress: Option<(u64, u64)>,
}

/// Backup sets usable as a base: SUCCESS and AVAILABLE, per type and path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsableSets {
    /// Full or incremental.
    pub backup_type: BackupType,
    /// The destination they are in.
    pub path: String,
    /// End of the newest one.
    pub last_end: Option<String>,
}

/// A cleanup job (`CDB_OB_BACKUP_DELETE_JOBS` / `…_JOB_HISTORY`). Statuses:
/// INIT, DOING, COMPLETED, FAILED, CANCELING, CANCELED (v4.2.2_CE_BP1
/// `src/share/backup/ob_backup_clean_struct.cpp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeleteJob {
    /// `JOB_ID`.
    pub job_id: u64,
    /// `STATUS`.
    pub status: JobStatus,
    /// `START_TIMESTAMP`.
    pub start_time: Option<String>,
    /// `END_TIMESTAMP` (none while it runs).
    pub end_time: Option<String>,
    /// `RESULT`: OceanBase's error code, 0 on success.
    pub result: i64,
    /// `COMMENT`: the error's text on failure.
    pub comment: Option<String>,
}

impl DeleteJob {
    /// Whether the job has ended (it is then in the history view).
    pub fn finished(&self) -> bool {
        matches!(
            self.status,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Canceled
        )
    }
}

/// One backup set that is not deleted (`CDB_OB_BACKUP_SET_FILES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSetFile {
    /// `BACKUP_SET_ID`.
    pub id: u64,
    /// `BACKUP_TYPE`.
    pub backup_type: BackupType,
    /// `STATUS`.
    pub status: SetStatus,
    /// `FILE_STATUS`.
    pub file_status: FileStatus,
    /// `END_TIMESTAMP` as shown; none while the set is written.
    pub end_time: Option<String>,
    /// `START_REPLAY_SCN`: where restoring from this set starts replaying the archive.
    pub start_replay_scn: u64,
    /// `MIN_RESTORE_SCN`: the earliest point the set restores to.
    pub min_restore_scn: u64,
    /// `MIN_RESTORE_SCN_DISPLAY`: the same on the server's clock.
    pub min_restore_time: Option<String>,
    /// `PREV_FULL_BACKUP_SET_ID` (0 for a full set).
    pub prev_full: u64,
    /// `PREV_INC_BACKUP_SET_ID` (the full set's id after a full, 0 for a full set).
    pub prev_inc: u64,
    /// `PLUS_ARCHIVELOG` is `ON`: the set carries the log it needs.
    pub plus_archivelog: bool,
    /// `PATH`: the destination the set is in.
    pub path: String,
}

/// One archive piece that is not deleted (`CDB_OB_ARCHIVELOG_PIECE_FILES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePiece {
    /// `DEST_ID`: the archive destination (pieces of different ones never join).
    pub dest_id: u64,
    /// `ROUND_ID`.
    pub round_id: u64,
    /// `PIECE_ID`.
    pub piece_id: u64,
    /// `STATUS`.
    pub status: PieceStatus,
    /// `FILE_STATUS`.
    pub file_status: FileStatus,
    /// `START_SCN`: where the piece's log starts.
    pub start_scn: u64,
    /// `END_SCN`: where it ends (the next piece of the round starts there);
    /// 0 when the server does not know yet.
    pub end_scn: u64,
    /// `CHECKPOINT_SCN`: the log is archived up to here.
    pub checkpoint_scn: u64,
    /// `CHECKPOINT_SCN_DISPLAY`, for people.
    pub checkpoint_time: Option<String>,
    /// `PATH`: the archive destination the piece is in.
    pub path: String,
}

/// One user tenant as the cluster reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveTenant {
    /// `TENANT_ID`.
    pub id: u64,
    /// `STATUS`.
    pub status: TenantStatus,
    /// `LOG_MODE`: `ARCHIVELOG` or `NOARCHIVELOG`.
    pub log_mode: String,
    /// Dest-0 archive destination.
    pub archive_dest: Option<ArchiveDest>,
    /// Dest-0 archive round.
    pub archive_round: Option<ArchiveRound>,
    /// `data_backup_dest`.
    #[serde(serialize_with = "redacted_opt")]
    pub data_backup_dest: Option<Destination>,
    /// Managed parameters: name → value per server (`ip:port`).
    pub parameters: BTreeMap<String, BTreeMap<String, String>>,
    /// Active backup jobs.
    pub backup_jobs: Vec<BackupJob>,
    /// A backup started from sys for this tenant that is still under way (its
    /// CLUSTER job id): OceanBase may not have created this tenant's job yet,
    /// and refuses another backup meanwhile (9036).
    pub cluster_job: Option<u64>,
    /// End of the newest usable backup set (SUCCESS and AVAILABLE) per
    /// backup type: a completed job whose set was deleted since is no backup.
    pub last_completed: BTreeMap<BackupType, String>,
    /// The highest job id seen (active or finished), so new jobs can be told apart.
    pub max_job_id: u64,
    /// Usable backup sets.
    pub usable_sets: Vec<UsableSets>,
    /// The recovery window of the delete policy `default`, as typed when it
    /// was added (OceanBase stores the text: v4.2.2_CE_BP1
    /// `src/share/backup/ob_backup_clean_operator.cpp`, `fill_dml_with_delete_policy_`).
    pub delete_policy: Option<String>,
    /// Running cleanup jobs.
    pub delete_jobs: Vec<DeleteJob>,
    /// The newest finished cleanup job (not fingerprinted: it changes hourly).
    #[serde(skip)]
    pub last_delete_job: Option<DeleteJob>,
    /// Every backup set not deleted, by id (not fingerprinted).
    #[serde(skip)]
    pub backup_sets: Vec<BackupSetFile>,
    /// Every archive piece not deleted (not fingerprinted).
    #[serde(skip)]
    pub archive_pieces: Vec<ArchivePiece>,
}

impl LiveTenant {
    /// A tenant with `id`, `status` and `log_mode` (`ARCHIVELOG` or
    /// `NOARCHIVELOG`) and nothing read yet.
    pub fn new(id: u64, status: &str, log_mode: &str) -> Self {
        Self {
            id,
            status: TenantStatus::parse(status),
            log_mode: log_mode.to_string(),
            archive_dest: None,
            archive_round: None,
            data_backup_dest: None,
            parameters: BTreeMap::new(),
            backup_jobs: Vec::new(),
            cluster_job: None,
            last_completed: BTreeMap::new(),
            max_job_id: 0,
            usable_sets: Vec::new(),
            delete_policy: None,
            delete_jobs: Vec::new(),
            last_delete_job: None,
            backup_sets: Vec::new(),
            archive_pieces: Vec::new(),
        }
    }

    /// When the newest usable full backup, and the newest of any type, ended.
    pub fn newest(&self) -> crate::freshness::Newest {
        crate::freshness::Newest {
            full: self.newest_end(&[BackupType::Full]),
            any: self.newest_end(&[BackupType::Full, BackupType::Incremental]),
        }
    }

    fn newest_end(&self, types: &[BackupType]) -> Option<i64> {
        types
            .iter()
            .filter_map(|t| self.last_completed.get(t))
            .filter_map(|end| parse_timestamp(end))
            .max()
    }

    /// Whether a usable backup set exists in `path` (an incremental there is
    /// really incremental, reference §2.5 B7).
    pub fn has_base_in(&self, path: &Destination) -> bool {
        self.usable_sets
            .iter()
            .any(|s| Destination::from_server(&s.path).same_place(path))
    }

    /// Whether the archive mode is on.
    pub fn archivelog(&self) -> bool {
        self.log_mode == "ARCHIVELOG"
    }

    /// Round status, `None` when no round ever ran.
    pub fn round_status(&self) -> Option<&RoundStatus> {
        self.archive_round.as_ref().map(|r| &r.status)
    }
}

/// The live state the planner diffs against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveState {
    /// Server line and login.
    pub server: Server,
    /// What backup is managed on: tenants (4.x) or the cluster (3.x).
    #[serde(flatten)]
    pub scopes: LiveScopes,
}

/// The scopes of a live state, by server line. Serialised as `tenants` or
/// `cluster` beside `server` (the paths a stale plan reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LiveScopes {
    /// OceanBase 4.x: user tenants by name.
    Tenants {
        /// User tenants by name.
        tenants: BTreeMap<String, LiveTenant>,
    },
    /// OceanBase 3.x: the cluster-level state.
    Cluster {
        /// Parameters, archive, pieces, backup-backup and backups of the cluster.
        cluster: Box<crate::dialect::ob3::LiveCluster>,
    },
}

/// No tenants: what [`LiveState::tenants`] gives on 3.x.
static NO_TENANTS: BTreeMap<String, LiveTenant> = BTreeMap::new();

impl LiveState {
    /// The user tenants (4.x); empty on 3.x, where backup is cluster-wide.
    pub fn tenants(&self) -> &BTreeMap<String, LiveTenant> {
        match &self.scopes {
            LiveScopes::Tenants { tenants } => tenants,
            LiveScopes::Cluster { .. } => &NO_TENANTS,
        }
    }

    /// The server time `NOW(6)` in seconds since the Unix epoch, when read.
    pub fn now(&self) -> Option<i64> {
        self.server.server_time.as_deref().and_then(parse_timestamp)
    }

    /// The server clock's offset from UTC in seconds (`NOW(6)` less
    /// `UNIX_TIMESTAMP()`, rounded to the minute): what turns the server's
    /// times into RFC 3339 and Unix time. `None` when either was not read.
    pub fn utc_offset(&self) -> Option<i64> {
        let offset = self.now()? - self.server.server_epoch?;
        Some((offset + 30).div_euclid(60) * 60)
    }

    /// A SHA-256 over the canonical JSON of the state (secrets redacted): equal
    /// states have equal fingerprints.
    pub fn fingerprint(&self) -> String {
        // The JSON is streamed into the hash: no copy of the whole state in memory.
        let mut hasher = HashWriter(Sha256::new());
        let _ = serde_json::to_writer(&mut hasher, self);
        let digest = hasher.0.finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Feeds written bytes to a SHA-256.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Refuses a login that cannot manage backups on its line: on 3.x only sys
/// can (reference §1.3: the backup statements are sys-only, 1227 elsewhere).
pub fn check_login(server: &Server) -> Result<(), InspectError> {
    if server.is_cluster_level() && !server.sys_login() {
        return Err(InspectError::UnsupportedLine {
            version: server.ob_version.clone(),
            why: format!(
                "3.x backups are cluster-wide and run from sys; the login is tenant {}",
                server.login_tenant
            ),
            help: "log in as root@sys (root%40sys in the DSN)".into(),
        });
    }
    Ok(())
}

/// Decodes the rows of every [`Read`] of the server's line into the live state.
pub fn from_rows(
    mut server: Server,
    rows: &BTreeMap<Read, Vec<Row>>,
) -> Result<LiveState, InspectError> {
    check_login(&server)?;
    let scopes = match crate::dialect::Dialect::of(&server) {
        crate::dialect::Dialect::Ob3 => LiveScopes::Cluster {
            cluster: Box::new(crate::dialect::ob3::from_rows(rows)?),
        },
        crate::dialect::Dialect::Ob4 => {
            let (tenants, min_observer_version) = crate::dialect::ob4::from_rows(&server, rows)?;
            server.min_observer_version = min_observer_version;
            LiveScopes::Tenants { tenants }
        }
    };
    Ok(LiveState { server, scopes })
}

/// A NORMAL, archiving tenant 1002 with nothing else, for tests to fill in.
#[cfg(test)]
pub(crate) fn blank_tenant() -> LiveTenant {
    LiveTenant::new(1002, "NORMAL", "ARCHIVELOG")
}

/// What a wait observed on one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitObservation {
    /// The wait's condition holds.
    pub done: bool,
    /// What was seen, for progress and timeout messages (`BEGINNING`, `2 jobs: CANCELING`).
    pub observed: String,
    /// The condition can no longer hold (a followed job FAILED): why.
    pub failed: Option<String>,
}

/// Checks a poll of [`crate::sql::backup_job_query`]: the new job of a tenant
/// exists (and, when `follow`, has ended COMPLETED); with `expect_password`, its
/// `ENCRYPTION_MODE` must be `PASSWORD`.
pub fn backup_job_reached(rows: &[Row], follow: bool, expect_password: bool) -> WaitObservation {
    let text = |r: &Row, k: &str| r.get(k).cloned().flatten().unwrap_or_default();
    let Some(row) = rows
        .iter()
        .max_by_key(|r| text(r, "job_id").parse::<u64>().unwrap_or(0))
    else {
        return WaitObservation {
            done: false,
            observed: "no job yet".into(),
            failed: None,
        };
    };
    let (id, kind, status) = (
        text(row, "job_id"),
        text(row, "backup_type"),
        text(row, "status"),
    );
    let progress = text(row, "progress")
        .parse::<f64>()
        .map(|p| format!(" {p:.1}%"))
        .unwrap_or_default();
    let observed = format!("job {id} ({kind}) {status}{progress}");
    // 3.x progress rows carry no ENCRYPTION_MODE (NULL): checked once the set is recorded.
    let mode_known = !text(row, "encryption_mode").is_empty();
    if expect_password && mode_known && text(row, "encryption_mode") != "PASSWORD" {
        let mode = text(row, "encryption_mode");
        return WaitObservation {
            done: false,
            observed,
            failed: Some(format!(
                "job {id} has ENCRYPTION_MODE {mode}, not PASSWORD: the backup is not encrypted"
            )),
        };
    }
    match JobStatus::parse(&status) {
        JobStatus::Failed | JobStatus::Canceled if follow => WaitObservation {
            done: false,
            failed: Some(format!(
                "backup job {id} ({kind}) ended {status}: RESULT {} COMMENT {:?}",
                text(row, "result"),
                text(row, "comment")
            )),
            observed,
        },
        JobStatus::Completed => WaitObservation {
            done: true,
            observed,
            failed: None,
        },
        _ => WaitObservation {
            done: !follow,
            observed,
            failed: None,
        },
    }
}

/// Checks a poll of [`crate::sql::archive_status_query`] against wanted statuses.
pub fn archive_status_reached(rows: &[Row], wanted: &[RoundStatus]) -> WaitObservation {
    let status = rows
        .first()
        .and_then(|r| r.get("status"))
        .cloned()
        .flatten()
        .map(|s| RoundStatus::parse(&s));
    match status {
        Some(s) => WaitObservation {
            done: wanted.contains(&s),
            observed: s.to_string(),
            failed: None,
        },
        None => WaitObservation {
            done: false,
            observed: "no archive round yet".into(),
            failed: None,
        },
    }
}

/// The rows of a poll by [`crate::sql::wait_query_many`] that belong to
/// `wait`: its tenant's, and for a backup-job wait only the jobs above its
/// own `after_job_id`. Rows of a wait's own query (no `tenant_id` column
/// asked for) are all its own.
pub fn rows_for(rows: &[Row], wait: &crate::step::Wait) -> Vec<Row> {
    let Some(tenant) = wait.tenant_id else {
        return rows.to_vec();
    };
    let number = |r: &Row, k: &str| {
        r.get(k)
            .cloned()
            .flatten()
            .and_then(|v| v.parse::<u64>().ok())
    };
    let after = match wait.until {
        crate::step::WaitUntil::BackupJob { after_job_id, .. } => Some(after_job_id),
        _ => None,
    };
    rows.iter()
        .filter(|r| number(r, "tenant_id").is_none_or(|id| id == tenant))
        .filter(|r| after.is_none_or(|a| number(r, "job_id").is_some_and(|id| id > a)))
        .cloned()
        .collect()
}

/// Checks a poll of [`crate::sql::backup_jobs_query`]: done when no job is left.
pub fn backup_jobs_gone(rows: &[Row]) -> WaitObservation {
    let statuses: Vec<String> = rows
        .iter()
        .filter_map(|r| r.get("status").cloned().flatten())
        .collect();
    WaitObservation {
        done: rows.is_empty(),
        observed: if rows.is_empty() {
            "no job".into()
        } else {
            format!("{} job(s): {}", rows.len(), statuses.join(", "))
        },
        failed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect()
    }

    #[test]
    fn the_clock_offset_is_now_less_unix_time_to_the_minute() {
        let state = |time: Option<&str>, epoch: Option<&str>| {
            let mut r = row(&[("ob_version", "3.2.4.1"), ("version", "5.7.25")]);
            r.insert("server_time".into(), time.map(str::to_string));
            r.insert("server_epoch".into(), epoch.map(str::to_string));
            LiveState {
                server: server_from_rows(&[r], None, "sys").expect("server"),
                scopes: LiveScopes::Cluster {
                    cluster: Default::default(),
                },
            }
        };
        // 2024-06-20 20:00:00.4 shown on a +08:00 clock, UNIX_TIMESTAMP() one
        // second later (the two need not fall in the same second).
        let east = state(Some("2024-06-20 20:00:00.400000"), Some("1718884801"));
        assert_eq!(east.utc_offset(), Some(8 * 3600));
        assert_eq!(east.server.server_epoch, Some(1_718_884_801));
        let west = state(Some("2024-06-20 06:30:00.000000"), Some("1718884800"));
        assert_eq!(west.utc_offset(), Some(-(5 * 3600 + 30 * 60)));
        assert_eq!(state(Some("2024-06-20 12:00:00"), None).utc_offset(), None);
        assert_eq!(state(None, Some("1718884800")).utc_offset(), None);
    }

    #[test]
    fn the_lowest_min_observer_version_of_the_servers_counts() {
        let server = server_from_rows(
            &[row(&[("ob_version", "4.2.2.1"), ("version", "5.7.25")])],
            Some(&[row(&[("tenant_name", "sys"), ("tenant_id", "1")])]),
            "sys",
        )
        .expect("server");
        let parameter = |ip: &str, value: &str| -> Row {
            let mut r = row(&[
                ("svr_ip", ip),
                ("svr_port", "2882"),
                ("name", "min_observer_version"),
                ("value", value),
            ]);
            r.insert("tenant_id".into(), None);
            r
        };
        let mut reads = BTreeMap::new();
        reads.insert(
            Read::Parameters,
            vec![
                parameter("10.0.0.1", "4.2.2.1"),
                parameter("10.0.0.2", "4.2.1"),
                parameter("10.0.0.3", "4.2.2.0"),
            ],
        );
        let live = from_rows(server, &reads).expect("reads");
        assert_eq!(
            live.server.min_observer_version,
            Some(crate::dialect::capability::Build([4, 2, 1, 0]))
        );
    }

    #[test]
    fn the_newest_finished_cleanup_job_wins_whichever_view_lists_it() {
        let server = server_from_rows(
            &[row(&[("ob_version", "4.2.2.1"), ("version", "5.7.25")])],
            Some(&[row(&[("tenant_name", "sys"), ("tenant_id", "1")])]),
            "sys",
        )
        .expect("server");
        let job = |id: &str, status: &str| -> Row {
            let mut r = row(&[
                ("tenant_id", "1002"),
                ("job_id", id),
                ("status", status),
                ("result", "0"),
            ]);
            for column in ["start_time", "end_time", "comment"] {
                r.insert(column.to_string(), None);
            }
            r
        };
        let mut reads = BTreeMap::new();
        reads.insert(
            Read::Tenants,
            vec![row(&[
                ("tenant_id", "1002"),
                ("tenant_name", "t"),
                ("status", "NORMAL"),
                ("log_mode", "ARCHIVELOG"),
            ])],
        );
        // Job 5 has just COMPLETED and is still in the jobs view, listed
        // first; job 3 FAILED and heads the history.
        reads.insert(
            Read::DeleteJobs,
            vec![job("5", "COMPLETED"), job("7", "DOING"), job("3", "FAILED")],
        );
        let live = from_rows(server, &reads).expect("rows decode");
        let t = &live.tenants()["t"];
        assert_eq!(t.last_delete_job.as_ref().map(|j| j.job_id), Some(5));
        assert_eq!(
            t.delete_jobs.iter().map(|j| j.job_id).collect::<Vec<_>>(),
            [7]
        );
    }
}

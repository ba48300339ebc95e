//! The simulated cluster: tenants, parameters, archive destinations and rounds,
//! data-backup destinations and jobs, and the asynchronous transitions that move
//! them on a clock. Commands from `statement` are applied here with OceanBase's
//! preconditions and errors (4.1+ semantics, `shared/reference/oceanbase-backup.md`
//! §2.1.3, §2.3, §2.5, §2.6).

use crate::backup::{BackupSet, Job};
use crate::destination::{Uri, parse_archive_dest};
use crate::error::ObError;
use crate::fixture::{Delays, Fixture};
use crate::parameter::{self, Definition, Scope};
use crate::statement::{SetItem, Statement, TenantList};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The sys tenant's id.
pub const SYS_TENANT_ID: u64 = 1;

/// What kind of tenant (`DBA_OB_TENANTS.TENANT_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantType {
    /// The sys tenant (id 1).
    Sys,
    /// A meta tenant (`META$<user id>`).
    Meta,
    /// A user tenant.
    User,
}

impl TenantType {
    /// Column text.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantType::Sys => "SYS",
            TenantType::Meta => "META",
            TenantType::User => "USER",
        }
    }
}

/// A stored `LOG_ARCHIVE_DEST` of dest 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveDest {
    /// Stored path (re-serialised URI).
    pub path: String,
    /// Destination root (path before `?`), the identity of the directory.
    pub root: String,
    /// `OPTIONAL` / `MANDATORY` (or whatever the fixture stored).
    pub binding: String,
    /// As written, e.g. `1d`.
    pub piece_switch_interval: String,
    /// `ENABLE` / `DEFER`.
    pub state: String,
    /// Allocated destination id.
    pub dest_id: u64,
    /// `compression` row, only when given.
    pub compression: Option<String>,
}

/// The current archive round of dest 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// `ROUND_ID`.
    pub round_id: u64,
    /// `DEST_ID`.
    pub dest_id: u64,
    /// `STATUS`.
    pub status: String,
    /// When the round entered `status`.
    pub since: Instant,
    /// When the round started (for `START_SCN`).
    pub started: Instant,
    /// `PATH`.
    pub path: String,
    /// `PIECE_SWITCH_INTERVAL`.
    pub piece_switch_interval: String,
    /// How far the checkpoint stays behind (ns): a slow or stuck archive (fixture `lag`).
    pub lag_ns: u64,
}

/// One tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// `TENANT_ID`.
    pub id: u64,
    /// `TENANT_NAME`.
    pub name: String,
    /// `TENANT_TYPE`.
    pub kind: TenantType,
    /// `COMPATIBILITY_MODE`.
    pub compatibility_mode: String,
    /// `STATUS`.
    pub status: String,
    /// `LOG_MODE` (4.1+).
    pub log_mode: String,
    /// Dest-0 archive destination.
    pub archive_dest: Option<ArchiveDest>,
    /// Dest-0 archive round.
    pub round: Option<Round>,
    /// `data_backup_dest` (stored form).
    pub data_backup_dest: Option<String>,
    /// Tenant-scope parameters set away from the default.
    pub parameters: BTreeMap<String, String>,
}

/// A login account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Tenant id.
    pub tenant_id: u64,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// `all`, `read_only`, `none`.
    pub privilege: String,
}

/// A connected session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Connection id.
    pub id: u32,
    /// Login tenant id.
    pub tenant_id: u64,
    /// User name without tenant.
    pub user: String,
    /// Privilege level of the account.
    pub privilege: String,
    /// `SET ENCRYPTION ON IDENTIFIED BY … ONLY` of this session: the password
    /// (session variable `__ob_backup_encryption_passwd__`, reference §2.3).
    pub encryption: Option<String>,
}

/// Reply to one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// OK with affected rows.
    Ok(u64),
    /// A `SHOW` result (SELECT results come from the SQL engine).
    Rows {
        /// The columns.
        columns: Vec<crate::protocol::Column>,
        /// The rows (NULL is `None`).
        rows: Vec<Vec<Option<String>>>,
    },
}

/// MySQL-mode user-level locks, as OceanBase has them from v4.3.1_CE_BETA
/// (`src/sql/engine/expr/ob_expr_lock_func.cpp`,
/// `src/storage/tablelock/ob_lock_func_executor.cpp`): a named lock per
/// tenant, held by one session, re-entrant (a count), and released when the
/// session ends. OceanBase releases a dead session's locks from a background
/// task every 10 s (`ObOBJLockGarbageCollector`,
/// `src/storage/tablelock/ob_table_lock_service.cpp`); the simulator releases
/// them at once.
#[derive(Debug, Clone, Default)]
pub struct UserLocks(std::sync::Arc<std::sync::Mutex<HeldLocks>>);

/// (tenant id, lock name) → (holder's connection id, times taken).
type HeldLocks = BTreeMap<(u64, String), (u32, u32)>;

impl UserLocks {
    fn held(&self) -> std::sync::MutexGuard<'_, HeldLocks> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `GET_LOCK(name, timeout)` for `connection` of `tenant`: 1 when taken
    /// (or taken again by its holder), 0 when another session holds it (the
    /// simulator does not wait out the timeout).
    pub fn get(&self, tenant: u64, name: &str, connection: u32) -> i64 {
        let mut held = self.held();
        match held.get_mut(&(tenant, name.to_string())) {
            Some((holder, count)) if *holder == connection => {
                *count += 1;
                1
            }
            Some(_) => 0,
            None => {
                held.insert((tenant, name.to_string()), (connection, 1));
                1
            }
        }
    }

    /// `RELEASE_LOCK(name)`: 1 when released by its holder, 0 when another
    /// session holds it, `None` (NULL) when nobody does.
    pub fn release(&self, tenant: u64, name: &str, connection: u32) -> Option<i64> {
        let mut held = self.held();
        let key = (tenant, name.to_string());
        match held.get_mut(&key) {
            Some((holder, count)) if *holder == connection => {
                *count -= 1;
                if *count == 0 {
                    held.remove(&key);
                }
                Some(1)
            }
            Some(_) => Some(0),
            None => None,
        }
    }

    /// `IS_USED_LOCK(name)`: the holder's connection id, or `None` (NULL).
    pub fn holder(&self, tenant: u64, name: &str) -> Option<u32> {
        self.held()
            .get(&(tenant, name.to_string()))
            .map(|(c, _)| *c)
    }

    /// Releases every lock `connection` holds (its session ended).
    pub fn release_all(&self, connection: u32) {
        self.held().retain(|_, (holder, _)| *holder != connection);
    }
}

/// The whole simulated cluster.
#[derive(Debug)]
pub struct Cluster {
    /// `ob_version()`, e.g. `4.2.2.1`.
    pub version: String,
    /// Parsed version parts.
    pub version_parts: Vec<u32>,
    /// 4.x `min_observer_version` (fixture; default the version).
    pub min_observer_version: String,
    /// 4.x cluster-scope parameters set away from their defaults.
    pub cluster_parameters: BTreeMap<String, String>,
    /// `CE` or `EE`.
    pub edition: String,
    /// Observers.
    pub servers: Vec<crate::fixture::Server>,
    /// Transition delays.
    pub delays: Delays,
    /// Tenants by id. Tenants are added only through `add_tenant`, which
    /// keeps the name index.
    pub tenants: BTreeMap<u64, Tenant>,
    /// Tenant ids by lower-case name (names are case-insensitive).
    names: std::collections::HashMap<String, u64>,
    accounts: Vec<Account>,
    /// Active backup jobs.
    pub jobs: Vec<Job>,
    /// Finished backup jobs.
    pub job_history: Vec<Job>,
    /// Backup sets (CDB_OB_BACKUP_SET_FILES).
    pub backup_sets: Vec<BackupSet>,
    /// Delete policy `default` per tenant id: the recovery window as typed.
    pub delete_policies: BTreeMap<u64, String>,
    /// Running cleanup jobs (CDB_OB_BACKUP_DELETE_JOBS).
    pub delete_jobs: Vec<crate::retention::DeleteJob>,
    /// Finished cleanup jobs (CDB_OB_BACKUP_DELETE_JOB_HISTORY).
    pub delete_job_history: Vec<crate::retention::DeleteJob>,
    /// Seeded archive pieces (CDB_OB_ARCHIVELOG_PIECE_FILES; see `pieces_at`).
    pub archive_pieces: Vec<crate::retention::Piece>,
    /// Injected failures: the next backup job of the tenant ends FAILED with (result, comment).
    pub pending_failures: Vec<(u64, i64, String)>,
    /// Tenant jobs of a sys `BACKUP DATABASE`, created at the next scheduling
    /// pass after the CLUSTER job (v4.2.2_CE_BP1
    /// src/rootserver/backup/ob_backup_data_scheduler.cpp: start_sys_backup_data_
    /// inserts the CLUSTER job; ObSysTenantBackupJobMgr creates the tenants' jobs
    /// on its next process()).
    pub pending_tenant_jobs: Vec<crate::backup::Job>,
    /// Directories that hold a `format` file: root → (tenant id, `archive`/`data`).
    storage: BTreeMap<String, (u64, &'static str)>,
    next_dest_id: u64,
    /// Statuses that do not advance (fault injection: a stalled transition).
    pub stalled: BTreeSet<String>,
    /// User-level locks (`GET_LOCK`), shared with every session's engine.
    pub user_locks: UserLocks,
    /// When the cluster was created (SCN base).
    pub epoch: Instant,
    /// The server line played, with the state only that line has.
    pub line: Line,
}

/// The OceanBase line a simulated cluster plays, read from the fixture's
/// version: 4.x keeps its backup state per tenant (in [`Cluster`]'s
/// tenants, jobs and sets); 3.x adds the cluster-level state.
#[derive(Debug)]
pub enum Line {
    /// OceanBase 4.x: tenant-level backup.
    Ob4,
    /// OceanBase 3.x: cluster-level parameters, archive, pieces, backup-backup.
    Ob3(Box<crate::ob3::ClusterLevel>),
}

impl Line {
    /// Whether the cluster plays 3.x.
    pub fn is_ob3(&self) -> bool {
        matches!(self, Line::Ob3(_))
    }

    /// The 3.x cluster-level state.
    pub fn cluster_level(&self) -> Option<&crate::ob3::ClusterLevel> {
        match self {
            Line::Ob3(state) => Some(state),
            Line::Ob4 => None,
        }
    }

    /// The 3.x cluster-level state, to change.
    pub fn cluster_level_mut(&mut self) -> Option<&mut crate::ob3::ClusterLevel> {
        match self {
            Line::Ob3(state) => Some(state),
            Line::Ob4 => None,
        }
    }
}

/// Wall-clock base of simulated SCNs: 2024-06-20 12:00:00 UTC, in nanoseconds.
pub const SCN_BASE_NS: u64 = 1_718_884_800_000_000_000;

impl Cluster {
    /// Builds a cluster from a fixture. Errors name the inconsistent entry.
    pub fn from_fixture(fixture: &Fixture) -> Result<Self, String> {
        let version_parts: Vec<u32> = fixture
            .version
            .split('.')
            .map(|p| {
                p.parse::<u32>()
                    .map_err(|_| format!("version {:?} is not dotted numbers", fixture.version))
            })
            .collect::<Result<_, _>>()?;
        if !matches!(version_parts.first(), Some(3 | 4)) {
            return Err(format!(
                "version {}: the simulator models OceanBase 3.x and 4.x",
                fixture.version
            ));
        }
        let now = Instant::now();
        let min_observer_version = fixture
            .min_observer_version
            .clone()
            .unwrap_or_else(|| fixture.version.clone());
        if !parameter::Kind::Version.accepts(&min_observer_version) {
            return Err(format!(
                "min_observer_version {min_observer_version:?} is not dotted numbers"
            ));
        }
        let mut cluster = Cluster {
            version: fixture.version.clone(),
            version_parts,
            min_observer_version,
            cluster_parameters: BTreeMap::new(),
            edition: fixture.edition.clone(),
            servers: fixture.servers.clone(),
            delays: fixture.delays_ms.clone(),
            tenants: BTreeMap::new(),
            user_locks: UserLocks::default(),
            names: std::collections::HashMap::new(),
            accounts: Vec::new(),
            jobs: Vec::new(),
            job_history: Vec::new(),
            backup_sets: Vec::new(),
            delete_policies: BTreeMap::new(),
            delete_jobs: Vec::new(),
            delete_job_history: Vec::new(),
            archive_pieces: Vec::new(),
            pending_failures: Vec::new(),
            pending_tenant_jobs: Vec::new(),
            storage: BTreeMap::new(),
            next_dest_id: 1001,
            stalled: BTreeSet::new(),
            epoch: now,
            line: Line::Ob4,
        };
        if cluster.version_parts.first() == Some(&3) {
            cluster.line = Line::Ob3(Box::new(crate::ob3::ClusterLevel::from_fixture(
                fixture,
                now,
                cluster.sim_ns(now),
            )?));
        }
        let is_ob3 = cluster.line.is_ob3();
        cluster.add_tenant(Tenant::new(SYS_TENANT_ID, "sys", TenantType::Sys));
        let mut seeds: Vec<crate::fixture::Tenant> = fixture.tenants.clone();
        if let Some(g) = &fixture.generated_tenants {
            for n in 0..u64::from(g.count) {
                seeds.push(crate::fixture::Tenant {
                    id: g.first_id + 2 * n,
                    name: format!("{}{}", g.prefix, n + 1),
                    compatibility_mode: "MYSQL".into(),
                    status: "NORMAL".into(),
                    log_mode: "NOARCHIVELOG".into(),
                    archive_dest: None,
                    archive_round: None,
                    data_backup_dest: None,
                    parameters: BTreeMap::new(),
                    backup_jobs: Vec::new(),
                    backup_history: Vec::new(),
                    delete_policy: None,
                    delete_jobs: Vec::new(),
                    archive_pieces: Vec::new(),
                });
            }
        }
        for seed in seeds {
            if seed.id <= SYS_TENANT_ID || cluster.tenants.contains_key(&seed.id) {
                return Err(format!(
                    "tenant {:?}: id {} is taken or reserved",
                    seed.name, seed.id
                ));
            }
            if cluster.tenant_by_name(&seed.name).is_some() {
                return Err(format!("tenant {:?} is listed twice", seed.name));
            }
            // 4.x pairs every user tenant with a meta tenant (id − 1); 3.x has none.
            if !is_ob3 {
                let meta_id = seed.id - 1;
                cluster.add_tenant(Tenant::new(
                    meta_id,
                    &format!("META${}", seed.id),
                    TenantType::Meta,
                ));
            }
            let mut tenant = Tenant::new(seed.id, &seed.name, TenantType::User);
            tenant.compatibility_mode = seed.compatibility_mode.clone();
            tenant.status = seed.status.clone();
            tenant.log_mode = seed.log_mode.clone();
            for (name, value) in &seed.parameters {
                let def = parameter::find_on(&cluster.version_parts, name).ok_or_else(|| {
                    format!(
                        "tenant {:?}: unknown parameter {name} on {}",
                        seed.name, cluster.version
                    )
                })?;
                tenant
                    .parameters
                    .insert(def.name.to_string(), value.clone());
            }
            if let Some(d) = &seed.archive_dest {
                let uri = Uri::parse(&d.path)
                    .map_err(|e| format!("tenant {:?}: archive path: {e}", seed.name))?;
                cluster
                    .storage
                    .insert(uri.root.clone(), (seed.id, "archive"));
                cluster.next_dest_id = cluster.next_dest_id.max(d.dest_id + 1);
                tenant.archive_dest = Some(ArchiveDest {
                    path: d.path.clone(),
                    root: uri.root,
                    binding: d.binding.clone(),
                    piece_switch_interval: d.piece_switch_interval.clone(),
                    state: d.state.clone(),
                    dest_id: d.dest_id,
                    compression: None,
                });
            }
            if let Some(r) = &seed.archive_round {
                let dest = tenant.archive_dest.as_ref();
                tenant.round = Some(Round {
                    round_id: r.round_id,
                    dest_id: dest.map_or(0, |d| d.dest_id),
                    status: r.status.clone(),
                    since: now,
                    started: now,
                    path: dest.map_or_else(String::new, |d| d.path.clone()),
                    piece_switch_interval: dest
                        .map_or_else(|| "1d".to_string(), |d| d.piece_switch_interval.clone()),
                    lag_ns: match &r.lag {
                        Some(lag) => {
                            crate::parameter::parse_time_us(lag).ok_or_else(|| {
                                format!("tenant {:?}: lag {lag:?} is not a duration", seed.name)
                            })? * 1000
                        }
                        None => 0,
                    },
                });
            }
            if let Some(p) = &seed.data_backup_dest {
                let uri =
                    Uri::parse(p).map_err(|e| format!("tenant {:?}: data path: {e}", seed.name))?;
                cluster.storage.insert(uri.root.clone(), (seed.id, "data"));
                tenant.data_backup_dest = Some(uri.stored_on(&cluster.version_parts));
            }
            let data_path = tenant.data_backup_dest.clone().unwrap_or_default();
            let archive = tenant
                .archive_dest
                .as_ref()
                .map(|d| (d.path.clone(), d.dest_id));
            cluster.add_tenant(tenant);
            cluster
                .seed_retention(
                    seed.id,
                    seed.delete_policy.as_deref(),
                    &seed.delete_jobs,
                    &seed.archive_pieces,
                    archive.as_ref().map(|(path, id)| (path.as_str(), *id)),
                    now,
                )
                .map_err(|e| format!("tenant {:?}: {e}", seed.name))?;
            cluster.seed_backups(
                seed.id,
                &data_path,
                &seed.backup_jobs,
                &seed.backup_history,
                now,
            )?;
        }
        for user in &fixture.users {
            let tenant_id = cluster
                .tenant_by_name(&user.tenant)
                .map(|t| t.id)
                .ok_or_else(|| format!("user {}@{}: no such tenant", user.user, user.tenant))?;
            cluster.accounts.push(Account {
                tenant_id,
                user: user.user.clone(),
                password: user.password.clone(),
                privilege: user.privilege.clone(),
            });
        }
        Ok(cluster)
    }

    /// Whether the server line is at least `parts` (e.g. `&[4, 2, 1]`).
    pub fn at_least(&self, parts: &[u32]) -> bool {
        self.version_parts.as_slice() >= parts
    }

    /// `version()` text: `5.7.25-OceanBase_CE-v4.2.2.1` (CE) or `5.7.25-OceanBase-v…` (EE), reference §0.3.
    /// 3.x: `3.1.5-OceanBase CE` (CE), `3.2.4-OceanBase` (EE, **UNCONFIRMED** format).
    pub fn version_string(&self) -> String {
        if self.line.is_ob3() {
            let product = if self.edition == "CE" {
                "OceanBase CE"
            } else {
                "OceanBase"
            };
            return format!("{}-{product}", self.version);
        }
        let product = if self.edition == "CE" {
            "OceanBase_CE"
        } else {
            "OceanBase"
        };
        format!("5.7.25-{product}-v{}", self.version)
    }

    /// Case-insensitive tenant lookup.
    pub fn tenant_by_name(&self, name: &str) -> Option<&Tenant> {
        self.names
            .get(&name.to_ascii_lowercase())
            .and_then(|id| self.tenants.get(id))
    }

    /// Adds `tenant` under its id and its name.
    fn add_tenant(&mut self, tenant: Tenant) {
        self.names
            .insert(tenant.name.to_ascii_lowercase(), tenant.id);
        self.tenants.insert(tenant.id, tenant);
    }

    /// Authenticates `user@tenant` (no `@tenant` means sys). The password check is
    /// done by the caller through `verify`.
    pub fn account(&self, login: &str) -> Option<Account> {
        let (user, tenant) = login.split_once('@').unwrap_or((login, "sys"));
        let tenant_name = tenant.split('#').next().unwrap_or(tenant);
        let tenant = self.tenant_by_name(tenant_name)?;
        if tenant.kind == TenantType::Meta {
            return None;
        }
        if let Some(a) = self
            .accounts
            .iter()
            .find(|a| a.tenant_id == tenant.id && a.user == user)
        {
            return Some(a.clone());
        }
        (user == "root").then(|| Account {
            tenant_id: tenant.id,
            user: "root".into(),
            password: String::new(),
            privilege: "all".into(),
        })
    }

    /// Advances every asynchronous state to `now`: archive rounds
    /// (PREPARE → BEGINNING → DOING, STOPPING → STOP, SUSPENDING → SUSPEND), the
    /// archive scheduler of reference §2.5 A, and canceled jobs (CANCELING →
    /// CANCELED, then moved to history, §2.5 B8).
    pub fn tick(&mut self, now: Instant) {
        // The next scheduling pass, `backup_init` after the CLUSTER job.
        let due = self
            .jobs
            .iter()
            .filter(|j| j.job_level == "CLUSTER" && j.status == "INIT")
            .map(|j| j.since + Duration::from_millis(self.delays.backup_init))
            .min();
        if !self.pending_tenant_jobs.is_empty() && due.is_none_or(|d| now >= d) {
            self.jobs.append(&mut self.pending_tenant_jobs);
            for job in self
                .jobs
                .iter_mut()
                .filter(|j| j.job_level == "CLUSTER" && j.status == "INIT")
            {
                job.status = "DOING".into();
            }
        }
        let delays = self.delays.clone();
        let stalled = self.stalled.clone();
        for tenant in self
            .tenants
            .values_mut()
            .filter(|t| t.kind == TenantType::User)
        {
            for _ in 0..8 {
                let mut changed = schedule_archive(tenant, now);
                if let Some(round) = tenant.round.as_mut() {
                    let (next, delay) = match round.status.as_str() {
                        "PREPARE" => ("BEGINNING", delays.archive_prepare),
                        "BEGINNING" => ("DOING", delays.archive_beginning),
                        "STOPPING" => ("STOP", delays.archive_stopping),
                        "SUSPENDING" => ("SUSPEND", delays.archive_suspending),
                        _ => ("", 0),
                    };
                    let due = round.since + Duration::from_millis(delay);
                    if !next.is_empty() && !stalled.contains(&round.status) && now >= due {
                        round.status = next.to_string();
                        round.since = due;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        self.tick_jobs(now);
        self.tick_ob3(now);
    }

    /// Applies one parsed non-SELECT statement for `session`.
    pub fn execute(
        &mut self,
        session: &mut Session,
        statement: &Statement,
    ) -> Result<Reply, ObError> {
        self.tick(Instant::now());
        if self.line.is_ob3() {
            return self.execute_ob3(session, statement);
        }
        match statement {
            Statement::MinorFreeze => {
                self.require_alter_system(session)?;
                Ok(Reply::Ok(0))
            }
            // Backup-backup was removed in 4.x; how the leftover grammar is answered was not
            // traced (reference §2.3, §4 question 7): expected 1235.
            Statement::BackupArchivelog { .. }
            | Statement::BackupBackupPiece { .. }
            | Statement::CancelBackupBackupPiece => Err(ObError::not_supported(None)),
            Statement::Empty | Statement::SetSession(_) | Statement::Select(_) => Ok(Reply::Ok(0)),
            Statement::SetEncryption { password } => {
                // Any tenant in 4.x; kept for the session, not cleared by BACKUP (reference §2.3).
                session.encryption = Some(password.clone());
                Ok(Reply::Ok(0))
            }
            Statement::Backup {
                incremental,
                tenants,
                plus_archivelog,
                to,
            } => {
                self.require_alter_system(session)?;
                self.start_backup(
                    session,
                    *incremental,
                    tenants.as_ref(),
                    *plus_archivelog,
                    *to,
                )
            }
            Statement::ShowParameters { like, tenant } => {
                self.show_parameters(session, like.as_deref(), tenant.as_deref())
            }
            Statement::AlterSystemSet(items) => {
                self.require_alter_system(session)?;
                self.alter_system_set(session, items)
            }
            Statement::Archivelog { enable, tenants } => {
                self.require_alter_system(session)?;
                self.archivelog(session, *enable, tenants.as_ref())
            }
            Statement::CancelBackup { tenants } => {
                self.require_alter_system(session)?;
                self.cancel_backup(session, tenants.as_ref())
            }
            Statement::DeletePolicy {
                add,
                name,
                recovery_window,
                redundancy,
                tenants,
            } => {
                self.require_alter_system(session)?;
                self.delete_policy(
                    session,
                    *add,
                    name,
                    recovery_window.as_deref(),
                    *redundancy,
                    tenants.as_ref(),
                )
            }
        }
    }

    pub(crate) fn require_alter_system(&self, session: &Session) -> Result<(), ObError> {
        if session.privilege == "all" {
            Ok(())
        } else {
            Err(ObError::no_privilege("ALTER SYSTEM"))
        }
    }

    /// Resolves a TENANT list given from `session` to user-tenant ids.
    /// From a user tenant a TENANT clause is 1227 (reference §0.4); unknown names are 5160.
    pub(crate) fn resolve_tenants(
        &self,
        session: &Session,
        list: Option<&TenantList>,
    ) -> Result<Vec<u64>, ObError> {
        let user_ids = || {
            self.tenants
                .values()
                .filter(|t| t.kind == TenantType::User)
                .map(|t| t.id)
                .collect()
        };
        match list {
            None if session.tenant_id == SYS_TENANT_ID => Ok(user_ids()),
            None => Ok(vec![session.tenant_id]),
            Some(_) if session.tenant_id != SYS_TENANT_ID => {
                Err(ObError::no_privilege("ALTER SYSTEM"))
            }
            Some(TenantList::All | TenantList::AllUser) => Ok(user_ids()),
            Some(TenantList::AllMeta) => Ok(self
                .tenants
                .values()
                .filter(|t| t.kind == TenantType::Meta)
                .map(|t| t.id)
                .collect()),
            Some(TenantList::Names(names)) => {
                let mut ids = Vec::new();
                for name in names {
                    let t = self
                        .tenant_by_name(name)
                        .ok_or_else(ObError::invalid_tenant_name)?;
                    if ids.contains(&t.id) {
                        return Err(ObError::not_supported(Some(&format!(
                            "duplicate tenant {name} is"
                        ))));
                    }
                    ids.push(t.id);
                }
                Ok(ids)
            }
        }
    }

    fn alter_system_set(&mut self, session: &Session, items: &[SetItem]) -> Result<Reply, ObError> {
        let is_backup_config = |name: &str| {
            matches!(
                name,
                "data_backup_dest"
                    | "log_archive_dest"
                    | "log_archive_dest_state"
                    | "log_restore_source"
            ) || name
                .strip_prefix("log_archive_dest_")
                .is_some_and(|n| n.parse::<u8>().is_ok())
                || name
                    .strip_prefix("log_archive_dest_state_")
                    .is_some_and(|n| n.parse::<u8>().is_ok())
        };
        let backup_items = items.iter().filter(|i| is_backup_config(&i.name)).count();
        if backup_items > 0 && backup_items < items.len() {
            // Resolver, reference §2.1.3.
            return Err(ObError::not_supported(Some(
                "backup configuration items cannot be set together with non data backup configuration items",
            )));
        }
        if backup_items > 0 {
            for item in items {
                self.set_backup_config(session, item)?;
            }
            return Ok(Reply::Ok(0));
        }
        // Validate every item before applying any (the statement is atomic).
        let mut updates = Vec::new();
        for item in items {
            let def = parameter::find_on(&self.version_parts, &item.name)
                .ok_or_else(ObError::config_unknown)?;
            // all_user/all_meta arrived in 4.2.1: before, they are looked up as
            // tenant names (5160); from 4.2.1 they need every server at 4.2.1.0
            // or later, else 4007, shown as 1235 (v4.2.1_CE
            // src/rootserver/ob_system_admin_util.cpp, verify_config, against
            // GET_MIN_CLUSTER_VERSION()). `all` is taken by every 4.x build.
            if let Some(TenantList::AllUser | TenantList::AllMeta) = &item.tenant {
                if !self.at_least(&[4, 2, 1]) {
                    return Err(ObError::invalid_tenant_name());
                }
                if !self.all_servers_at(&[4, 2, 1, 0]) {
                    return Err(ObError::not_supported(None));
                }
            }
            if !def.kind.accepts(item.value.text()) {
                return Err(ObError::invalid_config());
            }
            let targets = match (def.scope, &item.tenant) {
                // A cluster parameter with TENANT = fails verify_config as
                // unknown for tenants: 5099 (v4.2.1_CE src/rootserver/ob_system_admin_util.cpp).
                (Scope::Cluster, Some(_)) => return Err(ObError::config_unknown()),
                (Scope::Cluster, None) => vec![],
                (Scope::Tenant, None) => vec![session.tenant_id],
                // `all`: user tenants once every server runs 4.2.1; before
                // that, every tenant, sys and meta included (same source).
                (Scope::Tenant, Some(TenantList::All))
                    if !(self.at_least(&[4, 2, 1]) && self.all_servers_at(&[4, 2, 1, 0])) =>
                {
                    if session.tenant_id != SYS_TENANT_ID {
                        return Err(ObError::no_privilege("ALTER SYSTEM"));
                    }
                    self.tenants.keys().copied().collect()
                }
                (Scope::Tenant, Some(list)) => self.resolve_tenants(session, Some(list))?,
            };
            updates.push((def, targets, item.value.text().to_string()));
        }
        for (def, _, value) in &updates {
            if def.scope == Scope::Cluster {
                self.cluster_parameters
                    .insert(def.name.to_string(), value.clone());
            }
        }
        for (def, targets, value) in updates {
            for id in targets {
                if let Some(t) = self.tenants.get_mut(&id) {
                    t.parameters.insert(def.name.to_string(), value.clone());
                }
            }
        }
        Ok(Reply::Ok(0))
    }

    /// `LOG_ARCHIVE_DEST`, `LOG_ARCHIVE_DEST_STATE`, `DATA_BACKUP_DEST` (reference §2.1.3).
    fn set_backup_config(&mut self, session: &Session, item: &SetItem) -> Result<(), ObError> {
        let tenant_id = match (&item.tenant, session.tenant_id == SYS_TENANT_ID) {
            (None, true) => return Err(ObError::not_supported(None)),
            (Some(_), false) => return Err(ObError::no_privilege("ALTER SYSTEM")),
            (None, false) => session.tenant_id,
            (Some(TenantList::Names(names)), true) if names.len() == 1 => {
                self.tenant_by_name(&names[0])
                    .ok_or_else(ObError::invalid_tenant_name)?
                    .id
            }
            (Some(_), true) => return Err(ObError::not_supported(None)),
        };
        let kind = self.tenants.get(&tenant_id).map(|t| t.kind);
        if kind != Some(TenantType::User) {
            return Err(ObError::not_supported(None));
        }
        let value = item.value.text();
        match item.name.as_str() {
            "log_archive_dest" => {
                // The value is parsed before the round is checked
                // (v4.2.2_CE_BP1 src/rootserver/ob_root_service.cpp,
                // admin_set_backup_config: the parser runs in init, the
                // running check in update_inner_config_table).
                let parsed = if value.is_empty() {
                    None
                } else {
                    Some(parse_archive_dest(value)?)
                };
                let round_running = self.tenants[&tenant_id]
                    .round
                    .as_ref()
                    .is_some_and(|r| r.status != "STOP");
                if round_running {
                    return Err(ObError::not_supported(Some(
                        "change archive dest when archive is running is",
                    )));
                }
                let Some(parsed) = parsed else {
                    if let Some(t) = self.tenants.get_mut(&tenant_id) {
                        t.archive_dest = None;
                    }
                    return Ok(());
                };
                self.claim_storage(&parsed.location.root, tenant_id, "archive")?;
                let dest_id = self.next_dest_id;
                self.next_dest_id += 1;
                if let Some(t) = self.tenants.get_mut(&tenant_id) {
                    t.archive_dest = Some(ArchiveDest {
                        path: parsed.location.stored_on(&self.version_parts),
                        root: parsed.location.root.clone(),
                        binding: parsed.binding,
                        piece_switch_interval: parsed.piece_switch_interval,
                        state: "ENABLE".into(),
                        dest_id,
                        compression: parsed.compression,
                    });
                }
                Ok(())
            }
            "log_archive_dest_state" => {
                let upper = value.to_ascii_uppercase();
                if upper != "ENABLE" && upper != "DEFER" {
                    return Err(ObError::invalid_argument());
                }
                if let Some(dest) = self
                    .tenants
                    .get_mut(&tenant_id)
                    .and_then(|t| t.archive_dest.as_mut())
                {
                    dest.state = upper;
                }
                Ok(())
            }
            "data_backup_dest" => {
                if self.jobs.iter().any(|j| j.tenant_id == tenant_id) {
                    return Err(ObError::backup_in_progress());
                }
                if value.is_empty() {
                    if let Some(t) = self.tenants.get_mut(&tenant_id) {
                        t.data_backup_dest = None;
                    }
                    return Ok(());
                }
                let uri = Uri::parse(value)?;
                self.claim_storage(&uri.root, tenant_id, "data")?;
                if let Some(t) = self.tenants.get_mut(&tenant_id) {
                    t.data_backup_dest = Some(uri.stored_on(&self.version_parts));
                }
                Ok(())
            }
            other => Err(ObError::not_supported(Some(&format!(
                "obsim: backup config {other} is"
            )))),
        }
    }

    /// A destination directory may hold only one tenant's data of one kind: the
    /// `format` file written there must match (9081, reference §2.1.3 / §2.2.2).
    fn claim_storage(
        &mut self,
        root: &str,
        tenant_id: u64,
        kind: &'static str,
    ) -> Result<(), ObError> {
        match self.storage.get(root) {
            Some(&(owner, k)) if owner != tenant_id || k != kind => {
                Err(ObError::format_file_not_match())
            }
            _ => {
                self.storage.insert(root.to_string(), (tenant_id, kind));
                Ok(())
            }
        }
    }

    /// `ALTER SYSTEM [NO]ARCHIVELOG` with 4.1+ semantics (reference §2.5 A).
    fn archivelog(
        &mut self,
        session: &Session,
        enable: bool,
        list: Option<&TenantList>,
    ) -> Result<Reply, ObError> {
        if matches!(list, Some(TenantList::AllUser | TenantList::AllMeta)) {
            return Err(ObError::not_supported(Some(
                "use all_user/all_meta in 'ALTER SYSTEM ARCHIVELOG' syntax is",
            )));
        }
        let from_sys = session.tenant_id == SYS_TENANT_ID;
        let ids = self.resolve_tenants(session, list)?;
        let mut last_error = None;
        for id in ids {
            let Some(t) = self.tenants.get_mut(&id) else {
                continue;
            };
            // Only opening checks the tenant is NORMAL (v4.2.2_CE_BP1
            // src/rootserver/backup/ob_tenant_archive_scheduler.cpp:
            // check_can_do_archive serves open, not close_archive_mode).
            let result = if enable && t.status != "NORMAL" {
                Err(ObError::cannot_start_log_archive())
            } else if enable && t.log_mode == "ARCHIVELOG" {
                Err(ObError::already_archivelog())
            } else if !enable && t.log_mode == "NOARCHIVELOG" {
                Err(ObError::already_noarchivelog())
            } else {
                t.log_mode = if enable { "ARCHIVELOG" } else { "NOARCHIVELOG" }.into();
                Ok(())
            };
            if let Err(e) = result {
                last_error = Some(e);
            }
        }
        self.tick(Instant::now());
        match last_error {
            // From sys, per-tenant ARCHIVELOG errors are swallowed; NOARCHIVELOG keeps the last one.
            Some(e) if !from_sys || !enable => Err(e),
            _ => Ok(Reply::Ok(0)),
        }
    }

    /// The value of cluster-scope parameter `def`.
    pub fn cluster_parameter_value(&self, def: &Definition) -> String {
        if let Some(v) = self.cluster_parameters.get(def.name) {
            return v.clone();
        }
        if def.name == "min_observer_version" {
            return self.min_observer_version.clone();
        }
        def.default.to_string()
    }

    /// Whether every server runs `parts` or later (`min_observer_version`).
    fn all_servers_at(&self, parts: &[u32]) -> bool {
        let min: Vec<u32> = self
            .cluster_parameters
            .get("min_observer_version")
            .unwrap_or(&self.min_observer_version)
            .split('.')
            .filter_map(|p| p.parse().ok())
            .chain(std::iter::repeat(0))
            .take(4)
            .collect();
        min.as_slice() >= parts
    }

    /// The value of tenant-scope parameter `def` for `tenant_id`.
    pub fn parameter_value(&self, def: &Definition, tenant_id: u64) -> String {
        self.tenants
            .get(&tenant_id)
            .and_then(|t| t.parameters.get(def.name))
            .cloned()
            .unwrap_or_else(|| def.default.to_string())
    }

    /// `SHOW PARAMETERS [LIKE …] [TENANT = …]`: 12 columns, or 14 from 4.2.2
    /// (reference §0.4), one row per server.
    fn show_parameters(
        &self,
        session: &Session,
        like: Option<&str>,
        tenant: Option<&str>,
    ) -> Result<Reply, ObError> {
        use crate::protocol::{Column, ColumnType};
        let tenant_id = match tenant {
            Some(_) if session.tenant_id != SYS_TENANT_ID => {
                return Err(ObError::no_privilege("ALTER SYSTEM"));
            }
            Some(name) => {
                self.tenant_by_name(name)
                    .ok_or_else(ObError::invalid_tenant_name)?
                    .id
            }
            None => session.tenant_id,
        };
        let with_default = self.at_least(&[4, 2, 2]);
        let mut names = vec![
            "zone",
            "svr_type",
            "svr_ip",
            "svr_port",
            "name",
            "data_type",
            "value",
            "info",
            "section",
            "scope",
            "source",
            "edit_level",
        ];
        if with_default {
            names.extend(["default_value", "isdefault"]);
        }
        let columns = names
            .iter()
            .map(|n| Column {
                name: (*n).to_string(),
                kind: if *n == "isdefault" || *n == "svr_port" {
                    ColumnType::BigInt
                } else {
                    ColumnType::Varchar
                },
            })
            .collect();
        let mut rows = Vec::new();
        for server in &self.servers {
            for def in parameter::parameters_on(&self.version_parts)
                .iter()
                .filter(|d| like.is_none_or(|p| like_match(p, d.name)))
            {
                let value = match def.scope {
                    Scope::Cluster => self.cluster_parameter_value(def),
                    Scope::Tenant => self.parameter_value(def, tenant_id),
                };
                let mut row = vec![
                    Some(server.zone.clone()),
                    Some("observer".into()),
                    Some(server.svr_ip.clone()),
                    Some(server.svr_port.to_string()),
                    Some(def.name.into()),
                    None,
                    Some(value.clone()),
                    Some(def.info.into()),
                    Some(def.section.into()),
                    Some(def.scope.as_str().into()),
                    Some("DEFAULT".into()),
                    Some("DYNAMIC_EFFECTIVE".into()),
                ];
                if with_default {
                    row.push(Some(def.default.into()));
                    row.push(Some(if value == def.default { "1" } else { "0" }.into()));
                }
                rows.push(row);
            }
        }
        Ok(Reply::Rows { columns, rows })
    }
}

impl Tenant {
    fn new(id: u64, name: &str, kind: TenantType) -> Self {
        Tenant {
            id,
            name: name.to_string(),
            kind,
            compatibility_mode: "MYSQL".into(),
            status: "NORMAL".into(),
            log_mode: "NOARCHIVELOG".into(),
            archive_dest: None,
            round: None,
            data_backup_dest: None,
            parameters: BTreeMap::new(),
        }
    }
}

/// The 4.1+ archive scheduler for dest 0, one pass per tenant as in
/// v4.2.2_CE_BP1 `src/rootserver/backup/ob_archive_scheduler_service.cpp`:
/// NOARCHIVELOG stops a round that is not STOP; with ARCHIVELOG, a DEFER
/// destination suspends a running round, and an ENABLE one starts a round
/// when there is none or it is STOP, or resumes it when it is SUSPEND (a
/// STOPPING or SUSPENDING round is left to finish first).
fn schedule_archive(tenant: &mut Tenant, now: Instant) -> bool {
    let status = tenant.round.as_ref().map(|r| r.status.as_str());
    // Only a DOING or INTERRUPTED round is suspended; a PREPARE or BEGINNING
    // one goes on to DOING first (v4.2.2_CE_BP1
    // src/share/backup/ob_tenant_archive_round.cpp, can_suspend_archive).
    let suspendable = matches!(status, Some("DOING" | "INTERRUPTED"));
    if tenant.log_mode == "ARCHIVELOG" {
        let Some(dest) = &tenant.archive_dest else {
            return false;
        };
        if dest.state == "ENABLE" {
            match status {
                None | Some("STOP") => {
                    let round_id = tenant.round.as_ref().map_or(1, |r| r.round_id + 1);
                    tenant.round = Some(Round {
                        round_id,
                        dest_id: dest.dest_id,
                        status: "PREPARE".into(),
                        since: now,
                        started: now,
                        path: dest.path.clone(),
                        piece_switch_interval: dest.piece_switch_interval.clone(),
                        lag_ns: 0,
                    });
                    true
                }
                // A suspended round resumes at BEGINNING (v4.2.2_CE_BP1
                // src/share/backup/ob_tenant_archive_round.cpp, enable_archive).
                Some("SUSPEND") => {
                    if let Some(r) = tenant.round.as_mut() {
                        r.status = "BEGINNING".into();
                        r.since = now;
                    }
                    true
                }
                _ => false,
            }
        } else if let (true, Some(r)) =
            (dest.state == "DEFER" && suspendable, tenant.round.as_mut())
        {
            r.status = "SUSPENDING".into();
            r.since = now;
            true
        } else {
            false
        }
    } else if let (true, Some(r)) = (
        matches!(status, Some(s) if s != "STOP" && s != "STOPPING"),
        tenant.round.as_mut(),
    ) {
        r.status = "STOPPING".into();
        r.since = now;
        true
    } else {
        false
    }
}

/// MySQL `LIKE` with `%` and `_`, case-insensitive (utf8mb4_general_ci).
pub fn like_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((b'_', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((b'\\', rest)) if !rest.is_empty() => {
                !t.is_empty() && t[0].eq_ignore_ascii_case(&rest[0]) && go(&rest[1..], &t[1..])
            }
            Some((c, rest)) => !t.is_empty() && t[0].eq_ignore_ascii_case(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_locks_are_per_tenant_reentrant_and_end_with_their_session() {
        let locks = UserLocks::default();
        assert_eq!(locks.get(1, "obbackup.apply", 7), 1);
        assert_eq!(locks.get(1, "obbackup.apply", 7), 1, "re-entrant");
        assert_eq!(locks.get(1, "obbackup.apply", 8), 0, "held by 7");
        assert_eq!(locks.holder(1, "obbackup.apply"), Some(7));
        // Another tenant has its own lock of that name.
        assert_eq!(locks.get(1002, "obbackup.apply", 8), 1);
        assert_eq!(
            locks.release(1, "obbackup.apply", 8),
            Some(0),
            "not the holder"
        );
        assert_eq!(locks.release(1, "obbackup.apply", 7), Some(1));
        assert_eq!(locks.holder(1, "obbackup.apply"), Some(7), "taken twice");
        locks.release_all(7);
        assert_eq!(locks.holder(1, "obbackup.apply"), None);
        assert_eq!(
            locks.release(1, "obbackup.apply", 7),
            None,
            "nobody holds it"
        );
        assert_eq!(locks.holder(1002, "obbackup.apply"), Some(8));
    }

    #[test]
    fn like() {
        assert!(like_match("%ha_low%", "ha_low_thread_score"));
        assert!(like_match("HA\\_LOW_THREAD_SCORE", "ha_low_thread_score"));
        assert!(!like_match("ha_low", "ha_low_thread_score"));
    }
}

//! Every SQL text obbackup sends is built here, through one literal-quoting
//! function ([`quote`]). Control statements follow OceanBase's grammar
//! (`shared/reference/oceanbase-backup.md` §0.4, §2.3); reads use the views of
//! §2.4 with explicit lower-case aliases, so rows are decoded by name.
//!
//! Statements are sent as text (COM_QUERY): OceanBase refuses `?` placeholders in
//! `ALTER SYSTEM` and `SHOW PARAMETERS` at PREPARE with 1064 (reference header).

use crate::secret::Secret;
use crate::step::{Wait, WaitUntil};
use serde::Serialize;

/// Quotes `value` as a MySQL string literal: wrapped in `'`, with `\`, `'`, NUL,
/// newline, carriage return and Ctrl-Z escaped. OceanBase's default `sql_mode`
/// treats backslash as an escape character, so both `\` and `'` are escaped.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1a}' => out.push_str("\\Z"),
            other => out.push(other),
        }
    }
    out.push('\'');
    out
}

/// The shortest start or end of a secret [`SqlText::redact`] masks: shorter
/// ones say next to nothing of the secret, and masking them would hide
/// words of the message (every `AL` of `ALTER` for a secret that starts so).
pub const FRAGMENT: usize = 4;

/// A statement in two forms: the text to show (secrets redacted) and the text to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SqlText {
    /// What output, plans and logs show.
    pub shown: String,
    /// What is sent; only [`Secret::expose`] reads it. Never serialised: a
    /// saved plan is re-planned at apply to obtain it.
    #[serde(skip)]
    pub text: Secret,
}

impl SqlText {
    /// A statement with nothing secret in it: shown as sent.
    pub fn plain(text: String) -> Self {
        Self {
            text: Secret::new(text.clone()),
            shown: text,
        }
    }

    /// The secret parts of the statement as sent: what stands in `text`
    /// where `shown` has [`crate::secret::REDACTED`]. Empty for a plain statement.
    pub fn secrets(&self) -> Vec<String> {
        let text = self.text.expose();
        let pieces: Vec<&str> = self.shown.split(crate::secret::REDACTED).collect();
        let Some((first, rest)) = pieces.split_first() else {
            return Vec::new();
        };
        let Some(mut remaining) = text.strip_prefix(first) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, piece) in rest.iter().enumerate() {
            let end = if piece.is_empty() && k == rest.len() - 1 {
                Some(remaining.len())
            } else if piece.is_empty() {
                continue;
            } else {
                remaining.find(piece)
            };
            let Some(end) = end else { break };
            out.push(remaining[..end].to_string());
            remaining = &remaining[end + piece.len()..];
        }
        out.retain(|s| !s.is_empty());
        out
    }

    /// `message` (a server's answer to this statement) with every secret
    /// of the statement, and every start or end of one of
    /// [`FRAGMENT`] characters or more (servers quote statements from the
    /// error position on, or cut them short), replaced by
    /// [`crate::secret::REDACTED`].
    pub fn redact(&self, message: &str) -> String {
        let mut out = message.to_string();
        for secret in self.secrets() {
            let chars: Vec<char> = secret.chars().collect();
            for len in (FRAGMENT.min(chars.len())..=chars.len()).rev() {
                let suffix: String = chars[chars.len() - len..].iter().collect();
                let prefix: String = chars[..len].iter().collect();
                for part in [suffix, prefix] {
                    if out.contains(&part) {
                        out = out.replace(&part, crate::secret::REDACTED);
                    }
                }
            }
        }
        out
    }
}

/// Which tenant a statement acts on, and how that is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Target {
    /// From sys: `TENANT = 'name'`.
    Tenant(String),
    /// From sys, 4.2.1+: `TENANT = all_user` (reference §0.4).
    AllUser,
    /// Logged into the tenant itself: no TENANT clause.
    Own,
}

impl Target {
    fn clause(&self) -> String {
        match self {
            Target::Tenant(name) => format!(" TENANT = {}", quote(name)),
            Target::AllUser => " TENANT = all_user".to_string(),
            Target::Own => String::new(),
        }
    }
}

/// `ALTER SYSTEM SET <name> = <value> [TENANT = …]`; `value` is already a SQL
/// literal (see [`int_literal`], [`quote`]).
pub fn set_parameter(name: &str, value_literal: &str, target: &Target) -> SqlText {
    SqlText::plain(format!(
        "ALTER SYSTEM SET {name} = {value_literal}{}",
        target.clause()
    ))
}

/// An integer as a SQL literal.
pub fn int_literal(value: i64) -> String {
    value.to_string()
}

/// `ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=… BINDING=… PIECE_SWITCH_INTERVAL=…'`.
/// The value is always written whole: omitted keys reset to defaults (reference §2.2.1).
pub fn set_log_archive_dest(
    location: &crate::destination::Destination,
    binding: &str,
    piece: &str,
    target: &Target,
) -> SqlText {
    let value =
        |loc: &str| format!("LOCATION={loc} BINDING={binding} PIECE_SWITCH_INTERVAL={piece}");
    let clause = target.clause();
    SqlText {
        shown: format!(
            "ALTER SYSTEM SET LOG_ARCHIVE_DEST = {}{clause}",
            quote(&value(&location.redacted()))
        ),
        text: Secret::new(format!(
            "ALTER SYSTEM SET LOG_ARCHIVE_DEST = {}{clause}",
            quote(&value(location.full().expose()))
        )),
    }
}

/// `ALTER SYSTEM SET LOG_ARCHIVE_DEST_STATE = 'ENABLE'|'DEFER'` (reference §2.1.3).
pub fn set_log_archive_dest_state(state: &crate::states::DestState, target: &Target) -> SqlText {
    SqlText::plain(format!(
        "ALTER SYSTEM SET LOG_ARCHIVE_DEST_STATE = {}{}",
        quote(state.as_str()),
        target.clause()
    ))
}

/// `ALTER SYSTEM SET DATA_BACKUP_DEST = '…'` (reference §2.1.3).
pub fn set_data_backup_dest(dest: &crate::destination::Destination, target: &Target) -> SqlText {
    let clause = target.clause();
    SqlText {
        shown: format!(
            "ALTER SYSTEM SET DATA_BACKUP_DEST = {}{clause}",
            quote(&dest.redacted())
        ),
        text: Secret::new(format!(
            "ALTER SYSTEM SET DATA_BACKUP_DEST = {}{clause}",
            quote(dest.full().expose())
        )),
    }
}

/// `ALTER SYSTEM ARCHIVELOG` / `NOARCHIVELOG` for one tenant (reference §2.3).
pub fn archivelog(enable: bool, target: &Target) -> SqlText {
    let verb = if enable { "ARCHIVELOG" } else { "NOARCHIVELOG" };
    SqlText::plain(format!("ALTER SYSTEM {verb}{}", target.clause()))
}

/// `ALTER SYSTEM CANCEL BACKUP [TENANT = …]` (reference §2.3).
pub fn cancel_backup(target: &Target) -> SqlText {
    SqlText::plain(format!("ALTER SYSTEM CANCEL BACKUP{}", target.clause()))
}

/// The only delete policy name OceanBase 4.x accepts: any other is refused
/// with 1235 `The policy name is not 'default', it is not supported`
/// (case-sensitive `STRCMP`; v4.0.0_CE..v4.3.1_CE_BETA
/// `src/sql/resolver/cmd/ob_alter_system_resolver.cpp`, `ObDeletePolicyResolver::resolve`).
pub const DELETE_POLICY_NAME: &str = "default";

/// `ALTER SYSTEM ADD DELETE BACKUP POLICY 'default' RECOVERY_WINDOW '<window>' [TENANT = …]`
/// (grammar from v4.0.0_CE on, `src/sql/parser/sql_parser_mysql_mode.y`, rule
/// `ADD DELETE BACKUP policy_name opt_recovery_window …`). `window` is a
/// duration OceanBase's `ObConfigTimeParser` reads (`7d`, `36h`).
pub fn add_delete_policy(window: &str, target: &Target) -> SqlText {
    SqlText::plain(format!(
        "ALTER SYSTEM ADD DELETE BACKUP POLICY {} RECOVERY_WINDOW {}{}",
        quote(DELETE_POLICY_NAME),
        quote(window),
        target.clause()
    ))
}

/// `ALTER SYSTEM DROP DELETE BACKUP POLICY 'default' [TENANT = …]`. OceanBase
/// has no statement that changes a policy: a new window is a drop, then an add.
pub fn drop_delete_policy(target: &Target) -> SqlText {
    SqlText::plain(format!(
        "ALTER SYSTEM DROP DELETE BACKUP POLICY {}{}",
        quote(DELETE_POLICY_NAME),
        target.clause()
    ))
}

/// `SET <variable> = <value>`: a session variable a step needs
/// ([`crate::step::Step::session`]), e.g. `SET ob_query_timeout = 600000000`
/// before a statement that checks a destination's storage.
pub fn set_session(setting: &crate::step::SessionSetting) -> SqlText {
    let name = match setting.name {
        crate::step::SessionVariable::ObQueryTimeout => "ob_query_timeout",
    };
    SqlText::plain(format!("SET {name} = {}", setting.value))
}

/// The first read: server line and clock. `ob_version()` exists on 3.x and 4.x
/// (reference §0.3); `NOW(6)` is the clock backup ages are measured with, in
/// the session's time zone, and `UNIX_TIMESTAMP()` the same instant in
/// seconds since the Unix epoch (`ObExprUnixTimestamp`, in every tag from
/// v3.1.0_CE_BP1 to v4.3.1_CE_BETA, `src/sql/engine/expr/ob_expr_operator_factory.cpp`):
/// their difference is the clock's offset from UTC.
pub const SERVER_QUERY: &str = "SELECT ob_version() AS ob_version, version() AS version, NOW(6) AS server_time, \
     UNIX_TIMESTAMP() AS server_epoch";

/// The login tenant, where the server offers `effective_tenant()` (OceanBase's
/// `ObExprEffectiveTenant`). seekdb 1.4 (a 4.3.5 derivative) answers 1305
/// (function does not exist); the caller then takes the tenant from the login
/// name (`user@tenant`).
pub const LOGIN_QUERY: &str =
    "SELECT effective_tenant() AS tenant_name, effective_tenant_id() AS tenant_id";

/// The fallback when `ob_version()` does not exist (not OceanBase).
pub const VERSION_FALLBACK_QUERY: &str = "SELECT version() AS version";

/// The cluster parameter holding the lowest build of the cluster's servers
/// (`GET_MIN_CLUSTER_VERSION()`; below a build's own version during a rolling
/// upgrade). A string, cluster scope, one row per server with a NULL
/// `TENANT_ID` in `GV$OB_PARAMETERS` (v4.2.2_CE_BP1
/// `src/share/parameter/ob_parameter_seed.ipp`,
/// `src/observer/virtual_table/ob_all_virtual_tenant_parameter_stat.cpp`).
pub const MIN_OBSERVER_VERSION: &str = "min_observer_version";

/// Parameters obbackup reads and manages on 4.x (reference §2.1.2).
pub const MANAGED_PARAMETERS_4X: &[&str] = &[
    "archive_lag_target",
    "backup_data_file_size",
    "ha_low_thread_score",
    "log_archive_concurrency",
];

/// One of the fixed reads of the live state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Read {
    /// User tenants with status and archive mode (`DBA_OB_TENANTS`).
    Tenants,
    /// Dest-0 archive destination rows (`CDB_OB_ARCHIVE_DEST`).
    ArchiveDest,
    /// Dest-0 archive round (`CDB_OB_ARCHIVELOG`).
    ArchiveLog,
    /// `data_backup_dest` (`CDB_OB_BACKUP_PARAMETER`).
    DataBackupDest,
    /// Managed parameters, one row per tenant and server (`GV$OB_PARAMETERS`).
    Parameters,
    /// Active backup jobs (`CDB_OB_BACKUP_JOBS`): the tenants' own, and the
    /// sys tenant's CLUSTER job of a backup started from sys, whose tenant
    /// jobs OceanBase creates at a later scheduling pass (v4.2.2_CE_BP1
    /// `src/rootserver/backup/ob_backup_data_scheduler.cpp`), with the
    /// tenants it backs up (`EXECUTOR_TENANT_ID`, ids joined by commas:
    /// `src/share/backup/ob_backup_struct.cpp`, `get_executor_tenant_id_str`).
    BackupJobs,
    /// The highest finished job id per tenant (`CDB_OB_BACKUP_JOB_HISTORY`): a job above it is new.
    BackupHistory,
    /// Progress of running backups (`CDB_OB_BACKUP_TASKS`).
    BackupTasks,
    /// Delete policies: tenant, name and recovery window as typed
    /// (`CDB_OB_BACKUP_DELETE_POLICY`). This view, the cleanup job views, the
    /// piece files and the set-file columns read here exist with these
    /// columns in every tag from v4.0.0_CE to v4.3.1_CE_BETA
    /// (`src/share/inner_table/ob_inner_table_schema_def.py`).
    DeletePolicy,
    /// Cleanup jobs: running ones, and each tenant's newest finished one
    /// (`CDB_OB_BACKUP_DELETE_JOBS`, `…_JOB_HISTORY`).
    DeleteJobs,
    /// Every backup set not yet deleted, one row per set: the usable ones
    /// (SUCCESS/AVAILABLE) are bases for incrementals, and all of them are what
    /// a recovery window can make obsolete (`CDB_OB_BACKUP_SET_FILES`).
    BackupSetList,
    /// Archive pieces not yet deleted (`CDB_OB_ARCHIVELOG_PIECE_FILES`).
    ArchivePieces,
    /// 3.x: backup parameters, one row per server (`SHOW PARAMETERS LIKE '%backup%'`).
    ClusterParameters,
    /// 3.x: the cluster's log archive row (`CDB_OB_BACKUP_ARCHIVELOG`, tenant 1).
    ClusterArchiveLog,
    /// 3.x: backup pieces and their copies (`CDB_OB_BACKUP_PIECE_FILES`).
    ClusterPieces,
    /// 3.x: round-mode backup-backup status (`CDB_OB_BACKUP_BACKUP_ARCHIVELOG`).
    ClusterRoundMode,
    /// 3.x: active backup-backup piece jobs (`CDB_OB_BACKUP_BACKUPPIECE_JOB`).
    ClusterPieceJobs,
    /// 3.x: tenants (`oceanbase.__all_tenant`; there is no DBA_OB_TENANTS).
    ClusterTenants,
    /// 3.x: the running cluster data backup (`CDB_OB_BACKUP_PROGRESS`).
    ClusterProgress,
    /// 3.x: finished cluster backup sets, one row each: type, snapshot
    /// (`START_TIME`: OceanBase writes the backup snapshot there, v3.1.5_CE_HF2
    /// `src/rootserver/ob_root_backup.cpp`), end and status
    /// (`CDB_OB_BACKUP_SET_DETAILS`, in every 3.1 tag).
    ClusterSetDetails,
    /// 3.x: where each backup-backup copy of a piece was written
    /// (`__all_backup_piece_files`, tenant 1, `copy_id > 0`): piece 0 marks
    /// round-mode copies, any other piece piece-mode copies, and OceanBase
    /// keeps the two apart by directory (v3.1.5_CE_HF2
    /// `src/share/backup/ob_log_archive_backup_info_mgr.cpp`,
    /// `check_has_round_mode_archive_in_dest`). The destination text may hold
    /// credentials: only its root is kept.
    ClusterCopyDests,
    /// 3.x: the cluster's `backup_status` (`__all_tenant_backup_info`, tenant
    /// 1): anything but `STOP` means a backup is in progress, PREPARE,
    /// SCHEDULE, DOING, CANCEL or CLEANUP (v3.1.5_CE_HF2
    /// `src/share/backup/ob_backup_info_mgr.cpp`, `check_if_doing_backup`).
    ClusterBackupStatus,
    /// 3.x: archive rounds, stopped ones included, with the first and last
    /// time each covers (`CDB_OB_BACKUP_ARCHIVELOG_SUMMARY`: the round
    /// history and the current round, in every 3.1 tag).
    ClusterRounds,
}

impl Read {
    /// Every read, in the order they are sent.
    pub const TENANT_LEVEL: [Read; 12] = [
        Read::Tenants,
        Read::ArchiveDest,
        Read::ArchiveLog,
        Read::DataBackupDest,
        Read::Parameters,
        Read::BackupJobs,
        Read::BackupHistory,
        Read::BackupTasks,
        Read::DeletePolicy,
        Read::DeleteJobs,
        Read::BackupSetList,
        Read::ArchivePieces,
    ];

    /// The reads of OceanBase 3.x (all from sys, reference §1.4 "Reading state").
    pub const CLUSTER_LEVEL: [Read; 11] = [
        Read::ClusterParameters,
        Read::ClusterArchiveLog,
        Read::ClusterPieces,
        Read::ClusterRoundMode,
        Read::ClusterPieceJobs,
        Read::ClusterTenants,
        Read::ClusterProgress,
        Read::ClusterSetDetails,
        Read::ClusterRounds,
        Read::ClusterBackupStatus,
        Read::ClusterCopyDests,
    ];

    /// The query text. From sys the `CDB_` views cover every tenant; from a user
    /// tenant the `DBA_` views cover that tenant only and have no `TENANT_ID`
    /// (reference §2.4): their rows belong to the login tenant, and `tenant_id`
    /// is a constant 0 there.
    pub fn sql(self, sys_login: bool) -> String {
        let (prefix, tenant_col) = if sys_login {
            ("CDB", "TENANT_ID")
        } else {
            ("DBA", "0")
        };
        match self {
            Read::Tenants => "SELECT TENANT_ID AS tenant_id, TENANT_NAME AS tenant_name, STATUS AS status, LOG_MODE AS log_mode \
                 FROM oceanbase.DBA_OB_TENANTS WHERE TENANT_TYPE = 'USER' ORDER BY TENANT_ID"
                .to_string(),
            Read::ArchiveDest => format!(
                "SELECT {tenant_col} AS tenant_id, NAME AS name, VALUE AS value FROM oceanbase.{prefix}_OB_ARCHIVE_DEST WHERE DEST_NO = 0"
            ),
            Read::ArchiveLog => format!(
                "SELECT {tenant_col} AS tenant_id, ROUND_ID AS round_id, STATUS AS status, CHECKPOINT_SCN_DISPLAY AS checkpoint \
                 FROM oceanbase.{prefix}_OB_ARCHIVELOG WHERE DEST_NO = 0"
            ),
            Read::DataBackupDest => format!(
                "SELECT {tenant_col} AS tenant_id, VALUE AS value FROM oceanbase.{prefix}_OB_BACKUP_PARAMETER WHERE NAME = 'data_backup_dest'"
            ),
            Read::Parameters => {
                let names: Vec<String> = MANAGED_PARAMETERS_4X
                    .iter()
                    .chain(&[MIN_OBSERVER_VERSION])
                    .map(|n| quote(n))
                    .collect();
                format!(
                    "SELECT TENANT_ID AS tenant_id, SVR_IP AS svr_ip, SVR_PORT AS svr_port, NAME AS name, VALUE AS value \
                     FROM oceanbase.GV$OB_PARAMETERS WHERE NAME IN ({})",
                    names.join(", ")
                )
            }
            Read::BackupJobs => format!(
                "SELECT {tenant_col} AS tenant_id, JOB_ID AS job_id, BACKUP_TYPE AS backup_type, STATUS AS status, \
                 START_TIMESTAMP AS start_time, ENCRYPTION_MODE AS encryption_mode, PLUS_ARCHIVELOG AS plus_archivelog, \
                 JOB_LEVEL AS job_level, EXECUTOR_TENANT_ID AS executor FROM oceanbase.{prefix}_OB_BACKUP_JOBS \
                 WHERE JOB_LEVEL IN ('USER_TENANT', 'CLUSTER')"
            ),
            Read::BackupHistory => format!(
                "SELECT {tenant_col} AS tenant_id, COALESCE(MAX(JOB_ID), 0) AS max_job_id \
                 FROM oceanbase.{prefix}_OB_BACKUP_JOB_HISTORY WHERE JOB_LEVEL = 'USER_TENANT'{group}",
                group = if sys_login { " GROUP BY TENANT_ID" } else { "" }
            ),
            Read::ClusterParameters => "SHOW PARAMETERS LIKE '%backup%'".to_string(),
            Read::ClusterArchiveLog => "SELECT LOG_ARCHIVE_ROUND AS round_id, STATUS AS status, MAX_NEXT_TIME AS checkpoint \
                 FROM oceanbase.CDB_OB_BACKUP_ARCHIVELOG WHERE TENANT_ID = 1"
                .to_string(),
            Read::ClusterPieces => "SELECT ROUND_ID AS round_id, BACKUP_PIECE_ID AS piece_id, COPY_ID AS copy_id, STATUS AS status, \
                 FILE_STATUS AS file_status FROM oceanbase.CDB_OB_BACKUP_PIECE_FILES WHERE TENANT_ID = 1"
                .to_string(),
            Read::ClusterRoundMode => {
                "SELECT STATUS AS status FROM oceanbase.CDB_OB_BACKUP_BACKUP_ARCHIVELOG WHERE TENANT_ID = 1".to_string()
            }
            Read::ClusterPieceJobs => "SELECT JOB_ID AS job_id, STATUS AS status FROM oceanbase.CDB_OB_BACKUP_BACKUPPIECE_JOB".to_string(),
            Read::ClusterTenants => "SELECT tenant_id AS tenant_id, tenant_name AS tenant_name FROM oceanbase.__all_tenant".to_string(),
            Read::ClusterProgress => "SELECT BS_KEY AS bs_key, BACKUP_TYPE AS backup_type, STATUS AS status \
                 FROM oceanbase.CDB_OB_BACKUP_PROGRESS WHERE TENANT_ID = 1"
                .to_string(),
            Read::ClusterSetDetails => "SELECT BS_KEY AS bs_key, BACKUP_TYPE AS backup_type, START_TIME AS snapshot, \
                 COMPLETION_TIME AS end_time, STATUS AS status FROM oceanbase.CDB_OB_BACKUP_SET_DETAILS WHERE TENANT_ID = 1"
                .to_string(),
            Read::ClusterCopyDests => "SELECT backup_piece_id AS piece_id, backup_dest AS backup_dest \
                 FROM oceanbase.__all_backup_piece_files WHERE tenant_id = 1 AND copy_id > 0"
                .to_string(),
            Read::ClusterBackupStatus => "SELECT value AS backup_status FROM oceanbase.__all_tenant_backup_info \
                 WHERE tenant_id = 1 AND name = 'backup_status'"
                .to_string(),
            Read::ClusterRounds => "SELECT LOG_ARCHIVE_ROUND AS round_id, STATUS AS status, MIN_FIRST_TIME AS start_time, \
                 MAX_NEXT_TIME AS checkpoint FROM oceanbase.CDB_OB_BACKUP_ARCHIVELOG_SUMMARY WHERE TENANT_ID = 1"
                .to_string(),
            Read::DeletePolicy => format!(
                "SELECT {tenant_col} AS tenant_id, POLICY_NAME AS policy_name, RECOVERY_WINDOW AS recovery_window \
                 FROM oceanbase.{prefix}_OB_BACKUP_DELETE_POLICY"
            ),
            // Running jobs, and the newest finished job of each tenant (an old
            // failure that a later job made good is not news).
            Read::DeleteJobs => {
                let columns = format!(
                    "{tenant_col} AS tenant_id, JOB_ID AS job_id, STATUS AS status, START_TIMESTAMP AS start_time, \
                     END_TIMESTAMP AS end_time, RESULT AS result, COMMENT AS comment"
                );
                let newest = if sys_login {
                    format!(
                        "(TENANT_ID, JOB_ID) IN (SELECT TENANT_ID, MAX(JOB_ID) FROM oceanbase.{prefix}_OB_BACKUP_DELETE_JOB_HISTORY GROUP BY TENANT_ID)"
                    )
                } else {
                    format!("JOB_ID = (SELECT MAX(JOB_ID) FROM oceanbase.{prefix}_OB_BACKUP_DELETE_JOB_HISTORY)")
                };
                format!(
                    "SELECT {columns} FROM oceanbase.{prefix}_OB_BACKUP_DELETE_JOBS \
                     UNION ALL SELECT {columns} FROM oceanbase.{prefix}_OB_BACKUP_DELETE_JOB_HISTORY WHERE {newest}"
                )
            }
            Read::BackupSetList => format!(
                "SELECT {tenant_col} AS tenant_id, BACKUP_SET_ID AS backup_set_id, BACKUP_TYPE AS backup_type, \
                 STATUS AS status, FILE_STATUS AS file_status, END_TIMESTAMP AS end_time, \
                 START_REPLAY_SCN AS start_replay_scn, MIN_RESTORE_SCN AS min_restore_scn, \
                 MIN_RESTORE_SCN_DISPLAY AS min_restore_time, PREV_FULL_BACKUP_SET_ID AS prev_full, \
                 PREV_INC_BACKUP_SET_ID AS prev_inc, PLUS_ARCHIVELOG AS plus_archivelog, PATH AS path \
                 FROM oceanbase.{prefix}_OB_BACKUP_SET_FILES WHERE FILE_STATUS <> 'DELETED'"
            ),
            Read::ArchivePieces => format!(
                "SELECT {tenant_col} AS tenant_id, DEST_ID AS dest_id, ROUND_ID AS round_id, PIECE_ID AS piece_id, \
                 STATUS AS status, FILE_STATUS AS file_status, START_SCN AS start_scn, END_SCN AS end_scn, \
                 CHECKPOINT_SCN AS checkpoint_scn, \
                 CHECKPOINT_SCN_DISPLAY AS checkpoint_time, PATH AS path \
                 FROM oceanbase.{prefix}_OB_ARCHIVELOG_PIECE_FILES WHERE FILE_STATUS <> 'DELETED'"
            ),
            Read::BackupTasks => format!(
                "SELECT {tenant_col} AS tenant_id, JOB_ID AS job_id, MACRO_BLOCK_COUNT AS total, FINISH_MACRO_BLOCK_COUNT AS done \
                 FROM oceanbase.{prefix}_OB_BACKUP_TASKS"
            ),
        }
    }
}

/// The query a wait polls: the dest-0 archive round of one tenant.
pub fn archive_status_query(sys_login: bool, tenant_id: u64) -> String {
    if sys_login {
        format!(
            "SELECT STATUS AS status FROM oceanbase.CDB_OB_ARCHIVELOG WHERE DEST_NO = 0 AND TENANT_ID = {tenant_id}"
        )
    } else {
        "SELECT STATUS AS status FROM oceanbase.DBA_OB_ARCHIVELOG WHERE DEST_NO = 0".to_string()
    }
}

/// `ALTER SYSTEM BACKUP [INCREMENTAL] TENANT = 'a', 'b' [PLUS ARCHIVELOG]` from
/// sys, or `ALTER SYSTEM BACKUP [INCREMENTAL] DATABASE [PLUS ARCHIVELOG]` from the
/// tenant itself (reference §2.3).
pub fn backup(incremental: bool, tenants: &[String], own: bool, plus_archivelog: bool) -> SqlText {
    let kind = if incremental {
        "BACKUP INCREMENTAL"
    } else {
        "BACKUP"
    };
    let scope = if own {
        "DATABASE".to_string()
    } else {
        format!(
            "TENANT = {}",
            tenants
                .iter()
                .map(|t| quote(t))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let plus = if plus_archivelog {
        " PLUS ARCHIVELOG"
    } else {
        ""
    };
    SqlText::plain(format!("ALTER SYSTEM {kind} {scope}{plus}"))
}

/// `SET ENCRYPTION ON IDENTIFIED BY '…' ONLY`: session-scoped, read by the next
/// `BACKUP` statements of the same session (reference §2.3, §2.5 E).
pub fn set_encryption(password: &Secret) -> SqlText {
    SqlText {
        shown: format!(
            "SET ENCRYPTION ON IDENTIFIED BY {} ONLY",
            quote(crate::secret::REDACTED)
        ),
        text: Secret::new(format!(
            "SET ENCRYPTION ON IDENTIFIED BY {} ONLY",
            quote(password.expose())
        )),
    }
}

/// The query a backup wait polls: jobs of one tenant with an id above `after`,
/// active or finished, with progress in percent from the tasks' macro block
/// counts. (`DATA_PROGRESS` would be simpler, but `CDB_OB_BACKUP_TASKS` lacks
/// it before 4.2.1.3 and `DBA_OB_BACKUP_TASKS` before 4.3.1.0, while
/// `MACRO_BLOCK_COUNT` and `FINISH_MACRO_BLOCK_COUNT` are in both views from
/// v4.1.0_CE on: `src/share/inner_table/ob_inner_table_schema_def.py`.)
pub fn backup_job_query(sys_login: bool, tenant_id: u64, after: u64) -> String {
    let columns = "j.JOB_ID AS job_id, j.BACKUP_TYPE AS backup_type, j.STATUS AS status, j.ENCRYPTION_MODE AS encryption_mode, j.RESULT AS result, j.COMMENT AS comment";
    let (prefix, filter) = if sys_login {
        ("CDB", format!("j.TENANT_ID = {tenant_id} AND "))
    } else {
        ("DBA", String::new())
    };
    let same_tenant = if sys_login {
        "t.TENANT_ID = j.TENANT_ID AND "
    } else {
        ""
    };
    format!(
        "SELECT {columns}, (SELECT 100 * SUM(t.FINISH_MACRO_BLOCK_COUNT) / NULLIF(SUM(t.MACRO_BLOCK_COUNT), 0) FROM oceanbase.{prefix}_OB_BACKUP_TASKS t WHERE {same_tenant}t.JOB_ID = j.JOB_ID) AS progress \
         FROM oceanbase.{prefix}_OB_BACKUP_JOBS j WHERE {filter}j.JOB_ID > {after} AND j.JOB_LEVEL = 'USER_TENANT' \
         UNION ALL SELECT {columns}, NULL AS progress FROM oceanbase.{prefix}_OB_BACKUP_JOB_HISTORY j WHERE {filter}j.JOB_ID > {after} AND j.JOB_LEVEL = 'USER_TENANT'"
    )
}

/// 3.x `ALTER SYSTEM SET backup_dest = '…'` (credentials redacted in the shown form).
pub fn set_backup_dest(name: &str, dest: Option<&crate::destination::Destination>) -> SqlText {
    match dest {
        Some(d) => SqlText {
            shown: format!("ALTER SYSTEM SET {name} = {}", quote(&d.redacted())),
            text: Secret::new(format!(
                "ALTER SYSTEM SET {name} = {}",
                quote(d.full().expose())
            )),
        },
        None => SqlText::plain(format!("ALTER SYSTEM SET {name} = ''")),
    }
}

/// 3.x `ALTER SYSTEM MINOR FREEZE` (§1.5 A: shortens BEGINNING).
pub fn minor_freeze() -> SqlText {
    SqlText::plain("ALTER SYSTEM MINOR FREEZE".to_string())
}

/// 3.x `ALTER SYSTEM START|STOP BACKUP ARCHIVELOG` (round-mode backup-backup, §1.3).
pub fn round_mode(start: bool) -> SqlText {
    SqlText::plain(format!(
        "ALTER SYSTEM {} BACKUP ARCHIVELOG",
        if start { "START" } else { "STOP" }
    ))
}

/// 3.x `ALTER SYSTEM BACKUP BACKUPPIECE ALL NOT BACKED UP n TIMES BACKUP_BACKUP_DEST = '…'` (§1.3).
pub fn copy_pieces(copy: PieceCopy<'_>) -> SqlText {
    match copy {
        PieceCopy::AllToConfigured => SqlText::plain("ALTER SYSTEM BACKUP BACKUPPIECE ALL".into()),
        PieceCopy::NotBackedUp { times, dest } => {
            let head = format!(
                "ALTER SYSTEM BACKUP BACKUPPIECE ALL NOT BACKED UP {times} TIMES BACKUP_BACKUP_DEST = "
            );
            SqlText {
                shown: format!("{head}{}", quote(&dest.redacted())),
                text: Secret::new(format!("{head}{}", quote(dest.full().expose()))),
            }
        }
    }
}

/// How a 3.x piece copy names what to copy and where.
#[derive(Debug, Clone, Copy)]
pub enum PieceCopy<'a> {
    /// `BACKUP BACKUPPIECE ALL`: every available piece not yet in the
    /// configured `backup_backup_dest` (OceanBase 3.1: `NOT BACKED UP n TIMES`
    /// there needs a destination other than the configured one, 1235 —
    /// v3.1.5_CE_HF2 `src/sql/resolver/cmd/ob_alter_system_resolver.cpp`,
    /// `ObBackupBackupPieceResolver`, `check_same_with_gconf`).
    AllToConfigured,
    /// `… ALL NOT BACKED UP n TIMES BACKUP_BACKUP_DEST = '…'` (the OceanBase
    /// 3.2 documents give the destination with `NOT BACKED UP n TIMES`).
    NotBackedUp {
        /// Copies each piece must have.
        times: i64,
        /// The backup-backup destination.
        dest: &'a crate::destination::Destination,
    },
}

/// 3.x wait: the cluster's log archive status.
pub const CLUSTER_ARCHIVE_STATUS_QUERY: &str =
    "SELECT STATUS AS status FROM oceanbase.CDB_OB_BACKUP_ARCHIVELOG WHERE TENANT_ID = 1";

/// 3.x wait: the running cluster backup (`CDB_OB_BACKUP_PROGRESS`).
pub const CLUSTER_RUNNING_BACKUP_QUERY: &str = "SELECT BS_KEY AS job_id, STATUS AS status FROM oceanbase.CDB_OB_BACKUP_PROGRESS WHERE TENANT_ID = 1 AND STATUS = 'RUNNING'";

/// 3.x wait: active backup-backup piece jobs.
pub const CLUSTER_PIECE_JOBS_QUERY: &str =
    "SELECT JOB_ID AS job_id, STATUS AS status FROM oceanbase.CDB_OB_BACKUP_BACKUPPIECE_JOB";

/// 3.x wait: the cluster backup with a `BS_KEY` above `after`, running or finished.
pub fn cluster_backup_query(after: u64) -> String {
    format!(
        "SELECT BS_KEY AS job_id, BACKUP_TYPE AS backup_type, STATUS AS status, NULL AS encryption_mode, NULL AS result, NULL AS comment \
         FROM oceanbase.CDB_OB_BACKUP_PROGRESS WHERE TENANT_ID = 1 AND BS_KEY > {after} \
         UNION ALL SELECT BS_KEY AS job_id, BACKUP_TYPE AS backup_type, STATUS AS status, ENCRYPTION_MODE AS encryption_mode, NULL AS result, NULL AS comment \
         FROM oceanbase.CDB_OB_BACKUP_SET_DETAILS WHERE TENANT_ID = 1 AND BS_KEY > {after}"
    )
}

/// The query a wait polls: the active backup jobs of one tenant.
pub fn backup_jobs_query(sys_login: bool, tenant_id: u64) -> String {
    if sys_login {
        format!(
            "SELECT JOB_ID AS job_id, STATUS AS status FROM oceanbase.CDB_OB_BACKUP_JOBS WHERE TENANT_ID = {tenant_id}"
        )
    } else {
        "SELECT JOB_ID AS job_id, STATUS AS status FROM oceanbase.DBA_OB_BACKUP_JOBS".to_string()
    }
}

/// The name of the lock `apply` holds while it plans and runs
/// ([`get_lock`]), in the login tenant: user-level locks are per tenant.
pub const APPLY_LOCK: &str = "obbackup.apply";

/// `SELECT GET_LOCK('<name>', 0) AS got`: takes the user-level lock without
/// waiting (the caller retries): `got` is 1 when taken, 0 when another
/// session holds it (v4.3.1_CE_BETA `src/sql/engine/expr/ob_expr_lock_func.cpp`:
/// a wait would be cut short by the statement's `ob_query_timeout`).
pub fn get_lock(name: &str) -> String {
    format!("SELECT GET_LOCK({}, 0) AS got", quote(name))
}

/// `SELECT IS_USED_LOCK('<name>') AS holder`: the client session id (the
/// connection id on a direct connection) of the session holding the lock,
/// or NULL (v4.3.1_CE_BETA `src/sql/engine/expr/ob_expr_lock_func.cpp`,
/// `ObExprIsUsedLock::is_used_lock`).
pub fn is_used_lock(name: &str) -> String {
    format!("SELECT IS_USED_LOCK({}) AS holder", quote(name))
}

/// `SELECT RELEASE_LOCK('<name>') AS released`: 1 when released, 0 when
/// another session holds it, NULL when nobody does (v4.3.1_CE_BETA
/// `src/sql/engine/expr/ob_expr_lock_func.cpp`, `ObExprReleaseLock::release_lock`).
pub fn release_lock(name: &str) -> String {
    format!("SELECT RELEASE_LOCK({}) AS released", quote(name))
}

/// One query polling the waits of several tenants at once from sys (4.x):
/// the rows each wait's own query reads ([`archive_status_query`],
/// [`backup_jobs_query`], [`backup_job_query`]), for every tenant in
/// `waits`, each with a `tenant_id` column. A backup-job poll reads the jobs
/// above the smallest `after_job_id` of `waits`;
/// [`crate::live::rows_for`] gives each wait its own rows back.
///
/// `None` when `waits` is empty or cannot be polled together
/// ([`Wait::polls_with`]): each is then polled by its own query.
pub fn wait_query_many(waits: &[&Wait]) -> Option<String> {
    let first = waits.first()?;
    if !waits.iter().all(|w| first.polls_with(w)) {
        return None;
    }
    let ids = waits
        .iter()
        .filter_map(|w| w.tenant_id)
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Some(match &first.until {
        WaitUntil::ArchiveStatus { .. } => format!(
            "SELECT TENANT_ID AS tenant_id, STATUS AS status FROM oceanbase.CDB_OB_ARCHIVELOG WHERE DEST_NO = 0 AND TENANT_ID IN ({ids})"
        ),
        WaitUntil::NoBackupJobs => format!(
            "SELECT TENANT_ID AS tenant_id, JOB_ID AS job_id, STATUS AS status FROM oceanbase.CDB_OB_BACKUP_JOBS WHERE TENANT_ID IN ({ids})"
        ),
        WaitUntil::BackupJob { .. } => {
            let after = waits
                .iter()
                .filter_map(|w| match w.until {
                    WaitUntil::BackupJob { after_job_id, .. } => Some(after_job_id),
                    _ => None,
                })
                .min()
                .unwrap_or(0);
            let columns = "j.TENANT_ID AS tenant_id, j.JOB_ID AS job_id, j.BACKUP_TYPE AS backup_type, j.STATUS AS status, j.ENCRYPTION_MODE AS encryption_mode, j.RESULT AS result, j.COMMENT AS comment";
            let filter = format!(
                "j.TENANT_ID IN ({ids}) AND j.JOB_ID > {after} AND j.JOB_LEVEL = 'USER_TENANT'"
            );
            format!(
                "SELECT {columns}, (SELECT 100 * SUM(t.FINISH_MACRO_BLOCK_COUNT) / NULLIF(SUM(t.MACRO_BLOCK_COUNT), 0) FROM oceanbase.CDB_OB_BACKUP_TASKS t WHERE t.TENANT_ID = j.TENANT_ID AND t.JOB_ID = j.JOB_ID) AS progress \
                 FROM oceanbase.CDB_OB_BACKUP_JOBS j WHERE {filter} \
                 UNION ALL SELECT {columns}, NULL AS progress FROM oceanbase.CDB_OB_BACKUP_JOB_HISTORY j WHERE {filter}"
            )
        }
        WaitUntil::NoPieceJobs => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_found_and_masked_in_server_messages() {
        let statement = set_encryption(&Secret::new("canary-pass'word"));
        assert_eq!(statement.secrets(), ["canary-pass''word"]);
        let message = statement.redact(
            "1064 (42000): You have an error in your SQL syntax near 'ary-pass''word' ONLY' at line 1",
        );
        assert!(!message.contains("pass"), "{message}");
        assert!(message.contains("(sensitive)"), "{message}");
        let dest = crate::destination::Destination::parse(
            "oss://b/t?host=h&access_id=CANARYID&access_key=CANARYKEY",
        )
        .expect("destination");
        let statement = set_data_backup_dest(&dest, &Target::Tenant("t".into()));
        assert_eq!(statement.secrets(), ["CANARYID", "CANARYKEY"]);
        let message = statement
            .redact("9026: cannot reach oss://b/t?host=h&access_id=CANARYID&access_key=CANARYKEY");
        assert!(!message.contains("CANARY"), "{message}");
        assert!(archivelog(true, &Target::Own).secrets().is_empty());
        // Fragments of at least four characters are masked; the words of the
        // message that share a shorter start or end with the secret stay.
        let statement = set_encryption(&Secret::new("ALbatross99"));
        let message = statement.redact("1064: ALTER near 'tross99' ONLY' and 'ALba'");
        assert_eq!(
            message,
            "1064: ALTER near '(sensitive)' ONLY' and '(sensitive)'"
        );
    }

    use super::*;

    #[test]
    fn quote_escapes_every_special_character() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(quote("back\\slash"), "'back\\\\slash'");
        assert_eq!(quote("a\0b\nc\rd\u{1a}"), "'a\\0b\\nc\\rd\\Z'");
        assert_eq!(quote("'; DROP TABLE t; --"), "'''; DROP TABLE t; --'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("日本"), "'日本'");
    }

    #[test]
    fn quote_round_trips_through_a_mysql_unescaper() {
        // Unescape as MySQL's lexer does and check every input comes back.
        fn unquote(lit: &str) -> String {
            let inner = &lit[1..lit.len() - 1];
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.push(match chars.next() {
                        Some('0') => '\0',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('Z') => '\u{1a}',
                        Some(o) => o,
                        None => panic!("dangling backslash"),
                    }),
                    '\'' => {
                        assert_eq!(chars.next(), Some('\''), "lone quote inside literal");
                        out.push('\'');
                    }
                    o => out.push(o),
                }
            }
            out
        }
        for input in [
            "",
            "'",
            "''",
            "\\",
            "\\'",
            "a'b\\c\0d",
            "x\u{1a}\r\n",
            "LOCATION=oss://b/p?k=v&a=b",
        ] {
            assert_eq!(unquote(&quote(input)), input);
        }
    }

    #[test]
    fn backup_statements_and_redacted_encryption() {
        assert_eq!(
            backup(false, &["a".into(), "b".into()], false, true).shown,
            "ALTER SYSTEM BACKUP TENANT = 'a', 'b' PLUS ARCHIVELOG"
        );
        assert_eq!(
            backup(true, &[], true, false).shown,
            "ALTER SYSTEM BACKUP INCREMENTAL DATABASE"
        );
        let enc = set_encryption(&Secret::new("p'w"));
        assert_eq!(
            enc.shown,
            "SET ENCRYPTION ON IDENTIFIED BY '(sensitive)' ONLY"
        );
        assert_eq!(
            enc.text.expose(),
            "SET ENCRYPTION ON IDENTIFIED BY 'p''w' ONLY"
        );
    }

    #[test]
    fn targets_render_tenant_clauses() {
        assert_eq!(
            archivelog(true, &Target::Tenant("t1".into())).shown,
            "ALTER SYSTEM ARCHIVELOG TENANT = 't1'"
        );
        assert_eq!(
            archivelog(false, &Target::Own).shown,
            "ALTER SYSTEM NOARCHIVELOG"
        );
        assert_eq!(
            set_parameter("ha_low_thread_score", &int_literal(10), &Target::AllUser).shown,
            "ALTER SYSTEM SET ha_low_thread_score = 10 TENANT = all_user"
        );
    }

    #[test]
    fn archive_dest_text_redacts_only_the_shown_form() {
        let dest =
            crate::destination::Destination::parse("oss://b/a?host=h&access_id=ID&access_key=KEY")
                .expect("valid");
        let sql = set_log_archive_dest(&dest, "MANDATORY", "1d", &Target::Tenant("t".into()));
        assert!(!sql.shown.contains("KEY"));
        assert!(sql.shown.contains("access_key=(sensitive)"));
        assert!(sql.text.expose().contains("access_key=KEY"));
        assert_eq!(
            sql.text.expose(),
            "ALTER SYSTEM SET LOG_ARCHIVE_DEST = 'LOCATION=oss://b/a?host=h&access_id=ID&access_key=KEY BINDING=MANDATORY PIECE_SWITCH_INTERVAL=1d' TENANT = 't'"
        );
    }

    fn wait(until: crate::step::WaitUntil, tenant_id: Option<u64>) -> crate::step::Wait {
        crate::step::Wait {
            until,
            query: String::new(),
            timeout_seconds: 1,
            tenant_id,
        }
    }

    #[test]
    fn waits_poll_together_only_for_the_same_condition_by_tenant_id() {
        use crate::states::RoundStatus;
        use crate::step::WaitUntil;
        let doing = || WaitUntil::ArchiveStatus {
            statuses: vec![RoundStatus::Doing],
        };
        let (a, b) = (wait(doing(), Some(1002)), wait(doing(), Some(1004)));
        let query = super::wait_query_many(&[&a, &b]).expect("together");
        assert!(query.contains("TENANT_ID IN (1002, 1004)"), "{query}");
        assert!(query.contains("TENANT_ID AS tenant_id"), "{query}");
        let stop = wait(
            WaitUntil::ArchiveStatus {
                statuses: vec![RoundStatus::Stop],
            },
            Some(1004),
        );
        assert_eq!(super::wait_query_many(&[&a, &stop]), None);
        assert_eq!(super::wait_query_many(&[&a, &wait(doing(), None)]), None);
        assert_eq!(super::wait_query_many(&[]), None);
        // 3.x piece jobs are the cluster's: never polled per tenant.
        let pieces = wait(WaitUntil::NoPieceJobs, Some(1002));
        assert!(!pieces.polls_with(&wait(WaitUntil::NoPieceJobs, Some(1004))));
    }

    #[test]
    fn a_shared_backup_job_poll_reads_from_the_smallest_job_id_and_each_wait_keeps_its_own() {
        use crate::step::WaitUntil;
        let job = |after| WaitUntil::BackupJob {
            after_job_id: after,
            follow: true,
            expect_password: false,
        };
        let (a, b) = (wait(job(7), Some(1002)), wait(job(3), Some(1004)));
        let query = super::wait_query_many(&[&a, &b]).expect("together");
        assert!(query.contains("j.JOB_ID > 3"), "{query}");
        let row = |tenant: &str, job: &str| {
            crate::live::Row::from([
                ("tenant_id".to_string(), Some(tenant.to_string())),
                ("job_id".to_string(), Some(job.to_string())),
            ])
        };
        let rows = vec![row("1002", "5"), row("1002", "8"), row("1004", "5")];
        let job_ids = |w| -> Vec<String> {
            crate::live::rows_for(&rows, w)
                .iter()
                .filter_map(|r| r.get("job_id").cloned().flatten())
                .collect()
        };
        assert_eq!(job_ids(&a), ["8"]);
        assert_eq!(job_ids(&b), ["5"]);
        // A different follow mode does not share the poll.
        let c = wait(
            WaitUntil::BackupJob {
                after_job_id: 3,
                follow: false,
                expect_password: true,
            },
            Some(1006),
        );
        assert_eq!(super::wait_query_many(&[&a, &c]), None);
    }
}

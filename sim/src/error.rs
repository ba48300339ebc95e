//! OceanBase errors as the MySQL protocol carries them: the error number, the
//! SQLSTATE and the message text.
//!
//! Numbers, SQLSTATEs and messages come from `src/share/ob_errno.def`
//! ([S3.1.5]/[S4.2.2]) as summarised in `shared/reference/oceanbase-backup.md`
//! §0.2; where a code path supplies a user message (`LOG_USER_ERROR`) the
//! constructor takes it, otherwise the default message is sent.

/// One error reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({sqlstate}): {message}")]
pub struct ObError {
    /// MySQL error number sent to the client (e.g. 5099).
    pub code: u16,
    /// Five-character SQLSTATE (e.g. `42000`).
    pub sqlstate: &'static str,
    /// Message text.
    pub message: String,
}

impl ObError {
    fn new(code: u16, sqlstate: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            sqlstate,
            message: message.into(),
        }
    }

    /// `OB_ERR_PARSE_SQL` → 1064 (42000), with OceanBase's "near '…' at line 1" wording.
    pub fn parse(near: &str) -> Self {
        Self::new(
            1064,
            "42000",
            format!(
                "You have an error in your SQL syntax; check the manual that corresponds to your OceanBase version for the right syntax to use near '{near}' at line 1"
            ),
        )
    }

    /// `OB_INVALID_ARGUMENT` → 1210 (HY000), default message (no user message given).
    pub fn invalid_argument() -> Self {
        Self::new(1210, "HY000", "Invalid argument")
    }

    /// `OB_NOT_SUPPORTED` → 1235 (0A000). With a user message the text is `"<what> not supported"`,
    /// otherwise the default `"Not supported feature or function"`.
    pub fn not_supported(what: Option<&str>) -> Self {
        match what {
            Some(w) => Self::new(1235, "0A000", format!("{w} not supported")),
            None => Self::new(1235, "0A000", "Not supported feature or function"),
        }
    }

    /// `OB_ERR_NO_PRIVILEGE` → 1227 (42501).
    pub fn no_privilege(privilege: &str) -> Self {
        Self::new(
            1227,
            "42501",
            format!(
                "Access denied; you need (at least one of) the {privilege} privilege(s) for this operation"
            ),
        )
    }

    /// MySQL 1142 (42000): a SELECT on a table the user may not read.
    pub fn select_denied(user: &str, table: &str) -> Self {
        Self::new(
            1142,
            "42000",
            format!("SELECT command denied to user '{user}'@'%' for table '{table}'"),
        )
    }

    /// MySQL 1045 (28000): wrong password or unknown user.
    pub fn access_denied(user: &str) -> Self {
        Self::new(
            1045,
            "28000",
            format!("Access denied for user '{user}'@'127.0.0.1' (using password: YES)"),
        )
    }

    /// MySQL 1146 (42S02); OceanBase lower-cases the name (seen on seekdb, reference header).
    pub fn no_such_table(name: &str) -> Self {
        Self::new(
            1146,
            "42S02",
            format!("Table '{}' doesn't exist", name.to_lowercase()),
        )
    }

    /// MySQL 1054 (42S22).
    pub fn unknown_column(name: &str) -> Self {
        Self::new(
            1054,
            "42S22",
            format!("Unknown column '{name}' in 'field list'"),
        )
    }

    /// MySQL 1193 (HY000): `SET` of a session variable that does not exist.
    pub fn unknown_variable(name: &str) -> Self {
        Self::new(1193, "HY000", format!("Unknown system variable '{name}'"))
    }

    /// `OB_ERR_UNEXPECTED` → 4016 (HY000) "Internal error" (no MySQL errno:
    /// OceanBase sends its own code; v4.2.2_CE_BP1 `src/share/ob_errno.def`).
    pub fn unexpected() -> Self {
        Self::new(4016, "HY000", "Internal error")
    }

    /// `OB_ERR_PRIMARY_KEY_DUPLICATE` → MySQL 1062 `ER_DUP_ENTRY` (23000)
    /// (v4.2.2_CE_BP1 `src/share/ob_errno.def`).
    pub fn duplicate_entry(entry: &str, key: &str) -> Self {
        Self::new(
            1062,
            "23000",
            format!("Duplicate entry '{entry}' for key '{key}'"),
        )
    }

    /// `OB_INVALID_CONFIG` → 4147 (HY000) "Invalid config".
    pub fn invalid_config() -> Self {
        Self::new(4147, "HY000", "Invalid config")
    }

    /// `OB_ERR_SYS_CONFIG_UNKNOWN` → 5099 (42000).
    pub fn config_unknown() -> Self {
        Self::new(5099, "42000", "System config unknown")
    }

    /// `OB_ERR_INVALID_TENANT_NAME` → 5160 (HY000).
    pub fn invalid_tenant_name() -> Self {
        Self::new(
            5160,
            "HY000",
            "invalid tenant name specified in connection string",
        )
    }

    /// `OB_CANNOT_START_LOG_ARCHIVE_BACKUP` → 9023.
    pub fn cannot_start_log_archive() -> Self {
        Self::new(9023, "HY000", "cannot start log archive backup")
    }

    /// `OB_ALREADY_NO_LOG_ARCHIVE_BACKUP` → 9024 (3.x).
    pub fn already_no_log_archive() -> Self {
        Self::new(9024, "HY000", "log archive backup is already disabled")
    }

    /// `OB_INVALID_BACKUP_DEST` → 9026.
    pub fn invalid_backup_dest() -> Self {
        Self::new(9026, "HY000", "backup destination is not valid")
    }

    /// `OB_BACKUP_IN_PROGRESS` → 9036.
    pub fn backup_in_progress() -> Self {
        Self::new(9036, "HY000", "Backup is in progress")
    }

    /// `OB_BACKUP_CAN_NOT_START` → 9040 with its user format `backup can not start, because %s`.
    pub fn backup_can_not_start(because: &str) -> Self {
        Self::new(
            9040,
            "HY000",
            format!("backup can not start, because {because}"),
        )
    }

    /// `OB_BACKUP_CAN_NOT_START` → 9040 where OceanBase sets no user error:
    /// the error's own text (v4.2.2_CE_BP1 src/share/ob_errno.def).
    pub fn backup_can_not_start_bare() -> Self {
        Self::new(9040, "HY000", "backup can not start".to_string())
    }

    /// `OB_BACKUP_FORMAT_FILE_NOT_MATCH` → 9081 (4.x).
    pub fn format_file_not_match() -> Self {
        Self::new(
            9081,
            "HY000",
            "the content of the format file at the destination does not match",
        )
    }

    /// `OB_ALREADY_IN_ARCHIVE_MODE` → 9091 (4.1+).
    pub fn already_archivelog() -> Self {
        Self::new(9091, "HY000", "Already in ARCHIVELOG mode")
    }

    /// `OB_ALREADY_IN_NOARCHIVE_MODE` → 9092 (4.1+).
    pub fn already_noarchivelog() -> Self {
        Self::new(9092, "HY000", "Already in NOARCHIVELOG mode")
    }

    /// An error with its number, SQLSTATE and message given directly.
    pub fn injected_with_state(code: u16, sqlstate: &'static str, message: &str) -> Self {
        Self::new(code, sqlstate, message.to_string())
    }

    /// An error injected by a test: any number, SQLSTATE HY000.
    pub fn injected(code: u16, message: &str) -> Self {
        Self::new(code, "HY000", message.to_string())
    }
}

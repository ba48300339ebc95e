//! The 3.x `cluster` block resolved into the desired state of the cluster.

use super::*;

/// The evaluated `cluster` block of a 3.x configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredCluster {
    /// `backup_dest`.
    pub backup_dest: Option<Located<Destination>>,
    /// `backup_dest_option` keys → canonical values (written whole).
    pub backup_dest_option: Option<Located<BTreeMap<String, String>>>,
    /// `backup_concurrency`.
    pub backup_concurrency: Option<i64>,
    /// `log_archive.enabled`.
    pub enabled: Option<bool>,
    /// Where `log_archive.enabled` is written (the `cluster` block when it is not).
    pub enabled_at: Range<usize>,
    /// `log_archive.mode` / `compression` (either declared makes both managed).
    pub mode: Option<String>,
    /// Compression, normalised (`enable` is `lz4_1.0`).
    pub compression: Option<String>,
    /// `log_archive.minor_freeze_before_start` (default true, as seed 000 advises).
    pub minor_freeze: bool,
    /// `backup_backup.destination`.
    pub bb_dest: Option<Located<Destination>>,
    /// `backup_backup.log_archive_checkpoint_interval`.
    pub bb_checkpoint: Option<Duration>,
    /// `backup_backup.archivelog` (round mode).
    pub bb_archivelog: Option<bool>,
    /// Where `backup_backup.archivelog` is written (the `cluster` block when it is not).
    pub bb_archivelog_at: Range<usize>,
    /// `backup_backup.pieces.copies` (piece mode).
    pub bb_copies: Option<Located<i64>>,
    /// Data backup policy (`data_backup { full, incremental, encryption }`).
    pub data_backup: crate::desired::DataBackup,
    /// `log_archive.max_lag`: how far the archive checkpoint may be behind (a policy).
    pub max_lag: Option<Located<Duration>>,
    /// The `cluster` block: where an error about the block as a whole points.
    pub declared_at: Range<usize>,
}

impl DesiredCluster {
    /// The SQL literal to write for a parameter-backed setting: `backup_concurrency`,
    /// `backup_dest_option` and `backup_backup_dest_option` (written whole), and
    /// `backup_log_archive_option` (mode and compression together) for
    /// `log_archive.mode` or `log_archive.compression`.
    pub fn parameter_literal(&self, setting: Setting) -> Option<String> {
        match setting {
            Setting::BackupConcurrency => self.backup_concurrency.map(sql::int_literal),
            Setting::BackupDestOption => self
                .backup_dest_option
                .as_ref()
                .map(|o| sql::quote(&render_option(&o.value))),
            Setting::BackupBackupCheckpointInterval => self.bb_checkpoint.map(|interval| {
                let map: BTreeMap<String, String> = [(
                    "log_archive_checkpoint_interval".to_string(),
                    interval.canonical(),
                )]
                .into();
                sql::quote(&render_option(&map))
            }),
            Setting::LogArchiveMode | Setting::LogArchiveCompression => {
                match (&self.mode, &self.compression) {
                    (Some(mode), Some(compression)) => {
                        Some(sql::quote(&format!("{mode} compression= {compression}")))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

pub(super) fn get<'a>(
    settings: &'a BTreeMap<String, Attribute>,
    key: &str,
) -> Option<&'a Attribute> {
    settings.get(key)
}

/// Normalises a compression name: `enable` means LZ4 (§1.2.1).
pub(super) fn compression_name(text: &str) -> String {
    match text.to_ascii_lowercase().as_str() {
        "enable" => "lz4_1.0".into(),
        other => other.to_string(),
    }
}

/// Evaluates the `cluster` block for a 3.x server.
pub fn resolve(
    config: &Config,
    env: &Environment,
    errors: &mut Vec<ConfigError>,
) -> DesiredCluster {
    let c = &config.cluster;
    // Same evaluation and credential rules as tenant destinations; `${tenant.name}`
    // stands for `cluster` here.
    let dest = |key: &str, errors: &mut Vec<ConfigError>| -> Option<Located<Destination>> {
        crate::desired::destination(get(c, key)?, key, CLUSTER, env, errors)
    };
    let mut option = BTreeMap::new();
    let mut option_span: Option<Range<usize>> = None;
    for (key, setting) in c
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("backup_dest_option.").map(|k| (k, v)))
    {
        option_span.get_or_insert_with(|| setting.span.clone());
        let text = match &setting.value {
            Value::Duration(d) => d.canonical(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        if let (true, Value::Duration(d)) =
            (key == "log_archive_piece_switch_interval", &setting.value)
            && d.0 != 0
            && !(86_400_000_000..=7 * 86_400_000_000).contains(&d.0)
        {
            errors.push(ConfigError::InvalidValue {
                attribute: key.into(),
                value: crate::config::quoted_excerpt(&text),
                valid: "0 (no piece switching) or 1d .. 7d".into(),
                span: span(&setting.span),
            });
        }
        option.insert(key.to_string(), text);
    }
    let bool_of = |key: &str| match get(c, key).map(|s| &s.value) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    };
    let choice = |key: &str| match get(c, key).map(|s| &s.value) {
        Some(Value::Choice(v)) => Some(v.clone()),
        _ => None,
    };
    let (mode, compression) = match (
        choice("log_archive.mode"),
        choice("log_archive.compression"),
    ) {
        (None, None) => (None, None),
        // `backup_log_archive_option` keeps fields not mentioned, so both are always written (§1.2.1).
        (m, z) => (
            Some(m.unwrap_or_else(|| "optional".into())),
            Some(compression_name(&z.unwrap_or_else(|| "disable".into()))),
        ),
    };
    let copies = get(c, "backup_backup.pieces.copies").and_then(|s| match s.value {
        Value::Int(n) => Some(Located {
            value: n,
            span: s.span.clone(),
        }),
        _ => None,
    });
    let bb_archivelog = bool_of("backup_backup.archivelog");
    if let (Some(true), Some(copies)) = (bb_archivelog, &copies) {
        errors.push(ConfigError::Exclusive {
            message: "backup_backup: round mode (archivelog = true) and piece mode (pieces) exclude each other".into(),
            span: span(&copies.span),
            label: "piece mode here".into(),
            help: "choose one: the OceanBase 3.x documents recommend piece mode (BACKUP BACKUPPIECE) over START BACKUP ARCHIVELOG".into(),
        });
    }
    let duration = |key: &str| {
        get(c, key).and_then(|s| match &s.value {
            Value::Duration(d) => Some(Located {
                value: *d,
                span: s.span.clone(),
            }),
            _ => None,
        })
    };
    let at = |key: &str| get(c, key).map_or(config.cluster_span.clone(), |s| s.span.clone());
    let encryption = get(c, "data_backup.encryption.password")
        .and_then(|s| crate::desired::encryption(s, env, errors))
        .filter(|e| {
            // 3.x copies the password into `set @__ob_backup_encryption_passwd__
            // = '%.*s'` of its own, unquoted: a ' breaks that statement and a \
            // changes the password (v3.1.5_CE_HF2
            // src/sql/engine/cmd/ob_alter_system_executor.cpp,
            // ObBackupSetEncryptionExecutor::execute; 4.x sets the variable
            // directly).
            let unsafe_char = e.value.password.expose().contains(['\'', '\\']);
            if unsafe_char {
                errors.push(ConfigError::InvalidValue {
                    attribute: "data_backup.encryption.password".into(),
                    value: format!("env(\"{}\")", e.value.env),
                    valid: "on OceanBase 3.x the backup password may not contain ' or \\: the server copies it into a statement of its own without escaping them; choose a password without them".into(),
                    span: span(&e.span),
                });
            }
            !unsafe_char
        });
    DesiredCluster {
        backup_dest: dest("backup_dest", errors),
        backup_dest_option: option_span.map(|s| Located {
            value: option,
            span: s,
        }),
        backup_concurrency: get(c, "backup_concurrency").and_then(|s| {
            if let Value::Int(n) = s.value {
                Some(n)
            } else {
                None
            }
        }),
        enabled: bool_of("log_archive.enabled"),
        enabled_at: at("log_archive.enabled"),
        mode,
        compression,
        minor_freeze: bool_of("log_archive.minor_freeze_before_start").unwrap_or(true),
        bb_dest: dest("backup_backup.destination", errors),
        bb_checkpoint: duration("backup_backup.log_archive_checkpoint_interval").map(|d| d.value),
        bb_archivelog,
        bb_archivelog_at: at("backup_backup.archivelog"),
        bb_copies: copies,
        max_lag: duration("log_archive.max_lag"),
        declared_at: config.cluster_span.clone(),
        data_backup: crate::desired::DataBackup {
            full_max_age: duration("data_backup.full.max_age"),
            incremental_max_age: duration("data_backup.incremental.max_age"),
            encryption,
            max_rpo: duration("data_backup.recoverability.max_rpo"),
            min_window: duration("data_backup.recoverability.min_window"),
            ..Default::default()
        },
    }
}

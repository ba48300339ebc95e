//! Stage `decode`: HCL text → [`Config`], the declared settings with the byte
//! span of every value. No evaluation happens here beyond literals: strings that
//! interpolate `${tenant.name}` or `${env("NAME")}` are kept as [`Template`]s and
//! evaluated per tenant by the 4.x dialect's `resolve` (or as the 3.x cluster block).
//!
//! Schema (4.x, tenant level — `shared/reference/oceanbase-backup.md` §2):
//! `cluster { version }`, `defaults { log_archive {…} data_backup {…} }`,
//! `tenant "NAME" { log_archive {…} data_backup {…} }` and `tenant "*" {…}`.

use crate::diagnostic::{ConfigError, span, suggest};
use crate::units::{Duration, Size};
use hcl::edit::Span;
use hcl::edit::expr::{Expression, TraversalOperator};
use hcl::edit::structure::{Block, Body, Structure};
use hcl::edit::template::Element;
use std::collections::BTreeMap;
use std::ops::Range;

/// One piece of a string template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Literal(String),
    /// `${env("NAME")}`, with the span of the call.
    Env {
        /// The name.
        name: String,
        /// Where in the file.
        span: Range<usize>,
    },
    /// `${tenant.name}`.
    TenantName,
}

/// A string value, possibly interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The pieces in order.
    pub pieces: Vec<Piece>,
}

impl Template {
    /// Whether `${tenant.name}` appears.
    pub fn uses_tenant_name(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::TenantName))
    }
}

/// A decoded attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A string that may interpolate (destinations, version).
    Text(Template),
    /// A choice from a fixed set, lower-cased.
    Choice(String),
    /// A duration.
    Duration(Duration),
    /// A size.
    Size(Size),
    /// A plain string (no interpolation).
    Plain(String),
}

/// A value with the span of its expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The value.
    pub value: Value,
    /// Byte range of the value in the file.
    pub span: Range<usize>,
}

/// The attributes of one settings block (`log_archive`, `data_backup`), by name.
pub type Attributes = BTreeMap<String, Attribute>;

/// The settings a tenant-level block may hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantSettings {
    /// `log_archive { … }`.
    pub log_archive: Attributes,
    /// `data_backup { … }`.
    pub data_backup: Attributes,
}

/// One `tenant "NAME"` block (`NAME` may be `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantBlock {
    /// The label.
    pub name: String,
    /// Span of the label.
    pub span: Range<usize>,
    /// Its settings.
    pub settings: TenantSettings,
}

/// `ignore { address = "…" reason = "…" until = "YYYY-MM-DD" }`: drift that is
/// known and accepted. `*` in the address matches one dotted segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// Address pattern, e.g. `tenant.*.data_backup.concurrency`.
    pub address: String,
    /// Why the drift is accepted (shown in reports).
    pub reason: String,
    /// Last day the ignore holds (inclusive); `None` = no end.
    pub until: Option<time::Date>,
    /// Span of the `ignore` keyword.
    pub span: Range<usize>,
}

/// Whether an ignore's `address` can match an address plan prints:
/// `tenant.<name>.<setting path>` or `cluster.<setting path>`, each part
/// possibly `*`.
fn address_pattern_known(pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('.').collect();
    let path_fits = |path: &[&str]| {
        crate::address::Setting::ALL.iter().any(|s| {
            let have: Vec<&str> = s.path().split('.').collect();
            have.len() == path.len() && path.iter().zip(&have).all(|(p, h)| *p == "*" || p == h)
        })
    };
    let tenant_fits = matches!(parts.as_slice(), ["tenant" | "*", name, path @ ..]
        if !name.is_empty() && !path.is_empty() && path_fits(path));
    let cluster_fits = matches!(parts.as_slice(), ["cluster" | "*", path @ ..]
        if !path.is_empty() && path_fits(path));
    tenant_fits || cluster_fits
}

impl Ignore {
    /// Whether `address` matches the pattern (`*` = one segment).
    pub fn matches(&self, address: &str) -> bool {
        let pattern: Vec<&str> = self.address.split('.').collect();
        let parts: Vec<&str> = address.split('.').collect();
        pattern.len() == parts.len() && pattern.iter().zip(&parts).all(|(p, a)| *p == "*" || p == a)
    }

    /// Whether the ignore holds on `today`.
    pub fn active(&self, today: time::Date) -> bool {
        self.until.is_none_or(|u| today <= u)
    }
}

/// A decoded configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `cluster { version = "4.2" }`: the server line the file is written for.
    pub version: Option<(String, Range<usize>)>,
    /// `cluster { dsn_env = "OB_PROD_DSN" }`: the environment variable holding this cluster's DSN.
    pub dsn_env: Option<(String, Range<usize>)>,
    /// `ignore` blocks, in file order.
    pub ignores: Vec<Ignore>,
    /// The 3.x cluster-level settings of the `cluster` block (keys like
    /// `backup_dest`, `log_archive.mode`, `backup_backup.pieces.copies`).
    pub cluster: Attributes,
    /// Span of the `cluster` keyword.
    pub cluster_span: Range<usize>,
    /// `defaults { … }`.
    pub defaults: TenantSettings,
    /// `tenant` blocks in file order.
    pub tenants: Vec<TenantBlock>,
}

/// Kinds of attribute value, with their valid range.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Bool,
    Text,
    Choice(&'static [&'static str]),
    Plain,
    Int {
        min: i64,
        max: i64,
    },
    Duration {
        min: &'static str,
        max: &'static str,
    },
    /// A duration of whole days, `min` to `max` days: 4.x stores
    /// `PIECE_SWITCH_INTERVAL` as its largest whole unit, truncating (36h is
    /// kept as `1d`): v4.2.2_CE_BP1 `src/share/backup/ob_backup_struct.cpp`
    /// (`ObBackupUtils::convert_timestamp_to_timestr`).
    WholeDays {
        min: u64,
        max: u64,
    },
    Size {
        min: &'static str,
        max: &'static str,
    },
}

/// How much of a value a diagnostic repeats: a value longer than this is
/// shown by its start and its length, so a huge value cannot flood the output.
pub const EXCERPT_CHARS: usize = 64;

/// `"value"`, or `"first 64 characters…" (N bytes)` for a longer one.
pub fn quoted_excerpt(value: &str) -> String {
    if value.chars().count() <= EXCERPT_CHARS {
        return format!("\"{value}\"");
    }
    let head: String = value.chars().take(EXCERPT_CHARS).collect();
    format!("\"{head}…\" ({} bytes)", value.len())
}

/// `log_archive` attributes (reference §2.1.2, §2.2.1).
const LOG_ARCHIVE: &[(&str, Kind)] = &[
    (
        "compression",
        Kind::Choice(&["disable", "enable", "lz4_1.0", "zstd_1.3.8"]),
    ),
    ("enabled", Kind::Bool),
    ("destination", Kind::Text),
    ("mode", Kind::Choice(&["optional", "mandatory"])),
    ("piece_switch_interval", Kind::WholeDays { min: 1, max: 7 }),
    ("state", Kind::Choice(&["enable", "defer"])),
    ("concurrency", Kind::Int { min: 0, max: 100 }),
    (
        "lag_target",
        Kind::Duration {
            min: "0ms",
            max: "7200s",
        },
    ),
    // A policy, not a setting: the archive checkpoint may be at most this far
    // behind the server's clock (checked by drift and status).
    (
        "max_lag",
        Kind::Duration {
            min: "10s",
            max: "30d",
        },
    ),
];

/// `data_backup` attributes (reference §2.1.2, §2.1.3).
const DATA_BACKUP: &[(&str, Kind)] = &[
    ("destination", Kind::Text),
    ("concurrency", Kind::Int { min: 0, max: 100 }),
    (
        "file_size",
        Kind::Size {
            min: "512M",
            max: "4G",
        },
    ),
    ("plus_archivelog", Kind::Bool),
];

/// `cluster { … }`: the guard, the DSN variable, and the 3.x cluster-level
/// settings (reference §1.1, §1.2).
const CLUSTER: &[(&str, Kind)] = &[
    ("version", Kind::Plain),
    ("dsn_env", Kind::Plain),
    ("backup_dest", Kind::Text),
    ("backup_concurrency", Kind::Int { min: 0, max: 100 }),
];

/// `cluster { backup_dest_option { … } }` (3.x `backup_dest_option`, §1.2.2).
const BACKUP_DEST_OPTION: &[(&str, Kind)] = &[
    (
        "log_archive_checkpoint_interval",
        Kind::Duration {
            min: "5s",
            max: "1h",
        },
    ),
    (
        "recovery_window",
        Kind::Duration {
            min: "0s",
            max: "3650d",
        },
    ),
    ("auto_delete_obsolete_backup", Kind::Bool),
    (
        "log_archive_piece_switch_interval",
        Kind::Duration {
            min: "0s",
            max: "7d",
        },
    ),
];

/// `cluster { log_archive { … } }` (3.x, `backup_log_archive_option` and ARCHIVELOG, §1.2.1).
const CLUSTER_LOG_ARCHIVE: &[(&str, Kind)] = &[
    ("enabled", Kind::Bool),
    ("mode", Kind::Choice(&["optional", "mandatory"])),
    (
        "compression",
        Kind::Choice(&["disable", "enable", "lz4_1.0", "zstd_1.3.8"]),
    ),
    ("minor_freeze_before_start", Kind::Bool),
    // A policy: the archive checkpoint may be at most this far behind.
    (
        "max_lag",
        Kind::Duration {
            min: "10s",
            max: "30d",
        },
    ),
];

/// `cluster { backup_backup { … } }` (3.x backup-backup, §1.3).
const BACKUP_BACKUP: &[(&str, Kind)] = &[
    ("destination", Kind::Text),
    // The 3.2 documents set 2h (seed 002); 3.1.5 CE caps it at 1h (§1.2.3).
    (
        "log_archive_checkpoint_interval",
        Kind::Duration {
            min: "5s",
            max: "1d",
        },
    ),
    ("archivelog", Kind::Bool),
];

/// `backup_backup { pieces { copies = N } }`.
const PIECES: &[(&str, Kind)] = &[("copies", Kind::Int { min: 1, max: 8 })];

/// `cluster { data_backup { … } }` (3.x cluster-level backups).
const CLUSTER_DATA_BACKUP: &[(&str, Kind)] = &[];

/// `data_backup { full { … } incremental { … } }`: freshness policies.
const FRESHNESS: &[(&str, Kind)] = &[(
    "max_age",
    Kind::Duration {
        min: "1h",
        max: "366d",
    },
)];

/// `data_backup { delete_policy { recovery_window = "7d" } }`: OceanBase 4.x's
/// delete policy. OceanBase itself takes any duration its time parser reads,
/// `0` included, which never cleans anything (v4.2.2_CE_BP1
/// `src/rootserver/backup/ob_backup_clean_scheduler.cpp`,
/// `ObBackupAutoObsoleteDeleteTrigger::start_auto_delete_obsolete_data_`
/// refuses a window ≤ 0); obbackup takes 1 day to 366 days.
const DELETE_POLICY: &[(&str, Kind)] = &[(
    "recovery_window",
    Kind::Duration {
        min: "1d",
        max: "366d",
    },
)];

/// `data_backup { recoverability { max_rpo = "15m" min_window = "7d" } }`: a
/// policy checked by drift and status (no statement).
const RECOVERABILITY: &[(&str, Kind)] = &[
    (
        "max_rpo",
        Kind::Duration {
            min: "1m",
            max: "366d",
        },
    ),
    (
        "min_window",
        Kind::Duration {
            min: "1h",
            max: "366d",
        },
    ),
];

/// Whether obbackup takes `window` as a delete policy's recovery window (the
/// range of [`DELETE_POLICY`]), e.g. for exporting a live policy.
pub fn recovery_window_accepted(window: Duration) -> bool {
    DELETE_POLICY.iter().any(|(_, kind)| match kind {
        Kind::Duration { min, max } => {
            Duration::parse(min).is_some_and(|lo| window >= lo)
                && Duration::parse(max).is_some_and(|hi| window <= hi)
        }
        _ => false,
    })
}

/// `data_backup { encryption { password = env("…") } }` (reference §2.3 SET ENCRYPTION).
const ENCRYPTION: &[(&str, Kind)] = &[("password", Kind::Text)];

/// Blocks allowed inside a settings block, with their schemas. Their attributes
/// are stored under `<block>.<attribute>` keys.
fn sub_blocks(block: &str) -> &'static [(&'static str, &'static [(&'static str, Kind)])] {
    match block {
        "data_backup" => &[
            ("full", FRESHNESS),
            ("incremental", FRESHNESS),
            ("encryption", ENCRYPTION),
            ("delete_policy", DELETE_POLICY),
            ("recoverability", RECOVERABILITY),
        ],
        "cluster" => &[
            ("backup_dest_option", BACKUP_DEST_OPTION),
            ("log_archive", CLUSTER_LOG_ARCHIVE),
            ("backup_backup", BACKUP_BACKUP),
            ("data_backup", CLUSTER_DATA_BACKUP),
        ],
        "backup_backup" => &[("pieces", PIECES)],
        _ => &[],
    }
}

fn names(schema: &'static [(&'static str, Kind)]) -> Vec<&'static str> {
    schema.iter().map(|(n, _)| *n).collect()
}

/// Decodes HCL text. Returns the config and every problem found (the config is
/// partial when there are problems).
pub fn decode(text: &str) -> (Config, Vec<ConfigError>) {
    let mut errors = Vec::new();
    // HCL ends lines with LF or CRLF; a lone CR (classic Mac OS) would be
    // reported as a token error somewhere down the line.
    let bytes = text.as_bytes();
    if let Some(at) =
        (0..bytes.len()).find(|&k| bytes[k] == b'\r' && bytes.get(k + 1) != Some(&b'\n'))
    {
        errors.push(ConfigError::Syntax {
            message: "a carriage return without a line feed: save the file with LF (or CRLF) line endings".into(),
            span: span(&(at..at + 1)),
        });
        return (Config::default(), errors);
    }
    let body = match hcl::edit::parser::parse_body(text) {
        Ok(b) => b,
        Err(e) => {
            let at = e.location().offset();
            errors.push(ConfigError::Syntax {
                message: e.message().to_string(),
                span: span(&(at..at + 1)),
            });
            return (Config::default(), errors);
        }
    };
    let mut config = Config::default();
    let mut tenant_names = std::collections::HashSet::new();
    let mut seen_top: BTreeMap<String, ()> = BTreeMap::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => errors.push(ConfigError::UnknownAttribute {
                block: "top level".into(),
                name: attr.key.as_str().to_string(),
                span: span(&attr.key.span().unwrap_or(0..0)),
                help: "the top level holds blocks: cluster, defaults, tenant, ignore".into(),
            }),
            Structure::Block(block) => {
                let ident = block.ident.as_str();
                let ident_span = block.ident.span().unwrap_or(0..0);
                match ident {
                    "cluster" | "defaults" => {
                        if !block.labels.is_empty() {
                            errors.push(ConfigError::Label {
                                message: format!("`{ident}` takes no label"),
                                span: span(&ident_span),
                                label: "remove the label".into(),
                            });
                        }
                        if seen_top.insert(ident.to_string(), ()).is_some() {
                            errors.push(ConfigError::DuplicateBlock {
                                name: ident.into(),
                                span: span(&ident_span),
                            });
                            continue;
                        }
                        if ident == "cluster" {
                            let mut settings =
                                decode_settings(&block.body, "cluster", CLUSTER, &mut errors);
                            let mut plain = |key: &str| match settings.remove(key) {
                                Some(Attribute {
                                    value: Value::Plain(text),
                                    span,
                                }) => Some((text, span)),
                                _ => None,
                            };
                            config.version = plain("version");
                            // A build prefix of a line obbackup plans: 3 or 4,
                            // then up to three more numbers.
                            if let Some((version, at)) = &config.version {
                                let line = crate::dialect::capability::Build::parse_prefix(version)
                                    .map(|b| b.0[0]);
                                if !matches!(line, Some(3 | 4)) {
                                    errors.push(ConfigError::InvalidValue {
                                        attribute: "version".into(),
                                        value: quoted_excerpt(version),
                                        valid: "an OceanBase 3.x or 4.x build or its prefix, as ob_version() prints it: \"3.2\", \"4.2.1\", \"4.2.1.2\"".into(),
                                        span: span(at),
                                    });
                                }
                            }
                            config.dsn_env = plain("dsn_env");
                            config.cluster = settings;
                            config.cluster_span = ident_span.clone();
                        } else {
                            config.defaults =
                                decode_tenant_settings(&block.body, "defaults", &mut errors);
                        }
                    }
                    "ignore" => {
                        let mut values = decode_strings(
                            &block.body,
                            "ignore",
                            &["address", "reason", "until"],
                            &mut errors,
                        );
                        let until = values.remove("until").and_then(|(text, at)| {
                            let date = parse_date(&text);
                            if date.is_none() {
                                errors.push(ConfigError::InvalidValue {
                                    attribute: "until".into(),
                                    value: quoted_excerpt(&text),
                                    valid: "a date written YYYY-MM-DD, e.g. \"2027-01-31\"".into(),
                                    span: span(&at),
                                });
                            }
                            date
                        });
                        match (values.remove("address"), values.remove("reason")) {
                            (Some((address, at)), Some(_)) if !address_pattern_known(&address) => {
                                errors.push(ConfigError::InvalidValue {
                                    attribute: "address".into(),
                                    value: quoted_excerpt(&address),
                                    valid: "an address as plan prints it, `*` standing for one part: tenant.<name>.<setting> or cluster.<setting>, e.g. \"tenant.*.log_archive.mode\"".into(),
                                    span: span(&at),
                                });
                            }
                            (Some((address, _)), Some((reason, _))) => {
                                config.ignores.push(Ignore {
                                    address,
                                    reason,
                                    until,
                                    span: ident_span,
                                });
                            }
                            _ => errors.push(ConfigError::Label {
                                message: "an ignore block needs `address` and `reason`".into(),
                                span: span(&ident_span),
                                label: "incomplete ignore".into(),
                            }),
                        }
                    }
                    "tenant" => {
                        let Some((name, label_span)) = single_label(block, &mut errors) else {
                            continue;
                        };
                        // No OceanBase tenant has a longer name or control
                        // characters in it (OB_MAX_TENANT_NAME_LENGTH = 64 in
                        // v3.1.5_CE_HF2 and v4.2.2_CE_BP1
                        // deps/oblib/src/lib/ob_define.h); `*` is every tenant.
                        if name.len() > 64 || name.chars().any(char::is_control) {
                            errors.push(ConfigError::Label {
                                message: format!(
                                    "`tenant` names a tenant OceanBase cannot have: {}",
                                    if name.len() > 64 {
                                        format!("{} bytes, at most 64", name.len())
                                    } else {
                                        "control characters".to_string()
                                    }
                                ),
                                span: span(&label_span),
                                label: "this tenant name".into(),
                            });
                            continue;
                        }
                        if !tenant_names.insert(name.clone()) {
                            errors.push(ConfigError::DuplicateBlock {
                                name: format!("tenant \"{name}\""),
                                span: span(&label_span),
                            });
                            continue;
                        }
                        let settings = decode_tenant_settings(&block.body, "tenant", &mut errors);
                        config.tenants.push(TenantBlock {
                            name,
                            span: label_span,
                            settings,
                        });
                    }
                    other => errors.push(ConfigError::UnknownBlock {
                        name: other.into(),
                        span: span(&ident_span),
                        help: suggest(other, &["cluster", "defaults", "tenant", "ignore"]),
                    }),
                }
            }
        }
    }
    (config, errors)
}

fn single_label(block: &Block, errors: &mut Vec<ConfigError>) -> Option<(String, Range<usize>)> {
    let ident_span = block.ident.span().unwrap_or(0..0);
    match block.labels.as_slice() {
        [label] => {
            let label_span = match label {
                hcl::edit::structure::BlockLabel::Ident(i) => i.span(),
                hcl::edit::structure::BlockLabel::String(s) => s.span(),
            }
            .unwrap_or(ident_span);
            let name = label.as_str().to_string();
            if name.is_empty() {
                errors.push(ConfigError::Label {
                    message: "a tenant block needs a tenant name".into(),
                    span: span(&label_span),
                    label: "empty name".into(),
                });
                return None;
            }
            Some((name, label_span))
        }
        _ => {
            errors.push(ConfigError::Label {
                message: "a tenant block takes exactly one label: the tenant name, or \"*\" for every other user tenant".into(),
                span: span(&ident_span),
                label: format!("{} label(s) given", block.labels.len()),
            });
            None
        }
    }
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<time::Date> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// Decodes a block of plain string attributes (`cluster`, `ignore`).
fn decode_strings(
    body: &Body,
    block: &str,
    allowed: &[&str],
    errors: &mut Vec<ConfigError>,
) -> BTreeMap<String, (String, Range<usize>)> {
    let mut out = BTreeMap::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) if allowed.contains(&attr.key.as_str()) => {
                let at = attr.value.span().unwrap_or(0..0);
                match &attr.value {
                    Expression::String(s) => {
                        out.insert(attr.key.as_str().to_string(), (s.value().to_string(), at));
                    }
                    _ => errors.push(ConfigError::WrongType {
                        attribute: attr.key.as_str().into(),
                        expected: "a plain string".into(),
                        span: span(&at),
                    }),
                }
            }
            Structure::Attribute(attr) => errors.push(ConfigError::UnknownAttribute {
                block: block.into(),
                name: attr.key.as_str().into(),
                span: span(&attr.key.span().unwrap_or(0..0)),
                help: suggest(attr.key.as_str(), allowed),
            }),
            Structure::Block(b) => errors.push(ConfigError::UnknownBlock {
                name: b.ident.as_str().into(),
                span: span(&b.ident.span().unwrap_or(0..0)),
                help: if block == "cluster" {
                    "on OceanBase 4.x, `cluster` holds only `version` and `dsn_env`; put log_archive and data_backup in `defaults` or `tenant` blocks".into()
                } else {
                    format!("`{block}` holds attributes only: {}", allowed.join(", "))
                },
            }),
        }
    }
    out
}

fn decode_tenant_settings(
    body: &Body,
    owner: &str,
    errors: &mut Vec<ConfigError>,
) -> TenantSettings {
    let mut settings = TenantSettings::default();
    let mut seen = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => errors.push(ConfigError::UnknownAttribute {
                block: owner.into(),
                name: attr.key.as_str().into(),
                span: span(&attr.key.span().unwrap_or(0..0)),
                help: format!("`{owner}` holds the blocks log_archive and data_backup"),
            }),
            Structure::Block(block) => {
                let ident = block.ident.as_str();
                let ident_span = block.ident.span().unwrap_or(0..0);
                let (schema, target) = match ident {
                    "log_archive" => (LOG_ARCHIVE, &mut settings.log_archive),
                    "data_backup" => (DATA_BACKUP, &mut settings.data_backup),
                    other => {
                        errors.push(ConfigError::UnknownBlock {
                            name: other.into(),
                            span: span(&ident_span),
                            help: suggest(other, &["log_archive", "data_backup"]),
                        });
                        continue;
                    }
                };
                if seen.contains(&ident) {
                    errors.push(ConfigError::DuplicateBlock {
                        name: ident.into(),
                        span: span(&ident_span),
                    });
                    continue;
                }
                seen.push(ident);
                if !block.labels.is_empty() {
                    errors.push(ConfigError::Label {
                        message: format!("`{ident}` takes no label"),
                        span: span(&ident_span),
                        label: "remove the label".into(),
                    });
                }
                *target = decode_settings(&block.body, ident, schema, errors);
            }
        }
    }
    settings
}

fn decode_settings(
    body: &Body,
    block: &str,
    schema: &'static [(&'static str, Kind)],
    errors: &mut Vec<ConfigError>,
) -> Attributes {
    let mut out = Attributes::new();
    let mut seen_blocks = std::collections::HashSet::new();
    for structure in body.iter() {
        match structure {
            Structure::Block(b) => {
                let subs = sub_blocks(block);
                let ident = b.ident.as_str();
                match subs.iter().find(|(n, _)| *n == ident) {
                    Some(_) if !seen_blocks.insert(ident.to_string()) => {
                        errors.push(ConfigError::DuplicateBlock {
                            name: format!("{block}.{ident}"),
                            span: span(&b.ident.span().unwrap_or(0..0)),
                        });
                    }
                    Some((name, sub_schema)) => {
                        let inner = decode_settings(&b.body, name, sub_schema, errors);
                        for (key, setting) in inner {
                            out.insert(format!("{name}.{key}"), setting);
                        }
                    }
                    None => {
                        let allowed: Vec<&str> = subs.iter().map(|(n, _)| *n).collect();
                        errors.push(ConfigError::UnknownBlock {
                            name: ident.into(),
                            span: span(&b.ident.span().unwrap_or(0..0)),
                            help: if allowed.is_empty() {
                                format!(
                                    "`{block}` holds attributes only: {}",
                                    names(schema).join(", ")
                                )
                            } else {
                                suggest(ident, &allowed)
                            },
                        });
                    }
                }
            }
            Structure::Attribute(attr) => {
                let key = attr.key.as_str();
                let Some((_, kind)) = schema.iter().find(|(n, _)| *n == key) else {
                    errors.push(ConfigError::UnknownAttribute {
                        block: block.into(),
                        name: key.into(),
                        span: span(&attr.key.span().unwrap_or(0..0)),
                        help: suggest(key, &names(schema)),
                    });
                    continue;
                };
                let at = attr.value.span().unwrap_or(0..0);
                if let Some(value) = decode_value(&attr.value, key, *kind, &at, errors) {
                    out.insert(key.to_string(), Attribute { value, span: at });
                }
            }
        }
    }
    out
}

fn decode_value(
    expr: &Expression,
    key: &str,
    kind: Kind,
    at: &Range<usize>,
    errors: &mut Vec<ConfigError>,
) -> Option<Value> {
    let wrong = |expected: &str| ConfigError::WrongType {
        attribute: key.into(),
        expected: expected.into(),
        span: span(at),
    };
    let invalid = |value: String, valid: String| ConfigError::InvalidValue {
        attribute: key.into(),
        value,
        valid,
        span: span(at),
    };
    let literal = match expr {
        Expression::String(s) => Some(s.value().to_string()),
        _ => None,
    };
    match kind {
        Kind::Bool => match expr {
            Expression::Bool(b) => Some(Value::Bool(*b.value())),
            _ => {
                errors.push(wrong("true or false"));
                None
            }
        },
        Kind::Int { min, max } => match expr {
            Expression::Number(n) => match n.value().as_i64() {
                Some(v) if (min..=max).contains(&v) => Some(Value::Int(v)),
                _ => {
                    errors.push(invalid(
                        n.value().to_string(),
                        format!("a whole number from {min} to {max}"),
                    ));
                    None
                }
            },
            _ => {
                errors.push(wrong("a whole number"));
                None
            }
        },
        Kind::Plain => match literal {
            Some(s) => Some(Value::Plain(s)),
            None => {
                errors.push(wrong("a plain string"));
                None
            }
        },
        Kind::Choice(choices) => match literal {
            Some(s) if choices.contains(&s.to_ascii_lowercase().as_str()) => {
                Some(Value::Choice(s.to_ascii_lowercase()))
            }
            Some(s) => {
                errors.push(invalid(
                    quoted_excerpt(&s),
                    format!("one of: {}", choices.join(", ")),
                ));
                None
            }
            None => {
                errors.push(wrong(&format!("one of the strings {}", choices.join(", "))));
                None
            }
        },
        Kind::Duration { min, max } => {
            let Some(s) = literal else {
                errors.push(wrong("a duration string such as \"1d\" or \"120s\""));
                return None;
            };
            let (lo, hi) = (Duration::parse(min)?, Duration::parse(max)?);
            match Duration::parse(&s) {
                Some(d) if d >= lo && d <= hi => Some(Value::Duration(d)),
                Some(_) => {
                    errors.push(invalid(
                        quoted_excerpt(&s),
                        format!("a duration from {min} to {max}"),
                    ));
                    None
                }
                None => {
                    errors.push(invalid(
                        quoted_excerpt(&s),
                        format!("a number with a unit (us, ms, s, m, h, d), from {min} to {max}"),
                    ));
                    None
                }
            }
        }
        Kind::WholeDays { min, max } => {
            let Some(s) = literal else {
                errors.push(wrong("a duration string such as \"1d\""));
                return None;
            };
            const DAY: u64 = 86_400_000_000;
            match Duration::parse(&s) {
                Some(d) if d.0 % DAY == 0 && (min..=max).contains(&(d.0 / DAY)) => {
                    Some(Value::Duration(d))
                }
                Some(d) if d.0 % DAY != 0 && (min * DAY..=max * DAY).contains(&d.0) => {
                    errors.push(invalid(
                        quoted_excerpt(&s),
                        format!(
                            "whole days from {min}d to {max}d: OceanBase keeps this interval in whole days, so \"{s}\" would be stored as \"{}d\"",
                            d.0 / DAY
                        ),
                    ));
                    None
                }
                _ => {
                    errors.push(invalid(
                        quoted_excerpt(&s),
                        format!("whole days from {min}d to {max}d, such as \"1d\""),
                    ));
                    None
                }
            }
        }
        Kind::Size { min, max } => {
            let Some(s) = literal else {
                errors.push(wrong("a size string such as \"4G\""));
                return None;
            };
            let (lo, hi) = (Size::parse(min)?, Size::parse(max)?);
            match Size::parse(&s) {
                Some(v) if v >= lo && v <= hi => Some(Value::Size(v)),
                _ => {
                    errors.push(invalid(
                        quoted_excerpt(&s),
                        format!("a size with a unit (K, M, G, T) from {min} to {max}"),
                    ));
                    None
                }
            }
        }
        Kind::Text => match template(expr) {
            Ok(t) => Some(Value::Text(t)),
            Err(bad) => {
                errors.push(ConfigError::Expression {
                    attribute: key.into(),
                    span: span(&bad),
                });
                None
            }
        },
    }
}

/// Converts a string expression into a template; the error is the span of the
/// first part that is not a literal, `${tenant.name}` or `${env("NAME")}`.
fn template(expr: &Expression) -> Result<Template, Range<usize>> {
    let whole = expr.span().unwrap_or(0..0);
    match expr {
        Expression::String(s) => Ok(Template {
            pieces: vec![Piece::Literal(s.value().to_string())],
        }),
        Expression::StringTemplate(t) => {
            let mut pieces = Vec::new();
            for element in t.iter() {
                match element {
                    Element::Literal(l) => pieces.push(Piece::Literal(l.value().to_string())),
                    Element::Interpolation(i) => pieces.push(interpolation(&i.expr)?),
                    Element::Directive(_) => return Err(whole),
                }
            }
            Ok(Template { pieces })
        }
        other => Ok(Template {
            pieces: vec![interpolation(other)?],
        }),
    }
}

fn interpolation(expr: &Expression) -> Result<Piece, Range<usize>> {
    let at = expr.span().unwrap_or(0..0);
    match expr {
        Expression::FuncCall(call)
            if call.name.namespace.is_empty() && call.name.name.as_str() == "env" =>
        {
            let mut args = call.args.iter();
            match (args.next(), args.next()) {
                (Some(Expression::String(name)), None) => Ok(Piece::Env {
                    name: name.value().to_string(),
                    span: at,
                }),
                _ => Err(at),
            }
        }
        Expression::Traversal(t) => {
            let is_tenant = matches!(&t.expr, Expression::Variable(v) if v.as_str() == "tenant");
            let is_name = matches!(t.operators.as_slice(), [op] if matches!(op.value(), TraversalOperator::GetAttr(a) if a.as_str() == "name"));
            if is_tenant && is_name {
                Ok(Piece::TenantName)
            } else {
                Err(at)
            }
        }
        _ => Err(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_addresses_are_known_patterns() {
        for known in [
            "tenant.app.log_archive.mode",
            "tenant.*.log_archive.mode",
            "cluster.log_archive.mode",
            "*.log_archive.mode",
            "tenant.app.log_archive.*",
        ] {
            assert!(address_pattern_known(known), "{known}");
        }
        for unknown in [
            "tenant.app.log_archive.colour",
            "tenant..log_archive.mode",
            "cluster",
            "mode",
        ] {
            assert!(!address_pattern_known(unknown), "{unknown}");
        }
    }

    #[test]
    fn decodes_the_documented_shape() {
        let text = r#"
cluster { version = "4.2" }
defaults {
  log_archive {
    enabled = true
    mode = "OPTIONAL"
    piece_switch_interval = "24h"
  }
  data_backup { concurrency = 10 }
}
tenant "*" {
  log_archive { destination = "file:///b/${tenant.name}/archive" }
}
tenant "t1" {
  data_backup { destination = "oss://b/p?host=h&access_id=${env("ID")}&access_key=${env("KEY")}" }
}
"#;
        let (config, errors) = decode(text);
        assert_eq!(errors, vec![]);
        assert_eq!(config.version.as_ref().map(|v| v.0.as_str()), Some("4.2"));
        assert_eq!(
            config.defaults.log_archive["mode"].value,
            Value::Choice("optional".into())
        );
        assert_eq!(
            config.defaults.log_archive["piece_switch_interval"].value,
            Value::Duration(Duration(86_400_000_000))
        );
        let star = &config.tenants[0];
        assert_eq!(star.name, "*");
        let Value::Text(t) = &star.settings.log_archive["destination"].value else {
            panic!("not text")
        };
        assert_eq!(
            t.pieces,
            vec![
                Piece::Literal("file:///b/".into()),
                Piece::TenantName,
                Piece::Literal("/archive".into())
            ]
        );
        let Value::Text(t) = &config.tenants[1].settings.data_backup["destination"].value else {
            panic!("not text")
        };
        assert!(matches!(&t.pieces[1], Piece::Env { name, .. } if name == "ID"));
    }

    #[test]
    fn reports_every_problem_with_its_span() {
        let text = "defaults {\n  log_archive {\n    enabld = true\n    concurrency = 500\n    mode = \"sometimes\"\n  }\n}\nbackup {}\n";
        let (_, errors) = decode(text);
        assert_eq!(errors.len(), 4, "{errors:#?}");
        let ConfigError::UnknownAttribute { help, span, .. } = &errors[0] else {
            panic!("{:?}", errors[0])
        };
        assert!(help.contains("did you mean `enabled`"));
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "enabld");
        assert!(
            matches!(&errors[1], ConfigError::InvalidValue { attribute, .. } if attribute == "concurrency")
        );
        assert!(
            matches!(&errors[2], ConfigError::InvalidValue { attribute, .. } if attribute == "mode")
        );
        assert!(matches!(&errors[3], ConfigError::UnknownBlock { name, .. } if name == "backup"));
    }

    #[test]
    fn piece_switch_interval_is_whole_days_as_oceanbase_keeps_it() {
        let decode_interval = |text: &str| {
            decode(&format!(
                "defaults {{\n  log_archive {{ piece_switch_interval = \"{text}\" }}\n}}\n"
            ))
            .1
        };
        assert!(decode_interval("48h").is_empty(), "48h is 2d");
        assert!(decode_interval("7d").is_empty());
        let errors = decode_interval("36h");
        assert!(
            matches!(&errors[..], [ConfigError::InvalidValue { valid, .. }] if valid.contains("would be stored as \"1d\"")),
            "{errors:?}"
        );
        let errors = decode_interval("8d");
        assert!(
            matches!(&errors[..], [ConfigError::InvalidValue { valid, .. }] if valid.contains("whole days from 1d to 7d")),
            "{errors:?}"
        );
    }

    #[test]
    fn rejects_other_expressions() {
        let (_, errors) =
            decode("tenant \"t\" {\n log_archive { destination = \"file:///${var.x}\" }\n}\n");
        assert!(
            matches!(&errors[..], [ConfigError::Expression { .. }]),
            "{errors:?}"
        );
    }
}

//! The configuration parameters the simulator knows, with scope, type, default,
//! range and `info` text, and the value checks `ALTER SYSTEM SET` applies.
//!
//! 4.x rows: `shared/reference/oceanbase-backup.md` §2.1.2 ([S4.2.2]
//! `src/share/parameter/ob_parameter_seed.ipp`). A value that fails its type or
//! range check is `4147 Invalid config`; an unknown name is `5099`
//! (`ObAdminSetConfig`, reference §0.2).

/// Where a parameter's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One value for the whole cluster (`OB_CLUSTER_PARAMETER`).
    Cluster,
    /// One value per tenant (`OB_TENANT_PARAMETER`).
    Tenant,
}

impl Scope {
    /// The `scope` column text.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Cluster => "CLUSTER",
            Scope::Tenant => "TENANT",
        }
    }
}

/// Value type and range of a parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Integer in `[min, max]`.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// Duration in `[min_us, max_us]` microseconds.
    Time {
        /// Smallest value, µs.
        min_us: u64,
        /// Largest value, µs.
        max_us: u64,
    },
    /// Capacity in `[min, max]` bytes.
    Capacity {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
    /// A build, dotted numbers (`4.2.1.0`).
    Version,
}

impl Kind {
    /// The `data_type` column (4.2.2+ prints the type name; older lines `NULL`).
    pub fn data_type(self) -> &'static str {
        match self {
            Kind::Int { .. } => "INT",
            Kind::Time { .. } => "TIME",
            Kind::Capacity { .. } => "CAPACITY",
            Kind::Version => "STRING",
        }
    }

    /// Whether `value` parses and lies in range.
    pub fn accepts(self, value: &str) -> bool {
        match self {
            Kind::Int { min, max } => value
                .trim()
                .parse::<i64>()
                .is_ok_and(|v| (min..=max).contains(&v)),
            Kind::Time { min_us, max_us } => {
                parse_time_us(value).is_some_and(|v| (min_us..=max_us).contains(&v))
            }
            Kind::Capacity { min, max } => {
                parse_capacity(value).is_some_and(|v| (min..=max).contains(&v))
            }
            Kind::Version => {
                !value.is_empty() && value.split('.').all(|p| p.parse::<u32>().is_ok())
            }
        }
    }
}

/// One parameter definition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Definition {
    /// Name, lower case.
    pub name: &'static str,
    /// Scope.
    pub scope: Scope,
    /// Type and range.
    pub kind: Kind,
    /// Default value as `SHOW PARAMETERS` prints it.
    pub default: &'static str,
    /// `section` column.
    pub section: &'static str,
    /// `info` column.
    pub info: &'static str,
}

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The 4.2 parameters obbackup manages, plus their neighbours (reference §2.1.2).
pub const PARAMETERS_4X: &[Definition] = &[
    Definition {
        name: "log_archive_concurrency",
        scope: Scope::Tenant,
        kind: Kind::Int { min: 0, max: 100 },
        default: "0",
        section: "LOGSERVICE",
        info: "log archive concurrency, for both archive fetcher and sender. If the value is default 0, the database will automatically calculate the number of archive worker threads based on the tenant specification, which is tenant max_cpu divided by 4; otherwise set the the worker count equals to the value.Range: [0, 100] in integer",
    },
    Definition {
        name: "archive_lag_target",
        scope: Scope::Tenant,
        kind: Kind::Time {
            min_us: 0,
            max_us: 7_200_000_000,
        },
        default: "120s",
        section: "LOGSERVICE",
        info: "The lag target of the log archive. The log archive target affects not only the backup availability, but also the lag of the standby database based on archive. Values larger than 7200s are not reasonable lag. The typical value is 120s. Extremely low values can result in high IOPS, which is not optimal for object storage; such values can also affect the performance of the database. The value 0ms means to archive as soon as possible. Range: [0ms,7200s]",
    },
    Definition {
        name: "log_restore_concurrency",
        scope: Scope::Tenant,
        kind: Kind::Int { min: 0, max: 100 },
        default: "0",
        section: "LOGSERVICE",
        info: "log restore concurrency, for both the restore fetcher and writer. If the value is default 0, the database will automatically calculate the number of restore worker threads based on the tenant specification, which is tenant max_cpu; otherwise set the the worker count equals to the value.Range: [0, 100] in integer",
    },
    // The lowest build of the cluster's servers, set by RootService after an
    // upgrade (v4.2.2_CE_BP1 src/share/parameter/ob_parameter_seed.ipp:
    // DEF_STR, cluster scope; its default is the build's own version, which
    // [`crate::cluster::Cluster::cluster_parameter_value`] supplies).
    Definition {
        name: "min_observer_version",
        scope: Scope::Cluster,
        kind: Kind::Version,
        default: "",
        section: "ROOT_SERVICE",
        info: "the min observer version",
    },
    Definition {
        name: "backup_data_file_size",
        scope: Scope::Tenant,
        kind: Kind::Capacity {
            min: 512 * MIB,
            max: 4 * GIB,
        },
        default: "4G",
        section: "OBSERVER",
        info: "backup data file size. Range: [512M, 4G] in integer",
    },
    Definition {
        name: "ha_low_thread_score",
        scope: Scope::Tenant,
        kind: Kind::Int { min: 0, max: 100 },
        default: "0",
        section: "OBSERVER",
        info: "the current work thread score of high availability low thread. Range: [0,100] in integer. Especially, 0 means default value",
    },
    Definition {
        name: "ha_mid_thread_score",
        scope: Scope::Tenant,
        kind: Kind::Int { min: 0, max: 100 },
        default: "0",
        section: "OBSERVER",
        info: "the current work thread score of high availability mid thread. Range: [0,100] in integer. Especially, 0 means default value",
    },
    Definition {
        name: "ha_high_thread_score",
        scope: Scope::Tenant,
        kind: Kind::Int { min: 0, max: 100 },
        default: "0",
        section: "OBSERVER",
        info: "the current work thread score of high availability high thread. Range: [0,100] in integer. Especially, 0 means default value",
    },
];

/// Looks a 4.x parameter up by (case-insensitive) name, as the newest build
/// defines it.
pub fn find_4x(name: &str) -> Option<&'static Definition> {
    PARAMETERS_4X
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

/// The parameters as build `version` (`ob_version()`'s parts) defines them,
/// read from `src/share/parameter/ob_parameter_seed.ipp` at each tag:
/// `archive_lag_target` is absent before v4.2.0_CE; `log_archive_concurrency`
/// is `[1, 100]`, default 1, before v4.1.0_CE_BP3 (4.1.0.2);
/// `backup_data_file_size` is a cluster parameter in v4.1.0_CE ..
/// v4.2.1_CE_BP1 and a tenant one from v4.2.1_CE_BP2 (4.2.1.2) and v4.2.2_CE.
pub fn parameters_on(version: &[u32]) -> Vec<Definition> {
    let at = |parts: &[u32]| version >= parts;
    let tenant_file_size = (version.starts_with(&[4, 2, 1]) && at(&[4, 2, 1, 2])) || at(&[4, 2, 2]);
    PARAMETERS_4X
        .iter()
        .filter(|d| d.name != "archive_lag_target" || at(&[4, 2, 0]))
        .map(|d| match d.name {
            "log_archive_concurrency" if !at(&[4, 1, 0, 2]) => Definition {
                kind: Kind::Int { min: 1, max: 100 },
                default: "1",
                ..*d
            },
            "backup_data_file_size" if !tenant_file_size => Definition {
                scope: Scope::Cluster,
                ..*d
            },
            _ => *d,
        })
        .collect()
}

/// [`find_4x`] on build `version`.
pub fn find_on(version: &[u32], name: &str) -> Option<Definition> {
    parameters_on(version)
        .into_iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

/// Parses an OceanBase time value (`120s`, `0ms`, `1d`, `30m`, `2h`, `10us`) into
/// microseconds. A bare number is taken as seconds (**UNCONFIRMED** default unit).
pub fn parse_time_us(value: &str) -> Option<u64> {
    let v = value.trim().to_ascii_lowercase();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor: u64 = match unit {
        "us" => 1,
        "ms" => 1_000,
        "" | "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// Parses an OceanBase capacity (`512M`, `4G`, `4GB`) into bytes. A bare number
/// is taken as megabytes (**UNCONFIRMED** default unit).
pub fn parse_capacity(value: &str) -> Option<u64> {
    let v = value.trim().to_ascii_uppercase();
    let v = v.strip_suffix('B').unwrap_or(&v);
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor: u64 = match unit {
        "" | "M" => MIB,
        "K" => 1 << 10,
        "G" => GIB,
        "T" => 1 << 40,
        "P" => 1 << 50,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let ha = find_4x("HA_LOW_THREAD_SCORE").expect("known");
        assert!(ha.kind.accepts("100"));
        assert!(!ha.kind.accepts("1000"));
        assert!(!ha.kind.accepts("ten"));
        let size = find_4x("backup_data_file_size").expect("known");
        assert!(size.kind.accepts("512M"));
        assert!(size.kind.accepts("4G"));
        assert!(!size.kind.accepts("8G"));
        let lag = find_4x("archive_lag_target").expect("known");
        assert!(lag.kind.accepts("0ms"));
        assert!(lag.kind.accepts("7200s"));
        assert!(!lag.kind.accepts("3h"));
    }
}

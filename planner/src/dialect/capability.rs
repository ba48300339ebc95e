//! What each OceanBase build supports, for the settings and statements the
//! planner emits. A build is `ob_version()`'s four parts (4.2.1.2 is 4.2.1
//! BP2). Release lines run in parallel (a 4.2.1 bundle patch can carry what
//! 4.2.2.0 has and 4.2.0 lacks), so each fact lists the first build that has
//! it on each line where it arrived; a build of a line listed has it from that
//! build on, a build of a later line has it, a build of an earlier line does not.
//!
//! Every fact cites the `oceanbase/oceanbase` tags and file it was read in.

use std::fmt;

/// An OceanBase build: `ob_version()` as four numbers (a three-part 3.x
/// version gets a zero fourth part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Build(pub [u32; 4]);

impl Build {
    /// Reads `4.2.1.2`, `3.1.5` or `3.2.4.1`; `None` unless it is three or
    /// four dotted numbers.
    pub fn parse(text: &str) -> Option<Build> {
        let parts: Vec<u32> = text
            .trim()
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        match parts.as_slice() {
            [a, b, c] => Some(Build([*a, *b, *c, 0])),
            [a, b, c, d] => Some(Build([*a, *b, *c, *d])),
            _ => None,
        }
    }

    /// Reads a build or its prefix, as a configuration's `version` or
    /// `min_observer_version` gives it: one to four dotted numbers, the
    /// missing parts zero (`4.2.1` is 4.2.1.0); `None` for anything else.
    pub fn parse_prefix(text: &str) -> Option<Build> {
        let mut parts = [0u32; 4];
        for (k, part) in text.trim().split('.').enumerate() {
            if k == 4 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[k] = part.parse().ok()?;
        }
        Some(Build(parts))
    }

    /// The release line: the first three parts.
    pub fn line(self) -> [u32; 3] {
        [self.0[0], self.0[1], self.0[2]]
    }
}

impl fmt::Display for Build {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// A capability some builds have and others lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// The tenant parameter `archive_lag_target` exists.
    ArchiveLagTarget,
    /// `log_archive_concurrency` takes 0 (automatic): its range is [0, 100]
    /// rather than [1, 100].
    AutomaticLogArchiveConcurrency,
    /// `backup_data_file_size` is a tenant parameter (before, it is a cluster
    /// parameter, and `TENANT = …` is refused with 5099).
    TenantBackupDataFileSize,
    /// `ALTER SYSTEM BACKUP … PLUS ARCHIVELOG`.
    PlusArchivelog,
    /// `ALTER SYSTEM SET … TENANT = all_user`.
    TenantAllUser,
    /// `CDB_OB_BACKUP_TASKS.DATA_PROGRESS` (the planner reads the macro block
    /// counts instead, which every build has; listed for the table).
    CdbBackupTaskDataProgress,
    /// A backup set taken with PLUS ARCHIVELOG restores to its own
    /// `MIN_RESTORE_SCN` without an archive (the complement log).
    ComplementLogRestore,
    /// The MySQL-mode user-level lock functions (`GET_LOCK`, `RELEASE_LOCK`,
    /// `IS_USED_LOCK`), which apply uses to run one at a time.
    UserLevelLocks,
    /// `DBA_OB_BACKUP_TASKS.DATA_PROGRESS` (listed for the table, like the
    /// `CDB_` one).
    DbaBackupTaskDataProgress,
    /// 3.x: more than one copy of each piece (`BACKUP BACKUPPIECE … NOT
    /// BACKED UP n TIMES` to the configured destination).
    PieceCopiesBeyondOne,
    /// 3.x: a `backup_backup_dest_option` checkpoint interval above 1h.
    LongBackupBackupCheckpoint,
}

/// One fact of the table.
#[derive(Debug, Clone, Copy)]
pub struct Fact {
    /// The capability.
    pub capability: Capability,
    /// What it is, for people.
    pub what: &'static str,
    /// The first build that has it, on each line where it arrived, oldest line first.
    pub first: &'static [Build],
    /// Where this was read: tags and file.
    pub source: &'static str,
}

/// The table.
pub const FACTS: &[Fact] = &[
    Fact {
        capability: Capability::ArchiveLagTarget,
        what: "log_archive.lag_target (archive_lag_target)",
        first: &[Build([4, 2, 0, 0])],
        source: "absent in v4.1.0_CE..v4.1.0_CE_BP4, DEF_TIME(archive_lag_target, OB_TENANT_PARAMETER, [0ms,7200s]) from v4.2.0_CE: src/share/parameter/ob_parameter_seed.ipp",
    },
    Fact {
        capability: Capability::AutomaticLogArchiveConcurrency,
        what: "log_archive.concurrency = 0 (automatic)",
        first: &[Build([4, 1, 0, 2])],
        source: "log_archive_concurrency range [1, 100] in v4.1.0_CE..v4.1.0_CE_BP2 (4.1.0.0, 4.1.0.1), [0, 100] from v4.1.0_CE_BP3 (4.1.0.2): src/share/parameter/ob_parameter_seed.ipp",
    },
    Fact {
        capability: Capability::TenantBackupDataFileSize,
        what: "data_backup.file_size per tenant (backup_data_file_size)",
        first: &[Build([4, 2, 1, 2])],
        source: "DEF_CAP(backup_data_file_size, OB_CLUSTER_PARAMETER) in v4.1.0_CE..v4.2.1_CE_BP1, OB_TENANT_PARAMETER from v4.2.1_CE_BP2 and in v4.2.2_CE, v4.3.0_CE_BETA: src/share/parameter/ob_parameter_seed.ipp",
    },
    Fact {
        capability: Capability::PlusArchivelog,
        what: "PLUS ARCHIVELOG",
        first: &[Build([4, 2, 0, 0])],
        source: "4.1 answers 1235 `plus archive is not supported` (v4.1.0_CE src/rootserver/backup/ob_backup_data_scheduler.cpp), accepted from v4.2.0_CE",
    },
    Fact {
        capability: Capability::TenantAllUser,
        what: "TENANT = all_user",
        first: &[Build([4, 2, 1, 0])],
        source: "`all_user` absent from v4.0.0_CE..v4.2.0_CE, present from v4.2.1_CE: src/sql/resolver/cmd/ob_alter_system_resolver.cpp",
    },
    Fact {
        capability: Capability::CdbBackupTaskDataProgress,
        what: "CDB_OB_BACKUP_TASKS.DATA_PROGRESS",
        first: &[Build([4, 2, 1, 3]), Build([4, 2, 2, 0])],
        source: "absent in v4.1.0_CE..v4.2.1_CE_BP2, present from v4.2.1_CE_BP3, in v4.2.2_CE and v4.3.0_CE_BETA: src/share/inner_table/ob_inner_table_schema_def.py",
    },
    Fact {
        capability: Capability::ComplementLogRestore,
        what: "restoring a PLUS ARCHIVELOG backup set without an archive",
        first: &[Build([4, 2, 0, 0])],
        source: "absent in v4.0.0_CE and v4.1.0_CE (restore always reads the archive), from v4.2.0_CE: src/rootserver/restore/ob_restore_util.cpp (check_restore_using_complement_log_, get_restore_log_array_for_complement_log_)",
    },
    Fact {
        capability: Capability::UserLevelLocks,
        what: "one apply at a time (GET_LOCK)",
        first: &[Build([4, 3, 1, 0])],
        source: "absent in every 3.x and 4.x tag through v4.3.0_CE_BETA (NULL slots in src/sql/engine/expr/ob_expr_eval_functions.cpp), from v4.3.1_CE_BETA: src/sql/engine/expr/ob_expr_lock_func.cpp (per tenant; 1235 below data version 4.3.1.0; 0 on a conflict), src/storage/tablelock/ob_lock_func_executor.cpp",
    },
    Fact {
        capability: Capability::DbaBackupTaskDataProgress,
        what: "DBA_OB_BACKUP_TASKS.DATA_PROGRESS",
        first: &[Build([4, 3, 1, 0])],
        source: "absent in v4.1.0_CE..v4.2.2_CE_BP1 and v4.3.0_CE_BETA, present from v4.3.1_CE_BETA: src/share/inner_table/ob_inner_table_schema_def.py",
    },
    Fact {
        capability: Capability::PieceCopiesBeyondOne,
        what: "backup_backup.pieces.copies above 1 (3.x)",
        first: &[Build([3, 2, 0, 0])],
        source: "v3.1.2_CE..v3.1.5_CE_HF2 answer 1235 `not backed up N times to the backup_backup_dest of sys parameter` (src/sql/resolver/cmd/ob_alter_system_resolver.cpp); the 3.2 operator documents copy pieces N times to the configured destination",
    },
    Fact {
        capability: Capability::LongBackupBackupCheckpoint,
        what: "backup_backup checkpoint interval above 1h (3.x)",
        first: &[Build([3, 2, 0, 0])],
        source: "v3.1.5_CE_HF2 check_backup_dest_opt caps backup_backup_dest_option's log_archive_checkpoint_interval at [5s, 1h] (1235; src/sql/resolver/cmd/ob_alter_system_resolver.cpp); the 3.2 operator documents set 2h",
    },
];

impl Capability {
    /// The fact behind the capability.
    pub fn fact(self) -> &'static Fact {
        FACTS
            .iter()
            .find(|f| f.capability == self)
            .unwrap_or(&FACTS[0])
    }

    /// Whether `build` has it: on a line where it arrived, from that build;
    /// on a later line of the same major version, always. A 3.x capability
    /// is never on 4.x (backup-backup was removed) and a 4.x one never on 3.x.
    pub fn on(self, build: Build) -> bool {
        let first = self.fact().first;
        if let Some(same_line) = first.iter().find(|b| b.line() == build.line()) {
            return build >= *same_line;
        }
        first
            .iter()
            .any(|b| b.0[0] == build.0[0] && b.line() < build.line())
    }

    /// The oldest build that has it.
    pub fn first(self) -> Build {
        self.fact().first[0]
    }
}

/// Builds that mark a change in the table, oldest first: the rows of
/// [`markdown_table`].
pub const MARKER_BUILDS: [Build; 11] = [
    Build([3, 1, 0, 0]),
    Build([3, 2, 0, 0]),
    Build([4, 1, 0, 0]),
    Build([4, 1, 0, 2]),
    Build([4, 2, 0, 0]),
    Build([4, 2, 1, 0]),
    Build([4, 2, 1, 2]),
    Build([4, 2, 1, 3]),
    Build([4, 2, 2, 0]),
    Build([4, 3, 0, 1]),
    Build([4, 3, 1, 0]),
];

/// The supported-versions table of the README: one row per marker build,
/// one column per capability, `yes` or `no`.
pub fn markdown_table() -> String {
    let mut out = String::from("| build |");
    for fact in FACTS {
        out.push_str(&format!(" {} |", fact.what));
    }
    out.push_str("\n|---|");
    for _ in FACTS {
        out.push_str("---|");
    }
    out.push('\n');
    for build in MARKER_BUILDS {
        out.push_str(&format!("| {build} |"));
        for fact in FACTS {
            out.push_str(if fact.capability.on(build) {
                " yes |"
            } else {
                " no |"
            });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(capability: Capability, build: &str) -> bool {
        capability.on(Build::parse(build).expect("build"))
    }

    #[test]
    fn builds_parse_and_print() {
        assert_eq!(Build::parse("4.2.1.2"), Some(Build([4, 2, 1, 2])));
        assert_eq!(Build::parse("3.1.5"), Some(Build([3, 1, 5, 0])));
        assert_eq!(Build::parse("4.2"), None);
        assert_eq!(Build::parse("4.x.1.0"), None);
        assert_eq!(Build([4, 2, 1, 2]).to_string(), "4.2.1.2");
    }

    #[test]
    fn lines_run_in_parallel() {
        use Capability::*;
        // DATA_PROGRESS: 4.2.1 BP3 on the 4.2.1 line, 4.2.2.0 on its own, every later line.
        assert!(!on(CdbBackupTaskDataProgress, "4.2.1.2"));
        assert!(on(CdbBackupTaskDataProgress, "4.2.1.3"));
        assert!(on(CdbBackupTaskDataProgress, "4.2.2.0"));
        assert!(on(CdbBackupTaskDataProgress, "4.3.0.1"));
        assert!(!on(CdbBackupTaskDataProgress, "4.2.0.0"));
        // backup_data_file_size turned tenant-level in 4.2.1 BP2.
        assert!(!on(TenantBackupDataFileSize, "4.2.1.1"));
        assert!(on(TenantBackupDataFileSize, "4.2.1.2"));
        assert!(on(TenantBackupDataFileSize, "4.2.2.1"));
        assert!(!on(TenantBackupDataFileSize, "4.2.0.0"));
        assert!(!on(TenantBackupDataFileSize, "4.1.0.2"));
        // archive_lag_target from 4.2.0; log_archive_concurrency = 0 from 4.1.0 BP3.
        assert!(!on(ArchiveLagTarget, "4.1.0.2"));
        assert!(on(ArchiveLagTarget, "4.2.0.0"));
        assert!(!on(AutomaticLogArchiveConcurrency, "4.1.0.1"));
        assert!(on(AutomaticLogArchiveConcurrency, "4.1.0.2"));
        assert!(on(AutomaticLogArchiveConcurrency, "4.2.2.1"));
        // all_user from 4.2.1; nothing of this on 3.x.
        assert!(!on(TenantAllUser, "4.2.0.0"));
        assert!(on(TenantAllUser, "4.2.1.0"));
        assert!(!on(TenantAllUser, "3.2.4.1"));
        assert!(!on(PlusArchivelog, "3.1.5"));
        // GET_LOCK from 4.3.1.0 only.
        assert!(!on(UserLevelLocks, "4.2.2.1"));
        assert!(!on(UserLevelLocks, "4.3.0.1"));
        assert!(on(UserLevelLocks, "4.3.1.0"));
        assert!(!on(UserLevelLocks, "3.2.4.1"));
        // Restoring from a PLUS ARCHIVELOG set alone from 4.2.0.
        assert!(!on(ComplementLogRestore, "4.1.0.2"));
        assert!(on(ComplementLogRestore, "4.2.0.0"));
        // 3.x backup-backup rules: 3.2 takes what 3.1 refuses; 4.x has no
        // backup-backup, and 3.x none of the 4.x capabilities.
        assert!(!on(PieceCopiesBeyondOne, "3.1.5"));
        assert!(on(PieceCopiesBeyondOne, "3.2.4.1"));
        assert!(!on(LongBackupBackupCheckpoint, "3.1.5"));
        assert!(on(LongBackupBackupCheckpoint, "3.2.0.0"));
        assert!(!on(PieceCopiesBeyondOne, "4.2.2.1"));
        assert!(!on(TenantAllUser, "3.2.4.1"));
        assert!(!on(DbaBackupTaskDataProgress, "4.2.2.1"));
        assert!(on(DbaBackupTaskDataProgress, "4.3.1.0"));
    }

    #[test]
    fn prefixes_read_as_builds_with_zeros() {
        assert_eq!(Build::parse_prefix("4.2.1"), Some(Build([4, 2, 1, 0])));
        assert_eq!(Build::parse_prefix("3"), Some(Build([3, 0, 0, 0])));
        assert_eq!(Build::parse_prefix("4.2.1.2"), Some(Build([4, 2, 1, 2])));
        for bad in ["", "4.2.1.2.0", "4..2", "4.x", "+4", "4.99999999999"] {
            assert_eq!(Build::parse_prefix(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_capability_has_one_fact() {
        let all = [
            Capability::ArchiveLagTarget,
            Capability::AutomaticLogArchiveConcurrency,
            Capability::TenantBackupDataFileSize,
            Capability::PlusArchivelog,
            Capability::TenantAllUser,
            Capability::CdbBackupTaskDataProgress,
            Capability::ComplementLogRestore,
            Capability::UserLevelLocks,
            Capability::DbaBackupTaskDataProgress,
            Capability::PieceCopiesBeyondOne,
            Capability::LongBackupBackupCheckpoint,
        ];
        for c in all {
            assert_eq!(
                FACTS.iter().filter(|f| f.capability == c).count(),
                1,
                "{c:?}"
            );
        }
        assert_eq!(FACTS.len(), all.len());
    }
}

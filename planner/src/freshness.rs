//! Backup freshness, for both lines: a declared `data_backup { full { max_age } }`
//! or `incremental { max_age }` is violated when the newest usable backup
//! of that kind ended longer ago than the limit, on the server's clock
//! (`NOW(6)`). A usable backup is a set that is still there to restore from:
//! on 4.x SUCCESS and AVAILABLE in `CDB_OB_BACKUP_SET_FILES` (a set deleted or
//! being deleted since does not count), on 3.x COMPLETED in
//! `CDB_OB_BACKUP_SET_DETAILS` (DELETING does not). An incremental
//! requirement is met by a newer full backup too.
//! A violation is a change of `data_backup.full` / `data_backup.incremental`
//! that the dialect plans as one backup.

use crate::address::{Address, Scope, Setting};
use crate::change::{Change, age_text};
use crate::desired::DataBackup;

/// When the newest usable backups of a scope ended, in seconds since the
/// Unix epoch on the server clock; `None` when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Newest {
    /// The newest usable full backup.
    pub full: Option<i64>,
    /// The newest usable backup of any type.
    pub any: Option<i64>,
}

/// Whether `policy` declares any freshness limit.
pub fn declared(policy: &DataBackup) -> bool {
    policy.full_max_age.is_some() || policy.incremental_max_age.is_some()
}

/// The violations of `policy` in `scope`, given its newest backups and the
/// server time `now` (seconds). `before` reads `last full 9d 2h ago` (or
/// `None` when there is no such backup, a create), `after` `max_age 7d`.
pub fn violations(scope: &Scope, policy: &DataBackup, newest: Newest, now: i64) -> Vec<Change> {
    let mut out = Vec::new();
    let checks = [
        (
            Setting::DataBackupFull,
            &policy.full_max_age,
            newest.full,
            "full",
        ),
        (
            Setting::DataBackupIncremental,
            &policy.incremental_max_age,
            newest.any,
            "backup",
        ),
    ];
    for (setting, max_age, ended, word) in checks {
        let Some(max_age) = max_age else { continue };
        let limit = max_age.value.as_secs();
        let age = ended.map(|end| now - end);
        if age.is_some_and(|a| a <= limit) {
            continue;
        }
        out.push(Change::new(
            Address {
                scope: scope.clone(),
                setting,
            },
            age.map(|a| format!("last {word} {} ago", age_text(a))),
            format!("max_age {}", max_age.value.canonical()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::Located;
    use crate::units::Duration;

    fn policy(full: Option<&str>, incremental: Option<&str>) -> DataBackup {
        let at = |text: &str| Located {
            value: Duration::parse(text).expect("duration"),
            span: 0..0,
        };
        DataBackup {
            full_max_age: full.map(at),
            incremental_max_age: incremental.map(at),
            ..DataBackup::default()
        }
    }

    #[test]
    fn limits_are_inclusive_and_a_full_backup_counts_as_any() {
        let scope = Scope::Tenant("t".into());
        let now = 10 * 86_400;
        let day = 86_400;
        let p = policy(Some("7d"), Some("1d"));
        // Full 7d ago exactly, and it is also the newest backup at 7d: the incremental limit fails.
        let newest = Newest {
            full: Some(now - 7 * day),
            any: Some(now - 7 * day),
        };
        let v = violations(&scope, &p, newest, now);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].address.to_string(), "tenant.t.data_backup.incremental");
        assert_eq!(v[0].before.as_deref(), Some("last backup 7d 0h ago"));
        assert_eq!(v[0].after, "max_age 1d");
        // An incremental an hour ago satisfies the incremental limit.
        let newest = Newest {
            full: Some(now - 7 * day),
            any: Some(now - 3600),
        };
        assert!(violations(&scope, &p, newest, now).is_empty());
        // No backup at all: creates, on the cluster scope too.
        let v = violations(&Scope::Cluster, &p, Newest::default(), now);
        let text: Vec<String> = v.iter().map(|c| c.address.to_string()).collect();
        assert_eq!(
            text,
            [
                "cluster.data_backup.full",
                "cluster.data_backup.incremental"
            ]
        );
        assert!(v.iter().all(|c| c.before.is_none()));
    }
}

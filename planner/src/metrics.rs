//! `obbackup status --format openmetrics`: the status as OpenMetrics text
//! (the OpenMetrics 1.0 exposition format, as Prometheus and node_exporter's
//! textfile collector read it): one `# TYPE`, `# UNIT` and `# HELP` per
//! family, gauges only, label values escaped, and `# EOF` at the end. Every
//! sample carries the `cluster` label the caller names, so files of several
//! clusters can sit side by side in one textfile directory.

use crate::states::RoundStatus;
use crate::status::{Status, TenantStatus};
use std::fmt::Write as _;

/// The archive round statuses a tenant's `obbackup_archive_round_status` has
/// one sample for each (1 for the current one), as OceanBase 4.x names them
/// (v4.2.2_CE_BP1 `src/share/backup/ob_archive_struct.cpp`, `ObArchiveRoundState`).
pub const ROUND_STATUSES: [RoundStatus; 8] = [
    RoundStatus::Prepare,
    RoundStatus::Beginning,
    RoundStatus::Doing,
    RoundStatus::Interrupted,
    RoundStatus::Stopping,
    RoundStatus::Stop,
    RoundStatus::Suspending,
    RoundStatus::Suspend,
];

/// What the status command knows besides [`Status`]: the cluster label and,
/// with a configuration, how many addresses drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context<'a> {
    /// The `cluster` label of every sample.
    pub cluster: &'a str,
    /// Drifted addresses (changes and policy breaches); `None` without a configuration.
    pub drift_addresses: Option<usize>,
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Family<'a> {
    out: &'a mut String,
    cluster: String,
}

impl Family<'_> {
    fn header(&mut self, name: &str, unit: Option<&str>, help: &str) {
        let _ = writeln!(self.out, "# TYPE {name} gauge");
        if let Some(unit) = unit {
            let _ = writeln!(self.out, "# UNIT {name} {unit}");
        }
        let _ = writeln!(self.out, "# HELP {name} {help}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let mut text = format!("cluster=\"{}\"", self.cluster);
        for (k, v) in labels {
            let _ = write!(text, ",{k}=\"{}\"", escape(v));
        }
        let _ = writeln!(self.out, "{name}{{{text}}} {value}");
    }
}

/// Seconds since the Unix epoch of a time `age_seconds` before the server's
/// clock (`now_epoch`).
fn at(now_epoch: Option<i64>, age_seconds: Option<i64>) -> Option<f64> {
    Some((now_epoch? - age_seconds?) as f64)
}

/// The status as OpenMetrics text. Tenants without a value for a family
/// (never backed up, no recovery window) have no sample in it.
pub fn openmetrics(status: &Status, context: &Context<'_>) -> String {
    let mut out = String::new();
    let mut f = Family {
        out: &mut out,
        cluster: escape(context.cluster),
    };
    let tenants: Vec<&TenantStatus> = status.tenants.iter().collect();
    let now = status.now_epoch;

    let name = "obbackup_scrape_success";
    f.header(
        name,
        None,
        "1 when obbackup read the cluster's backup views.",
    );
    f.sample(name, &[], 1.0);

    let name = "obbackup_backup_last_success_timestamp_seconds";
    f.header(
        name,
        Some("seconds"),
        "When the newest usable backup of the type ended (Unix time); type full counts full backups only, incremental any backup.",
    );
    for t in &tenants {
        for (kind, age) in [
            ("full", t.last_full_age_seconds),
            ("incremental", t.last_backup_age_seconds),
        ] {
            if let Some(v) = at(now, age) {
                f.sample(name, &[("tenant", &t.tenant), ("type", kind)], v);
            }
        }
    }

    let name = "obbackup_backup_job_running";
    f.header(name, None, "1 while a backup job of the type runs.");
    for t in &tenants {
        for (kind, word) in [("full", "FULL"), ("incremental", "INC")] {
            let running = t.running_jobs.iter().any(|j| j.backup_type == word);
            f.sample(
                name,
                &[("tenant", &t.tenant), ("type", kind)],
                f64::from(u8::from(running)),
            );
        }
    }

    let name = "obbackup_archive_checkpoint_lag_seconds";
    f.header(
        name,
        Some("seconds"),
        "How far the archive checkpoint is behind the server's clock.",
    );
    for t in &tenants {
        if let Some(lag) = t.checkpoint_lag_seconds {
            f.sample(name, &[("tenant", &t.tenant)], lag as f64);
        }
    }

    let name = "obbackup_archive_round_status";
    f.header(
        name,
        None,
        "1 for the archive round's current status, 0 for the others.",
    );
    for t in &tenants {
        let Some(current) = &t.archive_status else {
            continue;
        };
        for s in &ROUND_STATUSES {
            f.sample(
                name,
                &[("tenant", &t.tenant), ("status", s.as_str())],
                f64::from(u8::from(current == s.as_str())),
            );
        }
    }

    for (name, help, pick) in [
        (
            "obbackup_recovery_window_start_timestamp_seconds",
            "Where the newest point-in-time restore window starts (Unix time).",
            true,
        ),
        (
            "obbackup_recovery_window_end_timestamp_seconds",
            "Where the newest point-in-time restore window ends (Unix time).",
            false,
        ),
    ] {
        f.header(name, Some("seconds"), help);
        for t in &tenants {
            if let Some(w) = t.recovery_windows.iter().max_by_key(|w| w.end_epoch) {
                let v = if pick { w.start_epoch } else { w.end_epoch };
                f.sample(name, &[("tenant", &t.tenant)], v as f64);
            }
        }
    }

    let name = "obbackup_rpo_seconds";
    f.header(
        name,
        Some("seconds"),
        "Seconds from the newest restorable point to the server's clock.",
    );
    for t in &tenants {
        if let Some(rpo) = t.rpo_seconds {
            f.sample(name, &[("tenant", &t.tenant)], rpo as f64);
        }
    }

    let name = "obbackup_delete_job_failures";
    f.header(
        name,
        None,
        "1 when the newest finished cleanup job of the delete policy FAILED, 0 otherwise (tenants with a policy).",
    );
    for t in &tenants {
        if t.delete_policy.is_some() {
            let failed = t
                .cleanup_jobs
                .last()
                .is_some_and(|j| j.status == crate::states::JobStatus::Failed);
            f.sample(name, &[("tenant", &t.tenant)], f64::from(u8::from(failed)));
        }
    }

    if let Some(drift) = context.drift_addresses {
        let name = "obbackup_drift_addresses";
        f.header(
            name,
            None,
            "Addresses that differ from the configuration, policy breaches included.",
        );
        f.sample(name, &[], drift as f64);
    }
    out.push_str("# EOF\n");
    out
}

/// What a failed read leaves for the textfile collector: only
/// `obbackup_scrape_success 0`, so an alert can fire on it.
pub fn scrape_failed(cluster: &str) -> String {
    let mut out = String::new();
    let mut f = Family {
        out: &mut out,
        cluster: escape(cluster),
    };
    let name = "obbackup_scrape_success";
    f.header(
        name,
        None,
        "1 when obbackup read the cluster's backup views.",
    );
    f.sample(name, &[], 0.0);
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_unix_time_is_guessed_without_the_servers_clock() {
        let tenant = TenantStatus {
            tenant: "t".into(),
            log_mode: "ARCHIVELOG".into(),
            archive_status: Some("DOING".into()),
            checkpoint_lag_seconds: Some(5),
            last_full_age_seconds: Some(600),
            last_backup_age_seconds: Some(600),
            running_jobs: Vec::new(),
            delete_policy: None,
            cleanup_jobs: Vec::new(),
            recovery_windows: Vec::new(),
            rpo_seconds: None,
            violations: Vec::new(),
        };
        let status = |now_epoch| Status {
            server_version: "4.2.2.1".into(),
            login_tenant: "sys".into(),
            server_time: None,
            tenants: vec![tenant.clone()],
            now_epoch,
        };
        let context = Context {
            cluster: "c",
            drift_addresses: None,
        };
        let family = "obbackup_backup_last_success_timestamp_seconds{";
        let known = openmetrics(&status(Some(1_000_000)), &context);
        assert!(
            known.contains(&format!(
                "{family}cluster=\"c\",tenant=\"t\",type=\"full\"}} 999400"
            )),
            "{known}"
        );
        let unknown = openmetrics(&status(None), &context);
        assert!(!unknown.contains(family), "{unknown}");
        assert!(unknown.contains("obbackup_archive_checkpoint_lag_seconds{"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let text = scrape_failed("prod \"east\"");
        assert_eq!(
            text,
            "# TYPE obbackup_scrape_success gauge\n# HELP obbackup_scrape_success 1 when obbackup read the cluster's backup views.\nobbackup_scrape_success{cluster=\"prod \\\"east\\\"\"} 0\n# EOF\n"
        );
    }
}

//! The 4.x blocks of `obbackup export`.

use super::*;

/// The 4.x export ([`crate::export`]): `cluster { version }` and a named
/// `tenant` block per user tenant with every managed setting it has (what
/// the build takes per tenant only); credentials become `env()` references
/// added to `env`.
pub fn export_blocks(live: &LiveState, version: &str, env: &mut Vec<String>) -> String {
    use crate::export::{destination, hcl_string};
    use crate::units::Size;
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "\ncluster {{\n  version = {}\n}}", hcl_string(version));
    let takes = |capability: Capability| live.server.takes(capability);
    for (name, tenant) in live.tenants() {
        let _ = writeln!(out, "\ntenant {} {{", hcl_string(name));
        out.push_str("  log_archive {\n");
        let _ = writeln!(out, "    enabled = {}", tenant.archivelog());
        if let Some(dest) = &tenant.archive_dest {
            let _ = writeln!(
                out,
                "    destination = {}",
                destination(name, &dest.location, env)
            );
            let _ = writeln!(
                out,
                "    mode = {}",
                hcl_string(&dest.binding.to_ascii_lowercase())
            );
            if let Some(d) = Duration::parse(&dest.piece_switch_interval) {
                let _ = writeln!(
                    out,
                    "    piece_switch_interval = {}",
                    hcl_string(&d.canonical())
                );
            }
            let _ = writeln!(
                out,
                "    state = {}",
                hcl_string(&dest.state.as_str().to_ascii_lowercase())
            );
        }
        if let Some(v) =
            first_value(tenant, "log_archive_concurrency").and_then(|v| v.parse::<i64>().ok())
        {
            let _ = writeln!(out, "    concurrency = {v}");
        }
        if let (true, true, Some(d)) = (
            tenant.archive_dest.is_some(),
            takes(Capability::ArchiveLagTarget),
            first_value(tenant, "archive_lag_target").and_then(|v| Duration::parse(v)),
        ) {
            let _ = writeln!(out, "    lag_target = {}", hcl_string(&d.canonical()));
        }
        out.push_str("  }\n  data_backup {\n");
        if let Some(dest) = &tenant.data_backup_dest {
            let _ = writeln!(out, "    destination = {}", destination(name, dest, env));
        }
        if let Some(v) =
            first_value(tenant, "ha_low_thread_score").and_then(|v| v.parse::<i64>().ok())
        {
            let _ = writeln!(out, "    concurrency = {v}");
        }
        // Only where the build takes it per tenant (before 4.2.1.2 it is a cluster parameter).
        if let (true, Some(size)) = (
            takes(Capability::TenantBackupDataFileSize),
            first_value(tenant, "backup_data_file_size").and_then(|v| Size::parse(v)),
        ) {
            let _ = writeln!(out, "    file_size = {}", hcl_string(&size.canonical()));
        }
        if let Some(window) = &tenant.delete_policy {
            match Duration::parse(window).filter(|d| crate::config::recovery_window_accepted(*d)) {
                Some(d) => {
                    let _ = writeln!(
                        out,
                        "    delete_policy {{\n      recovery_window = {}\n    }}",
                        hcl_string(&d.canonical())
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    # delete policy with recovery window {}: not exported (obbackup manages 1d to 366d)",
                        hcl_string(window)
                    );
                }
            }
        }
        out.push_str("  }\n}\n");
    }
    out
}

/// The value of parameter `name` on the first server that shows it.
pub(super) fn first_value<'a>(tenant: &'a LiveTenant, name: &str) -> Option<&'a String> {
    tenant
        .parameters
        .get(name)
        .and_then(|servers| servers.values().next())
}

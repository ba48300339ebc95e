//! `obbackup export`: the live state as HCL that plans empty against the same
//! cluster. Every managed setting of every user tenant is written as a named
//! `tenant` block; credentials in destinations become `env()` references
//! (`OBBACKUP_<TENANT>_<KEY>`), listed so the caller can tell the user.
//!
//! Written as text rather than through hcl-rs's builders because the output must
//! carry `${env("…")}` interpolations and comments, which the builders do not
//! write; the tests decode every export again to prove it is valid.

use crate::destination::Destination;
use crate::dialect::capability::{Build, Capability};
use crate::dialect::ob3::LiveCluster;
use crate::live::{LiveScopes, LiveState, LiveTenant};
use crate::units::{Duration, Size};
use std::fmt::Write as _;

/// Quotes a literal for an HCL string: `\`, `"` escaped, `${` and `%{` doubled.
pub fn hcl_string(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("${", "$${")
        .replace("%{", "%%{");
    format!("\"{escaped}\"")
}

/// The name of the environment variable standing for a credential.
fn env_name(tenant: &str, key: &str) -> String {
    let clean: String = tenant
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("OBBACKUP_{clean}_{}", key.to_ascii_uppercase())
}

/// A destination as an HCL string with credentials as `env()` calls.
fn destination(tenant: &str, dest: &Destination, env: &mut Vec<String>) -> String {
    let redacted = dest.redacted();
    let (root, query) = redacted.split_once('?').unwrap_or((&redacted, ""));
    let mut out = hcl_string(root);
    out.pop();
    if !query.is_empty() {
        out.push('?');
        let mut parts = Vec::new();
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if Destination::is_credential(k) {
                let name = env_name(tenant, k);
                if !env.contains(&name) {
                    env.push(name.clone());
                }
                parts.push(format!("{k}=${{env(\"{name}\")}}"));
            } else {
                let quoted = hcl_string(&format!("{k}={v}"));
                parts.push(quoted[1..quoted.len() - 1].to_string());
            }
        }
        out.push_str(&parts.join("&"));
    }
    out.push('"');
    out
}

fn first_value<'a>(tenant: &'a LiveTenant, name: &str) -> Option<&'a String> {
    tenant
        .parameters
        .get(name)
        .and_then(|servers| servers.values().next())
}

/// The `cluster` block of a 3.x cluster (reference §1).
fn cluster_block(live: &LiveCluster, version: &str, env: &mut Vec<String>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\ncluster {{\n  version = {}", hcl_string(version));
    let set = |name: &str| live.value(name).filter(|v| !v.is_empty());
    if let Some(dest) = set("backup_dest") {
        let _ = writeln!(
            out,
            "  backup_dest = {}",
            destination("cluster", &Destination::from_server(dest), env)
        );
    }
    if let Some(option) = set("backup_dest_option") {
        out.push_str("  backup_dest_option {\n");
        for (key, value) in crate::dialect::ob3::parse_option(option) {
            let rendered = if value == "true" || value == "false" {
                value
            } else {
                hcl_string(&value)
            };
            let _ = writeln!(out, "    {key} = {rendered}");
        }
        out.push_str("  }\n");
    }
    if let Some(n) = set("backup_concurrency").and_then(|v| v.trim().parse::<i64>().ok()) {
        let _ = writeln!(out, "  backup_concurrency = {n}");
    }
    let (mode, compression) = crate::dialect::ob3::parse_log_archive_option(
        live.value("backup_log_archive_option").unwrap_or(""),
    );
    let _ = writeln!(
        out,
        "  log_archive {{\n    enabled = {}\n    mode = {}\n    compression = {}\n  }}",
        live.archiving(),
        hcl_string(&mode),
        hcl_string(&compression)
    );
    out.push_str("  backup_backup {\n");
    if let Some(dest) = set("backup_backup_dest") {
        let _ = writeln!(
            out,
            "    destination = {}",
            destination(
                "cluster_backup_backup",
                &Destination::from_server(dest),
                env
            )
        );
    }
    if let Some(interval) = set("backup_backup_dest_option").and_then(|o| {
        crate::dialect::ob3::parse_option(o).remove("log_archive_checkpoint_interval")
    }) {
        let _ = writeln!(
            out,
            "    log_archive_checkpoint_interval = {}",
            hcl_string(&interval)
        );
    }
    let _ = writeln!(out, "    archivelog = {}", live.round_mode_on());
    out.push_str("  }\n}\n");
    out
}

/// Writes the HCL, in the layout `obbackup fmt` gives ([`crate::format`]),
/// and returns it with the environment variables it reads.
pub fn hcl(live: &LiveState) -> (String, Vec<String>) {
    let (text, env) = unformatted(live);
    // The export is valid HCL by construction; were the layout pass to refuse
    // it, the text as written is still the export.
    (crate::format::format(&text).unwrap_or(text), env)
}

fn unformatted(live: &LiveState) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut env = Vec::new();
    if let LiveScopes::Cluster { cluster } = &live.scopes {
        let _ = writeln!(
            out,
            "# Exported by obbackup from OceanBase {} (login tenant {}).",
            live.server.ob_version, live.server.login_tenant
        );
        let version: Vec<String> = live
            .server
            .parts
            .iter()
            .take(2)
            .map(u32::to_string)
            .collect();
        out.push_str(&cluster_block(cluster, &version.join("."), &mut env));
        return (out, env);
    }
    let _ = writeln!(
        out,
        "# Exported by obbackup from OceanBase {} (login tenant {}).",
        live.server.ob_version, live.server.login_tenant
    );
    let major_minor: Vec<String> = live
        .server
        .parts
        .iter()
        .take(2)
        .map(u32::to_string)
        .collect();
    let _ = writeln!(
        out,
        "\ncluster {{\n  version = {}\n}}",
        hcl_string(&major_minor.join("."))
    );
    let build = Build::parse(&live.server.ob_version);
    let takes = |capability: Capability| build.is_some_and(|b| capability.on(b));
    for (name, tenant) in live.tenants() {
        let _ = writeln!(out, "\ntenant {} {{", hcl_string(name));
        out.push_str("  log_archive {\n");
        let _ = writeln!(out, "    enabled = {}", tenant.archivelog());
        if let Some(dest) = &tenant.archive_dest {
            let _ = writeln!(
                out,
                "    destination = {}",
                destination(name, &dest.location, &mut env)
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
            let _ = writeln!(
                out,
                "    destination = {}",
                destination(name, dest, &mut env)
            );
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
    (out, env)
}

//! The 3.x block of `obbackup export`.

use super::*;

/// The 3.x export ([`crate::export`]): the `cluster` block with `version` and
/// every managed setting the cluster has (reference §1); credentials become
/// `env()` references added to `env`.
pub fn export_block(live: &LiveCluster, version: &str, env: &mut Vec<String>) -> String {
    use crate::export::{destination, hcl_string};
    use std::fmt::Write as _;
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
        for (key, value) in parse_option(option) {
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
    let (mode, compression) =
        parse_log_archive_option(live.value("backup_log_archive_option").unwrap_or(""));
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
    if let Some(interval) = set("backup_backup_dest_option")
        .and_then(|o| parse_option(o).remove("log_archive_checkpoint_interval"))
    {
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

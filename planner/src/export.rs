//! `obbackup export`: the live state as HCL that plans empty against the same
//! cluster. Every managed setting is written (4.x: a named `tenant` block per
//! user tenant; 3.x: the `cluster` block), by the dialect of the line
//! ([`crate::dialect::export_blocks`]); credentials in destinations become
//! `env()` references (`OBBACKUP_<TENANT>_<KEY>`), listed so the caller can
//! tell the user.
//!
//! Written as text rather than through hcl-rs's builders because the output must
//! carry `${env("…")}` interpolations and comments, which the builders do not
//! write; the tests decode every export again to prove it is valid.

use crate::destination::Destination;
use crate::live::LiveState;
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
pub(crate) fn destination(tenant: &str, dest: &Destination, env: &mut Vec<String>) -> String {
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
    out.push_str(&crate::dialect::export_blocks(
        live,
        &major_minor.join("."),
        &mut env,
    ));
    (out, env)
}

//! Stage `render`: a [`Plan`] as text for people (`human`), as the versioned
//! JSON contract of `docs/json-format.md`, and drift reports. Both read the same
//! model, so they cannot disagree. Secrets never reach this module unredacted:
//! it only sees `SqlText::shown` and redacted change values.

use crate::plan::{FORMAT_VERSION, Plan, StepId, StepKind, WaitUntil};
use crate::rules::Rule;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Values longer than this are shown on two lines with the changed part marked.
const LONG_VALUE: usize = 48;

fn quoted(v: &Option<String>) -> String {
    v.as_ref()
        .map_or_else(|| "(not set)".to_string(), |s| format!("\"{s}\""))
}

/// `- before` / `+ after` lines with `^` under the characters that differ.
fn long_diff(before: &str, after: &str, indent: &str) -> String {
    let diff = similar::TextDiff::from_chars(before, after);
    if diff.ratio() < 0.6 {
        // Mostly different: markers would only add noise.
        return format!("{indent}- {before}\n{indent}+ {after}\n");
    }
    let mut under_before = String::new();
    let mut under_after = String::new();
    for change in diff.iter_all_changes() {
        let width = change.value().chars().count();
        match change.tag() {
            similar::ChangeTag::Equal => {
                under_before.push_str(&" ".repeat(width));
                under_after.push_str(&" ".repeat(width));
            }
            similar::ChangeTag::Delete => under_before.push_str(&"^".repeat(width)),
            similar::ChangeTag::Insert => under_after.push_str(&"^".repeat(width)),
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "{indent}- {before}");
    if under_before.contains('^') {
        let _ = writeln!(out, "{indent}  {}", under_before.trim_end());
    }
    let _ = writeln!(out, "{indent}+ {after}");
    if under_after.contains('^') {
        let _ = writeln!(out, "{indent}  {}", under_after.trim_end());
    }
    out
}

/// A value of `setting` as people read it: numbers and booleans as they
/// are, descriptions (freshness, policy breaches, piece copies) as they are,
/// every other value quoted. Written straight into the output (no text of
/// its own is allocated per change).
struct ValueText<'a> {
    setting: crate::address::Setting,
    value: &'a str,
}

impl std::fmt::Display for ValueText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::address::Setting as S;
        let value = self.value;
        let bare = match self.setting {
            S::DataBackupConcurrency | S::LogArchiveConcurrency | S::BackupConcurrency => {
                value.parse::<i64>().is_ok()
            }
            S::LogArchiveEnabled | S::BackupBackupArchivelog => {
                matches!(value, "true" | "false")
            }
            S::DataBackupFull
            | S::DataBackupIncremental
            | S::BackupBackupPieces
            | S::LogArchiveMaxLag
            | S::DataBackupMaxRpo
            | S::DataBackupMinWindow => true,
            _ => false,
        };
        if bare {
            f.write_str(value)
        } else {
            write!(f, "\"{value}\"")
        }
    }
}

fn value_text(setting: crate::address::Setting, value: &str) -> ValueText<'_> {
    ValueText { setting, value }
}

/// The changes grouped under one header per tenant (or the 3.x cluster), in
/// address order: `~ address: before → after`, long values on two lines with
/// the changed part marked.
fn change_lines(plan: &Plan, out: &mut String) {
    let mut scope: Option<&crate::address::Scope> = None;
    for c in &plan.changes {
        if scope != Some(&c.address.scope) {
            scope = Some(&c.address.scope);
            let _ = match &c.address.scope {
                crate::address::Scope::Tenant(name) => writeln!(out, "  tenant {name}"),
                crate::address::Scope::Cluster => writeln!(out, "  cluster"),
            };
        }
        // The whole address, as an `ignore` block names it.
        let (symbol, path) = (c.action.symbol(), &c.address);
        match &c.before {
            Some(b) if b.len() > LONG_VALUE || c.after.len() > LONG_VALUE => {
                let _ = writeln!(out, "    {symbol} {path}");
                out.push_str(&long_diff(b, &c.after, "        "));
            }
            Some(b) => {
                let _ = writeln!(
                    out,
                    "    {symbol} {path}: {} → {}",
                    value_text(c.setting(), b),
                    value_text(c.setting(), &c.after)
                );
            }
            None => {
                let before = if c.setting().is_freshness() {
                    "no backup"
                } else {
                    "(not set)"
                };
                let _ = writeln!(
                    out,
                    "    {symbol} {path}: {before} → {}",
                    value_text(c.setting(), &c.after)
                );
            }
        }
    }
}

/// What a person counts in a plan: settings to create and to update, and
/// backups due (one per backup step, whatever freshness limits it meets).
fn human_counts(plan: &Plan) -> (usize, usize, usize) {
    let settings = plan.changes.iter().filter(|c| !c.setting().is_freshness());
    let create = settings
        .clone()
        .filter(|c| c.action == crate::change::Action::Create)
        .count();
    let update = settings.count() - create;
    let backups = plan
        .steps
        .iter()
        .filter(|s| s.action == crate::step::StepAction::Backup)
        .count();
    (create, update, backups)
}

/// Describes a wait in words.
pub fn wait_text(until: &WaitUntil, tenant: Option<&str>) -> String {
    WaitWords { until, tenant }.to_string()
}

/// A wait in words, written straight into the output.
struct WaitWords<'a> {
    until: &'a WaitUntil,
    tenant: Option<&'a str>,
}

impl std::fmt::Display for WaitWords<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenant = self.tenant.unwrap_or("the cluster");
        match self.until {
            WaitUntil::ArchiveStatus { statuses } => {
                write!(f, "wait until the archive round of {tenant} is ")?;
                for (n, status) in statuses.iter().enumerate() {
                    if n > 0 {
                        f.write_str(" or ")?;
                    }
                    f.write_str(status.as_str())?;
                }
                Ok(())
            }
            WaitUntil::NoBackupJobs => write!(f, "wait until {tenant} has no backup job"),
            WaitUntil::NoPieceJobs => {
                f.write_str("wait until the backup-backup piece job has finished")
            }
            WaitUntil::BackupJob {
                follow: true,
                expect_password,
                ..
            } => write!(
                f,
                "follow the new backup job of {tenant} until it ends{}",
                if *expect_password {
                    ", checking it is encrypted (ENCRYPTION_MODE PASSWORD)"
                } else {
                    ""
                }
            ),
            WaitUntil::BackupJob { follow: false, .. } => write!(
                f,
                "wait until the new backup job of {tenant} appears, checking it is encrypted (ENCRYPTION_MODE PASSWORD)"
            ),
        }
    }
}

/// An upper estimate of the length of [`human`]'s text, in bytes: the
/// variable texts plus a generous allowance for the fixed words of each line.
fn human_size(plan: &Plan) -> usize {
    let steps: usize = plan
        .steps
        .iter()
        .map(|s| {
            let body = match &s.kind {
                StepKind::Sql(sql) => sql.shown.len(),
                StepKind::Wait(_) => 96,
            };
            body + s.id.as_str().len() + 48 * (1 + s.depends_on.len())
        })
        .sum();
    let changes: usize = plan
        .changes
        .iter()
        .map(|c| c.after.len() + c.before.as_ref().map_or(0, String::len) + 128)
        .sum();
    steps + changes + 1024
}

/// The plan for a terminal or a log: summary, changes, steps in order, hazards, notes.
pub fn human(plan: &Plan) -> String {
    // Sized up front from the texts it will hold: growing a multi-megabyte
    // string costs a copy of all of it, more than writing it.
    let mut out = String::with_capacity(human_size(plan));
    let _ = writeln!(
        out,
        "OceanBase {} · logged in to tenant {}",
        plan.server_version, plan.login_tenant
    );
    out.push('\n');
    if plan.is_empty() {
        out.push_str(if plan.breaches.is_empty() {
            "No changes. The cluster matches the configuration.\n"
        } else {
            "No changes to make, but declared policy limits are breached (below).\n"
        });
        notes(plan, &mut out);
        return out;
    }
    out.push_str("Changes:\n");
    change_lines(plan, &mut out);
    out.push_str("\nSteps, in order:\n");
    // Edges name steps by id; one map gives each id its position, and the
    // rules each step waits for are gathered by position.
    let by_address: foldhash::HashMap<usize, usize> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(n, s)| (s.id.shared_address(), n))
        .collect();
    let mut by_text: Option<foldhash::HashMap<&StepId, usize>> = None;
    let mut position = |id: &StepId| -> Option<usize> {
        if let Some(&n) = by_address.get(&id.shared_address()) {
            return Some(n);
        }
        by_text
            .get_or_insert_with(|| {
                plan.steps
                    .iter()
                    .enumerate()
                    .map(|(n, s)| (&s.id, n))
                    .collect()
            })
            .get(id)
            .copied()
    };
    // (waiting step, step waited for, rule), by the waiting step's position.
    let mut after: Vec<(usize, usize, Rule)> = plan
        .edges
        .iter()
        .filter_map(|e| Some((position(&e.to)?, position(&e.from)?, e.rule)))
        .collect();
    after.sort_unstable_by_key(|&(to, from, _)| (to, from));
    let mut next = 0;
    for (n, step) in plan.steps.iter().enumerate() {
        let _ = match &step.kind {
            StepKind::Sql(sql) => match step.timeout_seconds {
                Some(limit) => writeln!(out, "  {:>2}. {}; (up to {limit}s)", n + 1, sql.shown),
                None => writeln!(out, "  {:>2}. {};", n + 1, sql.shown),
            },
            StepKind::Wait(w) => writeln!(
                out,
                "  {:>2}. {} (up to {}s, {})",
                n + 1,
                WaitWords {
                    until: &w.until,
                    tenant: step.tenant.as_deref()
                },
                w.timeout_seconds,
                w.until.limit_flag()
            ),
        };
        let _ = write!(out, "      id {}", step.id);
        let mut lead = " · after ";
        while let Some(&(_, from, rule)) = after.get(next).filter(|e| e.0 == n) {
            let _ = write!(out, "{lead}{} ({rule})", from + 1);
            lead = ", ";
            next += 1;
        }
        out.push('\n');
    }
    let hazards = plan.hazards();
    if !hazards.is_empty() {
        out.push_str("\nHazards (apply needs --allow-hazards or a yes at the prompt):\n");
        for (id, h) in &hazards {
            let _ = writeln!(out, "  ! {id} [{}]: {}", h.kind, h.message);
        }
    }
    notes(plan, &mut out);
    let (create, update, backups) = human_counts(plan);
    let due = match backups {
        0 => String::new(),
        1 => ", 1 backup due".to_string(),
        n => format!(", {n} backups due"),
    };
    let _ = writeln!(
        out,
        "\nPlan: {create} to create, {update} to update{due}; {} step(s), {} hazard(s).",
        plan.steps.len(),
        hazards.len()
    );
    out
}

fn notes(plan: &Plan, out: &mut String) {
    if !plan.breaches.is_empty() {
        out.push_str("\nPolicy breaches (drift that no statement fixes; observed → limit):\n");
        for b in &plan.breaches {
            let _ = writeln!(
                out,
                "  ! {}: {} → {}",
                b.address,
                b.before.as_deref().unwrap_or("nothing"),
                b.after
            );
        }
    }
    if !plan.accepted.is_empty() {
        out.push_str("\nAccepted drift (ignore blocks; not planned):\n");
        for a in &plan.accepted {
            let _ = writeln!(
                out,
                "  = {}: {} → \"{}\" — {} ({})",
                a.change.address,
                quoted(&a.change.before),
                a.change.after,
                a.reason,
                until_text(a.until)
            );
        }
    }
    if !plan.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for n in &plan.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
}

fn until_text(until: Option<time::Date>) -> String {
    until.map_or_else(|| "no end date".to_string(), |d| format!("until {d}"))
}

fn breaches_json(plan: &Plan) -> Vec<Value> {
    plan.breaches
        .iter()
        .map(|b| json!({ "address": b.address, "tenant": b.scope_name(), "observed": b.before, "limit": b.after }))
        .collect()
}

fn accepted_json(plan: &Plan) -> Vec<Value> {
    plan.accepted
        .iter()
        .map(|a| {
            json!({
                "address": a.change.address, "tenant": a.change.scope_name(), "action": a.change.action,
                "before": a.change.before, "after": a.change.after,
                "reason": a.reason, "until": a.until.map(|d| d.to_string()),
            })
        })
        .collect()
}

/// Escapes text for a Markdown table cell or inline code.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "'")
}

fn markdown_header(kind: &str, plan: &Plan, out: &mut String) {
    let _ = writeln!(
        out,
        "### obbackup {kind} — OceanBase {} (login tenant `{}`)\n",
        plan.server_version,
        cell(&plan.login_tenant)
    );
}

fn markdown_changes<'c>(
    changes: impl IntoIterator<Item = &'c crate::change::Change>,
    out: &mut String,
) {
    out.push_str("| | address | before | after |\n|---|---|---|---|\n");
    for c in changes {
        let before = c
            .before
            .as_deref()
            .map_or_else(|| "—".to_string(), |b| format!("`{}`", cell(b)));
        let _ = writeln!(
            out,
            "| {} | `{}` | {before} | `{}` |",
            c.action.symbol(),
            cell(&c.address.to_string()),
            cell(&c.after)
        );
    }
}

/// The accepted drift and the notes, while they fit in `budget`.
fn markdown_tail(plan: &Plan, out: &mut String, budget: usize) {
    // The breaches come first, row by row while they fit: they are why drift
    // exits 2, and long notes must not push them out.
    if !plan.breaches.is_empty() {
        out.push_str("\n#### Policy breaches\n\nDrift that no statement fixes.\n\n| address | observed | limit |\n|---|---|---|\n");
        for (k, b) in plan.breaches.iter().enumerate() {
            let row = format!(
                "| `{}` | {} | {} |\n",
                cell(&b.address.to_string()),
                cell(b.before.as_deref().unwrap_or("nothing")),
                cell(&b.after)
            );
            if out.chars().count() + row.chars().count() + 512 > budget {
                let _ = writeln!(
                    out,
                    "\n> {} more breach(es) left out for length; the JSON output lists them.",
                    plan.breaches.len() - k
                );
                break;
            }
            out.push_str(&row);
        }
    }
    let mut tail = String::new();
    if !plan.accepted.is_empty() {
        tail.push_str("\n#### Accepted drift\n\n| address | live | declared | reason | until |\n|---|---|---|---|---|\n");
        for a in &plan.accepted {
            let _ = writeln!(
                tail,
                "| `{}` | `{}` | `{}` | {} | {} |",
                cell(&a.change.address.to_string()),
                cell(a.change.before.as_deref().unwrap_or("(not set)")),
                cell(&a.change.after),
                cell(&a.reason),
                a.until.map_or_else(|| "—".to_string(), |d| d.to_string())
            );
        }
    }
    if !plan.notes.is_empty() {
        tail.push_str("\n#### Notes\n\n");
        for n in &plan.notes {
            let _ = writeln!(tail, "- {}", cell(n));
        }
    }
    if out.chars().count() + tail.chars().count() <= budget {
        out.push_str(&tail);
    } else if !tail.is_empty() {
        let _ = writeln!(
            out,
            "\n> {} note(s) and {} accepted drift(s) left out for length; `obbackup show PLANFILE` lists them.",
            plan.notes.len(),
            plan.accepted.len()
        );
    }
}

/// The most characters a pull-request comment holds (GitHub refuses longer
/// comments); [`markdown`] and [`drift_markdown`] stay within it.
pub const COMMENT_LIMIT: usize = 65_536;

/// What the Markdown leaves for a fleet's own header and separators.
const COMMENT_MARGIN: usize = 1_536;

/// The plan as a Markdown block for a pull-request comment, within
/// [`COMMENT_LIMIT`]: see [`markdown_within`].
pub fn markdown(plan: &Plan) -> String {
    markdown_within(plan, COMMENT_LIMIT - COMMENT_MARGIN)
}

/// The plan as Markdown of at most `budget` characters: the summary (counts,
/// hazards, how many tenants change), then one collapsed `<details>` per
/// tenant (or the 3.x cluster, or the statements covering every tenant) with
/// its changes and SQL steps, then the notes. Sections that do not fit are
/// left out, with a note saying how many and where the whole plan is.
pub fn markdown_within(plan: &Plan, budget: usize) -> String {
    let mut out = String::new();
    markdown_header("plan", plan, &mut out);
    if plan.is_empty() {
        out.push_str(if plan.breaches.is_empty() {
            "**No changes.** The cluster matches the configuration.\n"
        } else {
            "**No changes to make**, but declared policy limits are breached (below).\n"
        });
        markdown_tail(plan, &mut out, budget);
        return out;
    }
    let (create, update, backups) = human_counts(plan);
    let hazards = plan.hazards();
    let sections = scope_sections(plan, true);
    let _ = writeln!(
        out,
        "**{create} to create, {update} to update · {backups} backup(s) due · {} step(s) · {} hazard(s) · {} section(s) with changes or steps**\n",
        plan.steps.len(),
        hazards.len(),
        sections.len()
    );
    if !hazards.is_empty() {
        out.push_str("#### ⚠️ Hazards\n\n");
        // Hazards come before everything, but take at most half the room.
        let room = budget / 2;
        for (k, (id, h)) in hazards.iter().enumerate() {
            let line = format!("- `{}` **{}**: {}\n", cell(id), h.kind, cell(&h.message));
            if out.chars().count() + line.chars().count() > room {
                let _ = writeln!(
                    out,
                    "- … and {} more hazard(s), listed in the saved plan (`obbackup show PLANFILE`) and the JSON output",
                    hazards.len() - k
                );
                break;
            }
            out.push_str(&line);
        }
        out.push('\n');
    }
    push_sections(&mut out, sections, budget);
    markdown_tail(plan, &mut out, budget);
    out
}

/// A drift report as Markdown within [`COMMENT_LIMIT`]: see [`drift_markdown_within`].
pub fn drift_markdown(plan: &Plan) -> String {
    drift_markdown_within(plan, COMMENT_LIMIT - COMMENT_MARGIN)
}

/// A drift report as Markdown of at most `budget` characters: the count,
/// then one collapsed section per drifted tenant (or cluster), as many as fit.
pub fn drift_markdown_within(plan: &Plan, budget: usize) -> String {
    let mut out = String::new();
    markdown_header("drift", plan, &mut out);
    if plan.changes.is_empty() && plan.breaches.is_empty() {
        out.push_str("**No drift.** The cluster matches the configuration.\n");
    } else if plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "**{} declared policy limit(s) breached**",
            plan.breaches.len()
        );
    } else {
        let sections = scope_sections(plan, false);
        let _ = writeln!(
            out,
            "**{} address(es) drifted in {} section(s)** (live → declared)\n",
            plan.changes.len(),
            sections.len()
        );
        push_sections(&mut out, sections, budget);
    }
    markdown_tail(plan, &mut out, budget);
    out
}

/// One collapsed section per scope, in the order scopes first appear in the
/// changes, then in the steps: the scope's changes as a table and (with
/// `steps`) its SQL steps in plan order.
fn scope_sections(plan: &Plan, steps: bool) -> Vec<String> {
    use std::collections::BTreeMap;
    let mut order: Vec<String> = Vec::new();
    let mut changes: BTreeMap<String, Vec<&crate::change::Change>> = BTreeMap::new();
    let mut scoped_steps: BTreeMap<String, Vec<(usize, &crate::step::Step)>> = BTreeMap::new();
    for c in &plan.changes {
        let scope = c.scope_name().to_string();
        if !changes.contains_key(&scope) && !scoped_steps.contains_key(&scope) {
            order.push(scope.clone());
        }
        changes.entry(scope).or_default().push(c);
    }
    if steps {
        for (n, step) in plan.steps.iter().enumerate() {
            use crate::step::StepScope;
            let scope = match step.id.scope() {
                StepScope::Tenant(name) => name.to_string(),
                StepScope::Cluster => "cluster".to_string(),
                StepScope::AllUser => "every tenant (one statement)".to_string(),
            };
            if !changes.contains_key(&scope) && !scoped_steps.contains_key(&scope) {
                // A statement for every tenant comes first: it touches them all.
                if step.id.scope() == StepScope::AllUser {
                    order.insert(0, scope.clone());
                } else {
                    order.push(scope.clone());
                }
            }
            scoped_steps.entry(scope).or_default().push((n, step));
        }
    }
    order
        .into_iter()
        .map(|scope| {
            let its_changes = changes.remove(&scope).unwrap_or_default();
            let its_steps = scoped_steps.remove(&scope).unwrap_or_default();
            let mut out = format!(
                "<details><summary><code>{}</code> — {} change(s){}</summary>\n\n",
                cell(&scope),
                its_changes.len(),
                if steps {
                    format!(", {} step(s)", its_steps.len())
                } else {
                    String::new()
                }
            );
            if !its_changes.is_empty() {
                markdown_changes(its_changes, &mut out);
            }
            if !its_steps.is_empty() {
                out.push_str("\n```sql\n");
                for (n, step) in its_steps {
                    match &step.kind {
                        StepKind::Sql(sql) => {
                            let _ = writeln!(out, "-- {}. {}\n{};", n + 1, step.id, sql.shown);
                        }
                        StepKind::Wait(w) => {
                            let _ = writeln!(
                                out,
                                "-- {}. {}: {} (up to {}s, {})",
                                n + 1,
                                step.id,
                                wait_text(&w.until, step.tenant.as_deref()),
                                w.timeout_seconds,
                                w.until.limit_flag()
                            );
                        }
                    }
                }
                out.push_str("```\n");
            }
            out.push_str("\n</details>\n");
            out
        })
        .collect()
}

/// The note that replaces the sections that did not fit.
fn left_out(count: usize) -> String {
    format!(
        "\n> **{count} section(s) left out** to keep this comment within {COMMENT_LIMIT} characters; the whole plan is in the saved plan (`obbackup show PLANFILE`) or the JSON output.\n"
    )
}

/// Appends as many of `sections` as fit in `budget` (counting what `out`
/// holds), then a note naming how many were left out.
fn push_sections(out: &mut String, sections: Vec<String>, budget: usize) {
    let total = sections.len();
    let reserve = left_out(total).chars().count() + 512;
    let mut used = out.chars().count();
    for (k, section) in sections.into_iter().enumerate() {
        let size = section.chars().count();
        if used + size + reserve > budget {
            out.push_str(&left_out(total - k));
            return;
        }
        used += size;
        out.push_str(&section);
    }
}

fn changes_json(plan: &Plan) -> Vec<Value> {
    plan.changes
        .iter()
        .map(|c| json!({ "address": c.address, "tenant": c.scope_name(), "action": c.action, "before": c.before, "after": c.after }))
        .collect()
}

/// The plan as the versioned JSON contract (`docs/json-format.md`).
pub fn json(plan: &Plan) -> Value {
    let (create, update) = plan.counts();
    json!({
        "format_version": FORMAT_VERSION,
        "kind": "plan",
        "server": { "version": plan.server_version, "login_tenant": plan.login_tenant },
        "live_fingerprint": plan.live_fingerprint,
        "summary": { "create": create, "update": update, "backups_due": human_counts(plan).2, "steps": plan.steps.len(), "hazards": plan.hazards().len() },
        "changes": changes_json(plan),
        "steps": plan.steps.iter().map(|s| {
            let (kind, sql, wait) = match &s.kind {
                StepKind::Sql(sql) => ("sql", Value::String(sql.shown.clone()), Value::Null),
                StepKind::Wait(w) => ("wait", Value::Null, serde_json::to_value(w).unwrap_or(Value::Null)),
            };
            json!({
                "id": s.id,
                "kind": kind,
                "sql": sql,
                "wait": wait,
                "tenant": s.tenant,
                "addresses": s.addresses,
                "depends_on": s.depends_on,
                "hazards": s.hazards,
            })
        }).collect::<Vec<_>>(),
        "edges": plan.edges,
        "breaches": breaches_json(plan),
        "accepted": accepted_json(plan),
        "notes": plan.notes,
    })
}

/// A drift report for people: each drifted address with live → declared.
pub fn drift_human(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "OceanBase {} · logged in to tenant {}",
        plan.server_version, plan.login_tenant
    );
    out.push('\n');
    if plan.changes.is_empty() && plan.breaches.is_empty() {
        out.push_str("No drift. The cluster matches the configuration.\n");
    } else if plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "Drift: {} declared policy limit(s) breached (below).",
            plan.breaches.len()
        );
    } else {
        let _ = writeln!(
            out,
            "Drift: {} address(es) differ from the configuration (live → declared):",
            plan.changes.len()
        );
        change_lines(plan, &mut out);
        out.push_str(
            "\nRun `obbackup plan` to see the steps that would restore the declared state.\n",
        );
    }
    notes(plan, &mut out);
    out
}

/// A drift report as JSON (same contract family as the plan).
pub fn drift_json(plan: &Plan) -> Value {
    json!({
        "format_version": FORMAT_VERSION,
        "kind": "drift",
        "server": { "version": plan.server_version, "login_tenant": plan.login_tenant },
        "live_fingerprint": plan.live_fingerprint,
        "drift": !plan.changes.is_empty() || !plan.breaches.is_empty(),
        "changes": changes_json(plan),
        "breaches": breaches_json(plan),
        "accepted": accepted_json(plan),
        "notes": plan.notes,
    })
}

fn age(seconds: Option<i64>) -> String {
    seconds.map_or_else(
        || "never".to_string(),
        |s| format!("{} ago", crate::change::age_text(s)),
    )
}

/// The status for people: one block per tenant.
/// The status as Markdown for a pull request or an issue: one table row per
/// tenant (or the 3.x cluster), then the problems (failed cleanups, freshness violations).
pub fn status_markdown(status: &crate::status::Status) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### obbackup status\n\nOceanBase {} · logged in to tenant {} · server time {}\n",
        cell(&status.server_version),
        cell(&status.login_tenant),
        cell(status.server_time.as_deref().unwrap_or("unknown"))
    );
    out.push_str(
        "| tenant | log archive | checkpoint lag | last full | last backup | running jobs |\n",
    );
    out.push_str("|---|---|---|---|---|---|\n");
    for t in &status.tenants {
        let jobs: Vec<String> = t
            .running_jobs
            .iter()
            .map(|j| format!("{} {} {}", j.job_id, j.backup_type, j.status))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} ({}) | {} | {} | {} | {} |",
            cell(&t.tenant),
            cell(t.archive_status.as_deref().unwrap_or("never started")),
            cell(&t.log_mode),
            t.checkpoint_lag_seconds
                .map_or("-".to_string(), crate::change::age_text),
            age(t.last_full_age_seconds),
            age(t.last_backup_age_seconds),
            if jobs.is_empty() {
                "-".to_string()
            } else {
                cell(&jobs.join(", "))
            }
        );
    }
    let violations: Vec<String> = status
        .tenants
        .iter()
        .flat_map(|t| {
            t.violations
                .iter()
                .map(move |v| format!("- `{}`: {}", cell(&t.tenant), cell(v)))
        })
        .collect();
    if violations.is_empty() {
        out.push_str("\nNo problem.\n");
    } else {
        let _ = writeln!(out, "\n**{} problem(s)**\n", violations.len());
        for v in violations {
            let _ = writeln!(out, "{v}");
        }
    }
    out
}

/// The status for a terminal: one section per tenant (or the 3.x cluster).
pub fn status_human(status: &crate::status::Status) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "OceanBase {} · logged in to tenant {} · server time {}",
        status.server_version,
        status.login_tenant,
        status.server_time.as_deref().unwrap_or("unknown")
    );
    for t in &status.tenants {
        let _ = writeln!(out, "\ntenant {}", t.tenant);
        let lag = t
            .checkpoint_lag_seconds
            .map(|s| format!(", checkpoint lag {}", crate::change::age_text(s)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  log archive   {} ({}){lag}",
            t.archive_status.as_deref().unwrap_or("never started"),
            t.log_mode
        );
        let _ = writeln!(out, "  last full     {}", age(t.last_full_age_seconds));
        let _ = writeln!(out, "  last backup   {}", age(t.last_backup_age_seconds));
        for j in &t.running_jobs {
            let progress = j
                .progress_percent
                .map(|p| format!(", {p:.1}%"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  running       job {} {} {}{progress}",
                j.job_id, j.backup_type, j.status
            );
        }
        for w in &t.recovery_windows {
            let shown = |text: &str| text.get(..19).unwrap_or(text).replace('T', " ");
            let _ = writeln!(
                out,
                "  restorable    {} → {} (sets {}{})",
                shown(&w.start),
                shown(&w.end),
                w.backup_sets
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::recovery::log_words(&w.pieces)
            );
        }
        if let Some(rpo) = t.rpo_seconds {
            let _ = writeln!(out, "  RPO           {}", crate::change::age_text(rpo));
        }
        if let Some(window) = &t.delete_policy {
            let _ = writeln!(out, "  delete policy recovery window {window}");
        }
        for j in &t.cleanup_jobs {
            let end = j
                .end_time
                .as_deref()
                .map(|e| format!(", ended {}", crate::live::to_second(e)))
                .unwrap_or_default();
            let _ = writeln!(out, "  cleanup       job {} {}{end}", j.job_id, j.status);
        }
        for v in &t.violations {
            let _ = writeln!(out, "  ! {v}");
        }
    }
    let violations: usize = status.tenants.iter().map(|t| t.violations.len()).sum();
    let _ = writeln!(
        out,
        "\n{} tenant(s), {violations} problem(s).",
        status.tenants.len()
    );
    out
}

/// The status as versioned JSON (`docs/schema/status.schema.json`).
pub fn status_json(status: &crate::status::Status) -> Value {
    json!({
        "format_version": FORMAT_VERSION,
        "kind": "status",
        "server": { "version": status.server_version, "login_tenant": status.login_tenant, "time": status.server_time },
        "tenants": status.tenants,
    })
}

/// How an apply ended, for [`apply_json`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyResult {
    /// Every step ran and the cluster matches the configuration.
    Complete,
    /// The plan was empty: nothing ran.
    NoChanges,
    /// A step failed (the others ran or were skipped as the report says).
    Failed,
    /// SIGINT or SIGTERM stopped the run.
    Interrupted,
    /// Every step ran, but planning again still finds changes.
    NotConverged,
    /// Nobody approved the plan at the prompt: nothing ran.
    Cancelled,
}

impl ApplyResult {
    /// The JSON name: `complete`, `no_changes`, `failed`, `interrupted`,
    /// `not_converged`, `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyResult::Complete => "complete",
            ApplyResult::NoChanges => "no_changes",
            ApplyResult::Failed => "failed",
            ApplyResult::Interrupted => "interrupted",
            ApplyResult::NotConverged => "not_converged",
            ApplyResult::Cancelled => "cancelled",
        }
    }
}

/// The apply report as the JSON of `docs/json-format.md` ("kind": "apply"):
/// the server, how the apply ended, every step of `plan` in plan order with
/// its outcome (`done`, `failed`, `interrupted`, `not_run`, `skipped`), its
/// duration in seconds, its error (`cause`, `help`) when it failed and the
/// step that blocked it when skipped, the addresses still to change
/// (`remaining`, from the plan made after the steps ran), and for a saved
/// plan the steps planning gave beyond it and that did not run (`left_out`:
/// backups that became due since the plan was made).
pub fn apply_json(
    plan: &Plan,
    report: &crate::walk::ApplyReport,
    result: ApplyResult,
    remaining: &[String],
    left_out: &[String],
) -> Value {
    use crate::walk::StepOutcome;
    let steps: Vec<Value> = report
        .steps
        .iter()
        .map(|r| {
            let (outcome, error, blocked_by) = match &r.outcome {
                StepOutcome::Done => ("done", Value::Null, Value::Null),
                StepOutcome::Failed { cause, help } => (
                    "failed",
                    json!({ "cause": cause, "help": help }),
                    Value::Null,
                ),
                StepOutcome::Interrupted => ("interrupted", Value::Null, Value::Null),
                StepOutcome::NotRun => ("not_run", Value::Null, Value::Null),
                StepOutcome::Skipped { blocked_by, .. } => {
                    ("skipped", Value::Null, json!(blocked_by.as_str()))
                }
            };
            json!({
                "id": r.id.as_str(),
                "text": r.text,
                "outcome": outcome,
                "seconds": (r.took.as_secs_f64() * 1000.0).round() / 1000.0,
                "error": error,
                "blocked_by": blocked_by,
            })
        })
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "kind": "apply",
        "server": { "version": plan.server_version, "login_tenant": plan.login_tenant },
        "result": result.as_str(),
        "summary": {
            "steps": plan.steps.len(),
            "done": report.done(),
        },
        "steps": steps,
        "remaining": remaining,
        "left_out": left_out,
    })
}

/// The apply report for a terminal: how many steps ran, then one line per
/// step (`ok`, `FAILED` with its cause, `skipped` with the step that blocked it).
pub fn apply_report(report: &crate::walk::ApplyReport) -> String {
    use crate::walk::StepOutcome;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Apply: {} of {} step(s) ran.",
        report.done(),
        report.steps.len()
    );
    for (n, record) in report.steps.iter().enumerate() {
        let text = &record.text;
        match &record.outcome {
            StepOutcome::Done => {
                let _ = writeln!(
                    out,
                    "  ok      {:>2}. {text} ({:.1}s)",
                    n + 1,
                    record.took.as_secs_f64()
                );
            }
            StepOutcome::Interrupted => {
                let _ = writeln!(
                    out,
                    "  INTERRUPTED {:>2}. {text}\n              stopped waiting; what it waited for may still happen",
                    n + 1
                );
            }
            StepOutcome::NotRun => {
                let _ = writeln!(out, "  not run {:>2}. {text}", n + 1);
            }
            StepOutcome::Failed { cause, .. } => {
                let _ = writeln!(out, "  FAILED  {:>2}. {text}\n              {cause}", n + 1);
            }
            StepOutcome::Skipped {
                blocked_by,
                dependent,
            } => {
                let why = if *dependent {
                    "depends on"
                } else {
                    "run stopped at"
                };
                let _ = writeln!(
                    out,
                    "  skipped {:>2}. {text}\n              {why} {blocked_by}",
                    n + 1
                );
            }
        }
    }
    out
}

//! Configuration problems as miette diagnostics that point at the HCL text.
//! Every problem of a run is collected into one [`ConfigReport`].
#![allow(unused_assignments)] // miette derive false positive (miette#458)

use miette::{Diagnostic, NamedSource, SourceSpan};

/// One problem in a configuration file, located by byte span.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum ConfigError {
    /// The text is not valid HCL.
    #[error("not valid HCL: {message}")]
    #[diagnostic(code(obbackup::config::syntax))]
    Syntax {
        /// What is wrong.
        message: String,
        #[label("here")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// A block name obbackup does not know.
    #[error("unknown block `{name}`")]
    #[diagnostic(code(obbackup::config::unknown_block), help("{help}"))]
    UnknownBlock {
        /// The name as written.
        name: String,
        #[label("not a block of this position")]
        /// Where in the file.
        span: SourceSpan,
        /// What to do instead.
        help: String,
    },
    /// An attribute name obbackup does not know.
    #[error("unknown attribute `{name}` in `{block}`")]
    #[diagnostic(code(obbackup::config::unknown_attribute), help("{help}"))]
    UnknownAttribute {
        /// The enclosing block.
        block: String,
        /// The name as written.
        name: String,
        #[label("not an attribute of `{block}`")]
        /// Where in the file.
        span: SourceSpan,
        /// What to do instead.
        help: String,
    },
    /// A block is given twice.
    #[error("block `{name}` is given more than once")]
    #[diagnostic(
        code(obbackup::config::duplicate_block),
        help("merge the two blocks into one")
    )]
    DuplicateBlock {
        /// The name as written.
        name: String,
        #[label("again here")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// A block with the wrong labels.
    #[error("{message}")]
    #[diagnostic(code(obbackup::config::label))]
    Label {
        /// What is wrong.
        message: String,
        #[label("{label}")]
        /// Where in the file.
        span: SourceSpan,
        /// The text under the span.
        label: String,
    },
    /// A value of the wrong type.
    #[error("`{attribute}` must be {expected}")]
    #[diagnostic(code(obbackup::config::value_type))]
    WrongType {
        /// The attribute.
        attribute: String,
        /// What was expected.
        expected: String,
        #[label("this is not {expected}")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// A value outside its range or set of choices.
    #[error("`{attribute}` = {value} is not valid")]
    #[diagnostic(code(obbackup::config::value), help("{valid}"))]
    InvalidValue {
        /// The attribute.
        attribute: String,
        /// The value as written.
        value: String,
        /// What is valid there.
        valid: String,
        #[label("not valid here")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// A malformed destination URI.
    #[error("`{attribute}` is not a valid backup destination: {reason}")]
    #[diagnostic(
        code(obbackup::config::destination),
        help(
            "examples: file:///data/nfs/backup/archive, oss://bucket/path?host=oss.example.com&access_id=${{env(\"OSS_ID\")}}&access_key=${{env(\"OSS_KEY\")}}"
        )
    )]
    Destination {
        /// The attribute.
        attribute: String,
        /// Why.
        reason: String,
        #[label("this destination")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// An expression obbackup does not evaluate.
    #[error("unsupported expression in `{attribute}`")]
    #[diagnostic(
        code(obbackup::config::expression),
        help(
            "values are literals; strings may interpolate ${{tenant.name}} and ${{env(\"NAME\")}}"
        )
    )]
    Expression {
        /// The attribute.
        attribute: String,
        #[label("cannot be evaluated")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// `env("NAME")` of a variable that is not set.
    #[error("environment variable `{name}` is not set")]
    #[diagnostic(
        code(obbackup::config::env_unset),
        help("export {name} before running obbackup")
    )]
    EnvUnset {
        /// The name as written.
        name: String,
        #[label("read here")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// A credential written into the file instead of read with `env()`.
    #[error("credential `{key}` is written literally")]
    #[diagnostic(
        code(obbackup::config::literal_credential),
        help(
            "read it from the environment: {key}=${{env(\"OB_BACKUP_{upper}\")}}; the file must hold no secret"
        )
    )]
    LiteralCredential {
        /// The credential key.
        key: String,
        /// The key in upper case, for the suggested variable name.
        upper: String,
        #[label("this destination")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// Two tenants would write to the same destination.
    #[error("tenants {first} and {second} share the destination {destination}")]
    #[diagnostic(
        code(obbackup::config::shared_destination),
        help("OceanBase needs one directory per tenant: add ${{tenant.name}} to the path")
    )]
    SharedDestination {
        /// The tenant that uses it first.
        first: String,
        /// The tenant that uses it again.
        second: String,
        /// The shared destination (redacted).
        destination: String,
        #[label("used by {second}")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// A `tenant "*"` (or defaults) destination without `${tenant.name}`.
    #[error("every tenant matched by \"*\" would share this destination")]
    #[diagnostic(
        code(obbackup::config::shared_destination),
        help("OceanBase needs one directory per tenant: add ${{tenant.name}} to the path")
    )]
    WildcardShared {
        #[label("the same for every tenant")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// A tenant named in the file that the cluster does not have.
    #[error("tenant `{name}` does not exist in the cluster")]
    #[diagnostic(code(obbackup::plan::unknown_tenant), help("{help}"))]
    UnknownTenant {
        /// The name as written.
        name: String,
        #[label("no user tenant of this name")]
        /// Where in the file.
        span: SourceSpan,
        /// What to do instead.
        help: String,
    },
    /// `cluster { version }` names another OceanBase line than the server runs.
    #[error("the file is written for OceanBase {want}, the server runs {have}")]
    #[diagnostic(
        code(obbackup::plan::version),
        help(
            "point at the right cluster, or change cluster.version after reviewing the file for that line"
        )
    )]
    VersionMismatch {
        /// The version declared.
        want: String,
        /// `ob_version()` of the server.
        have: String,
        #[label("declared here")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// A block or attribute of the other server line (3.x `cluster` settings
    /// on 4.x, tenant blocks on 3.x).
    #[error("{message}")]
    #[diagnostic(code(obbackup::plan::wrong_line), help("{help}"))]
    WrongLine {
        /// What is wrong.
        message: String,
        #[label("{label}")]
        /// Where in the file.
        span: SourceSpan,
        /// The text under the span.
        label: String,
        /// What to do instead.
        help: String,
    },
    /// A tenant block a user-tenant login cannot reach (it manages only itself).
    #[error("logged into tenant {login}, which can manage only itself")]
    #[diagnostic(
        code(obbackup::plan::out_of_reach),
        help("log in as root@sys to manage several tenants")
    )]
    OutOfReach {
        /// The login tenant.
        login: String,
        /// The tenant the block names.
        tenant: String,
        #[label("tenant {tenant} is out of reach")]
        /// Where in the file.
        span: SourceSpan,
    },
    /// A declaration that needs another one the file or the cluster lacks
    /// (a destination, a backup-backup destination).
    #[error("{message}")]
    #[diagnostic(code(obbackup::config::requires), help("{help}"))]
    Requires {
        /// What is wrong.
        message: String,
        #[label("{label}")]
        /// Where in the file.
        span: SourceSpan,
        /// The text under the span.
        label: String,
        /// What to do instead.
        help: String,
    },
    /// Two declarations that exclude each other.
    #[error("{message}")]
    #[diagnostic(code(obbackup::config::exclusive), help("{help}"))]
    Exclusive {
        /// What is wrong.
        message: String,
        #[label("{label}")]
        /// Where in the file.
        span: SourceSpan,
        /// The text under the span.
        label: String,
        /// What to do instead.
        help: String,
    },
    /// The cluster's current state prevents what the file asks for now (a
    /// running backup, an archive that is not running).
    #[error("{message}")]
    #[diagnostic(code(obbackup::plan::blocked), help("{help}"))]
    Blocked {
        /// What is wrong.
        message: String,
        #[label("{label}")]
        /// Where in the file.
        span: SourceSpan,
        /// The text under the span.
        label: String,
        /// What to do instead.
        help: String,
    },
    /// A setting the server's build does not support.
    #[error("{feature} needs OceanBase {first} or later, not {build}")]
    #[diagnostic(code(obbackup::plan::not_on_build), help("{help}"))]
    NotOnBuild {
        /// What is not supported.
        feature: String,
        /// The first build that supports it.
        first: String,
        /// `ob_version()` of the server.
        build: String,
        #[label("not on this server")]
        /// Where in the file.
        span: SourceSpan,
        /// What to do instead.
        help: String,
    },
}

impl ConfigError {
    /// The span the error points at (every variant has one).
    pub fn span_mut(&mut self) -> &mut SourceSpan {
        match self {
            ConfigError::Syntax { span, .. }
            | ConfigError::UnknownBlock { span, .. }
            | ConfigError::UnknownAttribute { span, .. }
            | ConfigError::DuplicateBlock { span, .. }
            | ConfigError::Label { span, .. }
            | ConfigError::WrongType { span, .. }
            | ConfigError::InvalidValue { span, .. }
            | ConfigError::Destination { span, .. }
            | ConfigError::Expression { span, .. }
            | ConfigError::EnvUnset { span, .. }
            | ConfigError::LiteralCredential { span, .. }
            | ConfigError::SharedDestination { span, .. }
            | ConfigError::WildcardShared { span, .. }
            | ConfigError::UnknownTenant { span, .. }
            | ConfigError::VersionMismatch { span, .. }
            | ConfigError::WrongLine { span, .. }
            | ConfigError::OutOfReach { span, .. }
            | ConfigError::Requires { span, .. }
            | ConfigError::Exclusive { span, .. }
            | ConfigError::Blocked { span, .. }
            | ConfigError::NotOnBuild { span, .. } => span,
        }
    }
}

/// The longest line a report shows whole: a longer one is cut after this many
/// characters and marked, so a huge value cannot flood the output.
pub const SHOWN_LINE_CHARS: usize = 200;

/// `text` with every line over [`SHOWN_LINE_CHARS`] cut and marked
/// (`… (N more bytes)`), and the spans of `errors` moved to match (a span in a
/// cut part points at the mark).
fn shorten_long_lines(text: &str, errors: &mut [ConfigError]) -> String {
    // (old start, new start, bytes kept) per line.
    let mut lines: Vec<(usize, usize, usize)> = Vec::new();
    let mut out = String::with_capacity(text.len().min(1 << 16));
    let mut old = 0;
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let keep = body
            .char_indices()
            .nth(SHOWN_LINE_CHARS)
            .map_or(body.len(), |(at, _)| at);
        lines.push((old, out.len(), keep));
        out.push_str(&body[..keep]);
        if keep < body.len() {
            out.push_str(&format!("… ({} more bytes)", body.len() - keep));
        }
        if line.ends_with('\n') {
            out.push('\n');
        }
        old += line.len();
    }
    let map = |offset: usize| -> usize {
        let at = lines.partition_point(|(start, _, _)| *start <= offset);
        let Some(&(start, new_start, keep)) = at.checked_sub(1).and_then(|i| lines.get(i)) else {
            return 0;
        };
        new_start + (offset - start).min(keep)
    };
    for error in errors {
        let span = error.span_mut();
        let (from, to) = (map(span.offset()), map(span.offset() + span.len()));
        *span = SourceSpan::new(from.into(), to.saturating_sub(from));
    }
    out
}

/// At most this many problems are rendered: each shows its part of the file,
/// and thousands of them (a generated file gone wrong) would take seconds to
/// draw and bury the first, which usually explains the rest.
pub const SHOWN_PROBLEMS: usize = 50;

/// Every problem found in one file, rendered together (the first
/// [`SHOWN_PROBLEMS`] of them).
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{total} problem(s) in {name}{}", if *total > errors.len() { format!("; the first {} are shown", errors.len()) } else { String::new() })]
#[diagnostic(code(obbackup::config))]
pub struct ConfigReport {
    name: String,
    total: usize,
    #[source_code]
    src: NamedSource<String>,
    #[related]
    errors: Vec<ConfigError>,
}

impl ConfigReport {
    /// Wraps the problems of file `name` whose text is `text`. Credentials
    /// written literally are masked with `*` in the text shown, so the report
    /// never repeats a secret (spans stay valid: the length is kept).
    pub fn new(name: &str, text: &str, errors: Vec<ConfigError>) -> Self {
        let mut shown = text.to_string();
        for key in crate::destination::CREDENTIAL_KEYS {
            mask_credential(&mut shown, key, 0..text.len());
        }
        mask_password_attributes(&mut shown);
        let total = errors.len();
        let mut errors = errors;
        errors.truncate(SHOWN_PROBLEMS);
        if shown
            .lines()
            .any(|l| l.len() > SHOWN_LINE_CHARS && l.chars().count() > SHOWN_LINE_CHARS)
        {
            shown = shorten_long_lines(&shown, &mut errors);
        }
        Self {
            name: name.to_string(),
            total,
            src: NamedSource::new(name, shown),
            errors,
        }
    }

    /// The problems shown, in the order found.
    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }
}

/// Replaces every literal value after `key=` inside `range` of `text` with `*`s
/// (up to `&`, a quote, or white space). Values that are interpolations
/// (`${env("…")}`) are left alone: they hold no secret.
fn mask_credential(text: &mut String, key: &str, range: std::ops::Range<usize>) {
    let Some(region) = text.get(range.clone()) else {
        return;
    };
    // Keys in any case (`ACCESS_KEY=`); ASCII lower-casing keeps byte offsets.
    let lower = region.to_ascii_lowercase();
    let needle = format!("{key}=");
    let mut masks = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle) {
        let start = from + at + needle.len();
        let len = value_end(&region[start..]);
        if !is_env_reference(&region[start..]) {
            masks.push((range.start + start, len));
        }
        from = start;
    }
    apply_masks(text, masks);
}

/// Where a credential value in a URL ends: at `&`, white space, or a quote
/// that is not escaped (`\"` belongs to the value).
fn value_end(value: &str) -> usize {
    // An interpolation (`${"literal"}`) is part of the value, quotes and all.
    let skip = if value.starts_with("${") {
        value.find('}').map_or(0, |end| end + 1)
    } else {
        0
    };
    let mut previous = '\0';
    for (at, c) in value.char_indices().skip_while(|(at, _)| *at < skip) {
        if c == '&' || c.is_whitespace() || (c == '"' && previous != '\\') {
            return at;
        }
        previous = c;
    }
    value.len()
}

/// Whether a value is one `env()` interpolation, the only form that holds no
/// secret (`${"literal"}` is a literal).
fn is_env_reference(value: &str) -> bool {
    value.starts_with("${env(")
}

fn apply_masks(text: &mut String, masks: Vec<(usize, usize)>) {
    for (start, len) in masks {
        if let Some(slice) = text.get(start..start + len) {
            // Same byte length, line breaks kept: spans and line numbers stay valid.
            let stars: String = slice
                .chars()
                .map(|c| {
                    if c == '\n' {
                        "\n".to_string()
                    } else {
                        "*".repeat(c.len_utf8())
                    }
                })
                .collect();
            text.replace_range(start..start + len, &stars);
        }
    }
}

fn mask_password_attributes(text: &mut String) {
    let lower = text.to_ascii_lowercase();
    let mut masks = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("password") {
        let after = from + at + "password".len();
        let rest = &text[after..];
        let trimmed = rest.trim_start();
        let Some(value) = trimmed.strip_prefix('=').map(str::trim_start) else {
            from = after;
            continue;
        };
        let start = text.len() - value.len();
        if let Some(quoted) = value.strip_prefix('"') {
            if !is_env_reference(quoted) {
                masks.push((start + 1, value_end_quoted(quoted)));
            }
        } else if let Some(heredoc) = value.strip_prefix("<<") {
            // `<<EOT` / `<<-EOT`: every line up to the terminator.
            let marker: String = heredoc
                .trim_start_matches('-')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let (false, Some(body_at)) = (marker.is_empty(), value.find('\n')) {
                let body = &value[body_at + 1..];
                let mut len = 0;
                for line in body.split_inclusive('\n') {
                    if line.trim() == marker {
                        break;
                    }
                    len += line.len();
                }
                masks.push((start + body_at + 1, len));
            }
        }
        from = after;
    }
    apply_masks(text, masks);
}

/// Where a quoted HCL string ends: at the first quote that is neither
/// escaped (`\"`, after any `\\` pairs) nor inside an interpolation
/// (`"${"lit"}"` ends after the `}`).
fn value_end_quoted(value: &str) -> usize {
    let mut depth = 0usize; // open `${` / `{` of interpolations
    let mut inner = false; // inside a quoted string within an interpolation
    let mut chars = value.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' if depth == 0 => return at,
            '"' => inner = !inner,
            '$' if !inner && chars.peek().is_some_and(|&(_, n)| n == '{') => {
                chars.next();
                depth += 1;
            }
            '{' if depth > 0 && !inner => depth += 1,
            '}' if depth > 0 && !inner => depth -= 1,
            _ => {}
        }
    }
    value.len()
}

/// Converts a byte range into a miette span.
pub fn span(range: &std::ops::Range<usize>) -> SourceSpan {
    SourceSpan::new(range.start.into(), range.end.saturating_sub(range.start))
}

/// "did you mean `x`?" when a known name is close to `given`, else the list of valid names.
pub fn suggest(given: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .map(|k| (strsim::jaro_winkler(given, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, k)) => format!("did you mean `{k}`? valid here: {}", known.join(", ")),
        None => format!("valid here: {}", known.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_lines_are_cut_and_spans_follow() {
        let text = format!("a = \"{}\"\nbee = 1\n", "x".repeat(300));
        let b = text.find("bee").expect("b");
        let mut errors = vec![
            ConfigError::Syntax {
                message: "after".into(),
                span: SourceSpan::new(b.into(), 3),
            },
            ConfigError::Syntax {
                message: "inside".into(),
                span: SourceSpan::new(250.into(), 10),
            },
        ];
        let shown = shorten_long_lines(&text, &mut errors);
        assert!(shown.contains("… (106 more bytes)"), "{shown}");
        let after = errors[0].span_mut().offset();
        assert_eq!(&shown[after..after + 3], "bee");
        let inside = *errors[1].span_mut();
        assert!(shown[inside.offset()..].starts_with('…'), "{shown}");
    }

    #[test]
    fn literal_secrets_are_masked_in_every_form() {
        let text = concat!(
            "d = \"oss://b?host=h&ACCESS_KEY=Upper1secret&access_id=${env(\"ID\")}\"\n",
            "e = \"oss://b?access_key=esc\\\"aped2secret&host=h\"\n",
            "f = \"oss://b?access_key=${\"lit3secret\"}&host=h\"\n",
            "encryption { password = \"quo\\\"ted4secret\" }\n",
            "encryption { password = <<EOT\nheredoc5secret\nEOT\n}\n",
            "encryption { password = env(\"PW\") }\n",
        );
        let report = ConfigReport::new("x.hcl", text, Vec::new());
        let shown = report.src.inner().clone();
        for secret in [
            "Upper1secret",
            "aped2secret",
            "lit3secret",
            "ted4secret",
            "heredoc5secret",
        ] {
            assert!(!shown.contains(secret), "{secret} in:\n{shown}");
        }
        assert_eq!(shown.len(), text.len());
        assert_eq!(shown.lines().count(), text.lines().count());
        assert!(shown.contains("${env(\"ID\")}"), "{shown}");
        assert!(shown.contains("env(\"PW\")"), "{shown}");
    }

    use super::*;

    #[test]
    fn masks_literal_credentials_but_not_env_calls() {
        let mut text =
            "d = \"oss://b?access_id=${env(\"ID\")}&access_key=hunter2&host=h\"".to_string();
        let len = text.len();
        mask_credential(&mut text, "access_key", 0..len);
        mask_credential(&mut text, "access_id", 0..len);
        assert_eq!(
            text,
            "d = \"oss://b?access_id=${env(\"ID\")}&access_key=*******&host=h\""
        );
    }

    #[test]
    fn masks_literal_passwords() {
        let mut text = "encryption { password = \"hunter2\" }\nencryption { password = env(\"PW\") }\nx { password = \"${env(\"P\")}\" }".to_string();
        mask_password_attributes(&mut text);
        assert_eq!(
            text,
            "encryption { password = \"*******\" }\nencryption { password = env(\"PW\") }\nx { password = \"${env(\"P\")}\" }"
        );
        // An interpolated literal, an escaped quote, an escaped backslash.
        let mut text =
            r#"a { password = "${"lit77"}" } b { password = "es\"c55" } c { password = "bs\\" }"#
                .to_string();
        mask_password_attributes(&mut text);
        assert_eq!(
            text,
            r#"a { password = "**********" } b { password = "*******" } c { password = "****" }"#
        );
    }
}

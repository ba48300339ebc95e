//! Canonical layout of configuration files (`obbackup fmt`, and `export`):
//! two spaces of indentation per level of `{`, `[` and `(`; one space on
//! each side of an attribute's `=`, with the `=` of consecutive one-line
//! attributes of a block aligned; at most one blank line in a row, none just
//! inside a block's braces; no trailing whitespace; one final newline.
//! Comments, values and everything after a value stay as written, and the
//! inside of heredocs and `/* */` comments is not touched.
//!
//! hcl-edit keeps whitespace and comments but formats nothing, and hcl-rs's
//! formatter drops comments, hence this small layout pass. [`format`] checks
//! its own result: the formatted text must parse to the same body as the
//! original, or the original is returned with an error.

/// Why a text could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum FormatError {
    /// The text is not valid HCL (the parser's message).
    #[error("not valid HCL: {0}")]
    #[diagnostic(
        code(obbackup::fmt::syntax),
        help("obbackup validate FILE points at the problem")
    )]
    Syntax(String),
    /// The layout would change what the file means (a bug in this module).
    #[error("formatting would change the meaning of the file; it is left as it is")]
    #[diagnostic(
        code(obbackup::fmt::changed),
        help("this is a bug in obbackup; please report it with the file")
    )]
    Changed,
}

/// Where a line starts, for the scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Carry {
    /// Ordinary code.
    Code,
    /// Inside a `/* */` comment.
    Comment,
    /// Inside a heredoc ending with this word.
    Heredoc(String),
}

/// What one line holds, as the scanner sees it.
struct Scanned {
    /// Net change of bracket depth over the line.
    delta: i32,
    /// The line starts with a closing bracket.
    closes_first: bool,
    /// Byte offset of the first `=` outside strings and comments, when the
    /// line is `key = value` (an identifier key).
    equals: Option<usize>,
    /// The line opens a block or an expression it does not close.
    opens: bool,
}

/// Scans one line (already trimmed at the start) from state `carry`; returns
/// what it holds and the state the next line starts in.
fn scan(line: &str, carry: &Carry) -> (Scanned, Carry) {
    let bytes = line.as_bytes();
    let mut out = Scanned {
        delta: 0,
        closes_first: matches!(bytes.first(), Some(b'}' | b']' | b')')),
        equals: None,
        opens: false,
    };
    let mut state = carry.clone();
    let mut i = 0;
    // String nesting: each entry is the interpolation depth at which a string opened.
    let mut in_string = false;
    let mut interpolation = 0usize;
    while i < bytes.len() {
        match &state {
            Carry::Heredoc(word) => {
                if line.trim() == word.as_str() {
                    state = Carry::Code;
                }
                return (out, state);
            }
            Carry::Comment => {
                if line[i..].starts_with("*/") {
                    state = Carry::Code;
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            Carry::Code => {}
        }
        let c = bytes[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' if interpolation == 0 => in_string = false,
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    interpolation += 1;
                    i += 1;
                }
                b'}' if interpolation > 0 => interpolation -= 1,
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'#' => break,
            b'/' if bytes.get(i + 1) == Some(&b'/') => break,
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                state = Carry::Comment;
                i += 2;
                continue;
            }
            b'<' if line[i..].starts_with("<<") => {
                let word: String = line[i + 2..]
                    .trim_start_matches('-')
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !word.is_empty() {
                    state = Carry::Heredoc(word);
                    return (out, state);
                }
            }
            b'{' | b'[' | b'(' => out.delta += 1,
            b'}' | b']' | b')' => out.delta -= 1,
            b'=' if out.equals.is_none()
                && out.delta == 0
                && bytes.get(i + 1) != Some(&b'=')
                && i > 0
                && !matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>') =>
            {
                let key = line[..i].trim_end();
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                {
                    out.equals = Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.opens = out.delta > 0;
    (out, state)
}

/// A block header (`tenant   "a"   {`) with single spaces between its words,
/// strings left as written.
fn header(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut space = false;
    for c in line.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out
}

/// The text laid out canonically (see the module documentation), without
/// checking it; [`format`] checks.
fn layout(text: &str) -> String {
    struct Line {
        text: String,
        depth: usize,
        /// `(key, rest after the '=')` for a one-line attribute.
        attribute: Option<(String, String)>,
        verbatim: bool,
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut depth: i32 = 0;
    let mut carry = Carry::Code;
    for raw in text.lines() {
        let raw = raw.trim_end();
        if carry != Carry::Code {
            // Inside a heredoc or a block comment: as written.
            let (_, next) = scan(raw, &carry);
            lines.push(Line {
                text: raw.to_string(),
                depth: 0,
                attribute: None,
                verbatim: true,
            });
            carry = next;
            continue;
        }
        let body = raw.trim_start();
        let (scanned, next) = scan(body, &carry);
        let own = if scanned.closes_first {
            depth - 1
        } else {
            depth
        }
        .max(0);
        let attribute = scanned.equals.filter(|_| !scanned.opens).map(|at| {
            (
                body[..at].trim_end().to_string(),
                body[at + 1..].trim_start().to_string(),
            )
        });
        // A block header without a comment gets single spaces.
        let plain_header = attribute.is_none()
            && body.ends_with('{')
            && !body.contains('#')
            && !body.contains("//");
        lines.push(Line {
            text: if plain_header {
                header(body)
            } else {
                body.to_string()
            },
            depth: usize::try_from(own).unwrap_or(0),
            attribute,
            verbatim: false,
        });
        depth = (depth + scanned.delta).max(0);
        carry = next;
    }
    // Align the '=' of runs of one-line attributes at the same depth.
    let mut widths = vec![0usize; lines.len()];
    let mut start = 0;
    while start < lines.len() {
        let Some((key, _)) = &lines[start].attribute else {
            start += 1;
            continue;
        };
        let mut end = start;
        let mut width = key.chars().count();
        while let Some(Line {
            attribute: Some((k, _)),
            depth,
            ..
        }) = lines.get(end + 1)
        {
            if *depth != lines[start].depth {
                break;
            }
            width = width.max(k.chars().count());
            end += 1;
        }
        for w in &mut widths[start..=end] {
            *w = width;
        }
        start = end + 1;
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut blank_pending = false;
    let mut previous_opened = true;
    for (k, line) in lines.iter().enumerate() {
        if line.verbatim {
            out.push_str(&line.text);
            out.push('\n');
            continue;
        }
        if line.text.is_empty() {
            blank_pending = true;
            continue;
        }
        let closes = matches!(line.text.as_bytes().first(), Some(b'}' | b']' | b')'));
        if blank_pending && !previous_opened && !closes {
            out.push('\n');
        }
        blank_pending = false;
        let indent = "  ".repeat(line.depth);
        match &line.attribute {
            Some((key, rest)) => {
                let pad = widths[k].saturating_sub(key.chars().count());
                out.push_str(&format!("{indent}{key}{} = {rest}\n", " ".repeat(pad)));
            }
            None => out.push_str(&format!("{indent}{}\n", line.text)),
        }
        previous_opened = line.text.ends_with('{') || line.text.ends_with('[');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if out.is_empty() {
        return out;
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The text laid out canonically. Errors: the text is not HCL, or the layout
/// would parse differently (then nothing should be written).
pub fn format(text: &str) -> Result<String, FormatError> {
    let before: hcl::Body = hcl::from_str(text).map_err(|e| FormatError::Syntax(e.to_string()))?;
    let formatted = layout(text);
    let after: hcl::Body = hcl::from_str(&formatted).map_err(|_| FormatError::Changed)?;
    if before != after {
        return Err(FormatError::Changed);
    }
    Ok(formatted)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSY: &str = "# keep me\n\n\n\ncluster {\n      version=\"4.2\"   # the line\n}\ndefaults   {\n\n log_archive {\n enabled = true\n    piece_switch_interval    =   \"1d\"\n  mode=\"optional\"\n\n    concurrency = 0\n }\n data_backup { concurrency = 8 }\n\n\n}\ntenant \"*\" {\n  log_archive {\n    destination = \"file:///nfs/${tenant.name}/archive\"   \n  }\n  /* a\n     block comment */\n}\n";

    const CANONICAL: &str = "# keep me\n\ncluster {\n  version = \"4.2\"   # the line\n}\ndefaults {\n  log_archive {\n    enabled               = true\n    piece_switch_interval = \"1d\"\n    mode                  = \"optional\"\n\n    concurrency = 0\n  }\n  data_backup { concurrency = 8 }\n}\ntenant \"*\" {\n  log_archive {\n    destination = \"file:///nfs/${tenant.name}/archive\"\n  }\n  /* a\n     block comment */\n}\n";

    #[test]
    fn layout_is_canonical_and_keeps_comments_and_values() {
        assert_eq!(format(MESSY).expect("formats"), CANONICAL);
    }

    #[test]
    fn formatting_twice_changes_nothing() {
        let once = format(MESSY).expect("formats");
        assert_eq!(format(&once).expect("formats"), once);
    }

    #[test]
    fn strings_with_braces_equals_and_hashes_do_not_confuse_it() {
        let text = "tenant \"a\" {\n  data_backup {\n    destination = \"oss://b/x?host=h&a={1}#no\"\n  }\n}\n";
        assert_eq!(format(text).expect("formats"), text);
    }

    #[test]
    fn heredocs_stay_as_written() {
        let text = "x {\n  note = <<EOT\n   keep   this\n  = as is {\nEOT\n  y = 1\n}\n";
        assert_eq!(format(text).expect("formats"), text);
    }

    #[test]
    fn invalid_hcl_is_an_error() {
        assert!(matches!(format("cluster {"), Err(FormatError::Syntax(_))));
    }
}

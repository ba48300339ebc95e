//! Everything obbackup prints: results on stdout, progress and diagnostics on
//! stderr. `NO_COLOR` and non-terminal streams turn colour off.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Text for a terminal: control characters other than newline and tab (an
/// ANSI escape in a tenant name, a carriage return in a server message) are
/// shown escaped, `\u{1b}`, so nothing the server sends can drive the terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Prints a result (plan, report, JSON) on stdout, control characters
/// escaped and secrets cleaned ([`crate::redact`]).
pub fn result(text: &str) {
    let text = crate::redact::clean(text);
    let text = printable(&text);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

/// Prints JSON on stdout, pretty and with a final newline.
pub fn json(value: &serde_json::Value) {
    result(&serde_json::to_string_pretty(value).unwrap_or_default());
}

/// A line of progress or a warning on stderr, control characters escaped
/// and secrets cleaned.
pub fn info(text: &str) {
    let text = crate::redact::clean(text);
    let _ = writeln!(std::io::stderr().lock(), "{}", printable(&text));
}

/// Prints a diagnostic (error) on stderr with miette's renderer, secrets cleaned.
pub fn diagnostic(report: miette::Report) {
    let text = format!("{report:?}");
    let _ = writeln!(std::io::stderr().lock(), "{}", crate::redact::clean(&text));
}

/// Whether standard error takes colour: a terminal, and NO_COLOR unset or empty.
pub fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Configures miette: colour only on a terminal and without NO_COLOR.
pub fn init() {
    let color = colour();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .width(100)
                // Not wrapped: wrapping cuts words, at hyphens too, and a
                // secret cut across two lines escapes the redactor.
                .wrap_lines(false)
                .build(),
        )
    }));
}

/// Whether a person can answer a prompt.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks on stderr, reads a line from stdin; true only for `yes`.
pub fn confirm(question: &str) -> bool {
    let _ = write!(
        std::io::stderr().lock(),
        "{question} Only 'yes' is accepted: "
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).is_ok() && line.trim() == "yes"
}

/// A spinner for a wait: drawn on a terminal, replaced by a line per status
/// change elsewhere (CI logs).
pub struct Waiting {
    bar: ProgressBar,
    drawn: bool,
    last: String,
    label: String,
}

impl Waiting {
    /// Starts a wait display. The label (it may name tenants) is shown with
    /// control characters escaped and secrets cleaned.
    pub fn start(label: &str) -> Self {
        let label = printable(&crate::redact::clean(label)).into_owned();
        let label = label.as_str();
        let drawn = std::io::stderr().is_terminal();
        let bar = if drawn {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(label.to_string());
        Self {
            bar,
            drawn,
            last: String::new(),
            label: label.to_string(),
        }
    }

    /// Shows the latest observed state.
    pub fn observe(&mut self, observed: &str, elapsed: Duration) {
        let cleaned = crate::redact::clean(observed);
        let observed = &*printable(&cleaned);
        if observed != self.last {
            self.bar.set_message(format!("{}: {observed}", self.label));
            if !self.drawn {
                info(&format!(
                    "  … {}: {observed} ({}s)",
                    self.label,
                    elapsed.as_secs()
                ));
            }
            self.last = observed.to_string();
        }
    }

    /// Removes the spinner.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

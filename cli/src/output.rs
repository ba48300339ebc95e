//! Everything obbackup prints: results on stdout, progress and diagnostics on
//! stderr. Colour follows `--color`: with `auto`, a terminal takes colour
//! unless `NO_COLOR` is set (and not empty), and `CLICOLOR_FORCE` (not `0`)
//! forces it into a pipe (<https://no-color.org>, <https://bixense.com/clicolors/>).

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

/// Prints a report for people on stdout, as [`result`] does, with colour
/// when stdout takes it ([`colour_stdout`]): additions green, updates yellow,
/// removals, hazards and breaches red, section headers bold.
pub fn human(text: &str) {
    if !colour_stdout() {
        return result(text);
    }
    let text = crate::redact::clean(text);
    let text = printable(&text);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(paint(&text).as_bytes());
    if !text.ends_with('\n') {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

/// `text` with ANSI colour by line: a line whose first mark is `+`, `~`,
/// `-` or `!` takes that mark's colour, a section header (`Hazards …:`,
/// `Policy breaches …:`, `Changes:`, `Drift: …`, `Plan: …`) is bold.
pub fn paint(text: &str) -> String {
    use anstyle::{AnsiColor, Style};
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let bold = Style::new().bold();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let mark = body.trim_start().chars().next();
        let style = match mark {
            Some('+') if body.starts_with("  ") => Some(green),
            Some('~') if body.starts_with("  ") => Some(yellow),
            Some('!')
                if body.starts_with("  ") && body.trim_start().chars().nth(1) == Some(' ') =>
            {
                Some(red)
            }
            // A removed value (`- before` under a change), not a note's bullet.
            Some('-')
                if body.starts_with("    ") && body.trim_start().chars().nth(1) == Some(' ') =>
            {
                Some(red)
            }
            _ if [
                "Hazards",
                "Policy breaches",
                "Changes:",
                "Drift:",
                "Plan:",
                "Steps, in order:",
            ]
            .iter()
            .any(|h| body.starts_with(h)) =>
            {
                Some(bold)
            }
            _ => None,
        };
        match style {
            Some(s) if !body.is_empty() => {
                out.push_str(&format!("{}{body}{}", s.render(), s.render_reset()));
                out.push_str(&line[body.len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// Prints a rendered report: for people ([`human`]) in the human format, as
/// it is ([`result`]) in JSON and Markdown.
pub fn report(text: &str, format: crate::args::Format) {
    match format {
        crate::args::Format::Human => human(text),
        _ => result(text),
    }
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

static CHOICE: std::sync::OnceLock<crate::args::ColorChoice> = std::sync::OnceLock::new();

/// Whether a stream that is (`terminal`) or is not a terminal takes colour,
/// given `--color` and the environment (`var` reads a variable).
pub fn colour_for(
    choice: crate::args::ColorChoice,
    terminal: bool,
    var: impl Fn(&str) -> Option<String>,
) -> bool {
    use crate::args::ColorChoice;
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto
            if set("CLICOLOR_FORCE") && var("CLICOLOR_FORCE").as_deref() != Some("0") =>
        {
            true
        }
        ColorChoice::Auto => terminal,
    }
}

fn choice() -> crate::args::ColorChoice {
    CHOICE
        .get()
        .copied()
        .unwrap_or(crate::args::ColorChoice::Auto)
}

/// Whether standard error takes colour.
pub fn colour() -> bool {
    colour_for(choice(), std::io::stderr().is_terminal(), |n| {
        std::env::var(n).ok()
    })
}

/// Whether standard output takes colour.
pub fn colour_stdout() -> bool {
    colour_for(choice(), std::io::stdout().is_terminal(), |n| {
        std::env::var(n).ok()
    })
}

/// Records `--color` and configures miette's colour for stderr by it.
pub fn init(color: crate::args::ColorChoice) {
    let _ = CHOICE.set(color);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::ColorChoice::{Always, Auto, Never};

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_flag_wins_then_no_color_then_clicolor_force_then_the_terminal() {
        assert!(colour_for(Always, false, vars(&[("NO_COLOR", "1")])));
        assert!(!colour_for(Never, true, vars(&[("CLICOLOR_FORCE", "1")])));
        assert!(!colour_for(Auto, true, vars(&[("NO_COLOR", "1")])));
        assert!(
            colour_for(Auto, true, vars(&[("NO_COLOR", "")])),
            "an empty NO_COLOR is unset"
        );
        assert!(!colour_for(
            Auto,
            false,
            vars(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])
        ));
        assert!(colour_for(Auto, false, vars(&[("CLICOLOR_FORCE", "1")])));
        assert!(!colour_for(Auto, false, vars(&[("CLICOLOR_FORCE", "0")])));
        assert!(!colour_for(Auto, false, vars(&[])));
        assert!(colour_for(Auto, true, vars(&[])));
    }

    #[test]
    fn marks_and_headers_are_painted_and_nothing_else_changes() {
        let text = "Changes:\n  + tenant.t.a\n      (not set) → \"x\"\n  ~ tenant.t.b\n  ! hazard\n        - gone\n   1. ALTER SYSTEM ARCHIVELOG;\nNotes:\n  - a note\n";
        let painted = paint(text);
        assert!(
            painted.contains("\u{1b}[32m  + tenant.t.a\u{1b}[0m\n"),
            "{painted:?}"
        );
        assert!(painted.contains("\u{1b}[33m  ~ tenant.t.b"), "{painted:?}");
        assert!(painted.contains("\u{1b}[31m  ! hazard"), "{painted:?}");
        assert!(painted.contains("\u{1b}[31m        - gone"), "{painted:?}");
        assert!(
            painted.contains("\n  - a note\n"),
            "a note stays plain: {painted:?}"
        );
        assert!(painted.contains("\u{1b}[1mChanges:"), "{painted:?}");
        assert!(
            painted.contains("\n   1. ALTER SYSTEM ARCHIVELOG;\n"),
            "{painted:?}"
        );
        let plain: String = {
            let mut s = painted.clone();
            for code in [
                "\u{1b}[32m",
                "\u{1b}[33m",
                "\u{1b}[31m",
                "\u{1b}[1m",
                "\u{1b}[0m",
            ] {
                s = s.replace(code, "");
            }
            s
        };
        assert_eq!(plain, text);
    }
}

//! One redactor for everything obbackup writes. It knows every secret value
//! of the run — the DSN's password, the values of the variables the
//! configuration reads with `env()` for credentials and passwords, and the
//! secret parts of every statement sent — and every text written to
//! standard output, standard error, the log and files passes through
//! [`clean`] (the functions of [`crate::output`], the log writer, plan
//! files), server messages included. What it replaces reads `(sensitive)`.
//!
//! Values shorter than [`MIN_LEN`] characters are not registered: replacing
//! every `plan` of a report (a JSON key, say) would hide and break more than
//! it protects; such a value is still masked where obbackup builds the text
//! itself (statements as shown, destinations, DSNs in messages).

use obbackup_planner::secret::REDACTED;
use std::borrow::Cow;
use std::sync::RwLock;

/// The shortest value registered, in characters.
pub const MIN_LEN: usize = 6;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers `value` (and its URL-encoded form, as a DSN carries it) as a
/// secret of the run.
pub fn register(value: &str) {
    if value.chars().count() < MIN_LEN {
        return;
    }
    let mut secrets = SECRETS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    for form in [value.to_string(), encoded] {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    // Longest first, so a secret that contains another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every registered secret replaced by `(sensitive)`.
pub fn clean(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !secrets.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    Cow::Owned(out)
}

/// A writer that cleans what passes through it, line by line (the log).
pub struct CleanWriter<W: std::io::Write>(pub W);

impl<W: std::io::Write> std::io::Write for CleanWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(bytes);
        self.0.write_all(clean(&text).as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_cleaned_whole_and_url_encoded() {
        register("s3cr&t-pass");
        register("abcde");
        let text = "mysql://root%40sys:s3cr%26t-pass@h:2881 and s3cr&t-pass, abcde";
        assert_eq!(
            clean(text),
            "mysql://root%40sys:(sensitive)@h:2881 and (sensitive), abcde"
        );
        assert!(matches!(clean("nothing here"), Cow::Borrowed(_)));
    }
}

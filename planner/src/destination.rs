//! Backup destinations (`LOG_ARCHIVE_DEST` `LOCATION`, `DATA_BACKUP_DEST`):
//! parsing, validation, redaction and comparison.
//!
//! Grammar from `shared/reference/oceanbase-backup.md` §2.2.2: `file:///abs/path`
//! (NFS: absolute, no `?`), `oss://bucket/path?host=…&access_id=…&access_key=…`,
//! `cos://…&appid=…`, `s3://…&s3_region=…`. The server re-serialises the path it
//! stores (storage info first, fixed order), so two destinations are the same
//! place when their root (text before `?`, without a trailing `/`) and their
//! non-credential attributes agree; credentials are never compared or shown.

use crate::secret::{REDACTED, Secret};
use std::collections::BTreeMap;

/// Attribute keys whose values are credentials.
pub const CREDENTIAL_KEYS: &[&str] = &["access_id", "access_key", "encrypt_key", "sts_token"];

/// The attributes OceanBase keeps in an object-storage destination; it drops
/// any other silently when it rebuilds the text it stores (v4.2.2_CE_BP1
/// deps/oblib/src/lib/restore/ob_storage_info.cpp, parse_storage_info_), so a
/// destination written with one would differ from the stored one forever.
pub const KNOWN_ATTRIBUTES: &[&str] = &[
    "host",
    "access_id",
    "access_key",
    "sts_token",
    "appid",
    "delete_mode",
    "s3_region",
    "checksum_type",
];

/// `checksum_type` when a destination does not name one: OceanBase 4.3.1
/// writes `checksum_type=md5` back into every object-storage destination it
/// stores (v4.3.1_CE_BETA ob_storage_info.cpp, get_storage_info_str; the
/// default of ObObjectStorageInfo), earlier builds store none.
const DEFAULT_CHECKSUM_TYPE: &str = "md5";

/// Why a destination is malformed. Reported through the configuration's
/// `obbackup::config::destination` error, which points at the value; each
/// variant has its own code for callers of [`Destination::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum DestinationError {
    /// No `scheme://`.
    #[error("a destination starts with file://, oss://, cos:// or s3://")]
    #[diagnostic(code(obbackup::destination::no_scheme))]
    NoScheme,
    /// A scheme OceanBase does not accept.
    #[error("scheme `{0}://` is not a backup destination; use file://, oss://, cos:// or s3://")]
    #[diagnostic(code(obbackup::destination::scheme))]
    UnknownScheme(String),
    /// `file://` with a relative path.
    #[error("an NFS destination needs an absolute path: file:///path/to/dir")]
    #[diagnostic(code(obbackup::destination::relative_path))]
    RelativeNfs,
    /// `file://` with `?…`.
    #[error("an NFS destination takes no `?` parameters")]
    #[diagnostic(code(obbackup::destination::nfs_parameters))]
    NfsWithQuery,
    /// An object-storage attribute that must be there is missing.
    #[error("{scheme}:// destinations need `{key}=` after `?`")]
    #[diagnostic(code(obbackup::destination::missing_attribute))]
    MissingAttribute {
        /// The scheme.
        scheme: String,
        /// The missing attribute.
        key: &'static str,
    },
    /// An attribute OceanBase does not keep (it would be dropped from the
    /// stored destination, which then never matches). Named by its key, or by
    /// position when it follows a credential (it may be the tail of one that
    /// contains `&`).
    #[error("{0} is not an attribute OceanBase keeps (it would drop it and store the rest): use {known}", known = KNOWN_ATTRIBUTES.join(", "))]
    #[diagnostic(code(obbackup::destination::unknown_attribute))]
    UnknownAttribute(String),
    /// A `checksum_type` other than `md5`.
    #[error(
        "checksum_type `{0}`: obbackup takes md5 only (what OceanBase 4.3.1 stores when none is given; earlier builds keep none)"
    )]
    #[diagnostic(code(obbackup::destination::checksum_type))]
    ChecksumType(String),
    /// A parameter without `=value`. The text itself is never shown: it can
    /// be the tail of a credential that contains `&`.
    #[error("parameter {position} after `?` is not key=value{}", match previous {
        Some(key) => format!(" (it follows `{key}=`: a value cannot contain `&`)"),
        None => String::new(),
    })]
    #[diagnostic(code(obbackup::destination::bad_attribute))]
    BadAttribute {
        /// 1-based position among the parameters.
        position: usize,
        /// The key of the parameter before it, if any.
        previous: Option<String>,
    },
}

/// A destination, with its credentials kept apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    scheme: String,
    root: String,
    /// Every attribute in written order; credential values are secrets.
    attributes: Vec<(String, Secret)>,
}

impl Destination {
    /// Parses and validates a destination URI.
    pub fn parse(text: &str) -> Result<Self, DestinationError> {
        let (root, query) = match text.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (text, None),
        };
        let (scheme, rest) = root.split_once("://").ok_or(DestinationError::NoScheme)?;
        let scheme = scheme.to_ascii_lowercase();
        let mut attributes = Vec::new();
        for (n, pair) in query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| DestinationError::BadAttribute {
                    position: n + 1,
                    previous: attributes.last().map(|(k, _): &(String, Secret)| k.clone()),
                })?;
            attributes.push((k.to_string(), Secret::new(v)));
        }
        let required: &[&'static str] = match scheme.as_str() {
            "file" => {
                if !rest.starts_with('/') {
                    return Err(DestinationError::RelativeNfs);
                }
                if query.is_some() {
                    return Err(DestinationError::NfsWithQuery);
                }
                &[]
            }
            "oss" => &["host", "access_id", "access_key"],
            "cos" => &["host", "access_id", "access_key", "appid"],
            "s3" => &["host", "access_id", "access_key", "s3_region"],
            other => return Err(DestinationError::UnknownScheme(other.to_string())),
        };
        for key in required {
            if !attributes.iter().any(|(k, _)| k == key) {
                return Err(DestinationError::MissingAttribute {
                    scheme: scheme.clone(),
                    key,
                });
            }
        }
        if let Some(n) = attributes
            .iter()
            .position(|(k, _)| !KNOWN_ATTRIBUTES.contains(&k.as_str()))
        {
            let after_credential = n > 0 && Self::is_credential(&attributes[n - 1].0);
            return Err(DestinationError::UnknownAttribute(if after_credential {
                format!(
                    "parameter {} after `?` (it follows `{}=`: a value cannot contain `&`)",
                    n + 1,
                    attributes[n - 1].0
                )
            } else {
                format!("`{}`", attributes[n].0)
            }));
        }
        if let Some((_, v)) = attributes.iter().find(|(k, _)| k == "checksum_type")
            && v.expose() != DEFAULT_CHECKSUM_TYPE
        {
            return Err(DestinationError::ChecksumType(v.expose().to_string()));
        }
        let root = normal_root(&scheme, rest);
        Ok(Self {
            scheme,
            root,
            attributes,
        })
    }

    /// Reads a destination as the server shows it, without validation (the
    /// server accepted it; its stored form may differ from what was written).
    pub fn from_server(text: &str) -> Self {
        let (root, query) = text.split_once('?').unwrap_or((text, ""));
        let scheme = root
            .split_once("://")
            .map_or("", |(s, _)| s)
            .to_ascii_lowercase();
        let attributes = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), Secret::new(v))
            })
            .collect();
        let rest = root.split_once("://").map_or(root, |(_, r)| r);
        let root = if scheme.is_empty() {
            root.to_string()
        } else {
            normal_root(&scheme, rest)
        };
        Self {
            scheme,
            root,
            attributes,
        }
    }

    /// The root (scheme and path, no parameters).
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Whether `key` is a credential attribute.
    pub fn is_credential(key: &str) -> bool {
        CREDENTIAL_KEYS.contains(&key)
    }

    /// The credential keys this destination carries, in written order.
    pub fn credential_keys(&self) -> Vec<&str> {
        self.attributes
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| Self::is_credential(k))
            .collect()
    }

    /// Non-credential attributes, sorted by key (what comparison looks at),
    /// with `checksum_type` at its default where an object-storage
    /// destination names none (so a 4.3.1 server's stored `md5` matches a
    /// destination written without it).
    pub fn public_attributes(&self) -> BTreeMap<&str, &str> {
        let mut out: BTreeMap<&str, &str> = self
            .attributes
            .iter()
            .filter(|(k, _)| !Self::is_credential(k))
            .map(|(k, v)| (k.as_str(), v.expose()))
            .collect();
        if self.scheme != "file" && !self.scheme.is_empty() {
            out.entry("checksum_type").or_insert(DEFAULT_CHECKSUM_TYPE);
        }
        out
    }

    /// Whether both name the same place with the same non-secret attributes.
    pub fn same_place(&self, other: &Destination) -> bool {
        self.root == other.root && self.public_attributes() == other.public_attributes()
    }

    /// The text with credential values replaced by `(sensitive)`.
    pub fn redacted(&self) -> String {
        self.render(|k, v| {
            if Self::is_credential(k) {
                REDACTED.to_string()
            } else {
                v.expose().to_string()
            }
        })
    }

    /// The full text to send to the server.
    pub fn full(&self) -> Secret {
        Secret::new(self.render(|_, v| v.expose().to_string()))
    }

    fn render(&self, value: impl Fn(&str, &Secret) -> String) -> String {
        if self.attributes.is_empty() {
            return self.root.clone();
        }
        let query: Vec<String> = self
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={}", value(k, v)))
            .collect();
        format!("{}?{}", self.root, query.join("&"))
    }
}

/// `scheme://rest` with the scheme lower-cased and trailing `/` removed (paths
/// and buckets keep their case: they are case-sensitive).
fn normal_root(scheme: &str, rest: &str) -> String {
    let trimmed = rest.trim_end_matches('/');
    let rest = if trimmed.is_empty() { rest } else { trimmed };
    format!("{scheme}://{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_malformed_destination_has_its_own_code() {
        let code = |text: &str| {
            let e = Destination::parse(text).expect_err("malformed");
            miette::Diagnostic::code(&e).map(|c| c.to_string())
        };
        assert_eq!(
            code("ftp://h/p").as_deref(),
            Some("obbackup::destination::scheme")
        );
        assert_eq!(
            code("nfs/p").as_deref(),
            Some("obbackup::destination::no_scheme")
        );
        assert_eq!(
            code("file://relative/p").as_deref(),
            Some("obbackup::destination::relative_path")
        );
        assert_eq!(
            code("oss://b/p?host=h&access_id=A&access_key=K&tail").as_deref(),
            Some("obbackup::destination::bad_attribute")
        );
    }

    #[test]
    fn compares_root_and_public_attributes_only() {
        let a =
            Destination::parse("oss://b/ob/?host=h&access_id=A&access_key=K&delete_mode=tagging")
                .expect("valid");
        let b =
            Destination::parse("oss://b/ob?delete_mode=tagging&host=h&access_id=x&access_key=y")
                .expect("valid");
        assert!(a.same_place(&b));
        let c = Destination::parse("oss://b/ob?host=h&access_id=A&access_key=K").expect("valid");
        assert!(!a.same_place(&c));
        assert_eq!(
            a.redacted(),
            "oss://b/ob?host=h&access_id=(sensitive)&access_key=(sensitive)&delete_mode=tagging"
        );
        assert_eq!(
            a.full().expose(),
            "oss://b/ob?host=h&access_id=A&access_key=K&delete_mode=tagging"
        );
    }

    #[test]
    fn compares_as_oceanbase_stores_and_refuses_what_it_drops() {
        // 4.3.1 stores checksum_type=md5 in every object-storage destination,
        // in its own order.
        let written =
            Destination::parse("oss://b/p/?access_key=K&host=h&access_id=A").expect("valid");
        let stored =
            Destination::from_server("oss://b/p?host=h&access_id=A&access_key=K&checksum_type=md5");
        assert!(written.same_place(&stored));
        let other = Destination::from_server(
            "oss://b/p?host=h&access_id=A&access_key=K&checksum_type=no_checksum",
        );
        assert!(!written.same_place(&other));
        assert!(
            Destination::parse("file:///d/")
                .expect("valid")
                .same_place(&Destination::from_server("file:///d"))
        );
        assert_eq!(
            Destination::parse("oss://b/p?host=h&region=x&access_id=A&access_key=K")
                .expect_err("dropped by OceanBase"),
            DestinationError::UnknownAttribute("`region`".into())
        );
        // After a credential: by position, never by a key that may be its tail.
        let err = Destination::parse("oss://b/p?host=h&access_id=A&access_key=K1&tail=secret")
            .expect_err("split key");
        assert!(!err.to_string().contains("tail"), "{err}");
        assert!(err.to_string().contains("parameter 4 after `?`"), "{err}");
        assert_eq!(
            Destination::parse(
                "oss://b/p?host=h&access_id=A&access_key=K&checksum_type=no_checksum"
            )
            .expect_err("not md5"),
            DestinationError::ChecksumType("no_checksum".into())
        );
    }

    #[test]
    fn a_parameter_without_a_value_is_named_by_position_never_by_its_text() {
        // An access key containing `&` splits into a parameter without `=`:
        // its tail must not be shown.
        let err = Destination::parse("oss://b/p?host=h&access_id=A&access_key=keyhead1&tailpart9")
            .expect_err("malformed");
        let text = err.to_string();
        assert!(!text.contains("tailpart9"), "{text}");
        assert_eq!(
            text,
            "parameter 4 after `?` is not key=value (it follows `access_key=`: a value cannot contain `&`)"
        );
        assert_eq!(
            Destination::parse("oss://b/p?oops")
                .expect_err("malformed")
                .to_string(),
            "parameter 1 after `?` is not key=value"
        );
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(
            Destination::parse("/data/backup"),
            Err(DestinationError::NoScheme)
        );
        assert_eq!(
            Destination::parse("file://data"),
            Err(DestinationError::RelativeNfs)
        );
        assert_eq!(
            Destination::parse("file:///data?x=1"),
            Err(DestinationError::NfsWithQuery)
        );
        assert!(matches!(
            Destination::parse("ftp://x/y"),
            Err(DestinationError::UnknownScheme(_))
        ));
        assert!(matches!(
            Destination::parse("oss://b/p?host=h&access_id=a"),
            Err(DestinationError::MissingAttribute {
                key: "access_key",
                ..
            })
        ));
        assert_eq!(
            Destination::parse("file:///").map(|d| d.root().to_string()),
            Ok("file:///".to_string())
        );
    }
}

//! Backup destinations as the 4.x server validates and stores them.
//!
//! Grammar: `shared/reference/oceanbase-backup.md` §2.2.1 (`LOG_ARCHIVE_DEST`
//! value: space-separated `KEY=VALUE`, `LOCATION` required) and §2.2.2 (URI:
//! `file:///abs` without `?`, `oss://`, `cos://`, `s3://` with storage info; the
//! stored path is re-serialised as root + `?` + host, access_id, access_key, then
//! the rest, [S4.2.2] `ObBackupDest::get_backup_dest_str`).

use crate::error::ObError;

/// A parsed destination URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    /// Everything before `?`, e.g. `oss://bucket/backup/archive`.
    pub root: String,
    /// `key=value` attributes after `?`, in input order.
    pub attributes: Vec<(String, String)>,
}

impl Uri {
    /// Parses and validates a destination; an invalid one is 9026.
    pub fn parse(text: &str) -> Result<Self, ObError> {
        let (root, query) = match text.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (text, None),
        };
        let scheme = root.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("file") => {
                // NFS: absolute path, no storage info (reference §1.2.4 / §2.2.2).
                if query.is_some() || !root["file://".len()..].starts_with('/') {
                    return Err(ObError::invalid_backup_dest());
                }
            }
            Some("oss" | "cos" | "s3") => {
                if query.is_none() {
                    return Err(ObError::invalid_backup_dest());
                }
            }
            _ => return Err(ObError::invalid_backup_dest()),
        }
        let mut attributes = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(ObError::invalid_backup_dest)?;
            attributes.push((k.to_string(), v.to_string()));
        }
        if scheme.as_deref() != Some("file") {
            for required in ["host", "access_id", "access_key"] {
                if !attributes.iter().any(|(k, _)| k == required) {
                    return Err(ObError::invalid_backup_dest());
                }
            }
        }
        Ok(Self {
            root: root.trim_end_matches('/').to_string(),
            attributes,
        })
    }

    /// The string a 4.2 server stores and shows: see [`Uri::stored_on`].
    pub fn stored(&self) -> String {
        self.stored_on(&[4, 2, 2, 1])
    }

    /// The string build `version` stores and shows, rebuilt from what it
    /// parsed (v4.2.2_CE_BP1 and v4.3.1_CE_BETA
    /// deps/oblib/src/lib/restore/ob_storage_info.cpp, get_storage_info_str):
    /// root, then host, access_id, access_key, from 4.3.1
    /// `checksum_type` (md5 unless given), then appid, delete_mode and
    /// s3_region in input order; any other attribute is dropped.
    pub fn stored_on(&self, version: &[u32]) -> String {
        if self.attributes.is_empty() {
            return self.root.clone();
        }
        let get = |k: &str| {
            self.attributes
                .iter()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v.clone())
        };
        let mut parts: Vec<String> = ["host", "access_id", "access_key"]
            .iter()
            .filter_map(|k| get(k).map(|v| format!("{k}={v}")))
            .collect();
        if version >= [4, 3, 1].as_slice() {
            let checksum = get("checksum_type").unwrap_or_else(|| "md5".into());
            parts.push(format!("checksum_type={checksum}"));
        }
        parts.extend(
            self.attributes
                .iter()
                .filter(|(a, _)| matches!(a.as_str(), "appid" | "delete_mode" | "s3_region"))
                .map(|(a, v)| format!("{a}={v}")),
        );
        format!("{}?{}", self.root, parts.join("&"))
    }
}

/// A parsed `LOG_ARCHIVE_DEST` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveDestValue {
    /// `LOCATION`.
    pub location: Uri,
    /// `BINDING`, upper case.
    pub binding: String,
    /// `PIECE_SWITCH_INTERVAL` as OceanBase stores it (default `1d`): see [`stored_interval`].
    pub piece_switch_interval: String,
    /// `COMPRESSION` if given.
    pub compression: Option<String>,
}

/// An interval as OceanBase writes it back: the largest unit that fits, the
/// count truncated (36h is `1d`). v4.2.2_CE_BP1
/// `src/share/backup/ob_backup_struct.cpp` (`convert_timestamp_to_timestr`).
pub fn stored_interval(us: u64) -> String {
    const UNITS: [(u64, &str); 6] = [
        (86_400_000_000, "d"),
        (3_600_000_000, "h"),
        (60_000_000, "m"),
        (1_000_000, "s"),
        (1_000, "ms"),
        (1, "us"),
    ];
    let (size, unit) = UNITS
        .into_iter()
        .find(|(size, _)| us >= *size)
        .unwrap_or((1, "us"));
    format!("{}{unit}", us / size)
}

/// Parses a `LOG_ARCHIVE_DEST` value with the 4.2 errors:
/// no LOCATION → 1235 `set archive dest without location`; unknown key → 1235
/// (default message); bad BINDING → 1210; PIECE_SWITCH_INTERVAL unparsable or
/// under a minute → 1210, outside [1d, 7d] → 1235; COMPRESSION other than
/// enable/disable → 1235.
pub fn parse_archive_dest(value: &str) -> Result<ArchiveDestValue, ObError> {
    let mut location = None;
    let mut binding = "OPTIONAL".to_string();
    let mut piece = "1d".to_string();
    let mut compression = None;
    for token in value.split(' ').filter(|t| !t.is_empty()) {
        let Some((key, val)) = token.split_once('=') else {
            return Err(ObError::not_supported(None));
        };
        match key.to_ascii_lowercase().as_str() {
            "location" => location = Some(Uri::parse(val)?),
            "binding" => {
                let upper = val.to_ascii_uppercase();
                if upper != "OPTIONAL" && upper != "MANDATORY" {
                    return Err(ObError::invalid_argument());
                }
                binding = upper;
            }
            "piece_switch_interval" => {
                let us =
                    crate::parameter::parse_time_us(val).ok_or_else(ObError::invalid_argument)?;
                if us < 60_000_000 {
                    return Err(ObError::invalid_argument());
                }
                if !(86_400_000_000..=7 * 86_400_000_000).contains(&us) {
                    return Err(ObError::not_supported(Some(
                        "invalid piece_switch_interval out of range [1d,7d] is",
                    )));
                }
                piece = stored_interval(us);
            }
            "compression" => {
                let lower = val.to_ascii_lowercase();
                if lower != "enable" && lower != "disable" {
                    return Err(ObError::not_supported(None));
                }
                compression = Some(lower);
            }
            _ => return Err(ObError::not_supported(None)),
        }
    }
    let location = location
        .ok_or_else(|| ObError::not_supported(Some("set archive dest without location is")))?;
    Ok(ArchiveDestValue {
        location,
        binding,
        piece_switch_interval: piece,
        compression,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_stored_in_their_largest_whole_unit() {
        let stored = |v: &str| {
            parse_archive_dest(&format!("LOCATION=file:///a PIECE_SWITCH_INTERVAL={v}"))
                .expect("valid")
                .piece_switch_interval
        };
        assert_eq!(stored("36h"), "1d");
        assert_eq!(stored("48h"), "2d");
        assert_eq!(stored("1d"), "1d");
        assert_eq!(stored("1440m"), "1d");
        assert_eq!(stored_interval(90_000_000), "1m");
    }

    #[test]
    fn stored_path_reorders_storage_info() {
        let uri = Uri::parse("oss://b/p?delete_mode=tagging&access_key=k&host=h&access_id=i")
            .expect("valid");
        assert_eq!(
            uri.stored(),
            "oss://b/p?host=h&access_id=i&access_key=k&delete_mode=tagging"
        );
    }

    #[test]
    fn a_4_3_1_server_writes_checksum_type_and_drops_what_it_does_not_know() {
        let uri =
            Uri::parse("oss://b/p?bogus=1&access_key=k&host=h&access_id=i&delete_mode=tagging")
                .expect("valid");
        assert_eq!(
            uri.stored_on(&[4, 3, 1, 0]),
            "oss://b/p?host=h&access_id=i&access_key=k&checksum_type=md5&delete_mode=tagging"
        );
        assert_eq!(
            uri.stored_on(&[4, 2, 2, 1]),
            "oss://b/p?host=h&access_id=i&access_key=k&delete_mode=tagging"
        );
        let file = Uri::parse("file:///d/").expect("valid");
        assert_eq!(file.stored_on(&[4, 3, 1, 0]), file.root);
    }

    #[test]
    fn archive_dest_errors() {
        assert_eq!(
            parse_archive_dest("BINDING=OPTIONAL")
                .expect_err("no location")
                .code,
            1235
        );
        assert_eq!(
            parse_archive_dest("LOCATION=file:///a BINDING=maybe")
                .expect_err("binding")
                .code,
            1210
        );
        let e =
            parse_archive_dest("LOCATION=file:///a PIECE_SWITCH_INTERVAL=8d").expect_err("range");
        assert_eq!(
            e.message,
            "invalid piece_switch_interval out of range [1d,7d] is not supported"
        );
        assert_eq!(
            parse_archive_dest("LOCATION=file:///a FOO=1")
                .expect_err("key")
                .code,
            1235
        );
        assert_eq!(
            parse_archive_dest("LOCATION=file://relative")
                .expect_err("nfs")
                .code,
            9026
        );
        let ok = parse_archive_dest("location=file:///a/ binding=mandatory").expect("valid");
        assert_eq!(ok.binding, "MANDATORY");
        assert_eq!(ok.location.stored(), "file:///a");
    }
}

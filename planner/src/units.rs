//! Durations and sizes as OceanBase writes them, normalised for comparison.
//!
//! OceanBase time values take the units `us`, `ms`, `s`, `m`, `h`, `d`
//! (`archive_lag_target = 120s`, `PIECE_SWITCH_INTERVAL=1d`); capacities take
//! `K`, `M`, `G`, `T` with an optional `B` (`backup_data_file_size = 4G`)
//! ([S4.2.2] `src/share/config/ob_config_helper.cpp` parsers; reference §2.1.2, §2.2.1).

/// A duration in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Duration(pub u64);

const US_PER: [(&str, u64); 6] = [
    ("d", 86_400_000_000),
    ("h", 3_600_000_000),
    ("m", 60_000_000),
    ("s", 1_000_000),
    ("ms", 1_000),
    ("us", 1),
];

impl Duration {
    /// Parses `1d`, `24h`, `120s`, `0ms` (case-insensitive). A unit is required.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit())?;
        let (digits, unit) = t.split_at(split);
        let n: u64 = digits.parse().ok()?;
        let factor = US_PER.iter().find(|(u, _)| *u == unit)?.1;
        n.checked_mul(factor).map(Self)
    }

    /// Whole seconds, saturating at `i64::MAX` (durations compare with server
    /// times in seconds).
    pub fn as_secs(self) -> i64 {
        i64::try_from(self.0 / 1_000_000).unwrap_or(i64::MAX)
    }

    /// Canonical text: the largest unit that divides the value exactly (`24h` → `1d`).
    pub fn canonical(self) -> String {
        if self.0 == 0 {
            return "0s".into();
        }
        let (unit, factor) = US_PER
            .iter()
            .find(|(_, f)| self.0.is_multiple_of(*f))
            .copied()
            .unwrap_or(("us", 1));
        format!("{}{unit}", self.0 / factor)
    }
}

/// A size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Size(pub u64);

const BYTES_PER: [(&str, u64); 5] = [
    ("T", 1 << 40),
    ("G", 1 << 30),
    ("M", 1 << 20),
    ("K", 1 << 10),
    ("B", 1),
];

impl Size {
    /// Parses `512M`, `4G`, `4GB`, `4096M` (case-insensitive). A unit is required.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_uppercase();
        let split = t.find(|c: char| !c.is_ascii_digit())?;
        let (digits, unit) = t.split_at(split);
        let unit = if unit.len() == 2 {
            unit.strip_suffix('B')?
        } else {
            unit
        };
        let n: u64 = digits.parse().ok()?;
        let factor = BYTES_PER.iter().find(|(u, _)| *u == unit)?.1;
        n.checked_mul(factor).map(Self)
    }

    /// Canonical text: the largest unit that divides the value exactly (`4096M` → `4G`).
    pub fn canonical(self) -> String {
        let (unit, factor) = BYTES_PER
            .iter()
            .find(|(_, f)| self.0.is_multiple_of(*f))
            .copied()
            .unwrap_or(("B", 1));
        if unit == "B" {
            format!("{}", self.0)
        } else {
            format!("{}{unit}", self.0 / factor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_normalise() {
        assert_eq!(Duration::parse("24h"), Duration::parse("1d"));
        assert_eq!(
            Duration::parse("1D").map(Duration::canonical).as_deref(),
            Some("1d")
        );
        assert_eq!(
            Duration::parse("90s").map(Duration::canonical).as_deref(),
            Some("90s")
        );
        assert_eq!(
            Duration::parse("120s").map(Duration::canonical).as_deref(),
            Some("2m")
        );
        assert_eq!(
            Duration::parse("0ms").map(Duration::canonical).as_deref(),
            Some("0s")
        );
        assert_eq!(Duration::parse("10"), None);
        assert_eq!(Duration::parse("1w"), None);
    }

    #[test]
    fn sizes_normalise() {
        assert_eq!(Size::parse("4G"), Size::parse("4096M"));
        assert_eq!(Size::parse("4gb"), Size::parse("4G"));
        assert_eq!(
            Size::parse("4096M").map(Size::canonical).as_deref(),
            Some("4G")
        );
        assert_eq!(
            Size::parse("600M").map(Size::canonical).as_deref(),
            Some("600M")
        );
        assert_eq!(Size::parse("4"), None);
    }
}

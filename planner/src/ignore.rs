//! Accepted drift: `ignore { address, reason, until }` blocks. A change whose
//! address an active ignore matches is reported as accepted, not planned; an
//! expired ignore leaves it planned with a note; an ignore that matches no
//! change at all is warned about once the whole plan is diffed. Shared by both
//! dialects.

use crate::change::Change;
use crate::config::Config;
use crate::plan::Accepted;

/// The ignore blocks of a configuration while a plan is made: which were used.
#[derive(Debug)]
pub struct Ignores<'c> {
    config: &'c Config,
    today: time::Date,
    used: Vec<bool>,
}

impl<'c> Ignores<'c> {
    /// The ignores of `config`, evaluated on `today` (UTC, passed in).
    pub fn new(config: &'c Config, today: time::Date) -> Self {
        Self {
            config,
            today,
            used: vec![false; config.ignores.len()],
        }
    }

    /// Splits the changes of **one scope** (a tenant, or the 3.x cluster) into
    /// planned and accepted ones. An ignore matching any part of 4.x
    /// `LOG_ARCHIVE_DEST` (destination, mode, piece_switch_interval) accepts
    /// all three of that scope, since OceanBase writes them together
    /// (v4.2.2_CE_BP1 `src/share/backup/ob_backup_config.cpp` rewrites the
    /// destination whole). Notes say when an expired ignore lets a change through.
    pub fn split(
        &mut self,
        changes: Vec<Change>,
        notes: &mut Vec<String>,
    ) -> (Vec<Change>, Vec<Accepted>) {
        let ignores = &self.config.ignores;
        if ignores.is_empty() {
            return (changes, Vec::new());
        }
        let matching = |c: &Change| {
            let text = c.address.to_string();
            ignores.iter().position(|i| i.matches(&text))
        };
        let dest_ignore = changes
            .iter()
            .filter(|c| c.setting().in_archive_dest())
            .find_map(|c| matching(c).filter(|&i| ignores[i].active(self.today)));
        let mut kept = Vec::new();
        let mut accepted = Vec::new();
        for c in changes {
            let index = if c.setting().in_archive_dest() {
                dest_ignore.or_else(|| matching(&c))
            } else {
                matching(&c)
            };
            match index {
                Some(i) => {
                    self.used[i] = true;
                    let ignore = &ignores[i];
                    if ignore.active(self.today) {
                        accepted.push(Accepted {
                            change: c,
                            reason: ignore.reason.clone(),
                            until: ignore.until,
                        });
                    } else {
                        notes.push(format!(
                            "ignore {:?} expired on {}: {} is planned again",
                            ignore.address,
                            ignore.until.map(|d| d.to_string()).unwrap_or_default(),
                            c.address
                        ));
                        kept.push(c);
                    }
                }
                None => kept.push(c),
            }
        }
        (kept, accepted)
    }

    /// Warns about every ignore that matched no change.
    pub fn finish(self, notes: &mut Vec<String>) {
        for (ignore, used) in self.config.ignores.iter().zip(&self.used) {
            if !used {
                notes.push(format!(
                    "warning: ignore {:?} matches no drift (reason: {})",
                    ignore.address, ignore.reason
                ));
            }
        }
    }
}

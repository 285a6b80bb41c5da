//! [`Tally`]: everything one worker has counted, as one value per input
//! kind plus what was read from each file. A thin composition: each part
//! has its own `Default` and `merge`, and so does the whole.

use crate::files::FileStats;
use crate::filter::FilterHits;
use crate::iis::counts::IisCounts;
use crate::smtp::tally::SmtpCounts;
use rustc_hash::FxHashMap;

/// Everything one worker has counted. In a partial result or a state each
/// part is an object of its own (`smtp`, `iis`): serde's `flatten` would
/// buffer the whole body before reading it, which made loading a state
/// half again as slow.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// What SMTP protocol logs add up to.
    pub smtp: SmtpCounts,
    /// File index (into the input list) → what was read from it.
    #[serde(with = "crate::wire::pairs")]
    pub files: FxHashMap<usize, FileStats>,
    /// What each filter let through (session mode, with filters set).
    pub hits: FilterHits,
    /// What IIS logs add up to.
    pub iis: IisCounts,
}

impl Tally {
    /// The same counts in a form that does not depend on how the files
    /// were split into chunks (a partial result's bytes must not).
    pub fn canonical(&mut self) {
        for f in self.files.values_mut() {
            f.one_chunk();
        }
        self.iis.canonical();
    }

    /// What was read from file `id` so far.
    pub fn file(&mut self, id: usize) -> &mut FileStats {
        self.files.entry(id).or_default()
    }

    /// Adds `other` into `self`.
    pub fn merge(mut self, other: Tally) -> Tally {
        self.smtp = std::mem::take(&mut self.smtp).merge(other.smtp);
        for (k, v) in other.files {
            self.files.entry(k).or_default().merge(v);
        }
        self.hits.add(other.hits);
        self.iis.merge(other.iis);
        self
    }
}

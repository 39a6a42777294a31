//! Turning replication outcomes into a study: exact streaming sums, merged histograms,
//! and the summary of DESIGN §6–7.

pub(crate) mod pairs;
pub(crate) mod shard;
pub(crate) mod study;
pub(crate) mod summary;

pub use pairs::{PairedDifference, Pairs};
pub use shard::{ShardFile, ShardPrecision};
pub use study::{Coarsened, ExactFigures, MergeError, ServiceStudy, Study, SERVED_FRACTION_BITS};
pub use summary::{PrecisionSummary, ServiceSummary, Summary};

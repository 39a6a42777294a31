//! Turning replication outcomes into a study: per-replication rows, merged histograms,
//! and the summary of DESIGN §6–7.

pub(crate) mod shard;
pub(crate) mod study;
pub(crate) mod summary;

pub use shard::ShardFile;
pub use study::{ExactFigures, MergeError, ReplicationRow, ServiceStudy, Study};
pub use summary::{PrecisionSummary, ServiceSummary, Summary};

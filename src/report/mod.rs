//! Turning replication outcomes into a study: per-replication rows, merged histograms,
//! and the summary of DESIGN §6–7.

pub mod shard;
pub mod study;
pub mod summary;

pub use shard::ShardFile;
pub use study::{ReplicationRow, ServiceStudy, Study};
pub use summary::{ServiceSummary, Summary};

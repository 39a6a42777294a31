//! The compiled topology and the live network over it: which nodes are up, who reaches
//! whom, and at what latency.

pub(crate) mod network;
pub(crate) mod shapes;
pub(crate) mod topology;

//! Identities of things in a compiled scenario.

/// Index of a node in the compiled topology's node table.
pub type NodeId = u32;

//! Identities of things in a compiled scenario.

/// Index of a node in the compiled topology's node table.
///
/// A newtype so that a node id is never confused with another index (a service, a fault,
/// a zone); [`NodeId::index`] is the one way into a table indexed by node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

impl NodeId {
    /// The node at `index` in the node table.
    ///
    /// # Panics
    /// If `index` does not fit in `u32` (a topology that large is refused at compile time).
    pub fn new(index: usize) -> Self {
        NodeId(u32::try_from(index).expect("node index fits in u32"))
    }

    /// The position of the node in the node table (and in every table indexed by node).
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

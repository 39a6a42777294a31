//! Identities of things in a compiled scenario.
//!
//! Each id is a newtype over a `u32` index into one table of the compiled topology, so
//! that an index of one table is never used in another (a node as a zone, a region as a
//! service); `index()` is the one way into its table.

macro_rules! index_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            #[doc = concat!("The ", $what, " at `index` in its table.")]
            ///
            /// # Panics
            /// If `index` does not fit in `u32` (compiled topologies are far smaller).
            pub fn new(index: usize) -> Self {
                $name(u32::try_from(index).expect(concat!($what, " index fits in u32")))
            }

            #[doc = concat!("The position of the ", $what, " in its table (and in every table indexed by ", $what, ").")]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index_id!(
    /// Index of a node in the compiled topology's node table.
    NodeId,
    "node"
);
index_id!(
    /// Index of a region in the compiled topology's region table.
    RegionId,
    "region"
);
index_id!(
    /// Index of a zone in the compiled topology's zone table.
    ZoneId,
    "zone"
);

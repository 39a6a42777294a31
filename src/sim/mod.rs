//! The simulation engine: time, the event queue, random streams, the network, and the
//! run loop of one replication.

mod crews;
pub mod engine;
pub mod event;
pub mod faults;
mod ledger;
pub(crate) mod one_node;
pub mod queue;
mod radix_heap;
pub mod trace;

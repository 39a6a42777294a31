//! The simulation engine: time, the event queue, random streams, the network, and the
//! run loop of one replication.

mod crews;
pub mod engine;
pub mod event;
pub mod faults;
mod ledger;
mod quad_heap;
pub mod queue;
pub mod trace;

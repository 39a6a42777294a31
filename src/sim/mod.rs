//! The simulation engine: time, the event queue, random streams, the network, and the
//! run loop of one replication.

pub mod engine;
pub mod event;
pub mod faults;
pub mod network;
pub mod queue;
pub mod rng;
pub mod time;
pub mod topology;
pub mod trace;

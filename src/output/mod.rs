//! Exporters, one per format, and atomic file writing.

pub mod atomic;
pub mod csv;
pub mod table;
pub mod trace;

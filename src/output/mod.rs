//! Exporters, one per format, and atomic file writing.

pub mod atomic;
pub mod csv;
pub mod plot;
pub mod table;
pub mod timeline;
pub mod trace;

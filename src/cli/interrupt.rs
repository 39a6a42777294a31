//! Ctrl-C: the first raises a flag the running work obeys, a second ends the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Raised by the first Ctrl-C; a second one ends the process at once.
pub(super) fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = flag.clone();
    // A handler may already be installed (compare runs several studies): keep the first.
    let _ = ctrlc::set_handler(move || {
        if handler_flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    flag
}

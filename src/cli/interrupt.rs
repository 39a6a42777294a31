//! Ctrl-C (SIGINT) and SIGTERM: the first raises a flag the running work obeys (replications
//! read it every few thousand events), a second ends the process at once; either way our
//! temporary files are removed and the exit code is 128 + the signal (130, 143).
//!
//! `signal-hook` rather than `ctrlc`: `ctrlc` (even with its `termination` feature) runs one
//! closure for SIGINT, SIGTERM and SIGHUP alike without saying which came, and the exit code
//! must tell SIGINT (130) from SIGTERM (143). `signal-hook`'s iterator delivers each signal
//! to an ordinary thread (through a self-pipe), where taking a lock and removing files is
//! safe, unlike in a signal handler.

use crate::output::atomic::exit_removing_temporaries;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};

/// The first signal received, 0 before any.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The flag raised by the first signal, shared by every study of the process (compare
/// runs several).
static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The exit code after a signal: 128 + its number (130 for SIGINT, 143 for SIGTERM).
pub(super) fn exit_code() -> i32 {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => 128 + SIGINT,
        signal => 128 + signal,
    }
}

/// The signal that stopped the work, in words.
pub(super) fn signal_name() -> &'static str {
    if RECEIVED.load(Ordering::SeqCst) == SIGTERM {
        "SIGTERM"
    } else {
        "Ctrl-C"
    }
}

/// Raised by the first SIGINT or SIGTERM; a second one removes our temporary files and
/// ends the process. The listener thread starts on the first call.
pub(super) fn interrupt_flag() -> Arc<AtomicBool> {
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let raised = flag.clone();
        match Signals::new([SIGINT, SIGTERM]) {
            Ok(mut signals) => {
                std::thread::spawn(move || {
                    for signal in signals.forever() {
                        let _ = RECEIVED.compare_exchange(
                            0,
                            signal,
                            Ordering::SeqCst,
                            Ordering::SeqCst,
                        );
                        if raised.swap(true, Ordering::SeqCst) {
                            exit_now();
                        }
                    }
                });
            }
            Err(error) => say!("warning: Ctrl-C and SIGTERM cannot be caught: {error}"),
        }
        flag
    })
    .clone()
}

/// The second signal: our temporary files are removed and the process ends.
fn exit_now() -> ! {
    exit_removing_temporaries(exit_code())
}

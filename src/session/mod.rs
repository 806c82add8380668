//! The low-level session. Sessions themselves arrive with the low-level
//! session issue; what exists now are the hooks other modules call into.

use crate::capi::types::fuse_session;
use std::sync::atomic::{AtomicI32, Ordering};

/// The last exit signal delivered through fuse_set_signal_handlers' handler.
static LAST_EXIT_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Asks session `se` to exit because signal `sig` arrived. Called from a
/// signal handler, so it only touches atomics.
pub fn exit_from_signal(se: *mut fuse_session, sig: i32) {
    let _ = se;
    LAST_EXIT_SIGNAL.store(sig, Ordering::SeqCst);
}

/// The last signal recorded by [`exit_from_signal`], 0 if none.
pub fn last_exit_signal() -> i32 {
    LAST_EXIT_SIGNAL.load(Ordering::SeqCst)
}

//! For tests: an item that counts its drops, to see when (and that only once) memory is freed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Adds one to its counter when dropped.
pub(crate) struct Counted(pub(crate) Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

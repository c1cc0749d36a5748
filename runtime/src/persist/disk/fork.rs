//! `fork()` after a file was opened: LMDB forbids a child to use its parent's handle (the
//! child would share the parent's slot in the reader table, and a writer could then reuse
//! pages that one of them is still reading). A `pthread_atfork` handler counts forks in the
//! child; a file remembers the count it was opened at, and refuses to be used under another.
#![allow(unsafe_code)]

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many forks made this process, counting its ancestors' since the handler was installed.
static FORKS: AtomicU64 = AtomicU64::new(0);

/// The count now, installing the handler on the first call (before any file is opened).
pub(super) fn at_open() -> u64 {
    static HANDLER: Once = Once::new();
    HANDLER.call_once(install);
    now()
}

/// The count now: a file opened under another count belongs to an ancestor process.
pub(super) fn now() -> u64 {
    // Relaxed: the child's only thread wrote it in the handler, before any code of the child.
    FORKS.load(Ordering::Relaxed)
}

#[cfg(all(unix, not(miri)))]
fn install() {
    // SAFETY: the handler is an `extern "C"` function without arguments that does not unwind;
    // it only adds to an atomic, which is async-signal-safe, as a child's handler must be.
    let failed = unsafe { libc::pthread_atfork(None, None, Some(child)) };
    debug_assert_eq!(failed, 0, "pthread_atfork");
}

#[cfg(not(all(unix, not(miri))))]
fn install() {}

#[cfg(all(unix, not(miri)))]
extern "C" fn child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

//! The crash guard's writer side (see `disk/guard.rs`): marks the file `Dirty` before a commit,
//! and, once this process's writes have paused for [`IDLE`], flushes the file to the disk and
//! marks it `Clean`, on a thread of its own, so that a miss never waits for the disk.
//!
//! A process that exits less than [`IDLE`] after its last write leaves the file `Dirty`; the
//! next process to open it in this boot marks it `Clean` [`IDLE`] after opening. Until then
//! an OS crash or a power cut empties the cache.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use heed::Env;

use super::guard::Guard;

/// How long this process's writes must pause before the file is flushed and marked `Clean`.
pub(super) const IDLE: Duration = Duration::from_secs(1);

/// Marks the file `Dirty` before commits and `Clean` after them; stops (marking the file
/// `Clean` if it wrote) when dropped.
pub(super) struct Flusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    env: Env,
    guard: Guard,
    pending: Mutex<Pending>,
    wake: Condvar,
}

#[derive(Default)]
struct Pending {
    /// When this process last committed, if the file has not been marked `Clean` since.
    written: Option<Instant>,
    stop: bool,
}

impl Flusher {
    /// Starts the thread; `dirty`: the record says `Dirty` already (another process's
    /// writes), to be marked `Clean` after [`IDLE`] as if this process had written.
    pub(super) fn start(env: Env, guard: Guard, dirty: bool) -> std::io::Result<Flusher> {
        let shared = Arc::new(Shared {
            env,
            guard,
            pending: Mutex::new(Pending {
                written: dirty.then(Instant::now),
                stop: false,
            }),
            wake: Condvar::new(),
        });
        let thread = std::thread::Builder::new()
            .name("py38-disk-flush".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || shared.run()
            })?;
        Ok(Flusher {
            shared,
            thread: Some(thread),
        })
    }

    /// With LMDB's writer lock held, before committing: see [`Guard::before_commit`].
    pub(super) fn before_commit(&self) -> std::io::Result<()> {
        self.shared.guard.before_commit()
    }

    /// After committing: the file is to be marked `Clean` once writes pause.
    /// Wakes the thread only if it was waiting for a first write: otherwise it is waiting
    /// for the pause to end, and finds the later write when it wakes (a wake-up per commit
    /// cost a miss a context switch: 9.3 us instead of 5 us in the bench).
    pub(super) fn after_commit(&self) {
        let was_waiting = self
            .shared
            .pending()
            .written
            .replace(Instant::now())
            .is_none();
        if was_waiting {
            self.shared.wake.notify_one();
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.shared.pending().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread runs no user code and does not panic but on a poisoned lock it
            // ignores; a panic there is already reported by the panic hook.
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self) {
        let mut pending = self.pending();
        loop {
            let Some(written) = pending.written else {
                if pending.stop {
                    return;
                }
                pending = self
                    .wake
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            let idle = written.elapsed();
            if idle < IDLE && !pending.stop {
                pending = self
                    .wake
                    .wait_timeout(pending, IDLE - idle)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                continue;
            }
            pending.written = None;
            drop(pending);
            let cleaned = self.mark_clean();
            pending = self.pending();
            if !cleaned && pending.written.is_none() && !pending.stop {
                // Failed (a full disk, say): the file stays `Dirty`; try again later.
                pending.written = Some(Instant::now());
            }
        }
    }

    /// Flushes the file, then marks it `Clean` if no commit came meanwhile (checked under
    /// LMDB's writer lock, which every commit takes, so none can come between the check and
    /// the record). Whether it did, or found no need to.
    fn mark_clean(&self) -> bool {
        let last = self.env.info().last_txn_id;
        if self.env.force_sync().is_err() {
            return false;
        }
        let Ok(txn) = self.env.write_txn() else {
            return false;
        };
        let marked = if self.env.info().last_txn_id == last {
            self.guard
                .mark_clean(u64::try_from(last).unwrap_or(u64::MAX))
                .is_ok()
        } else {
            // A commit came after the flush: its process marked the file `Dirty` and will
            // mark it `Clean` itself.
            true
        };
        drop(txn);
        marked
    }
}

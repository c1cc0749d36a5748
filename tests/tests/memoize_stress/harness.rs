//! The harness: duration, turns, watchdog, workers, a random number generator.

use std::io::Write;
use std::panic::resume_unwind;
use std::sync::{
    Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::values::quiet_bombs;
use crate::{WATCHDOG_SLACK, WORKER_STACK};

/// The duration of one workload: `PY38_STRESS_SECS`, else 2 s.
fn stress_duration() -> Duration {
    match std::env::var("PY38_STRESS_SECS") {
        Ok(text) => Duration::from_secs_f64(
            text.trim()
                .parse()
                .unwrap_or_else(|e| panic!("PY38_STRESS_SECS={text:?}: {e}")),
        ),
        Err(_) => Duration::from_secs(2),
    }
}

/// Tests share the process; the memory test measures it, so it runs alone (writer), the others
/// side by side (readers).
static TURNS: RwLock<()> = RwLock::new(());

/// Locks a mutex, whether or not a panicking thread held it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the watchdog watches: the test's phase and whether it has finished.
struct Watch {
    phase: Mutex<String>,
    done: Mutex<bool>,
    wake: Condvar,
}

impl Watch {
    /// Waits for the test to finish; if it has not within `budget`, says where it hangs and
    /// aborts the process.
    fn guard(&self, test: &str, budget: Duration) {
        let deadline = Instant::now() + budget;
        let mut done = lock(&self.done);
        while !*done {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // Straight to stderr: the test harness captures `eprintln!`, and would never
                // show what it captured, as the process is about to abort.
                let _ = writeln!(
                    std::io::stderr(),
                    "[stress {test}] WATCHDOG: phase {:?} has not finished {budget:?} after the \
                     test started: a call hangs; aborting the process",
                    *lock(&self.phase)
                );
                std::process::abort();
            }
            done = self
                .wake
                .wait_timeout(done, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// One test's run: its turn in the process, its duration, its watchdog.
pub(crate) struct Stress {
    name: &'static str,
    pub(crate) duration: Duration,
    pub(crate) seed: u64,
    started: Instant,
    watch: Arc<Watch>,
    watchdog: Option<thread::JoinHandle<()>>,
    _side_by_side: Option<RwLockReadGuard<'static, ()>>,
    _alone: Option<RwLockWriteGuard<'static, ()>>,
}

impl Stress {
    /// Starts a test that may run beside the others.
    pub(crate) fn new(name: &'static str) -> Self {
        let turn = TURNS.read().unwrap_or_else(PoisonError::into_inner);
        Self::start(name, Some(turn), None)
    }

    /// Starts a test that runs while no other test of this binary does.
    pub(crate) fn alone(name: &'static str) -> Self {
        let turn = TURNS.write().unwrap_or_else(PoisonError::into_inner);
        Self::start(name, None, Some(turn))
    }

    fn start(
        name: &'static str,
        side_by_side: Option<RwLockReadGuard<'static, ()>>,
        alone: Option<RwLockWriteGuard<'static, ()>>,
    ) -> Self {
        quiet_bombs();
        let duration = stress_duration();
        let watch = Arc::new(Watch {
            phase: Mutex::new("starting".to_owned()),
            done: Mutex::new(false),
            wake: Condvar::new(),
        });
        let watchdog = thread::Builder::new()
            .name(format!("watchdog-{name}"))
            .spawn({
                let watch = Arc::clone(&watch);
                move || watch.guard(name, duration + WATCHDOG_SLACK)
            })
            .expect("spawn the watchdog");
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |since| since.as_nanos() as u64);
        println!("[stress {name}] {duration:?} per workload, seed {seed}");
        Stress {
            name,
            duration,
            seed,
            started: Instant::now(),
            watch,
            watchdog: Some(watchdog),
            _side_by_side: side_by_side,
            _alone: alone,
        }
    }

    /// Tells the watchdog what the test is doing now.
    pub(crate) fn phase(&self, phase: &str) {
        *lock(&self.watch.phase) = phase.to_owned();
    }

    /// Runs `work(worker, rng)` over and over on `threads` threads for the test's duration;
    /// returns once every worker has returned, with how many times `work` ran.
    pub(crate) fn run(
        &self,
        phase: &str,
        threads: usize,
        work: impl Fn(usize, &mut Rng) + Sync,
    ) -> u64 {
        self.run_for(phase, threads, self.duration, work)
    }

    /// [`Stress::run`] for a duration of its own.
    pub(crate) fn run_for(
        &self,
        phase: &str,
        threads: usize,
        duration: Duration,
        work: impl Fn(usize, &mut Rng) + Sync,
    ) -> u64 {
        self.phase(phase);
        let deadline = Instant::now() + duration;
        let (name, seed, work) = (self.name, self.seed, &work);
        thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    thread::Builder::new()
                        .name(format!("{name}-{t}"))
                        .stack_size(WORKER_STACK)
                        .spawn_scoped(s, move || {
                            let mut rng = Rng::new(seed ^ t as u64);
                            let mut iterations = 0;
                            while Instant::now() < deadline {
                                work(t, &mut rng);
                                iterations += 1;
                            }
                            iterations
                        })
                        .expect("spawn a worker")
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().unwrap_or_else(|p| resume_unwind(p)))
                .sum()
        })
    }
}

impl Drop for Stress {
    fn drop(&mut self) {
        *lock(&self.watch.done) = true;
        self.watch.wake.notify_all();
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
        println!("[stress {}] took {:?}", self.name, self.started.elapsed());
    }
}

/// xorshift64*: a worker's choices, cheap and without a dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub(crate) fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

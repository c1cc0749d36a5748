//! Where a sandbox refuses `membarrier` (seccomp in a container, gVisor), evicted results are
//! still freed, and soon: the store falls back to fences, neither to the global command (a
//! wait for every CPU of the machine at each sealed batch) nor to keeping everything.
//!
//! Each case runs in a child process (this binary again, one test of it): the child installs
//! a seccomp filter that refuses `membarrier`, for all its threads, before any memoized call,
//! so the runtime meets the refusal from its start-up on. Three filters: one refuses every
//! `membarrier` call; one lets the query and the registration through and refuses the
//! commands (private expedited, global), as some sandboxes do; one refuses only the private
//! expedited command, and there the workload must not take as long as a global barrier per
//! sealed batch would. Where seccomp itself is not allowed, the child says so and the case is
//! skipped.
//! A filter, once installed, stays for the process's life: only a child has one, and a child
//! runs this one test (`--exact`), nothing else of the binary.

// The child installs the filter and checks it with raw system calls (`prctl`, `seccomp`,
// `membarrier`) through `libc`: there is no safe wrapper for these.
#![allow(unsafe_code)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use py38::memoize;

use crate::support::test_name;

/// Set in the child's environment: which filter to install (see [`Refuse::env_value`]).
const CHILD_ENV: &str = "PY38_SECCOMP_CHILD";
/// The child test's name (its path in the binary, for `--exact`: see [`child_test`]).
const CHILD_TEST: &str = "child_runs_the_workload_with_membarrier_refused";
/// The line a child prints when the system does not let it install a filter.
const SKIPPED: &str = "skipped: seccomp unavailable";
/// The line a child prints once it ran the workload and its checks passed.
const DONE: &str = "py38-seccomp-child: done";

/// The calls every thread makes, over `KEYS` keys: nearly all misses at `maxsize = 4`.
const CALLS_PER_THREAD: u64 = 5_000;
const KEYS: u64 = 1_000;
/// Threads calling at once, the test's own thread included.
const THREADS: u64 = 4;
/// How many unlinked results the runtime gathers before it seals them with one barrier (its
/// `epoch::SEAL_AT`): each miss at `maxsize` unlinks one.
const SEAL_AT: u64 = 64;
/// Live results allowed once the cache is cleared: its 4 entries, and up to two batches of
/// unlinked ones still waiting.
const LIVE_AFTER_CLEAR: isize = 4 + 2 * SEAL_AT as isize;
/// The workload takes well under a second with fences.
const WORKLOAD_LIMIT: Duration = Duration::from_secs(60);
/// How long a child may take in all before it is killed.
const CHILD_LIMIT: Duration = Duration::from_secs(180);

/// Which `membarrier` calls the child's filter refuses (with `EPERM`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refuse {
    /// Every call, the query included: the runtime cannot even register.
    All,
    /// Only the barrier commands (`MEMBARRIER_CMD_PRIVATE_EXPEDITED` and
    /// `MEMBARRIER_CMD_GLOBAL`); the query and the registration succeed.
    Commands,
    /// Only `MEMBARRIER_CMD_PRIVATE_EXPEDITED`: the global command works, and is slow.
    PrivateOnly,
}

impl Refuse {
    const EVERY: [Refuse; 3] = [Refuse::All, Refuse::Commands, Refuse::PrivateOnly];

    fn env_value(self) -> &'static str {
        match self {
            Refuse::All => "refuse_all",
            Refuse::Commands => "refuse_private",
            Refuse::PrivateOnly => "refuse_private_allow_global",
        }
    }

    fn from_env() -> Option<Self> {
        let value = std::env::var(CHILD_ENV).ok()?;
        let found = Refuse::EVERY.into_iter().find(|r| r.env_value() == value);
        Some(found.unwrap_or_else(|| panic!("{CHILD_ENV}={value}: no such variant")))
    }
}

/// The child test's name as the test harness knows it, with its module's path.
fn child_test() -> String {
    test_name(module_path!(), CHILD_TEST)
}

/// Results alive right now: made, cloned, not yet dropped.
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// A result that counts its live instances in [`LIVE`].
#[derive(Debug)]
struct Tracked(u64);

impl Tracked {
    fn new(value: u64) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Tracked(value)
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        Tracked::new(self.0)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What `f` returns, unmemoized.
fn expected(n: u64) -> u64 {
    (n ^ 0x5DEE_CE66)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
}

#[memoize(maxsize = 4)]
fn f(n: u64) -> Tracked {
    Tracked::new(expected(n))
}

/// One thread's calls, over keys from its own pseudo-random sequence; checks each result.
fn calls(thread: u64) {
    let mut state = thread.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1;
    for _ in 0..CALLS_PER_THREAD {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = state % KEYS;
        assert_eq!(f(n).0, expected(n), "f({n})");
    }
}

/// Runs the child for `refuse` and checks that it passed or skipped; shows its output.
fn run_child(refuse: Refuse) {
    if std::env::var_os(CHILD_ENV).is_some() {
        return; // in a child: only its own test runs
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .args(["--exact", &child_test(), "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, refuse.env_value())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child starts");
    // Read on threads of their own, so that a full pipe never blocks the child.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).expect("the child's output");
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + CHILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            break Some(status);
        }
        if Instant::now() > deadline {
            child.kill().expect("the child is killed");
            child.wait().expect("the killed child's status");
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let variant = refuse.env_value();
    println!("--- child ({variant}) stdout:\n{stdout}--- child ({variant}) stderr:\n{stderr}---");
    let Some(status) = status else {
        panic!("the child ({variant}) took more than {CHILD_LIMIT:?}: killed");
    };
    assert!(status.success(), "the child ({variant}) failed: {status}");
    if let Some(line) = stdout.lines().find(|line| line.starts_with(SKIPPED)) {
        println!("SKIPPED ({variant}): {line}");
        return;
    }
    assert!(
        stdout.lines().any(|line| line == DONE),
        "the child ({variant}) ran no workload: is {CHILD_TEST} still the child test's name?"
    );
}

#[test]
fn evicted_results_are_freed_when_every_membarrier_call_is_refused() {
    run_child(Refuse::All);
}

#[test]
fn evicted_results_are_freed_when_only_the_barrier_commands_are_refused() {
    run_child(Refuse::Commands);
}

#[test]
fn no_global_barrier_per_batch_when_only_the_private_command_is_refused() {
    run_child(Refuse::PrivateOnly);
}

/// The child's test: nothing unless [`CHILD_ENV`] is set.
#[test]
fn child_runs_the_workload_with_membarrier_refused() {
    let Some(refuse) = Refuse::from_env() else {
        return;
    };
    // Before any memoized call in this process.
    if let Err(why) = sandbox::refuse_membarrier(refuse) {
        println!("{SKIPPED}: {why}");
        return;
    }
    let variant = refuse.env_value();
    println!("filter installed: membarrier refused ({variant})");
    // What a global barrier costs here, where the filter lets it through.
    let global = match refuse {
        Refuse::PrivateOnly => sandbox::global_barrier_cost(),
        Refuse::All | Refuse::Commands => None,
    };

    let start = Instant::now();
    thread::scope(|s| {
        for thread in 1..THREADS {
            s.spawn(move || calls(thread));
        }
        calls(0);
    });
    let elapsed = start.elapsed();
    let info = f::cache_info();
    let live = LIVE.load(Ordering::SeqCst);
    println!("workload: {THREADS} threads, {elapsed:?}, {info}; live before clear: {live}");
    assert_eq!(info.hits + info.misses, THREADS * CALLS_PER_THREAD);

    f::cache_clear();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut live = LIVE.load(Ordering::SeqCst);
    while live > LIVE_AFTER_CLEAR && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
        live = LIVE.load(Ordering::SeqCst);
    }
    println!("live after cache_clear: {live} (at most {LIVE_AFTER_CLEAR} expected)");
    assert!(
        live <= LIVE_AFTER_CLEAR,
        "{live} results alive after cache_clear: evicted ones are not freed"
    );
    assert!(
        elapsed <= WORKLOAD_LIMIT,
        "the workload took {elapsed:?}: a global barrier per sealed batch?"
    );
    if let Some(global) = global {
        // A global barrier per sealed batch would take at least this long; fences take a
        // small part of it. Checked only where that is long enough to tell apart.
        let batches = u32::try_from(info.misses / SEAL_AT).expect("a few hundred");
        let with_global = global * batches;
        println!("one global barrier: {global:?}; {batches} batches: {with_global:?}");
        if with_global >= Duration::from_secs(1) {
            assert!(
                elapsed < with_global / 2,
                "the workload took {elapsed:?}: about a global barrier per sealed batch"
            );
        } else {
            println!("timing not checked: a global barrier is too cheap here to tell");
        }
    }
    println!("{DONE}");
}

#[cfg(all(
    target_os = "linux",
    target_endian = "little",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod sandbox {
    //! A seccomp filter that refuses `membarrier`, installed for every thread of the process.

    use super::Refuse;
    use std::io::Error;
    use std::time::{Duration, Instant};

    // linux/membarrier.h (libc has them for Android only).
    const MEMBARRIER_CMD_QUERY: libc::c_int = 0;
    const MEMBARRIER_CMD_GLOBAL: libc::c_int = 1;
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    // linux/audit.h (not in libc).
    #[cfg(target_arch = "x86_64")]
    const AUDIT_ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64
    #[cfg(target_arch = "aarch64")]
    const AUDIT_ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64

    /// Where a filter reads the call's architecture, number, and first argument's low half
    /// (little-endian) in `struct seccomp_data`.
    const ARCH: u32 = core::mem::offset_of!(libc::seccomp_data, arch) as u32;
    const NR: u32 = core::mem::offset_of!(libc::seccomp_data, nr) as u32;
    const ARG0: u32 = core::mem::offset_of!(libc::seccomp_data, args) as u32;

    const LOAD: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const JUMP_IF_EQUAL: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RETURN: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
    const REFUSE: u32 = libc::SECCOMP_RET_ERRNO | (libc::EPERM as u32 & libc::SECCOMP_RET_DATA);

    fn op(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
        libc::sock_filter { code, jt, jf, k }
    }

    /// The filter's program: `membarrier` calls of this architecture with a refused command
    /// fail with `EPERM`; other calls pass.
    fn program(refuse: Refuse) -> Vec<libc::sock_filter> {
        let commands: &[libc::c_int] = match refuse {
            Refuse::All => &[], // every call: the command is not looked at
            Refuse::Commands => &[MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_GLOBAL],
            Refuse::PrivateOnly => &[MEMBARRIER_CMD_PRIVATE_EXPEDITED],
        };
        // Where the two returns are: after the checks of the architecture and the number
        // (4 instructions), then the command's load and one check per command.
        let checks = if commands.is_empty() {
            0
        } else {
            1 + commands.len()
        };
        let (refused, allowed) = (4 + checks, 5 + checks);
        // A jump's offset counts the instructions it skips.
        let to = |target: usize, at: usize| u8::try_from(target - at - 1).expect("short");
        let mut program = vec![
            op(LOAD, ARCH, 0, 0),
            op(JUMP_IF_EQUAL, AUDIT_ARCH, 0, to(allowed, 1)),
            op(LOAD, NR, 0, 0),
            op(
                JUMP_IF_EQUAL,
                libc::SYS_membarrier as u32,
                0,
                to(allowed, 3),
            ),
        ];
        if !commands.is_empty() {
            program.push(op(LOAD, ARG0, 0, 0));
            for (i, &command) in commands.iter().enumerate() {
                let at = program.len();
                let last = i + 1 == commands.len();
                let otherwise = if last { to(allowed, at) } else { 0 };
                program.push(op(
                    JUMP_IF_EQUAL,
                    command as u32,
                    to(refused, at),
                    otherwise,
                ));
            }
        }
        program.push(op(RETURN, REFUSE, 0, 0));
        program.push(op(RETURN, ALLOW, 0, 0));
        assert_eq!(program.len(), allowed + 1);
        program
    }

    /// `membarrier(cmd, 0, 0)`: its result, or the error.
    fn membarrier(cmd: libc::c_int) -> Result<libc::c_long, Error> {
        let (flags, cpu): (libc::c_uint, libc::c_int) = (0, 0);
        // SAFETY: membarrier takes integers only and touches no memory of the caller's.
        let result = unsafe { libc::syscall(libc::SYS_membarrier, cmd, flags, cpu) };
        if result < 0 {
            Err(Error::last_os_error())
        } else {
            Ok(result)
        }
    }

    /// Installs the filter on every thread of the process, and checks that it refuses what
    /// it should. `Err` if the system does not allow a filter (the case is then skipped);
    /// panics if the filter, installed, does not work as meant.
    pub(super) fn refuse_membarrier(refuse: Refuse) -> Result<(), String> {
        let supported = membarrier(MEMBARRIER_CMD_QUERY).unwrap_or(0);
        println!("membarrier query before the filter: {supported:#x}");

        // SAFETY: prctl with integer arguments only; it sets a flag of this process's.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            let why = Error::last_os_error();
            return Err(format!("prctl(PR_SET_NO_NEW_PRIVS): {why}"));
        }
        let mut filter = program(refuse);
        let prog = libc::sock_fprog {
            len: u16::try_from(filter.len()).expect("a short program"),
            filter: filter.as_mut_ptr(),
        };
        // SAFETY: `prog` points to `filter`, both alive for the call; the kernel copies the
        // program. TSYNC: every thread of the process gets the filter, not just this one.
        let result = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                libc::SECCOMP_FILTER_FLAG_TSYNC,
                &raw const prog,
            )
        };
        if result < 0 {
            let why = Error::last_os_error();
            return Err(format!("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): {why}"));
        }
        assert_eq!(result, 0, "thread {result} could not take the filter");

        let refused = |cmd: libc::c_int, name: &str| match membarrier(cmd) {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            other => panic!("membarrier({name}) under the filter: {other:?}, not EPERM"),
        };
        if refuse == Refuse::All {
            refused(MEMBARRIER_CMD_QUERY, "QUERY");
        } else {
            let query = membarrier(MEMBARRIER_CMD_QUERY);
            assert_eq!(query.ok(), Some(supported), "the query passes");
            if supported & libc::c_long::from(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 {
                let registered = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
                assert_eq!(registered.ok(), Some(0), "the registration passes");
            } else {
                println!("note: this kernel has no private expedited membarrier");
            }
        }
        refused(MEMBARRIER_CMD_PRIVATE_EXPEDITED, "PRIVATE_EXPEDITED");
        if refuse == Refuse::PrivateOnly {
            assert_eq!(
                membarrier(MEMBARRIER_CMD_GLOBAL).ok(),
                Some(0),
                "GLOBAL passes"
            );
        } else {
            refused(MEMBARRIER_CMD_GLOBAL, "GLOBAL");
        }
        // The workload's threads, made from now on, inherit it.
        let other = std::thread::spawn(move || {
            refused(MEMBARRIER_CMD_PRIVATE_EXPEDITED, "PRIVATE_EXPEDITED");
        });
        other.join().expect("refused on another thread too");
        Ok(())
    }

    /// The shortest of a few `membarrier(MEMBARRIER_CMD_GLOBAL)` calls, if it works.
    pub(super) fn global_barrier_cost() -> Option<Duration> {
        (0..5)
            .map(|_| {
                let start = Instant::now();
                membarrier(MEMBARRIER_CMD_GLOBAL).ok()?;
                Some(start.elapsed())
            })
            .min()
            .flatten()
    }
}

#[cfg(not(all(
    target_os = "linux",
    target_endian = "little",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod sandbox {
    //! No seccomp filter here: the cases are skipped.

    use super::Refuse;
    use std::time::Duration;

    pub(super) fn refuse_membarrier(_: Refuse) -> Result<(), String> {
        Err("not Linux on x86_64 or aarch64".to_owned())
    }

    pub(super) fn global_barrier_cost() -> Option<Duration> {
        None
    }
}

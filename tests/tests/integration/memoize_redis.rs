//! `#[memoize(store = redis)]` against a real Redis server that each test starts on a free
//! loopback port (and stops). The memoized functions run in child processes of this test
//! binary, which find the server through `PY38_REDIS_URL`; `PY38_TEST_ROLE` says what to do.
//! Needs `redis-server` on the `PATH` (`.ci/run` installs it).

use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use py38::memoize;

use crate::support::{role, test_name};

/// A `redis-server` of this test's own, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// On a free port. Tests run in parallel, and two may pick the same free port: a server
    /// that does not answer as itself (its process id) gives way to a new attempt.
    fn start() -> Server {
        for _ in 0..20 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            if let Some(server) = Server::try_start_on(port) {
                return server;
            }
        }
        panic!("could not start redis-server on a free port");
    }

    fn start_on(port: u16) -> Server {
        Server::try_start_on(port).expect("redis-server did not start on its port")
    }

    fn try_start_on(port: u16) -> Option<Server> {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is not installed (.ci/run installs it)");
        let mut server = Server { child, port };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if server.child.try_wait().unwrap().is_some() {
                return None; // could not bind the port
            }
            match server.answering_pid() {
                Some(pid) if pid == server.child.id() => return Some(server),
                Some(_) => {
                    server.stop();
                    return None;
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        server.stop();
        None
    }

    /// The process id of the server answering on the port, if one does.
    fn answering_pid(&self) -> Option<u32> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        std::io::Write::write_all(&mut stream, b"INFO server\r\n").ok()?;
        let mut reply = Vec::new();
        let mut chunk = [0_u8; 4096];
        while !String::from_utf8_lossy(&reply).contains("process_id:") || !reply.ends_with(b"\r\n")
        {
            let read = stream.read(&mut chunk).ok()?;
            if read == 0 {
                break;
            }
            reply.extend_from_slice(&chunk[..read]);
        }
        let reply = String::from_utf8_lossy(&reply);
        let line = reply.lines().find(|l| l.starts_with("process_id:"))?;
        line["process_id:".len()..].trim().parse().ok()
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs this binary's test `name` in a child process, in `role`, against `server`; its output.
fn child(name: &str, role: &str, server: &Server) -> String {
    let output = spawn(name, role, server).wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "child {role} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn spawn(name: &str, role: &str, server: &Server) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            &*test_name(module_path!(), name),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PY38_TEST_ROLE", role)
        .env("PY38_REDIS_URL", server.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

static AREA_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = redis)]
fn area(width: u32, label: &str) -> String {
    AREA_RUNS.fetch_add(1, Ordering::SeqCst);
    format!("{label}: {}", width * width)
}

#[test]
fn two_processes_share_one_redis_cache() {
    match role().as_deref() {
        Some("first") => {
            assert_eq!(area(3, "small"), "small: 9");
            assert_eq!(area(3, "small"), "small: 9");
            println!(
                "runs={} {}",
                AREA_RUNS.load(Ordering::SeqCst),
                area::cache_info()
            );
            return;
        }
        Some("second") => {
            assert_eq!(area(3, "small"), "small: 9");
            println!(
                "runs={} {}",
                AREA_RUNS.load(Ordering::SeqCst),
                area::cache_info()
            );
            assert!(area::cache_invalidate(3, "small"));
            assert!(!area::cache_invalidate(3, "small"));
            println!("errors={}", area::cache_errors());
            return;
        }
        Some(_) => return,
        None => {}
    }
    let server = Server::start();
    let name = "two_processes_share_one_redis_cache";
    let first = child(name, "first", &server);
    assert!(
        first.contains("runs=1 CacheInfo(hits=1, misses=1, maxsize=128, currsize=1)"),
        "{first}"
    );
    let second = child(name, "second", &server);
    assert!(
        second.contains("runs=0 CacheInfo(hits=1, misses=0, maxsize=128, currsize=1)"),
        "the second process hit what the first computed: {second}"
    );
    assert!(second.contains("errors=0"), "{second}");
}

static SHORT_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = redis, ttl = 1, maxsize = 2)]
fn short_lived(n: u64) -> u64 {
    SHORT_RUNS.fetch_add(1, Ordering::SeqCst);
    n * 10
}

#[test]
fn ttl_maxsize_and_clear_on_redis() {
    if role().as_deref() == Some("child") {
        let runs = || SHORT_RUNS.load(Ordering::SeqCst);
        short_lived::cache_clear();
        // maxsize = 2: calls 1, 2, 1, 3 leave 1 and 3; 2 was the least recently used.
        for n in [1, 2, 1, 3] {
            assert_eq!(short_lived(n), n * 10);
        }
        assert_eq!(runs(), 3);
        assert_eq!(short_lived::cache_info().currsize, 2);
        assert_eq!(short_lived(1), 10);
        assert_eq!(runs(), 3, "1 was kept");
        assert_eq!(short_lived(2), 20);
        assert_eq!(runs(), 4, "2 was evicted");
        // ttl = 1 s, by Redis's own expiry; expired entries are not counted.
        std::thread::sleep(Duration::from_millis(1200));
        assert_eq!(short_lived::cache_info().currsize, 0, "both expired");
        assert_eq!(short_lived(2), 20);
        assert_eq!(runs(), 5, "expired");
        // cache_clear empties this function's entries and statistics.
        short_lived::cache_clear();
        let info = short_lived::cache_info();
        assert_eq!((info.hits, info.misses, info.currsize), (0, 0, 0));
        assert_eq!(short_lived(2), 20);
        assert_eq!(runs(), 6, "cleared");
        assert_eq!(short_lived::cache_errors(), 0);
        println!("done");
        return;
    }
    if role().is_some() {
        return;
    }
    let server = Server::start();
    let output = child("ttl_maxsize_and_clear_on_redis", "child", &server);
    assert!(output.contains("done"), "{output}");
}

static STEADY_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = redis, maxsize = None)]
fn steady(n: u64) -> u64 {
    STEADY_RUNS.fetch_add(1, Ordering::SeqCst);
    n + 100
}

fn wait_for(path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} never came",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// [`wait_for`], failing with the child's output if it ends first.
fn wait_while_running(path: &Path, child: &mut Child) {
    let started = Instant::now();
    while !path.exists() {
        if child.try_wait().unwrap().is_some() {
            let mut output = String::new();
            for stream in [
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read>),
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read>),
            ]
            .into_iter()
            .flatten()
            {
                let mut stream = stream;
                let _ = stream.read_to_string(&mut output);
            }
            panic!("the child ended before {}:\n{output}", path.display());
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} never came",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(path: &Path) {
    std::fs::write(path, b"").unwrap();
}

#[test]
fn redis_stopped_mid_run_then_restarted() {
    let dir = PathBuf::from(std::env::var("PY38_TEST_DIR").unwrap_or_default());
    if role().as_deref() == Some("child") {
        assert_eq!(steady(1), 101);
        assert_eq!(steady(1), 101);
        assert_eq!(steady::cache_info().hits, 1);
        signal(&dir.join("ready"));
        wait_for(&dir.join("stopped"));
        // The server is gone: calls still return correct results, quickly, without panics.
        for n in [1, 2, 2, 3] {
            let started = Instant::now();
            assert_eq!(steady(n), n + 100);
            assert!(started.elapsed() < Duration::from_secs(2), "a call hung");
        }
        assert!(steady::cache_errors() >= 1, "the failures are counted");
        signal(&dir.join("checked"));
        wait_for(&dir.join("restarted"));
        // Back: the store is used again once it has rested (about a second).
        let started = Instant::now();
        let hits = steady::cache_info().hits;
        loop {
            assert_eq!(steady(7), 107);
            if steady::cache_info().hits > hits {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "never recovered"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        println!("recovered");
        return;
    }
    if role().is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("py38-redis-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = Server::start();
    let port = server.port;
    let mut running = Command::new(std::env::current_exe().unwrap())
        .args([
            &*test_name(module_path!(), "redis_stopped_mid_run_then_restarted"),
            "--exact",
            "--nocapture",
        ])
        .env("PY38_TEST_ROLE", "child")
        .env("PY38_REDIS_URL", server.url())
        .env("PY38_TEST_DIR", &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_while_running(&dir.join("ready"), &mut running);
    server.stop();
    signal(&dir.join("stopped"));
    wait_while_running(&dir.join("checked"), &mut running);
    let _server = Server::start_on(port);
    signal(&dir.join("restarted"));
    let status = running.wait().unwrap();
    let mut stdout = String::new();
    running
        .stdout
        .as_mut()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(status.success() && stdout.contains("recovered"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_incompatible_version_is_not_read() {
    // One function's namespace at two versions: two builds of one program, which a single
    // build cannot hold, so the test calls what generated code calls.
    use py38::__private::persist::{Backend, Key, Namespace, Persistent, Policy, arg};
    if role().as_deref() == Some("child") {
        let at = |version| {
            Persistent::new(
                Backend::Redis(None),
                Namespace {
                    krate: "py38-tests",
                    version,
                    function: "versions::f",
                    types: "(u32) -> String",
                },
                Policy::default(),
            )
        };
        let (v1, v2) = (at("1"), at("2"));
        let key = || Key::new().part(arg(&7_u32));
        assert_eq!(v1.call(key(), || "one".to_owned()), "one");
        assert_eq!(v1.call(key(), || "not run".to_owned()), "one");
        assert_eq!(
            v2.call(key(), || "two".to_owned()),
            "two",
            "v2 does not read v1's"
        );
        assert_eq!(v1.call(key(), || "not run".to_owned()), "one");
        println!("done errors={}", v1.errors() + v2.errors());
        return;
    }
    if role().is_some() {
        return;
    }
    let server = Server::start();
    let output = child("an_incompatible_version_is_not_read", "child", &server);
    assert!(output.contains("done errors=0"), "{output}");
}

static REPORT_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = redis, ttl = 60)]
async fn report(id: u64) -> String {
    REPORT_RUNS.fetch_add(1, Ordering::SeqCst);
    std::future::ready(()).await;
    format!("report {id}")
}

#[test]
fn async_functions_share_a_redis_cache_across_executors() {
    match role().as_deref() {
        Some("tokio") => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            let tasks: Vec<_> = (1..=3).map(|id| runtime.spawn(report(id))).collect();
            for (id, task) in (1..=3).zip(tasks) {
                assert_eq!(runtime.block_on(task).unwrap(), format!("report {id}"));
            }
            println!(
                "runs={} errors={}",
                REPORT_RUNS.load(Ordering::SeqCst),
                report::cache_errors()
            );
            return;
        }
        Some("smol") => {
            for id in 1..=3 {
                assert_eq!(smol::block_on(report(id)), format!("report {id}"));
            }
            println!(
                "runs={} hits={}",
                REPORT_RUNS.load(Ordering::SeqCst),
                report::cache_info().hits
            );
            return;
        }
        Some("block_on") => {
            // No runtime at all: a plain executor that only parks and unparks.
            for id in 1..=3 {
                let got = futures_executor::block_on(report(id));
                assert_eq!(got, format!("report {id}"));
            }
            println!(
                "runs={} hits={} store_threads={}",
                REPORT_RUNS.load(Ordering::SeqCst),
                report::cache_info().hits,
                store_threads()
            );
            return;
        }
        Some(_) => return,
        None => {}
    }
    let server = Server::start();
    let name = "async_functions_share_a_redis_cache_across_executors";
    let first = child(name, "tokio", &server);
    assert!(first.contains("runs=3 errors=0"), "{first}");
    let second = child(name, "smol", &server);
    assert!(
        second.contains("runs=0 hits=3"),
        "the smol process read what tokio's stored: {second}"
    );
    let third = child(name, "block_on", &server);
    assert!(
        third.contains("runs=0 hits=3"),
        "a process without a runtime read them too: {third}"
    );
    assert!(
        third.contains("store_threads=0"),
        "over the asynchronous connection, not on py38's blocking store threads: {third}"
    );
}

/// How many of this process's threads are py38's store threads (`py38-store-<n>`), which run
/// the blocking calls of stores without an asynchronous side.
fn store_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("Linux's /proc")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("py38-store"))
        .count()
}

#[test]
fn async_calls_go_on_while_redis_is_down() {
    if role().as_deref() == Some("down") {
        let mut slowest = Duration::ZERO;
        for round in 0..3 {
            for id in 1..=3 {
                let started = Instant::now();
                let got = futures_executor::block_on(report(id));
                slowest = slowest.max(started.elapsed());
                assert_eq!(got, format!("report {id}"), "round {round}");
            }
        }
        println!(
            "runs={} errors={} slowest_ms={}",
            REPORT_RUNS.load(Ordering::SeqCst),
            report::cache_errors(),
            slowest.as_millis()
        );
        return;
    }
    // A server that was there and is gone: its port refuses connections.
    let mut server = Server::start();
    server.stop();
    let output = child("async_calls_go_on_while_redis_is_down", "down", &server);
    let field = |name: &str| -> u64 {
        let start = output.find(&format!("{name}=")).expect(name) + name.len() + 1;
        output[start..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect(name)
    };
    assert_eq!(field("runs"), 9, "every call ran its body: {output}");
    assert!(field("errors") > 0, "the failures were counted: {output}");
    // A refused connection fails at once; the connect timeout (250 ms) bounds the rest.
    assert!(field("slowest_ms") < 1000, "no call waited long: {output}");
}

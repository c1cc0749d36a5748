//! `#[memoize]` on what users of `cached` and `memoize` write: arguments left out of the key,
//! a key of one's own, results kept by their type (under any name) or by `keep`, and the
//! body called without the cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_executor::block_on;
use py38::memoize;

/// A client that is neither `Hash` nor `Eq` nor `Clone`: it is passed to the body, never
/// stored.
struct Client {
    calls: AtomicUsize,
}

impl Client {
    fn new() -> Self {
        Client {
            calls: AtomicUsize::new(0),
        }
    }
    fn get(&self, path: &str) -> String {
        self.calls.fetch_add(1, Ordering::SeqCst);
        format!("body of {path}")
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

mod ignore {
    use super::*;

    #[memoize(ignore = http)]
    fn fetch(http: &Client, path: &str) -> String {
        http.get(path)
    }

    #[test]
    fn an_ignored_argument_is_passed_on_but_not_keyed() {
        let (a, b) = (Client::new(), Client::new());
        assert_eq!(fetch(&a, "/x"), "body of /x");
        // Another client, same path: a hit, the client is not part of the key.
        assert_eq!(fetch(&b, "/x"), "body of /x");
        assert_eq!((a.calls(), b.calls()), (1, 0));
        assert_eq!(fetch::cache_info().hits, 1);
        // `cache_invalidate` takes the parameters that make the key.
        assert!(fetch::cache_invalidate("/x"));
        assert_eq!(fetch(&b, "/x"), "body of /x");
        assert_eq!(b.calls(), 1);
    }

    struct Pool;

    #[memoize(ignore = [http, pool])]
    fn several(http: &Client, pool: &mut Pool, id: u32) -> String {
        let _: &mut Pool = pool;
        http.get(&id.to_string())
    }

    #[test]
    fn a_list_of_ignored_arguments() {
        let http = Client::new();
        let mut pool = Pool;
        assert_eq!(several(&http, &mut pool, 4), "body of 4");
        assert_eq!(several(&Client::new(), &mut Pool, 4), "body of 4");
        assert_eq!(http.calls(), 1);
        assert!(several::cache_invalidate(4));
    }

    /// A service struct that holds a client: one cache for every receiver.
    struct Service {
        http: Client,
    }

    impl Service {
        #[memoize(ignore = self)]
        fn profile(&self, user: u64) -> String {
            self.http.get(&format!("/users/{user}"))
        }
    }

    #[test]
    fn ignore_self_shares_one_cache_between_receivers() {
        let (one, two) = (
            Service {
                http: Client::new(),
            },
            Service {
                http: Client::new(),
            },
        );
        assert_eq!(one.profile(7), "body of /users/7");
        assert_eq!(two.profile(7), "body of /users/7");
        assert_eq!((one.http.calls(), two.http.calls()), (1, 0));
        assert!(Service::profile_cache_invalidate(7));
        assert!(!Service::profile_cache_invalidate(7));
    }
}

mod key {
    use super::*;

    struct Task {
        path: String,
        retries: u32,
    }

    static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[memoize(key = task.path.clone())]
    fn load(task: &Task) -> usize {
        RUNS.fetch_add(1, Ordering::SeqCst);
        task.path.len() + task.retries as usize
    }

    #[test]
    fn an_expression_is_the_key() {
        let first = Task {
            path: "a/b".into(),
            retries: 0,
        };
        let again = Task {
            path: "a/b".into(),
            retries: 5,
        };
        assert_eq!(load(&first), 3);
        // Same path, other retries: the key is the path alone.
        assert_eq!(load(&again), 3);
        assert_eq!(RUNS.load(Ordering::SeqCst), 1);
        // `cache_invalidate` takes the function's parameters and keys them the same way.
        assert!(load::cache_invalidate(&again));
        assert_eq!(load(&again), 8);
    }

    struct User {
        id: u64,
        name: String,
    }

    #[memoize(key = (user.id, page))]
    fn page_of(user: &User, page: u32) -> String {
        format!("{}:{page}", user.name)
    }

    #[test]
    fn a_tuple_key() {
        let ada = User {
            id: 1,
            name: "ada".into(),
        };
        let renamed = User {
            id: 1,
            name: "lovelace".into(),
        };
        assert_eq!(page_of(&ada, 2), "ada:2");
        assert_eq!(page_of(&renamed, 2), "ada:2");
        assert_eq!(page_of(&renamed, 3), "lovelace:3");
        assert_eq!(page_of::cache_info().misses, 2);
    }

    #[memoize(key = &*name)]
    fn greet(http: &Client, name: String) -> String {
        http.get(&name)
    }

    #[test]
    fn a_borrowed_key() {
        let http = Client::new();
        assert_eq!(greet(&http, "ada".into()), "body of ada");
        assert_eq!(greet(&Client::new(), "ada".into()), "body of ada");
        assert_eq!(http.calls(), 1);
        assert!(greet::cache_invalidate(&http, "ada".into()));
    }
}

/// `cached`'s `#[once]`: one value whatever the arguments, as `key = ()`.
mod once {
    use super::*;

    static LOADS: AtomicUsize = AtomicUsize::new(0);

    #[memoize(key = (), ttl = 60)]
    fn settings(http: &Client) -> String {
        LOADS.fetch_add(1, Ordering::SeqCst);
        http.get("/settings")
    }

    #[test]
    fn one_value_for_every_call() {
        let (a, b) = (Client::new(), Client::new());
        assert_eq!(settings(&a), "body of /settings");
        assert_eq!(settings(&b), "body of /settings");
        assert_eq!(LOADS.load(Ordering::SeqCst), 1);
        assert_eq!(settings::cache_info().currsize, 1);
        assert!(settings::cache_invalidate(&b));
        assert_eq!(settings(&b), "body of /settings");
        assert_eq!(LOADS.load(Ordering::SeqCst), 2);
    }
}

mod kept_by_type {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct GatewayError(String);

    type GatewayResult<T> = Result<T, GatewayError>;

    static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[memoize]
    fn route(path: &str) -> GatewayResult<u16> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        path.parse().map_err(|_| GatewayError(path.to_owned()))
    }

    #[test]
    fn an_err_behind_an_alias_is_not_stored() {
        assert!(route("nope").is_err());
        assert!(route("nope").is_err());
        assert_eq!(
            RUNS.load(Ordering::SeqCst),
            2,
            "the body ran for each failing call"
        );
        assert_eq!(route("80"), Ok(80));
        assert_eq!(route("80"), Ok(80));
        assert_eq!(RUNS.load(Ordering::SeqCst), 3);
        assert_eq!(route::cache_info().currsize, 1);
    }

    static IO_RUNS: AtomicUsize = AtomicUsize::new(0);

    #[memoize]
    fn read(fail: bool) -> std::io::Result<String> {
        IO_RUNS.fetch_add(1, Ordering::SeqCst);
        if fail {
            return Err(std::io::Error::other("down"));
        }
        Ok("up".into())
    }

    #[test]
    fn io_result_keeps_only_ok() {
        assert!(read(true).is_err());
        assert!(read(true).is_err());
        assert_eq!(read(false).unwrap(), "up");
        assert_eq!(read(false).unwrap(), "up");
        assert_eq!(IO_RUNS.load(Ordering::SeqCst), 3);
    }

    mod renamed {
        pub(super) use core::result::Result as Outcome;
    }

    static ASYNC_RUNS: AtomicUsize = AtomicUsize::new(0);

    #[memoize]
    async fn lookup(id: u32) -> renamed::Outcome<u32, String> {
        ASYNC_RUNS.fetch_add(1, Ordering::SeqCst);
        if id == 0 { Err("zero".into()) } else { Ok(id) }
    }

    static GENERIC_RUNS: AtomicUsize = AtomicUsize::new(0);

    /// The whole return type is a type parameter: whether it is a `Result` is not known where
    /// the function is defined, so every result is kept, as the docs say.
    #[memoize]
    fn produce<T: Clone + Send + Sync + 'static>(id: u32, make: fn(u32) -> T) -> T {
        GENERIC_RUNS.fetch_add(1, Ordering::SeqCst);
        make(id)
    }

    #[test]
    fn a_generic_result_is_kept_whole() {
        let failing: fn(u32) -> Result<u32, String> = |id| Err(format!("{id} failed"));
        assert!(produce(1, failing).is_err());
        assert!(produce(1, failing).is_err());
        assert_eq!(GENERIC_RUNS.load(Ordering::SeqCst), 1, "the Err was kept");
    }

    #[test]
    fn a_renamed_result_in_an_async_fn() {
        block_on(async {
            assert!(lookup(0).await.is_err());
            assert!(lookup(0).await.is_err());
            assert_eq!(lookup(1).await, Ok(1));
            assert_eq!(lookup(1).await, Ok(1));
        });
        assert_eq!(ASYNC_RUNS.load(Ordering::SeqCst), 3);
    }
}

mod keep {
    use super::*;

    static DIRECTORY: Mutex<Option<HashMap<u32, String>>> = Mutex::new(None);
    static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[memoize(keep = Option::is_some)]
    fn find(id: u32) -> Option<String> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        DIRECTORY.lock().unwrap().as_ref()?.get(&id).cloned()
    }

    #[test]
    fn a_lookup_that_found_nothing_is_retried() {
        assert_eq!(find(1), None);
        DIRECTORY
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .insert(1, "ada".into());
        assert_eq!(find(1), Some("ada".into()), "`None` was not kept");
        assert_eq!(find(1), Some("ada".into()));
        assert_eq!(RUNS.load(Ordering::SeqCst), 2);
        let info = find::cache_info();
        assert_eq!((info.hits, info.misses, info.currsize), (1, 2, 1));
    }

    static OK_RUNS: AtomicUsize = AtomicUsize::new(0);

    /// For a `Result`, `keep` sees the `Ok` value.
    #[memoize(keep = |rows: &Vec<u32>| !rows.is_empty())]
    fn rows(n: u32) -> Result<Vec<u32>, String> {
        OK_RUNS.fetch_add(1, Ordering::SeqCst);
        if n == 99 {
            return Err("no".into());
        }
        Ok((0..n).collect())
    }

    #[test]
    fn keep_sees_the_ok_value() {
        assert_eq!(rows(0), Ok(vec![]));
        assert_eq!(rows(0), Ok(vec![]));
        assert!(rows(99).is_err());
        assert!(rows(99).is_err());
        assert_eq!(rows(2), Ok(vec![0, 1]));
        assert_eq!(rows(2), Ok(vec![0, 1]));
        assert_eq!(OK_RUNS.load(Ordering::SeqCst), 5);
    }

    static ASYNC_RUNS: AtomicUsize = AtomicUsize::new(0);

    #[memoize(keep = |n| *n > 0)]
    async fn positive(n: i32) -> i32 {
        ASYNC_RUNS.fetch_add(1, Ordering::SeqCst);
        n
    }

    #[test]
    fn keep_on_an_async_fn() {
        block_on(async {
            assert_eq!(positive(-1).await, -1);
            assert_eq!(positive(-1).await, -1);
            assert_eq!(positive(1).await, 1);
            assert_eq!(positive(1).await, 1);
        });
        assert_eq!(ASYNC_RUNS.load(Ordering::SeqCst), 3);
    }
}

mod uncached {
    use super::*;

    #[memoize]
    fn fib(n: u64) -> u64 {
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }

    #[test]
    fn the_body_without_the_cache() {
        // The body runs; its recursive calls go through the memoized function.
        assert_eq!(fib::uncached(10), 55);
        let after_first = fib::cache_info();
        assert_eq!(fib::uncached(10), 55);
        let info = fib::cache_info();
        // The outer call neither read nor wrote: only the inner calls counted.
        assert_eq!(info.currsize, after_first.currsize);
        assert_eq!(info.misses, after_first.misses);
        assert!(!fib::cache_invalidate(10), "10 itself was never stored");
    }

    struct Counter {
        runs: AtomicUsize,
    }

    impl Counter {
        #[memoize(ignore = self)]
        fn square(&self, n: u32) -> u32 {
            self.runs.fetch_add(1, Ordering::SeqCst);
            n * n
        }
    }

    #[test]
    fn a_method_without_the_cache() {
        let counter = Counter {
            runs: AtomicUsize::new(0),
        };
        assert_eq!(counter.square(3), 9);
        assert_eq!(counter.square(3), 9);
        assert_eq!(Counter::square_uncached(&counter, 3), 9);
        assert_eq!(counter.runs.load(Ordering::SeqCst), 2);
    }
}

//! A tour of py38: `cargo run --example tour` (add `--release` for honest timings).

use std::time::{Duration, Instant};

use py38::{call, dbg_fmt, dbg_println, memoize, signature};

/// Chapter 1, the seed's demo: the naive recursion does ~18 million calls for fib(34).
fn fib_naive(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_naive(n - 1) + fib_naive(n - 2)
    }
}

/// The same function with a bare `#[memoize]`, Python's bare `@lru_cache`.
#[memoize]
fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

/// Chapter 2: a bounded cache evicts the least recently used result.
#[memoize(maxsize = 2)]
fn square(n: u64) -> u64 {
    println!("    computing square({n})");
    n * n
}

/// Chapter 3: borrowed arguments, and `Result`s of which only `Ok` is kept.
#[memoize(maxsize = None)]
fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
    println!("    parsing {text:?}");
    text.trim().parse()
}

/// Chapter 4: methods keep their controls as associated functions.
#[derive(Clone, Hash, PartialEq, Eq)]
struct Grid {
    name: &'static str,
}

impl Grid {
    /// Lattice paths from the corner to `(row, col)`.
    #[memoize]
    fn paths(&self, row: u64, col: u64) -> u64 {
        if row == 0 || col == 0 {
            1
        } else {
            self.paths(row - 1, col) + self.paths(row, col - 1)
        }
    }
}

/// Chapter 5: real code. A service holds a client that is neither `Hash` nor `Clone`; its
/// answers are a `Result` under an alias of its own.
#[derive(Debug, Clone)]
struct ApiError(#[expect(dead_code, reason = "printed through Debug only")] String);

type ApiResult<T> = Result<T, ApiError>;

struct Client {
    base: &'static str,
}

struct Users {
    client: Client,
}

impl Users {
    /// One cache for every `Users` (`ignore = self`): the receiver is not part of the key.
    #[memoize(maxsize = 500, ttl = 300, ignore = self)]
    fn id_of(&self, name: &str) -> ApiResult<u64> {
        println!("    asking {} for {name:?}", self.client.base);
        if name.is_empty() {
            return Err(ApiError("an empty name".into()));
        }
        Ok(name.bytes().map(u64::from).sum())
    }

    /// Keyed by the name alone, and only what was found is kept (`cached`'s `option = true`).
    #[memoize(key = name.to_lowercase(), keep = Option::is_some)]
    fn find(&self, name: &str) -> Option<String> {
        println!("    searching for {name:?}");
        (name.len() > 2).then(|| format!("{name}@{}", self.client.base))
    }
}

/// Chapter 8: Python's `def area(width, height, /, depth=1, *, scale=1)`.
#[signature(width, height, /, depth = 1, *, scale = 1)]
fn area(width: u32, height: u32, depth: u32, scale: u32) -> u32 {
    width * height * depth * scale
}

/// Chapter 8: methods and associated functions take keywords too.
#[derive(Debug)]
struct Point {
    x: i64,
    y: i64,
}

#[signature]
impl Point {
    #[signature(x, y = 0)]
    fn new(x: i64, y: i64) -> Self {
        Point { x, y }
    }

    #[signature(dx, /, dy = 0, *, scale = 1)]
    fn moved(&self, dx: i64, dy: i64, scale: i64) -> Point {
        Point {
            x: (self.x + dx) * scale,
            y: (self.y + dy) * scale,
        }
    }
}

fn main() {
    println!("== 1. fib(34): naive recursion against #[memoize]");
    let start = Instant::now();
    let naive = fib_naive(34);
    let naive_time = start.elapsed();
    println!("  naive     fib(34) = {naive} in {naive_time:?}");
    let start = Instant::now();
    let memoized = fib(34);
    let memo_time = start.elapsed();
    println!("  memoized  fib(34) = {memoized} in {memo_time:?}");
    assert_eq!(naive, memoized);
    println!(
        "  speed-up: {:.0}x",
        naive_time.as_secs_f64() / memo_time.as_secs_f64().max(1e-9)
    );
    if cfg!(debug_assertions) {
        println!("  (a debug build: `cargo run --release --example tour` for release timings)");
    }
    println!("  fib::cache_info() = {}", fib::cache_info());
    println!("  fib(90) = {}", fib(90));
    fib::cache_clear();
    fib(90);
    println!("  after cache_clear() and fib(90): {}", fib::cache_info());
    println!("  fib::cache_parameters() = {}", fib::cache_parameters());

    println!("\n== 2. maxsize = 2: calls 1, 2, 1, 3, 1, 2");
    for n in [1, 2, 1, 3, 1, 2] {
        println!("  square({n}) = {}", square(n));
    }
    println!("  {}", square::cache_info());

    println!("\n== 3. &str arguments and Result: Err is never cached");
    for text in ["8080", "8080", "http", "http"] {
        println!("  parse_port({text:?}) = {:?}", parse_port(text));
    }
    println!("  {}", parse_port::cache_info());

    println!("\n== 4. methods: the receiver is part of the key");
    let small = Grid { name: "small" };
    let big = Grid { name: "big" };
    println!("  {}.paths(8, 8) = {}", small.name, small.paths(8, 8));
    println!("  {}.paths(16, 16) = {}", big.name, big.paths(16, 16));
    println!("  Grid::paths_cache_info() = {}", Grid::paths_cache_info());

    println!("\n== 5. real code: a service with a client, a Result alias, ignore, key, keep");
    let users = Users {
        client: Client {
            base: "api.example.org",
        },
    };
    for name in ["ada", "ada", "", ""] {
        println!("  users.id_of({name:?}) = {:?}", users.id_of(name));
    }
    println!(
        "  Users::id_of_cache_info() = {}",
        Users::id_of_cache_info()
    );
    for name in ["Bob", "BOB", "al", "al"] {
        println!("  users.find({name:?}) = {:?}", users.find(name));
    }
    println!("  Users::find_cache_info() = {}", Users::find_cache_info());
    println!(
        "  without the cache: Users::id_of_uncached(&users, \"ada\") = {:?}",
        Users::id_of_uncached(&users, "ada")
    );

    println!("\n== 6. dbg_fmt!: Python 3.8's f\"{{expr=}}\" for any Rust expression");
    let (a, b) = (2, 3);
    let name = "Alice";
    let city = "Zürich";
    let items = vec![1, 2, 3];
    let pi = std::f64::consts::PI;
    let ratio = 0.256;
    dbg_println!("  {a + b = }");
    dbg_println!("  {name=}, {name=!s}, {city=!a}, {name.len()=}");
    dbg_println!("  {items=}, {items[0]=}, {items.iter().sum::<i32>()=}");
    dbg_println!("  {pi * 2.0=:.2f}, {ratio=:.1%}, {1234567=:,}, {name=!r:^12}|");
    let line = dbg_fmt!("{fib::cache_info()=}");
    println!("  {line}");

    println!("\n== 7. async fn: concurrent downloads of one page share one download");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(downloads());

    println!(
        "\n== 8. #[signature]: positional-only, keyword-only and defaults, checked at compile time"
    );
    dbg_println!("  {call!(area(3, 4))=}");
    dbg_println!("  {call!(area(3, 4, depth = 2, scale = 10))=}");
    let p = call!(Point::new(1, y = 2));
    dbg_println!("  {p=}, {call!(p.moved(1, scale = 10))=}");
    println!("  (call!(area(3, height = 4)) does not compile: area() got some positional-only");
    println!("   arguments passed as keyword arguments: 'height')");
}

/// A "download": 100 ms of waiting, then the page. Memoized for 60 seconds.
#[memoize(ttl = 60)]
async fn download(url: &str) -> Result<String, String> {
    println!("    downloading {url}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    if url.ends_with("404") {
        return Err(format!("{url}: not found"));
    }
    Ok(format!("<html>{url}</html>"))
}

async fn downloads() {
    let urls = [
        "example.org/a",
        "example.org/b",
        "example.org/a",
        "example.org/a",
        "example.org/b",
        "example.org/404",
        "example.org/a",
        "example.org/b",
    ];
    let start = Instant::now();
    let tasks: Vec<_> = urls
        .iter()
        .map(|&url| tokio::spawn(async move { (url, download(url).await) }))
        .collect();
    for task in tasks {
        let (url, page) = task.await.expect("the task ran");
        match page {
            Ok(page) => println!("  {url}: {} bytes", page.len()),
            Err(error) => println!("  {url}: {error}"),
        }
    }
    println!("  8 requests in {:?}", start.elapsed());
    println!("  download::cache_info() = {}", download::cache_info());
    println!(
        "  download::cache_parameters() = {}",
        download::cache_parameters()
    );
}

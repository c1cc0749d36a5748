//! Expansion snapshots: what `cargo expand` shows for each form of `#[memoize]`.
//! Review changes like code; re-bless with `INSTA_UPDATE=always cargo test -p py38-macros`.

use proc_macro2::TokenStream;
use quote::quote;

fn expand(args: TokenStream, item: TokenStream) -> String {
    let tokens = super::memoize(args, item);
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => {
            // Methods expand to associated items: wrap them in an impl to format them.
            let wrapped: syn::File = syn::parse_quote!(impl Grid { #tokens });
            prettyplease::unparse(&wrapped)
        }
    }
}

macro_rules! snapshot {
    ($name:ident, ($($args:tt)*), $($item:tt)*) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(expand(quote!($($args)*), quote!($($item)*)));
        }
    };
}

snapshot!(
    bare,
    (),
    fn fib(n: u64) -> u64 {
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }
);

snapshot!(
    maxsize_none,
    (maxsize = None),
    /// Squares `x`.
    pub fn square(x: i64) -> i64 {
        x * x
    }
);

snapshot!(
    maxsize_zero,
    (maxsize = 0),
    pub(crate) fn noisy(x: u8) -> u8 {
        x
    }
);

snapshot!(
    generic_fn,
    (maxsize = 32),
    fn largest<T: Ord + Clone + core::hash::Hash>(items: &[T]) -> Option<T> {
        items.iter().max().cloned()
    }
);

snapshot!(
    method,
    (),
    pub fn paths(&self, row: usize, col: usize) -> u64 {
        if row == 0 || col == 0 {
            1
        } else {
            self.paths(row - 1, col) + self.paths(row, col - 1)
        }
    }
);

snapshot!(
    str_argument,
    (typed = true),
    fn word_count(text: &str) -> usize {
        text.split_whitespace().count()
    }
);

snapshot!(
    result_return,
    (),
    fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
        text.trim().parse()
    }
);

snapshot!(
    generic_fn_with_where_clause,
    (),
    fn describe<K, V>(key: K, value: &V) -> String
    where
        K: std::fmt::Display + std::hash::Hash + Eq + Clone,
        V: std::fmt::Debug + std::hash::Hash + Eq + Clone,
    {
        format!("{key}: {value:?}")
    }
);

snapshot!(
    unit_return,
    (maxsize = 4),
    fn greet(name: String) {
        println!("hello {name}");
    }
);

snapshot!(
    impl_block,
    (),
    impl Tools {
        #[memoize(maxsize = 4)]
        fn double(x: u64) -> u64 {
            x * 2
        }

        fn untouched(x: u64) -> u64 {
            x
        }
    }
);

snapshot!(
    generic_impl_block,
    (),
    impl<T: Default + Debug> Described<T> {
        #[memoize]
        fn describe(n: u32) -> String {
            format!("{n} {:?}", T::default())
        }
    }
);

snapshot!(
    async_fn,
    (ttl = 300),
    pub async fn fetch(id: u32) -> Result<String, std::io::Error> {
        download(id).await
    }
);

snapshot!(
    with_errors,
    (maxsize = -1),
    fn bad(a: &mut u8, (b, c): (u8, u8)) -> u8 {
        *a + b + c
    }
);

#[test]
fn store_on_disk_with_a_result() {
    insta::assert_snapshot!(expand(
        quote!(store = disk("cache/rates.lmdb"), ttl = 300, version = "2"),
        quote! {
            /// Today's rate.
            pub fn rate(currency: &str, day: u32) -> Result<f64, String> {
                fetch(currency, day)
            }
        }
    ));
}

#[test]
fn store_on_redis_unbounded() {
    insta::assert_snapshot!(expand(
        quote!(store = redis("redis://cache:6379/2"), maxsize = None),
        quote! {
            fn report(id: u64) -> String {
                build(id)
            }
        }
    ));
}

#[test]
fn store_on_disk_async() {
    insta::assert_snapshot!(expand(
        quote!(store = disk),
        quote! {
            async fn fetch(url: &str) -> Result<String, Error> {
                download(url).await
            }
        }
    ));
}

#[test]
fn store_on_disk_method() {
    insta::assert_snapshot!(expand(
        quote!(store = disk),
        quote! {
            fn paths(&self, size: u64) -> u64 {
                self.walk(size)
            }
        }
    ));
}

#[test]
fn store_custom_generic_function() {
    insta::assert_snapshot!(expand(
        quote!(store = custom(stores::open)),
        quote! {
            fn size_of<T: Default + Debug, const N: usize>(label: &str) -> String {
                format!("{label}: {N} x {:?}", T::default())
            }
        }
    ));
}

snapshot!(
    track_caller_generic_fn,
    (),
    #[track_caller]
    #[allow(clippy::needless_pass_by_value)]
    fn checked<T: Display>(mut label: T, n: u64) -> Result<String, String> {
        if n == 0 {
            return Err(format!("zero at {}", Location::caller()));
        }
        Ok(format!("{label} {}", parse(n)?))
    }
);

snapshot!(
    track_caller_method,
    (),
    #[track_caller]
    pub fn cell(&self, row: usize) -> u64 {
        self.rows[row]
    }
);

#[test]
fn store_custom_track_caller() {
    insta::assert_snapshot!(expand(
        quote!(store = custom(stores::open)),
        quote! {
            #[track_caller]
            fn located(mut n: u64) -> u64 {
                n += 1;
                n + u64::from(Location::caller().line())
            }
        }
    ));
}

snapshot!(
    ignore_one_argument,
    (ignore = http),
    fn fetch(http: &Client, path: &str) -> String {
        http.get(path)
    }
);

snapshot!(
    ignore_self_and_a_list,
    (ignore = [self, pool]),
    fn profile(&self, pool: &mut Pool, user: u64) -> String {
        self.load(pool, user)
    }
);

snapshot!(
    key_expression,
    (key = (user.id, page)),
    fn page_of(user: &User, page: u32) -> String {
        format!("{}:{page}", user.name)
    }
);

snapshot!(
    key_borrowed_on_disk,
    (key = &*name, store = disk),
    fn greet(http: &Client, name: &String) -> String {
        http.get(name)
    }
);

snapshot!(
    keep_predicate_async,
    (keep = Option::is_some),
    async fn find(id: u32) -> Option<String> {
        lookup(id).await
    }
);

snapshot!(
    single_flight,
    (single_flight = true, maxsize = 16),
    fn render(page: &str) -> Result<String, RenderError> {
        expensive_render(page)
    }
);

snapshot!(
    constants_for_maxsize_and_ttl,
    (maxsize = config::MAX_ENTRIES / 2, ttl = CACHE_TTL_SECS),
    fn lookup(id: u32) -> String {
        fetch(id)
    }
);

snapshot!(
    single_flight_method,
    (single_flight = true),
    pub fn report(&self, day: u32) -> String {
        self.build(day)
    }
);

/// `single_flight = false`, `single_flight = true` on an `async fn` in memory (whose calls share
/// anyway) and `single_flight = false` with a store (whose calls never do) expand as without
/// the option.
#[test]
fn single_flight_that_changes_nothing_expands_as_without_it() {
    let sync_fn = quote!(
        fn fib(n: u64) -> u64 {
            if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
        }
    );
    let async_fn = quote!(
        pub async fn fetch(id: u32) -> Result<String, std::io::Error> {
            download(id).await
        }
    );
    let pairs = [
        (quote!(single_flight = false), quote!(), &sync_fn),
        (quote!(single_flight = true), quote!(), &async_fn),
        (
            quote!(store = disk, single_flight = false),
            quote!(store = disk),
            &sync_fn,
        ),
    ];
    for (with, without, item) in pairs {
        assert_eq!(
            expand(with.clone(), item.clone()),
            expand(without, item.clone()),
            "{with}"
        );
    }
}

snapshot!(
    constant_duration_on_a_method,
    (ttl = Duration::from_secs(5 * 60)),
    pub fn cell(&self, row: usize) -> u64 {
        self.rows[row]
    }
);

#[test]
fn store_on_disk_with_constants() {
    insta::assert_snapshot!(expand(
        quote!(store = disk, maxsize = MAX_ENTRIES, ttl = 0.5 * 60.0),
        quote! {
            fn rate(currency: &str) -> f64 {
                fetch(currency)
            }
        }
    ));
}

//! Every body that compiles without `#[memoize]` compiles with it: bodies that lean on the
//! function's return type, in synchronous and `async` functions alike.

use std::error::Error;
use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_executor::block_on;
use py38::memoize;

/// An unsized coercion in `return` and a trait-object coercion in tail position.
#[memoize]
fn coerced(fail: bool) -> Result<u32, Box<dyn Error + Send + Sync>> {
    if fail {
        return Err(Box::new(std::io::Error::other("down")));
    }
    Ok(1)
}

#[memoize]
async fn coerced_async(fail: bool) -> Result<u32, Box<dyn Error + Send + Sync>> {
    if fail {
        return Err(Box::new(std::io::Error::other("down")));
    }
    Ok(1)
}

/// `Box<dyn Error>` is neither `Send` nor `Sync`, but an `Err` is never stored: only the `Ok`
/// value must be.
#[memoize]
fn coerced_local(fail: bool) -> Result<u32, Box<dyn Error>> {
    if fail {
        return Err(Box::new(std::io::Error::other("down")));
    }
    Ok(2)
}

#[memoize]
fn shared_slice(n: usize) -> Arc<[u8]> {
    if n == 0 {
        return Arc::new([]);
    }
    vec![7; n].into()
}

#[memoize]
fn shown(n: u8) -> Arc<dyn Display + Send + Sync> {
    if n == 0 {
        return Arc::new("zero");
    }
    Arc::new(n)
}

/// `?` with a `From` conversion.
#[memoize]
fn parsed(text: &str) -> Result<u64, Box<dyn Error + Send + Sync>> {
    let n: u64 = text.parse()?;
    Ok(n * 2)
}

#[memoize]
async fn parsed_async(text: &str) -> Result<u64, Box<dyn Error + Send + Sync>> {
    let n: u64 = text.parse()?;
    Ok(n * 2)
}

/// `Default::default()` and `.into()` in return position.
#[memoize]
fn defaulted(n: u8) -> Vec<String> {
    if n == 0 {
        return Default::default();
    }
    vec!["x".into(); usize::from(n)]
}

#[memoize]
async fn converted(n: u8) -> String {
    if n == 0 {
        return Default::default();
    }
    "many".into()
}

/// `return` inside nested closures and blocks returns from them, not from the function.
#[memoize]
fn nested_returns(n: u32) -> u32 {
    let double = |x: u32| -> u32 {
        if x == 0 {
            return 0;
        }
        x * 2
    };
    let inner = {
        if n > 100 {
            return 100;
        }
        double(n)
    };
    inner + 1
}

#[memoize]
async fn nested_returns_async(n: u32) -> u32 {
    let inner = async move {
        if n == 0 {
            return 0;
        }
        n * 2
    }
    .await;
    if inner > 100 {
        return 100;
    }
    inner + 1
}

/// Bodies of type `!`.
#[memoize]
fn never_returns(n: u32) -> u32 {
    if n == 0 {
        panic!("zero");
    }
    #[allow(clippy::never_loop)]
    loop {
        return n;
    }
}

#[memoize]
#[allow(unreachable_code, clippy::diverging_sub_expression, clippy::todo)]
fn todo_body(_n: u32) -> u32 {
    todo!()
}

/// `impl Trait` in a `let`, and `#[cfg]` on statements.
#[memoize]
fn with_impl_trait(n: u32) -> u32 {
    let evens: Box<dyn Iterator<Item = u32>> = Box::new((0..n).filter(|x| x % 2 == 0));
    let doubled = evens.map(|x| x * 2);
    #[cfg(any())]
    let doubled = 0;
    #[cfg(not(any()))]
    let _unused_in_other_builds = ();
    doubled.sum()
}

#[memoize]
async fn with_impl_trait_async(n: u32) -> u32 {
    let squares = (0..n).map(|x| x * x);
    #[cfg(any())]
    return 0;
    squares.sum()
}

/// Recursion of an `async fn` through `Box::pin`.
#[memoize]
async fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    Box::pin(fib(n - 1)).await + Box::pin(fib(n - 2)).await
}

/// A boxed future returned by a synchronous function that recurses into the memoized one.
fn boxed_fib(n: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(fib(n))
}

#[test]
fn bodies_that_lean_on_the_return_type() {
    assert!(coerced(true).is_err());
    assert_eq!(coerced(false).unwrap(), 1);
    assert!(coerced_local(true).is_err());
    assert_eq!(coerced_local(false).unwrap(), 2);
    assert_eq!(&*shared_slice(3), &[7, 7, 7]);
    assert!(shared_slice(0).is_empty());
    assert_eq!(shown(0).to_string(), "zero");
    assert_eq!(shown(5).to_string(), "5");
    assert_eq!(parsed("21").unwrap(), 42);
    assert!(parsed("x").is_err());
    assert!(defaulted(0).is_empty());
    assert_eq!(defaulted(2).len(), 2);
    assert_eq!(nested_returns(0), 1);
    assert_eq!(nested_returns(4), 9);
    assert_eq!(nested_returns(500), 100);
    assert_eq!(never_returns(3), 3);
    assert!(std::panic::catch_unwind(|| never_returns(0)).is_err());
    assert!(std::panic::catch_unwind(|| todo_body(0)).is_err());
    assert_eq!(with_impl_trait(5), 12);
}

#[test]
fn async_bodies_that_lean_on_the_return_type() {
    block_on(async {
        assert!(coerced_async(true).await.is_err());
        assert_eq!(coerced_async(false).await.unwrap(), 1);
        assert_eq!(parsed_async("21").await.unwrap(), 42);
        assert!(parsed_async("x").await.is_err());
        assert_eq!(converted(0).await, "");
        assert_eq!(converted(1).await, "many");
        assert_eq!(nested_returns_async(0).await, 1);
        assert_eq!(nested_returns_async(60).await, 100);
        assert_eq!(with_impl_trait_async(4).await, 14);
        assert_eq!(fib(40).await, 102_334_155);
        assert_eq!(boxed_fib(20).await, 6765);
    });
}

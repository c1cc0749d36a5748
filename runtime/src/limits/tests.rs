use super::*;

/// The panic message of `f`, which must panic.
fn panic_of<T: std::fmt::Debug>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("no panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap()
}

#[test]
fn maxsize_takes_every_integer_type_and_option_usize() {
    const FROM_I64: Option<usize> = maxsize(5_i64);
    const FROM_U128: Option<usize> = maxsize(7_u128);
    const INFERRED: Option<usize> = maxsize(4 * 1024);
    const UNBOUNDED: Option<usize> = maxsize(None::<usize>);
    assert_eq!(FROM_I64, Some(5));
    assert_eq!(FROM_U128, Some(7));
    assert_eq!(INFERRED, Some(4096));
    assert_eq!(UNBOUNDED, None);
    assert_eq!(maxsize(Some(3_usize)), Some(3));
    assert_eq!(maxsize(0_u8), Some(0));
    assert_eq!(maxsize(u16::MAX), Some(65_535));
    assert_eq!(maxsize(usize::MAX), Some(usize::MAX));
    assert_eq!(maxsize(i8::MAX), Some(127));
    assert_eq!(maxsize(300_isize), Some(300));
    assert_eq!(maxsize(70_000_i32), Some(70_000));
    assert_eq!(maxsize(9_i128), Some(9));
    assert_eq!(maxsize(9_u32), Some(9));
    assert_eq!(maxsize(9_u64), Some(9));
}

#[test]
fn maxsize_refuses_what_makes_no_sense() {
    let negative = "`maxsize` must not be negative";
    assert_eq!(panic_of(|| maxsize(-1_i32)), negative);
    assert_eq!(panic_of(|| maxsize(i128::MIN)), negative);
    assert_eq!(
        panic_of(|| maxsize(u128::MAX)),
        "`maxsize` is too large: it does not fit in a `usize`"
    );
}

#[test]
fn ttl_takes_seconds_and_durations() {
    const SECONDS: Option<Duration> = ttl(300_u64);
    const FLOAT: Option<Duration> = ttl(0.25);
    const DURATION: Option<Duration> = ttl(Duration::from_secs(5 * 60));
    assert_eq!(SECONDS, Some(Duration::from_secs(300)));
    assert_eq!(FLOAT, Some(Duration::from_millis(250)));
    assert_eq!(DURATION, Some(Duration::from_secs(300)));
    assert_eq!(ttl(1.5_f32), Some(Duration::from_millis(1500)));
    assert_eq!(ttl(2_i8), Some(Duration::from_secs(2)));
    assert_eq!(ttl(u64::MAX), Some(Duration::from_secs(u64::MAX)));
    // As a literal is: rounded to the nanosecond.
    assert_eq!(ttl(1.000_000_000_4), Some(Duration::from_secs(1)));
    assert_eq!(ttl(1e-9), Some(Duration::from_nanos(1)));
    // Beyond 584 years, to the second.
    assert_eq!(ttl(1e12), Some(Duration::from_secs(1_000_000_000_000)));
}

#[test]
fn ttl_refuses_what_makes_no_sense() {
    let negative = "`ttl` must not be negative";
    assert_eq!(panic_of(|| ttl(-5_i64)), negative);
    assert_eq!(panic_of(|| ttl(-0.5)), negative);
    assert_eq!(panic_of(|| ttl(f64::NEG_INFINITY)), negative);
    assert_eq!(
        panic_of(|| ttl(f64::NAN)),
        "`ttl` is NaN; it must be a number of seconds"
    );
    let zero = "`ttl` must be more than zero";
    assert_eq!(panic_of(|| ttl(0_u8)), zero);
    assert_eq!(panic_of(|| ttl(-0.0_f32)), zero);
    assert_eq!(panic_of(|| ttl(Duration::ZERO)), zero);
    assert_eq!(
        panic_of(|| ttl(1e-12)),
        "`ttl` must be at least a nanosecond"
    );
    let long = "`ttl` is too long: it must be less than 2^64 seconds";
    assert_eq!(panic_of(|| ttl(f64::INFINITY)), long);
    assert_eq!(panic_of(|| ttl(u128::MAX)), long);
}

use super::*;

/// A reset racing an owner's load-then-store must not let the old count come back: after
/// it, the counts are only the hits made since, plus the one in flight.
#[test]
fn a_reset_under_concurrent_hits_keeps_only_later_counts() {
    let counts = Counts::default();
    let made = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let _ = counts.hit(|| 0);
                made.fetch_add(1, Ordering::SeqCst);
            }
        });
        while made.load(Ordering::SeqCst) == 0 {
            std::hint::spin_loop();
        }
        let rounds = if cfg!(miri) { 20 } else { 20_000 };
        let mut failure = None;
        for round in 0..rounds {
            let before = made.load(Ordering::SeqCst);
            counts.reset();
            let (hits, _) = counts.since_reset();
            let after = made.load(Ordering::SeqCst);
            if hits > after - before + 1 {
                failure = Some((round, hits, after - before));
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        assert_eq!(
            failure, None,
            "(round, hits counted, hits made since the reset)"
        );
    });
}

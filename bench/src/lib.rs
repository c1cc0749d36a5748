//! Benchmarks live in `benches/`; run them with `cargo bench -p py38-bench`.

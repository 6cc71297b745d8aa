//! The side-by-side benchmark.

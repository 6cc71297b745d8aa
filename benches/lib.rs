//! support for benches

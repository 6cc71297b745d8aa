//! Support for the benches: data loading and generation shared by the bench targets.
#![warn(missing_docs)]

/// Test data for the BGP benches: real prefix sets, generated attributes, and the UPDATE
/// messages that carry them. They live in `bgp-load`, which sends the same table to real
/// daemons; the benches use them from there.
pub mod support {
    pub use bgp_load::{churn, prefixes, raw, rng, table, wire};
}

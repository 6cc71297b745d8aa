//! Test data for the BGP benches: real prefix sets, generated attributes, and the UPDATE
//! messages that carry them.

pub mod churn;
pub mod prefixes;
pub mod raw;
pub mod rng;
pub mod table;
pub mod wire;

//! Support for the benches: data loading and generation shared by the bench targets.
#![warn(missing_docs)]

pub mod support;

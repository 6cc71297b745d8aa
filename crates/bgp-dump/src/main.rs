//! bgp-dump: see the library docs.
fn main() {}

//! bgp-peer
fn main() {}

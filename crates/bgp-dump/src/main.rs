//! bgp-dump
fn main() {}

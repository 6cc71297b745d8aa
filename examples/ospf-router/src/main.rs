//! ospf-router
fn main() {}

//! bgp-tokio

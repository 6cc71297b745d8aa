//! ospf-tokio

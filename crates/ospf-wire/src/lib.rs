//! ospf-wire

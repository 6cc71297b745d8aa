//! ospf-lsdb

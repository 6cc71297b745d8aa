//! support for tests

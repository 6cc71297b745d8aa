//! netlab

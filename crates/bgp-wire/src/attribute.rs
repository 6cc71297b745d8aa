//! attribute (being written)

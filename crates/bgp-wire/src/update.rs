//! update (being written)

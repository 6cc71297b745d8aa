//! message (being written)

//! mrt (being written)

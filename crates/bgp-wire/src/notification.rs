//! notification (being written)

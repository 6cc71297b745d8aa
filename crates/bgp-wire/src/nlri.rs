//! nlri (being written)

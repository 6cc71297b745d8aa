//! open (being written)

//! capability (being written)

//! UPDATE test vectors, real captures and round-trip properties.

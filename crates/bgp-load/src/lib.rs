//! BGP load for benchmarks: a full routing table (real prefixes, attributes generated from a
//! seed) encoded once into UPDATEs, generator peers that send it to a device under test at
//! line rate, sink peers that count what the device passes on, and a runner that measures our
//! speaker, BIRD 2, FRR and GoBGP side by side in a namespace lab (`bench`).
//!
//! The data modules (`prefixes`, `table`, `raw`, `wire`, `churn`, `rng`) are also what the
//! criterion benches of `benches/` read, so every measurement uses the same table: same
//! prefixes, same seed ([`feed::TABLE_SEED`]).
#![warn(missing_docs)]

pub mod bench;
pub mod churn;
pub mod feed;
pub mod prefixes;
pub mod raw;
pub mod rng;
pub mod session;
pub mod sink;
pub mod table;
pub mod wire;

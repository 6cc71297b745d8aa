//! ospf-lsdb (work in progress)
#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod hash;
pub mod lsa;
pub mod lsdb;
pub mod packet;
pub mod rng;
pub mod route;
pub mod spf;
pub mod timer;
pub mod types;
pub mod wire;

//! The BGP half: the catalogue of malformed messages, the sessions, the runner.

pub mod cases;
pub mod craft;
pub mod runner;
pub mod session;
pub mod table;
pub mod view;

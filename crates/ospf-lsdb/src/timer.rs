//! Timers as data: the family's table of deadlines (`sansio`), indexed by the interface,
//! neighbour and instance timer enums. The instance's `poll_timeout` is the earliest over
//! every table it owns.

pub use sansio::{earliest, TimerTable};

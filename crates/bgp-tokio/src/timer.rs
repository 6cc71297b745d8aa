//! The family's deadline driver and clock (`sansio-tokio`): one `Deadline` per session,
//! armed from `Session::poll_timeout`.

pub use sansio_tokio::{now, Deadline, Wait};

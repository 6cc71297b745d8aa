//! Moving the current thread into a network namespace.
//!
//! This module uses `unsafe` for the `setns(2)` system call, which std does
//! not wrap. The call only changes the calling thread's network namespace;
//! it has no memory-safety preconditions beyond a valid file descriptor,
//! which the `File`s here guarantee.

use std::fs::File;
use std::marker::PhantomData;
use std::os::fd::AsRawFd;

use crate::{Error, Result};

/// While alive, the thread that created it is in another network namespace;
/// dropping it moves the thread back to the namespace it came from.
///
/// Sockets opened on this thread meanwhile belong to the lab namespace and
/// stay there. Threads spawned from this thread while the guard is alive
/// start in the lab namespace too, so a tokio runtime built under the guard
/// (current-thread or multi-thread) runs entirely in it:
///
/// ```no_run
/// # fn f(ns: &netlab::Netns) -> netlab::Result<()> {
/// let _in_ns = ns.enter()?;
/// let listener = std::net::TcpListener::bind("10.0.0.1:179");
/// # Ok(())
/// # }
/// ```
///
/// The guard is neither `Send` nor `Sync`: it must drop on the thread that
/// entered.
#[derive(Debug)]
pub struct NetnsGuard {
    original: File,
    _not_send: PhantomData<*const ()>,
}

impl NetnsGuard {
    /// Moves the current thread into the namespace at `path`
    /// (`/run/netns/NAME`).
    pub(crate) fn enter(path: &str) -> Result<Self> {
        let original = File::open("/proc/thread-self/ns/net")
            .map_err(|e| Error::file("/proc/thread-self/ns/net", e))?;
        let target = File::open(path).map_err(|e| Error::file(path, e))?;
        setns(&target, path)?;
        Ok(NetnsGuard { original, _not_send: PhantomData })
    }
}

impl Drop for NetnsGuard {
    fn drop(&mut self) {
        if let Err(err) = setns(&self.original, "original namespace") {
            // Staying in the lab namespace would make later code on this
            // thread act in the wrong place: stop loudly instead.
            panic!("cannot return to the original network namespace: {err}");
        }
    }
}

#[allow(unsafe_code)]
fn setns(file: &File, what: &str) -> Result<()> {
    // SAFETY: the descriptor is valid for the lifetime of `file`; setns(2)
    // reads no memory of ours.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::Sys { call: format!("setns({what})"), source: std::io::Error::last_os_error() })
    }
}

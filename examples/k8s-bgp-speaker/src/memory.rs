//! Giving the heap's free pages back to the kernel after a burst.
//!
//! Programming a full table, withdrawing it and programming it again (a long link flap)
//! frees as much as it allocates, but glibc's allocator keeps the freed pages: the agent's
//! resident memory stayed about 250 MB above its size with the table after each reload of a
//! million routes, and `malloc_trim` took it back down. So once the kernel thread is idle
//! after a table's worth of requests, the agent asks for the same.

/// Requests to the kernel after which an idle agent gives free pages back: about a tenth of
/// a full table; a Kubernetes node's few routes never get there.
pub const AFTER_REQUESTS: u64 = 100_000;

/// Returns the free pages of every heap to the kernel (glibc's `malloc_trim`); nothing with
/// another C library.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn give_back() {
    // SAFETY: `malloc_trim` has no preconditions; it takes the allocator's own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Returns the free pages of every heap to the kernel (glibc's `malloc_trim`); nothing with
/// another C library.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back() {}

//! The only I/O of the crate: a `NETLINK_ROUTE` socket on tokio.

use std::io;

use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
use tokio::io::unix::AsyncFd;

use crate::config::RtProto;
use crate::decode::{frames_skipping, Frame};
use crate::encode;
use crate::error::{Error, Result};

/// Multicast groups (`RTNLGRP_*`).
pub(crate) mod group {
    /// Link changes.
    pub const LINK: u32 = 1;
    /// IPv4 address changes.
    pub const IPV4_IFADDR: u32 = 5;
    /// IPv4 route changes.
    pub const IPV4_ROUTE: u32 = 7;
    /// IPv6 address changes.
    pub const IPV6_IFADDR: u32 = 9;
    /// IPv6 route changes.
    pub const IPV6_ROUTE: u32 = 11;
}

/// Receive buffer asked for: the kernel queues notifications (and error answers) here
/// while we are busy. Raised past `rmem_max` with `SO_RCVBUFFORCE` when we may.
const RCVBUF: usize = 32 << 20;
/// Largest datagram read: dumps come in datagrams of up to 32 KiB.
const RECV_MAX: usize = 64 << 10;
/// Times a dump interrupted by changes (`NLM_F_DUMP_INTR`) is started again.
const DUMP_TRIES: u32 = 5;

/// A netlink route socket, non-blocking, on the runtime of the task that opened it (and in
/// that thread's network namespace).
#[derive(Debug)]
pub(crate) struct NlSocket {
    fd: AsyncFd<Socket>,
    buf: Vec<u8>,
    seq: u32,
}

fn sock(e: io::Error) -> Error {
    Error::Socket(e)
}

impl NlSocket {
    /// Opens a socket in the current thread's namespace and joins `groups`.
    pub fn open(groups: &[u32]) -> Result<NlSocket> {
        let mut s = Socket::new(NETLINK_ROUTE).map_err(sock)?;
        s.bind_auto().map_err(sock)?;
        s.set_non_blocking(true).map_err(sock)?;
        // Errors carry only the request's header, and the kernel's reason as text.
        s.set_cap_ack(true).map_err(sock)?;
        s.set_ext_ack(true).map_err(sock)?;
        // Dumps filtered by the kernel (table, protocol).
        s.set_netlink_get_strict_chk(true).map_err(sock)?;
        let _ = s.set_rx_buf_sz(RCVBUF);
        let _ = nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::RcvBufForce, &RCVBUF);
        for g in groups {
            s.add_membership(*g).map_err(sock)?;
        }
        let fd = register(s).map_err(sock)?;
        Ok(NlSocket { fd, buf: Vec::with_capacity(RECV_MAX), seq: 0x4000_0000 })
    }

    /// Sends one datagram to the kernel.
    pub async fn send(&self, datagram: &[u8]) -> Result<()> {
        let kernel = SocketAddr::new(0, 0);
        loop {
            let mut guard = self.fd.writable().await.map_err(sock)?;
            match guard.try_io(|s| s.get_ref().send_to(datagram, &kernel, 0)) {
                Ok(r) => return r.map(drop).map_err(sock),
                Err(_would_block) => continue,
            }
        }
    }

    /// Receives one datagram. `ENOBUFS` (messages were lost) comes back as an error of
    /// that kind; the socket stays usable.
    pub async fn recv(&mut self) -> io::Result<&[u8]> {
        loop {
            let mut guard = self.fd.readable().await?;
            self.buf.clear();
            let buf = &mut self.buf;
            match guard.try_io(|s| s.get_ref().recv(buf, 0)) {
                Ok(Ok(_)) => return Ok(&self.buf),
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
    }

    /// Runs a dump and hands every message of it to `f`. Notifications arriving on this
    /// socket meanwhile (sequence number 0) go to `f` too, after the dump's.
    pub async fn dump(
        &mut self,
        what: &'static str,
        request: RouteNetlinkMessage,
        skip: Option<RtProto>,
        f: &mut dyn FnMut(&RouteNetlinkMessage),
    ) -> Result<()> {
        for _ in 0..DUMP_TRIES {
            let mut parts = Vec::new();
            let mut other = Vec::new();
            if !self.dump_once(what, request.clone(), skip, &mut parts, &mut other).await? {
                // Interrupted: the parts are not consistent; notifications are.
                for m in &other {
                    f(m);
                }
                continue;
            }
            for m in parts.iter().chain(other.iter()) {
                f(m);
            }
            return Ok(());
        }
        Err(Error::Interrupted { what, tries: DUMP_TRIES })
    }

    /// One attempt; `false` when the kernel marked it interrupted.
    async fn dump_once(
        &mut self,
        what: &'static str,
        request: RouteNetlinkMessage,
        skip: Option<RtProto>,
        parts: &mut Vec<RouteNetlinkMessage>,
        other: &mut Vec<RouteNetlinkMessage>,
    ) -> Result<bool> {
        self.seq = self.seq.wrapping_add(1).max(1);
        let seq = self.seq;
        let mut out = Vec::new();
        encode::push(&mut out, request, encode::DUMP, seq);
        self.send(&out).await?;
        let mut consistent = true;
        loop {
            let datagram = match self.recv().await {
                Ok(d) => d,
                Err(e) if e.raw_os_error() == Some(ENOBUFS) => {
                    // Notifications were lost, not the dump (whose parts the kernel only
                    // makes when there is room): the caller's resync covers them.
                    tracing::debug!("netlink notifications lost during a dump");
                    continue;
                }
                Err(e) => return Err(sock(e)),
            };
            // Routes of `skip` are left undecoded: a watcher's dump of a table holding a
            // full table of ours would otherwise decode and keep a million messages.
            for frame in frames_skipping(datagram, skip) {
                match frame {
                    Frame::Message { seq: s, interrupted, message } if s == seq => {
                        consistent &= !interrupted;
                        parts.push(*message);
                    }
                    Frame::Message { message, .. } => other.push(*message),
                    Frame::Done { seq: s, code, interrupted } if s == seq => {
                        if code == -ENOENT && what == "routes" {
                            // A table filter naming a table that does not exist yet.
                            return Ok(true);
                        }
                        if code < 0 {
                            let source = io::Error::from_raw_os_error(-code);
                            return Err(Error::Dump { what, source });
                        }
                        return Ok(consistent && !interrupted);
                    }
                    Frame::Ack(a) if a.seq == seq && a.code == -ENOENT && what == "routes" => {
                        return Ok(true);
                    }
                    Frame::Ack(a) if a.seq == seq && a.code < 0 => {
                        let source = io::Error::from_raw_os_error(-a.code);
                        return Err(Error::Dump { what, source });
                    }
                    Frame::Undecodable { seq, reason } => {
                        tracing::warn!(%reason, seq, what, "undecodable netlink message skipped");
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Registers the socket with the runtime's reactor.
///
/// The one `unsafe` block of the crate: tokio cannot check that a raw descriptor stays
/// valid, so registering one is `unsafe` since tokio 1.54.
#[allow(unsafe_code)]
fn register(s: Socket) -> io::Result<AsyncFd<Socket>> {
    // SAFETY: `AsyncFd::register` needs the descriptor open and unchanged while
    // registered. `netlink_sys::Socket` owns it and closes it only on drop; it is moved into
    // the `AsyncFd` and only borrowed from there (`get_ref`), so it outlives the
    // registration and nothing replaces it.
    unsafe { AsyncFd::register(s) }.map_err(|e| e.into_parts().1)
}

/// `ENOBUFS`: the socket's receive buffer overflowed and messages were lost.
pub(crate) const ENOBUFS: i32 = nix::errno::Errno::ENOBUFS as i32;
/// `ENOENT`.
const ENOENT: i32 = nix::errno::Errno::ENOENT as i32;

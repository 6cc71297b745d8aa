//! One interface of the driver: its socket, IPv4 or IPv6 by the core's
//! [`Family`], and what the OS last said about it. The driver sees one
//! kind of datagram whatever the family.

use std::io;
use std::net::IpAddr;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};

use crate::engine::{Family, InterfaceState};
use crate::error::Error;
use crate::ipv4;
use crate::socket::OspfSocket;
use crate::socket6::OspfSocket6;

/// A received OSPF packet and the fields of its IP header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Datagram {
    /// Arrival interface, when the kernel said.
    pub ifindex: Option<u32>,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL or hop limit as received.
    pub ttl: Option<u8>,
    /// The OSPF packet (a part of the receive buffer).
    pub payload: Bytes,
}

/// The socket of one interface.
#[derive(Debug)]
pub(crate) enum PortSocket {
    V4(OspfSocket),
    V6(OspfSocket6),
}

/// One OSPF interface: its socket and what the OS last said about it.
#[derive(Debug)]
pub(crate) struct Port {
    pub socket: PortSocket,
    pub state: InterfaceState,
}

impl Port {
    /// Opens the interface's socket of `family`; over IPv6 the kernel
    /// handles checksums when `kernel_checksum` (see [`crate::socket6`]).
    pub fn open(
        family: Family,
        state: InterfaceState,
        kernel_checksum: bool,
    ) -> Result<Self, Error> {
        let socket = match family {
            Family::V4 => PortSocket::V4(OspfSocket::open(&state.name, state.ifindex)?),
            Family::V6 => {
                let s = OspfSocket6::open(&state.name, state.ifindex, state.link_local())?;
                if !kernel_checksum {
                    s.set_kernel_checksum(false)?;
                }
                PortSocket::V6(s)
            }
        };
        Ok(Self { socket, state })
    }

    /// Interface name.
    pub fn name(&self) -> &str {
        match &self.socket {
            PortSocket::V4(s) => s.name(),
            PortSocket::V6(s) => s.name(),
        }
    }

    /// Takes a new report from the OS (an IPv6 socket follows the
    /// link-local address).
    pub fn set_state(&mut self, state: InterfaceState) {
        if let PortSocket::V6(s) = &mut self.socket {
            s.set_source(state.link_local());
        }
        self.state = state;
    }

    /// Joins or leaves AllDRouters.
    pub fn set_all_d_routers(&mut self, member: bool) -> Result<(), Error> {
        match &mut self.socket {
            PortSocket::V4(s) => s.set_all_d_routers(member),
            PortSocket::V6(s) => s.set_all_d_routers(member),
        }
    }

    /// Sends `payload` to `dst`, which must be of the socket's family.
    pub async fn send(&self, dst: IpAddr, payload: &[u8]) -> Result<(), Error> {
        match (&self.socket, dst) {
            (PortSocket::V4(s), IpAddr::V4(dst)) => s.send(dst, payload).await,
            (PortSocket::V6(s), IpAddr::V6(dst)) => s.send(dst, payload).await,
            _ => Err(Error::Family { iface: self.name().to_owned(), dst }),
        }
    }

    /// Polls for one datagram, read into `buf`. A datagram that cannot be
    /// handed on (a bad IPv4 header; over IPv6, no destination) is an error
    /// of kind [`io::ErrorKind::InvalidData`]. (Over IPv6 the kernel has
    /// already dropped datagrams with a bad checksum.)
    pub fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<Datagram>> {
        match &self.socket {
            PortSocket::V4(s) => s.poll_recv(cx, buf).map(|r| {
                let d = r?;
                // Source, destination and TTL come from the IPv4 header that
                // raw IPv4 sockets deliver, exactly as sent.
                let ip = ipv4::parse(&d.bytes)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                Ok(Datagram {
                    ifindex: d.ifindex,
                    src: ip.src.into(),
                    dst: ip.dst.into(),
                    ttl: Some(ip.ttl),
                    payload: d.bytes.slice_ref(ip.payload),
                })
            }),
            PortSocket::V6(s) => s.poll_recv(cx, buf).map(|r| {
                let d = r?;
                // IPv6 raw sockets give no header: the destination comes
                // from IPV6_PKTINFO, without which the packet cannot be
                // judged.
                let dst = d.dst.ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "no IPV6_PKTINFO destination")
                })?;
                Ok(Datagram {
                    ifindex: d.ifindex,
                    src: d.src.into(),
                    dst: dst.into(),
                    ttl: d.hop_limit,
                    payload: d.bytes,
                })
            }),
        }
    }
}

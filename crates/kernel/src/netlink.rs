//! One-shot reads of the kernel's links, addresses and routes.

use netlink_packet_route::RouteNetlinkMessage;

use crate::config::RtProto;
use crate::decode::{Address, KernelRoute, Link};
use crate::encode;
use crate::error::Result;
use crate::socket::NlSocket;

/// A netlink route socket for reading the kernel's tables.
///
/// Opened in the network namespace of the calling thread; its I/O runs on the tokio
/// runtime of the caller.
#[derive(Debug)]
pub struct Netlink {
    sock: NlSocket,
}

impl Netlink {
    /// Opens the socket.
    ///
    /// # Errors
    ///
    /// [`Error::Socket`](crate::Error::Socket) when the socket cannot be opened.
    pub fn open() -> Result<Netlink> {
        Ok(Netlink { sock: NlSocket::open(&[])? })
    }

    /// Every link.
    ///
    /// # Errors
    ///
    /// A socket error or a refused dump.
    pub async fn links(&mut self) -> Result<Vec<Link>> {
        let mut out = Vec::new();
        self.sock
            .dump("links", encode::dump_links(), None, &mut |m| {
                if let RouteNetlinkMessage::NewLink(l) = m {
                    out.push(Link::from_message(l));
                }
            })
            .await?;
        Ok(out)
    }

    /// Every IPv4 and IPv6 address.
    ///
    /// # Errors
    ///
    /// A socket error or a refused dump.
    pub async fn addresses(&mut self) -> Result<Vec<Address>> {
        let mut out = Vec::new();
        for v6 in [false, true] {
            self.sock
                .dump("addresses", encode::dump_addresses(v6), None, &mut |m| {
                    if let RouteNetlinkMessage::NewAddress(a) = m {
                        out.extend(Address::from_message(a));
                    }
                })
                .await?;
        }
        Ok(out)
    }

    /// The IPv4 and IPv6 routes of `table`, only those of `protocol` when given.
    ///
    /// # Errors
    ///
    /// A socket error or a refused dump.
    pub async fn routes(
        &mut self,
        table: u32,
        protocol: Option<RtProto>,
    ) -> Result<Vec<KernelRoute>> {
        let mut out = Vec::new();
        for v6 in [false, true] {
            self.sock
                .dump("routes", encode::dump_routes(v6, table, protocol), None, &mut |m| {
                    if let RouteNetlinkMessage::NewRoute(r) = m {
                        out.extend(KernelRoute::from_message(r).filter(|k| {
                            k.table == table && protocol.is_none_or(|p| k.protocol == p)
                        }));
                    }
                })
                .await?;
        }
        Ok(out)
    }

    pub(crate) fn socket(&mut self) -> &mut NlSocket {
        &mut self.sock
    }
}

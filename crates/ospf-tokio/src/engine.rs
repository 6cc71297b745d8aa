//! The contract between the adapter and a sans-IO OSPF core.
//!
//! The adapter moves bytes and time; every protocol decision stays behind
//! this trait. It mirrors the shape of `ospf-lsdb`'s `Instance`: inputs
//! `handle_*(now, ..)`, outputs pulled with `poll_*`.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use ipnet::{Ipv4Net, Ipv6Net};

/// The IP version a core speaks, which decides the sockets the driver
/// opens: OSPFv2 runs over IPv4 (RFC 2328), OSPFv3 over IPv6 (RFC 5340).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Raw IPv4 sockets ([`crate::socket`]).
    V4,
    /// Raw IPv6 sockets ([`crate::socket6`]).
    V6,
}

/// An interface as the operating system reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceState {
    /// Kernel interface index.
    pub ifindex: u32,
    /// Interface name (`eth0`).
    pub name: String,
    /// Administratively up with carrier: the OSPF "InterfaceUp" condition
    /// (RFC 2328 §9.3, event InterfaceUp: "Lower-level protocols have
    /// indicated that the network interface is operational").
    pub up: bool,
    /// IP MTU in bytes, the "Interface MTU" of Database Description packets
    /// (RFC 2328 A.3.3).
    pub mtu: u32,
    /// IPv4 addresses with their prefix lengths, in the order the kernel
    /// lists them (the primary address first).
    pub addrs: Vec<Ipv4Net>,
    /// IPv6 addresses with their prefix lengths, link-local and global, in
    /// the order the kernel lists them.
    pub addrs6: Vec<Ipv6Net>,
}

impl InterfaceState {
    /// The first link-local IPv6 address (fe80::/10): the source of OSPFv3
    /// packets and the address neighbours know us by (RFC 5340 §2.5).
    #[must_use]
    pub fn link_local(&self) -> Option<Ipv6Addr> {
        self.addrs6.iter().map(Ipv6Net::addr).find(Ipv6Addr::is_unicast_link_local)
    }
}

/// An OSPF packet received on an interface, without its IP header.
///
/// The addresses are of the core's [`Family`]: IPv4 for OSPFv2, IPv6 for
/// OSPFv3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// Interface the packet arrived on.
    pub ifindex: u32,
    /// IP source address: the neighbour's interface address (OSPFv3: its
    /// link-local address).
    pub src: IpAddr,
    /// IP destination: AllSPFRouters, AllDRouters or one of our addresses.
    pub dst: IpAddr,
    /// IPv4 time to live or IPv6 hop limit as received, when known: OSPF
    /// multicast is sent with 1, so the core can drop multicast that crossed
    /// a router.
    pub ttl: Option<u8>,
    /// The OSPF packet, starting at its version field.
    pub payload: &'a [u8],
}

/// A packet the core wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Outgoing interface.
    pub ifindex: u32,
    /// IP destination: AllSPFRouters (224.0.0.5, ff02::5), AllDRouters
    /// (224.0.0.6, ff02::6) or a neighbour's address, of the core's
    /// [`Family`]; a packet of the other family is dropped.
    pub dst: IpAddr,
    /// The OSPF packet (the kernel adds the IP header; over IPv6 it also
    /// fills in the OSPFv3 checksum, see [`crate::socket6`]).
    pub payload: Vec<u8>,
}

/// A sans-IO OSPF core driven by [`crate::Driver`].
///
/// After every input the driver drains in the family's order (the runtime
/// contract of `ARCHITECTURE.md`): `poll_transmit` (and, with the packets
/// sent, [`Engine::all_d_routers_member`] for each interface), then
/// `poll_event`, then `poll_timeout`.
pub trait Engine {
    /// What the core reports (neighbour state changes, route changes, ...).
    type Event;

    /// The IP version the core speaks; the driver opens its sockets by it
    /// and asks once, when it starts.
    fn family(&self) -> Family;

    /// The OS reported an interface: at start with `old` `None`, then
    /// whenever its state, MTU or addresses change, with the previous
    /// report as `old`.
    fn handle_interface(
        &mut self,
        now: Instant,
        old: Option<&InterfaceState>,
        new: &InterfaceState,
    );

    /// Whether the kernel should compute the OSPFv3 checksum on send and
    /// drop datagrams whose checksum fails (IPv6 only; OSPFv2 checksums are
    /// always the core's). A core that fills in and verifies the checksum
    /// itself answers `false`, which RFC 7166 authentication trailers need
    /// (see [`crate::socket6`]).
    fn kernel_checksum(&self) -> bool {
        true
    }

    /// A packet arrived.
    fn handle_packet(&mut self, now: Instant, packet: Received<'_>);

    /// The deadline of [`Engine::poll_timeout`] has passed (calling it early
    /// must be a no-op).
    fn handle_timeout(&mut self, now: Instant);

    /// The next packet to send.
    fn poll_transmit(&mut self) -> Option<Transmit>;

    /// The earliest timer deadline.
    fn poll_timeout(&self) -> Option<Instant>;

    /// The next event.
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// Whether the interface should receive packets sent to AllDRouters,
    /// 224.0.0.6 or ff02::6: "the Designated Router and Backup Designated
    /// Router" (RFC 2328 A.1, RFC 5340 A.1).
    fn all_d_routers_member(&self, ifindex: u32) -> bool;
}

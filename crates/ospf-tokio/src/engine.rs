//! The contract between the adapter and a sans-IO OSPF core.
//!
//! The adapter moves bytes and time; every protocol decision stays behind
//! this trait. It mirrors the shape of `ospf-lsdb`'s `Instance`: inputs
//! `handle_*(now, ..)`, outputs pulled with `poll_*`.

use std::net::Ipv4Addr;
use std::time::Instant;

use ipnet::Ipv4Net;

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
}

/// An OSPF packet received on an interface, the IPv4 header removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// Interface the packet arrived on.
    pub ifindex: u32,
    /// IP source address: the neighbour's interface address.
    pub src: Ipv4Addr,
    /// IP destination: AllSPFRouters, AllDRouters or one of our addresses.
    pub dst: Ipv4Addr,
    /// IP time to live as received, when known: OSPF multicast is sent with
    /// TTL 1, so the core can drop multicast that crossed a router.
    pub ttl: Option<u8>,
    /// The OSPF packet, starting at its version field.
    pub payload: &'a [u8],
}

/// A packet the core wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Outgoing interface.
    pub ifindex: u32,
    /// IP destination: 224.0.0.5, 224.0.0.6 or a neighbour's address.
    pub dst: Ipv4Addr,
    /// The OSPF packet (the kernel adds the IPv4 header).
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

    /// The OS reported an interface: at start with `old` `None`, then
    /// whenever its state, MTU or addresses change, with the previous
    /// report as `old`.
    fn handle_interface(
        &mut self,
        now: Instant,
        old: Option<&InterfaceState>,
        new: &InterfaceState,
    );

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
    /// 224.0.0.6: "the Designated Router and Backup Designated Router"
    /// (RFC 2328 A.1).
    fn all_d_routers_member(&self, ifindex: u32) -> bool;
}

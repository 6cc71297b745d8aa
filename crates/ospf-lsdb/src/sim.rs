//! A deterministic simulation of several [`Instance`](crate::Instance)s over virtual links
//! with a virtual clock (enabled by the `sim` feature).
//!
//! The clock jumps to the earliest `poll_timeout` of all routers; packets
//! are delivered at once to the other members of the link they were sent
//! on (multicast) or to the member owning the destination address.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::event::Event;
use crate::instance::{OspfInstance, Transmit};
use crate::types::AreaId;
use crate::version::{KeyOf, Version};
use crate::{Config, V2};

/// One interface attached to a link.
#[derive(Debug, PartialEq, Eq)]
pub struct Port<V: Version = V2> {
    /// Router index in the simulation.
    pub router: usize,
    /// Interface index on that router.
    pub ifindex: u32,
    /// Interface addresses.
    pub addr: V::IfAddr,
    /// Interface MTU.
    pub mtu: u16,
}

impl<V: Version> Clone for Port<V> {
    fn clone(&self) -> Self {
        Self { router: self.router, ifindex: self.ifindex, addr: self.addr.clone(), mtu: self.mtu }
    }
}

impl Copy for Port<V2> {}

#[derive(Debug, Clone)]
struct Link<V: Version> {
    ports: Vec<Port<V>>,
    up: bool,
}

/// The simulation of routers of version `V`.
#[derive(Debug)]
pub struct SimOf<V: Version> {
    /// Current virtual time.
    pub now: Instant,
    /// Start time.
    pub t0: Instant,
    /// The routers, by index.
    pub routers: Vec<OspfInstance<V>>,
    alive: Vec<bool>,
    links: Vec<Link<V>>,
    /// Every event reported, with the router index and time.
    pub events: Vec<(usize, Duration, Event<V::Addr>)>,
    /// Packets delivered so far.
    pub delivered: u64,
    /// Set when the run stopped because time could not advance.
    pub stalled: bool,
    /// Some packets of a packet storm: (router, ifindex, destination, type).
    pub last_storm: Vec<(usize, u32, V::Addr, u8)>,
    /// When set, every packet delivered is recorded here: receiving
    /// router and interface, source, destination and the octets.
    pub tap: Option<Vec<Delivered<V>>>,
    /// Packets to lose: (link, OSPF packet type, how many more).
    losses: Vec<(usize, u8, u32)>,
}

/// A packet as it was delivered: receiving router, interface, source,
/// destination, octets.
pub type Delivered<V> = (usize, u32, <V as Version>::Addr, <V as Version>::Addr, Vec<u8>);

/// The OSPFv2 simulation.
pub type Sim = SimOf<V2>;

impl SimOf<V2> {
    /// A port with MTU 1500.
    #[must_use]
    pub fn port(router: usize, ifindex: u32, addr: &str) -> Port {
        Port { router, ifindex, addr: addr.parse().unwrap_or_default(), mtu: 1500 }
    }
}

impl<V: Version> SimOf<V> {
    /// An empty simulation whose virtual clock starts at `t0`, an arbitrary
    /// origin chosen by the caller (the crate never reads a clock); all later
    /// times are offsets from it.
    #[must_use]
    pub fn new(t0: Instant) -> Self {
        Self {
            now: t0,
            t0,
            routers: Vec::new(),
            alive: Vec::new(),
            links: Vec::new(),
            events: Vec::new(),
            delivered: 0,
            stalled: false,
            last_storm: Vec::new(),
            tap: None,
            losses: Vec::new(),
        }
    }

    /// Adds a router; returns its index.
    pub fn add_router(&mut self, cfg: Config) -> usize {
        self.routers.push(OspfInstance::new(cfg));
        self.alive.push(true);
        self.routers.len() - 1
    }

    /// Adds a link (two ports: point-to-point; more: a broadcast segment)
    /// and brings its interfaces up; returns the link index.
    pub fn add_link(&mut self, ports: &[Port<V>]) -> usize {
        let now = self.now;
        for p in ports {
            if let Some(r) = self.routers.get_mut(p.router) {
                r.handle_interface_address(now, p.ifindex, Some(p.addr.clone()));
                r.handle_interface_up(now, p.ifindex, p.mtu);
            }
        }
        self.links.push(Link { ports: ports.to_vec(), up: true });
        self.pump();
        self.links.len() - 1
    }

    /// Whether a router is still running.
    #[must_use]
    pub fn is_alive(&self, router: usize) -> bool {
        self.alive.get(router).copied().unwrap_or(false)
    }

    /// Stops a router abruptly (no flush): it sends and receives nothing.
    pub fn kill(&mut self, router: usize) {
        if let Some(a) = self.alive.get_mut(router) {
            *a = false;
        }
    }

    /// Shuts a router down gracefully (its LSAs are flushed), then kills it.
    pub fn shutdown(&mut self, router: usize) {
        let now = self.now;
        if let Some(r) = self.routers.get_mut(router) {
            r.shutdown(now);
        }
        self.pump();
        self.kill(router);
    }

    /// Takes a link down or up (interfaces follow).
    pub fn set_link(&mut self, link: usize, up: bool) {
        let now = self.now;
        let Some(l) = self.links.get_mut(link) else {
            return;
        };
        l.up = up;
        let ports = l.ports.clone();
        for p in ports {
            if let Some(r) = self.routers.get_mut(p.router) {
                if up {
                    r.handle_interface_up(now, p.ifindex, p.mtu);
                } else {
                    r.handle_interface_down(now, p.ifindex);
                }
            }
        }
        self.pump();
    }

    /// Loses the next `count` packets of OSPF type `packet_type` (4: Link
    /// State Update) sent on `link`, as a lossy link would.
    pub fn lose_next(&mut self, link: usize, packet_type: u8, count: u32) {
        self.losses.push((link, packet_type, count));
    }

    /// Packets still to be lost by [`SimOf::lose_next`].
    #[must_use]
    pub fn losses_pending(&self) -> u32 {
        self.losses.iter().map(|l| l.2).sum()
    }

    /// Applies `f` to a router at the current time, then delivers.
    pub fn with_router(&mut self, router: usize, f: impl FnOnce(&mut OspfInstance<V>, Instant)) {
        let now = self.now;
        if let Some(r) = self.routers.get_mut(router) {
            f(r, now);
        }
        self.pump();
    }

    fn link_of(&self, router: usize, ifindex: u32) -> Option<usize> {
        self.links
            .iter()
            .position(|l| l.ports.iter().any(|p| p.router == router && p.ifindex == ifindex))
    }

    /// Delivers every queued packet (and the packets they cause) and
    /// collects events, at the current time.
    pub fn pump(&mut self) {
        let mut queue: VecDeque<(usize, Transmit<V::Addr>)> = VecDeque::new();
        let mut budget = 200_000u32;
        loop {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                // Packets keep causing packets at one instant: a storm.
                self.stalled = true;
                self.last_storm = queue
                    .iter()
                    .take(20)
                    .map(|(r, t)| (*r, t.ifindex, t.dst, t.bytes.get(1).copied().unwrap_or(0)))
                    .collect();
                break;
            }
            for (i, r) in self.routers.iter_mut().enumerate() {
                while let Some(t) = r.poll_transmit() {
                    if self.alive.get(i).copied().unwrap_or(false) {
                        queue.push_back((i, t));
                    }
                }
                let _ = r.poll_timeout();
                while let Some(e) = r.poll_event() {
                    self.events.push((i, self.now - self.t0, e));
                }
            }
            let Some((from, t)) = queue.pop_front() else {
                break;
            };
            let Some(li) = self.link_of(from, t.ifindex) else {
                continue;
            };
            let Some(link) = self.links.get(li).cloned() else {
                continue;
            };
            if !link.up {
                continue;
            }
            let ty = t.bytes.get(1).copied().unwrap_or(0);
            if let Some(l) = self.losses.iter_mut().find(|l| l.0 == li && l.1 == ty && l.2 > 0) {
                l.2 -= 1;
                continue;
            }
            let src = link
                .ports
                .iter()
                .find(|p| p.router == from && p.ifindex == t.ifindex)
                .map_or_else(V::unspecified, |p| V::source(&p.addr));
            let multicast = t.dst == V::ALL_SPF_ROUTERS || t.dst == V::ALL_D_ROUTERS;
            for p in &link.ports {
                if p.router == from || !self.alive.get(p.router).copied().unwrap_or(false) {
                    continue;
                }
                if !multicast && !V::is_local(&p.addr, t.dst) {
                    continue;
                }
                if let Some(tap) = &mut self.tap {
                    tap.push((p.router, p.ifindex, src, t.dst, t.bytes.clone()));
                }
                if let Some(r) = self.routers.get_mut(p.router) {
                    self.delivered += 1;
                    // Neighbours on a link are one hop away: TTL 1.
                    r.handle_packet_with_ttl(self.now, p.ifindex, src, t.dst, Some(1), &t.bytes);
                }
            }
        }
    }

    /// Runs the virtual clock for `d`, jumping from timeout to timeout.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        let mut same_instant = 0u32;
        let mut last = self.now;
        loop {
            self.pump();
            if self.stalled {
                break;
            }
            if self.now == last {
                same_instant += 1;
                if same_instant > 10_000 {
                    // A livelock: the engines keep re-arming timers for the
                    // same instant. Record it and stop the run.
                    self.stalled = true;
                    break;
                }
            } else {
                same_instant = 0;
                last = self.now;
            }
            let next = self
                .routers
                .iter()
                .enumerate()
                .filter(|(i, _)| self.alive.get(*i).copied().unwrap_or(false))
                .filter_map(|(_, r)| r.poll_timeout())
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    for (i, r) in self.routers.iter_mut().enumerate() {
                        if self.alive.get(i).copied().unwrap_or(false) {
                            r.handle_timeout(now);
                        }
                    }
                }
                _ => break,
            }
        }
        self.now = end;
    }

    /// The databases of a router (area and AS scope) as comparable digests.
    #[must_use]
    pub fn lsdb_digest(&self, router: usize, area: AreaId) -> Vec<(KeyOf<V>, i32, u16)> {
        let Some(r) = self.routers.get(router) else {
            return Vec::new();
        };
        let mut d = r.area_lsdb(area).map(|l| l.digest()).unwrap_or_default();
        d.extend(r.as_lsdb().digest());
        d
    }

    /// Routes of a router as comparable text lines.
    #[must_use]
    pub fn route_lines(&self, router: usize) -> Vec<String> {
        self.routers
            .get(router)
            .map(|r| {
                r.routes()
                    .map(|x| {
                        let nh: Vec<String> = x.next_hops.iter().map(ToString::to_string).collect();
                        format!(
                            "{} {} cost {} t2 {:?} via [{}]",
                            x.prefix,
                            x.path_type,
                            x.metric,
                            x.type2_cost,
                            nh.join(", ")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Addresses for simulations written once for both versions: link `link`
/// is a subnet of its own and `host` numbers a router on it.
pub trait SimVersion: Version {
    /// The addresses of host `host` on link `link`.
    fn if_addr(link: u16, host: u8) -> Self::IfAddr;
    /// The prefix of link `link`.
    fn link_prefix(link: u16) -> ipnet::IpNet;
    /// The address a neighbour reaches host `host` on link `link` by: its
    /// interface address (OSPFv2) or its link-local address (OSPFv3).
    fn next_hop(link: u16, host: u8) -> std::net::IpAddr;
    /// The default route.
    fn default_route() -> ipnet::IpNet;
    /// Adds link `link`'s prefix to the routes `cfg` redistributes.
    fn redistribute(cfg: &mut Config, link: u16, metric_type: crate::MetricType, metric: u32);
    /// Replaces a running router's redistributed routes with `cfg`'s.
    fn reconfigure_redistribution(inst: &mut OspfInstance<Self>, now: Instant, cfg: &Config);
    /// Sets the packet checksum of `packet` (no authentication) sent from
    /// `src` to `dst`, so that a forged packet reaches the parsers.
    fn set_checksum(packet: &mut [u8], src: Self::Addr, dst: Self::Addr);
}

impl SimVersion for V2 {
    fn if_addr(link: u16, host: u8) -> ipnet::Ipv4Net {
        let [a, b] = link.to_be_bytes();
        ipnet::Ipv4Net::new(std::net::Ipv4Addr::new(10, a, b, host), 24).unwrap_or_default()
    }
    fn link_prefix(link: u16) -> ipnet::IpNet {
        ipnet::IpNet::V4(Self::if_addr(link, 0).trunc())
    }
    fn next_hop(link: u16, host: u8) -> std::net::IpAddr {
        std::net::IpAddr::V4(Self::if_addr(link, host).addr())
    }
    fn default_route() -> ipnet::IpNet {
        ipnet::IpNet::V4(ipnet::Ipv4Net::default())
    }
    fn set_checksum(packet: &mut [u8], _src: std::net::Ipv4Addr, _dst: std::net::Ipv4Addr) {
        let len = packet.get(2..4).map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        let c = ospf_wire::v2::packet_checksum(packet.get(..len).unwrap_or(packet));
        if let Some(f) = packet.get_mut(12..14) {
            f.copy_from_slice(&c.to_be_bytes());
        }
    }
    fn redistribute(cfg: &mut Config, link: u16, metric_type: crate::MetricType, metric: u32) {
        let prefix = Self::if_addr(link, 0).trunc();
        cfg.redistribute.push(crate::Redistribute {
            prefix,
            metric_type,
            metric,
            forwarding: None,
            tag: 7,
        });
    }
    fn reconfigure_redistribution(inst: &mut OspfInstance<Self>, now: Instant, cfg: &Config) {
        inst.handle_config(now, cfg.redistribute.clone());
    }
}

impl SimVersion for crate::V3 {
    fn if_addr(link: u16, host: u8) -> crate::LinkAddrs {
        let global = std::net::Ipv6Addr::new(0x2001, 0xdb8, link, 0, 0, 0, 0, u16::from(host));
        crate::LinkAddrs::new(
            std::net::Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, link, u16::from(host)),
            vec![ipnet::Ipv6Net::new(global, 64).unwrap_or_default()],
        )
    }
    fn link_prefix(link: u16) -> ipnet::IpNet {
        let a = std::net::Ipv6Addr::new(0x2001, 0xdb8, link, 0, 0, 0, 0, 0);
        ipnet::IpNet::V6(ipnet::Ipv6Net::new(a, 64).unwrap_or_default())
    }
    fn next_hop(link: u16, host: u8) -> std::net::IpAddr {
        std::net::IpAddr::V6(Self::if_addr(link, host).link_local)
    }
    fn default_route() -> ipnet::IpNet {
        ipnet::IpNet::V6(ipnet::Ipv6Net::default())
    }
    fn set_checksum(packet: &mut [u8], src: std::net::Ipv6Addr, dst: std::net::Ipv6Addr) {
        let len = packet.get(2..4).map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        if len >= ospf_wire::v3::HEADER_LEN && len <= packet.len() {
            ospf_wire::v3::set_checksum(src, dst, &mut packet[..len]);
        }
    }
    fn redistribute(cfg: &mut Config, link: u16, metric_type: crate::MetricType, metric: u32) {
        let ipnet::IpNet::V6(prefix) = Self::link_prefix(link) else {
            return;
        };
        cfg.redistribute6.push(crate::Redistribute6 {
            prefix,
            metric_type,
            metric,
            forwarding: None,
            tag: 7,
        });
    }
    fn reconfigure_redistribution(inst: &mut OspfInstance<Self>, now: Instant, cfg: &Config) {
        inst.handle_config6(now, cfg.redistribute6.clone());
    }
}

impl<V: SimVersion> SimOf<V> {
    /// Host `host`'s port on link `link` (MTU 1500), as interface `ifindex`
    /// of router `router`.
    #[must_use]
    pub fn port_on(router: usize, ifindex: u32, link: u16, host: u8) -> Port<V> {
        Port { router, ifindex, addr: V::if_addr(link, host), mtu: 1500 }
    }

    /// The link-scope database of a router's interface as a digest.
    #[must_use]
    pub fn link_digest(&self, router: usize, ifindex: u32) -> Vec<(KeyOf<V>, i32, u16)> {
        self.routers
            .get(router)
            .and_then(|r| r.link_lsdb(ifindex))
            .map(|d| d.digest())
            .unwrap_or_default()
    }
}

//! Connected and kernel routes from the kernel's links, addresses and routes, as a sans-IO
//! state machine: netlink messages in (a dump, then notifications), `rib::RouteChange`s out.
//!
//! ## What is reported
//!
//! - **Connected** routes come from addresses: the network of every address on a link
//!   that is up and running (`10.0.0.0/24` for `10.0.0.1/24`, the address itself for a
//!   `/32`), with a direct next hop on each such link. Link-local (`fe80::/10`,
//!   `169.254.0.0/16`) and loopback addresses, and addresses whose duplicate address
//!   detection failed, make none. The kernel's own prefix routes (`proto kernel`) are
//!   therefore not reported again as kernel routes.
//! - **Kernel** routes are the unicast, blackhole, unreachable and prohibit routes of the
//!   configured table that other programs installed (`proto boot`, `static`, `dhcp`, a
//!   CNI's, ...). Not reported: routes of our own protocol number, `proto kernel` and
//!   `redirect` routes, cached clones, the kernel's local, broadcast, anycast and multicast
//!   entries, routes to link-local, loopback and multicast destinations, and routes through
//!   nexthop objects (`RTA_NH_ID`). When several routes to one prefix differ by metric,
//!   the lowest metric is the route.
//!
//! ## Call order
//!
//! [`Tracker::handle_message`] for every message of the initial dumps (links, then
//! addresses and routes) and of the multicast notifications after them, then
//! [`Tracker::poll_event`] until `None`. After the socket overran (`ENOBUFS`),
//! [`Tracker::begin_resync`], the dumps again, then [`Tracker::end_resync`]: only the
//! differences are reported.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use hashbrown::HashMap;
use ipnet::IpNet;
use netlink_packet_route::RouteNetlinkMessage;
use rib::{NextHop, PathType, Protocol, Route, RouteChange, RouteKind};

use crate::config::{RtProto, WatchConfig};
use crate::decode::{Address, KernelRoute, Link};

type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// What the reader reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A link appeared or changed (name, up or down).
    Link(Link),
    /// The link with this index is gone.
    LinkGone(u32),
    /// A connected or kernel route appeared, changed or went.
    Route(RouteChange),
}

/// The reader's state: see the module documentation.
#[derive(Debug)]
pub struct Tracker {
    cfg: WatchConfig,
    links: BTreeMap<u32, Link>,
    /// Addresses by interface.
    addresses: Map<u32, BTreeSet<IpNet>>,
    /// Kernel routes by prefix, then metric.
    kernel: Map<IpNet, BTreeMap<u32, Route>>,
    /// Links as last reported.
    links_out: BTreeMap<u32, Link>,
    /// Routes as last reported, by protocol and prefix.
    routes_out: Map<(Protocol, IpNet), Route>,
    resyncing: bool,
    events: VecDeque<Event>,
}

impl Tracker {
    /// A reader that knows of nothing yet.
    #[must_use]
    pub fn new(cfg: WatchConfig) -> Tracker {
        Tracker {
            cfg,
            links: BTreeMap::new(),
            addresses: Map::default(),
            kernel: Map::default(),
            links_out: BTreeMap::new(),
            routes_out: Map::default(),
            resyncing: false,
            events: VecDeque::new(),
        }
    }

    /// One message from a dump or a notification; others than links, addresses and routes
    /// are ignored.
    pub fn handle_message(&mut self, msg: &RouteNetlinkMessage) {
        match msg {
            RouteNetlinkMessage::NewLink(m) => self.handle_link(Link::from_message(m)),
            RouteNetlinkMessage::DelLink(m) => self.handle_link_gone(m.header.index),
            RouteNetlinkMessage::NewAddress(m) => {
                if let Some(a) = Address::from_message(m) {
                    self.handle_address(a, true);
                }
            }
            RouteNetlinkMessage::DelAddress(m) => {
                if let Some(a) = Address::from_message(m) {
                    self.handle_address(a, false);
                }
            }
            RouteNetlinkMessage::NewRoute(m) => {
                if let Some(r) = KernelRoute::from_message(m) {
                    self.handle_route(&r, true);
                }
            }
            RouteNetlinkMessage::DelRoute(m) => {
                if let Some(r) = KernelRoute::from_message(m) {
                    self.handle_route(&r, false);
                }
            }
            _ => {}
        }
    }

    /// A link appeared or changed.
    pub fn handle_link(&mut self, link: Link) {
        let index = link.index;
        let was_up = self.links.get(&index).is_some_and(|l| l.up);
        let up = link.up;
        self.links.insert(index, link);
        if self.resyncing {
            return;
        }
        self.report_link(index);
        if was_up != up {
            self.refresh_link_networks(index);
        }
    }

    /// A link is gone, with its addresses.
    pub fn handle_link_gone(&mut self, index: u32) {
        self.links.remove(&index);
        let nets = self.networks_of(index);
        self.addresses.remove(&index);
        if self.resyncing {
            return;
        }
        self.report_link(index);
        for n in nets {
            self.refresh_connected(n);
        }
    }

    /// An address was added (`added`) or removed.
    pub fn handle_address(&mut self, a: Address, added: bool) {
        if added && (a.dad_failed || noise_address(a.addr)) {
            // A failed address may have been usable before.
            if a.dad_failed {
                self.handle_address(a, false);
            }
            return;
        }
        let set = self.addresses.entry(a.ifindex).or_default();
        if added {
            set.insert(a.addr);
        } else {
            set.remove(&a.addr);
            if set.is_empty() {
                self.addresses.remove(&a.ifindex);
            }
        }
        if !self.resyncing {
            self.refresh_connected(a.network());
        }
    }

    /// A route was added or changed (`added`) or removed.
    pub fn handle_route(&mut self, k: &KernelRoute, added: bool) {
        let Some(route) = kernel_route(&self.cfg, k) else { return };
        let prefix = route.prefix;
        let entries = self.kernel.entry(prefix).or_default();
        if added {
            entries.insert(k.metric, route);
        } else if let Some(old) = entries.get_mut(&k.metric) {
            // IPv6 reports the removal of one next hop of a multipath route alone.
            let partial = !route.next_hops.is_empty()
                && route.next_hops.len() < old.next_hops.len()
                && route.next_hops.iter().all(|h| old.next_hops.contains(h));
            if partial {
                old.next_hops.retain(|h| !route.next_hops.contains(h));
            } else {
                entries.remove(&k.metric);
            }
        }
        if entries.is_empty() {
            self.kernel.remove(&prefix);
        }
        if !self.resyncing {
            self.refresh_kernel(prefix);
        }
    }

    /// Forgets links, addresses and routes (not what was reported) before the dumps of a
    /// resync; nothing is reported until [`Tracker::end_resync`].
    pub fn begin_resync(&mut self) {
        self.links.clear();
        self.addresses.clear();
        self.kernel.clear();
        self.resyncing = true;
    }

    /// Reports what differs between the dumps since [`Tracker::begin_resync`] and what was
    /// reported before.
    pub fn end_resync(&mut self) {
        self.resyncing = false;
        let links: BTreeSet<u32> =
            self.links.keys().chain(self.links_out.keys()).copied().collect();
        for l in links {
            self.report_link(l);
        }
        let mut connected: BTreeSet<IpNet> =
            self.addresses.values().flatten().map(IpNet::trunc).collect();
        let mut kernel: BTreeSet<IpNet> = self.kernel.keys().copied().collect();
        for (p, n) in self.routes_out.keys() {
            match p {
                Protocol::Connected => connected.insert(*n),
                _ => kernel.insert(*n),
            };
        }
        for n in connected {
            self.refresh_connected(n);
        }
        for n in kernel {
            self.refresh_kernel(n);
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &WatchConfig {
        &self.cfg
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The links known now.
    pub fn links(&self) -> impl Iterator<Item = &Link> {
        self.links.values()
    }

    /// The connected and kernel routes as reported so far.
    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes_out.values()
    }

    fn report_link(&mut self, index: u32) {
        let now = self.links.get(&index);
        if self.links_out.get(&index) == now {
            return;
        }
        match now.cloned() {
            Some(l) => {
                self.links_out.insert(index, l.clone());
                self.events.push_back(Event::Link(l));
            }
            None => {
                self.links_out.remove(&index);
                self.events.push_back(Event::LinkGone(index));
            }
        }
    }

    fn networks_of(&self, index: u32) -> Vec<IpNet> {
        self.addresses.get(&index).map(|s| s.iter().map(IpNet::trunc).collect()).unwrap_or_default()
    }

    fn refresh_link_networks(&mut self, index: u32) {
        for n in self.networks_of(index) {
            self.refresh_connected(n);
        }
    }

    /// Recomputes the connected route to network `n` and reports a change.
    fn refresh_connected(&mut self, n: IpNet) {
        let mut hops: Vec<NextHop> = self
            .addresses
            .iter()
            .filter(|(i, set)| {
                self.links.get(i).is_some_and(|l| l.up) && set.iter().any(|a| a.trunc() == n)
            })
            .map(|(i, _)| NextHop::direct(*i))
            .collect();
        hops.sort_unstable();
        let now = if hops.is_empty() {
            None
        } else {
            Some(Route {
                prefix: n,
                protocol: Protocol::Connected,
                path_type: PathType::Other,
                metric: 0,
                type2_cost: None,
                next_hops: hops,
                tag: None,
                kind: RouteKind::Unicast,
            })
        };
        self.report(Protocol::Connected, n, now);
    }

    fn refresh_kernel(&mut self, n: IpNet) {
        let now = self.kernel.get(&n).and_then(|m| m.values().next()).cloned();
        self.report(Protocol::Kernel, n, now);
    }

    fn report(&mut self, protocol: Protocol, n: IpNet, now: Option<Route>) {
        let key = (protocol, n);
        let change = match (self.routes_out.get(&key), now) {
            (None, None) => return,
            (Some(old), Some(new)) if *old == new => return,
            (None, Some(new)) => RouteChange::Add(new),
            (Some(_), Some(new)) => RouteChange::Replace(new),
            (Some(old), None) => RouteChange::Delete(old.clone()),
        };
        match &change {
            RouteChange::Delete(_) => {
                self.routes_out.remove(&key);
            }
            RouteChange::Add(r) | RouteChange::Replace(r) => {
                self.routes_out.insert(key, r.clone());
            }
        }
        self.events.push_back(Event::Route(change));
    }
}

/// Whether an address makes no connected route: link-local and loopback.
fn noise_address(a: IpNet) -> bool {
    noise_destination(IpNet::from(a.addr()))
}

/// Destinations that are never redistributed: IPv4 and IPv6 link-local, loopback and
/// multicast (`169.254.0.0/16`, `127.0.0.0/8`, `224.0.0.0/4`, `fe80::/10`, `::1/128`,
/// `ff00::/8` and anything inside them).
fn noise_destination(p: IpNet) -> bool {
    match p {
        IpNet::V4(n) => {
            let a = n.network().octets();
            let len = n.prefix_len();
            (a[0] == 169 && a[1] == 254 && len >= 16)
                || (a[0] == 127 && len >= 8)
                || (a[0] & 0xf0 == 224 && len >= 4)
        }
        IpNet::V6(n) => {
            let s = n.network().segments()[0];
            let len = n.prefix_len();
            (s & 0xffc0 == 0xfe80 && len >= 10)
                || (s & 0xff00 == 0xff00 && len >= 8)
                || (n.network().is_loopback() && len == 128)
        }
    }
}

/// A kernel route to report, or `None` when it is filtered out (see the module
/// documentation).
#[must_use]
pub fn kernel_route(cfg: &WatchConfig, k: &KernelRoute) -> Option<Route> {
    if k.table != cfg.table
        || k.protocol == cfg.own_protocol
        || k.protocol == RtProto::KERNEL
        || k.protocol == RtProto::REDIRECT
        || k.cloned
        || noise_destination(k.prefix)
    {
        return None;
    }
    let kind = k.rtype.kind()?;
    let next_hops = match kind {
        RouteKind::Unicast if k.next_hops.is_empty() => return None,
        RouteKind::Unicast => k.next_hops.clone(),
        RouteKind::Blackhole | RouteKind::Reject => Vec::new(),
    };
    Some(Route {
        prefix: k.prefix.trunc(),
        protocol: Protocol::Kernel,
        path_type: PathType::Other,
        metric: k.metric,
        type2_cost: None,
        next_hops,
        tag: None,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::RtType;
    use std::net::IpAddr;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    fn link(index: u32, up: bool) -> Link {
        Link { index, name: format!("eth{index}"), up, loopback: false }
    }

    fn addr(ifindex: u32, a: &str) -> Address {
        Address { ifindex, addr: net(a), dad_failed: false }
    }

    fn kr(prefix: &str, protocol: RtProto, metric: u32, hops: Vec<NextHop>) -> KernelRoute {
        KernelRoute {
            prefix: net(prefix),
            table: 254,
            protocol,
            rtype: RtType::UNICAST,
            metric,
            next_hops: hops,
            nexthop_id: None,
            cloned: false,
        }
    }

    fn events(t: &mut Tracker) -> Vec<Event> {
        std::iter::from_fn(|| t.poll_event()).collect()
    }

    fn routes(t: &mut Tracker) -> Vec<RouteChange> {
        events(t)
            .into_iter()
            .filter_map(|e| match e {
                Event::Route(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn connected_routes_follow_addresses_and_link_state() {
        let mut t = Tracker::new(WatchConfig::default());
        t.handle_link(link(2, true));
        t.handle_link(link(3, false));
        assert_eq!(events(&mut t).len(), 2);
        t.handle_address(addr(2, "10.0.0.1/24"), true);
        t.handle_address(addr(3, "10.0.0.9/24"), true);
        t.handle_address(addr(2, "fe80::1/64"), true);
        t.handle_address(addr(2, "127.0.0.1/8"), true);
        let c = routes(&mut t);
        assert_eq!(c.len(), 1);
        let RouteChange::Add(r) = &c[0] else { panic!("{c:?}") };
        assert_eq!((r.prefix, r.protocol), (net("10.0.0.0/24"), Protocol::Connected));
        assert_eq!(r.next_hops, vec![NextHop::direct(2)]);
        // The second link comes up: a second next hop.
        t.handle_link(link(3, true));
        let c = routes(&mut t);
        let [RouteChange::Replace(r)] = &c[..] else { panic!("{c:?}") };
        assert_eq!(r.next_hops, vec![NextHop::direct(2), NextHop::direct(3)]);
        // Both go down: the route goes.
        t.handle_link(link(2, false));
        t.handle_link_gone(3);
        let c = routes(&mut t);
        assert!(matches!(c.last(), Some(RouteChange::Delete(r)) if r.prefix == net("10.0.0.0/24")));
    }

    #[test]
    fn a_host_address_is_its_own_connected_route() {
        let mut t = Tracker::new(WatchConfig::default());
        t.handle_link(link(1, true));
        t.handle_address(addr(1, "10.255.0.1/32"), true);
        let c = routes(&mut t);
        assert!(matches!(&c[..], [RouteChange::Add(r)] if r.prefix == net("10.255.0.1/32")));
        t.handle_address(addr(1, "10.255.0.1/32"), false);
        assert!(matches!(&routes(&mut t)[..], [RouteChange::Delete(_)]));
    }

    #[test]
    fn kernel_routes_are_filtered() {
        let cfg = WatchConfig::default();
        let hop = vec![NextHop::via(ip("192.0.2.1"), 2)];
        let ok = kr("10.244.3.0/24", RtProto::BOOT, 0, hop.clone());
        assert_eq!(kernel_route(&cfg, &ok).map(|r| r.protocol), Some(Protocol::Kernel));
        for bad in [
            kr("10.244.3.0/24", RtProto::DEFAULT, 20, hop.clone()),
            kr("10.244.3.0/24", RtProto::KERNEL, 0, hop.clone()),
            kr("169.254.0.0/16", RtProto::BOOT, 0, hop.clone()),
            kr("fe80::/64", RtProto::BOOT, 256, hop.clone()),
            kr("ff00::/8", RtProto::BOOT, 256, hop.clone()),
            kr("10.244.3.0/24", RtProto::BOOT, 0, vec![]),
            KernelRoute { table: 255, ..ok.clone() },
            KernelRoute { rtype: RtType::LOCAL, ..ok.clone() },
            KernelRoute { rtype: RtType::BROADCAST, ..ok.clone() },
            KernelRoute { cloned: true, ..ok.clone() },
        ] {
            assert_eq!(kernel_route(&cfg, &bad), None, "{bad:?}");
        }
        let bh =
            KernelRoute { rtype: RtType::BLACKHOLE, next_hops: vec![NextHop::direct(1)], ..ok };
        let r = kernel_route(&cfg, &bh).unwrap_or_else(|| unreachable!());
        assert_eq!((r.kind, r.next_hops.len()), (RouteKind::Blackhole, 0));
    }

    #[test]
    fn the_lowest_metric_is_the_kernel_route() {
        let mut t = Tracker::new(WatchConfig::default());
        let a = vec![NextHop::via(ip("192.0.2.1"), 2)];
        let b = vec![NextHop::via(ip("192.0.2.2"), 2)];
        t.handle_route(&kr("10.1.0.0/16", RtProto::BOOT, 100, a.clone()), true);
        t.handle_route(&kr("10.1.0.0/16", RtProto::STATIC, 50, b.clone()), true);
        t.handle_route(&kr("10.1.0.0/16", RtProto::BOOT, 100, a.clone()), false);
        t.handle_route(&kr("10.1.0.0/16", RtProto::STATIC, 50, b.clone()), false);
        let c = routes(&mut t);
        let kinds: Vec<(&str, u32)> = c
            .iter()
            .map(|c| match c {
                RouteChange::Add(r) => ("add", r.metric),
                RouteChange::Replace(r) => ("replace", r.metric),
                RouteChange::Delete(r) => ("delete", r.metric),
            })
            .collect();
        assert_eq!(kinds, [("add", 100), ("replace", 50), ("delete", 50)]);
    }

    #[test]
    fn removing_one_ipv6_next_hop_keeps_the_others() {
        let mut t = Tracker::new(WatchConfig::default());
        let a = NextHop::via(ip("fe80::1"), 2);
        let b = NextHop::via(ip("fe80::2"), 3);
        t.handle_route(&kr("2001:db8::/32", RtProto::BOOT, 1024, vec![a, b]), true);
        t.handle_route(&kr("2001:db8::/32", RtProto::BOOT, 1024, vec![a]), false);
        let c = routes(&mut t);
        assert!(
            matches!(&c[..], [RouteChange::Add(_), RouteChange::Replace(r)] if r.next_hops == vec![b])
        );
    }

    #[test]
    fn a_resync_reports_only_differences() {
        let mut t = Tracker::new(WatchConfig::default());
        let hop = vec![NextHop::via(ip("192.0.2.1"), 2)];
        t.handle_link(link(2, true));
        t.handle_address(addr(2, "192.0.2.10/24"), true);
        t.handle_route(&kr("10.1.0.0/16", RtProto::BOOT, 0, hop.clone()), true);
        t.handle_route(&kr("10.2.0.0/16", RtProto::BOOT, 0, hop.clone()), true);
        assert_eq!(events(&mut t).len(), 4);
        t.begin_resync();
        t.handle_link(link(2, true));
        t.handle_address(addr(2, "192.0.2.10/24"), true);
        t.handle_route(&kr("10.2.0.0/16", RtProto::BOOT, 0, hop.clone()), true);
        t.handle_route(&kr("10.3.0.0/16", RtProto::BOOT, 0, hop), true);
        assert!(events(&mut t).is_empty());
        t.end_resync();
        let mut c: Vec<(bool, IpNet)> = routes(&mut t)
            .into_iter()
            .map(|c| (matches!(c, RouteChange::Add(_)), c.route().prefix))
            .collect();
        c.sort();
        assert_eq!(c, [(false, net("10.1.0.0/16")), (true, net("10.3.0.0/16"))]);
    }
}

//! [`Engine`] for the `ospf-lsdb` engine, both versions: OS interface reports
//! become its interface inputs, and addresses are converted to the version's
//! family ([`AdapterVersion`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use ospf_lsdb::interface::IfState;
use ospf_lsdb::{Event, LinkAddrs, OspfInstance, Version, V2, V3};

use crate::engine::{Engine, Family, InterfaceState, Received, Transmit};

/// An MTU as the 16-bit field of Database Description packets.
fn mtu16(mtu: u32) -> u16 {
    u16::try_from(mtu).unwrap_or(u16::MAX)
}

/// What the adapter needs to know of an OSPF version: its sockets' family,
/// the interface address the engine takes, and its addresses as `IpAddr`.
pub trait AdapterVersion: Version {
    /// The sockets it runs on.
    const FAMILY: Family;
    /// The engine's view of an interface's addresses, `None` when it has
    /// none the version can use.
    fn interface_address(s: &InterfaceState) -> Option<Self::IfAddr>;
    /// An address of the version's family.
    fn from_ip(a: IpAddr) -> Option<Self::Addr>;
    /// The other way.
    fn to_ip(a: Self::Addr) -> IpAddr;
}

impl AdapterVersion for V2 {
    const FAMILY: Family = Family::V4;

    /// The first address the kernel lists is the primary one: the
    /// interface's IP address in the RFC 2328 §9 sense.
    fn interface_address(s: &InterfaceState) -> Option<Self::IfAddr> {
        s.addrs.first().copied()
    }

    fn from_ip(a: IpAddr) -> Option<Ipv4Addr> {
        match a {
            IpAddr::V4(a) => Some(a),
            IpAddr::V6(_) => None,
        }
    }

    fn to_ip(a: Ipv4Addr) -> IpAddr {
        a.into()
    }
}

impl AdapterVersion for V3 {
    const FAMILY: Family = Family::V6;

    /// The link-local address (RFC 5340 §2.5: the source of every packet)
    /// and the link's other prefixes (for intra-area-prefix-LSAs); none
    /// until the kernel has given the interface a link-local address.
    fn interface_address(s: &InterfaceState) -> Option<LinkAddrs> {
        let ll = s.link_local()?;
        let prefixes = s.addrs6.iter().filter(|n| n.addr() != ll).map(|n| n.trunc()).collect();
        Some(LinkAddrs::new(ll, prefixes))
    }

    fn from_ip(a: IpAddr) -> Option<Ipv6Addr> {
        match a {
            IpAddr::V6(a) => Some(a),
            IpAddr::V4(_) => None,
        }
    }

    fn to_ip(a: Ipv6Addr) -> IpAddr {
        a.into()
    }
}

impl<V: AdapterVersion> Engine for OspfInstance<V> {
    type Event = Event<V::Addr>;

    fn family(&self) -> Family {
        V::FAMILY
    }

    fn handle_interface(
        &mut self,
        now: Instant,
        old: Option<&InterfaceState>,
        new: &InterfaceState,
    ) {
        let addr = V::interface_address(new);
        if old.map(V::interface_address) != Some(addr.clone()) {
            self.handle_interface_address(now, new.ifindex, addr);
        }
        if old.is_some_and(|o| o.mtu != new.mtu) {
            self.handle_interface_mtu(now, new.ifindex, mtu16(new.mtu));
        }
        // Without a previous report (first sight, or a caller that does not
        // keep one) the current state is applied as is: both inputs are
        // idempotent in the engine.
        match (old.map(|o| o.up), new.up) {
            (None | Some(false), true) => {
                self.handle_interface_up(now, new.ifindex, mtu16(new.mtu))
            }
            (None | Some(true), false) => self.handle_interface_down(now, new.ifindex),
            _ => {}
        }
    }

    /// The engine encodes every OSPFv3 packet with its checksum and decodes
    /// with the checksum verified (`ospf_wire::v3::Packet::decode`).
    fn kernel_checksum(&self) -> bool {
        false
    }

    fn handle_packet(&mut self, now: Instant, p: Received<'_>) {
        // The driver opens sockets of the engine's family only; anything
        // else is dropped here.
        if let (Some(src), Some(dst)) = (V::from_ip(p.src), V::from_ip(p.dst)) {
            self.handle_packet_with_ttl(now, p.ifindex, src, dst, p.ttl, p.payload);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        OspfInstance::handle_timeout(self, now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        OspfInstance::poll_transmit(self).map(|t| Transmit {
            ifindex: t.ifindex,
            dst: V::to_ip(t.dst),
            payload: t.bytes,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        OspfInstance::poll_timeout(self)
    }

    fn poll_event(&mut self) -> Option<Self::Event> {
        OspfInstance::poll_event(self)
    }

    fn all_d_routers_member(&self, ifindex: u32) -> bool {
        matches!(self.interface_state(ifindex), Some((IfState::Dr | IfState::Backup, _, _)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ospf_lsdb::{AreaId, Config, Instance, InterfaceConfig, RouterId};

    fn state(up: bool, mtu: u32, addr: &str) -> InterfaceState {
        InterfaceState {
            ifindex: 2,
            name: "eth0".into(),
            up,
            mtu,
            addrs: vec![addr.parse().unwrap()],
            addrs6: vec!["fe80::1/64".parse().unwrap()],
        }
    }

    #[test]
    fn interface_reports_drive_the_instance() {
        let mut cfg = Config::new(RouterId(0x0a00_0001));
        cfg.interfaces.push(InterfaceConfig::new(2, "eth0", AreaId(0)));
        let mut ospf = Instance::new(cfg);
        let t0 = Instant::now();
        let s = state(true, 1500, "10.0.0.1/24");
        Engine::handle_interface(&mut ospf, t0, None, &s);
        Engine::handle_timeout(&mut ospf, t0);
        let hello = Engine::poll_transmit(&mut ospf).expect("a Hello once up with an address");
        assert_eq!(hello.ifindex, 2);
        assert_eq!(hello.payload.get(1), Some(&1), "OSPF type 1");
        assert!(!ospf.all_d_routers_member(2), "Waiting, not DR yet");
        let down = state(false, 1500, "10.0.0.1/24");
        Engine::handle_interface(&mut ospf, t0, Some(&s), &down);
        assert!(matches!(ospf.interface_state(2), Some((IfState::Down, _, _))));
    }

    #[test]
    fn the_instance_speaks_ipv4_and_ignores_ipv6_packets() {
        let mut cfg = Config::new(RouterId(0x0a00_0001));
        cfg.interfaces.push(InterfaceConfig::new(2, "eth0", AreaId(0)));
        let mut ospf = Instance::new(cfg);
        assert_eq!(Engine::family(&ospf), Family::V4);
        let t0 = Instant::now();
        Engine::handle_interface(&mut ospf, t0, None, &state(true, 1500, "10.0.0.1/24"));
        while Engine::poll_event(&mut ospf).is_some() {}
        // Octets with IPv6 addresses never reach the OSPFv2 instance.
        let hello = [2u8, 1, 0, 44, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let ll: IpAddr = "fe80::2".parse().unwrap();
        let p = Received { ifindex: 2, src: ll, dst: ll, ttl: Some(1), payload: &hello };
        Engine::handle_packet(&mut ospf, t0, p);
        assert!(Engine::poll_event(&mut ospf).is_none());
        assert!(ospf.neighbors(2).is_empty());
    }

    #[test]
    fn a_report_without_the_previous_state_still_takes_the_interface_down() {
        let mut cfg = Config::new(RouterId(0x0a00_0001));
        cfg.interfaces.push(InterfaceConfig::new(2, "eth0", AreaId(0)));
        let mut ospf = Instance::new(cfg);
        let t0 = Instant::now();
        Engine::handle_interface(&mut ospf, t0, None, &state(true, 1500, "10.0.0.1/24"));
        assert!(matches!(ospf.interface_state(2), Some((IfState::Waiting, _, _))));
        Engine::handle_interface(&mut ospf, t0, None, &state(false, 1500, "10.0.0.1/24"));
        assert!(matches!(ospf.interface_state(2), Some((IfState::Down, _, _))));
    }

    #[test]
    fn an_ospfv3_instance_speaks_ipv6_from_its_link_local_address() {
        let mut cfg = Config::new(RouterId(0x0a00_0001));
        cfg.interfaces.push(InterfaceConfig::new(2, "eth0", AreaId(0)));
        let mut ospf = OspfInstance::<V3>::new(cfg);
        assert_eq!(Engine::family(&ospf), Family::V6);
        let t0 = Instant::now();
        let s = InterfaceState {
            ifindex: 2,
            name: "eth0".into(),
            up: true,
            mtu: 1500,
            addrs: vec!["10.0.0.1/24".parse().unwrap()],
            addrs6: vec!["fd00:1::1/64".parse().unwrap(), "fe80::1/64".parse().unwrap()],
        };
        assert_eq!(
            V3::interface_address(&s),
            Some(LinkAddrs::new("fe80::1".parse().unwrap(), vec!["fd00:1::/64".parse().unwrap()]))
        );
        Engine::handle_interface(&mut ospf, t0, None, &s);
        Engine::handle_timeout(&mut ospf, t0);
        let hello = Engine::poll_transmit(&mut ospf).expect("a Hello once up with an address");
        assert_eq!(hello.dst, "ff02::5".parse::<IpAddr>().unwrap());
        assert_eq!(hello.payload.first(), Some(&3), "OSPF version 3");
        assert_eq!(hello.payload.get(1), Some(&1), "a Hello");
    }
}

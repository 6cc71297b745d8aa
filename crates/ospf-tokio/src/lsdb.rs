//! [`Engine`] for the `ospf-lsdb` [`Instance`]: OS interface reports become
//! its interface inputs.

use std::net::IpAddr;
use std::time::Instant;

use ospf_lsdb::interface::IfState;
use ospf_lsdb::{Event, Instance};

use crate::engine::{Engine, Family, InterfaceState, Received, Transmit};

/// An MTU as the 16-bit field of Database Description packets.
fn mtu16(mtu: u32) -> u16 {
    u16::try_from(mtu).unwrap_or(u16::MAX)
}

impl Engine for Instance {
    type Event = Event;

    /// OSPFv2 (RFC 2328): IPv4.
    fn family(&self) -> Family {
        Family::V4
    }

    fn handle_interface(
        &mut self,
        now: Instant,
        old: Option<&InterfaceState>,
        new: &InterfaceState,
    ) {
        // The first address the kernel lists is the primary one: the
        // interface's IP address in the RFC 2328 §9 sense.
        let primary = new.addrs.first().copied();
        if old.map(|o| o.addrs.first().copied()) != Some(primary) {
            self.handle_interface_address(now, new.ifindex, primary);
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

    fn handle_packet(&mut self, now: Instant, p: Received<'_>) {
        // The driver opens IPv4 sockets for this core, so IPv6 never comes.
        if let (IpAddr::V4(src), IpAddr::V4(dst)) = (p.src, p.dst) {
            Instance::handle_packet_with_ttl(self, now, p.ifindex, src, dst, p.ttl, p.payload);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        Instance::handle_timeout(self, now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        Instance::poll_transmit(self).map(|t| Transmit {
            ifindex: t.ifindex,
            dst: t.dst.into(),
            payload: t.bytes,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        Instance::poll_timeout(self)
    }

    fn poll_event(&mut self) -> Option<Event> {
        Instance::poll_event(self)
    }

    fn all_d_routers_member(&self, ifindex: u32) -> bool {
        matches!(self.interface_state(ifindex), Some((IfState::Dr | IfState::Backup, _, _)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ospf_lsdb::{AreaId, Config, InterfaceConfig, RouterId};

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
}

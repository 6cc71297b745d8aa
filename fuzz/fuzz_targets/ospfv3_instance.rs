//! An OSPFv3 router on a broadcast link fed arbitrary packets from link-local
//! addresses (their checksum put right for the IPv6 pseudo-header, so that they
//! reach the state machines), arbitrary waits and link flaps: never panics, never
//! keeps more neighbours than its limit, and never sends a packet larger than the
//! interface MTU allows. The first octet picks the link's area: the backbone, or
//! area 1 as a normal, stub or not-so-stubby area, the router then a border router
//! (a passive stub in the backbone) that redistributes a prefix.
#![no_main]
use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ospf_lsdb::{
    AreaConfig, AreaId, AreaKind, Config, InterfaceConfig, LinkAddrs, MetricType, OspfInstance,
    Redistribute6, RouterId, V3,
};

const MTU: u16 = 1500;
const LIMIT: usize = 8;
const ME: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const ALL_SPF: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 5);

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let [kind, data @ ..] = data else { return };
    let mut cfg = Config::new(RouterId(0xc000_0201));
    let area = match kind % 4 {
        0 => AreaId(0),
        k => {
            let kind = match k {
                1 => AreaKind::Normal,
                2 => AreaKind::Stub { default_cost: 1 },
                _ => AreaKind::Nssa { default_cost: 1 },
            };
            cfg.areas.push(AreaConfig { id: AreaId(1), kind });
            let mut lo = InterfaceConfig::new(2, "lo", AreaId(0));
            lo.passive = true;
            cfg.interfaces.push(lo);
            cfg.redistribute6.push(Redistribute6 {
                prefix: "2001:db8:77::/64".parse().expect("prefix"),
                metric_type: MetricType::Type2,
                metric: 20,
                forwarding: None,
                tag: 0,
            });
            AreaId(1)
        }
    };
    let mut i = InterfaceConfig::new(1, "eth0", area);
    i.max_neighbors = LIMIT;
    cfg.interfaces.push(i);
    let mut x = OspfInstance::<V3>::new(cfg);
    let prefix = "2001:db8::1/64".parse().expect("prefix");
    x.handle_interface_address(now, 1, Some(LinkAddrs::new(ME, vec![prefix])));
    x.handle_interface_up(now, 1, MTU);
    if area != AreaId(0) {
        let lo = "2001:db8:1::1/64".parse().expect("prefix");
        let ll = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x10);
        x.handle_interface_address(now, 2, Some(LinkAddrs::new(ll, vec![lo])));
        x.handle_interface_up(now, 2, MTU);
    }
    let mut rest = data;
    for _ in 0..64 {
        let [op, hi, lo, tail @ ..] = rest else { break };
        let len = (usize::from(*hi) << 8 | usize::from(*lo)).min(tail.len());
        let (chunk, next) = tail.split_at(len);
        rest = next;
        match op % 4 {
            0 | 1 => {
                let mut p = chunk.to_vec();
                let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2 + u16::from(op >> 4));
                let dst = if op & 8 != 0 { ALL_SPF } else { ME };
                let len = p.get(2..4).map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
                if op % 4 == 0 && len >= ospf_wire::v3::HEADER_LEN && len <= p.len() {
                    ospf_wire::v3::set_checksum(src, dst, &mut p[..len]);
                }
                x.handle_packet_with_ttl(now, 1, src, dst, Some(1), &p);
            }
            2 => {
                now += Duration::from_millis(u64::from(*hi) * 200 + u64::from(*lo));
                x.handle_timeout(now);
            }
            _ => {
                x.handle_interface_down(now, 1);
                x.handle_interface_up(now, 1, MTU);
            }
        }
        while let Some(t) = x.poll_transmit() {
            assert!(t.bytes.len() + 40 <= usize::from(MTU), "{} octets", t.bytes.len());
        }
        while x.poll_event().is_some() {}
        assert!(x.neighbors(1).len() <= LIMIT);
    }
});

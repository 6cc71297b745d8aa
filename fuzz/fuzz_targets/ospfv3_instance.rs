//! An OSPFv3 router on a broadcast link fed arbitrary packets from link-local
//! addresses (their checksum put right for the IPv6 pseudo-header, so that they
//! reach the state machines), arbitrary waits and link flaps: never panics, never
//! keeps more neighbours than its limit, and never sends a packet larger than the
//! interface MTU allows.
#![no_main]
use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ospf_lsdb::{AreaId, Config, InterfaceConfig, LinkAddrs, OspfInstance, RouterId, V3};

const MTU: u16 = 1500;
const LIMIT: usize = 8;
const ME: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const ALL_SPF: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 5);

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let mut cfg = Config::new(RouterId(0xc000_0201));
    let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
    i.max_neighbors = LIMIT;
    cfg.interfaces.push(i);
    let mut x = OspfInstance::<V3>::new(cfg);
    let prefix = "2001:db8::1/64".parse().expect("prefix");
    x.handle_interface_address(now, 1, Some(LinkAddrs::new(ME, vec![prefix])));
    x.handle_interface_up(now, 1, MTU);
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

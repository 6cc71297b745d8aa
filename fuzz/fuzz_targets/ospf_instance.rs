//! An OSPF router on a broadcast link fed arbitrary packets from addresses on its subnet
//! (their checksum put right, so that they reach the state machines), arbitrary waits and
//! link flaps: never panics, never keeps more neighbours than its limit, and never sends a
//! packet larger than the interface MTU allows.
#![no_main]
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ospf_lsdb::{AreaId, Config, Instance, InterfaceConfig, RouterId};

const MTU: u16 = 1500;
const LIMIT: usize = 8;

/// RFC 2328 D.4.1-style fix-up: the standard IP checksum over the packet but its
/// authentication field, for packets that claim null or simple authentication.
fn fix_checksum(p: &mut [u8]) {
    if p.len() < 24 || p[15] == 2 {
        return;
    }
    p[12] = 0;
    p[13] = 0;
    let sum = ospf_wire::checksum::internet_checksum(&[&p[..16], &p[24..]]);
    p[12..14].copy_from_slice(&sum.to_be_bytes());
}

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let mut cfg = Config::new(RouterId(0xc000_0201));
    let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
    i.max_neighbors = LIMIT;
    cfg.interfaces.push(i);
    let mut x = Instance::new(cfg);
    x.handle_interface_address(now, 1, Some("192.0.2.1/24".parse().expect("prefix")));
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
                if op % 4 == 0 {
                    fix_checksum(&mut p);
                }
                let src = Ipv4Addr::new(192, 0, 2, 2 + (op >> 4));
                let dst = if op & 8 != 0 {
                    Ipv4Addr::new(224, 0, 0, 5)
                } else {
                    Ipv4Addr::new(192, 0, 2, 1)
                };
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
            assert!(t.bytes.len() + 20 <= usize::from(MTU), "{} octets", t.bytes.len());
        }
        while x.poll_event().is_some() {}
        assert!(x.neighbors(1).len() <= LIMIT);
    }
});

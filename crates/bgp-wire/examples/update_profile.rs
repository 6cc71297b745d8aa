//! A fixed workload for instruction-count profiling of UPDATE decoding and building.
//!
//! ```sh
//! cargo build --release -p bgp-wire --example update_profile
//! valgrind --tool=callgrind --toggle-collect='*update_profile*run_*' \
//!     target/release/examples/update_profile decode4 20000
//! ```
//!
//! Modes: `decode4`, `decode6` (`Message::decode` of a `Bytes` per message), `ref4`, `ref6`
//! (`UpdateRef::decode_message` of a `&[u8]`), `encode4`, `encode6`, and `time4`, `time6`
//! (best wall-clock time of each loop, in ns per prefix); the number is how many prefixes. The
//! table is generated from a fixed seed with the shape of a real one: about 2.6 routes per
//! attribute set, AS paths of about 4 hops, MED on 30% of sets, 1-8 communities on 65%, large
//! communities on 5%, ATOMIC_AGGREGATE and AGGREGATOR on 3%. The work done per message is what
//! a reader of every route does: the prefixes, the AS path length and the next hop.

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};

use bgp_wire::attribute::{
    Aggregator, AsPath, Attribute, Community, LargeCommunity, NextHop, Origin, PathAttribute,
};
use bgp_wire::message::Message;
use bgp_wire::nlri::Nlri;
use bgp_wire::update::builder::{Encoding, UpdateBuilder};
use bgp_wire::update::UpdateRef;
use bgp_wire::{Asn, Context, Family};
use bytes::{Bytes, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// SplitMix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
    /// 1 + the number of successes before a failure, each with probability num/den.
    fn geometric(&mut self, num: u64, den: u64) -> usize {
        let mut n = 1;
        while self.chance(num, den) {
            n += 1;
        }
        n
    }
}

struct Set {
    attrs: Vec<PathAttribute>,
    next_hop: NextHop,
    routes: Vec<Nlri>,
}

fn prefix(rng: &mut Rng, v6: bool) -> IpNet {
    if v6 {
        let len = [48u8, 48, 48, 32, 40, 44, 36, 29][rng.below(8) as usize];
        let a = Ipv6Addr::from(0x2000_u128 << 112 | u128::from(rng.next()) << 64);
        IpNet::V6(Ipv6Net::new(a, len).unwrap_or_default().trunc())
    } else {
        let len = [24u8, 24, 24, 24, 24, 23, 22, 20, 21, 16][rng.below(10) as usize];
        let a = Ipv4Addr::from(rng.next() as u32);
        IpNet::V4(Ipv4Net::new(a, len).unwrap_or_default().trunc())
    }
}

fn table(prefixes: usize, v6: bool) -> Vec<Set> {
    let mut rng = Rng(0x5eed);
    let mut sets = Vec::new();
    let mut left = prefixes;
    while left > 0 {
        let hops = 1 + rng.geometric(3, 4).min(9);
        let mut path: Vec<u32> = vec![3333];
        for _ in 1..hops {
            let asn = if rng.chance(6, 10) {
                rng.below(64_000) + 1
            } else {
                rng.below(200_000) + 131_072
            };
            path.push(asn as u32);
        }
        for _ in 0..rng.geometric(17, 30) {
            if left == 0 {
                break;
            }
            let n = rng.geometric(8, 13).min(left);
            left -= n;
            let mut attrs = vec![
                PathAttribute::new(Attribute::Origin(Origin::Igp)),
                PathAttribute::new(Attribute::AsPath(AsPath::from_sequence(path.iter().copied()))),
            ];
            if rng.chance(3, 10) {
                attrs.push(PathAttribute::new(Attribute::MultiExitDisc(rng.below(1000) as u32)));
            }
            if rng.chance(3, 100) {
                attrs.push(PathAttribute::new(Attribute::AtomicAggregate));
                attrs.push(PathAttribute::new(Attribute::Aggregator(Aggregator {
                    asn: Asn(path[path.len() - 1]),
                    address: Ipv4Addr::new(10, 0, 0, 1),
                })));
            }
            if rng.chance(65, 100) {
                let c = (0..1 + rng.below(8)).map(|i| Community(3333 << 16 | i as u32)).collect();
                attrs.push(PathAttribute::new(Attribute::Communities(c)));
            }
            if rng.chance(5, 100) {
                let l = LargeCommunity { global_admin: 3333, local_data_1: 1, local_data_2: 2 };
                attrs.push(PathAttribute::new(Attribute::LargeCommunities(vec![l])));
            }
            let next_hop = if v6 {
                let g = Ipv6Addr::new(0x2001, 0x7f8, 0, 0, 0, 0, 0, 0x56);
                if rng.chance(1, 2) {
                    NextHop::Ipv6(g)
                } else {
                    NextHop::Ipv6LinkLocal {
                        global: g,
                        link_local: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x56),
                    }
                }
            } else {
                NextHop::Ipv4(Ipv4Addr::new(193, 0, 0, 56))
            };
            let routes = (0..n).map(|_| Nlri::new(prefix(&mut rng, v6))).collect();
            sets.push(Set { attrs, next_hop, routes });
        }
    }
    sets
}

fn family(v6: bool) -> Family {
    if v6 {
        Family::IPV6_UNICAST
    } else {
        Family::IPV4_UNICAST
    }
}

#[inline(never)]
fn run_encode(sets: &[Set], ctx: &Context, v6: bool, buf: &mut BytesMut) -> usize {
    buf.clear();
    let mut n = 0;
    for s in sets {
        let b = UpdateBuilder::new(ctx, &s.attrs);
        n += b.announce(family(v6), &s.next_hop, &s.routes, Encoding::Classic, buf);
    }
    n
}

/// Splits a stream of messages at their length fields.
fn frames(stream: &[u8]) -> Vec<core::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(l) = stream.get(pos + 16..pos + 18) {
        let len = usize::from(u16::from_be_bytes([l[0], l[1]]));
        out.push(pos..pos + len);
        pos += len;
    }
    out
}

#[inline(never)]
fn run_decode(stream: &Bytes, frames: &[core::ops::Range<usize>], ctx: &Context) -> (u64, u64) {
    let (mut sum, mut errors) = (0u64, 0u64);
    for r in frames {
        let Ok(Message::Update(u)) = Message::decode(stream.slice(r.clone()), ctx) else {
            errors += 1;
            continue;
        };
        errors += u.issues().len() as u64;
        let attrs = u.attributes();
        sum += attrs.as_path_ref().map_or(0, |p| p.asn_count()) as u64;
        if let Some(nh) = attrs.next_hop() {
            sum = sum.wrapping_add(u64::from(u32::from(nh)));
        }
        for n in u.nlri() {
            sum = sum.wrapping_add(u64::from(n.prefix.prefix_len()));
        }
        if let Some(mp) = u.mp_reach() {
            if let NextHop::Ipv6(a) | NextHop::Ipv6LinkLocal { global: a, .. } = mp.next_hop() {
                sum = sum.wrapping_add(u128::from(a) as u64);
            }
            for n in mp.routes() {
                sum = sum.wrapping_add(u64::from(n.prefix.prefix_len()));
            }
        }
    }
    (sum, errors)
}

/// Like `run_decode` over the borrowed view: no reference count per message.
#[inline(never)]
fn run_borrowed(stream: &[u8], frames: &[core::ops::Range<usize>], ctx: &Context) -> (u64, u64) {
    let (mut sum, mut errors) = (0u64, 0u64);
    for r in frames {
        let Ok(u) = UpdateRef::decode_message(stream.get(r.clone()).unwrap_or(&[]), ctx) else {
            errors += 1;
            continue;
        };
        errors += u.issues().len() as u64;
        let attrs = u.attributes();
        sum += attrs.as_path_ref().map_or(0, |p| p.asn_count()) as u64;
        if let Some(nh) = attrs.next_hop() {
            sum = sum.wrapping_add(u64::from(u32::from(nh)));
        }
        for n in u.nlri() {
            sum = sum.wrapping_add(u64::from(n.prefix.prefix_len()));
        }
        if let Some(mp) = u.mp_reach() {
            if let NextHop::Ipv6(a) | NextHop::Ipv6LinkLocal { global: a, .. } = mp.next_hop() {
                sum = sum.wrapping_add(u128::from(a) as u64);
            }
            for n in mp.routes() {
                sum = sum.wrapping_add(u64::from(n.prefix.prefix_len()));
            }
        }
    }
    (sum, errors)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "decode4".into());
    let prefixes = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let v6 = mode.ends_with('6');
    let ctx = Context::modern();
    let sets = table(prefixes, v6);
    let mut buf = BytesMut::new();
    let messages = run_encode(&sets, &ctx, v6, &mut buf);
    if mode.starts_with("encode") {
        let mut n = 0;
        for _ in 0..3 {
            n = run_encode(black_box(&sets), &ctx, v6, &mut buf);
        }
        println!("{mode}: {} sets, {n} messages, {} octets", sets.len(), buf.len());
        return;
    }
    let stream = buf.freeze();
    let frames = frames(&stream);
    assert_eq!(frames.len(), messages);
    if mode.starts_with("time") {
        // Best of 15 runs of each loop, in ns per prefix.
        let best = |f: &mut dyn FnMut()| {
            (0..15)
                .map(|_| {
                    let t = std::time::Instant::now();
                    f();
                    t.elapsed().as_nanos() as f64 / prefixes as f64
                })
                .fold(f64::INFINITY, f64::min)
        };
        let kept = best(&mut || {
            black_box(run_decode(black_box(&stream), &frames, &ctx));
        });
        let borrowed = best(&mut || {
            black_box(run_borrowed(black_box(&stream), &frames, &ctx));
        });
        let mut out = BytesMut::with_capacity(stream.len());
        let encode = best(&mut || {
            black_box(run_encode(black_box(&sets), &ctx, v6, &mut out));
        });
        println!(
            "{mode}: ns/prefix: decode (Message::decode, Bytes) {kept:.1}, \
             decode (UpdateRef) {borrowed:.1}, encode (UpdateBuilder) {encode:.1}"
        );
        return;
    }
    let mut out = (0, 0);
    for _ in 0..3 {
        out = if mode.starts_with("ref") {
            run_borrowed(black_box(&stream), &frames, &ctx)
        } else {
            run_decode(black_box(&stream), &frames, &ctx)
        };
    }
    println!(
        "{mode}: {messages} messages, {} octets, checksum {} errors {}",
        stream.len(),
        out.0,
        out.1
    );
}

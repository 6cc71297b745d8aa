use benches::support::prefixes::{self, IPV4_FILE, IPV6_FILE};
use benches::support::raw;
use benches::support::table::{Table, TableFamily, PEER_V4};
use benches::support::wire as wire_support;
use bgp_wire::update::Update;
use bgp_wire::Asn;
use rib::{PeerConfig, Rib, RibConfig};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

fn main() {
    let lim = std::env::var("LIM").ok().and_then(|v| v.parse().ok());
    let v4 = prefixes::load(&prefixes::data_dir().join(IPV4_FILE), lim).unwrap();
    let v6 = prefixes::load(&prefixes::data_dir().join(IPV6_FILE), lim).unwrap();
    let ctx = wire_support::context();
    let mut updates = Vec::new();
    for t in
        [Table::generate(TableFamily::Ipv4, &v4, 1), Table::generate(TableFamily::Ipv6, &v6, 1)]
    {
        let c = raw::encode_table(&t);
        for i in 0..c.messages.len() {
            updates.push(Update::decode_message(c.message(i).unwrap(), &ctx).unwrap());
        }
    }
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    for round in 0..rounds {
        let now = Instant::now();
        let mut r = Rib::new(RibConfig::new(Asn(65000), Ipv4Addr::new(192, 0, 2, 254)));
        let mut p = PeerConfig::external(IpAddr::V4(PEER_V4), Asn(3333), PEER_V4);
        p.ifindex = Some(2);
        let p = r.add_peer(p);
        let t0 = Instant::now();
        for u in &updates {
            black_box(r.handle_update(now, p, u, &ctx));
        }
        let t1 = Instant::now();
        let mut n = 0;
        while r.poll_best().is_some() {
            n += 1;
        }
        let t2 = Instant::now();
        let mut m = 0;
        while let Some(c) = r.poll_fib() {
            black_box(&c);
            m += 1;
        }
        let t3 = Instant::now();
        drop(r);
        let t4 = Instant::now();
        println!(
            "round {round}: update {:?} best {:?} ({n}) fib {:?} ({m}) drop {:?}",
            t1 - t0,
            t2 - t1,
            t3 - t2,
            t4 - t3
        );
    }
}

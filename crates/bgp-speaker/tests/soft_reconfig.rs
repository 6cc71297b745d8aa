//! Soft reconfiguration inbound, soft reset, and the reason of each best-path change,
//! between two speakers: a announces two prefixes to b, whose import route map denies one.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgp_fsm::{Config, Neighbor, PeerAs};
use bgp_speaker::sim::Net;
use bgp_speaker::{
    ChangeReason, Event, MaxPrefix, NeighborConfig, NeighborId, SoftResetIn, Speaker, SpeakerConfig,
};
use bgp_wire::Asn;
use ipnet::IpNet;
use rib::policy::Policy;
use rib::{PathAttrs, Rule};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn pfx(s: &str) -> IpNet {
    s.parse().unwrap()
}

const DENIED: &str = "10.0.1.0/24";
const KEPT: &str = "10.0.2.0/24";

/// b's import map IN denies `DENIED`; OPEN lets everything in, and so does OUT out.
const POLICY: &str = "ip prefix-list BLOCK seq 5 permit 10.0.1.0/24\n\
     route-map IN deny 10\n match ip address prefix-list BLOCK\n\
     route-map IN permit 20\n\
     route-map OPEN permit 10\n\
     route-map OUT permit 10\n";

/// The same with IN letting everything in.
const OPEN_IN: &str = "route-map IN permit 10\nroute-map OPEN permit 10\n";

fn session(asn: u32, me: &str, peer: &str, passive: bool) -> Config {
    let mut c = Config::new(
        Asn(asn),
        v4(me),
        PeerAs::External,
        Neighbor::Address { addr: ip(peer), scope: None },
    );
    c.connect_retry_time = Duration::from_secs(1);
    c.passive = passive;
    c
}

fn pair(soft: bool, route_refresh: bool, tune: impl FnOnce(&mut NeighborConfig)) -> Net {
    pair_tuned(soft, |c| c.route_refresh = route_refresh, tune)
}

fn pair_tuned(
    soft: bool,
    tune_a: impl FnOnce(&mut Config),
    tune: impl FnOnce(&mut NeighborConfig),
) -> Net {
    let mut net = Net::new(std::time::Instant::now());
    let now = net.now();
    let mut a = Speaker::new(SpeakerConfig::new(Asn(65001), v4("192.0.2.1"))).unwrap();
    let mut c = session(65001, "192.0.2.1", "192.0.2.2", false);
    tune_a(&mut c);
    a.add_neighbor(now, NeighborConfig::new(c)).unwrap();
    for p in [DENIED, KEPT] {
        a.announce(now, pfx(p), &PathAttrs::default());
    }
    let mut cfg = SpeakerConfig::new(Asn(65002), v4("192.0.2.2"));
    cfg.policy = Policy::parse(POLICY).unwrap();
    let mut b = Speaker::new(cfg).unwrap();
    let mut n = NeighborConfig::new(session(65002, "192.0.2.2", "192.0.2.1", true));
    n.import = Some("IN".to_owned());
    n.soft_reconfiguration_inbound = soft;
    tune(&mut n);
    b.add_neighbor(now, n).unwrap();
    net.add("a", a, vec![(ip("192.0.2.1"), None)]);
    net.add("b", b, vec![(ip("192.0.2.2"), None)]);
    net.run_for(Duration::from_secs(3));
    net
}

const A: NeighborId = NeighborId(0);
const A_AT_B: NeighborId = NeighborId(0);

fn in_loc_rib(net: &Net, p: &str) -> bool {
    net.nodes[1].speaker.rib().best(pfx(p)).is_some()
}

fn ups_and_downs(net: &Net) -> (usize, usize) {
    let ev = &net.nodes[1].events;
    let ups = ev.iter().filter(|e| matches!(e, Event::Up { .. })).count();
    let downs = ev.iter().filter(|e| matches!(e, Event::Down { .. })).count();
    (ups, downs)
}

#[test]
fn received_routes_are_kept_before_policy_and_reapplied_without_a_reset() {
    let mut net = pair(true, true, |_| {});
    // RFC 4271 §3.2: the Adj-RIB-In holds what a sent, the Loc-RIB what the policy let in.
    let received = net.nodes[1].speaker.received_routes(A_AT_B).unwrap();
    let prefixes: Vec<&str> = received.iter().map(|r| r.prefix.as_str()).collect();
    assert_eq!(prefixes, vec![DENIED, KEPT]);
    assert_eq!(received[0].as_path, "65001");
    assert_eq!(received[0].next_hop, "192.0.2.1");
    assert_eq!(received[0].path_id, None);
    assert!(!in_loc_rib(&net, DENIED));
    assert!(in_loc_rib(&net, KEPT));
    assert_eq!(net.nodes[1].speaker.counters(A_AT_B).unwrap().denied, 1);

    // The import map changes (same name, new policy); a soft reset lets the route in, from
    // what b kept.
    let sent_before = net.nodes[0].speaker.counters(A).unwrap().batches_sent;
    let now = net.now();
    net.nodes[1].speaker.set_policy(now, Policy::parse(OPEN_IN).unwrap()).unwrap();
    assert!(!in_loc_rib(&net, DENIED), "import policy applies on a soft reset, not before");
    let r = net.nodes[1].speaker.soft_reset_in(now, A_AT_B).unwrap();
    assert_eq!(r, SoftResetIn::Reapplied { routes: 2 });
    net.run_for(Duration::from_secs(1));
    assert!(in_loc_rib(&net, DENIED));
    assert_eq!(ups_and_downs(&net), (1, 0), "the session stayed up");
    let sent_after = net.nodes[0].speaker.counters(A).unwrap().batches_sent;
    assert_eq!(sent_after, sent_before, "a was not asked for its routes again");
    let last = net.nodes[1].changes.iter().rev().find(|c| c.prefix == pfx(DENIED)).unwrap();
    assert_eq!(last.reason, ChangeReason::New);
    // Nothing else changed: the route b had already is not reported again.
    assert_eq!(net.nodes[1].changes.iter().filter(|c| c.prefix == pfx(KEPT)).count(), 1);

    // Back to the first policy.
    let now = net.now();
    net.nodes[1].speaker.set_policy(now, Policy::parse(POLICY).unwrap()).unwrap();
    net.nodes[1].speaker.soft_reset_in(now, A_AT_B).unwrap();
    net.run_for(Duration::from_secs(1));
    assert!(!in_loc_rib(&net, DENIED));
    let last = net.nodes[1].changes.iter().rev().find(|c| c.prefix == pfx(DENIED)).unwrap();
    assert_eq!(last.reason, ChangeReason::Withdrawn);
    assert_eq!(net.nodes[1].speaker.received_routes(A_AT_B).unwrap().len(), 2);
}

#[test]
fn without_soft_reconfiguration_a_soft_reset_sends_route_refresh() {
    let mut net = pair(false, true, |_| {});
    assert_eq!(net.nodes[1].speaker.received_routes(A_AT_B), None);
    let sent_before = net.nodes[0].speaker.counters(A).unwrap().batches_sent;
    net.nodes[1].speaker.set_import(A_AT_B, Some("OPEN".to_owned())).unwrap();
    let now = net.now();
    let r = net.nodes[1].speaker.soft_reset_in(now, A_AT_B).unwrap();
    // RFC 2918 §3: a is asked to re-advertise its Adj-RIB-Out.
    assert_eq!(r, SoftResetIn::RouteRefresh { families: 1 });
    net.run_for(Duration::from_secs(1));
    let sent_after = net.nodes[0].speaker.counters(A).unwrap().batches_sent;
    assert_eq!(sent_after, sent_before + 1, "a answered the ROUTE-REFRESH");
    assert!(in_loc_rib(&net, DENIED));
    assert_eq!(ups_and_downs(&net), (1, 0));
}

#[test]
fn enhanced_route_refresh_brackets_the_answer_and_markers_ask_for_nothing() {
    let mut net = pair_tuned(
        false,
        |c| c.enhanced_route_refresh = true,
        |n| n.session.enhanced_route_refresh = true,
    );
    let before =
        (net.nodes[0].speaker.counters(A).unwrap(), net.nodes[1].speaker.counters(A_AT_B).unwrap());
    let now = net.now();
    let r = net.nodes[1].speaker.soft_reset_in(now, A_AT_B).unwrap();
    assert_eq!(r, SoftResetIn::RouteRefresh { families: 1 });
    net.run_for(Duration::from_secs(1));
    let a = net.nodes[0].speaker.counters(A).unwrap();
    let b = net.nodes[1].speaker.counters(A_AT_B).unwrap();
    // a answered once, between BoRR and EoRR (RFC 7313 §4) ...
    assert_eq!(a.route_refresh_received, before.0.route_refresh_received + 1);
    assert_eq!(a.batches_sent, before.0.batches_sent + 1);
    assert_eq!(b.refresh_markers_received, before.1.refresh_markers_received + 2);
    // ... and b took the markers as markers, not as requests to answer.
    assert_eq!(b.route_refresh_received, before.1.route_refresh_received);
    assert_eq!(b.batches_sent, before.1.batches_sent);
    assert_eq!(ups_and_downs(&net), (1, 0));
}

#[test]
fn without_either_a_soft_reset_is_refused() {
    let mut net = pair(false, false, |_| {});
    let now = net.now();
    let r = net.nodes[1].speaker.soft_reset_in(now, A_AT_B);
    assert_eq!(r, Err(bgp_fsm::CommandError::RouteRefreshNotNegotiated));
}

#[test]
fn maximum_prefix_counts_routes_before_policy() {
    // Two routes received, one accepted: with soft reconfiguration the limit of 1 counts
    // both (the Adj-RIB-In it bounds holds both), as FRR's `maximum-prefix 1 force`.
    let mut mp = MaxPrefix::new(1);
    mp.warning_only = true;
    let net = pair(true, true, |n| n.max_prefix = Some(mp));
    let warned = net.nodes[1].events.iter().find_map(|e| match e {
        Event::PrefixLimit { count, teardown: false, .. } => Some(*count),
        _ => None,
    });
    assert_eq!(warned, Some(2));
    let kept = net.nodes[1].speaker.received_routes(A_AT_B).unwrap();
    assert_eq!(kept.len(), 1, "no more than the limit is kept");
}

#[test]
fn a_best_path_change_says_why() {
    // b learns KEPT from a, then from c too.
    let mut net = pair(false, true, |_| {});
    let now = net.now();
    let mut c = Speaker::new(SpeakerConfig::new(Asn(65003), v4("192.0.2.3"))).unwrap();
    let to_b = session(65003, "192.0.2.3", "192.0.2.2", false);
    c.add_neighbor(now, NeighborConfig::new(to_b)).unwrap();
    net.add("c", c, vec![(ip("192.0.2.3"), None)]);
    let to_c = session(65002, "192.0.2.2", "192.0.2.3", true);
    net.nodes[1].speaker.add_neighbor(now, NeighborConfig::new(to_c)).unwrap();
    net.run_for(Duration::from_secs(3));
    let reasons = |net: &Net| -> Vec<ChangeReason> {
        net.nodes[1].changes.iter().filter(|c| c.prefix == pfx(KEPT)).map(|c| c.reason).collect()
    };
    assert_eq!(reasons(&net), vec![ChangeReason::New]);
    // c's path is as long as a's: the older one, a's, stays the best (RFC 5004).
    let now = net.now();
    net.nodes[2].speaker.announce(now, pfx(KEPT), &PathAttrs::default());
    net.run_for(Duration::from_secs(1));
    assert_eq!(reasons(&net), vec![ChangeReason::New]);
    // a withdraws: c's path takes over.
    let now = net.now();
    net.nodes[0].speaker.withdraw(now, pfx(KEPT));
    net.run_for(Duration::from_secs(1));
    assert_eq!(reasons(&net), vec![ChangeReason::New, ChangeReason::PreviousBestWithdrawn]);
    // c prepends and a comes back: a's shorter path wins (RFC 4271 §9.1.2.2 (a)).
    let now = net.now();
    let prepended = PathAttrs {
        as_path: bgp_wire::attribute::AsPath::from_sequence([65003]),
        ..PathAttrs::default()
    };
    net.nodes[2].speaker.announce(now, pfx(KEPT), &prepended);
    net.nodes[0].speaker.announce(now, pfx(KEPT), &PathAttrs::default());
    net.run_for(Duration::from_secs(1));
    let want = vec![
        ChangeReason::New,
        ChangeReason::PreviousBestWithdrawn,
        ChangeReason::Lost(Rule::AsPathLength),
    ];
    assert_eq!(reasons(&net), want);
    assert_eq!(net.nodes[1].changes.last().and_then(|c| c.best.as_ref()?.neighbor), Some(A_AT_B));
}

#[test]
fn a_new_policy_applies_to_exports_at_once() {
    let mut net = pair(false, true, |n| n.export = Some("OUT".to_owned()));
    let advertised = |net: &Net| -> Vec<String> {
        net.nodes[1].speaker.advertised(A_AT_B).into_iter().map(|a| a.prefix).collect()
    };
    assert_eq!(advertised(&net), vec![KEPT.to_owned()]);
    // b sends KEPT back to a (which drops it: a's AS is in its path).
    let updates_at_a =
        |net: &Net| net.nodes[0].speaker.counters(A).map_or(0, |c| c.updates_received);
    let before = updates_at_a(&net);
    // OUT now denies KEPT: b withdraws it from a without any reset.
    let deny = format!(
        "ip prefix-list BLOCK seq 5 permit {DENIED}\n\
         route-map IN deny 10\n match ip address prefix-list BLOCK\n\
         route-map IN permit 20\n\
         ip prefix-list OWN seq 5 permit {KEPT}\n\
         route-map OUT deny 10\n match ip address prefix-list OWN\n\
         route-map OUT permit 20\n"
    );
    let now = net.now();
    net.nodes[1].speaker.set_policy(now, Policy::parse(&deny).unwrap()).unwrap();
    net.run_for(Duration::from_secs(1));
    assert!(advertised(&net).is_empty());
    assert!(updates_at_a(&net) > before, "b withdrew it");
    // A policy without a map a neighbour names is refused.
    let now = net.now();
    let r = net.nodes[1].speaker.set_policy(now, Policy::parse(OPEN_IN).unwrap());
    assert_eq!(r, Err(bgp_speaker::ConfigError::UnknownRouteMap("OUT".to_owned())));
}

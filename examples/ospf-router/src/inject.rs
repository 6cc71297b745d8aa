//! `--inject-topology N`: an `ospf-lsdb` instance on one point-to-point
//! interface that hands its neighbour (FRR ospfd or ospf6d in the lab) the
//! synthetic area of [`crate::topology`], so that the neighbour's SPF runs
//! over the `N` synthetic routers, this one and itself. Used by
//! `scripts/lab/frr-spf-bench.sh` to read FRR's SPF duration on the
//! benchmark's topology. OSPFv2 by default; with `--ospf-version 3` the
//! same area as OSPFv3 LSAs: router-LSAs of point-to-point interfaces and
//! an intra-area-prefix-LSA per router with its /64s.
//!
//! The synthetic LSAs go into the instance's database with
//! [`OspfInstance::inject_lsa`] and reach the neighbour by the engine's own
//! database exchange and flooding. Our router-LSA gets a point-to-point
//! link to synthetic router 0 ([`OspfInstance::set_synthetic_links`]) and
//! router 0's LSA one back to us (in OSPFv3 with matching Interface IDs),
//! so that the neighbour's two-way check (RFC 2328 §16.1 step 2b, RFC 5340
//! §4.8.1) lets its SPF through us into the area. While the neighbour is
//! Full, router 0's LSAs are injected again every `refresh` with its first
//! stub's cost toggled (in OSPFv3 also the cost of its link back to us,
//! which only the two-way check reads, so that its router-LSA changes), a
//! newer instance that makes the neighbour run SPF again; every
//! LSRefreshTime all of them are, as their originators would (§12.4). On
//! exit the synthetic LSAs are flushed (MaxAge) with our own.

use std::net::Ipv4Addr;
use std::time::Duration;

use ospf_lsdb::lsa::{self, LsSeqNum, LsType, LsaBody, Options, RouterLinkType, RouterLsa};
use ospf_lsdb::types::consts;
use ospf_lsdb::version::WireLsa;
use ospf_lsdb::{
    AreaId, Config, Event, InterfaceConfig, InterfaceIds, NetworkType, OspfInstance, RouterId,
    SyntheticLink, Version, V2, V3,
};
use ospf_tokio::{AdapterVersion, Driver};
use ospf_wire::v3;
use serde_json::{json, Value};

use crate::output::Names;
use crate::topology::{self, SynthLink};

/// The cost of the link between us and synthetic router 0, both ways.
pub const LINK_COST: u16 = 1;
/// Link Data of our link to router 0, and of router 0's link back: the
/// link is not on any real subnet, so these name no interface.
const OUR_LINK_DATA: Ipv4Addr = Ipv4Addr::new(10, 254, 0, 1);
const SYNTH_LINK_DATA: Ipv4Addr = Ipv4Addr::new(10, 254, 0, 2);
/// OSPFv3: our Interface ID of the link to router 0, beyond any ifindex
/// of a lab's, and router 0's, beyond the Interface IDs of its links to
/// other synthetic routers (1 up, see [`topology::interface_ids`]).
pub const OUR_INTERFACE_ID: u32 = 0x00ff_0001;
/// See [`OUR_INTERFACE_ID`].
pub const SYNTH_INTERFACE_ID: u32 = 0x00ff_0002;

/// The OSPF version the area is handed over in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OspfVersion {
    /// OSPFv2 (RFC 2328), to FRR ospfd.
    V2,
    /// OSPFv3 (RFC 5340), to FRR ospf6d.
    V3,
}

/// What `--inject-topology` runs with.
#[derive(Debug, Clone)]
pub struct InjectConfig {
    /// The point-to-point interface to the neighbour.
    pub interface: String,
    /// Our Router ID; the interface's IPv4 address when `None`.
    pub router_id: Option<Ipv4Addr>,
    /// Synthetic routers.
    pub routers: u32,
    /// Seed of the topology ([`topology::BENCH_SEED`] for the benchmark's).
    pub seed: u64,
    /// The area.
    pub area: AreaId,
    /// HelloInterval and RouterDeadInterval (they must match the peer's).
    pub hello_interval: u16,
    /// RouterDeadInterval.
    pub dead_interval: u32,
    /// Time between the injections of router 0's toggled LSA.
    pub refresh: Duration,
    /// OSPFv2 or OSPFv3.
    pub version: OspfVersion,
}

/// The synthetic area, with the sequence number each router's LSAs are
/// at; [`Synthesize`] turns it into one version's LSAs.
#[derive(Debug, Clone)]
pub struct Synthetic {
    topo: Vec<Vec<SynthLink>>,
    /// OSPFv3 Interface IDs of each router's point-to-point links.
    ids: Vec<Vec<(u32, u32)>>,
    me: RouterId,
    seqs: Vec<LsSeqNum>,
    toggled: bool,
}

/// One version's LSAs of a synthetic router.
pub trait Synthesize: AdapterVersion {
    /// Router `i`'s current LSAs, its router-LSA first.
    fn router_lsas(s: &Synthetic, i: u32) -> Vec<Self::Lsa>;
    /// Our link to router 0.
    fn our_link() -> SyntheticLink<Self>;
}

impl Synthetic {
    /// `n` routers from `seed`; router 0 links back to `me`.
    #[must_use]
    pub fn new(n: u32, seed: u64, me: RouterId) -> Self {
        let topo = topology::build(n, seed);
        let ids = topology::interface_ids(&topo);
        Self { topo, ids, me, seqs: vec![LsSeqNum::INITIAL; n as usize], toggled: false }
    }

    /// Whether `rid` is one of the synthetic routers.
    #[must_use]
    pub fn contains(&self, rid: Ipv4Addr) -> bool {
        let first = u32::from(topology::router_id(0));
        u32::from(rid).wrapping_sub(first) < self.topo.len() as u32
    }

    /// The cost of router 0's first stub and (OSPFv3) of its link back to
    /// us: one more in toggled instances.
    fn toggle_bump(&self, i: u32) -> u16 {
        u16::from(i == 0 && self.toggled)
    }

    /// The current LSAs of router `i`, its router-LSA first.
    #[must_use]
    pub fn lsas<V: Synthesize>(&self, i: u32) -> Vec<V::Lsa> {
        V::router_lsas(self, i)
    }

    /// Every router's current LSAs.
    #[must_use]
    pub fn all<V: Synthesize>(&self) -> Vec<V::Lsa> {
        (0..self.topo.len() as u32).flat_map(|i| self.lsas::<V>(i)).collect()
    }

    /// Router 0's next instances, with its first stub's cost toggled.
    pub fn toggle<V: Synthesize>(&mut self) -> Vec<V::Lsa> {
        self.toggled = !self.toggled;
        self.bump(0);
        self.lsas::<V>(0)
    }

    /// The next instance of every router's LSAs, as its originator would
    /// when "the LSA's LS age field reaches the value LSRefreshTime. In this
    /// case, a new instance of the LSA is originated" (RFC 2328 §12.4).
    pub fn refresh_all<V: Synthesize>(&mut self) -> Vec<V::Lsa> {
        for i in 0..self.seqs.len() {
            self.bump(i);
        }
        self.all::<V>()
    }

    /// Every router's LSAs at MaxAge, to flush them (§14.1).
    #[must_use]
    pub fn flushed<V: Synthesize>(&self) -> Vec<V::Lsa> {
        self.all::<V>().iter().map(|l| l.aged(consts::MAX_AGE)).collect()
    }

    fn bump(&mut self, i: usize) {
        if let Some(s) = self.seqs.get_mut(i) {
            // 2^31 refreshes would take longer than any lab runs; at
            // MaxSequenceNumber the instance stays (and is not newer).
            *s = s.next().unwrap_or(*s);
        }
    }
}

impl Synthesize for V2 {
    fn router_lsas(s: &Synthetic, i: u32) -> Vec<lsa::Lsa> {
        let (Some(links), Some(&seq)) = (s.topo.get(i as usize), s.seqs.get(i as usize)) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(links.len() + 1);
        if i == 0 {
            out.push(lsa::link(
                RouterLinkType::POINT_TO_POINT,
                s.me.0,
                u32::from(SYNTH_LINK_DATA),
                LINK_COST,
            ));
        }
        let mut first_stub = true;
        for l in links {
            out.push(match *l {
                SynthLink::PointToPoint { to, addr, cost } => lsa::link(
                    RouterLinkType::POINT_TO_POINT,
                    u32::from(topology::router_id(to)),
                    u32::from(addr),
                    cost,
                ),
                SynthLink::Stub { net, cost } => {
                    let bump = if std::mem::take(&mut first_stub) { s.toggle_bump(i) } else { 0 };
                    lsa::link(RouterLinkType::STUB, u32::from(net), 0xffff_ff00, cost + bump)
                }
            });
        }
        let rid = u32::from(topology::router_id(i));
        vec![lsa::build(
            0,
            Options::E,
            lsa::key(LsType::ROUTER, rid, RouterId(rid)),
            seq,
            LsaBody::Router(RouterLsa { links: out, ..RouterLsa::default() }),
        )]
    }

    fn our_link() -> SyntheticLink<V2> {
        SyntheticLink {
            neighbor: RouterId::from(topology::router_id(0)),
            ends: OUR_LINK_DATA,
            cost: LINK_COST,
        }
    }
}

fn lsa6(adv: RouterId, seq: LsSeqNum, body: v3::LsaBody) -> v3::Lsa {
    let fields = v3::LsaFields {
        ls_age: 0,
        link_state_id: 0,
        advertising_router: adv,
        ls_sequence_number: seq,
    };
    v3::Lsa::build(fields, body)
}

impl Synthesize for V3 {
    fn router_lsas(s: &Synthetic, i: u32) -> Vec<v3::Lsa> {
        let (Some(links), Some(ids), Some(&seq)) =
            (s.topo.get(i as usize), s.ids.get(i as usize), s.seqs.get(i as usize))
        else {
            return Vec::new();
        };
        let rid = RouterId::from(topology::router_id(i));
        let p2p = |neighbor_router_id, metric, (interface_id, neighbor_interface_id)| {
            v3::RouterInterface {
                link_type: v3::RouterLinkType::POINT_TO_POINT,
                metric,
                interface_id,
                neighbor_interface_id,
                neighbor_router_id,
            }
        };
        let mut interfaces = Vec::with_capacity(ids.len() + 1);
        let mut prefixes = Vec::with_capacity(topology::STUBS as usize);
        let links_to = links.iter().filter_map(|l| match *l {
            SynthLink::PointToPoint { to, cost, .. } => Some((to, cost)),
            SynthLink::Stub { .. } => None,
        });
        for ((to, cost), &pair) in links_to.zip(ids) {
            interfaces.push(p2p(RouterId::from(topology::router_id(to)), cost, pair));
        }
        if i == 0 {
            let back = LINK_COST + s.toggle_bump(i);
            interfaces.push(p2p(s.me, back, (SYNTH_INTERFACE_ID, OUR_INTERFACE_ID)));
        }
        let stubs = links.iter().filter_map(|l| match *l {
            SynthLink::Stub { cost, .. } => Some(cost),
            SynthLink::PointToPoint { .. } => None,
        });
        for (cost, n) in stubs.zip(0u32..) {
            let bump = if n == 0 { s.toggle_bump(i) } else { 0 };
            let Some(prefix) = v3::Ipv6Prefix::new(topology::prefix6(i, n), 64) else { continue };
            prefixes.push(v3::IntraAreaPrefix {
                prefix,
                options: v3::PrefixOptions(0),
                metric: cost + bump,
            });
        }
        let options = v3::Options::V6 | v3::Options::E | v3::Options::R;
        let router =
            v3::LsaBody::Router(v3::RouterLsa { flags: v3::RouterFlags(0), options, interfaces });
        let prefixes = v3::LsaBody::IntraAreaPrefix(v3::IntraAreaPrefixLsa {
            referenced_ls_type: v3::LsType::ROUTER,
            referenced_link_state_id: 0,
            referenced_advertising_router: rid,
            prefixes,
        });
        vec![lsa6(rid, seq, router), lsa6(rid, seq, prefixes)]
    }

    fn our_link() -> SyntheticLink<V3> {
        SyntheticLink {
            neighbor: RouterId::from(topology::router_id(0)),
            ends: InterfaceIds {
                interface_id: OUR_INTERFACE_ID,
                neighbor_interface_id: SYNTH_INTERFACE_ID,
            },
            cost: LINK_COST,
        }
    }
}

/// The engine's configuration: one point-to-point interface, a database
/// with room for the synthetic area.
fn engine_config(cfg: &InjectConfig, me: RouterId, ifindex: u32) -> Config {
    let mut c = Config::new(me);
    c.max_lsas = c.max_lsas.max(cfg.routers as usize * 3 + 64);
    let mut i = InterfaceConfig::new(ifindex, &cfg.interface, cfg.area);
    i.network = NetworkType::PointToPoint;
    i.hello_interval = cfg.hello_interval;
    i.dead_interval = cfg.dead_interval;
    c.interfaces.push(i);
    c
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn inject<V: Version>(
    engine: &mut OspfInstance<V>,
    area: AreaId,
    lsas: impl IntoIterator<Item = V::Lsa>,
) -> Result<usize, Error> {
    let now = sansio_tokio::now();
    let mut installed = 0;
    for l in lsas {
        installed += usize::from(engine.inject_lsa(now, area, l)?);
    }
    Ok(installed)
}

/// Runs the injector until `stop` completes, handing `sink` a JSON object
/// for each neighbour and interface change, `{"inject": "full", ...}` when
/// the neighbour first reaches Full and `{"inject": "refresh", ...}` on
/// each toggle. Must be called inside a tokio runtime.
///
/// # Errors
///
/// Interface or socket errors; no Router ID (OSPFv3 on an interface
/// without an IPv4 address and none given); a Router ID among the
/// synthetic routers'.
pub async fn run(
    cfg: InjectConfig,
    sink: impl FnMut(Value),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), Error> {
    match cfg.version {
        OspfVersion::V2 => run_version::<V2>(cfg, sink, stop).await,
        OspfVersion::V3 => run_version::<V3>(cfg, sink, stop).await,
    }
}

async fn run_version<V: Synthesize>(
    cfg: InjectConfig,
    mut sink: impl FnMut(Value),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), Error> {
    if cfg.routers == 0 {
        return Err("--inject-topology needs at least 1 router".into());
    }
    let state = ospf_tokio::iface::discover(&cfg.interface)?;
    let rid = match (cfg.router_id, state.addrs.first()) {
        (Some(rid), _) => rid,
        (None, Some(a)) => a.addr(),
        (None, None) => {
            return Err(format!("{} has no IPv4 address: give --router-id", cfg.interface).into())
        }
    };
    let mut synth = Synthetic::new(cfg.routers, cfg.seed, RouterId::from(rid));
    if synth.contains(rid) {
        return Err(format!("router ID {rid} is one of the synthetic routers'").into());
    }
    let engine_cfg = engine_config(&cfg, RouterId::from(rid), state.ifindex);
    engine_cfg.validate()?;
    let mut engine = OspfInstance::<V>::new(engine_cfg);
    let started = sansio_tokio::now();
    inject(&mut engine, cfg.area, synth.all::<V>())?;
    engine.set_synthetic_links(started, cfg.area, vec![V::our_link()])?;
    let mut driver = Driver::new(engine, &[cfg.interface.as_str()])?;
    let names = Names([(state.ifindex, cfg.interface.clone())].into_iter().collect());
    tracing::info!(router_id = %rid, routers = cfg.routers, version = V::NUMBER, "injecting");

    let mut refresh = tokio::time::interval(cfg.refresh);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ls_refresh = Duration::from_secs(u64::from(consts::LS_REFRESH_TIME));
    let mut originate =
        tokio::time::interval_at(tokio::time::Instant::now() + ls_refresh, ls_refresh);
    let mut full = false;
    let mut reported = false;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            ev = driver.next_event() => match ev? {
                // Our own routes through the synthetic link lead nowhere.
                Event::Route(_) => {}
                ev => {
                    if let Event::NeighborState { new, .. } = &ev {
                        full = *new == ospf_lsdb::neighbor::NbrState::Full;
                        if full && !reported {
                            reported = true;
                            let lsas = driver.engine().area_lsdb(cfg.area).map_or(0, |d| d.len());
                            let after = sansio_tokio::now().saturating_duration_since(started);
                            sink(json!({"inject": "full", "lsas": lsas,
                                "after_ms": after.as_millis() as u64}));
                        }
                    }
                    sink(names.event(&ev));
                }
            },
            _ = refresh.tick(), if full => {
                let n = inject(driver.engine_mut(), cfg.area, synth.toggle::<V>())?;
                sink(json!({"inject": "refresh", "installed": n}));
            }
            _ = originate.tick() => {
                inject(driver.engine_mut(), cfg.area, synth.refresh_all::<V>())?;
            }
            () = &mut stop => break,
        }
    }
    tracing::info!("stopping: flushing the synthetic area and our LSAs");
    inject(driver.engine_mut(), cfg.area, synth.flushed::<V>())?;
    driver.engine_mut().shutdown(sansio_tokio::now());
    driver.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ospf_lsdb::lsa::LsaExt;
    use ospf_lsdb::version::Key;

    fn links(l: &lsa::Lsa) -> Vec<ospf_lsdb::lsa::RouterLink> {
        match l.body() {
            LsaBody::Router(r) => r.links.clone(),
            other => panic!("not a router-LSA: {other:?}"),
        }
    }

    const ME: Ipv4Addr = Ipv4Addr::new(10, 255, 0, 1);

    fn first<V: Synthesize>(s: &Synthetic, i: u32) -> V::Lsa {
        s.lsas::<V>(i).swap_remove(0)
    }

    #[test]
    fn router_zero_links_back_and_toggles_one_stub() {
        let me = RouterId::from(ME);
        let mut s = Synthetic::new(50, topology::BENCH_SEED, me);
        assert_eq!(s.all::<V2>().len(), 50);
        assert!(s
            .all::<V2>()
            .iter()
            .all(|l| l.checksum_ok() && l.header().ls_sequence_number == LsSeqNum::INITIAL));
        assert!(s.contains(Ipv4Addr::new(1, 0, 0, 1)) && s.contains(Ipv4Addr::new(1, 0, 0, 50)));
        assert!(!s.contains(Ipv4Addr::new(1, 0, 0, 51)) && !s.contains(Ipv4Addr::new(1, 0, 0, 0)));
        let r0 = first::<V2>(&s, 0);
        let back = &links(&r0)[0];
        assert_eq!((back.link_id, back.metric), (me.to_ipv4(), LINK_COST));
        assert_eq!(V2::our_link().neighbor, RouterId::from(topology::router_id(0)));
        // Router 1 has no link to us.
        assert!(links(&first::<V2>(&s, 1)).iter().all(|l| l.link_id != me.to_ipv4()));
        // Toggling: a newer instance, one stub cost +1, then back.
        let stubs = |l: &lsa::Lsa| -> Vec<u16> {
            links(l)
                .iter()
                .filter(|x| x.link_type == RouterLinkType::STUB)
                .map(|x| x.metric)
                .collect()
        };
        let t1 = s.toggle::<V2>().swap_remove(0);
        assert_eq!(t1.header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 1));
        assert_eq!(stubs(&t1), vec![2, 2, 3]);
        let t2 = s.toggle::<V2>().swap_remove(0);
        assert_eq!(stubs(&t2), stubs(&r0));
        assert_eq!(t2.key(), r0.key());
        // Refreshing bumps every router; flushing keeps the sequence numbers.
        let all = s.refresh_all::<V2>();
        assert_eq!(all[0].header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 3));
        assert_eq!(all[1].header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 1));
        let dead = s.flushed::<V2>();
        assert!(dead.iter().all(|l| l.age() == consts::MAX_AGE && l.checksum_ok()));
        assert_eq!(dead[1].header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 1));
    }

    fn interfaces(l: &v3::Lsa) -> Vec<v3::RouterInterface> {
        match l.body() {
            v3::LsaBody::Router(r) => r.interfaces.clone(),
            other => panic!("not a router-LSA: {other:?}"),
        }
    }

    fn prefixes(l: &v3::Lsa) -> Vec<(String, u16)> {
        match l.body() {
            v3::LsaBody::IntraAreaPrefix(p) => {
                p.prefixes.iter().map(|x| (x.prefix.to_string(), x.metric)).collect()
            }
            other => panic!("not an intra-area-prefix-LSA: {other:?}"),
        }
    }

    #[test]
    fn ospfv3_router_zero_links_back_by_interface_id_and_toggles() {
        let me = RouterId::from(ME);
        let mut s = Synthetic::new(50, topology::BENCH_SEED, me);
        let all = s.all::<V3>();
        assert_eq!(all.len(), 100, "a router-LSA and an intra-area-prefix-LSA each");
        assert!(all
            .iter()
            .all(|l| l.checksum_ok() && l.header().ls_sequence_number == LsSeqNum::INITIAL));
        let r0 = s.lsas::<V3>(0);
        let back = *interfaces(&r0[0]).last().unwrap();
        assert_eq!(
            (back.neighbor_router_id, back.interface_id, back.neighbor_interface_id, back.metric),
            (me, SYNTH_INTERFACE_ID, OUR_INTERFACE_ID, LINK_COST)
        );
        // Our link names the same pair from our side.
        let ours = V3::our_link();
        assert_eq!(
            (ours.ends.interface_id, ours.ends.neighbor_interface_id),
            (back.neighbor_interface_id, back.interface_id)
        );
        assert_eq!(
            prefixes(&r0[1]),
            vec![
                ("fd00::/64".into(), 1),
                ("fd00:0:0:1::/64".into(), 2),
                ("fd00:0:0:2::/64".into(), 3)
            ]
        );
        // Every other link is matched by the link back of the neighbour.
        let r7 = interfaces(&first::<V3>(&s, 7));
        for l in &r7 {
            let j = u32::from(l.neighbor_router_id.to_ipv4()) - u32::from(topology::router_id(0));
            let theirs = interfaces(&first::<V3>(&s, j));
            assert!(theirs.iter().any(|x| x.interface_id == l.neighbor_interface_id
                && x.neighbor_interface_id == l.interface_id
                && x.neighbor_router_id == RouterId::from(topology::router_id(7))
                && x.metric == l.metric));
        }
        // Toggling changes both LSAs of router 0: the link back (which
        // only the two-way check reads) and the first prefix's cost.
        let t1 = s.toggle::<V3>();
        assert!(t1
            .iter()
            .all(|l| l.header().ls_sequence_number == LsSeqNum(LsSeqNum::INITIAL.0 + 1)));
        assert_eq!(interfaces(&t1[0]).last().map(|b| b.metric), Some(LINK_COST + 1));
        assert_eq!(prefixes(&t1[1])[0].1, 2);
        let t2 = s.toggle::<V3>();
        assert_eq!(interfaces(&t2[0]), interfaces(&r0[0]));
        assert_eq!(prefixes(&t2[1]), prefixes(&r0[1]));
        assert!(s
            .flushed::<V3>()
            .iter()
            .all(|l| l.header().ls_age == consts::MAX_AGE && l.checksum_ok()));
    }

    fn through_the_engine<V: Synthesize>(version: OspfVersion, per_router: usize) {
        let me = RouterId::from(ME);
        let s = Synthetic::new(20, 1, me);
        let cfg = InjectConfig {
            interface: "eth0".into(),
            router_id: None,
            routers: 20,
            seed: 1,
            area: AreaId(0),
            hello_interval: 1,
            dead_interval: 4,
            refresh: Duration::from_secs(3),
            version,
        };
        let mut e = OspfInstance::<V>::new(engine_config(&cfg, me, 2));
        let n = 20 * per_router;
        assert_eq!(inject(&mut e, AreaId(0), s.all::<V>()).ok(), Some(n));
        assert_eq!(inject(&mut e, AreaId(0), s.all::<V>()).ok(), Some(0), "the same again");
        assert_eq!(e.area_lsdb(AreaId(0)).map(|d| d.len()), Some(n));
        assert!(e
            .area_lsdb(AreaId(0))
            .is_some_and(|d| d.iter().all(|(k, _)| k.advertising_router() != me)));
        assert_eq!(
            e.interface_config(2).map(|i| (i.network, i.hello_interval)),
            Some((NetworkType::PointToPoint, 1))
        );
        let now = sansio_tokio::now();
        assert!(e.set_synthetic_links(now, AreaId(0), vec![V::our_link()]).is_ok());
    }

    #[test]
    fn the_area_goes_through_the_engine() {
        through_the_engine::<V2>(OspfVersion::V2, 1);
        through_the_engine::<V3>(OspfVersion::V3, 2);
    }
}

//! `--inject-topology N`: an `ospf-lsdb` instance on one point-to-point
//! interface that hands its neighbour (FRR ospfd in the lab) the synthetic
//! area of [`crate::topology`], so that the neighbour's SPF runs over the
//! `N` synthetic routers, this one and itself. Used by
//! `scripts/lab/frr-spf-bench.sh` to read FRR's SPF duration on the
//! benchmark's topology.
//!
//! The synthetic router-LSAs go into the instance's database with
//! [`Instance::inject_lsa`] and reach the neighbour by the engine's own
//! database exchange and flooding. Our router-LSA gets a point-to-point
//! link to synthetic router 0 ([`Instance::set_synthetic_links`]) and
//! router 0's LSA one back to us, so that the neighbour's two-way check
//! (RFC 2328 §16.1 step 2b) lets its SPF through us into the area. While the
//! neighbour is Full, router 0's LSA is injected again every `refresh`
//! with its first stub's cost toggled, a newer instance that makes the
//! neighbour run SPF again; every LSRefreshTime all of them are, as their
//! originators would (§12.4). On exit the synthetic LSAs are flushed
//! (MaxAge) with our own.

use std::net::Ipv4Addr;
use std::time::Duration;

use ospf_lsdb::lsa::{self, LsSeqNum, LsType, Lsa, LsaBody, Options, RouterLinkType, RouterLsa};
use ospf_lsdb::types::consts;
use ospf_lsdb::{
    AreaId, Config, Event, Instance, InterfaceConfig, NetworkType, RouterId, SyntheticLink,
};
use ospf_tokio::Driver;
use serde_json::{json, Value};

use crate::output::Names;
use crate::topology::{self, SynthLink};

/// The cost of the link between us and synthetic router 0, both ways.
pub const LINK_COST: u16 = 1;
/// Link Data of our link to router 0, and of router 0's link back: the
/// link is not on any real subnet, so these name no interface.
const OUR_LINK_DATA: Ipv4Addr = Ipv4Addr::new(10, 254, 0, 1);
const SYNTH_LINK_DATA: Ipv4Addr = Ipv4Addr::new(10, 254, 0, 2);

/// What `--inject-topology` runs with.
#[derive(Debug, Clone)]
pub struct InjectConfig {
    /// The point-to-point interface to the neighbour.
    pub interface: String,
    /// Our Router ID; the interface's address when `None`.
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
}

/// The synthetic area as router-LSAs, with the sequence number each is at.
#[derive(Debug, Clone)]
pub struct Synthetic {
    topo: Vec<Vec<SynthLink>>,
    me: RouterId,
    seqs: Vec<LsSeqNum>,
    toggled: bool,
}

impl Synthetic {
    /// `n` routers from `seed`; router 0 links back to `me`.
    #[must_use]
    pub fn new(n: u32, seed: u64, me: RouterId) -> Self {
        Self {
            topo: topology::build(n, seed),
            me,
            seqs: vec![LsSeqNum::INITIAL; n as usize],
            toggled: false,
        }
    }

    /// Whether `rid` is one of the synthetic routers.
    #[must_use]
    pub fn contains(&self, rid: Ipv4Addr) -> bool {
        let first = u32::from(topology::router_id(0));
        u32::from(rid).wrapping_sub(first) < self.topo.len() as u32
    }

    /// Our link to router 0.
    #[must_use]
    pub fn link(&self) -> SyntheticLink {
        SyntheticLink {
            neighbor: RouterId::from(topology::router_id(0)),
            link_data: OUR_LINK_DATA,
            cost: LINK_COST,
        }
    }

    /// The current instance of router `i`'s LSA.
    #[must_use]
    pub fn lsa(&self, i: u32) -> Option<Lsa> {
        let links = self.topo.get(i as usize)?;
        let seq = *self.seqs.get(i as usize)?;
        let mut out = Vec::with_capacity(links.len() + 1);
        if i == 0 {
            out.push(lsa::link(
                RouterLinkType::POINT_TO_POINT,
                self.me.0,
                u32::from(SYNTH_LINK_DATA),
                LINK_COST,
            ));
        }
        let mut first_stub = i == 0 && self.toggled;
        for l in links {
            out.push(match *l {
                SynthLink::PointToPoint { to, addr, cost } => lsa::link(
                    RouterLinkType::POINT_TO_POINT,
                    u32::from(topology::router_id(to)),
                    u32::from(addr),
                    cost,
                ),
                SynthLink::Stub { net, cost } => {
                    let cost = if std::mem::take(&mut first_stub) { cost + 1 } else { cost };
                    lsa::link(RouterLinkType::STUB, u32::from(net), 0xffff_ff00, cost)
                }
            });
        }
        let rid = u32::from(topology::router_id(i));
        Some(lsa::build(
            0,
            Options::E,
            lsa::key(LsType::ROUTER, rid, RouterId(rid)),
            seq,
            LsaBody::Router(RouterLsa { links: out, ..RouterLsa::default() }),
        ))
    }

    /// Every router's current LSA.
    pub fn all(&self) -> impl Iterator<Item = Lsa> + '_ {
        (0..self.topo.len() as u32).filter_map(|i| self.lsa(i))
    }

    /// Router 0's next instance, with its first stub's cost toggled.
    pub fn toggle(&mut self) -> Option<Lsa> {
        self.toggled = !self.toggled;
        self.bump(0);
        self.lsa(0)
    }

    /// The next instance of every router's LSA, as its originator would
    /// when "the LSA's LS age field reaches the value LSRefreshTime. In this
    /// case, a new instance of the LSA is originated" (RFC 2328 §12.4).
    pub fn refresh_all(&mut self) -> Vec<Lsa> {
        for i in 0..self.seqs.len() {
            self.bump(i);
        }
        self.all().collect()
    }

    /// Every router's LSA at MaxAge, to flush them (§14.1).
    #[must_use]
    pub fn flushed(&self) -> Vec<Lsa> {
        self.all().map(|l| l.with_age(consts::MAX_AGE)).collect()
    }

    fn bump(&mut self, i: usize) {
        if let Some(s) = self.seqs.get_mut(i) {
            // 2^31 refreshes would take longer than any lab runs; at
            // MaxSequenceNumber the instance stays (and is not newer).
            *s = s.next().unwrap_or(*s);
        }
    }
}

/// The engine's configuration: one point-to-point interface, a database
/// with room for the synthetic area.
fn engine_config(cfg: &InjectConfig, me: RouterId, ifindex: u32) -> Config {
    let mut c = Config::new(me);
    c.max_lsas = c.max_lsas.max(cfg.routers as usize * 2 + 64);
    let mut i = InterfaceConfig::new(ifindex, &cfg.interface, cfg.area);
    i.network = NetworkType::PointToPoint;
    i.hello_interval = cfg.hello_interval;
    i.dead_interval = cfg.dead_interval;
    c.interfaces.push(i);
    c
}

fn inject(
    engine: &mut Instance,
    area: AreaId,
    lsas: impl IntoIterator<Item = Lsa>,
) -> Result<usize, ospf_lsdb::InjectError> {
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
/// Interface or socket errors; a Router ID among the synthetic routers'.
pub async fn run(
    cfg: InjectConfig,
    mut sink: impl FnMut(Value),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if cfg.routers == 0 {
        return Err("--inject-topology needs at least 1 router".into());
    }
    let state = ospf_tokio::iface::discover(&cfg.interface)?;
    let addr =
        state.addrs.first().ok_or_else(|| format!("{} has no IPv4 address", cfg.interface))?.addr();
    let rid = cfg.router_id.unwrap_or(addr);
    let mut synth = Synthetic::new(cfg.routers, cfg.seed, RouterId::from(rid));
    if synth.contains(rid) {
        return Err(format!("router ID {rid} is one of the synthetic routers'").into());
    }
    let engine_cfg = engine_config(&cfg, RouterId::from(rid), state.ifindex);
    engine_cfg.validate()?;
    let mut engine = Instance::new(engine_cfg);
    let started = sansio_tokio::now();
    inject(&mut engine, cfg.area, synth.all())?;
    engine.set_synthetic_links(started, cfg.area, vec![synth.link()])?;
    let mut driver = Driver::new(engine, &[cfg.interface.as_str()])?;
    let names = Names([(state.ifindex, cfg.interface.clone())].into_iter().collect());
    tracing::info!(router_id = %rid, routers = cfg.routers, "injecting");

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
                let n = inject(driver.engine_mut(), cfg.area, synth.toggle())?;
                sink(json!({"inject": "refresh", "installed": n}));
            }
            _ = originate.tick() => {
                inject(driver.engine_mut(), cfg.area, synth.refresh_all())?;
            }
            () = &mut stop => break,
        }
    }
    tracing::info!("stopping: flushing the synthetic area and our LSAs");
    inject(driver.engine_mut(), cfg.area, synth.flushed())?;
    driver.engine_mut().shutdown(sansio_tokio::now());
    driver.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ospf_lsdb::lsa::LsaExt;

    fn links(l: &Lsa) -> Vec<ospf_lsdb::lsa::RouterLink> {
        match l.body() {
            LsaBody::Router(r) => r.links.clone(),
            other => panic!("not a router-LSA: {other:?}"),
        }
    }

    #[test]
    fn router_zero_links_back_and_toggles_one_stub() {
        let me = RouterId::from(Ipv4Addr::new(10, 255, 0, 1));
        let mut s = Synthetic::new(50, topology::BENCH_SEED, me);
        assert_eq!(s.all().count(), 50);
        assert!(s
            .all()
            .all(|l| l.checksum_ok() && l.header().ls_sequence_number == LsSeqNum::INITIAL));
        assert!(s.contains(Ipv4Addr::new(1, 0, 0, 1)) && s.contains(Ipv4Addr::new(1, 0, 0, 50)));
        assert!(!s.contains(Ipv4Addr::new(1, 0, 0, 51)) && !s.contains(Ipv4Addr::new(1, 0, 0, 0)));
        let r0 = s.lsa(0).unwrap();
        let back = &links(&r0)[0];
        assert_eq!((back.link_id, back.metric), (me.to_ipv4(), LINK_COST));
        assert_eq!(s.link().neighbor, RouterId::from(topology::router_id(0)));
        // Router 1 has no link to us.
        assert!(links(&s.lsa(1).unwrap()).iter().all(|l| l.link_id != me.to_ipv4()));
        // Toggling: a newer instance, one stub cost +1, then back.
        let stubs = |l: &Lsa| -> Vec<u16> {
            links(l)
                .iter()
                .filter(|x| x.link_type == RouterLinkType::STUB)
                .map(|x| x.metric)
                .collect()
        };
        let t1 = s.toggle().unwrap();
        assert_eq!(t1.header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 1));
        assert_eq!(stubs(&t1), vec![2, 2, 3]);
        let t2 = s.toggle().unwrap();
        assert_eq!(stubs(&t2), stubs(&r0));
        assert_eq!(t2.key(), r0.key());
        // Refreshing bumps every router; flushing keeps the sequence numbers.
        let all = s.refresh_all();
        assert_eq!(all[0].header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 3));
        assert_eq!(all[1].header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 1));
        let dead = s.flushed();
        assert!(dead.iter().all(|l| l.age() == consts::MAX_AGE && l.checksum_ok()));
        assert_eq!(dead[1].header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 1));
    }

    #[test]
    fn the_area_goes_through_the_engine() {
        let me = RouterId::from(Ipv4Addr::new(10, 255, 0, 1));
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
        };
        let mut e = Instance::new(engine_config(&cfg, me, 2));
        assert_eq!(inject(&mut e, AreaId(0), s.all()), Ok(20));
        assert_eq!(inject(&mut e, AreaId(0), s.all()), Ok(0), "the same instances again");
        assert_eq!(e.area_lsdb(AreaId(0)).map(|d| d.len()), Some(20));
        assert_eq!(
            e.interface_config(2).map(|i| (i.network, i.hello_interval)),
            Some((NetworkType::PointToPoint, 1))
        );
    }
}

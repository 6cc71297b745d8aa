//! Runs the catalogue against a device under test with three neighbours of it:
//!
//! - the attacker: a fresh session per case; announces the canaries, sends the case's
//!   octets, then a fence (a route of its own that proves the device read past the case);
//! - the observer: only receives; its view of the canaries says what the device did with
//!   the case (withdrawn, re-announced without an attribute, unchanged);
//! - the healthy neighbour: carries a full table and must stay Established, its routes
//!   unchanged at the observer, through every case.

use super::cases::{self, Case, Env, Outcome, When, CANARY, DUPLICATE, NEW, OLD};
use super::craft;
use super::session::{self, Peer, Received, Session};
use super::view::View;
use bgp_wire::attribute::{Attribute, Community, NextHop, PathAttribute};
use bgp_wire::nlri::Nlri;
use bgp_wire::update::builder::{Encoding, UpdateBuilder};
use bgp_wire::Family;
use bytes::BytesMut;
use ipnet::IpNet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Where the device under test is and who the three neighbours are.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The device under test's address and port.
    pub dut: SocketAddr,
    /// Its AS.
    pub dut_as: u32,
    /// The device under test's BGP Identifier.
    pub dut_id: Ipv4Addr,
    /// The attacking neighbour.
    pub attacker: Peer,
    /// An internal (iBGP) attacking neighbour, for the cases that need one; without it
    /// they fail, saying so.
    pub internal_attacker: Option<Peer>,
    /// The observing neighbour.
    pub observer: Peer,
    /// The healthy neighbour.
    pub healthy: Peer,
    /// The healthy neighbour's table (IPv4 unicast).
    pub table: Vec<IpNet>,
    /// How long a case waits for the device's answer.
    pub case_timeout: Duration,
    /// How long the full table may take to reach the observer.
    pub load_timeout: Duration,
}

/// What the device under test did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    /// One of the outcomes a case can expect.
    Outcome(Outcome),
    /// A NOTIFICATION, but the connection stayed open.
    NotificationNotClosed(u8, u8),
    /// The connection closed without a NOTIFICATION.
    ClosedSilently(String),
    /// The UPDATE was used as it came (with the attribute type that should have gone).
    Accepted(Option<u8>),
    /// Nothing within the case's time: no NOTIFICATION, no fence at the observer.
    NoAnswer,
    /// The observer saw something that fits no outcome.
    Unexpected(String),
    /// The case could not be run.
    Error(String),
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observed::Outcome(o) => write!(f, "{o}"),
            Observed::NotificationNotClosed(c, s) => write!(f, "NOTIFICATION {c}/{s}, not closed"),
            Observed::ClosedSilently(w) => write!(f, "closed without NOTIFICATION ({w})"),
            Observed::Accepted(None) => f.write_str("accepted"),
            Observed::Accepted(Some(t)) => write!(f, "accepted with attribute {t}"),
            Observed::NoAnswer => f.write_str("no answer"),
            Observed::Unexpected(w) => write!(f, "unexpected: {w}"),
            Observed::Error(w) => write!(f, "error: {w}"),
        }
    }
}

/// One case's verdict.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// Case name.
    pub name: &'static str,
    /// The RFC section it follows.
    pub rfc: &'static str,
    /// Expected outcomes, as text.
    pub expected: String,
    /// What happened.
    pub observed: Observed,
    /// Failures of the healthy neighbour or the observer during the case.
    pub health: Vec<String>,
    /// Observed is among the expected outcomes and nothing else suffered.
    pub pass: bool,
}

type Shared = Arc<Mutex<View>>;

fn lock(v: &Shared) -> std::sync::MutexGuard<'_, View> {
    v.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Feeds everything a session receives into a view, keeping the session (and its
/// KEEPALIVEs) alive until aborted.
fn watch(mut s: Session, view: Shared) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(r) = s.rx.recv().await {
            let closed = matches!(r, Received::Closed(_));
            lock(&view).apply(r);
            if closed {
                break;
            }
        }
        let mut v = lock(&view);
        if v.closed.is_none() {
            v.closed = Some("reader ended".into());
        }
    })
}

async fn wait_for(view: &Shared, timeout: Duration, f: impl Fn(&View) -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f(&lock(view)) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap_or_default()
}

/// The fence of case `i`: a /32 in 198.19.0.0/16.
fn fence(i: usize) -> IpNet {
    let [_, _, a, b] = u32::try_from(i).unwrap_or(0).to_be_bytes();
    IpNet::new(Ipv4Addr::new(198, 19, a, b).into(), 32).unwrap_or_default()
}

/// An UPDATE announcing `prefixes` (IPv4) with good attributes and `community`.
fn announce(e: &Env, prefixes: &[IpNet], community: u32) -> Vec<u8> {
    let ctx = craft::ctx();
    let mut path = bgp_wire::attribute::AsPath::new();
    path.segments.push(bgp_wire::attribute::Segment::sequence([e.asn]));
    let attrs = vec![
        PathAttribute::new(Attribute::Origin(bgp_wire::attribute::Origin::Igp)),
        PathAttribute::new(Attribute::AsPath(path)),
        PathAttribute::new(Attribute::Communities(vec![Community(community)])),
    ];
    let b = UpdateBuilder::new(&ctx, &attrs);
    let mut buf = BytesMut::new();
    let routes: Vec<Nlri> = prefixes.iter().map(|p| Nlri::new(*p)).collect();
    b.announce(
        Family::IPV4_UNICAST,
        &NextHop::Ipv4(e.next_hop),
        &routes,
        Encoding::Classic,
        &mut buf,
    );
    buf.to_vec()
}

/// The healthy neighbour's table in UPDATEs: four attribute sets, prefix by prefix in turn.
fn table_updates(p: &Peer, table: &[IpNet]) -> Vec<Vec<u8>> {
    let ctx = craft::ctx();
    let IpAddrV4(nh) = IpAddrV4::of(p);
    let paths: [&[u32]; 4] = [&[3333], &[3333, 1299], &[3333, 174, 13335], &[3333, 6939, 15169]];
    let mut out = Vec::new();
    for (k, tail) in paths.iter().enumerate() {
        let mut path = bgp_wire::attribute::AsPath::new();
        let asns: Vec<u32> = std::iter::once(p.asn).chain(tail.iter().copied()).collect();
        path.segments.push(bgp_wire::attribute::Segment::sequence(asns));
        let attrs = vec![
            PathAttribute::new(Attribute::Origin(bgp_wire::attribute::Origin::Igp)),
            PathAttribute::new(Attribute::AsPath(path)),
            PathAttribute::new(Attribute::Communities(vec![Community(
                0xfc00_0100 + u32::try_from(k).unwrap_or(0),
            )])),
        ];
        let routes: Vec<Nlri> = table.iter().skip(k).step_by(4).map(|p| Nlri::new(*p)).collect();
        let b = UpdateBuilder::new(&ctx, &attrs);
        for chunk in routes.chunks(20_000) {
            let mut buf = BytesMut::new();
            b.announce(
                Family::IPV4_UNICAST,
                &NextHop::Ipv4(nh),
                chunk,
                Encoding::Classic,
                &mut buf,
            );
            out.push(buf.to_vec());
        }
    }
    let mut eor = BytesMut::new();
    bgp_wire::update::builder::end_of_rib(&ctx, Family::IPV4_UNICAST, &mut eor);
    out.push(eor.to_vec());
    out
}

/// A peer's IPv4 source address (the next hop of its routes).
struct IpAddrV4(Ipv4Addr);

impl IpAddrV4 {
    fn of(p: &Peer) -> IpAddrV4 {
        match p.source {
            std::net::IpAddr::V4(a) => IpAddrV4(a),
            std::net::IpAddr::V6(_) => IpAddrV4(p.bgp_id),
        }
    }
}

/// A running lab of neighbours around the device under test.
pub struct Run {
    setup: Setup,
    env: Env,
    observer: Shared,
    healthy: Shared,
    tasks: Vec<JoinHandle<()>>,
    baseline: u64,
    table_len: usize,
}

impl Drop for Run {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Run {
    /// Brings up the observer and the healthy neighbour, sends the table and waits until
    /// the observer has all of it.
    pub async fn start(setup: Setup) -> Result<Run, String> {
        let IpAddrV4(attacker_v4) = IpAddrV4::of(&setup.attacker);
        let dut_addr = match setup.dut.ip() {
            std::net::IpAddr::V4(a) => a,
            std::net::IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
        };
        let env = Env {
            asn: setup.attacker.asn,
            dut_as: setup.dut_as,
            dut_addr,
            dut_id: setup.dut_id,
            bgp_id: setup.attacker.bgp_id,
            next_hop: attacker_v4,
            hold_time: setup.attacker.hold_time,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let observer = Arc::new(Mutex::new(View::default()));
        let healthy = Arc::new(Mutex::new(View::default()));
        let o = session::establish(&setup.observer, setup.dut, deadline).await?;
        let mut tasks = vec![watch(o, Arc::clone(&observer))];
        let h = session::establish(&setup.healthy, setup.dut, deadline).await?;
        let mut table = setup.table.clone();
        table.sort();
        table.dedup();
        for m in table_updates(&setup.healthy, &table) {
            h.send(m);
        }
        tasks.push(watch(h, Arc::clone(&healthy)));
        let n = table.len();
        let loaded =
            wait_for(&observer, setup.load_timeout, |v| v.others.len() >= n || v.closed.is_some())
                .await;
        let mut run = Run { setup, env, observer, healthy, tasks, baseline: 0, table_len: n };
        let got = lock(&run.observer).others.len();
        if !loaded || got != n {
            return Err(format!(
                "the observer has {got} of the healthy neighbour's {n} routes after {:?}; {}",
                run.setup.load_timeout,
                run.health().join("; ")
            ));
        }
        // Settled: no change for a second.
        let mut last = lock(&run.observer).other_changes;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = lock(&run.observer).other_changes;
            if now == last {
                break;
            }
            last = now;
        }
        run.baseline = last;
        Ok(run)
    }

    /// Routes of the healthy neighbour at the observer.
    pub fn table_len(&self) -> usize {
        self.table_len
    }

    /// What is wrong with the healthy neighbour or the observer, if anything.
    pub fn health(&self) -> Vec<String> {
        let mut out = Vec::new();
        let o = lock(&self.observer);
        if let Some(w) = &o.closed {
            out.push(format!("observer session closed: {w}"));
        }
        out.extend(o.faults.iter().map(|f| format!("observer received {f}")));
        if o.other_changes != self.baseline {
            out.push(format!(
                "the healthy routes changed at the observer: {} updates",
                o.other_changes - self.baseline.min(o.other_changes)
            ));
        }
        if o.others.len() != self.table_len {
            out.push(format!(
                "the observer holds {} of {} healthy routes",
                o.others.len(),
                self.table_len
            ));
        }
        drop(o);
        let h = lock(&self.healthy);
        if let Some(w) = &h.closed {
            out.push(format!("healthy session closed: {w}"));
        }
        out.extend(h.faults.iter().map(|f| format!("healthy neighbour received {f}")));
        out
    }

    /// Runs one case and judges it.
    pub async fn case(&mut self, i: usize, c: &Case) -> CaseResult {
        let before = self.health();
        let observed = if before.is_empty() {
            self.observe(i, c).await.unwrap_or_else(Observed::Error)
        } else {
            Observed::Error("not run: the lab was already broken".into())
        };
        let health = self.health();
        let pass =
            matches!(&observed, Observed::Outcome(o) if c.expect.contains(o)) && health.is_empty();
        CaseResult {
            name: c.name,
            rfc: c.rfc,
            expected: cases::expected(c),
            observed,
            health,
            pass,
        }
    }

    async fn observe(&mut self, i: usize, c: &Case) -> Result<Observed, String> {
        let c4 = net(CANARY);
        let gone = |v: &View| !v.test.contains_key(&c4);
        if !wait_for(&self.observer, Duration::from_secs(20), gone).await {
            return Err("the canary of the previous case is still announced".into());
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        if c.when != When::Established {
            let source = match (c.when, &self.setup.internal_attacker) {
                (When::InsteadOfOpenInternal, Some(p)) => p.source,
                (When::InsteadOfOpenInternal, None) => {
                    return Err("needs an internal attacker (none configured)".into())
                }
                _ => self.setup.attacker.source,
            };
            // A device that just closed the previous session may accept the connection and
            // close it before reading (its IdleHoldTimer): try again until it answers.
            loop {
                let t = session::connect(source, self.setup.dut, deadline).await?;
                let mut s = session::start(t, BytesMut::new(), 0);
                s.send((c.build)(&self.env));
                let (observed, heard) = self.answer(&mut s, c, fence(i)).await;
                drop(s);
                let silent = matches!(observed, Observed::ClosedSilently(_)) && !heard;
                if !silent || Instant::now() >= deadline {
                    return Ok(observed);
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        let mut s = session::establish(&self.setup.attacker, self.setup.dut, deadline).await?;
        s.send(announce(&self.env, &[c4], OLD));
        let up = |v: &View| v.test.get(&c4).is_some_and(|s| s.communities == [OLD]);
        if !wait_for(&self.observer, Duration::from_secs(10), up).await {
            let v = lock(&self.observer);
            return Err(format!("the canary never reached the observer: it has {:?}", v.test));
        }
        s.send((c.build)(&self.env));
        s.send(announce(&self.env, &[fence(i)], OLD));
        let (observed, _) = self.answer(&mut s, c, fence(i)).await;
        s.close().await;
        Ok(observed)
    }

    /// Waits for a NOTIFICATION, a close, or the fence at the observer; also says whether
    /// the device sent anything at all.
    async fn answer(&self, s: &mut Session, c: &Case, fence: IpNet) -> (Observed, bool) {
        let deadline = Instant::now() + self.setup.case_timeout;
        let mut heard = false;
        while Instant::now() < deadline {
            match s.recv(Duration::from_millis(20)).await {
                Some(Received::Notification(n)) => {
                    let (code, sub) = (n.code.0, n.subcode);
                    let end = Instant::now() + Duration::from_secs(3);
                    while Instant::now() < end {
                        if let Some(Received::Closed(_)) = s.recv(Duration::from_millis(50)).await {
                            return (Observed::Outcome(Outcome::Notification(code, sub)), true);
                        }
                    }
                    return (Observed::NotificationNotClosed(code, sub), true);
                }
                Some(Received::Closed(w)) => return (Observed::ClosedSilently(w), heard),
                Some(Received::Garbage(g)) => {
                    return (Observed::Unexpected(format!("undecodable answer: {g}")), true)
                }
                Some(_) => heard = true,
                None => {}
            }
            if c.when == When::Established && lock(&self.observer).test.contains_key(&fence) {
                return (self.classify(c), true);
            }
        }
        // RFC 4760 §7: after an AFI/SAFI disable, routes of the family are ignored (the
        // fence too) and those received before are deleted (the canary), the session up.
        if c.when == When::Established && !lock(&self.observer).test.contains_key(&net(CANARY)) {
            return (Observed::Outcome(Outcome::AfiSafiDisable), heard);
        }
        (Observed::NoAnswer, heard)
    }

    /// What the observer's canary says, once the fence arrived.
    fn classify(&self, c: &Case) -> Observed {
        classify(&lock(&self.observer), c)
    }
}

/// What the observer's view of the canary says about a case, once the fence arrived:
/// withdrawn (treat-as-withdraw), unchanged (ignored), re-announced with the case's
/// community and without the bad attribute (attribute discard), or with it (accepted).
pub fn classify(v: &View, c: &Case) -> Observed {
    match v.test.get(&net(CANARY)) {
        None => Observed::Outcome(Outcome::TreatAsWithdraw),
        Some(s) if s.communities == [OLD] => Observed::Outcome(Outcome::Ignored),
        Some(s) if s.communities.first() == Some(&NEW) => match c.discards {
            Some(t) if s.types.contains(&t) => Observed::Accepted(Some(t)),
            Some(_) => Observed::Outcome(Outcome::AttributeDiscard),
            None if s.communities.contains(&DUPLICATE) => Observed::Accepted(Some(8)),
            None if c.expect.contains(&Outcome::AttributeDiscard) => {
                Observed::Outcome(Outcome::AttributeDiscard)
            }
            None => Observed::Accepted(None),
        },
        Some(s) => Observed::Unexpected(format!("canary communities {:?}", s.communities)),
    }
}

/// Runs `cases` in order; `each` sees every result as it comes.
pub async fn run(
    setup: Setup,
    cases: &[Case],
    mut each: impl FnMut(&CaseResult),
) -> Result<Vec<CaseResult>, String> {
    let mut run = Run::start(setup).await?;
    let mut out = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let r = run.case(i, c).await;
        each(&r);
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::view::Seen;

    fn case(name: &str) -> Case {
        cases::catalogue().into_iter().find(|c| c.name == name).unwrap()
    }

    fn view(communities: Option<&[u32]>, types: &[u8]) -> View {
        let mut v = View::default();
        if let Some(c) = communities {
            let seen = Seen { communities: c.to_vec(), types: types.to_vec() };
            v.test.insert(net(CANARY), seen);
        }
        v
    }

    #[test]
    fn the_canary_says_what_was_done() {
        let taw = case("origin-value-7");
        assert_eq!(classify(&view(None, &[]), &taw), Observed::Outcome(Outcome::TreatAsWithdraw));
        assert_eq!(
            classify(&view(Some(&[OLD]), &[1, 2, 3, 8]), &taw),
            Observed::Outcome(Outcome::Ignored)
        );
        assert_eq!(classify(&view(Some(&[NEW]), &[1, 2, 3, 8]), &taw), Observed::Accepted(None));
        let discard = case("aggregator-length-7");
        assert_eq!(
            classify(&view(Some(&[NEW]), &[1, 2, 3, 8]), &discard),
            Observed::Outcome(Outcome::AttributeDiscard)
        );
        assert_eq!(
            classify(&view(Some(&[NEW]), &[1, 2, 3, 7, 8]), &discard),
            Observed::Accepted(Some(7))
        );
        let dup = case("duplicate-communities");
        assert_eq!(
            classify(&view(Some(&[NEW]), &[1, 2, 3, 8]), &dup),
            Observed::Outcome(Outcome::AttributeDiscard)
        );
        assert_eq!(
            classify(&view(Some(&[NEW, DUPLICATE]), &[1, 2, 3, 8]), &dup),
            Observed::Accepted(Some(8))
        );
        assert!(matches!(classify(&view(Some(&[DUPLICATE]), &[8]), &dup), Observed::Unexpected(_)));
    }

    #[test]
    fn fences_are_distinct_and_in_the_test_range() {
        let a = fence(0);
        let b = fence(300);
        assert_ne!(a, b);
        assert!(cases::is_test_prefix(&a) && cases::is_test_prefix(&b));
        assert!(cases::is_test_prefix(&net(CANARY)));
    }
}

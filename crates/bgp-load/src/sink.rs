//! A receiving peer's tally: which prefixes it holds now (announced and not withdrawn since),
//! how many announcements and withdrawals arrived per family, when, and the moment it first
//! held the number of routes it was told to expect.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bgp_wire::update::Update;
use bgp_wire::Family;
use ipnet::IpNet;
use serde::Serialize;

/// Samples of the routes-held curve are at least this far apart.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// Counters of one family.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FamilyCount {
    /// Routes announced (every NLRI, repeats included).
    pub announced: u64,
    /// Routes withdrawn.
    pub withdrawn: u64,
    /// End-of-RIB received.
    pub end_of_rib: bool,
}

/// What one sink saw.
#[derive(Debug)]
pub struct Tally {
    start: Instant,
    held: HashSet<IpNet>,
    /// IPv4 unicast counters.
    pub ipv4: FamilyCount,
    /// IPv6 unicast counters.
    pub ipv6: FamilyCount,
    /// UPDATE messages.
    pub updates: u64,
    /// (seconds since start, routes held), when the number changed, at most every 10 ms,
    /// and at each target reached.
    pub series: Vec<(f64, usize)>,
    target: Option<usize>,
    reached: Option<Instant>,
    /// When set, every receipt of each prefix is recorded (for churn latency).
    receipts: Option<HashMap<IpNet, Vec<Instant>>>,
}

impl Tally {
    fn new(start: Instant) -> Tally {
        Tally {
            start,
            held: HashSet::new(),
            ipv4: FamilyCount::default(),
            ipv6: FamilyCount::default(),
            updates: 0,
            series: Vec::new(),
            target: None,
            reached: None,
            receipts: None,
        }
    }

    /// Routes held now.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// The prefixes held.
    pub fn held_set(&self) -> &HashSet<IpNet> {
        &self.held
    }

    /// Whether `prefix` is held.
    pub fn holds(&self, prefix: &IpNet) -> bool {
        self.held.contains(prefix)
    }

    fn count(&mut self, family: Family) -> &mut FamilyCount {
        if family == Family::IPV6_UNICAST {
            &mut self.ipv6
        } else {
            &mut self.ipv4
        }
    }

    fn handle_update(&mut self, u: &Update, now: Instant) {
        self.updates += 1;
        if let Some(f) = u.end_of_rib() {
            self.count(f).end_of_rib = true;
        }
        for (f, n) in u.withdrawals() {
            self.count(f).withdrawn += 1;
            self.held.remove(&n.prefix);
            if let Some(r) = self.receipts.as_mut() {
                r.entry(n.prefix).or_default().push(now);
            }
        }
        for (f, n) in u.announced() {
            self.count(f).announced += 1;
            self.held.insert(n.prefix);
            if let Some(r) = self.receipts.as_mut() {
                r.entry(n.prefix).or_default().push(now);
            }
        }
        let held = self.held.len();
        let t = now.duration_since(self.start).as_secs_f64();
        let reached = self.reached.is_none() && self.target == Some(held);
        if reached {
            self.reached = Some(now);
        }
        let due = match self.series.last() {
            Some(&(last_t, last_n)) => {
                last_n != held && (t - last_t >= SAMPLE_EVERY.as_secs_f64() || reached)
            }
            None => true,
        };
        if due {
            self.series.push((t, held));
        }
    }
}

/// A sink's tally, shared between its session's reader and whoever watches it.
#[derive(Clone, Debug)]
pub struct Sink(Arc<Mutex<Tally>>);

impl Sink {
    /// A sink whose times count from `start`.
    pub fn new(start: Instant) -> Sink {
        Sink(Arc::new(Mutex::new(Tally::new(start))))
    }

    /// Runs `f` on the tally.
    pub fn with<R>(&self, f: impl FnOnce(&mut Tally) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The handler to give [`crate::session::establish`].
    pub fn handler(&self) -> impl FnMut(Update) + Clone + Send + 'static {
        let me = self.clone();
        move |u| {
            let now = Instant::now();
            me.with(|t| t.handle_update(&u, now));
        }
    }

    /// From now on, notes the first moment `routes` are held (also when held already).
    pub fn expect(&self, routes: usize) {
        let now = Instant::now();
        self.with(|t| {
            t.target = Some(routes);
            t.reached = (t.held.len() == routes).then_some(now);
        });
    }

    /// When the expected number was first held since [`Sink::expect`].
    pub fn reached(&self) -> Option<Instant> {
        self.with(|t| t.reached)
    }

    /// Starts (or stops) recording every receipt of every prefix.
    pub fn record_receipts(&self, on: bool) {
        self.with(|t| t.receipts = on.then(HashMap::new));
    }

    /// The receipts recorded so far.
    pub fn take_receipts(&self) -> HashMap<IpNet, Vec<Instant>> {
        self.with(|t| t.receipts.take().unwrap_or_default())
    }

    /// Waits (polling every 5 ms) until the expected number is held, up to `limit`.
    pub async fn wait_reached(&self, limit: Duration) -> Option<Instant> {
        let end = Instant::now() + limit;
        loop {
            if let Some(t) = self.reached() {
                return Some(t);
            }
            if Instant::now() >= end {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A JSON-able summary.
    pub fn report(&self) -> SinkReport {
        self.with(|t| SinkReport {
            held: t.held.len(),
            ipv4: t.ipv4,
            ipv6: t.ipv6,
            updates: t.updates,
            reached_secs: t.reached.map(|r| r.duration_since(t.start).as_secs_f64()),
        })
    }
}

/// What [`Sink::report`] gives.
#[derive(Clone, Debug, Serialize)]
pub struct SinkReport {
    /// Routes held.
    pub held: usize,
    /// IPv4 unicast counters.
    pub ipv4: FamilyCount,
    /// IPv6 unicast counters.
    pub ipv6: FamilyCount,
    /// UPDATE messages received.
    pub updates: u64,
    /// Seconds from the start until the expected routes were held.
    pub reached_secs: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{table_stream, withdraw_stream, PeerIdentity, TABLE_SEED};
    use crate::table::{synthetic_prefixes, Table, TableFamily};
    use bgp_wire::message::{decode_next, Message};
    use bgp_wire::Context;
    use bytes::BytesMut;

    fn feed(sink: &Sink, bytes: &[u8]) {
        let mut h = sink.handler();
        let mut rx = BytesMut::from(bytes);
        while let Some(m) = decode_next(&mut rx, &Context::modern()).unwrap() {
            if let Message::Update(u) = m {
                h(u);
            }
        }
    }

    #[test]
    fn counts_a_table_and_its_withdrawal() {
        let prefixes = synthetic_prefixes(TableFamily::Ipv6, 2000, 3);
        let table = Table::generate(TableFamily::Ipv6, &prefixes, TABLE_SEED);
        let peer = PeerIdentity {
            asn: 65001,
            router_id: [1, 1, 1, 1].into(),
            next_hop: "fd00::2".parse().unwrap(),
        };
        let sink = Sink::new(Instant::now());
        sink.expect(2000);
        feed(&sink, &table_stream(&table, &peer).bytes);
        assert!(sink.reached().is_some());
        let r = sink.report();
        assert_eq!((r.held, r.ipv6.announced, r.ipv6.end_of_rib), (2000, 2000, true));
        assert_eq!(r.ipv4, FamilyCount::default());
        sink.expect(0);
        assert!(sink.reached().is_none());
        feed(&sink, &withdraw_stream(&table).bytes);
        assert!(sink.reached().is_some());
        assert_eq!(sink.report().ipv6.withdrawn, 2000);
        assert_eq!(sink.with(|t| t.series.last().map(|s| s.1)), Some(0));
    }
}

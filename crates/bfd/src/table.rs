//! A table of sessions shared by the protocols that use BFD.
//!
//! A client (BGP, OSPF, a static route: the table does not care) asks for a session to a
//! peer with [`Sessions::add`]; asking again for the same key with another client shares the
//! session. Each state change is reported to every client of the session. When the last
//! client lets go the session says AdminDown for a while, so the remote system does not count
//! it as a failure (RFC 5880 §6.8.16, RFC 5882 §3.2), and is then removed.

use bytes::Bytes;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Instant;

use crate::config::Config;
use crate::error::{ConfigError, Discard};
use crate::event::Event;
use crate::packet::{ControlPacket, Discriminator};
use crate::rng::SplitMix64;
use crate::session::{Session, SLOW_TX};

/// Reports kept for the driver; beyond this the oldest are dropped and counted.
pub const REPORT_LIMIT: usize = 1024;

/// What a session runs between: the addresses and, for a single-hop session, the interface
/// (its index). A multihop session has no interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    /// Our address.
    pub local: IpAddr,
    /// The remote system's address.
    pub peer: IpAddr,
    /// The interface index for a single-hop session.
    pub interface: Option<u32>,
}

impl SessionKey {
    /// `show bfd peers` lines for `session` on this key, in FRR's words; `interface` is the
    /// name of the key's interface.
    pub fn show(&self, session: &crate::Session, interface: Option<&str>) -> String {
        let ms = |d: Option<core::time::Duration>| {
            d.map_or_else(|| "-".to_owned(), |d| format!("{}ms", d.as_millis()))
        };
        let kind = if self.interface.is_none() { "multihop " } else { "" };
        let on = interface.map_or_else(String::new, |i| format!(" interface {i}"));
        format!(
            "  peer {} {kind}local-address {}{on}\n    Status: {}\n    Diagnostics: {}\n    \
             Remote diagnostics: {}\n    Transmit interval: {}\n    Detection time: {}\n",
            self.peer,
            self.local,
            session.state().to_string().to_lowercase(),
            session.local_diag(),
            session.remote_diag(),
            ms(session.transmit_interval()),
            ms(session.detection_time()),
        )
    }
}

/// A session in the table. It is the session's local discriminator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub Discriminator);

/// Who asked for a session: a number each protocol chooses for itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u32);

/// A packet to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The session that sends it.
    pub session: SessionId,
    /// Where it goes.
    pub key: SessionKey,
    /// The UDP payload.
    pub payload: Bytes,
}

/// A state change for one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// The client that asked for the session.
    pub client: ClientId,
    /// The session.
    pub session: SessionId,
    /// Its key.
    pub key: SessionKey,
    /// What happened.
    pub event: Event,
}

#[derive(Debug)]
struct Entry {
    key: SessionKey,
    session: Session,
    clients: Vec<ClientId>,
    /// Set when the last client left: the session sends AdminDown until then.
    retire_at: Option<Instant>,
}

/// Sessions by key and by local discriminator, with a limit on their number.
#[derive(Debug)]
pub struct Sessions {
    limit: usize,
    rng: SplitMix64,
    entries: BTreeMap<Discriminator, Entry>,
    by_key: HashMap<SessionKey, Discriminator>,
    reports: VecDeque<Report>,
    reports_dropped: u64,
}

impl Sessions {
    /// An empty table holding at most `limit` sessions. The seed chooses discriminators and
    /// seeds each session.
    pub fn new(limit: usize, seed: u64) -> Sessions {
        Sessions {
            limit,
            rng: SplitMix64::new(seed),
            entries: BTreeMap::new(),
            by_key: HashMap::new(),
            reports: VecDeque::new(),
            reports_dropped: 0,
        }
    }

    /// Subscribes `client` to the session for `key`, creating it with `config` (whose
    /// discriminator the table replaces) if there is none. A session that exists keeps its
    /// configuration, and a client that joins it late is told of later changes only: it reads
    /// the current state with [`Sessions::session`].
    pub fn add(
        &mut self,
        now: Instant,
        key: SessionKey,
        config: Config,
        client: ClientId,
    ) -> Result<SessionId, ConfigError> {
        if let Some(&d) = self.by_key.get(&key) {
            if let Some(e) = self.entries.get_mut(&d) {
                if !e.clients.contains(&client) {
                    e.clients.push(client);
                }
                if e.retire_at.take().is_some() {
                    e.session.set_admin_down(now, false);
                    drain_events(e, &mut self.reports, &mut self.reports_dropped);
                }
                return Ok(SessionId(d));
            }
        }
        if self.entries.len() >= self.limit {
            return Err(ConfigError::TableFull { limit: self.limit });
        }
        // §6.8.1 bfd.LocalDiscr: "unique across all BFD sessions on this system, and
        // nonzero. It SHOULD be set to a random (but still unique) value".
        let d = loop {
            if let Some(d) = Discriminator::new(self.rng.next_u32()) {
                if !self.entries.contains_key(&d) {
                    break d;
                }
            }
        };
        let mut config = config;
        config.local_discriminator = d;
        let session = Session::new(config, self.rng.next_u64(), now)?;
        self.entries.insert(d, Entry { key, session, clients: vec![client], retire_at: None });
        self.by_key.insert(key, d);
        Ok(SessionId(d))
    }

    /// Unsubscribes `client` from the session for `key`. The last one out takes the session
    /// AdminDown; it is removed once the remote system has had time to hear that. Returns
    /// whether the client was subscribed.
    pub fn remove(&mut self, now: Instant, key: &SessionKey, client: ClientId) -> bool {
        let Some(e) = self.by_key.get(key).and_then(|d| self.entries.get_mut(d)) else {
            return false;
        };
        let before = e.clients.len();
        e.clients.retain(|c| *c != client);
        let was = e.clients.len() != before;
        if e.clients.is_empty() && e.retire_at.is_none() {
            e.session.set_admin_down(now, true);
            // Long enough for Detect Mult packets at the slow rate.
            let mult = u32::from(e.session.config().detect_mult.get()) + 1;
            e.retire_at = Some(now + SLOW_TX.to_duration() * mult);
            drain_events(e, &mut self.reports, &mut self.reports_dropped);
        }
        was
    }

    /// A packet received from `key.peer` on `key.local` (and `key.interface`). §6.8.6: a
    /// non-zero Your Discriminator selects the session; a zero one (only allowed in Down and
    /// AdminDown packets) is matched by key. A session is only fed packets from its own key.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        key: &SessionKey,
        payload: Bytes,
    ) -> Result<SessionId, Discard> {
        let packet = ControlPacket::decode(payload.clone())?;
        let d = match packet.your_discriminator {
            Some(d) => d,
            None => *self.by_key.get(key).ok_or(Discard::NoSession)?,
        };
        let e = self.entries.get_mut(&d).ok_or(Discard::NoSession)?;
        if e.key != *key {
            return Err(Discard::NoSession);
        }
        let raw = payload.get(..packet.len()).unwrap_or_default();
        let result = e.session.handle_control(now, &packet, raw);
        drain_events(e, &mut self.reports, &mut self.reports_dropped);
        result.map(|()| SessionId(d))
    }

    /// Time passed. Early calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut retired = Vec::new();
        for (d, e) in self.entries.iter_mut() {
            e.session.handle_timeout(now);
            drain_events(e, &mut self.reports, &mut self.reports_dropped);
            if e.retire_at.is_some_and(|at| at <= now) {
                retired.push(*d);
            }
        }
        for d in retired {
            if let Some(e) = self.entries.remove(&d) {
                self.by_key.remove(&e.key);
            }
        }
    }

    /// Takes a session AdminDown or back; false if there is no such session.
    pub fn set_admin_down(&mut self, now: Instant, id: SessionId, admin_down: bool) -> bool {
        let Some(e) = self.entries.get_mut(&id.0) else { return false };
        e.session.set_admin_down(now, admin_down);
        drain_events(e, &mut self.reports, &mut self.reports_dropped);
        true
    }

    /// New intervals for a session (see [`Session::set_intervals`]).
    pub fn set_intervals(
        &mut self,
        now: Instant,
        id: SessionId,
        desired_min_tx: core::time::Duration,
        required_min_rx: core::time::Duration,
    ) -> Result<bool, ConfigError> {
        let Some(e) = self.entries.get_mut(&id.0) else { return Ok(false) };
        e.session.set_intervals(now, desired_min_tx, required_min_rx)?;
        drain_events(e, &mut self.reports, &mut self.reports_dropped);
        Ok(true)
    }

    /// The next packet to send, from any session.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.entries.iter_mut().find_map(|(d, e)| {
            e.session.poll_transmit().map(|payload| Transmit {
                session: SessionId(*d),
                key: e.key,
                payload,
            })
        })
    }

    /// The next state change, for one client.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Report> {
        self.reports.pop_front()
    }

    /// When [`Sessions::handle_timeout`] is next due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.entries
            .values()
            .flat_map(|e| e.session.poll_timeout().into_iter().chain(e.retire_at))
            .min()
    }

    /// The session of an id.
    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.entries.get(&id.0).map(|e| &e.session)
    }

    /// The session for a key.
    pub fn id(&self, key: &SessionKey) -> Option<SessionId> {
        self.by_key.get(key).copied().map(SessionId)
    }

    /// The clients of a session.
    pub fn clients(&self, id: SessionId) -> &[ClientId] {
        self.entries.get(&id.0).map_or(&[], |e| &e.clients)
    }

    /// How many sessions there are (those retiring included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reports dropped because the driver did not poll them in time.
    pub fn reports_dropped(&self) -> u64 {
        self.reports_dropped
    }
}

fn drain_events(e: &mut Entry, reports: &mut VecDeque<Report>, dropped: &mut u64) {
    while let Some(event) = e.session.poll_event() {
        for &client in &e.clients {
            if reports.len() == REPORT_LIMIT {
                reports.pop_front();
                *dropped += 1;
            }
            reports.push_back(Report {
                client,
                session: SessionId(e.session.local_discriminator()),
                key: e.key,
                event,
            });
        }
    }
}

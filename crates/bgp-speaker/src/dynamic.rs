//! Dynamic neighbours: a connection from an address no configured neighbour has, coming
//! from a listen range (a prefix, or any link-local address on an interface), makes a
//! passive neighbour from the range's template; it goes when its session ends, or when
//! the stale routes graceful restart kept for it go.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use bgp_fsm::{Neighbor as Where, State};

use crate::config::{ConfigError, ListenRange, ListenSource, SpeakerConfig};
use crate::event::Event;
use crate::speaker::{check_neighbor, NeighborId, Speaker};

/// What happened at a listen range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ListenCounters {
    /// Neighbours made.
    pub accepted: u64,
    /// Connections refused: the range was full.
    pub refused: u64,
}

/// What a listen range must satisfy: its template is a valid neighbour but for its address.
pub(crate) fn check(sc: &SpeakerConfig, r: &ListenRange) -> Result<(), ConfigError> {
    check_neighbor(sc, &r.template)?;
    r.template.session.validate()?;
    Ok(())
}

impl Speaker {
    /// Adds a listen range (after those of [`SpeakerConfig::listen_ranges`]); returns its
    /// index. Connections are matched against the ranges in order.
    pub fn add_listen_range(&mut self, range: ListenRange) -> Result<usize, ConfigError> {
        check(&self.cfg, &range)?;
        self.cfg.listen_ranges.push(range);
        self.listen.push(ListenCounters::default());
        Ok(self.cfg.listen_ranges.len() - 1)
    }

    /// The dynamic neighbours of listen range `range` now.
    pub fn dynamic_neighbors(&self, range: usize) -> usize {
        self.neighbors.iter().flatten().filter(|n| n.dynamic == Some(range)).count()
    }

    /// Connections refused at listen range `range` because it was full.
    pub fn refused_connections(&self, range: usize) -> u64 {
        self.listen.get(range).map_or(0, |c| c.refused)
    }

    /// Whether a neighbour was made from a listen range.
    pub fn is_dynamic(&self, id: NeighborId) -> bool {
        self.neighbor(id).is_some_and(|n| n.dynamic.is_some())
    }

    /// A neighbour for a connection from `remote` that no configured neighbour takes, made
    /// from the first listen range it comes from; `None` when there is none or it is full.
    pub(crate) fn accept_dynamic(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        ifindex: Option<u32>,
    ) -> Option<NeighborId> {
        let ip = remote.ip();
        let ri = self.cfg.listen_ranges.iter().position(|r| r.source.matches(ip, ifindex))?;
        let r = self.cfg.listen_ranges.get(ri)?;
        if self.dynamic_neighbors(ri) >= r.limit as usize {
            if let Some(c) = self.listen.get_mut(ri) {
                c.refused += 1;
            }
            self.event(Event::ConnectionRefused { address: ip, range: ri });
            return None;
        }
        let scope = match (&r.source, remote) {
            (ListenSource::Interface { ifindex, .. }, _) => Some(*ifindex),
            (_, SocketAddr::V6(a)) if a.scope_id() != 0 => Some(a.scope_id()),
            (_, SocketAddr::V6(a)) if a.ip().segments()[0] & 0xffc0 == 0xfe80 => ifindex,
            _ => None,
        };
        let mut cfg = r.template.clone();
        cfg.session.neighbor = Where::Address { addr: ip, scope };
        cfg.session.passive = true;
        // Each neighbour its own jitter.
        cfg.session.seed ^= address_bits(ip);
        let id = self.insert_neighbor(now, cfg, Some(ri)).ok()?;
        if let Some(c) = self.listen.get_mut(ri) {
            c.accepted += 1;
        }
        self.event(Event::NeighborCreated { neighbor: id, address: ip, range: ri });
        Some(id)
    }

    /// Removes the dynamic neighbours among those noted whose session has ended and for
    /// which no stale route is kept; `true` when some went.
    pub(crate) fn retire_ended(&mut self, now: Instant) -> bool {
        let mut any = false;
        for id in std::mem::take(&mut self.retire) {
            let Some(n) = self.neighbor(id) else { continue };
            let ended =
                n.session.state() < State::OpenSent && n.session.connections().next().is_none();
            if n.dynamic.is_none() || !n.stale.is_empty() || !ended {
                continue;
            }
            let address = match n.cfg.session.neighbor {
                Where::Address { addr, .. } => addr,
                Where::Interface { .. } => continue,
            };
            if self.forget(now, id) {
                self.event(Event::NeighborRemoved { neighbor: id, address });
                any = true;
            }
        }
        any
    }
}

fn address_bits(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(a) => u64::from(u32::from(a)),
        IpAddr::V6(a) => {
            let b = u128::from(a);
            (b as u64) ^ ((b >> 64) as u64)
        }
    }
}

//! The neighbour data structure and states (RFC 2328 §10), for both
//! versions.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use crate::packet::DdFlags;
use crate::timer::TimerTable;
use crate::types::RouterId;
use crate::version::{DdFields, KeyOf, Version};

/// Neighbour states (RFC 2328 §10.1), in the order of the RFC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NbrState {
    /// No recent information.
    Down,
    /// NBMA only.
    Attempt,
    /// A Hello was seen, without our router ID in it.
    Init,
    /// Bidirectional communication.
    TwoWay,
    /// Deciding master and slave, and the first DD sequence number.
    ExStart,
    /// Sending Database Description packets.
    Exchange,
    /// Requesting the LSAs we found missing.
    Loading,
    /// Fully adjacent.
    Full,
}

impl fmt::Display for NbrState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NbrState::Down => "Down",
            NbrState::Attempt => "Attempt",
            NbrState::Init => "Init",
            NbrState::TwoWay => "2-Way",
            NbrState::ExStart => "ExStart",
            NbrState::Exchange => "Exchange",
            NbrState::Loading => "Loading",
            NbrState::Full => "Full",
        })
    }
}

/// How a neighbour is told apart from the others on its interface
/// (RFC 2328 §10.5): "on broadcast, Point-to-MultiPoint and NBMA networks
/// the neighbor is identified by the IP source address in the Hello's IP
/// header. On all other networks the neighbor is identified by the OSPF
/// Router ID in the Hello's OSPF packet header." OSPFv3 identifies every
/// neighbour by Router ID (RFC 5340 §4.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum NbrKey<A> {
    /// By IP source address (OSPFv2 broadcast networks).
    Addr(A),
    /// By router ID (point-to-point links).
    Id(RouterId),
}

/// Neighbour timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NbrTimer {
    /// Inactivity Timer: RouterDeadInterval without a Hello.
    Inactivity,
    /// Retransmission of the last DD packet (master, ExStart/Exchange).
    DdRxmt,
    /// Retransmission of Link State Requests.
    LsrRxmt,
    /// Retransmission of the LSAs on the retransmission list.
    LsuRxmt,
    /// The bound on Exchange and Loading (`Config::exchange_timeout`).
    Exchange,
}

impl From<NbrTimer> for usize {
    fn from(t: NbrTimer) -> usize {
        t as usize
    }
}

/// What the engine knows about one neighbour.
#[derive(Debug, Clone)]
pub(crate) struct Neighbor<V: Version> {
    pub router_id: RouterId,
    pub addr: V::Addr,
    /// OSPFv3: the Interface ID of its Hellos (RFC 5340 A.3.2).
    pub interface_id: u32,
    pub state: NbrState,
    pub priority: u8,
    pub dr: u32,
    pub bdr: u32,
    pub options: u32,
    /// We are master of the database exchange.
    pub master: bool,
    pub dd_seq: u32,
    /// (flags, options, seq) of the last DD received, for duplicates.
    pub last_dd_recv: Option<(DdFlags, u32, u32)>,
    /// The last DD packet sent, for retransmission.
    pub last_dd_sent: Option<DdFields<V>>,
    /// The M bit of the last DD sent.
    pub last_dd_more: bool,
    /// Database summary list.
    pub summary: VecDeque<V::LsaHeader>,
    /// Link state request list.
    pub requests: BTreeMap<KeyOf<V>, V::LsaHeader>,
    /// The keys of the last Link State Request sent.
    pub lsr_outstanding: Vec<KeyOf<V>>,
    /// Link state retransmission list. Keyed by LSA, and only LSAs of our
    /// databases go on it, so it is bounded by `Config::max_lsas` too.
    pub rxmt: BTreeMap<KeyOf<V>, Arc<V::Lsa>>,
    /// The MTU mismatch reported last (so it is reported once per value).
    pub mtu_reported: Option<u16>,
    pub timers: TimerTable<NbrTimer, 5>,
}

impl<V: Version> Neighbor<V> {
    pub fn new(router_id: RouterId, addr: V::Addr) -> Self {
        Self {
            router_id,
            addr,
            interface_id: 0,
            state: NbrState::Down,
            priority: 0,
            dr: 0,
            bdr: 0,
            options: 0,
            master: false,
            dd_seq: 0,
            last_dd_recv: None,
            last_dd_sent: None,
            last_dd_more: false,
            summary: VecDeque::new(),
            requests: BTreeMap::new(),
            rxmt: BTreeMap::new(),
            lsr_outstanding: Vec::new(),
            mtu_reported: None,
            timers: TimerTable::default(),
        }
    }

    /// Clears the lists, as on entering ExStart or falling back (§10.3).
    pub fn clear_lists(&mut self) {
        self.summary.clear();
        self.requests.clear();
        self.lsr_outstanding.clear();
        self.rxmt.clear();
        self.last_dd_sent = None;
        self.last_dd_recv = None;
        self.timers.stop(NbrTimer::DdRxmt);
        self.timers.stop(NbrTimer::LsrRxmt);
        self.timers.stop(NbrTimer::LsuRxmt);
        self.timers.stop(NbrTimer::Exchange);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsa::{LsaHeader, Options};
    use crate::V2;
    use std::net::Ipv4Addr;

    #[test]
    fn states_are_ordered_as_in_the_rfc() {
        assert!(NbrState::Init < NbrState::TwoWay);
        assert!(NbrState::TwoWay < NbrState::ExStart);
        assert!(NbrState::Loading < NbrState::Full);
        assert_eq!(NbrState::TwoWay.to_string(), "2-Way");
    }

    #[test]
    fn clear_lists_empties_everything() {
        let mut n = Neighbor::<V2>::new(RouterId(1), Ipv4Addr::new(10, 0, 0, 1));
        n.summary.push_back(LsaHeader {
            ls_age: 0,
            options: Options(0),
            ls_type: crate::lsa::LsType::ROUTER,
            link_state_id: Ipv4Addr::new(0, 0, 0, 1),
            advertising_router: RouterId(1),
            ls_sequence_number: crate::lsa::LsSeqNum(1),
            ls_checksum: 1,
            length: 20,
        });
        n.last_dd_sent =
            Some(DdFields { mtu: 1500, options: 0, flags: DdFlags(0), seq: 1, headers: vec![] });
        n.clear_lists();
        assert!(n.summary.is_empty() && n.last_dd_sent.is_none());
    }
}

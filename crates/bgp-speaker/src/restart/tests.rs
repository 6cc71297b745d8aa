//! The graceful restart rules in tables, each row with the RFC sentence it follows.

use super::*;
use bgp_fsm::{Initiator, Neighbor, PeerAs};
use bgp_wire::capability::{Capability, GracefulRestartFamily, LongLivedGrFamily};
use bgp_wire::open::Open;
use bgp_wire::Asn;
use std::net::Ipv4Addr;

const V4: Family = Family::IPV4_UNICAST;
const V6: Family = Family::IPV6_UNICAST;

fn session() -> bgp_fsm::Config {
    let n = Neighbor::Address { addr: "192.0.2.2".parse().unwrap(), scope: None };
    let mut c = bgp_fsm::Config::new(Asn(65000), Ipv4Addr::new(192, 0, 2, 1), PeerAs::External, n);
    c.families = vec![V4, V6];
    c
}

fn gr(flags: u8, time: u16, families: &[(Family, u8)]) -> GracefulRestart {
    GracefulRestart {
        restart_flags: flags,
        restart_time: time,
        families: families
            .iter()
            .map(|&(family, flags)| GracefulRestartFamily { family, flags })
            .collect(),
    }
}

fn llgr(families: &[(Family, u8, u32)]) -> Vec<LongLivedGrFamily> {
    families
        .iter()
        .map(|&(family, flags, stale_time)| LongLivedGrFamily { family, flags, stale_time })
        .collect()
}

/// What was negotiated with a peer that sent these capabilities.
fn negotiated(gr: Option<GracefulRestart>, llgr: Option<Vec<LongLivedGrFamily>>) -> Negotiated {
    let c = session();
    let local = Open::new(c.local_as, 90, c.router_id, bgp_fsm::negotiate::local_capabilities(&c));
    let mut caps = vec![Capability::Multiprotocol(V4), Capability::Multiprotocol(V6)];
    caps.extend(gr.map(Capability::GracefulRestart));
    caps.extend(llgr.map(Capability::LongLivedGracefulRestart));
    let remote = Open::new(Asn(65001), 90, Ipv4Addr::new(192, 0, 2, 2), caps);
    bgp_fsm::negotiate::negotiate(&c, &local, &remote)
}

fn down(reason: DownReason, notification: Option<Notification>) -> Down {
    Down { reason, initiator: Initiator::Remote, notification }
}

#[test]
fn which_ends_of_a_session_are_restarts() {
    let n = GracefulRestart::NOTIFICATION;
    let admin_reset =
        || Some(Notification::new(ErrorCode::CEASE, cease::ADMINISTRATIVE_RESET, Bytes::new()));
    let hard = || {
        let inner = Notification::new(ErrorCode::CEASE, cease::PEER_DECONFIGURED, Bytes::new());
        Some(Notification::hard_reset(&inner))
    };
    let hold = || Some(Notification::new(ErrorCode::HOLD_TIMER_EXPIRED, 0, Bytes::new()));
    let update = || Some(Notification::new(ErrorCode::UPDATE_MESSAGE, 3, Bytes::new()));
    let malformed = || {
        let why = bgp_wire::Reason::TrailingBytes(1);
        bgp_wire::Error::new(ErrorCode::UPDATE_MESSAGE, 3, why, 0, Bytes::new())
    };
    use DownReason as R;
    // (what happened, the peer's GR flags (None: no GR capability), our N bit, the end, kept)
    type Row = (&'static str, Option<u8>, bool, Down, bool);
    let rows: Vec<Row> = vec![
        // RFC 4724 §4.2: only a peer that sent the capability is helped.
        ("no capability", None, true, down(R::ConnectionClosed, None), false),
        // RFC 4724 §4.2: the TCP session ends without a NOTIFICATION: a restart.
        ("connection lost", Some(0), false, down(R::ConnectionClosed, None), true),
        // RFC 4724 (without RFC 8538): a NOTIFICATION ends the session for good.
        ("notification, no N", Some(0), false, down(R::NotificationReceived, admin_reset()), false),
        (
            "notification, N theirs only",
            Some(n),
            false,
            down(R::NotificationReceived, admin_reset()),
            false,
        ),
        (
            "notification, N ours only",
            Some(0),
            true,
            down(R::NotificationReceived, admin_reset()),
            false,
        ),
        // RFC 8538 §4: both set N, a NOTIFICATION other than Hard Reset is a restart...
        ("notification, N both", Some(n), true, down(R::NotificationReceived, admin_reset()), true),
        (
            "update error sent, N both",
            Some(n),
            true,
            down(R::UpdateError(malformed()), update()),
            true,
        ),
        // ... "the Hold Timer expires" as well ...
        ("hold timer, N both", Some(n), true, down(R::HoldTimerExpired, hold()), true),
        ("hold timer, no N", Some(0), false, down(R::HoldTimerExpired, hold()), false),
        // ... and one we sent (a reset we asked for).
        ("we reset, N both", Some(n), true, down(R::Stopped, admin_reset()), true),
        // §3: "Hard Reset ... the session is to be fully terminated".
        ("hard reset received", Some(n), true, down(R::NotificationReceived, hard()), false),
        ("hard reset sent", Some(n), true, down(R::Stopped, hard()), false),
        // Stopped with nothing sent: never got to OPEN; not a restart.
        ("stopped", Some(n), true, down(R::Stopped, None), false),
    ];
    for (name, peer, ours, d, want) in rows {
        let neg = negotiated(peer.map(|f| gr(f, 120, &[(V4, 0x80)])), None);
        assert_eq!(helper_applies(Some(&neg), ours, &d), want, "{name}");
    }
}

#[test]
fn restart_and_long_lived_stale_times_per_family() {
    // RFC 9494 §4.2: a family the received capability does not list has a time of zero; the
    // long-lived time counts only when we offered LLGR ourselves (§4.3).
    // (case, peer's GR, peer's LLGR, we offered LLGR, family, (restart, long-lived))
    type Row = (
        &'static str,
        Option<GracefulRestart>,
        Option<Vec<LongLivedGrFamily>>,
        bool,
        Family,
        (u32, u32),
    );
    let both = || Some(gr(0, 120, &[(V4, 0x80), (V6, 0x80)]));
    let rows: Vec<Row> = vec![
        ("GR only", both(), None, true, V4, (120, 0)),
        ("GR and LLGR", both(), Some(llgr(&[(V4, 0x80, 3600)])), true, V4, (120, 3600)),
        (
            "LLGR not listing the family",
            both(),
            Some(llgr(&[(V4, 0x80, 3600)])),
            true,
            V6,
            (120, 0),
        ),
        (
            "GR not listing the family",
            Some(gr(0, 120, &[(V6, 0)])),
            Some(llgr(&[(V4, 0, 60)])),
            true,
            V4,
            (0, 60),
        ),
        (
            "LLGR with a zero Restart Time",
            Some(gr(0, 0, &[])),
            Some(llgr(&[(V4, 0, 60)])),
            true,
            V4,
            (0, 60),
        ),
        ("we did not offer LLGR", both(), Some(llgr(&[(V4, 0x80, 3600)])), false, V4, (120, 0)),
        // §4.5: LLGR without GR is ignored.
        ("LLGR without GR", None, Some(llgr(&[(V4, 0x80, 3600)])), true, V4, (0, 0)),
    ];
    for (name, g, l, offered, family, want) in rows {
        let neg = negotiated(g, l);
        assert_eq!(stale_times(&neg, offered, family), want, "{name}");
    }
}

#[test]
fn forwarding_state_after_the_restart() {
    // RFC 4724 §4.2: stale routes of a family wait for End-of-RIB only with the F bit in the
    // new capability (GR's or, for long-lived ones, LLGR's).
    type Row = (&'static str, Option<GracefulRestart>, Option<Vec<LongLivedGrFamily>>, bool);
    let rows: Vec<Row> = vec![
        ("GR with F", Some(gr(0x8, 120, &[(V4, 0x80)])), None, true),
        ("GR without F", Some(gr(0x8, 120, &[(V4, 0)])), None, false),
        ("family not listed", Some(gr(0x8, 120, &[(V6, 0x80)])), None, false),
        ("LLGR with F", Some(gr(0x8, 0, &[])), Some(llgr(&[(V4, 0x80, 60)])), true),
        ("no capability", None, None, false),
    ];
    for (name, g, l, want) in rows {
        assert_eq!(forwarding_kept(&negotiated(g, l), V4), want, "{name}");
    }
}

#[test]
fn capabilities_offered() {
    let n = GracefulRestart::NOTIFICATION;
    let speaker = |notification: bool, long_lived: Option<Vec<LongLivedGrFamily>>| {
        GracefulRestartConfig { notification, long_lived, ..GracefulRestartConfig::default() }
    };
    let ll = || Some(llgr(&[(V4, 0x80, 3600)]));
    // (case, speaker's settings, neighbour's GR, neighbour's LLGR, GR offered, LLGR offered)
    type Row = (
        &'static str,
        GracefulRestartConfig,
        Option<GracefulRestart>,
        Option<Vec<LongLivedGrFamily>>,
        Option<GracefulRestart>,
        Option<Vec<LongLivedGrFamily>>,
    );
    let rows: Vec<Row> = vec![
        ("no GR: nothing", speaker(true, None), None, None, None, None),
        // RFC 8538 §2: the N bit, on by default.
        (
            "N bit set",
            speaker(true, None),
            Some(gr(0, 120, &[])),
            None,
            Some(gr(n, 120, &[])),
            None,
        ),
        (
            "N bit cleared",
            speaker(false, None),
            Some(gr(n, 120, &[])),
            None,
            Some(gr(0, 120, &[])),
            None,
        ),
        // The speaker's LLGR for neighbours without their own; RFC 9494 §4.1: with GR, a
        // Restart Time of zero and no family when the neighbour offers none.
        ("LLGR alone gets GR", speaker(true, ll()), None, None, Some(gr(n, 0, &[])), ll()),
        (
            "LLGR beside GR",
            speaker(true, ll()),
            Some(gr(0, 120, &[(V4, 0x80)])),
            None,
            Some(gr(n, 120, &[(V4, 0x80)])),
            ll(),
        ),
        (
            "the neighbour's own LLGR",
            speaker(true, ll()),
            Some(gr(0, 120, &[])),
            Some(vec![]),
            Some(gr(n, 120, &[])),
            Some(vec![]),
        ),
    ];
    for (name, sp, g, l, want_gr, want_llgr) in rows {
        let mut s = session();
        s.graceful_restart = g;
        s.long_lived_graceful_restart = l;
        offer(&sp, &mut s);
        assert_eq!(
            (s.graceful_restart, s.long_lived_graceful_restart),
            (want_gr, want_llgr),
            "{name}"
        );
    }
}

//! What a session is told about its peer and itself.

use bgp_wire::capability::{AddPathFamily, Fqdn, GracefulRestart, LongLivedGrFamily};
use bgp_wire::{Asn, Family};
use core::time::Duration;
use std::net::{IpAddr, Ipv4Addr};

use crate::damping::DampingConfig;

/// The well-known BGP port (RFC 4271 §8.2.1.2 via IANA).
pub const BGP_PORT: u16 = 179;

/// The default SendHoldTime: RFC 9687 §6, "the greater of 8 minutes or 2 times the
/// negotiated HoldTime" (the session applies the second half, see [`Config::send_hold_time`]).
pub const DEFAULT_SEND_HOLD_TIME: Duration = Duration::from_secs(8 * 60);

/// The longest timer the session accepts: the largest hold time an OPEN can carry
/// (65535 s, a little over 18 hours). Every configured interval is checked against a bound
/// like this one, so that adding it to an instant cannot overflow.
pub const MAX_TIMER: Duration = Duration::from_secs(u16::MAX as u64);

/// The shortest ConnectRetryTime: a shorter one turns a refusing neighbour into a SYN flood.
pub const MIN_CONNECT_RETRY_TIME: Duration = Duration::from_secs(1);

/// The longest interval between Router Advertisements: RFC 4861 §6.2.1 caps
/// MaxRtrAdvInterval at 1800 seconds.
pub const MAX_RA_INTERVAL: Duration = Duration::from_secs(1800);

/// The shortest interval between Router Advertisements we send.
pub const MIN_RA_INTERVAL: Duration = Duration::from_secs(1);

/// What AS the peer must have (RFC 4271 §6.2 "Bad Peer AS").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerAs {
    /// Exactly this AS.
    Number(Asn),
    /// Any AS but ours: eBGP with whoever is there (FRR's `remote-as external`).
    External,
    /// Our own AS: iBGP (FRR's `remote-as internal`).
    Internal,
}

impl PeerAs {
    /// Whether `peer` is acceptable when we are `local`.
    ///
    /// RFC 7607 §2: AS 0 is never acceptable.
    pub fn accepts(self, local: Asn, peer: Asn) -> bool {
        peer.0 != 0
            && match self {
                PeerAs::Number(n) => n == peer,
                PeerAs::External => peer != local,
                PeerAs::Internal => peer == local,
            }
    }
}

/// Where the peer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Neighbor {
    /// A numbered peer. A link-local IPv6 address needs `scope` (the interface index).
    Address {
        /// The peer's address.
        addr: IpAddr,
        /// Interface index for a link-local address.
        scope: Option<u32>,
    },
    /// An unnumbered peer on an interface: its link-local address is learned from the Router
    /// Advertisements it sends (see [`crate::Session::handle_router_advertisement`]).
    Interface {
        /// Interface name, for logs and events.
        name: String,
        /// Interface index: the scope id of link-local addresses on it.
        ifindex: u32,
    },
}

/// How we send IPv6 Router Advertisements on an unnumbered interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaConfig {
    /// Interval between RAs; FRR's `ipv6 nd ra-interval 3` is the default.
    pub interval: Duration,
    /// Router Lifetime in seconds. 0 (the default) tells hosts we are not a default router
    /// (RFC 4861 §4.2); some peers ignore lifetime-0 RAs, so it can be raised.
    pub router_lifetime: u16,
    /// Cur Hop Limit advertised (64, as FRR; 0 would mean unspecified).
    pub cur_hop_limit: u8,
    /// Our link-layer address, sent as the Source Link-Layer Address option when known.
    pub source_link_layer_address: Option<Vec<u8>>,
    /// MTU option, when set.
    pub mtu: Option<u32>,
}

impl Default for RaConfig {
    fn default() -> RaConfig {
        RaConfig {
            interval: Duration::from_secs(3),
            router_lifetime: 0,
            cur_hop_limit: 64,
            source_link_layer_address: None,
            mtu: None,
        }
    }
}

/// The configuration of one session. Build with [`Config::new`] and adjust the fields.
#[derive(Clone, Debug)]
pub struct Config {
    /// Our AS.
    pub local_as: Asn,
    /// Our BGP Identifier.
    pub router_id: Ipv4Addr,
    /// What AS the peer must have.
    pub peer_as: PeerAs,
    /// Where the peer is.
    pub neighbor: Neighbor,
    /// TCP port to connect to.
    pub port: u16,
    /// PassiveTcpEstablishment (RFC 4271 §8.1.1): never connect, only accept.
    pub passive: bool,
    /// Hold Time we offer, seconds: 0, or 3 and more (RFC 4271 §4.2). Default 90.
    pub hold_time: u16,
    /// KeepaliveTime, seconds; `None` for a third of the negotiated hold time (RFC 4271 §10).
    /// A configured value is used while it is below a third of the negotiated hold time.
    pub keepalive_time: Option<u16>,
    /// The smallest hold time accepted from the peer: an OPEN offering less (zero included)
    /// is refused with "Unacceptable Hold Time" (RFC 4271 §6.2 lets an implementation
    /// reject hold times it finds too short). `None` accepts whatever RFC 4271 allows.
    pub min_hold_time: Option<u16>,
    /// ConnectRetryTime (RFC 4271 §10 suggests 120 s, the default).
    pub connect_retry_time: Duration,
    /// The "large value" the HoldTimer gets in OpenSent (RFC 4271 §8.2.2: "4 minutes").
    pub open_hold_time: Duration,
    /// DelayOpen (RFC 4271 §8.1.1): when set, wait this long for the peer's OPEN before
    /// sending ours.
    pub delay_open_time: Option<Duration>,
    /// SendHoldTime (RFC 9687): how long output may wait unwritten on an Established
    /// connection before the session gives up on a peer that stopped reading; `None`
    /// disables the SendHoldTimer. A connection uses at least twice the negotiated hold time,
    /// so the default, [`DEFAULT_SEND_HOLD_TIME`], gives RFC 9687 §6's default. It must be
    /// greater than [`Config::hold_time`] ([`Config::validate`]). The driver must report
    /// write progress ([`crate::Session::handle_write_progress`]) for it to work.
    pub send_hold_time: Option<Duration>,
    /// IdleHoldTime and its back-off.
    pub damping: DampingConfig,
    /// Families we offer (Multiprotocol capability, RFC 4760). Empty offers no capability,
    /// which means IPv4 unicast only.
    pub families: Vec<Family>,
    /// NLRI families for which we offer IPv6 next hops (RFC 8950); usually IPv4 unicast.
    pub extended_next_hop: Vec<Family>,
    /// ADD-PATH families and directions we offer (RFC 7911).
    pub add_path: Vec<AddPathFamily>,
    /// Offer Route Refresh (RFC 2918).
    pub route_refresh: bool,
    /// Offer Enhanced Route Refresh (RFC 7313).
    pub enhanced_route_refresh: bool,
    /// Offer Extended Message (RFC 8654).
    pub extended_message: bool,
    /// Graceful Restart capability to offer (RFC 4724).
    pub graceful_restart: Option<GracefulRestart>,
    /// Long-Lived Graceful Restart capability to offer (RFC 9494 §3.1): the families whose
    /// routes the peer may keep as long-lived stale, with their Long-lived Stale Time. An
    /// empty list still offers the capability (we support the procedures as a helper).
    /// RFC 9494 §4.5 has the capability ignored without a Graceful Restart capability.
    pub long_lived_graceful_restart: Option<Vec<LongLivedGrFamily>>,
    /// Hostname capability to offer.
    pub hostname: Option<Fqdn>,
    /// Router Advertisements on an unnumbered interface.
    pub ra: RaConfig,
    /// Seed of the jitter generator; give each session its own for decorrelated timers.
    pub seed: u64,
    /// From an external peer, withdraw the routes of an UPDATE whose AS_PATH does not start
    /// with the peer's AS (RFC 4271 §6.3 "MAY check", RFC 7606 §7.2 treat-as-withdraw). On
    /// by default; off toward a route server, which does not put its AS in the path
    /// (RFC 7947 §2.2).
    pub enforce_first_as: bool,
}

impl Config {
    /// A configuration with the RFC's default timers: hold 90 s, ConnectRetry 120 s,
    /// SendHold 8 min (RFC 9687 §6 recommends it on by default); IPv4 unicast; route refresh
    /// offered.
    pub fn new(local_as: Asn, router_id: Ipv4Addr, peer_as: PeerAs, neighbor: Neighbor) -> Config {
        Config {
            local_as,
            router_id,
            peer_as,
            neighbor,
            port: BGP_PORT,
            passive: false,
            hold_time: 90,
            keepalive_time: None,
            min_hold_time: None,
            connect_retry_time: Duration::from_secs(120),
            open_hold_time: Duration::from_secs(240),
            delay_open_time: None,
            send_hold_time: Some(DEFAULT_SEND_HOLD_TIME),
            damping: DampingConfig::default(),
            families: vec![Family::IPV4_UNICAST],
            extended_next_hop: Vec::new(),
            add_path: Vec::new(),
            route_refresh: true,
            enhanced_route_refresh: false,
            extended_message: false,
            graceful_restart: None,
            long_lived_graceful_restart: None,
            hostname: None,
            ra: RaConfig::default(),
            seed: 0,
            enforce_first_as: true,
        }
    }

    /// Whether the peer is internal when its AS is `peer`.
    pub fn is_internal(&self, peer: Asn) -> bool {
        peer == self.local_as
    }

    /// Checks what cannot be right whatever the peer says: every interval within its
    /// bounds (so that no deadline computed from it can overflow), the hold times of
    /// RFC 4271 §4.2, the identifiers of RFC 6286 and RFC 7607. [`crate::Session::new`]
    /// calls it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let secs = Duration::from_secs;
        if self.hold_time == 1 || self.hold_time == 2 {
            return Err(ConfigError::HoldTime(self.hold_time));
        }
        if let Some(min) = self.min_hold_time {
            if min < 3 || self.hold_time < min {
                return Err(ConfigError::MinHoldTime { min, hold_time: self.hold_time });
            }
        }
        if self.keepalive_time == Some(0) {
            return Err(ConfigError::KeepaliveTime(0));
        }
        in_range("connect retry time", self.connect_retry_time, MIN_CONNECT_RETRY_TIME, MAX_TIMER)?;
        in_range("open hold time", self.open_hold_time, secs(1), MAX_TIMER)?;
        if let Some(d) = self.delay_open_time {
            in_range("delay open time", d, secs(1), MAX_TIMER)?;
        }
        in_range(
            "router advertisement interval",
            self.ra.interval,
            MIN_RA_INTERVAL,
            MAX_RA_INTERVAL,
        )?;
        in_range(
            "maximum idle hold time",
            self.damping.max_idle_hold_time,
            Duration::ZERO,
            MAX_TIMER,
        )?;
        in_range(
            "idle hold time",
            self.damping.idle_hold_time,
            Duration::ZERO,
            self.damping.max_idle_hold_time,
        )?;
        if let Some(send_hold) = self.send_hold_time {
            if send_hold <= Duration::from_secs(u64::from(self.hold_time)) {
                return Err(ConfigError::SendHoldTime { send_hold, hold_time: self.hold_time });
            }
            // A connection uses at least twice the negotiated hold time, so this bound
            // leaves room for any hold time.
            in_range("send hold time", send_hold, Duration::ZERO, MAX_TIMER * 2)?;
        }
        if self.port == 0 {
            return Err(ConfigError::Port);
        }
        if self.router_id.is_unspecified() {
            return Err(ConfigError::RouterId);
        }
        if self.local_as.0 == 0 {
            return Err(ConfigError::LocalAs);
        }
        if let PeerAs::Number(Asn(0)) = self.peer_as {
            return Err(ConfigError::PeerAs);
        }
        Ok(())
    }
}

fn in_range(
    what: &'static str,
    value: Duration,
    min: Duration,
    max: Duration,
) -> Result<(), ConfigError> {
    if value < min || value > max {
        return Err(ConfigError::OutOfRange { what, value, min, max });
    }
    Ok(())
}

/// A configuration that cannot work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// RFC 4271 §4.2: "The Hold Time MUST be either zero or at least three seconds."
    #[error("hold time {0} s: must be 0 or at least 3")]
    HoldTime(u16),
    /// RFC 9687 §4.4: "If SendHoldTime is non-zero, then it MUST be greater than the value of
    /// HoldTime." The SendHoldTimer is the backstop for a peer that is alive (its KEEPALIVEs
    /// arrive) but does not read; giving up sooner than the hold time would drop sessions
    /// that the ordinary liveness check has no fault with. Zero is `None`, which disables it.
    #[error("send hold time {send_hold:?}: must be greater than the hold time ({hold_time} s)")]
    SendHoldTime {
        /// The configured SendHoldTime.
        send_hold: Duration,
        /// The configured hold time.
        hold_time: u16,
    },
    /// A duration outside the range the session accepts.
    #[error("{what} {value:?}: must be from {min:?} to {max:?}")]
    OutOfRange {
        /// Which setting.
        what: &'static str,
        /// The configured value.
        value: Duration,
        /// The smallest accepted value.
        min: Duration,
        /// The largest accepted value.
        max: Duration,
    },
    /// A KeepaliveTime of zero; a hold time of zero is the way to send no KEEPALIVEs.
    #[error("keepalive time {0} s: must be at least 1 (hold time 0 disables keepalives)")]
    KeepaliveTime(u16),
    /// The minimum hold time accepted from the peer is below 3 seconds (RFC 4271 §4.2), or
    /// our own hold time is below it.
    #[error(
        "minimum hold time {min} s: must be at least 3 and at most the hold time ({hold_time} s)"
    )]
    MinHoldTime {
        /// The configured minimum.
        min: u16,
        /// The configured hold time.
        hold_time: u16,
    },
    /// Port 0 cannot be connected to.
    #[error("port 0 cannot be connected to")]
    Port,
    /// RFC 6286 §2.1: the BGP Identifier is a non-zero 4-octet value.
    #[error("router id 0.0.0.0 is not a valid BGP identifier")]
    RouterId,
    /// RFC 7607: AS 0 is reserved.
    #[error("local AS 0 is reserved")]
    LocalAs,
    /// RFC 7607: AS 0 is reserved.
    #[error("peer AS 0 is reserved")]
    PeerAs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_as_rules() {
        let local = Asn(65000);
        assert!(PeerAs::Number(Asn(65001)).accepts(local, Asn(65001)));
        assert!(!PeerAs::Number(Asn(65001)).accepts(local, Asn(65002)));
        assert!(PeerAs::External.accepts(local, Asn(65002)));
        assert!(!PeerAs::External.accepts(local, local));
        assert!(PeerAs::Internal.accepts(local, local));
        assert!(!PeerAs::Internal.accepts(local, Asn(65002)));
        assert!(!PeerAs::External.accepts(local, Asn(0)));
    }

    #[test]
    fn validate_rejects_bad_values() {
        let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), scope: None };
        let mut c = Config::new(Asn(65000), Ipv4Addr::new(1, 1, 1, 1), PeerAs::External, n);
        assert_eq!(c.validate(), Ok(()));
        c.hold_time = 2;
        assert_eq!(c.validate(), Err(ConfigError::HoldTime(2)));
        c.hold_time = 0;
        assert_eq!(c.validate(), Ok(()));
        c.router_id = Ipv4Addr::UNSPECIFIED;
        assert_eq!(c.validate(), Err(ConfigError::RouterId));
    }

    fn cfg() -> Config {
        let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), scope: None };
        Config::new(Asn(65000), Ipv4Addr::new(1, 1, 1, 1), PeerAs::External, n)
    }

    fn out_of_range(c: &Config) -> &'static str {
        match c.validate() {
            Err(ConfigError::OutOfRange { what, .. }) => what,
            other => panic!("expected an out-of-range error, got {other:?}"),
        }
    }

    #[test]
    fn every_interval_is_bounded() {
        let mut c = cfg();
        c.connect_retry_time = Duration::ZERO;
        assert_eq!(out_of_range(&c), "connect retry time");
        c.connect_retry_time = Duration::from_millis(999);
        assert_eq!(out_of_range(&c), "connect retry time");
        c.connect_retry_time = Duration::from_secs(u64::MAX);
        assert_eq!(out_of_range(&c), "connect retry time");
        c.connect_retry_time = Duration::from_secs(1);
        assert_eq!(c.validate(), Ok(()));

        c.ra.interval = Duration::from_secs(i64::MAX as u64);
        assert_eq!(out_of_range(&c), "router advertisement interval");
        c.ra.interval = Duration::from_secs(1801);
        assert_eq!(out_of_range(&c), "router advertisement interval");
        c.ra.interval = Duration::ZERO;
        assert_eq!(out_of_range(&c), "router advertisement interval");
        c.ra.interval = Duration::from_secs(1800);
        assert_eq!(c.validate(), Ok(()));

        c.open_hold_time = Duration::ZERO;
        assert_eq!(out_of_range(&c), "open hold time");
        c.open_hold_time = Duration::MAX;
        assert_eq!(out_of_range(&c), "open hold time");
        c.open_hold_time = Duration::from_secs(240);

        c.delay_open_time = Some(Duration::ZERO);
        assert_eq!(out_of_range(&c), "delay open time");
        c.delay_open_time = Some(Duration::MAX);
        assert_eq!(out_of_range(&c), "delay open time");
        c.delay_open_time = Some(Duration::from_secs(5));
        assert_eq!(c.validate(), Ok(()));

        c.send_hold_time = Some(Duration::MAX);
        assert_eq!(out_of_range(&c), "send hold time");
        c.send_hold_time = Some(DEFAULT_SEND_HOLD_TIME);

        c.damping.max_idle_hold_time = Duration::MAX;
        assert_eq!(out_of_range(&c), "maximum idle hold time");
        c.damping.max_idle_hold_time = Duration::from_secs(120);
        c.damping.idle_hold_time = Duration::from_secs(121);
        assert_eq!(out_of_range(&c), "idle hold time");
        c.damping = DampingConfig::default();
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn keepalive_minimum_hold_time_and_port() {
        let mut c = cfg();
        c.keepalive_time = Some(0);
        assert_eq!(c.validate(), Err(ConfigError::KeepaliveTime(0)));
        c.keepalive_time = Some(30);
        assert_eq!(c.validate(), Ok(()));

        c.min_hold_time = Some(2);
        assert_eq!(c.validate(), Err(ConfigError::MinHoldTime { min: 2, hold_time: 90 }));
        c.min_hold_time = Some(91);
        assert_eq!(c.validate(), Err(ConfigError::MinHoldTime { min: 91, hold_time: 90 }));
        c.min_hold_time = Some(9);
        assert_eq!(c.validate(), Ok(()));
        c.hold_time = 0;
        assert_eq!(c.validate(), Err(ConfigError::MinHoldTime { min: 9, hold_time: 0 }));
        c.min_hold_time = None;
        assert_eq!(c.validate(), Ok(()));

        c.port = 0;
        assert_eq!(c.validate(), Err(ConfigError::Port));
    }

    #[test]
    fn send_hold_time_must_exceed_the_hold_time() {
        let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), scope: None };
        let mut c = Config::new(Asn(65000), Ipv4Addr::new(1, 1, 1, 1), PeerAs::External, n);
        assert_eq!(c.send_hold_time, Some(Duration::from_secs(480)));
        c.hold_time = 480;
        let err = ConfigError::SendHoldTime { send_hold: Duration::from_secs(480), hold_time: 480 };
        assert_eq!(c.validate(), Err(err));
        c.send_hold_time = Some(Duration::from_secs(481));
        assert_eq!(c.validate(), Ok(()));
        c.send_hold_time = None;
        assert_eq!(c.validate(), Ok(()));
        c.hold_time = 0;
        c.send_hold_time = Some(Duration::ZERO);
        assert!(c.validate().is_err());
    }
}

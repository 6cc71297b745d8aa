//! What the adapter needs besides the session's own configuration.

use crate::sockopt::TtlMode;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Default bound of a connection's send queue, in octets.
pub const DEFAULT_SEND_QUEUE_LIMIT: usize = 1 << 20;

/// Socket settings of one peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transport {
    /// TCP-MD5 password (RFC 2385), up to 80 octets.
    pub md5_password: Option<String>,
    /// TTL handling: system default, `ebgp-multihop`, or GTSM (RFC 5082).
    pub ttl: TtlMode,
    /// Bind outbound connections to this interface (`SO_BINDTODEVICE`).
    pub bind_device: Option<String>,
    /// Source address of outbound connections (used when its family is the peer's).
    pub source: Option<IpAddr>,
}

/// One peer: the session and its transport.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    /// The session (bgp-fsm).
    pub session: bgp_fsm::Config,
    /// Socket settings.
    pub transport: Transport,
    /// Octets a connection may have queued before the peer's task stops taking commands
    /// from the application.
    pub send_queue_limit: usize,
}

impl PeerConfig {
    /// A peer with default transport settings.
    pub fn new(session: bgp_fsm::Config) -> PeerConfig {
        PeerConfig {
            session,
            transport: Transport::default(),
            send_queue_limit: DEFAULT_SEND_QUEUE_LIMIT,
        }
    }
}

/// Where to accept connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenConfig {
    /// TCP port (179 by default).
    pub port: u16,
    /// One listener per address; the IPv6 ones are IPv6-only, so an IPv4 peer always arrives
    /// on an IPv4 socket (and gets IPv4 socket options).
    pub addrs: Vec<IpAddr>,
}

impl Default for ListenConfig {
    fn default() -> ListenConfig {
        ListenConfig {
            port: bgp_fsm::config::BGP_PORT,
            addrs: vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED), IpAddr::V6(Ipv6Addr::UNSPECIFIED)],
        }
    }
}

/// The speaker: listeners and the event channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpeakerConfig {
    /// Listeners; `None` accepts no connection (every peer must connect out).
    pub listen: Option<ListenConfig>,
    /// Capacity of the event channel. A full channel makes peers wait (and stop reading).
    pub event_capacity: usize,
}

impl Default for SpeakerConfig {
    fn default() -> SpeakerConfig {
        SpeakerConfig { listen: Some(ListenConfig::default()), event_capacity: 1024 }
    }
}

//! What the adapter needs besides the session's own configuration.

use crate::sockopt::{TtlMode, MD5_MAX_KEY_LEN};
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

/// Socket settings that cannot work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// A TCP-MD5 password must have 1 to 80 octets (`TCP_MD5SIG_MAXKEYLEN`): the kernel
    /// takes a zero-length key as "delete the key", so an empty password would leave the
    /// session unsigned on one end and unable to connect.
    #[error("TCP-MD5 password of {0} octets: must have 1 to 80")]
    Md5PasswordLength(usize),
    /// GTSM counts 1 to 254 hops (RFC 5082 §3).
    #[error("ttl-security hops {0}: must be 1 to 254")]
    TtlSecurityHops(u8),
    /// A TTL of 0 cannot leave the host.
    #[error("multihop TTL 0: must be 1 to 255")]
    MultihopTtl,
}

impl Transport {
    /// Checks the settings before any socket is touched; adding a neighbour or a peer
    /// calls it.
    pub fn validate(&self) -> Result<(), TransportError> {
        if let Some(p) = &self.md5_password {
            if p.is_empty() || p.len() > MD5_MAX_KEY_LEN {
                return Err(TransportError::Md5PasswordLength(p.len()));
            }
        }
        match self.ttl {
            TtlMode::Security { hops } if hops == 0 || hops == 255 => {
                Err(TransportError::TtlSecurityHops(hops))
            }
            TtlMode::Multihop(0) => Err(TransportError::MultihopTtl),
            _ => Ok(()),
        }
    }
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

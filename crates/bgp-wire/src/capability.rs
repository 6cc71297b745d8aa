//! Capabilities Advertisement (RFC 5492) and the capabilities this crate understands.
//!
//! RFC 5492 §4: each capability is a triple `<Capability Code (1 octet), Capability Length
//! (1 octet), Capability Value (variable)>`. A capability we know whose value does not fit its
//! definition is kept as [`Capability::Malformed`] rather than failing the OPEN: a peer's odd
//! capability must not bring the session down. A capability we do not know is kept as
//! [`Capability::Unknown`]. Both re-encode to the same octets.

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

use crate::error::Reason;
use crate::reader::Reader;
use crate::types::{Afi, Asn, Family, Safi};

/// A Capability Code (IANA "Capability Codes").
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CapabilityCode(pub u8);

impl CapabilityCode {
    /// Multiprotocol Extensions for BGP-4 (RFC 4760).
    pub const MULTIPROTOCOL: CapabilityCode = CapabilityCode(1);
    /// Route Refresh (RFC 2918).
    pub const ROUTE_REFRESH: CapabilityCode = CapabilityCode(2);
    /// Outbound Route Filtering (RFC 5291).
    pub const OUTBOUND_ROUTE_FILTERING: CapabilityCode = CapabilityCode(3);
    /// Extended Next Hop Encoding (RFC 8950).
    pub const EXTENDED_NEXT_HOP: CapabilityCode = CapabilityCode(5);
    /// BGP Extended Message (RFC 8654).
    pub const EXTENDED_MESSAGE: CapabilityCode = CapabilityCode(6);
    /// BGPsec (RFC 8205).
    pub const BGPSEC: CapabilityCode = CapabilityCode(7);
    /// Multiple Labels (RFC 8277).
    pub const MULTIPLE_LABELS: CapabilityCode = CapabilityCode(8);
    /// BGP Role (RFC 9234).
    pub const BGP_ROLE: CapabilityCode = CapabilityCode(9);
    /// Graceful Restart (RFC 4724).
    pub const GRACEFUL_RESTART: CapabilityCode = CapabilityCode(64);
    /// Support for 4-octet AS number (RFC 6793).
    pub const FOUR_OCTET_AS: CapabilityCode = CapabilityCode(65);
    /// ADD-PATH (RFC 7911).
    pub const ADD_PATH: CapabilityCode = CapabilityCode(69);
    /// Enhanced Route Refresh (RFC 7313).
    pub const ENHANCED_ROUTE_REFRESH: CapabilityCode = CapabilityCode(70);
    /// Long-Lived Graceful Restart (RFC 9494).
    pub const LONG_LIVED_GRACEFUL_RESTART: CapabilityCode = CapabilityCode(71);
    /// FQDN, the hostname capability (draft-walton-bgp-hostname-capability).
    pub const FQDN: CapabilityCode = CapabilityCode(73);
    /// Route refresh, the pre-standard code Cisco still sends (128).
    pub const ROUTE_REFRESH_CISCO: CapabilityCode = CapabilityCode(128);

    /// The name IANA's registry gives the code.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "Multiprotocol",
            2 => "Route Refresh",
            3 => "Outbound Route Filtering",
            5 => "Extended Next Hop",
            6 => "Extended Message",
            7 => "BGPsec",
            8 => "Multiple Labels",
            9 => "BGP Role",
            64 => "Graceful Restart",
            65 => "4-octet AS",
            69 => "ADD-PATH",
            70 => "Enhanced Route Refresh",
            71 => "Long-Lived Graceful Restart",
            73 => "FQDN",
            76 => "Paths-Limit",
            128 => "Route Refresh (Cisco)",
            130 => "Outbound Route Filtering (Cisco)",
            131 => "Multisession (Cisco)",
            _ => "Unknown",
        }
    }
}

impl fmt::Debug for CapabilityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

/// One entry of the Extended Next Hop Encoding capability (RFC 8950 §3): NLRI of `family` may
/// carry a next hop of `next_hop_afi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtendedNextHop {
    /// NLRI AFI and SAFI (the SAFI is two octets on the wire; its high octet is zero).
    pub family: Family,
    /// Nexthop AFI.
    pub next_hop_afi: Afi,
}

/// The Graceful Restart capability (RFC 4724 §3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GracefulRestart {
    /// The four Restart Flags bits, in the low nibble (`0x8` R, `0x4` N of RFC 8538).
    /// Higher bits are not encoded.
    pub restart_flags: u8,
    /// Restart Time in seconds; 12 bits, higher bits are not encoded.
    pub restart_time: u16,
    /// Per-family forwarding state.
    pub families: Vec<GracefulRestartFamily>,
}

impl GracefulRestart {
    /// Restart State bit: "the BGP speaker has restarted" (RFC 4724 §3).
    pub const RESTART_STATE: u8 = 0x8;
    /// Graceful Notification bit (RFC 8538 §2).
    pub const NOTIFICATION: u8 = 0x4;

    /// Whether the R bit is set.
    pub fn restart_state(&self) -> bool {
        self.restart_flags & Self::RESTART_STATE != 0
    }

    /// Whether the N bit is set: the peer supports graceful restart on NOTIFICATION.
    pub fn graceful_notification(&self) -> bool {
        self.restart_flags & Self::NOTIFICATION != 0
    }
}

/// One family of the Graceful Restart capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GracefulRestartFamily {
    /// AFI and SAFI.
    pub family: Family,
    /// Flags for Address Family (`0x80` F: forwarding state preserved).
    pub flags: u8,
}

impl GracefulRestartFamily {
    /// Forwarding State bit.
    pub const FORWARDING_STATE: u8 = 0x80;

    /// Whether forwarding state was preserved for the family.
    pub fn forwarding_preserved(&self) -> bool {
        self.flags & Self::FORWARDING_STATE != 0
    }
}

/// Send/Receive field of the ADD-PATH capability (RFC 7911 §4). Unknown values survive.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddPathDirection(pub u8);

impl AddPathDirection {
    /// "the sender is able to receive multiple paths from its peer".
    pub const RECEIVE: AddPathDirection = AddPathDirection(1);
    /// "the sender is able to send multiple paths to its peer".
    pub const SEND: AddPathDirection = AddPathDirection(2);
    /// Both.
    pub const BOTH: AddPathDirection = AddPathDirection(3);

    /// Whether the advertiser can receive multiple paths.
    pub fn can_receive(self) -> bool {
        matches!(self, Self::RECEIVE | Self::BOTH)
    }

    /// Whether the advertiser can send multiple paths.
    pub fn can_send(self) -> bool {
        matches!(self, Self::SEND | Self::BOTH)
    }
}

impl fmt::Debug for AddPathDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::RECEIVE => f.write_str("receive"),
            Self::SEND => f.write_str("send"),
            Self::BOTH => f.write_str("both"),
            Self(n) => write!(f, "direction{n}"),
        }
    }
}

/// One family of the ADD-PATH capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddPathFamily {
    /// AFI and SAFI.
    pub family: Family,
    /// Send/Receive.
    pub direction: AddPathDirection,
}

/// The BGP Role value (RFC 9234 §4.1). Unknown values survive.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BgpRole(pub u8);

impl BgpRole {
    /// Provider.
    pub const PROVIDER: BgpRole = BgpRole(0);
    /// Route Server.
    pub const ROUTE_SERVER: BgpRole = BgpRole(1);
    /// Route Server Client.
    pub const ROUTE_SERVER_CLIENT: BgpRole = BgpRole(2);
    /// Customer.
    pub const CUSTOMER: BgpRole = BgpRole(3);
    /// Peer (lateral peering).
    pub const PEER: BgpRole = BgpRole(4);

    /// The RFC's name.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "Provider",
            1 => "RS",
            2 => "RS-Client",
            3 => "Customer",
            4 => "Peer",
            _ => "Unknown",
        }
    }

    /// The role a correctly configured peer must have (RFC 9234 §4.2, Table 2), or `None`
    /// for an unknown role.
    pub fn expected_peer_role(self) -> Option<BgpRole> {
        match self {
            Self::PROVIDER => Some(Self::CUSTOMER),
            Self::CUSTOMER => Some(Self::PROVIDER),
            Self::ROUTE_SERVER => Some(Self::ROUTE_SERVER_CLIENT),
            Self::ROUTE_SERVER_CLIENT => Some(Self::ROUTE_SERVER),
            Self::PEER => Some(Self::PEER),
            _ => None,
        }
    }
}

impl fmt::Debug for BgpRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

/// One family of the Long-Lived Graceful Restart capability (RFC 9494 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LongLivedGrFamily {
    /// AFI and SAFI.
    pub family: Family,
    /// Flags for Address Family (`0x80` F: forwarding state preserved).
    pub flags: u8,
    /// Long-lived Stale Time in seconds; 24 bits, higher bits are not encoded.
    pub stale_time: u32,
}

/// The FQDN (hostname) capability: a host name and a domain name, each with a length octet.
///
/// Kept as octets so that whatever the peer sent re-encodes unchanged; [`Fqdn::hostname_str`]
/// and [`Fqdn::domain_str`] give text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fqdn {
    /// Host name (at most 255 octets are encoded).
    pub hostname: Bytes,
    /// Domain name (at most 255 octets are encoded; may be empty).
    pub domain: Bytes,
}

impl Fqdn {
    /// Builds the capability from text.
    pub fn new(hostname: &str, domain: &str) -> Fqdn {
        Fqdn {
            hostname: Bytes::copy_from_slice(hostname.as_bytes()),
            domain: Bytes::copy_from_slice(domain.as_bytes()),
        }
    }

    /// The host name as text, `None` when it is not UTF-8.
    pub fn hostname_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.hostname).ok()
    }

    /// The domain name as text, `None` when it is not UTF-8.
    pub fn domain_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.domain).ok()
    }
}

/// A capability, typed where this crate knows the code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability {
    /// Multiprotocol Extensions (RFC 4760 §8): one AFI/SAFI the speaker can exchange.
    Multiprotocol(Family),
    /// Route Refresh (RFC 2918 §2).
    RouteRefresh,
    /// Extended Next Hop Encoding (RFC 8950 §3).
    ExtendedNextHop(Vec<ExtendedNextHop>),
    /// BGP Extended Message (RFC 8654 §3).
    ExtendedMessage,
    /// BGP Role (RFC 9234 §4.1).
    Role(BgpRole),
    /// Graceful Restart (RFC 4724 §3).
    GracefulRestart(GracefulRestart),
    /// Support for 4-octet AS number (RFC 6793 §3): the speaker's AS.
    FourOctetAs(Asn),
    /// ADD-PATH (RFC 7911 §4).
    AddPath(Vec<AddPathFamily>),
    /// Enhanced Route Refresh (RFC 7313 §3).
    EnhancedRouteRefresh,
    /// Long-Lived Graceful Restart (RFC 9494 §3).
    LongLivedGracefulRestart(Vec<LongLivedGrFamily>),
    /// FQDN / hostname.
    Fqdn(Fqdn),
    /// Route refresh under the pre-standard code 128.
    RouteRefreshCisco,
    /// A code this crate does not model, kept as it came (at most 255 octets are encoded).
    Unknown {
        /// Capability Code.
        code: CapabilityCode,
        /// Capability Value.
        value: Bytes,
    },
    /// A known code whose value does not fit its definition (or is not in the canonical form
    /// this crate would write), kept as it came.
    Malformed {
        /// Capability Code.
        code: CapabilityCode,
        /// Capability Value.
        value: Bytes,
        /// What was wrong with it.
        reason: Reason,
    },
}

impl Capability {
    /// The Capability Code.
    pub fn code(&self) -> CapabilityCode {
        match self {
            Capability::Multiprotocol(_) => CapabilityCode::MULTIPROTOCOL,
            Capability::RouteRefresh => CapabilityCode::ROUTE_REFRESH,
            Capability::ExtendedNextHop(_) => CapabilityCode::EXTENDED_NEXT_HOP,
            Capability::ExtendedMessage => CapabilityCode::EXTENDED_MESSAGE,
            Capability::Role(_) => CapabilityCode::BGP_ROLE,
            Capability::GracefulRestart(_) => CapabilityCode::GRACEFUL_RESTART,
            Capability::FourOctetAs(_) => CapabilityCode::FOUR_OCTET_AS,
            Capability::AddPath(_) => CapabilityCode::ADD_PATH,
            Capability::EnhancedRouteRefresh => CapabilityCode::ENHANCED_ROUTE_REFRESH,
            Capability::LongLivedGracefulRestart(_) => CapabilityCode::LONG_LIVED_GRACEFUL_RESTART,
            Capability::Fqdn(_) => CapabilityCode::FQDN,
            Capability::RouteRefreshCisco => CapabilityCode::ROUTE_REFRESH_CISCO,
            Capability::Unknown { code, .. } | Capability::Malformed { code, .. } => *code,
        }
    }

    /// Decodes one capability value. Never fails: a value that does not fit its code gives
    /// [`Capability::Malformed`]. `value` is a slice of the message; nothing is copied.
    pub fn decode(code: u8, value: Bytes) -> Capability {
        let code = CapabilityCode(code);
        match decode_typed(code, &value) {
            Ok(Some(c)) => c,
            Ok(None) => Capability::Unknown { code, value },
            Err(reason) => Capability::Malformed { code, value, reason },
        }
    }

    /// Length of the Capability Value as it will be encoded (at most 255).
    pub fn value_len(&self) -> usize {
        let n = match self {
            Capability::RouteRefresh
            | Capability::ExtendedMessage
            | Capability::EnhancedRouteRefresh
            | Capability::RouteRefreshCisco => 0,
            Capability::Role(_) => 1,
            Capability::Multiprotocol(_) | Capability::FourOctetAs(_) => 4,
            Capability::ExtendedNextHop(v) => 6 * v.len().min(MAX_VALUE / 6),
            Capability::GracefulRestart(g) => 2 + 4 * g.families.len().min((MAX_VALUE - 2) / 4),
            Capability::AddPath(v) => 4 * v.len().min(MAX_VALUE / 4),
            Capability::LongLivedGracefulRestart(v) => 7 * v.len().min(MAX_VALUE / 7),
            Capability::Fqdn(f) => {
                let h = f.hostname.len().min(MAX_VALUE - 2);
                2 + h + f.domain.len().min(MAX_VALUE - 2 - h)
            }
            Capability::Unknown { value, .. } | Capability::Malformed { value, .. } => value.len(),
        };
        n.min(MAX_VALUE)
    }

    /// Length of the whole triple as it will be encoded.
    pub fn encoded_len(&self) -> usize {
        2 + self.value_len()
    }

    /// Writes the triple. Lists longer than a 255-octet value can hold are cut to the entries
    /// that fit; construct capabilities within the limit to avoid it.
    pub fn encode(&self, buf: &mut BytesMut) {
        let len = self.value_len();
        buf.put_u8(self.code().0);
        buf.put_u8(len as u8);
        match self {
            Capability::RouteRefresh
            | Capability::ExtendedMessage
            | Capability::EnhancedRouteRefresh
            | Capability::RouteRefreshCisco => {}
            Capability::Role(r) => buf.put_u8(r.0),
            Capability::Multiprotocol(f) => {
                // RFC 4760 §8: AFI (2), Res. (1) "SHOULD be set to 0", SAFI (1).
                buf.put_u16(f.afi.0);
                buf.put_u8(0);
                buf.put_u8(f.safi.0);
            }
            Capability::FourOctetAs(asn) => buf.put_u32(asn.0),
            Capability::ExtendedNextHop(v) => {
                for e in v.iter().take(len / 6) {
                    buf.put_u16(e.family.afi.0);
                    buf.put_u16(u16::from(e.family.safi.0));
                    buf.put_u16(e.next_hop_afi.0);
                }
            }
            Capability::GracefulRestart(g) => {
                buf.put_u16((u16::from(g.restart_flags & 0x0f) << 12) | (g.restart_time & 0x0fff));
                for f in g.families.iter().take((len - 2) / 4) {
                    put_family(buf, f.family);
                    buf.put_u8(f.flags);
                }
            }
            Capability::AddPath(v) => {
                for f in v.iter().take(len / 4) {
                    put_family(buf, f.family);
                    buf.put_u8(f.direction.0);
                }
            }
            Capability::LongLivedGracefulRestart(v) => {
                for f in v.iter().take(len / 7) {
                    put_family(buf, f.family);
                    buf.put_u8(f.flags);
                    let t = f.stale_time & 0x00ff_ffff;
                    buf.put_slice(&t.to_be_bytes()[1..]);
                }
            }
            Capability::Fqdn(f) => {
                let h = f.hostname.len().min(MAX_VALUE - 2);
                let d = len - 2 - h;
                buf.put_u8(h as u8);
                buf.put_slice(&f.hostname[..h]);
                buf.put_u8(d as u8);
                buf.put_slice(&f.domain[..d]);
            }
            Capability::Unknown { value, .. } | Capability::Malformed { value, .. } => {
                buf.put_slice(&value[..len]);
            }
        }
    }
}

impl fmt::Display for Capability {
    /// One line for logs and tools, e.g. `ADD-PATH ipv4/unicast both` or `4-octet AS 65536`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code().name())?;
        match self {
            Capability::Multiprotocol(fam) => write!(f, " {fam}"),
            Capability::ExtendedNextHop(v) => {
                v.iter().try_for_each(|e| write!(f, " {} via {:?}", e.family, e.next_hop_afi))
            }
            Capability::Role(r) => write!(f, " {}", r.name()),
            Capability::GracefulRestart(g) => {
                write!(f, " flags {:#x} time {}", g.restart_flags, g.restart_time)?;
                g.families.iter().try_for_each(|x| write!(f, " {} {:#04x}", x.family, x.flags))
            }
            Capability::FourOctetAs(a) => write!(f, " {a}"),
            Capability::AddPath(v) => {
                v.iter().try_for_each(|x| write!(f, " {} {:?}", x.family, x.direction))
            }
            Capability::LongLivedGracefulRestart(v) => v.iter().try_for_each(|x| {
                write!(f, " {} {:#04x} stale {}", x.family, x.flags, x.stale_time)
            }),
            Capability::Fqdn(n) => write!(
                f,
                " {}.{}",
                String::from_utf8_lossy(&n.hostname),
                String::from_utf8_lossy(&n.domain)
            ),
            Capability::Unknown { code, value } | Capability::Malformed { code, value, .. } => {
                write!(f, " (code {}", code.0)?;
                if matches!(self, Capability::Malformed { .. }) {
                    f.write_str(", malformed")?;
                }
                f.write_str(") ")?;
                value.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            Capability::RouteRefresh
            | Capability::ExtendedMessage
            | Capability::EnhancedRouteRefresh
            | Capability::RouteRefreshCisco => Ok(()),
        }
    }
}

/// Largest Capability Value: the length is one octet.
const MAX_VALUE: usize = 255;

/// AFI (2), SAFI (1): the layout shared by GR, ADD-PATH and LLGR entries.
fn put_family(buf: &mut BytesMut, f: Family) {
    buf.put_u16(f.afi.0);
    buf.put_u8(f.safi.0);
}

fn read_family(r: &mut Reader<'_>) -> Result<Family, Reason> {
    Ok(Family::new(Afi(r.u16()?), Safi(r.u8()?)))
}

/// Requires the value to be exactly `n` octets.
fn exact(value: &[u8], n: usize) -> Result<(), Reason> {
    match value.len() {
        l if l == n => Ok(()),
        l if l < n => Err(Reason::Truncated { needed: n, available: l }),
        l => Err(Reason::TrailingBytes(l - n)),
    }
}

/// Requires the value to be a whole number of `n`-octet entries.
fn entries(value: &[u8], n: usize) -> Result<(), Reason> {
    match value.len() % n {
        0 => Ok(()),
        rest => Err(Reason::TrailingBytes(rest)),
    }
}

/// `Ok(None)` for a code we do not model.
fn decode_typed(code: CapabilityCode, value: &Bytes) -> Result<Option<Capability>, Reason> {
    let mut r = Reader::new(value, 0);
    let cap = match code {
        CapabilityCode::MULTIPROTOCOL => {
            exact(value, 4)?;
            let afi = Afi(r.u16()?);
            // Re-encoding writes zero, so a non-zero reserved octet is kept raw.
            if r.u8()? != 0 {
                return Err(Reason::MalformedCapability(code.0));
            }
            Capability::Multiprotocol(Family::new(afi, Safi(r.u8()?)))
        }
        CapabilityCode::ROUTE_REFRESH => exact(value, 0).map(|()| Capability::RouteRefresh)?,
        CapabilityCode::EXTENDED_MESSAGE => {
            exact(value, 0).map(|()| Capability::ExtendedMessage)?
        }
        CapabilityCode::ENHANCED_ROUTE_REFRESH => {
            exact(value, 0).map(|()| Capability::EnhancedRouteRefresh)?
        }
        CapabilityCode::ROUTE_REFRESH_CISCO => {
            exact(value, 0).map(|()| Capability::RouteRefreshCisco)?
        }
        CapabilityCode::BGP_ROLE => {
            exact(value, 1)?;
            Capability::Role(BgpRole(r.u8()?))
        }
        CapabilityCode::FOUR_OCTET_AS => {
            exact(value, 4)?;
            Capability::FourOctetAs(Asn(r.u32()?))
        }
        CapabilityCode::EXTENDED_NEXT_HOP => {
            // RFC 8950 §3: NLRI AFI (2), NLRI SAFI (2), Nexthop AFI (2), repeated.
            entries(value, 6)?;
            let mut v = Vec::with_capacity(value.len() / 6);
            while !r.is_empty() {
                let afi = Afi(r.u16()?);
                let safi =
                    u8::try_from(r.u16()?).map_err(|_| Reason::MalformedCapability(code.0))?;
                let next_hop_afi = Afi(r.u16()?);
                v.push(ExtendedNextHop { family: Family::new(afi, Safi(safi)), next_hop_afi });
            }
            Capability::ExtendedNextHop(v)
        }
        CapabilityCode::GRACEFUL_RESTART => {
            // RFC 4724 §3: Restart Flags (4 bits), Restart Time (12 bits), then
            // AFI (2), SAFI (1), Flags for Address Family (1), repeated.
            if value.len() < 2 {
                return Err(Reason::Truncated { needed: 2, available: value.len() });
            }
            let head = r.u16()?;
            entries(r.rest(), 4)?;
            let mut families = Vec::with_capacity(r.remaining() / 4);
            while !r.is_empty() {
                let family = read_family(&mut r)?;
                families.push(GracefulRestartFamily { family, flags: r.u8()? });
            }
            Capability::GracefulRestart(GracefulRestart {
                restart_flags: (head >> 12) as u8,
                restart_time: head & 0x0fff,
                families,
            })
        }
        CapabilityCode::ADD_PATH => {
            // RFC 7911 §4: AFI (2), SAFI (1), Send/Receive (1), repeated.
            entries(value, 4)?;
            let mut v = Vec::with_capacity(value.len() / 4);
            while !r.is_empty() {
                let family = read_family(&mut r)?;
                v.push(AddPathFamily { family, direction: AddPathDirection(r.u8()?) });
            }
            Capability::AddPath(v)
        }
        CapabilityCode::LONG_LIVED_GRACEFUL_RESTART => {
            // RFC 9494 §3: AFI (2), SAFI (1), Flags (1), Long-lived Stale Time (3), repeated.
            entries(value, 7)?;
            let mut v = Vec::with_capacity(value.len() / 7);
            while !r.is_empty() {
                let family = read_family(&mut r)?;
                let flags = r.u8()?;
                let [a, b, c] = r.array::<3>()?;
                let stale_time = u32::from_be_bytes([0, a, b, c]);
                v.push(LongLivedGrFamily { family, flags, stale_time });
            }
            Capability::LongLivedGracefulRestart(v)
        }
        CapabilityCode::FQDN => {
            // Hostname Length (1), Hostname, Domain Name Length (1), Domain Name.
            let h = usize::from(r.u8()?);
            r.bytes(h)?;
            let d = usize::from(r.u8()?);
            r.bytes(d)?;
            r.finish()?;
            Capability::Fqdn(Fqdn {
                hostname: value.slice(1..1 + h),
                domain: value.slice(2 + h..2 + h + d),
            })
        }
        _ => return Ok(None),
    };
    Ok(Some(cap))
}

#[cfg(test)]
pub(crate) mod strategies {
    //! proptest strategies for capabilities, shared with the OPEN tests.
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn family() -> impl Strategy<Value = Family> {
        (any::<u16>(), any::<u8>()).prop_map(|(a, s)| Family::new(Afi(a), Safi(s)))
    }

    fn octets(max: usize) -> impl Strategy<Value = Bytes> {
        vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
    }

    /// Any capability that decodes back to itself: typed values in range, and unknown codes.
    pub(crate) fn capability() -> impl Strategy<Value = Capability> {
        prop_oneof![
            family().prop_map(Capability::Multiprotocol),
            Just(Capability::RouteRefresh),
            vec((family(), any::<u16>()), 0..10).prop_map(|v| Capability::ExtendedNextHop(
                v.into_iter()
                    .map(|(family, a)| ExtendedNextHop { family, next_hop_afi: Afi(a) })
                    .collect()
            )),
            Just(Capability::ExtendedMessage),
            any::<u8>().prop_map(|r| Capability::Role(BgpRole(r))),
            (0u8..16, 0u16..4096, vec((family(), any::<u8>()), 0..10)).prop_map(|(f, t, v)| {
                Capability::GracefulRestart(GracefulRestart {
                    restart_flags: f,
                    restart_time: t,
                    families: v
                        .into_iter()
                        .map(|(family, flags)| GracefulRestartFamily { family, flags })
                        .collect(),
                })
            }),
            any::<u32>().prop_map(|a| Capability::FourOctetAs(Asn(a))),
            vec((family(), any::<u8>()), 0..10).prop_map(|v| Capability::AddPath(
                v.into_iter()
                    .map(|(family, d)| AddPathFamily { family, direction: AddPathDirection(d) })
                    .collect()
            )),
            Just(Capability::EnhancedRouteRefresh),
            vec((family(), any::<u8>(), 0u32..0x0100_0000), 0..10).prop_map(|v| {
                Capability::LongLivedGracefulRestart(
                    v.into_iter()
                        .map(|(family, flags, stale_time)| LongLivedGrFamily {
                            family,
                            flags,
                            stale_time,
                        })
                        .collect(),
                )
            }),
            (octets(120), octets(120))
                .prop_map(|(hostname, domain)| Capability::Fqdn(Fqdn { hostname, domain })),
            Just(Capability::RouteRefreshCisco),
            (any::<u8>(), octets(255))
                .prop_filter("a code this crate models", |(c, _)| {
                    decode_typed(CapabilityCode(*c), &Bytes::new()) == Ok(None)
                })
                .prop_map(|(c, value)| Capability::Unknown { code: CapabilityCode(c), value }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::testutil::{assert_hex_eq, hex};
    use proptest::prelude::*;

    fn encode(c: &Capability) -> Vec<u8> {
        let mut b = BytesMut::new();
        c.encode(&mut b);
        b.to_vec()
    }

    fn decode(triple: &[u8]) -> Capability {
        let value = Bytes::copy_from_slice(&triple[2..]);
        assert_eq!(usize::from(triple[1]), value.len(), "vector length octet");
        Capability::decode(triple[0], value)
    }

    /// (code, length and value in hex, capability), each used both ways.
    fn vectors() -> Vec<(&'static str, Capability)> {
        vec![
            ("01 04 0001 00 01", Capability::Multiprotocol(Family::IPV4_UNICAST)),
            ("01 04 0002 00 80", Capability::Multiprotocol(Family::new(Afi::IPV6, Safi::MPLS_VPN))),
            ("02 00", Capability::RouteRefresh),
            (
                "05 0c 0001 0001 0002 0001 0080 0002",
                Capability::ExtendedNextHop(vec![
                    ExtendedNextHop { family: Family::IPV4_UNICAST, next_hop_afi: Afi::IPV6 },
                    ExtendedNextHop {
                        family: Family::new(Afi::IPV4, Safi::MPLS_VPN),
                        next_hop_afi: Afi::IPV6,
                    },
                ]),
            ),
            ("06 00", Capability::ExtendedMessage),
            ("09 01 03", Capability::Role(BgpRole::CUSTOMER)),
            (
                "40 0a c078 0001 01 80 0002 01 00",
                Capability::GracefulRestart(GracefulRestart {
                    restart_flags: 0xc,
                    restart_time: 120,
                    families: vec![
                        GracefulRestartFamily { family: Family::IPV4_UNICAST, flags: 0x80 },
                        GracefulRestartFamily { family: Family::IPV6_UNICAST, flags: 0 },
                    ],
                }),
            ),
            (
                "40 02 0078",
                Capability::GracefulRestart(GracefulRestart {
                    restart_flags: 0,
                    restart_time: 120,
                    families: vec![],
                }),
            ),
            ("41 04 0001 0000", Capability::FourOctetAs(Asn(65536))),
            (
                "45 08 0001 01 03 0002 01 01",
                Capability::AddPath(vec![
                    AddPathFamily {
                        family: Family::IPV4_UNICAST,
                        direction: AddPathDirection::BOTH,
                    },
                    AddPathFamily {
                        family: Family::IPV6_UNICAST,
                        direction: AddPathDirection::RECEIVE,
                    },
                ]),
            ),
            ("46 00", Capability::EnhancedRouteRefresh),
            (
                "47 07 0001 01 80 000168",
                Capability::LongLivedGracefulRestart(vec![LongLivedGrFamily {
                    family: Family::IPV4_UNICAST,
                    flags: 0x80,
                    stale_time: 360,
                }]),
            ),
            ("49 06 03 72 31 30 01 78", Capability::Fqdn(Fqdn::new("r10", "x"))),
            ("49 04 02 72 31 00", Capability::Fqdn(Fqdn::new("r1", ""))),
            ("80 00", Capability::RouteRefreshCisco),
            (
                "83 03 00 00 01",
                Capability::Unknown {
                    code: CapabilityCode(131),
                    value: Bytes::from_static(&[0, 0, 1]),
                },
            ),
            (
                "41 02 0001",
                Capability::Malformed {
                    code: CapabilityCode::FOUR_OCTET_AS,
                    value: Bytes::from_static(&[0, 1]),
                    reason: Reason::Truncated { needed: 4, available: 2 },
                },
            ),
            (
                "01 04 0001 07 01",
                Capability::Malformed {
                    code: CapabilityCode::MULTIPROTOCOL,
                    value: Bytes::from_static(&[0, 1, 7, 1]),
                    reason: Reason::MalformedCapability(1),
                },
            ),
            (
                "45 03 0001 01",
                Capability::Malformed {
                    code: CapabilityCode::ADD_PATH,
                    value: Bytes::from_static(&[0, 1, 1]),
                    reason: Reason::TrailingBytes(3),
                },
            ),
            (
                "49 03 05 61 62",
                Capability::Malformed {
                    code: CapabilityCode::FQDN,
                    value: Bytes::from_static(&[5, 0x61, 0x62]),
                    reason: Reason::Truncated { needed: 5, available: 2 },
                },
            ),
        ]
    }

    #[test]
    fn vectors_decode() {
        for (h, want) in vectors() {
            assert_eq!(decode(&hex(h)), want, "decoding {h}");
        }
    }

    #[test]
    fn vectors_encode() {
        for (h, c) in vectors() {
            assert_hex_eq(&encode(&c), &hex(h));
            assert_eq!(c.encoded_len(), hex(h).len());
        }
    }

    #[test]
    fn helpers() {
        assert!(AddPathDirection::BOTH.can_send() && AddPathDirection::BOTH.can_receive());
        assert!(!AddPathDirection::RECEIVE.can_send());
        assert_eq!(BgpRole::CUSTOMER.expected_peer_role(), Some(BgpRole::PROVIDER));
        assert_eq!(BgpRole(9).expected_peer_role(), None);
        let Capability::GracefulRestart(g) = decode(&hex("40 06 c078 0001 01 80")) else {
            panic!("not graceful restart")
        };
        assert!(g.restart_state() && g.graceful_notification());
        assert!(g.families[0].forwarding_preserved());
        assert_eq!(Fqdn::new("r1", "").hostname_str(), Some("r1"));
    }

    #[test]
    fn display() {
        let shown: Vec<String> = [
            "01 04 0002 00 01",
            "41 04 0001 0000",
            "45 04 0001 01 03",
            "40 06 4078 0001 01 80",
            "49 06 03 72 31 30 01 78",
            "41 02 0001",
            "06 00",
        ]
        .iter()
        .map(|h| decode(&hex(h)).to_string())
        .collect();
        assert_eq!(
            shown,
            [
                "Multiprotocol ipv6/unicast",
                "4-octet AS 65536",
                "ADD-PATH ipv4/unicast both",
                "Graceful Restart flags 0x4 time 120 ipv4/unicast 0x80",
                "FQDN r10.x",
                "4-octet AS (code 65, malformed) 0001",
                "Extended Message",
            ]
        );
    }

    #[test]
    fn overlong_lists_are_cut_to_what_fits() {
        let c = Capability::AddPath(vec![
            AddPathFamily {
                family: Family::IPV4_UNICAST,
                direction: AddPathDirection::BOTH
            };
            100
        ]);
        let b = encode(&c);
        assert_eq!(b.len(), 2 + 252);
        assert_eq!(b[1], 252);
    }

    proptest! {
        #[test]
        fn round_trip(c in strategies::capability()) {
            let b = encode(&c);
            prop_assert_eq!(decode(&b), c);
        }

        #[test]
        fn any_value_decodes_and_re_encodes(code in any::<u8>(), v in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut triple = vec![code, v.len() as u8];
            triple.extend_from_slice(&v);
            let c = decode(&triple);
            prop_assert_eq!(encode(&c), triple);
        }
    }
}

//! OPEN message (RFC 4271 §4.2) with Optional Parameters (RFC 5492 §4) and the Extended
//! Optional Parameters Length of RFC 9072.
//!
//! The parameters are kept in the order and grouping they came in (some speakers put every
//! capability in one Optional Parameter, others one capability per parameter), so a decoded
//! OPEN re-encodes to the same octets.

use bytes::{BufMut, Bytes, BytesMut};
use std::net::Ipv4Addr;

use crate::capability::{
    AddPathFamily, BgpRole, Capability, CapabilityCode, ExtendedNextHop, Fqdn, GracefulRestart,
    LongLivedGrFamily,
};
use crate::codes::{open, ErrorCode};
use crate::context::Context;
use crate::error::{Error, Reason};
use crate::header::{begin_message, finish_message, Header, MessageType, HEADER_LEN, MAX_LEN};
use crate::reader::Reader;
use crate::types::{Afi, Asn, Family, FamilySet, Safi};

/// The only version this crate speaks (RFC 4271 §4.2).
pub const BGP_VERSION: u8 = 4;
/// Optional Parameter Type of Capabilities (RFC 5492 §4).
pub const PARAM_CAPABILITIES: u8 = 2;
/// RFC 9072 §2: "Non-Ext OP Type ... 255", marking the extended encoding.
pub const PARAM_EXTENDED_LENGTH: u8 = 255;

/// Offsets of the fixed fields, from the first octet of the marker.
const VERSION_OFFSET: usize = HEADER_LEN;
const HOLD_TIME_OFFSET: usize = HEADER_LEN + 3;
const BGP_ID_OFFSET: usize = HEADER_LEN + 5;
/// Start of the Optional Parameters in the classic encoding.
const PARAMS_OFFSET: usize = HEADER_LEN + 10;

/// One Optional Parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionalParameter {
    /// Type 2: one or more capabilities (RFC 5492 §4).
    Capabilities(Vec<Capability>),
    /// Any other type (e.g. the deprecated type 1, Authentication), kept raw.
    Other {
        /// Parameter Type.
        param_type: u8,
        /// Parameter Value.
        value: Bytes,
    },
}

impl OptionalParameter {
    /// Parameter Type.
    pub fn param_type(&self) -> u8 {
        match self {
            OptionalParameter::Capabilities(_) => PARAM_CAPABILITIES,
            OptionalParameter::Other { param_type, .. } => *param_type,
        }
    }

    /// Length of the Parameter Value as encoded (at most 65535).
    pub fn value_len(&self) -> usize {
        match self {
            OptionalParameter::Capabilities(caps) => {
                fitting_caps(caps).map(|(_, end)| end).last().unwrap_or(0)
            }
            OptionalParameter::Other { value, .. } => value.len().min(u16::MAX as usize),
        }
    }
}

/// The capabilities that fit a 65535-octet parameter value, with the running length after each.
fn fitting_caps(caps: &[Capability]) -> impl Iterator<Item = (&Capability, usize)> {
    caps.iter()
        .scan(0usize, |len, c| {
            *len += c.encoded_len();
            Some((c, *len))
        })
        .take_while(|(_, len)| *len <= u16::MAX as usize)
}

/// An OPEN message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open {
    /// My Autonomous System, the 2-octet field: AS_TRANS when the speaker's AS needs four
    /// octets (RFC 6793 §4.1). [`Open::asn`] gives the real AS.
    pub my_as: u16,
    /// Hold Time in seconds: zero or at least three.
    pub hold_time: u16,
    /// BGP Identifier.
    pub bgp_id: Ipv4Addr,
    /// Optional Parameters, in wire order.
    pub params: Vec<OptionalParameter>,
    /// How the parameters are framed: the decoder records what the message used.
    pub params_encoding: ParamsEncoding,
}

/// How the Optional Parameters of an OPEN are framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamsEncoding {
    /// RFC 4271 §4.2: one-octet lengths. The encoder still switches to the extended form when
    /// the parameters do not fit (RFC 9072 §2: "if the length of the Optional Parameters in the
    /// BGP OPEN message does exceed 255, the OPEN message MUST be encoded according to the
    /// procedure below").
    Classic,
    /// RFC 9072 §2: two-octet lengths, even where one octet would do ("Configuration MAY
    /// override this to force the extended format to be used in all cases").
    Extended {
        /// The Non-Ext OP Len octet: it "SHOULD be set to 255 on transmission and, in any
        /// event, MUST NOT be set to 0; it MUST be ignored on receipt". Kept so that what a
        /// peer sent re-encodes unchanged; 0 is written as 255.
        non_ext_op_len: u8,
    },
}

impl ParamsEncoding {
    /// The extended form with the recommended Non-Ext OP Len of 255.
    pub const EXTENDED: ParamsEncoding = ParamsEncoding::Extended { non_ext_op_len: 255 };
}

impl Open {
    /// An OPEN for `asn` with all `capabilities` in one Optional Parameter.
    ///
    /// Include [`Capability::FourOctetAs`] for a 4-octet-capable speaker: My AS is set to
    /// AS_TRANS when `asn` does not fit two octets.
    ///
    /// ```
    /// use bgp_wire::capability::Capability;
    /// use bgp_wire::open::Open;
    /// use bgp_wire::{Asn, Context, Family};
    /// use bytes::BytesMut;
    ///
    /// let asn = Asn(4_200_000_001);
    /// let caps = vec![Capability::Multiprotocol(Family::IPV6_UNICAST), Capability::FourOctetAs(asn)];
    /// let open = Open::new(asn, 90, "10.0.0.1".parse().unwrap(), caps);
    /// assert_eq!(open.my_as, 23456); // AS_TRANS
    ///
    /// let mut buf = BytesMut::new();
    /// open.encode(&Context::legacy(), &mut buf);
    /// let back = Open::decode(buf.freeze(), &Context::legacy()).unwrap();
    /// assert_eq!(back.asn(), asn);
    /// assert_eq!(back, open);
    /// ```
    pub fn new(asn: Asn, hold_time: u16, bgp_id: Ipv4Addr, capabilities: Vec<Capability>) -> Open {
        let params = if capabilities.is_empty() {
            Vec::new()
        } else {
            vec![OptionalParameter::Capabilities(capabilities)]
        };
        Open {
            my_as: asn.to_two_octet(),
            hold_time,
            bgp_id,
            params,
            params_encoding: ParamsEncoding::Classic,
        }
    }

    /// Decodes a whole OPEN, header included, and applies [`Open::validate_basic`].
    pub fn decode(msg: Bytes, ctx: &Context) -> Result<Open, Error> {
        let open = Open::decode_unvalidated(msg, ctx)?;
        open.validate_basic()?;
        Ok(open)
    }

    /// Decodes a whole OPEN, checking only its structure (and the version, without which the
    /// rest cannot be read): hold time, identifier and parameter types are left to
    /// [`Open::validate_basic`]. For tools that show what a peer sent.
    ///
    /// RFC 8654 §3: "The BGP Extended Message Capability applies to all messages except for
    /// OPEN and KEEPALIVE messages", so an OPEN is at most 4096 octets whatever `ctx` says.
    pub fn decode_unvalidated(msg: Bytes, ctx: &Context) -> Result<Open, Error> {
        let h = Header::check(&msg, ctx.max_message_len().min(MAX_LEN))?;
        if h.message_type != MessageType::OPEN {
            return Err(crate::message::wrong_type(h.message_type));
        }
        let end = usize::from(h.length);
        if msg.len() != end {
            return Err(crate::message::length_mismatch(msg.len(), h.length));
        }
        let body = msg.get(HEADER_LEN..end).unwrap_or_default();
        let mut r = Reader::new(body, HEADER_LEN);
        let unspecific = |reason, offset| {
            Error::new(ErrorCode::OPEN_MESSAGE, open::UNSPECIFIC, reason, offset, Bytes::new())
        };
        let at = |r: &Reader<'_>| r.offset();

        // RFC 4271 §6.2: "If the version number in the Version field of the received OPEN
        // message is not supported, then the Error Subcode MUST be set to Unsupported Version
        // Number. The Data field is a 2-octet unsigned integer, which indicates the largest,
        // locally-supported version number less than the version the remote BGP peer bid".
        let version = r.u8().map_err(|e| unspecific(e, at(&r)))?;
        if version != BGP_VERSION {
            return Err(Error::new(
                ErrorCode::OPEN_MESSAGE,
                open::UNSUPPORTED_VERSION_NUMBER,
                Reason::BadVersion(version),
                VERSION_OFFSET,
                Bytes::from_static(&[0x00, BGP_VERSION]),
            ));
        }
        let fixed = (|| Ok::<_, Reason>((r.u16()?, r.u16()?, r.array::<4>()?, r.u8()?)))();
        let (my_as, hold_time, bgp_id, opt_len) = fixed.map_err(|e| unspecific(e, at(&r)))?;

        // RFC 9072 §2, of the octet after a non-zero Non-Ext OP Len: "On receipt, a value of
        // 255 for this field is the indication that the extended format is in use." Then comes
        // the two-octet Extended Opt. Parm. Length, and each parameter has a two-octet length.
        let extended = opt_len != 0 && r.rest().first() == Some(&PARAM_EXTENDED_LENGTH);
        let params_len = if extended {
            let _ = r.u8();
            usize::from(r.u16().map_err(|e| unspecific(e, at(&r)))?)
        } else {
            usize::from(opt_len)
        };
        let params_start = r.offset();
        let mut pr = r.sub(params_len).map_err(|e| unspecific(e, params_start))?;
        // Octets after the parameters: the lengths disagree with the message length.
        r.finish().map_err(|e| unspecific(e, at(&r)))?;

        let mut params = Vec::new();
        while !pr.is_empty() {
            let start = pr.offset();
            let hdr = (|| {
                let t = pr.u8()?;
                let len = if extended { usize::from(pr.u16()?) } else { usize::from(pr.u8()?) };
                Ok::<_, Reason>((t, len))
            })();
            let (param_type, len) = hdr.map_err(|e| unspecific(e, start))?;
            let value_start = pr.offset();
            let value = pr.sub(len).map_err(|e| unspecific(e, value_start))?;
            let value_bytes = msg.slice(value_start..value_start + len);
            params.push(if param_type == PARAM_CAPABILITIES {
                OptionalParameter::Capabilities(decode_capabilities(&msg, value)?)
            } else {
                OptionalParameter::Other { param_type, value: value_bytes }
            });
        }
        Ok(Open {
            my_as,
            hold_time,
            bgp_id: Ipv4Addr::from(bgp_id),
            params,
            params_encoding: if extended {
                ParamsEncoding::Extended { non_ext_op_len: opt_len }
            } else {
                ParamsEncoding::Classic
            },
        })
    }

    /// The checks of RFC 4271 §6.2 that need no configuration, for decoders and the FSM alike:
    ///
    /// - "If the Hold Time field of the OPEN message is unacceptable, then the Error Subcode MUST
    ///   be set to Unacceptable Hold Time. An implementation MUST reject Hold Time values of one
    ///   or two seconds."
    /// - "If the BGP Identifier field of the OPEN message is syntactically incorrect, then the
    ///   Error Subcode MUST be set to Bad BGP Identifier." RFC 6286 §2.2 makes it a non-zero
    ///   4-octet number.
    /// - "If one of the Optional Parameters in the OPEN message is not recognized, then the
    ///   Error Subcode MUST be set to Unsupported Optional Parameter." Only Capabilities (2) is
    ///   recognised; the deprecated Authentication (1) is not.
    pub fn validate_basic(&self) -> Result<(), Error> {
        if matches!(self.hold_time, 1 | 2) {
            return Err(Error::new(
                ErrorCode::OPEN_MESSAGE,
                open::UNACCEPTABLE_HOLD_TIME,
                Reason::BadHoldTime(self.hold_time),
                HOLD_TIME_OFFSET,
                Bytes::new(),
            ));
        }
        if self.bgp_id.is_unspecified() {
            return Err(Error::new(
                ErrorCode::OPEN_MESSAGE,
                open::BAD_BGP_IDENTIFIER,
                Reason::BadBgpId,
                BGP_ID_OFFSET,
                Bytes::new(),
            ));
        }
        let extended = self.uses_extended_params();
        let mut offset = PARAMS_OFFSET + if extended { 3 } else { 0 };
        for p in &self.params {
            if let OptionalParameter::Other { param_type, .. } = p {
                return Err(Error::new(
                    ErrorCode::OPEN_MESSAGE,
                    open::UNSUPPORTED_OPTIONAL_PARAMETER,
                    Reason::UnsupportedOptionalParameter(*param_type),
                    offset,
                    Bytes::new(),
                ));
            }
            offset += param_header_len(extended) + p.value_len();
        }
        Ok(())
    }

    /// RFC 4271 §6.2: "If the Autonomous System field of the OPEN message is unacceptable, then
    /// the Error Subcode MUST be set to Bad Peer AS." Compares [`Open::asn`] with `expected`.
    pub fn check_peer_as(&self, expected: Asn) -> Result<(), Error> {
        let asn = self.asn();
        if asn == expected {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::OPEN_MESSAGE,
            open::BAD_PEER_AS,
            Reason::BadPeerAs(asn.0),
            HEADER_LEN + 1,
            Bytes::new(),
        ))
    }

    /// Whether the encoder will use the RFC 9072 encoding: when asked to, or when the
    /// parameters do not fit one-octet lengths, or when the first one has type 255.
    pub fn uses_extended_params(&self) -> bool {
        matches!(self.params_encoding, ParamsEncoding::Extended { .. })
            || self.params.first().is_some_and(|p| p.param_type() == PARAM_EXTENDED_LENGTH)
            || self.params.iter().any(|p| p.value_len() > 255)
            || self.params_len(false) > 255
    }

    /// Total length of the parameters with the given encoding (without the length fields
    /// before them).
    fn params_len(&self, extended: bool) -> usize {
        self.params.iter().map(|p| param_header_len(extended) + p.value_len()).sum()
    }

    /// Length of the encoded message, header included.
    pub fn encoded_len(&self) -> usize {
        let extended = self.uses_extended_params();
        PARAMS_OFFSET + if extended { 3 } else { 0 } + self.params_len(extended)
    }

    /// Writes the whole message. The sender keeps it within 4096 octets (RFC 8654 §3: extended
    /// messages never apply to OPEN); [`Open::encoded_len`] tells beforehand.
    pub fn encode(&self, _ctx: &Context, buf: &mut BytesMut) {
        let start = begin_message(MessageType::OPEN, buf);
        buf.put_u8(BGP_VERSION);
        buf.put_u16(self.my_as);
        buf.put_u16(self.hold_time);
        buf.put_slice(&self.bgp_id.octets());
        let extended = self.uses_extended_params();
        let total = self.params_len(extended);
        if extended {
            let non_ext_op_len = match self.params_encoding {
                ParamsEncoding::Extended { non_ext_op_len: n @ 1.. } => n,
                _ => 255,
            };
            buf.put_u8(non_ext_op_len);
            buf.put_u8(PARAM_EXTENDED_LENGTH);
            buf.put_u16(total.min(u16::MAX as usize) as u16);
        } else {
            buf.put_u8(total as u8);
        }
        for p in &self.params {
            buf.put_u8(p.param_type());
            let len = p.value_len();
            if extended {
                buf.put_u16(len as u16);
            } else {
                buf.put_u8(len as u8);
            }
            match p {
                OptionalParameter::Capabilities(caps) => {
                    for (c, _) in fitting_caps(caps) {
                        c.encode(buf);
                    }
                }
                OptionalParameter::Other { value, .. } => buf.put_slice(&value[..len]),
            }
        }
        finish_message(start, buf);
    }

    /// Every capability, in wire order, across all parameters.
    pub fn capabilities(&self) -> impl Iterator<Item = &Capability> + '_ {
        self.params.iter().flat_map(|p| match p {
            OptionalParameter::Capabilities(caps) => caps.as_slice(),
            OptionalParameter::Other { .. } => &[],
        })
    }

    /// Whether a capability with this code was advertised (in any form, even malformed).
    pub fn has_capability(&self, code: CapabilityCode) -> bool {
        self.capabilities().any(|c| c.code() == code)
    }

    /// Capabilities of known codes whose value did not fit their definition, kept raw.
    pub fn malformed_capabilities(&self) -> impl Iterator<Item = &Capability> + '_ {
        self.capabilities().filter(|c| matches!(c, Capability::Malformed { .. }))
    }

    /// The AS from the 4-octet AS capability (RFC 6793 §3), if advertised.
    pub fn four_octet_as(&self) -> Option<Asn> {
        self.capabilities().find_map(|c| match c {
            Capability::FourOctetAs(a) => Some(*a),
            _ => None,
        })
    }

    /// The speaker's AS: the 4-octet AS capability when present, else My AS.
    pub fn asn(&self) -> Asn {
        self.four_octet_as().unwrap_or(Asn(u32::from(self.my_as)))
    }

    /// Families of the Multiprotocol capabilities, in wire order. RFC 4760 §8 leaves a speaker
    /// that advertises none to IPv4 unicast only: see [`Open::negotiable_families`].
    ///
    /// A Multiprotocol capability whose reserved octet is not zero is kept raw (so that it
    /// re-encodes unchanged) but still counts here: RFC 4760 §8 has the receiver ignore it.
    pub fn families(&self) -> impl Iterator<Item = Family> + '_ {
        self.capabilities().filter_map(|c| match c {
            Capability::Multiprotocol(f) => Some(*f),
            Capability::Malformed { code: CapabilityCode::MULTIPROTOCOL, value, .. } => {
                match value[..] {
                    [a0, a1, _, safi] => {
                        Some(Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi)))
                    }
                    _ => None,
                }
            }
            _ => None,
        })
    }

    /// Families the speaker can exchange: its Multiprotocol families, or IPv4 unicast when it
    /// advertised none.
    pub fn negotiable_families(&self) -> FamilySet {
        let set: FamilySet = self.families().collect();
        if set.is_empty() {
            core::iter::once(Family::IPV4_UNICAST).collect()
        } else {
            set
        }
    }

    /// ADD-PATH entries (RFC 7911), across all ADD-PATH capabilities.
    pub fn add_path(&self) -> impl Iterator<Item = &AddPathFamily> + '_ {
        self.capabilities()
            .filter_map(|c| match c {
                Capability::AddPath(v) => Some(v.as_slice()),
                _ => None,
            })
            .flatten()
    }

    /// Extended next hop entries (RFC 8950), across all such capabilities.
    pub fn extended_next_hop(&self) -> impl Iterator<Item = &ExtendedNextHop> + '_ {
        self.capabilities()
            .filter_map(|c| match c {
                Capability::ExtendedNextHop(v) => Some(v.as_slice()),
                _ => None,
            })
            .flatten()
    }

    /// The Graceful Restart capability (RFC 4724), if advertised.
    pub fn graceful_restart(&self) -> Option<&GracefulRestart> {
        self.capabilities().find_map(|c| match c {
            Capability::GracefulRestart(g) => Some(g),
            _ => None,
        })
    }

    /// Long-lived graceful restart families (RFC 9494).
    pub fn long_lived_graceful_restart(&self) -> impl Iterator<Item = &LongLivedGrFamily> + '_ {
        self.capabilities()
            .filter_map(|c| match c {
                Capability::LongLivedGracefulRestart(v) => Some(v.as_slice()),
                _ => None,
            })
            .flatten()
    }

    /// The BGP Role (RFC 9234), if advertised.
    pub fn role(&self) -> Option<BgpRole> {
        self.capabilities().find_map(|c| match c {
            Capability::Role(r) => Some(*r),
            _ => None,
        })
    }

    /// The hostname capability, if advertised.
    pub fn fqdn(&self) -> Option<&Fqdn> {
        self.capabilities().find_map(|c| match c {
            Capability::Fqdn(f) => Some(f),
            _ => None,
        })
    }

    /// Route refresh, under the standard code 2 or the pre-standard 128.
    pub fn route_refresh(&self) -> bool {
        self.capabilities()
            .any(|c| matches!(c, Capability::RouteRefresh | Capability::RouteRefreshCisco))
    }

    /// Enhanced route refresh (RFC 7313).
    pub fn enhanced_route_refresh(&self) -> bool {
        self.capabilities().any(|c| matches!(c, Capability::EnhancedRouteRefresh))
    }

    /// Extended messages (RFC 8654).
    pub fn extended_message(&self) -> bool {
        self.capabilities().any(|c| matches!(c, Capability::ExtendedMessage))
    }
}

impl core::fmt::Display for Open {
    /// One line for logs: `AS 65001 hold 90 id 10.0.0.1 [Multiprotocol ipv4/unicast, ...]`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AS {} hold {} id {} [", self.asn(), self.hold_time, self.bgp_id)?;
        for (i, c) in self.capabilities().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("]")?;
        for p in &self.params {
            if let OptionalParameter::Other { param_type, value } = p {
                write!(f, " param {param_type} ({} octets)", value.len())?;
            }
        }
        Ok(())
    }
}

/// What the codec needs from the two OPENs of a session: the context to decode what we
/// receive and the context to encode what we send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// For messages from the peer.
    pub receive: Context,
    /// For messages to the peer.
    pub send: Context,
}

/// Derives both directions' contexts from the OPEN we sent and the OPEN we received.
///
/// - 4-octet AS (RFC 6793 §4) and extended messages (RFC 8654 §3) need both speakers.
/// - ADD-PATH (RFC 7911 §4): we receive path identifiers for a family when we advertised
///   receive (or both) and the peer advertised send (or both); the other way round to send.
/// - Extended next hop (RFC 8950 §3): the peer may send us what we advertised we accept
///   with an IPv6 next hop, and we may send what it advertised.
pub fn negotiate(local: &Open, remote: &Open) -> Negotiated {
    let four_octet_as = local.four_octet_as().is_some() && remote.four_octet_as().is_some();
    let extended_message = local.extended_message() && remote.extended_message();
    let add_path = |us_ok: fn(&AddPathFamily) -> bool, them_ok: fn(&AddPathFamily) -> bool| {
        local
            .add_path()
            .filter(|a| us_ok(a))
            .filter(|a| remote.add_path().any(|b| b.family == a.family && them_ok(b)))
            .map(|a| a.family)
            .collect::<FamilySet>()
    };
    let enh = |o: &Open| {
        o.extended_next_hop().filter(|e| e.next_hop_afi == Afi::IPV6).map(|e| e.family).collect()
    };
    Negotiated {
        receive: Context {
            four_octet_as,
            extended_message,
            add_path: add_path(|a| a.direction.can_receive(), |b| b.direction.can_send()),
            extended_next_hop: enh(local),
        },
        send: Context {
            four_octet_as,
            extended_message,
            add_path: add_path(|a| a.direction.can_send(), |b| b.direction.can_receive()),
            extended_next_hop: enh(remote),
        },
    }
}

fn param_header_len(extended: bool) -> usize {
    if extended {
        3
    } else {
        2
    }
}

/// Splits a Capabilities parameter value into its triples (RFC 5492 §4). A triple that
/// overruns the parameter is an "OPEN Message Error" with subcode Unspecific: the boundaries of
/// the rest cannot be found. A value that does not fit its code is kept (see [`Capability`]).
fn decode_capabilities(msg: &Bytes, mut r: Reader<'_>) -> Result<Vec<Capability>, Error> {
    let mut caps = Vec::new();
    while !r.is_empty() {
        let start = r.offset();
        let triple = (|| {
            let code = r.u8()?;
            let len = usize::from(r.u8()?);
            let value_start = r.offset();
            r.bytes(len)?;
            Ok::<_, Reason>((code, value_start, len))
        })();
        let (code, value_start, len) = triple.map_err(|e| {
            Error::new(ErrorCode::OPEN_MESSAGE, open::UNSPECIFIC, e, start, Bytes::new())
        })?;
        caps.push(Capability::decode(code, msg.slice(value_start..value_start + len)));
    }
    Ok(caps)
}

#[cfg(test)]
pub(crate) mod strategies {
    //! proptest strategy for OPEN.
    use super::*;
    use crate::capability::strategies::capability;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn param() -> impl Strategy<Value = OptionalParameter> {
        prop_oneof![
            4 => vec(capability(), 0..6).prop_map(OptionalParameter::Capabilities),
            1 => (any::<u8>().prop_filter("not capabilities or the RFC 9072 marker", |t| *t != 2 && *t != 255),
                  vec(any::<u8>(), 0..300))
                .prop_map(|(param_type, v)| OptionalParameter::Other { param_type, value: Bytes::from(v) }),
        ]
    }

    /// Any OPEN that re-decodes to itself (its `params_encoding` says what the encoder uses).
    pub(crate) fn open() -> impl Strategy<Value = Open> {
        let encoding = prop_oneof![
            Just(ParamsEncoding::Classic),
            (1u8..=255).prop_map(|n| ParamsEncoding::Extended { non_ext_op_len: n }),
        ];
        (any::<u16>(), any::<u16>(), any::<u32>(), vec(param(), 0..5), encoding)
            .prop_map(|(my_as, hold_time, id, params, params_encoding)| {
                let bgp_id = Ipv4Addr::from(id);
                let mut o = Open { my_as, hold_time, bgp_id, params, params_encoding };
                if o.uses_extended_params() && o.params_encoding == ParamsEncoding::Classic {
                    o.params_encoding = ParamsEncoding::EXTENDED;
                }
                o
            })
            .prop_filter("an OPEN is at most 4096 octets", |o| o.encoded_len() <= MAX_LEN)
    }
}

#[cfg(test)]
mod tests;

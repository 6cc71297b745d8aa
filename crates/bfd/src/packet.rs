//! The BFD Control packet (RFC 5880 §4.1) and its authentication section (§4.2–§4.4).
//!
//! [`ControlPacket::decode`] takes the UDP payload as [`Bytes`] and applies the reception
//! checks of §6.8.6 that need nothing but the packet itself (version, lengths, Detect Mult,
//! Multipoint, discriminators, the A bit against the authentication section). Variable
//! parts (a password, an unknown authentication section) stay slices of the input. Checks
//! that need session state (which session, the key, sequence numbers) are made by
//! [`crate::Session`]. Encoding writes into [`BytesMut`] and cannot fail: every field type
//! only holds values the wire can carry.

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;
use core::num::{NonZeroU32, NonZeroU8};
use core::time::Duration;

use crate::error::DecodeError;

/// The only version this crate speaks. RFC 5880 §4.1: "This document defines protocol
/// version 1."
pub const VERSION: u8 = 1;

/// Length of the mandatory part of a Control packet.
pub const HEADER_LEN: usize = 24;

/// The largest Control packet: its Length field is one octet.
pub const MAX_LEN: usize = 255;

/// Session state as carried in the Sta field (RFC 5880 §4.1, §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// 0: the session is held down by management.
    AdminDown,
    /// 1: the session is down or was just created.
    Down,
    /// 2: the remote system is heard, but it has not yet said it hears us.
    Init,
    /// 3: both systems hear each other.
    Up,
}

impl State {
    /// The two-bit wire value.
    pub const fn to_bits(self) -> u8 {
        match self {
            State::AdminDown => 0,
            State::Down => 1,
            State::Init => 2,
            State::Up => 3,
        }
    }

    /// The state for a two-bit wire value (higher bits ignored).
    pub const fn from_bits(bits: u8) -> State {
        match bits & 0x03 {
            0 => State::AdminDown,
            1 => State::Down,
            2 => State::Init,
            _ => State::Up,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::AdminDown => "AdminDown",
            State::Down => "Down",
            State::Init => "Init",
            State::Up => "Up",
        })
    }
}

/// The Diagnostic code (RFC 5880 §4.1): why the sender's session last changed state. Five
/// bits; values without a name are kept as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Diagnostic(u8);

impl Diagnostic {
    /// 0 -- No Diagnostic.
    pub const NONE: Diagnostic = Diagnostic(0);
    /// 1 -- Control Detection Time Expired.
    pub const CONTROL_DETECTION_TIME_EXPIRED: Diagnostic = Diagnostic(1);
    /// 2 -- Echo Function Failed.
    pub const ECHO_FUNCTION_FAILED: Diagnostic = Diagnostic(2);
    /// 3 -- Neighbor Signaled Session Down.
    pub const NEIGHBOR_SIGNALED_SESSION_DOWN: Diagnostic = Diagnostic(3);
    /// 4 -- Forwarding Plane Reset.
    pub const FORWARDING_PLANE_RESET: Diagnostic = Diagnostic(4);
    /// 5 -- Path Down.
    pub const PATH_DOWN: Diagnostic = Diagnostic(5);
    /// 6 -- Concatenated Path Down.
    pub const CONCATENATED_PATH_DOWN: Diagnostic = Diagnostic(6);
    /// 7 -- Administratively Down.
    pub const ADMINISTRATIVELY_DOWN: Diagnostic = Diagnostic(7);
    /// 8 -- Reverse Concatenated Path Down.
    pub const REVERSE_CONCATENATED_PATH_DOWN: Diagnostic = Diagnostic(8);

    /// A code from its value; `None` above 31 (the field is five bits).
    pub const fn new(value: u8) -> Option<Diagnostic> {
        if value <= 0x1f {
            Some(Diagnostic(value))
        } else {
            None
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0 => "No Diagnostic",
            1 => "Control Detection Time Expired",
            2 => "Echo Function Failed",
            3 => "Neighbor Signaled Session Down",
            4 => "Forwarding Plane Reset",
            5 => "Path Down",
            6 => "Concatenated Path Down",
            7 => "Administratively Down",
            8 => "Reverse Concatenated Path Down",
            n => return write!(f, "Diagnostic {n}"),
        };
        f.write_str(name)
    }
}

/// The P, F, C and D flags (RFC 5880 §4.1). The A bit is not here: it is set exactly when a
/// packet has an authentication section. The M bit is not either: it must be zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// No flag set.
    pub const EMPTY: Flags = Flags(0);
    /// Poll: the sender asks for verification of a change (a Poll Sequence, §6.5).
    pub const POLL: Flags = Flags(0x20);
    /// Final: the answer to a Poll.
    pub const FINAL: Flags = Flags(0x10);
    /// Control Plane Independent: BFD runs without the control plane's help.
    pub const CONTROL_PLANE_INDEPENDENT: Flags = Flags(0x08);
    /// Demand: the sender wishes to run in Demand mode.
    pub const DEMAND: Flags = Flags(0x02);

    const MASK: u8 = 0x3a;

    /// The flags of the second octet of a packet (A and M bits and the state ignored).
    pub const fn from_octet(octet: u8) -> Flags {
        Flags(octet & Self::MASK)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// These flags and `other`.
    #[must_use]
    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// These flags without `other`.
    #[must_use]
    pub const fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    /// The bits, positioned as in the second octet.
    pub const fn bits(self) -> u8 {
        self.0
    }
}

/// A non-zero discriminator (RFC 5880 §6.3): how a system names a session. Zero means
/// "not known yet" on the wire and is `None` where a discriminator is optional.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Discriminator(pub NonZeroU32);

impl Discriminator {
    /// `None` for zero.
    pub const fn new(value: u32) -> Option<Discriminator> {
        match NonZeroU32::new(value) {
            Some(v) => Some(Discriminator(v)),
            None => None,
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for Discriminator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A time interval as carried on the wire: microseconds in 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Interval(pub u32);

impl Interval {
    /// Zero.
    pub const ZERO: Interval = Interval(0);

    /// From microseconds.
    pub const fn from_micros(us: u32) -> Interval {
        Interval(us)
    }

    /// From milliseconds, saturating at the largest value.
    pub const fn from_millis(ms: u32) -> Interval {
        Interval(ms.saturating_mul(1000))
    }

    /// From a duration; `None` if it does not fit in 32 bits of microseconds (about 71
    /// minutes).
    pub fn from_duration(d: Duration) -> Option<Interval> {
        u32::try_from(d.as_micros()).ok().map(Interval)
    }

    /// Microseconds.
    pub const fn as_micros(self) -> u32 {
        self.0
    }

    /// As a duration.
    pub const fn to_duration(self) -> Duration {
        Duration::from_micros(self.0 as u64)
    }
}

/// The Auth Type codepoint (RFC 5880 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthType(pub u8);

impl AuthType {
    /// 0 -- Reserved.
    pub const RESERVED: AuthType = AuthType(0);
    /// 1 -- Simple Password.
    pub const SIMPLE_PASSWORD: AuthType = AuthType(1);
    /// 2 -- Keyed MD5.
    pub const KEYED_MD5: AuthType = AuthType(2);
    /// 3 -- Meticulous Keyed MD5.
    pub const METICULOUS_KEYED_MD5: AuthType = AuthType(3);
    /// 4 -- Keyed SHA1.
    pub const KEYED_SHA1: AuthType = AuthType(4);
    /// 5 -- Meticulous Keyed SHA1.
    pub const METICULOUS_KEYED_SHA1: AuthType = AuthType(5);
}

/// Simple Password authentication (RFC 5880 §4.2): a key id and 1 to 16 octets of password.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PasswordAuth {
    /// Auth Key ID: which password.
    pub key_id: u8,
    password: Bytes,
}

impl PasswordAuth {
    /// Longest password. §4.2: "The password is a binary string, and MUST be from 1 to 16
    /// bytes in length."
    pub const MAX_LEN: usize = 16;

    /// `None` unless the password is 1 to 16 octets.
    pub fn new(key_id: u8, password: Bytes) -> Option<PasswordAuth> {
        (1..=Self::MAX_LEN).contains(&password.len()).then_some(PasswordAuth { key_id, password })
    }

    /// The password octets.
    pub fn password(&self) -> &Bytes {
        &self.password
    }
}

/// Keyed MD5 or SHA1 authentication (RFC 5880 §4.3, §4.4): key id, sequence number and a
/// digest of `N` octets (16 for MD5, 20 for SHA1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SequencedAuth<const N: usize> {
    /// Auth Key ID: which key.
    pub key_id: u8,
    /// The Reserved octet: zero when sent, ignored when received, kept so that a packet
    /// re-encodes to the octets it came from.
    pub reserved: u8,
    /// Sequence Number, against replay.
    pub sequence: u32,
    /// Auth Key/Digest or Auth Key/Hash.
    pub digest: [u8; N],
}

/// Keyed MD5 and Meticulous Keyed MD5 sections.
pub type Md5Auth = SequencedAuth<16>;
/// Keyed SHA1 and Meticulous Keyed SHA1 sections.
pub type Sha1Auth = SequencedAuth<20>;

/// An authentication section of a type this crate does not know (0 or 6 and above): the
/// octets after Auth Type and Auth Len.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnknownAuth {
    auth_type: AuthType,
    data: Bytes,
}

impl UnknownAuth {
    /// Longest data: the packet Length is one octet.
    pub const MAX_LEN: usize = MAX_LEN - HEADER_LEN - 2;

    /// `None` if `auth_type` is one of the known types or the data is too long.
    pub fn new(auth_type: AuthType, data: Bytes) -> Option<UnknownAuth> {
        let known = (1..=5).contains(&auth_type.0);
        (!known && data.len() <= Self::MAX_LEN).then_some(UnknownAuth { auth_type, data })
    }

    /// The Auth Type.
    pub fn auth_type(&self) -> AuthType {
        self.auth_type
    }

    /// The octets after Auth Len.
    pub fn data(&self) -> &Bytes {
        &self.data
    }
}

/// The optional Authentication Section (RFC 5880 §4.1–§4.4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Auth {
    /// Type 1.
    SimplePassword(PasswordAuth),
    /// Type 2.
    KeyedMd5(Md5Auth),
    /// Type 3.
    MeticulousKeyedMd5(Md5Auth),
    /// Type 4.
    KeyedSha1(Sha1Auth),
    /// Type 5.
    MeticulousKeyedSha1(Sha1Auth),
    /// Any other type.
    Unknown(UnknownAuth),
}

impl Auth {
    /// The Auth Type.
    pub fn auth_type(&self) -> AuthType {
        match self {
            Auth::SimplePassword(_) => AuthType::SIMPLE_PASSWORD,
            Auth::KeyedMd5(_) => AuthType::KEYED_MD5,
            Auth::MeticulousKeyedMd5(_) => AuthType::METICULOUS_KEYED_MD5,
            Auth::KeyedSha1(_) => AuthType::KEYED_SHA1,
            Auth::MeticulousKeyedSha1(_) => AuthType::METICULOUS_KEYED_SHA1,
            Auth::Unknown(u) => u.auth_type,
        }
    }

    /// Auth Len: the length of the whole section, type and length octets included.
    pub fn len(&self) -> usize {
        match self {
            Auth::SimplePassword(p) => 3 + p.password.len(),
            Auth::KeyedMd5(_) | Auth::MeticulousKeyedMd5(_) => 24,
            Auth::KeyedSha1(_) | Auth::MeticulousKeyedSha1(_) => 28,
            Auth::Unknown(u) => 2 + u.data.len(),
        }
    }

    /// Always false: a section has at least its type and length octets.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.auth_type().0);
        // Every variant is at most MAX_LEN - HEADER_LEN octets long by construction.
        buf.put_u8(self.len() as u8);
        match self {
            Auth::SimplePassword(p) => {
                buf.put_u8(p.key_id);
                buf.put_slice(&p.password);
            }
            Auth::KeyedMd5(s) | Auth::MeticulousKeyedMd5(s) => put_sequenced(buf, s),
            Auth::KeyedSha1(s) | Auth::MeticulousKeyedSha1(s) => put_sequenced(buf, s),
            Auth::Unknown(u) => buf.put_slice(&u.data),
        }
    }

    /// Decodes the section that starts at `HEADER_LEN` in `packet` (which is exactly the
    /// packet's Length long).
    fn decode(packet: &Bytes) -> Result<Auth, DecodeError> {
        let section = packet.get(HEADER_LEN..).unwrap_or_default();
        let (&ty, &len) = match section {
            [ty, len, ..] => (ty, len),
            _ => return Err(DecodeError::short_auth(packet.len())),
        };
        let auth_type = AuthType(ty);
        if usize::from(len) != section.len() {
            return Err(DecodeError::AuthLen {
                auth_type: ty,
                auth_len: len,
                offset: HEADER_LEN + 1,
            });
        }
        let bad_len =
            || DecodeError::AuthLen { auth_type: ty, auth_len: len, offset: HEADER_LEN + 1 };
        Ok(match auth_type {
            AuthType::SIMPLE_PASSWORD => {
                let key_id = *section.get(2).ok_or_else(bad_len)?;
                let password = packet.slice(HEADER_LEN + 3..);
                Auth::SimplePassword(PasswordAuth::new(key_id, password).ok_or_else(bad_len)?)
            }
            AuthType::KEYED_MD5 => Auth::KeyedMd5(get_sequenced(section).ok_or_else(bad_len)?),
            AuthType::METICULOUS_KEYED_MD5 => {
                Auth::MeticulousKeyedMd5(get_sequenced(section).ok_or_else(bad_len)?)
            }
            AuthType::KEYED_SHA1 => Auth::KeyedSha1(get_sequenced(section).ok_or_else(bad_len)?),
            AuthType::METICULOUS_KEYED_SHA1 => {
                Auth::MeticulousKeyedSha1(get_sequenced(section).ok_or_else(bad_len)?)
            }
            _ => Auth::Unknown(UnknownAuth { auth_type, data: packet.slice(HEADER_LEN + 2..) }),
        })
    }
}

fn put_sequenced<const N: usize>(buf: &mut BytesMut, s: &SequencedAuth<N>) {
    buf.put_u8(s.key_id);
    buf.put_u8(s.reserved);
    buf.put_u32(s.sequence);
    buf.put_slice(&s.digest);
}

/// A keyed section: type, length, key id, reserved, four octets of sequence, `N` of digest.
fn get_sequenced<const N: usize>(section: &[u8]) -> Option<SequencedAuth<N>> {
    if section.len() != 8 + N {
        return None;
    }
    let sequence = u32::from_be_bytes(section.get(4..8)?.try_into().ok()?);
    Some(SequencedAuth {
        key_id: *section.get(2)?,
        reserved: *section.get(3)?,
        sequence,
        digest: section.get(8..)?.try_into().ok()?,
    })
}

/// A BFD Control packet (RFC 5880 §4.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ControlPacket {
    /// Diag: why the sender's session last changed state.
    pub diag: Diagnostic,
    /// Sta: the sender's session state.
    pub state: State,
    /// P, F, C and D.
    pub flags: Flags,
    /// Detect Mult: the sender's detection time is this times its agreed receive interval.
    pub detect_mult: NonZeroU8,
    /// My Discriminator: the sender's name for the session.
    pub my_discriminator: Discriminator,
    /// Your Discriminator: the receiver's name for the session, if the sender has heard it.
    pub your_discriminator: Option<Discriminator>,
    /// Desired Min TX Interval.
    pub desired_min_tx: Interval,
    /// Required Min RX Interval.
    pub required_min_rx: Interval,
    /// Required Min Echo RX Interval (zero: the sender does not take Echo packets).
    pub required_min_echo_rx: Interval,
    /// The Authentication Section; its presence is the A bit.
    pub auth: Option<Auth>,
}

impl ControlPacket {
    /// Length of the encoded packet.
    pub fn len(&self) -> usize {
        HEADER_LEN + self.auth.as_ref().map_or(0, Auth::len)
    }

    /// Always false: a packet has at least its 24 mandatory octets.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether the P bit is set.
    pub fn poll(&self) -> bool {
        self.flags.contains(Flags::POLL)
    }

    /// Whether the F bit is set.
    pub fn is_final(&self) -> bool {
        self.flags.contains(Flags::FINAL)
    }

    /// Appends the packet to `buf`.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(self.len());
        buf.put_u8(VERSION << 5 | self.diag.0);
        let a_bit = if self.auth.is_some() { 0x04 } else { 0 };
        buf.put_u8(self.state.to_bits() << 6 | self.flags.0 | a_bit);
        buf.put_u8(self.detect_mult.get());
        // At most 24 + 229 octets by construction of the authentication types.
        buf.put_u8(self.len() as u8);
        buf.put_u32(self.my_discriminator.get());
        buf.put_u32(self.your_discriminator.map_or(0, Discriminator::get));
        buf.put_u32(self.desired_min_tx.0);
        buf.put_u32(self.required_min_rx.0);
        buf.put_u32(self.required_min_echo_rx.0);
        if let Some(auth) = &self.auth {
            auth.encode(buf);
        }
    }

    /// The packet as a fresh buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.len());
        self.encode(&mut buf);
        buf.freeze()
    }

    /// Decodes a UDP payload, applying the packet-only checks of RFC 5880 §6.8.6.
    ///
    /// Octets after the packet's Length are ignored: the RFC discards a packet only when its
    /// Length exceeds the payload. [`ControlPacket::len`] of the result says how many were
    /// read.
    pub fn decode(payload: Bytes) -> Result<ControlPacket, DecodeError> {
        let head: [u8; HEADER_LEN] = match payload.get(..HEADER_LEN) {
            Some(h) => h.try_into().map_err(|_| DecodeError::truncated(payload.len()))?,
            None => return Err(DecodeError::truncated(payload.len())),
        };
        let word =
            |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        // §6.8.6: "If the version number is not correct (1), the packet MUST be discarded."
        let version = head[0] >> 5;
        if version != VERSION {
            return Err(DecodeError::Version { version, offset: 0 });
        }
        let a_bit = head[1] & 0x04 != 0;
        let length = usize::from(head[3]);
        // "If the Length field is less than the minimum correct value (24 if the A bit is
        // clear, or 26 if the A bit is set), the packet MUST be discarded."
        let minimum = if a_bit { HEADER_LEN + 2 } else { HEADER_LEN };
        if length < minimum {
            return Err(DecodeError::LengthTooShort { length: head[3], minimum, offset: 3 });
        }
        // "If the Length field is greater than the payload of the encapsulating protocol,
        // the packet MUST be discarded."
        if length > payload.len() {
            return Err(DecodeError::LengthExceedsPayload {
                length: head[3],
                payload: payload.len(),
                offset: 3,
            });
        }
        // "If the Detect Mult field is zero, the packet MUST be discarded."
        let detect_mult =
            NonZeroU8::new(head[2]).ok_or(DecodeError::DetectMultZero { offset: 2 })?;
        // "If the Multipoint (M) bit is nonzero, the packet MUST be discarded."
        if head[1] & 0x01 != 0 {
            return Err(DecodeError::Multipoint { offset: 1 });
        }
        // "If the My Discriminator field is zero, the packet MUST be discarded."
        let my_discriminator =
            Discriminator::new(word(4)).ok_or(DecodeError::MyDiscriminatorZero { offset: 4 })?;
        let state = State::from_bits(head[1] >> 6);
        let your_discriminator = Discriminator::new(word(8));
        // "If the Your Discriminator field is zero and the State field is not Down or
        // AdminDown, the packet MUST be discarded."
        if your_discriminator.is_none() && !matches!(state, State::Down | State::AdminDown) {
            return Err(DecodeError::YourDiscriminatorZero { state, offset: 8 });
        }
        let packet = payload.slice(..length);
        // The A bit and the section go together; without it, nothing may follow the header.
        let auth = if a_bit {
            Some(Auth::decode(&packet)?)
        } else if length > HEADER_LEN {
            return Err(DecodeError::UnexpectedAuth { length: head[3], offset: 3 });
        } else {
            None
        };
        Ok(ControlPacket {
            diag: Diagnostic(head[0] & 0x1f),
            state,
            flags: Flags::from_octet(head[1]),
            detect_mult,
            my_discriminator,
            your_discriminator,
            desired_min_tx: Interval(word(12)),
            required_min_rx: Interval(word(16)),
            required_min_echo_rx: Interval(word(20)),
            auth,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Bytes {
        Bytes::from(hex::decode(s.replace(' ', "")).expect("test vector is hex"))
    }

    fn check_vector(wire: &str, value: &ControlPacket) {
        let bytes = hex(wire);
        let decoded = ControlPacket::decode(bytes.clone()).expect("vector decodes");
        assert_eq!(&decoded, value);
        let encoded = value.to_bytes();
        assert_eq!(hex::encode(&encoded), hex::encode(&bytes), "encoding differs");
    }

    fn d(v: u32) -> Discriminator {
        Discriminator::new(v).expect("non-zero")
    }

    fn base(state: State) -> ControlPacket {
        ControlPacket {
            diag: Diagnostic::NONE,
            state,
            flags: Flags::EMPTY,
            detect_mult: NonZeroU8::MIN.saturating_add(2),
            my_discriminator: d(1),
            your_discriminator: None,
            desired_min_tx: Interval::from_millis(1000),
            required_min_rx: Interval::from_millis(300),
            required_min_echo_rx: Interval::ZERO,
            auth: None,
        }
    }

    #[test]
    fn down_with_echo_rx() {
        // Down, Detect Mult 3, Length 24, My Discriminator 1, Your Discriminator 0, 1 s TX,
        // 300 ms RX, Echo RX 50 ms.
        let mut p = base(State::Down);
        p.required_min_echo_rx = Interval::from_millis(50);
        check_vector("20 40 03 18 00000001 00000000 000f4240 000493e0 0000c350", &p);
    }

    /// Packets FRR 8.4's bfdd sent in the interop lab, as captured.
    fn frr(state: State, flags: Flags, tx_rx_ms: u32) -> ControlPacket {
        ControlPacket {
            diag: Diagnostic::NONE,
            state,
            flags,
            detect_mult: NonZeroU8::MIN.saturating_add(2),
            my_discriminator: d(0x755b_4e4e),
            your_discriminator: Some(d(0x63cb_e1e4)),
            desired_min_tx: Interval::from_millis(tx_rx_ms),
            required_min_rx: Interval::from_millis(tx_rx_ms),
            required_min_echo_rx: Interval::from_millis(50),
            auth: None,
        }
    }

    #[test]
    fn frr_captured_packets() {
        // Init at the slow rate: both intervals 1 s while not Up.
        check_vector(
            "20800318755b4e4e63cbe1e4000f4240000f42400000c350",
            &frr(State::Init, Flags::EMPTY, 1000),
        );
        // Up, polling for its 300 ms intervals; the Final; the steady state.
        check_vector(
            "20e00318755b4e4e63cbe1e4000493e0000493e00000c350",
            &frr(State::Up, Flags::POLL, 300),
        );
        check_vector(
            "20d00318755b4e4e63cbe1e4000493e0000493e00000c350",
            &frr(State::Up, Flags::FINAL, 300),
        );
        check_vector(
            "20c00318755b4e4e63cbe1e4000493e0000493e00000c350",
            &frr(State::Up, Flags::EMPTY, 300),
        );
        // Down after its detection time expired: diag 1, Your Discriminator forgotten.
        let mut down = frr(State::Down, Flags::EMPTY, 300);
        down.diag = Diagnostic::CONTROL_DETECTION_TIME_EXPIRED;
        down.your_discriminator = None;
        check_vector("21400318755b4e4e00000000000493e0000493e00000c350", &down);
    }

    #[test]
    fn up_with_poll_and_diag() {
        let mut p = base(State::Up);
        p.diag = Diagnostic::CONTROL_DETECTION_TIME_EXPIRED;
        p.flags = Flags::POLL;
        p.your_discriminator = Some(d(0x1234_5678));
        p.desired_min_tx = Interval::from_millis(300);
        check_vector("21 e0 03 18 00000001 12345678 000493e0 000493e0 00000000", &p);
    }

    #[test]
    fn final_and_demand_flags() {
        let mut p = base(State::Init);
        p.flags = Flags::FINAL.with(Flags::DEMAND).with(Flags::CONTROL_PLANE_INDEPENDENT);
        p.your_discriminator = Some(d(2));
        check_vector("20 9a 03 18 00000001 00000002 000f4240 000493e0 00000000", &p);
    }

    #[test]
    fn simple_password() {
        let mut p = base(State::Down);
        p.auth = Some(Auth::SimplePassword(
            PasswordAuth::new(5, Bytes::from_static(b"secret")).expect("valid"),
        ));
        // Length 24 + 9; A bit (0x04) with state Down (0x40).
        check_vector(
            "20 44 03 21 00000001 00000000 000f4240 000493e0 00000000 01 09 05 736563726574",
            &p,
        );
    }

    #[test]
    fn keyed_sha1_section() {
        let mut p = base(State::Down);
        p.auth = Some(Auth::MeticulousKeyedSha1(Sha1Auth {
            key_id: 1,
            reserved: 0,
            sequence: 0x0102_0304,
            digest: [0xaa; 20],
        }));
        check_vector(
            "20 44 03 34 00000001 00000000 000f4240 000493e0 00000000 \
             05 1c 01 00 01020304 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            &p,
        );
    }

    #[test]
    fn keyed_md5_section_round_trips() {
        let mut p = base(State::Down);
        p.auth = Some(Auth::KeyedMd5(Md5Auth {
            key_id: 9,
            reserved: 0,
            sequence: 7,
            digest: [0x11; 16],
        }));
        check_vector(
            "20 44 03 30 00000001 00000000 000f4240 000493e0 00000000 \
             02 18 09 00 00000007 11111111111111111111111111111111",
            &p,
        );
    }

    #[test]
    fn unknown_auth_type_is_kept() {
        let mut p = base(State::Down);
        p.auth = Some(Auth::Unknown(
            UnknownAuth::new(AuthType(99), Bytes::from_static(&[1, 2, 3])).expect("valid"),
        ));
        check_vector("20 44 03 1d 00000001 00000000 000f4240 000493e0 00000000 63 05 010203", &p);
    }

    fn err(wire: &str) -> DecodeError {
        ControlPacket::decode(hex(wire)).expect_err("must be discarded")
    }

    #[test]
    fn discards_per_6_8_6() {
        let ok = "20 40 03 18 00000001 00000000 000f4240 000493e0 00000000";
        assert!(ControlPacket::decode(hex(ok)).is_ok());
        assert!(matches!(
            err("40 40 03 18 00000001 00000000 000f4240 000493e0 00000000"),
            DecodeError::Version { version: 2, .. }
        ));
        assert!(matches!(
            err("20 40 03 17 00000001 00000000 000f4240 000493e0 00000000"),
            DecodeError::LengthTooShort { length: 23, minimum: 24, .. }
        ));
        assert!(matches!(
            err("20 44 03 19 00000001 00000000 000f4240 000493e0 00000000 01"),
            DecodeError::LengthTooShort { minimum: 26, .. }
        ));
        assert!(matches!(
            err("20 40 03 19 00000001 00000000 000f4240 000493e0 00000000"),
            DecodeError::LengthExceedsPayload { length: 25, payload: 24, .. }
        ));
        assert!(matches!(
            err("20 40 00 18 00000001 00000000 000f4240 000493e0 00000000"),
            DecodeError::DetectMultZero { .. }
        ));
        assert!(matches!(
            err("20 41 03 18 00000001 00000000 000f4240 000493e0 00000000"),
            DecodeError::Multipoint { .. }
        ));
        assert!(matches!(
            err("20 40 03 18 00000000 00000000 000f4240 000493e0 00000000"),
            DecodeError::MyDiscriminatorZero { .. }
        ));
        assert!(matches!(
            err("20 c0 03 18 00000001 00000000 000f4240 000493e0 00000000"),
            DecodeError::YourDiscriminatorZero { state: State::Up, .. }
        ));
        assert!(matches!(
            err("20 80 03 18 00000001 00000000 000f4240 000493e0 00000000"),
            DecodeError::YourDiscriminatorZero { state: State::Init, .. }
        ));
        // AdminDown with Your Discriminator zero is fine.
        assert!(ControlPacket::decode(hex(
            "20 00 03 18 00000001 00000000 000f4240 000493e0 00000000"
        ))
        .is_ok());
        // Auth section without the A bit.
        assert!(matches!(
            err("20 40 03 1a 00000001 00000000 000f4240 000493e0 00000000 0102"),
            DecodeError::UnexpectedAuth { .. }
        ));
        // Auth Len disagreeing with Length.
        assert!(matches!(
            err("20 44 03 1c 00000001 00000000 000f4240 000493e0 00000000 01 05 01 6162"),
            DecodeError::AuthLen { .. }
        ));
        // Password too long for a SHA1 section length.
        assert!(matches!(
            err("20 44 03 1b 00000001 00000000 000f4240 000493e0 00000000 04 03 01"),
            DecodeError::AuthLen { auth_type: 4, .. }
        ));
        // Empty password.
        assert!(matches!(
            err("20 44 03 1b 00000001 00000000 000f4240 000493e0 00000000 01 03 01"),
            DecodeError::AuthLen { auth_type: 1, .. }
        ));
        assert!(matches!(err("20 40 03"), DecodeError::Truncated { available: 3, .. }));
    }

    #[test]
    fn trailing_octets_after_length_are_ignored() {
        let p = ControlPacket::decode(hex(
            "20 40 03 18 00000001 00000000 000f4240 000493e0 00000000 ffff",
        ))
        .expect("decodes");
        assert_eq!(p.len(), 24);
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        fn state() -> impl Strategy<Value = State> {
            (0u8..4).prop_map(State::from_bits)
        }

        fn auth() -> impl Strategy<Value = Auth> {
            prop_oneof![
                (any::<u8>(), proptest::collection::vec(any::<u8>(), 1..=16)).prop_map(|(k, p)| {
                    Auth::SimplePassword(PasswordAuth::new(k, p.into()).expect("1..=16"))
                }),
                (any::<u8>(), any::<u8>(), any::<u32>(), any::<[u8; 16]>()).prop_map(
                    |(key_id, reserved, sequence, digest)| Auth::KeyedMd5(Md5Auth {
                        key_id,
                        reserved,
                        sequence,
                        digest
                    })
                ),
                (any::<u8>(), any::<u8>(), any::<u32>(), any::<[u8; 16]>()).prop_map(
                    |(key_id, reserved, sequence, digest)| Auth::MeticulousKeyedMd5(Md5Auth {
                        key_id,
                        reserved,
                        sequence,
                        digest
                    })
                ),
                (any::<u8>(), any::<u8>(), any::<u32>(), any::<[u8; 20]>()).prop_map(
                    |(key_id, reserved, sequence, digest)| Auth::KeyedSha1(Sha1Auth {
                        key_id,
                        reserved,
                        sequence,
                        digest
                    })
                ),
                (any::<u8>(), any::<u8>(), any::<u32>(), any::<[u8; 20]>()).prop_map(
                    |(key_id, reserved, sequence, digest)| Auth::MeticulousKeyedSha1(Sha1Auth {
                        key_id,
                        reserved,
                        sequence,
                        digest
                    })
                ),
                (6u8.., proptest::collection::vec(any::<u8>(), 0..=UnknownAuth::MAX_LEN)).prop_map(
                    |(t, d)| Auth::Unknown(
                        UnknownAuth::new(AuthType(t), d.into()).expect("unknown type")
                    )
                ),
            ]
        }

        prop_compose! {
            fn packet()(
                state in state(),
                diag in 0u8..32,
                flags in any::<u8>(),
                detect_mult in 1u8..,
                my in 1u32..,
                your in any::<u32>(),
                tx in any::<u32>(),
                rx in any::<u32>(),
                echo in any::<u32>(),
                auth in proptest::option::of(auth()),
            ) -> ControlPacket {
                let your = match state {
                    State::Down | State::AdminDown => Discriminator::new(your),
                    _ => Discriminator::new(your.max(1)),
                };
                ControlPacket {
                    diag: Diagnostic::new(diag).expect("5 bits"),
                    state,
                    flags: Flags::from_octet(flags),
                    detect_mult: NonZeroU8::new(detect_mult).expect("non-zero"),
                    my_discriminator: Discriminator::new(my).expect("non-zero"),
                    your_discriminator: your,
                    desired_min_tx: Interval(tx),
                    required_min_rx: Interval(rx),
                    required_min_echo_rx: Interval(echo),
                    auth,
                }
            }
        }

        proptest! {
            #[test]
            fn round_trip(p in packet()) {
                let bytes = p.to_bytes();
                prop_assert_eq!(bytes.len(), p.len());
                let back = ControlPacket::decode(bytes.clone()).expect("decodes");
                prop_assert_eq!(&back, &p);
                prop_assert_eq!(back.to_bytes(), bytes);
            }

            #[test]
            fn decode_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
                let bytes = Bytes::from(data);
                if let Ok(p) = ControlPacket::decode(bytes.clone()) {
                    prop_assert_eq!(p.to_bytes(), bytes.slice(..p.len()));
                }
            }
        }
    }
}

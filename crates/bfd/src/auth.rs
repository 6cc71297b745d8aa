//! Authentication (RFC 5880 §6.7): Simple Password, Keyed SHA1 and Meticulous Keyed SHA1.
//!
//! Keyed MD5 sections decode and encode (see [`crate::packet::Auth`]) but cannot be
//! configured: MD5 is the weaker of the two digests the RFC offers, and SHA1 is what current
//! implementations pair with it.

use bytes::{Bytes, BytesMut};
use sha1::{Digest, Sha1};

use crate::error::{AuthError, ConfigError};
use crate::packet::{Auth, AuthType, ControlPacket, PasswordAuth, Sha1Auth};

/// The authentication a session sends and requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMode {
    /// Simple Password (§6.7.2): the password in clear.
    SimplePassword,
    /// Keyed SHA1 (§6.7.4): a digest over the packet and key; the sequence number may stay
    /// the same between packets.
    KeyedSha1,
    /// Meticulous Keyed SHA1 (§6.7.4): as Keyed SHA1, with the sequence number increased in
    /// every packet.
    MeticulousKeyedSha1,
}

impl AuthMode {
    /// The Auth Type sent.
    pub fn auth_type(self) -> AuthType {
        match self {
            AuthMode::SimplePassword => AuthType::SIMPLE_PASSWORD,
            AuthMode::KeyedSha1 => AuthType::KEYED_SHA1,
            AuthMode::MeticulousKeyedSha1 => AuthType::METICULOUS_KEYED_SHA1,
        }
    }

    fn max_key_len(self) -> usize {
        match self {
            AuthMode::SimplePassword => PasswordAuth::MAX_LEN,
            AuthMode::KeyedSha1 | AuthMode::MeticulousKeyedSha1 => SHA1_LEN,
        }
    }
}

const SHA1_LEN: usize = 20;

/// One authentication key: its mode, id and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthConfig {
    mode: AuthMode,
    key_id: u8,
    secret: Secret,
}

/// The key in the form it is used: a password section ready to send, or a SHA1 key padded to
/// 20 octets.
#[derive(Clone, PartialEq, Eq)]
enum Secret {
    Password(PasswordAuth),
    Sha1([u8; SHA1_LEN]),
}

impl core::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("mode", &self.mode)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl AuthConfig {
    /// A key: 1 to 16 octets for a password, 1 to 20 for SHA1 (shorter SHA1 keys are padded
    /// with zeros, §6.7.4).
    pub fn new(
        mode: AuthMode,
        key_id: u8,
        key: impl Into<Bytes>,
    ) -> Result<AuthConfig, ConfigError> {
        let key = key.into();
        let max = mode.max_key_len();
        if key.is_empty() || key.len() > max {
            return Err(ConfigError::KeyLength { len: key.len(), max });
        }
        let secret = match mode {
            AuthMode::SimplePassword => match PasswordAuth::new(key_id, key) {
                Some(p) => Secret::Password(p),
                None => return Err(ConfigError::KeyLength { len: 0, max }),
            },
            AuthMode::KeyedSha1 | AuthMode::MeticulousKeyedSha1 => {
                // §6.7.4: "If the key is less than 20 bytes, pad with zeros."
                let mut k = [0u8; SHA1_LEN];
                for (dst, src) in k.iter_mut().zip(key.iter()) {
                    *dst = *src;
                }
                Secret::Sha1(k)
            }
        };
        Ok(AuthConfig { mode, key_id, secret })
    }

    /// The mode.
    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// The key id.
    pub fn key_id(&self) -> u8 {
        self.key_id
    }
}

/// Receive-side sequence state (§6.8.1 bfd.RcvAuthSeq, bfd.AuthSeqKnown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RxSeq {
    /// The last sequence number accepted, once one has been.
    pub(crate) last: Option<u32>,
}

/// Checks the authentication of `packet`, decoded from `raw` (exactly its Length). Returns
/// the sequence number to record on success.
pub(crate) fn verify(
    config: Option<&AuthConfig>,
    packet: &ControlPacket,
    raw: &[u8],
    rx: RxSeq,
) -> Result<Option<u32>, AuthError> {
    let (config, auth) = match (config, &packet.auth) {
        (None, None) => return Ok(None),
        // §6.8.6: "If the A bit is set and no authentication is in use (bfd.AuthType is
        // zero), the packet MUST be discarded." and the converse.
        (None, Some(a)) => return Err(AuthError::Unexpected(a.auth_type())),
        (Some(_), None) => return Err(AuthError::Missing),
        (Some(c), Some(a)) => (c, a),
    };
    let expected = config.mode.auth_type();
    if auth.auth_type() != expected {
        return Err(AuthError::WrongType { received: auth.auth_type(), expected });
    }
    match (auth, &config.secret) {
        (Auth::SimplePassword(p), Secret::Password(ours)) => {
            // §6.7.2: the key id must name a configured key and the password must match it.
            check_key_id(p.key_id, config)?;
            if !ct_eq(p.password(), ours.password()) {
                return Err(AuthError::Mismatch);
            }
            Ok(None)
        }
        (Auth::KeyedSha1(s) | Auth::MeticulousKeyedSha1(s), Secret::Sha1(key)) => {
            check_key_id(s.key_id, config)?;
            let meticulous = config.mode == AuthMode::MeticulousKeyedSha1;
            check_sequence(s.sequence, rx, meticulous, packet.detect_mult.get())?;
            // "replace the contents of the Auth Key/Hash field with the authentication key
            // selected by the received Auth Key ID field ... Calculate a SHA-1 hash over the
            // entire BFD Control packet"
            let digest = sha1_with_key(raw, key).ok_or(AuthError::Mismatch)?;
            if !ct_eq(&digest, &s.digest) {
                return Err(AuthError::Mismatch);
            }
            Ok(Some(s.sequence))
        }
        // A type that does not match the configured one was refused above.
        _ => Err(AuthError::WrongType { received: auth.auth_type(), expected }),
    }
}

fn check_key_id(received: u8, config: &AuthConfig) -> Result<(), AuthError> {
    if received == config.key_id {
        Ok(())
    } else {
        Err(AuthError::WrongKeyId { received, expected: config.key_id })
    }
}

/// §6.7.4: once a sequence number is known, a Keyed SHA1 packet must carry one in
/// `last ..= last + 3 * DetectMult` and a Meticulous one in `last + 1 ..= last + 3 *
/// DetectMult`, in circular 32-bit space. Detect Mult is the sender's (from the packet):
/// it bounds how many packets the sender sends in one detection time.
fn check_sequence(
    received: u32,
    rx: RxSeq,
    meticulous: bool,
    detect_mult: u8,
) -> Result<(), AuthError> {
    let Some(last) = rx.last else { return Ok(()) };
    let low = if meticulous { last.wrapping_add(1) } else { last };
    let high = last.wrapping_add(3 * u32::from(detect_mult));
    if received.wrapping_sub(low) <= high.wrapping_sub(low) {
        Ok(())
    } else {
        Err(AuthError::Sequence { received, low, high })
    }
}

/// SHA-1 over `raw` with its last 20 octets (the Auth Key/Hash field) replaced by `key`.
fn sha1_with_key(raw: &[u8], key: &[u8; SHA1_LEN]) -> Option<[u8; SHA1_LEN]> {
    let split = raw.len().checked_sub(SHA1_LEN)?;
    let mut h = Sha1::new();
    h.update(raw.get(..split)?);
    h.update(key);
    Some(h.finalize().into())
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The authentication section to put in an outgoing packet, before signing.
pub(crate) fn section(config: &AuthConfig, sequence: u32) -> Auth {
    match &config.secret {
        Secret::Password(p) => Auth::SimplePassword(p.clone()),
        Secret::Sha1(key) => {
            // The key stands in the hash field until `encode_signed` replaces it.
            let s = Sha1Auth { key_id: config.key_id, reserved: 0, sequence, digest: *key };
            if config.mode == AuthMode::MeticulousKeyedSha1 {
                Auth::MeticulousKeyedSha1(s)
            } else {
                Auth::KeyedSha1(s)
            }
        }
    }
}

/// Encodes `packet` (whose section came from [`section`]) and, for SHA1, writes the digest
/// computed over the packet with the key in its place (§6.7.4 transmission).
pub(crate) fn encode_signed(packet: &ControlPacket, buf: &mut BytesMut) {
    let start = buf.len();
    packet.encode(buf);
    if matches!(packet.auth, Some(Auth::KeyedSha1(_) | Auth::MeticulousKeyedSha1(_))) {
        let out = &mut buf[start..];
        let mut h = Sha1::new();
        h.update(&*out);
        let digest: [u8; SHA1_LEN] = h.finalize().into();
        let at = out.len() - SHA1_LEN;
        out[at..].copy_from_slice(&digest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_window_keyed_and_meticulous() {
        let rx = RxSeq { last: Some(100) };
        assert!(check_sequence(100, rx, false, 3).is_ok());
        assert!(check_sequence(109, rx, false, 3).is_ok());
        assert!(check_sequence(110, rx, false, 3).is_err());
        assert!(check_sequence(99, rx, false, 3).is_err());
        assert!(check_sequence(100, rx, true, 3).is_err());
        assert!(check_sequence(101, rx, true, 3).is_ok());
        // Circular: the window wraps past u32::MAX.
        let rx = RxSeq { last: Some(u32::MAX - 1) };
        assert!(check_sequence(3, rx, true, 2).is_ok());
        assert!(check_sequence(5, rx, true, 2).is_err());
        assert!(check_sequence(u32::MAX - 1, rx, true, 2).is_err());
        // Unknown: anything goes.
        assert!(check_sequence(12345, RxSeq::default(), true, 1).is_ok());
    }

    #[test]
    fn key_lengths() {
        assert!(AuthConfig::new(AuthMode::SimplePassword, 1, &b""[..]).is_err());
        assert!(AuthConfig::new(AuthMode::SimplePassword, 1, vec![0u8; 17]).is_err());
        assert!(AuthConfig::new(AuthMode::SimplePassword, 1, vec![0u8; 16]).is_ok());
        assert!(AuthConfig::new(AuthMode::KeyedSha1, 1, vec![0u8; 20]).is_ok());
        assert!(AuthConfig::new(AuthMode::KeyedSha1, 1, vec![0u8; 21]).is_err());
    }
}

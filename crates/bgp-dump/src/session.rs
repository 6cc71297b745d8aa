//! What each captured session negotiated, from its two OPENs, as decode contexts.
//!
//! A capture may start after the OPENs. Then the context is guessed: the message is decoded
//! under each plausible context (2- or 4-octet AS, with or without ADD-PATH) and the first
//! that decodes cleanly is kept, marked as a guess.

use bytes::Bytes;
use std::collections::HashMap;
use std::net::SocketAddr;

use bgp_wire::message::Message;
use bgp_wire::open::{negotiate, Open};
use bgp_wire::{Context, Error, Family, FamilySet};

/// One message decoded with the context of its direction.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The message octets, header included.
    pub bytes: Bytes,
    /// The context it was decoded with.
    pub context: Context,
    /// True when the context was guessed rather than negotiated from two OPENs.
    pub guessed: bool,
    /// The result.
    pub result: Result<Message, Error>,
}

/// OPENs seen per direction, keyed by (sender, receiver).
#[derive(Default)]
pub struct Sessions {
    opens: HashMap<(SocketAddr, SocketAddr), Open>,
}

impl Sessions {
    /// No session seen yet.
    pub fn new() -> Sessions {
        Sessions::default()
    }

    /// The context for messages from `src` to `dst`, when both OPENs were seen.
    ///
    /// The receiver is the "local" side of [`negotiate`]: its `receive` context is how the
    /// sender's messages are encoded (ADD-PATH is per direction, RFC 7911 §4).
    pub fn context(&self, src: SocketAddr, dst: SocketAddr) -> Option<Context> {
        let sender = self.opens.get(&(src, dst))?;
        let receiver = self.opens.get(&(dst, src))?;
        Some(negotiate(receiver, sender).receive)
    }

    /// Decodes one message from `src` to `dst`, remembering OPENs.
    pub fn decode(&mut self, src: SocketAddr, dst: SocketAddr, bytes: Bytes) -> Decoded {
        let decoded = match self.context(src, dst) {
            Some(ctx) => {
                let result = Message::decode(bytes.clone(), &ctx);
                Decoded { bytes, context: ctx, guessed: false, result }
            }
            None => guess(bytes),
        };
        if let Ok(Message::Open(o)) = &decoded.result {
            self.opens.insert((src, dst), o.clone());
        }
        decoded
    }
}

/// The contexts tried, in order, when the OPENs were not captured.
pub fn guesses() -> Vec<Context> {
    let add_path: FamilySet = [Family::IPV4_UNICAST, Family::IPV6_UNICAST].into_iter().collect();
    let mut v = Vec::new();
    for ap in [false, true] {
        for four in [false, true] {
            v.push(Context {
                four_octet_as: four,
                extended_message: true,
                add_path: if ap { add_path.clone() } else { FamilySet::new() },
                extended_next_hop: FamilySet::new(),
            });
        }
    }
    v
}

/// Decodes under each guessed context; keeps the first clean decode, else the decode with the
/// fewest attribute issues, else the first error.
pub fn guess(bytes: Bytes) -> Decoded {
    let mut best: Option<(usize, Decoded)> = None;
    for ctx in guesses() {
        let result = Message::decode(bytes.clone(), &ctx);
        let issues = match &result {
            Ok(Message::Update(u)) => u.issues().len(),
            Ok(_) => 0,
            Err(_) => usize::MAX,
        };
        let d = Decoded { bytes: bytes.clone(), context: ctx, guessed: true, result };
        if issues == 0 {
            return d;
        }
        if best.as_ref().is_none_or(|(n, _)| issues < *n) {
            best = Some((issues, d));
        }
    }
    match best {
        Some((_, d)) => d,
        None => Decoded {
            result: Message::decode(bytes.clone(), &Context::legacy()),
            bytes,
            context: Context::legacy(),
            guessed: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::capability::Capability;
    use bgp_wire::types::Asn;
    use bytes::BytesMut;
    use std::net::Ipv4Addr;

    fn open_bytes(asn: u32, caps: Vec<Capability>) -> Bytes {
        let o = Open::new(Asn(asn), 90, Ipv4Addr::new(192, 0, 2, 1), caps);
        let mut b = BytesMut::new();
        o.encode(&Context::legacy(), &mut b);
        b.freeze()
    }

    #[test]
    fn negotiates_from_two_opens() {
        let a = SocketAddr::from(([10, 0, 0, 1], 179));
        let b = SocketAddr::from(([10, 0, 0, 2], 40000));
        let mut s = Sessions::new();
        let d = s.decode(a, b, open_bytes(65001, vec![Capability::FourOctetAs(Asn(65001))]));
        assert!(d.guessed && d.result.is_ok());
        assert_eq!(s.context(a, b), None);
        s.decode(b, a, open_bytes(70000, vec![Capability::FourOctetAs(Asn(70000))]));
        let ctx = s.context(a, b).unwrap();
        assert!(ctx.four_octet_as);
        // A 2-octet-only peer: no 4-octet AS either way.
        s.decode(b, a, open_bytes(65002, vec![]));
        assert!(!s.context(a, b).unwrap().four_octet_as);
    }

    /// RFC 7911 §4: path identifiers flow from the side that can send to the side that can
    /// receive, per direction.
    #[test]
    fn add_path_per_direction() {
        use bgp_wire::capability::{AddPathDirection, AddPathFamily};
        let a = SocketAddr::from(([10, 0, 0, 1], 179));
        let b = SocketAddr::from(([10, 0, 0, 2], 40000));
        let ap = |d| {
            Capability::AddPath(vec![AddPathFamily { family: Family::IPV4_UNICAST, direction: d }])
        };
        let mut s = Sessions::new();
        s.decode(a, b, open_bytes(65001, vec![ap(AddPathDirection::SEND)]));
        s.decode(b, a, open_bytes(65002, vec![ap(AddPathDirection::RECEIVE)]));
        assert!(s.context(a, b).unwrap().has_path_id(Family::IPV4_UNICAST));
        assert!(!s.context(b, a).unwrap().has_path_id(Family::IPV4_UNICAST));
    }
}

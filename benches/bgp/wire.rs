//! bgp-wire made to do the same work as the other parsers: decode every message, then read
//! every announced prefix, the AS path length and the next hop.

use std::net::IpAddr;

use benches::support::raw::Corpus;
use benches::support::wire::next_hop_address;
use bgp_wire::attribute::set::Octets;
use bgp_wire::message::Message;
use bgp_wire::update::{Update, UpdateRef};
use bgp_wire::Context;

use super::touch::Touch;

/// `Message::decode` on a `Bytes` of each message (header checked, then the UPDATE; the
/// `Bytes` shares the corpus' buffer: one reference-count increment and decrement per
/// message), then [`read`].
pub fn decode(corpus: &Corpus, ctx: &Context) -> Touch {
    let mut touch = Touch::default();
    for range in &corpus.messages {
        let msg = corpus.bytes.slice(range.clone());
        match Message::decode(msg, ctx) {
            Ok(Message::Update(update)) => read(&update, &mut touch),
            _ => touch.errors += 1,
        }
    }
    touch
}

/// `UpdateRef::decode_message` on a borrowed `&[u8]` of each message (the same checks as
/// [`decode`], header included, with no reference count: how netgauze and zettabgp are
/// given their input), then [`read`].
pub fn decode_borrowed(corpus: &Corpus, ctx: &Context) -> Touch {
    let mut touch = Touch::default();
    for range in &corpus.messages {
        let msg = corpus.bytes.get(range.clone()).unwrap_or(&[]);
        match UpdateRef::decode_message(msg, ctx) {
            Ok(update) => read(&update, &mut touch),
            Err(_) => touch.errors += 1,
        }
    }
    touch
}

/// The lazy iterators over NLRI and MP_REACH_NLRI, the AS_PATH's number of AS numbers
/// (`Attributes::as_path_ref`, a view that walks the segments without allocating) and the
/// next hop.
fn read<B: Octets>(update: &Update<B>, touch: &mut Touch) {
    touch.errors += update.issues().len();
    let attrs = update.attributes();
    touch.path(attrs.as_path_ref().map_or(0, |p| p.asn_count()));
    if let Some(nh) = attrs.next_hop() {
        touch.next_hop(IpAddr::V4(nh));
    }
    for n in update.nlri() {
        touch.prefix(n.prefix);
    }
    if let Some(mp) = update.mp_reach() {
        if let Some(nh) = next_hop_address(&mp.next_hop()) {
            touch.next_hop(nh);
        }
        for n in mp.routes() {
            touch.prefix(n.prefix);
        }
    }
}

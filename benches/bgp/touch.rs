//! What every decoder must produce from a corpus, so that all of them do comparable work and
//! their results can be checked against each other.

use std::net::IpAddr;

use ipnet::IpNet;

/// A fold over the decoded data: counts plus a checksum of every prefix, AS path length and
/// next hop, identical for any correct decoder of the same corpus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Touch {
    /// Announced prefixes seen.
    pub prefixes: usize,
    /// AS path hops seen, summed over messages.
    pub hops: usize,
    /// Next hops seen.
    pub next_hops: usize,
    /// Messages the decoder refused.
    pub errors: usize,
    /// A checksum of prefix addresses and lengths, and of next hops.
    pub checksum: u64,
}

impl Touch {
    /// Folds in one announced prefix.
    #[inline]
    pub fn prefix(&mut self, p: IpNet) {
        self.prefix_parts(p.addr(), p.prefix_len());
    }

    /// Folds in one announced prefix given as address and length.
    #[inline]
    pub fn prefix_parts(&mut self, addr: IpAddr, len: u8) {
        self.prefixes += 1;
        self.checksum = self.checksum.wrapping_add(fold(addr) ^ u64::from(len));
    }

    /// Folds in the length of an AS path in hops.
    #[inline]
    pub fn path(&mut self, hops: usize) {
        self.hops += hops;
    }

    /// Folds in a next hop (for MP_REACH_NLRI, its global address).
    #[inline]
    pub fn next_hop(&mut self, addr: IpAddr) {
        self.next_hops += 1;
        self.checksum = self.checksum.wrapping_add(fold(addr).rotate_left(7));
    }
}

#[inline]
fn fold(addr: IpAddr) -> u64 {
    match addr {
        IpAddr::V4(a) => u64::from(u32::from(a)),
        IpAddr::V6(a) => {
            let v = u128::from(a);
            (v >> 64) as u64 ^ v as u64
        }
    }
}

//! Connection collision resolution (RFC 4271 §6.8).

use std::net::Ipv4Addr;

/// Who opened a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// We connected to the peer (`Action::Connect`, then `handle_connected`).
    Outbound,
    /// The peer connected to us (`handle_incoming`).
    Inbound,
}

/// Which of two connections to the same peer survives.
///
/// RFC 4271 §6.8: "If the value of the local BGP Identifier is less than the remote one, the
/// local system closes the BGP connection that already exists (the one that is already in the
/// OpenConfirm state), and accepts the BGP connection initiated by the remote system.
/// Otherwise, the local system closes the newly created BGP connection (the one associated with
/// the newly received OPEN message), and continues to use the existing one". The comparison
/// treats the identifiers "as 4-octet unsigned integers"; in effect the connection opened by
/// the speaker with the higher identifier survives, so both ends pick the same one.
///
/// Returns the direction of the connection to close.
pub fn loser(local_id: Ipv4Addr, remote_id: Ipv4Addr) -> Direction {
    if u32::from(local_id) < u32::from(remote_id) {
        Direction::Outbound
    } else {
        Direction::Inbound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_agree() {
        let a = Ipv4Addr::new(10, 0, 0, 1);
        let b = Ipv4Addr::new(10, 0, 0, 2);
        // a closes its outbound connection, which is b's inbound: the same TCP connection.
        assert_eq!(loser(a, b), Direction::Outbound);
        assert_eq!(loser(b, a), Direction::Inbound);
    }

    #[test]
    fn compared_as_unsigned_integers() {
        // 128.0.0.1 > 127.255.255.255 as u32 (a signed comparison would disagree).
        let hi = Ipv4Addr::new(128, 0, 0, 1);
        let lo = Ipv4Addr::new(127, 255, 255, 255);
        assert_eq!(loser(lo, hi), Direction::Outbound);
        assert_eq!(loser(hi, lo), Direction::Inbound);
    }
}

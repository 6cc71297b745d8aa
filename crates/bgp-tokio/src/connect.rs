//! Outbound connections and the socket options of accepted ones.

use crate::config::Transport;
use crate::sockopt::{self, Md5Key};
use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};
use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use tokio::net::{TcpSocket, TcpStream};

/// The MD5 key of `transport` for `peer`, if any.
pub fn md5_key(transport: &Transport, peer: IpAddr) -> Option<Md5Key> {
    transport.md5_password.as_ref().map(|p| Md5Key {
        addr: peer,
        prefix_len: None,
        ifindex: None,
        key: p.as_bytes().to_vec(),
    })
}

/// The local address to bind before connecting to `peer`, when one is configured in the
/// same family. A link-local IPv6 source takes the peer's scope.
fn source_for(transport: &Transport, peer: SocketAddr) -> Option<SocketAddr> {
    match (transport.source?, peer) {
        (IpAddr::V4(a), SocketAddr::V4(_)) => Some(SocketAddr::new(IpAddr::V4(a), 0)),
        (IpAddr::V6(a), SocketAddr::V6(p)) => {
            let scope = if bgp_fsm::ra::is_link_local(a) { p.scope_id() } else { 0 };
            Some(SocketAddr::V6(SocketAddrV6::new(a, 0, 0, scope)))
        }
        _ => None,
    }
}

/// A socket ready to connect to `peer`: interface binding, source address, TCP-MD5 and TTL
/// options are set before the SYN leaves.
pub fn prepare(peer: SocketAddr, transport: &Transport) -> io::Result<Socket> {
    let v6 = peer.is_ipv6();
    let s = Socket::new(Domain::for_address(peer), Type::STREAM, Some(Protocol::TCP))?;
    s.set_nonblocking(true)?;
    if let Some(dev) = &transport.bind_device {
        s.bind_device(Some(dev.as_bytes()))?;
    }
    if let Some(src) = source_for(transport, peer) {
        s.bind(&SockAddr::from(src))?;
    }
    if let Some(key) = md5_key(transport, peer.ip()) {
        sockopt::set_md5(&s, v6, &key)?;
    }
    sockopt::set_ttl_mode(&s, v6, transport.ttl)?;
    Ok(s)
}

/// Connects to `peer` with the transport's settings.
pub async fn connect(peer: SocketAddr, transport: &Transport) -> io::Result<TcpStream> {
    let s = prepare(peer, transport)?;
    let socket = TcpSocket::from_std_stream(std::net::TcpStream::from(s));
    socket.connect(peer).await
}

/// Checks and sets the TTL options of an accepted connection (TCP-MD5 was on the
/// listener). Under GTSM the connection's SYN must have come with at least `256 - hops`
/// (the listener keeps SYNs for this, see [`sockopt::set_save_syn`]), and the minimum TTL
/// is set for the rest of its segments. An error means the connection must be closed
/// before a session sees it: GTSM fails closed.
pub fn accepted(stream: &TcpStream, transport: &Transport) -> io::Result<()> {
    let s = SockRef::from(stream);
    let v6 = stream.local_addr()?.is_ipv6();
    if let sockopt::TtlMode::Security { hops } = transport.ttl {
        // RFC 5082 §3: "If the TTL value is not greater than or equal to (255 - TrustRadius),
        // then the packet MUST be discarded".
        let ttl = sockopt::saved_syn_ttl(&s)?;
        if !sockopt::gtsm_accepts(ttl, hops) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "GTSM: SYN arrived with TTL {ttl}, {hops} hop(s) allow no less than {}",
                    256 - u16::from(hops)
                ),
            ));
        }
    }
    sockopt::set_ttl_mode(&s, v6, transport.ttl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn source_only_in_the_peer_family() {
        let mut t =
            Transport { source: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), ..Default::default() };
        let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 179);
        let v6 = SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2),
            179,
            0,
            4,
        ));
        assert_eq!(source_for(&t, v4), Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)));
        assert_eq!(source_for(&t, v6), None);
        t.source = Some(IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)));
        match source_for(&t, v6) {
            Some(SocketAddr::V6(a)) => assert_eq!(a.scope_id(), 4),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn md5_on_both_ends_connects_over_loopback() {
        let t = Transport { md5_password: Some("s3cret".into()), ..Default::default() };
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let key = md5_key(&t, IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        sockopt::set_md5(&SockRef::from(&l), false, &key).unwrap();
        let addr = l.local_addr().unwrap();
        let (c, a) = tokio::join!(connect(addr, &t), l.accept());
        assert!(c.is_ok() && a.is_ok());
    }

    #[tokio::test]
    async fn md5_on_one_end_only_does_not_connect() {
        let t = Transport { md5_password: Some("s3cret".into()), ..Default::default() };
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        // The listener has no key: Linux drops a signed SYN it has no key for, so no connection.
        let r =
            tokio::time::timeout(std::time::Duration::from_millis(1500), connect(addr, &t)).await;
        assert!(r.is_err() || r.is_ok_and(|c| c.is_err()));
    }

    /// GTSM checked on an accepted connection: the listener keeps each SYN
    /// ([`sockopt::set_save_syn`]), and a connection whose SYN came with less than
    /// `256 - hops` is refused, before a session sees it; one with TTL 255 is accepted and
    /// gets the minimum TTL for the rest of its segments. Loopback does not decrement the TTL.
    #[tokio::test]
    async fn gtsm_refuses_an_accepted_connection_whose_syn_came_from_afar() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gtsm = crate::sockopt::TtlMode::Security { hops: 1 };
        sockopt::set_save_syn(&SockRef::from(&l)).unwrap();
        let addr = l.local_addr().unwrap();
        let secured = Transport { ttl: gtsm, ..Default::default() };
        for (ttl, ok) in [(64, false), (254, false), (255, true)] {
            let plain =
                Transport { ttl: crate::sockopt::TtlMode::Multihop(ttl), ..Default::default() };
            let (c, a) = tokio::join!(connect(addr, &plain), l.accept());
            assert!(c.is_ok(), "the handshake itself completes");
            let (stream, _) = a.unwrap();
            let r = accepted(&stream, &secured);
            assert_eq!(r.is_ok(), ok, "SYN with TTL {ttl}: {r:?}");
            if ok {
                let min: libc::c_int =
                    sockopt::getsockopt(&SockRef::from(&stream), libc::IPPROTO_IP, libc::IP_MINTTL)
                        .unwrap();
                assert_eq!(min, 255);
            }
        }
    }

    /// GTSM on the listening side: a SYN sent with TTL 64 is dropped, one with TTL 255
    /// (what a GTSM sender uses) gets through. Loopback does not decrement the TTL.
    #[tokio::test]
    async fn min_ttl_drops_segments_below_it() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gtsm = crate::sockopt::TtlMode::Security { hops: 1 };
        sockopt::set_ttl_mode(&SockRef::from(&l), false, gtsm).unwrap();
        let addr = l.local_addr().unwrap();

        let plain = Transport { ttl: crate::sockopt::TtlMode::Multihop(64), ..Default::default() };
        let r = tokio::time::timeout(std::time::Duration::from_millis(1500), connect(addr, &plain))
            .await;
        assert!(r.is_err() || r.is_ok_and(|c| c.is_err()), "TTL 64 got through");

        let secured = Transport { ttl: gtsm, ..Default::default() };
        let (c, a) = tokio::join!(connect(addr, &secured), l.accept());
        assert!(c.is_ok() && a.is_ok());
    }
}

//! BFD for the BGP sessions that ask for it: a `bfd-tokio` driver, the sessions the speaker
//! wants ([`bgp_speaker::Event::BfdWanted`]) and the Down reports that go back to it. The
//! decisions (which sessions, what a Down does to BGP) are the speaker's and `bfd`'s.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use bfd::{ClientId, SessionKey};
use bfd_tokio::{Driver, DriverConfig, Hop, PeerConfig};
use bgp_speaker::NeighborId;

/// One BGP neighbour's BFD session.
struct Peer {
    key: SessionKey,
}

/// The driver and the sessions of BGP neighbours.
pub struct BfdPeers {
    driver: Driver,
    template: bfd::Config,
    peers: BTreeMap<NeighborId, Peer>,
}

impl BfdPeers {
    /// Listens on UDP 3784 (and 4784 for multihop), IPv4 and IPv6.
    pub fn start(t: &crate::config::BfdFile) -> Result<BfdPeers, String> {
        let cfg = DriverConfig { ipv6: true, multihop: true, ..DriverConfig::default() };
        let driver = Driver::new(cfg).map_err(|e| format!("bfd: {e}"))?;
        let mut template = bfd::Config::new(bfd::Discriminator::new(1).ok_or("discriminator")?);
        template.desired_min_tx = Duration::from_millis(u64::from(t.transmit_interval));
        template.required_min_rx = Duration::from_millis(u64::from(t.receive_interval));
        template.detect_mult = std::num::NonZeroU8::new(t.detect_multiplier)
            .ok_or("bfd detect-multiplier: 1 to 255")?;
        Ok(BfdPeers { driver, template, peers: BTreeMap::new() })
    }

    /// The speaker wants a session for `neighbor`'s path.
    pub fn want(
        &mut self,
        neighbor: NeighborId,
        local: IpAddr,
        peer: IpAddr,
        ifindex: Option<u32>,
        multihop: bool,
    ) -> Result<(), String> {
        let (hop, interface) = if multihop {
            (Hop::Multi, None)
        } else {
            let name = match ifindex {
                Some(i) => bfd_tokio::socket::ifname(i),
                None => bfd_tokio::socket::interface_of(local),
            }
            .map_err(|e| format!("bfd {peer}: {e}"))?;
            let index =
                bfd_tokio::socket::ifindex(&name).map_err(|e| format!("bfd {name}: {e}"))?;
            (Hop::Single { interface: name }, Some(index))
        };
        let key = SessionKey { local, peer, interface };
        if self.peers.get(&neighbor).is_some_and(|p| p.key == key) {
            // The session came back on the same path: the BFD session it has goes on.
            return Ok(());
        }
        self.forget(neighbor);
        let pc = PeerConfig { local, peer, hop, session: self.template.clone() };
        self.driver.add(pc, client(neighbor)).map_err(|e| format!("bfd {peer}: {e}"))?;
        self.peers.insert(neighbor, Peer { key });
        Ok(())
    }

    /// `neighbor` is gone: its client leaves the session.
    pub fn forget(&mut self, neighbor: NeighborId) {
        if let Some(p) = self.peers.remove(&neighbor) {
            self.driver.remove(&p.key, client(neighbor));
        }
    }

    /// The next neighbour whose path BFD found down (a peer taken AdminDown by hand is not
    /// one: [`bfd::Event::is_path_down`]).
    pub async fn next_down(&mut self) -> Result<NeighborId, String> {
        loop {
            let r = self.driver.next_report().await.map_err(|e| format!("bfd: {e}"))?;
            tracing::info!(peer = %r.key.peer, event = ?r.event, "bfd");
            if r.event.is_path_down() {
                return Ok(NeighborId(r.client.0));
            }
        }
    }

    /// `show bfd peers`, in FRR's words.
    pub fn show(&self) -> String {
        let mut out = String::from("BFD Peers:\n");
        let sessions = self.driver.sessions();
        for (n, p) in &self.peers {
            let Some(s) = sessions.id(&p.key).and_then(|id| sessions.session(id)) else {
                continue;
            };
            let name = p.key.interface.and_then(|i| bfd_tokio::socket::ifname(i).ok());
            out.push_str(&p.key.show(s, name.as_deref()));
            out.push_str(&format!("    BGP neighbor: {n}\n"));
        }
        out
    }
}

fn client(n: NeighborId) -> ClientId {
    ClientId(n.0)
}

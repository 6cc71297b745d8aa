//! BFD for OSPF neighbours (RFC 5882 §4.1): the engine says which neighbours to watch
//! ([`ospf_lsdb::Event::BfdWanted`]), a `bfd-tokio` driver runs the sessions, and a Down
//! goes back to the engine ([`ospf_lsdb::OspfInstance::bfd_down`]), which kills the
//! neighbour. One driver serves both versions: OSPFv2 neighbours by their IPv4 address,
//! OSPFv3 neighbours by their link-local address on the interface (RFC 5881 §4).

use std::collections::BTreeMap;
use std::net::IpAddr;

use bfd::{ClientId, SessionKey};
use bfd_tokio::{Driver, Hop, PeerConfig};

use crate::output::Names;

/// The one client of the BFD table here: OSPF.
const OSPF: ClientId = ClientId(89);

/// The driver and the neighbours it watches.
pub struct OspfBfd {
    driver: Driver,
    keys: BTreeMap<(u32, IpAddr), SessionKey>,
}

impl OspfBfd {
    /// Listens on UDP 3784 (single hop) for IPv4 (OSPFv2) and IPv6 (OSPFv3) as asked.
    pub fn start(ipv4: bool, ipv6: bool) -> Result<OspfBfd, bfd_tokio::Error> {
        let cfg = bfd_tokio::DriverConfig { ipv4, ipv6, ..bfd_tokio::DriverConfig::default() };
        Ok(OspfBfd { driver: Driver::new(cfg)?, keys: BTreeMap::new() })
    }

    /// Starts or stops watching a neighbour as the engine of either version asks.
    pub fn on_event<A: Copy + Into<IpAddr>>(&mut self, ev: &ospf_lsdb::Event<A>, names: &Names) {
        match *ev {
            ospf_lsdb::Event::BfdWanted { ifindex, local, peer } => {
                let (local, peer) = (local.into(), peer.into());
                let Some(name) = names.0.get(&ifindex) else { return };
                let Some(d) = bfd::Discriminator::new(1) else { return };
                let pc = PeerConfig {
                    local,
                    peer,
                    hop: Hop::Single { interface: name.clone() },
                    session: bfd::Config::new(d),
                };
                match self.driver.add(pc, OSPF) {
                    Ok(_) => {
                        let key = SessionKey { local, peer, interface: Some(ifindex) };
                        self.keys.insert((ifindex, peer), key);
                    }
                    Err(e) => tracing::warn!(%peer, "bfd: {e}"),
                }
            }
            ospf_lsdb::Event::BfdNotWanted { ifindex, peer } => {
                if let Some(key) = self.keys.remove(&(ifindex, peer.into())) {
                    self.driver.remove(&key, OSPF);
                }
            }
            _ => {}
        }
    }
}

impl OspfBfd {
    /// `show bfd peers`, in FRR's words.
    pub fn show(&self, names: &Names) -> String {
        let mut out = String::from("BFD Peers:\n");
        let sessions = self.driver.sessions();
        for (&(ifindex, _), key) in &self.keys {
            let Some(s) = sessions.id(key).and_then(|id| sessions.session(id)) else { continue };
            out.push_str(&key.show(s, names.0.get(&ifindex).map(String::as_str)));
        }
        out
    }
}

/// The next neighbour (interface, address) whose path BFD found down (a neighbour that took
/// its session AdminDown by hand is not one: [`bfd::Event::is_path_down`]); an IPv4
/// address is an OSPFv2 neighbour's, an IPv6 one an OSPFv3 neighbour's.
pub async fn next_down(b: &mut Option<OspfBfd>) -> Result<(u32, IpAddr), bfd_tokio::Error> {
    let Some(b) = b else { return std::future::pending().await };
    loop {
        let r = b.driver.next_report().await?;
        tracing::info!(peer = %r.key.peer, event = ?r.event, "bfd");
        if let (true, Some(ifindex)) = (r.event.is_path_down(), r.key.interface) {
            return Ok((ifindex, r.key.peer));
        }
    }
}

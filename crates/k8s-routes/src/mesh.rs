//! The sans-IO core of the node mesh: the cluster's Nodes in, the iBGP sessions this node
//! should have out.
//!
//! Without route reflectors every node peers with every other (a full mesh: n(n-1)/2
//! sessions). Nodes carrying the route-reflector label reflect (RFC 4456): they peer with
//! every node, the unlabelled ones as their clients, each other as non-clients; the other
//! nodes peer only with them. Labelling a node or removing a label re-plans the sessions.

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    fmt,
    net::IpAddr,
    str::FromStr,
};

/// A change to the sessions this node should have with the other nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MeshEvent {
    /// Peer (iBGP) with node `node` at `addr`; `client`: it is our route-reflector client.
    Peer {
        /// The node's name.
        node: String,
        /// Its address (the first `InternalIP`).
        addr: IpAddr,
        /// We reflect routes to it as to a client (we are a reflector, it is not).
        client: bool,
    },
    /// Stop peering with node `node` at `addr` (it left, moved, or its role changed: a
    /// [`MeshEvent::Peer`] with the new settings follows).
    Unpeer {
        /// The node's name.
        node: String,
        /// The address the session was with.
        addr: IpAddr,
    },
    /// The Nodes have been listed once: the sessions asked for so far are the whole mesh.
    Synced,
}

/// Which Nodes reflect: a label key, or `key=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector {
    key: String,
    value: Option<String>,
}

impl LabelSelector {
    /// Whether a node with these labels is selected.
    pub fn matches<'a>(&self, mut labels: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
        labels.any(|(k, v)| k == self.key && self.value.as_deref().is_none_or(|want| want == v))
    }
}

impl FromStr for LabelSelector {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (key, value) = match s.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (s, None),
        };
        // A label key: an optional DNS prefix and a slash, then a name of 1 to 63 characters.
        let name = key.rsplit('/').next().unwrap_or_default();
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if name.is_empty() || name.len() > 63 || !key.chars().all(|c| ok(c) || c == '/') {
            return Err(format!("{s:?}: a label key, or KEY=VALUE"));
        }
        if value.as_deref().is_some_and(|v| v.len() > 63 || !v.chars().all(ok)) {
            return Err(format!("{s:?}: a label value is up to 63 of [A-Za-z0-9-_.]"));
        }
        Ok(LabelSelector { key: key.to_owned(), value })
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={v}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

/// One Node as the mesh sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Member {
    addr: Option<IpAddr>,
    reflector: bool,
}

/// The cluster's Nodes (name, address, reflector or not) and the sessions this node
/// should have with them, as [`MeshEvent`]s.
///
/// Inputs: `handle_list_start`, `handle_apply` and `handle_delete` per Node,
/// `handle_list_done`; a re-list forgets the Nodes it did not see. Nothing is asked for
/// until the first list is done, so that a starting agent does not peer with half the
/// cluster and then change its mind. Per Node only its name, one address and one bit are
/// kept.
///
/// ```
/// use k8s_routes::{Mesh, MeshEvent};
///
/// let mut mesh = Mesh::new("node2");
/// mesh.handle_list_start();
/// mesh.handle_apply("node1", Some("192.0.2.1".parse().unwrap()), true);
/// mesh.handle_apply("node2", Some("192.0.2.2".parse().unwrap()), false);
/// mesh.handle_apply("node3", Some("192.0.2.3".parse().unwrap()), false);
/// mesh.handle_list_done();
/// // node1 reflects: node2 peers with it alone.
/// let addr = "192.0.2.1".parse().unwrap();
/// assert_eq!(mesh.poll_event(), Some(MeshEvent::Peer { node: "node1".into(), addr, client: false }));
/// assert_eq!(mesh.poll_event(), Some(MeshEvent::Synced));
/// assert_eq!(mesh.poll_event(), None);
/// ```
#[derive(Debug)]
pub struct Mesh {
    own: String,
    members: BTreeMap<String, Member>,
    /// During a list: the names seen so far.
    listing: Option<BTreeSet<String>>,
    synced: bool,
    /// The sessions asked for: node name to (address, client).
    peers: BTreeMap<String, (IpAddr, bool)>,
    events: VecDeque<MeshEvent>,
}

impl Mesh {
    /// The mesh of the node named `own`.
    pub fn new(own: &str) -> Self {
        Mesh {
            own: own.to_owned(),
            members: BTreeMap::new(),
            listing: None,
            synced: false,
            peers: BTreeMap::new(),
            events: VecDeque::new(),
        }
    }

    /// A list of the Nodes begins.
    pub fn handle_list_start(&mut self) {
        self.listing = Some(BTreeSet::new());
    }

    /// Node `name` exists with this address (none: it has no `InternalIP` yet) and is a
    /// reflector or not.
    pub fn handle_apply(&mut self, name: &str, addr: Option<IpAddr>, reflector: bool) {
        self.members.insert(name.to_owned(), Member { addr, reflector });
        match &mut self.listing {
            Some(seen) => {
                seen.insert(name.to_owned());
            }
            None => self.plan(),
        }
    }

    /// Node `name` is gone.
    pub fn handle_delete(&mut self, name: &str) {
        self.members.remove(name);
        if let Some(seen) = &mut self.listing {
            seen.remove(name);
        } else {
            self.plan();
        }
    }

    /// The list is complete: Nodes not in it are gone.
    pub fn handle_list_done(&mut self) {
        if let Some(seen) = self.listing.take() {
            self.members.retain(|name, _| seen.contains(name));
        }
        let first = !self.synced;
        self.synced = true;
        self.plan();
        if first {
            self.events.push_back(MeshEvent::Synced);
        }
    }

    /// The next change, if any.
    pub fn poll_event(&mut self) -> Option<MeshEvent> {
        self.events.pop_front()
    }

    /// Whether the Nodes have been listed once.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Whether this node is a route reflector.
    pub fn is_reflector(&self) -> bool {
        self.members.get(&self.own).is_some_and(|m| m.reflector)
    }

    /// The sessions asked for: node, address, client.
    pub fn peers(&self) -> impl Iterator<Item = (&str, IpAddr, bool)> {
        self.peers.iter().map(|(n, &(a, c))| (n.as_str(), a, c))
    }

    /// The sessions the members call for.
    fn wanted(&self) -> BTreeMap<String, (IpAddr, bool)> {
        let me = self.is_reflector();
        let reflectors = self.members.iter().any(|(n, m)| *n != self.own && m.reflector);
        self.members
            .iter()
            .filter(|(name, _)| **name != self.own)
            .filter_map(|(name, m)| {
                let addr = m.addr?;
                let client = match (me, reflectors, m.reflector) {
                    // A reflector peers with everyone; the unlabelled are its clients.
                    (true, _, other) => !other,
                    // A client peers with the reflectors only.
                    (false, true, true) => false,
                    (false, true, false) => return None,
                    // No reflector anywhere: the full mesh.
                    (false, false, _) => false,
                };
                Some((name.clone(), (addr, client)))
            })
            .collect()
    }

    fn plan(&mut self) {
        if !self.synced {
            return;
        }
        let wanted = self.wanted();
        let mut adds = Vec::new();
        for (name, &(addr, client)) in &wanted {
            match self.peers.get(name) {
                Some(&now) if now == (addr, client) => {}
                Some(&(old, _)) => {
                    self.events.push_back(MeshEvent::Unpeer { node: name.clone(), addr: old });
                    adds.push(MeshEvent::Peer { node: name.clone(), addr, client });
                }
                None => adds.push(MeshEvent::Peer { node: name.clone(), addr, client }),
            }
        }
        for (name, &(addr, _)) in &self.peers {
            if !wanted.contains_key(name) {
                self.events.push_back(MeshEvent::Unpeer { node: name.clone(), addr });
            }
        }
        self.events.extend(adds);
        self.peers = wanted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, n]))
    }

    fn drain(m: &mut Mesh) -> Vec<MeshEvent> {
        std::iter::from_fn(|| m.poll_event()).collect()
    }

    fn peer(n: u8, client: bool) -> MeshEvent {
        MeshEvent::Peer { node: format!("node{n}"), addr: ip(n).unwrap(), client }
    }

    fn unpeer(n: u8) -> MeshEvent {
        MeshEvent::Unpeer { node: format!("node{n}"), addr: ip(n).unwrap() }
    }

    fn listed(own: &str, nodes: &[(u8, bool)]) -> Mesh {
        let mut m = Mesh::new(own);
        m.handle_list_start();
        for &(n, rr) in nodes {
            m.handle_apply(&format!("node{n}"), ip(n), rr);
        }
        m.handle_list_done();
        m
    }

    #[test]
    fn without_reflectors_every_node_peers_with_every_other() {
        let mut m = listed("node1", &[(1, false), (2, false), (3, false)]);
        assert_eq!(drain(&mut m), [peer(2, false), peer(3, false), MeshEvent::Synced]);
        m.handle_apply("node4", ip(4), false);
        assert_eq!(drain(&mut m), [peer(4, false)]);
        m.handle_delete("node2");
        assert_eq!(drain(&mut m), [unpeer(2)]);
    }

    #[test]
    fn a_reflector_takes_the_others_as_clients_and_reflectors_as_peers() {
        let mut m = listed("node1", &[(1, true), (2, false), (3, true), (4, false)]);
        assert!(m.is_reflector());
        assert_eq!(
            drain(&mut m),
            [peer(2, true), peer(3, false), peer(4, true), MeshEvent::Synced]
        );
    }

    #[test]
    fn a_client_peers_with_the_reflectors_only() {
        let mut m = listed("node2", &[(1, true), (2, false), (3, false)]);
        assert_eq!(drain(&mut m), [peer(1, false), MeshEvent::Synced]);
        // node1 loses its label: back to the full mesh.
        m.handle_apply("node1", ip(1), false);
        assert_eq!(drain(&mut m), [peer(3, false)]);
        // node3 is labelled: node2 peers with it alone.
        m.handle_apply("node3", ip(3), true);
        assert_eq!(drain(&mut m), [unpeer(1)]);
    }

    #[test]
    fn becoming_a_reflector_turns_peers_into_clients() {
        let mut m = listed("node1", &[(1, false), (2, false), (3, false)]);
        drain(&mut m);
        m.handle_apply("node1", ip(1), true);
        assert_eq!(drain(&mut m), [unpeer(2), unpeer(3), peer(2, true), peer(3, true)]);
        assert_eq!(m.peers().count(), 2);
    }

    #[test]
    fn nothing_before_the_first_list_and_a_relist_forgets_the_unseen() {
        let mut m = Mesh::new("node1");
        m.handle_list_start();
        m.handle_apply("node2", ip(2), false);
        assert_eq!(m.poll_event(), None);
        // Listed before it has an address: no session until it has one.
        m.handle_apply("node3", None, false);
        m.handle_list_done();
        assert_eq!(drain(&mut m), [peer(2, false), MeshEvent::Synced]);
        m.handle_apply("node3", ip(3), false);
        assert_eq!(drain(&mut m), [peer(3, false)]);
        m.handle_list_start();
        m.handle_apply("node3", ip(3), false);
        assert_eq!(m.poll_event(), None);
        m.handle_list_done();
        assert_eq!(drain(&mut m), [unpeer(2)]);
        // A node that moves is unpeered at its old address and peered at the new one.
        m.handle_apply("node3", ip(9), false);
        assert_eq!(
            drain(&mut m),
            [
                unpeer(3),
                MeshEvent::Peer { node: "node3".into(), addr: ip(9).unwrap(), client: false }
            ]
        );
    }

    #[test]
    fn label_selectors() {
        let s: LabelSelector = "bgp.example.org/route-reflector".parse().unwrap();
        assert!(s.matches([("bgp.example.org/route-reflector", "")].into_iter()));
        assert!(!s.matches([("other", "x")].into_iter()));
        let s: LabelSelector = "rr=true".parse().unwrap();
        assert!(s.matches([("rr", "true")].into_iter()));
        assert!(!s.matches([("rr", "false")].into_iter()));
        assert_eq!(s.to_string(), "rr=true");
        assert!("".parse::<LabelSelector>().is_err());
        assert!("a b".parse::<LabelSelector>().is_err());
        assert!("rr=a b".parse::<LabelSelector>().is_err());
    }
}

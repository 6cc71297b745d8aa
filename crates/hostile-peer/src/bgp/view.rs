//! What the observer session has been told: the routes of the test ranges in detail, and
//! every other route as a bare prefix with a count of changes, so that a full table costs
//! little.

use super::cases::is_test_prefix;
use super::session::Received;
use bgp_wire::update::Update;
use ipnet::IpNet;
use std::collections::{HashMap, HashSet};

/// A test-range route as the observer last heard it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Its COMMUNITIES.
    pub communities: Vec<u32>,
    /// The type codes of its attributes.
    pub types: Vec<u8>,
}

/// The observer's Adj-RIB-In.
#[derive(Debug, Default)]
pub struct View {
    /// Test-range routes present.
    pub test: HashMap<IpNet, Seen>,
    /// Other routes present.
    pub others: HashSet<IpNet>,
    /// Announcements and withdrawals of other routes received so far.
    pub other_changes: u64,
    /// Set when the observer's session ended, with why.
    pub closed: Option<String>,
    /// NOTIFICATIONs and undecodable messages received, in order.
    pub faults: Vec<String>,
}

impl View {
    /// Applies one received message.
    pub fn apply(&mut self, r: Received) {
        match r {
            Received::Update(u) => self.update(&u),
            Received::Notification(n) => {
                self.faults.push(format!("NOTIFICATION {}/{}", n.code.0, n.subcode))
            }
            Received::Garbage(e) => self.faults.push(e),
            Received::Closed(why) => self.closed = Some(why),
            Received::Other(_) => {}
        }
    }

    fn update(&mut self, u: &Update) {
        for (_, n) in u.withdrawals() {
            if is_test_prefix(&n.prefix) {
                self.test.remove(&n.prefix);
            } else {
                self.others.remove(&n.prefix);
                self.other_changes += 1;
            }
        }
        let mut seen: Option<Seen> = None;
        for (_, n) in u.announced() {
            if is_test_prefix(&n.prefix) {
                let s = seen.get_or_insert_with(|| Seen {
                    communities: u.attributes().communities().map(|c| c.0).collect(),
                    types: u.attributes().iter().map(|a| a.type_code.0).collect(),
                });
                self.test.insert(n.prefix, s.clone());
            } else {
                self.others.insert(n.prefix);
                self.other_changes += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::craft;
    use bgp_wire::message::Message;
    use bytes::Bytes;
    use std::net::Ipv4Addr;

    fn update(withdrawn: &[&str], announced: &[&str]) -> Received {
        let mut attrs = craft::origin_igp();
        attrs.extend(craft::as_path(&[65010]));
        attrs.extend(craft::next_hop(Ipv4Addr::new(10, 0, 0, 2)));
        attrs.extend(craft::communities(&[7]));
        let nlri = |ps: &[&str]| -> Vec<u8> {
            ps.iter().flat_map(|p| craft::prefix(p.parse().unwrap())).collect()
        };
        let a = if announced.is_empty() { Vec::new() } else { attrs };
        let m = craft::update(&nlri(withdrawn), &a, &nlri(announced));
        match Message::decode(Bytes::from(m), &craft::ctx()).unwrap() {
            Message::Update(u) => Received::Update(u),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn test_routes_in_detail_others_counted() {
        let mut v = View::default();
        v.apply(update(&[], &["198.18.0.0/24", "192.0.2.0/24"]));
        assert_eq!(v.test.len(), 1);
        let seen = &v.test[&"198.18.0.0/24".parse::<IpNet>().unwrap()];
        assert_eq!(seen.communities, [7]);
        assert_eq!(seen.types, [1, 2, 3, 8]);
        assert_eq!((v.others.len(), v.other_changes), (1, 1));
        v.apply(update(&["198.18.0.0/24", "192.0.2.0/24"], &[]));
        assert!(v.test.is_empty());
        assert_eq!((v.others.len(), v.other_changes), (0, 2));
        v.apply(Received::Closed("end of stream".into()));
        assert!(v.closed.is_some());
    }
}

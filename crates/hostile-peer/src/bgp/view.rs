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

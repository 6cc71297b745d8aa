//! Why a best path changed: the previous best path (as the table reported it) against the
//! table now.

use ipnet::IpNet;
use rib::{PeerId, Rib, Selected};

use crate::event::ChangeReason;

/// The reason for a change of `prefix` from the best path `prev` (neighbour and path
/// identifier) to `best`.
pub(crate) fn change_reason(
    rib: &Rib,
    prefix: IpNet,
    prev: Option<(PeerId, u32)>,
    best: Option<&Selected>,
) -> ChangeReason {
    match (prev, best) {
        (None, Some(_)) => ChangeReason::New,
        (_, None) => ChangeReason::Withdrawn,
        (Some((peer, id)), Some(s)) if s.peer == peer && s.path_id == id => ChangeReason::Updated,
        (Some((peer, id)), Some(_)) => match rib.lost_on(prefix, peer, id) {
            Some(rule) => ChangeReason::Lost(rule),
            None => ChangeReason::PreviousBestWithdrawn,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::time::Instant;

    use bgp_wire::attribute::{AsPath, NextHop};
    use bgp_wire::nlri::Nlri;
    use bgp_wire::Asn;
    use rib::{PathAttrs, PeerConfig, RibConfig, Rule};

    use super::*;

    /// One step of a scenario: a neighbour (0 or 1) announces an AS path (withdraws with
    /// `None`), then the reason the table's report gives.
    type Step = (usize, Option<&'static [u32]>, Option<ChangeReason>);

    fn run(steps: &[Step]) {
        let now = Instant::now();
        let mut rib = Rib::new(RibConfig::new(Asn(65000), "10.0.0.1".parse().unwrap()));
        let peers: Vec<(PeerId, IpAddr)> = ["192.0.2.1", "192.0.2.2"]
            .iter()
            .zip([65001, 65002])
            .map(|(a, asn)| {
                let addr: IpAddr = a.parse().unwrap();
                let id = match addr {
                    IpAddr::V4(v) => v,
                    IpAddr::V6(_) => unreachable!(),
                };
                (rib.add_peer(PeerConfig::external(addr, Asn(asn), id)), addr)
            })
            .collect();
        let prefix: IpNet = "10.244.0.0/24".parse().unwrap();
        for (i, (who, path, want)) in steps.iter().enumerate() {
            let (peer, addr) = peers[*who];
            match path {
                Some(p) => {
                    let attrs = PathAttrs {
                        as_path: AsPath::from_sequence(p.iter().copied()),
                        ..PathAttrs::default()
                    };
                    let IpAddr::V4(nh) = addr else { unreachable!() };
                    rib.announce(now, peer, Nlri::new(prefix), NextHop::Ipv4(nh), &attrs);
                }
                None => {
                    rib.withdraw(peer, prefix, 0);
                }
            }
            let got =
                rib.poll_best().map(|c| change_reason(&rib, c.prefix, c.previous, c.best.as_ref()));
            while rib.poll_best().is_some() {}
            assert_eq!(got, *want, "step {i}");
        }
    }

    #[test]
    fn reasons_table() {
        use ChangeReason::*;
        const SHORT: &[u32] = &[65001];
        const LONG: &[u32] = &[65001, 65100, 65200];
        const MID: &[u32] = &[65002, 65100];
        const OTHER: &[u32] = &[65005];
        const LONGER: &[u32] = &[65002, 65200, 65300, 65400];
        const LOOP: &[u32] = &[65001, 65000];
        // RFC 4271 §9.1.2.2 (a): the shorter AS_PATH wins.
        run(&[
            (0, Some(LONG), Some(New)),
            (1, Some(MID), Some(Lost(Rule::AsPathLength))),
            (0, Some(SHORT), Some(Lost(Rule::AsPathLength))),
            // The best path's attributes change: it is still the best.
            (0, Some(OTHER), Some(Updated)),
            // A path that does not become the best changes nothing.
            (1, Some(LONG), None),
            (0, None, Some(PreviousBestWithdrawn)),
            (1, None, Some(Withdrawn)),
        ]);
        // RFC 4271 §9.1.2: a route whose AS_PATH holds our AS is excluded; it replaces the
        // neighbour's path as a withdrawal does, and the one left wins.
        run(&[
            (0, Some(LONG), Some(New)),
            (1, Some(LONGER), None),
            (0, Some(LOOP), Some(PreviousBestWithdrawn)),
        ]);
    }
}

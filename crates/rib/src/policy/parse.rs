//! The text form: FRR's configuration statements for policy, one per line.
//!
//! `!` and `#` begin comments (a whole line, or the rest of a line from a word starting
//! with one, except in descriptions); blank lines are skipped; indentation is free. A
//! `route-map` line opens a block of clause lines (`match`, `set`, `on-match`, `continue`,
//! `call`, `description`) that ends at the next top-level statement or at `exit` /
//! `exit-route-map`. Lists may be defined after the route maps that use them; a name used
//! but defined nowhere in the text is refused at the line that uses it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bgp_wire::attribute::community::ExtAdmin;
use bgp_wire::attribute::{ExtendedCommunity, Origin};
use bgp_wire::Asn;
use ipnet::IpNet;

use super::community_list::{parse_community, parse_large_community};
use super::route_map::RefKind;
use super::{
    AccessList, AccessListEntry, AddrFamily, Adjust, AsPathEntry, AsPathList, CommunityEdit,
    CommunityList, CommunityListEntry, CommunityListOf, CommunityValue, Exit, ExtCommunityEdit,
    ExtCommunityList, FrrRegex, LargeCommunityList, ListRef, Match, Policy, PolicyError,
    PrefixList, PrefixListEntry, RouteMap, Set, Verdict,
};
use crate::{IfName, NextHopAction, Protocol};

/// An error without a line yet; [`Parser::line`] adds it.
fn bad(reason: impl Into<String>) -> PolicyError {
    PolicyError::new(0, reason)
}

pub(crate) fn parse(text: &str) -> Result<Policy, PolicyError> {
    let mut p = Parser::default();
    for (i, raw) in text.lines().enumerate() {
        p.line_no = i + 1;
        p.line(raw).map_err(|e| e.at(i + 1))?;
    }
    p.finish()
}

/// Values by name in order of first appearance.
struct Named<T> {
    items: Vec<T>,
    index: HashMap<String, usize>,
}

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named { items: Vec::new(), index: HashMap::new() }
    }
}

impl<T> Named<T> {
    fn get_or_insert(
        &mut self,
        name: &str,
        make: impl FnOnce() -> T,
    ) -> Result<&mut T, PolicyError> {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.items.push(make());
                self.index.insert(name.to_owned(), self.items.len() - 1);
                self.items.len() - 1
            }
        };
        self.items.get_mut(i).ok_or_else(|| bad("internal: lost a list"))
    }

    fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
}

/// A name used by a clause, with the line that used it.
struct Use {
    kind: RefKind,
    name: String,
    line: usize,
}

#[derive(Default)]
struct Parser {
    /// The line being read, 1-based.
    line_no: usize,
    prefix_v4: Named<PrefixList>,
    prefix_v6: Named<PrefixList>,
    access_v4: Named<AccessList>,
    access_v6: Named<AccessList>,
    communities: Named<CommunityList>,
    large: Named<LargeCommunityList>,
    ext: Named<ExtCommunityList>,
    as_paths: Named<AsPathList>,
    maps: Named<RouteMap>,
    /// The route-map entry clause lines go to: (map name, seq).
    open: Option<(String, u32)>,
    uses: Vec<Use>,
    /// Lines of `call` clauses by (map, seq), to place a call loop.
    calls: HashMap<(String, u32), usize>,
}

/// Words of a line without its comment.
fn tokenize(raw: &str) -> Vec<&str> {
    let words: Vec<&str> = raw.split_whitespace().collect();
    let is_description = matches!(words.as_slice(), ["description", ..])
        || matches!(words.as_slice(), [_, "prefix-list", _, "description", ..]);
    if is_description {
        return words;
    }
    words.into_iter().take_while(|w| !w.starts_with('!') && !w.starts_with('#')).collect()
}

impl Parser {
    fn line(&mut self, raw: &str) -> Result<(), PolicyError> {
        let line = self.line_no;
        let words = tokenize(raw);
        match words.as_slice() {
            [] => Ok(()),
            ["ip", "prefix-list", rest @ ..] => self.prefix_list(AddrFamily::Ipv4, rest),
            ["ipv6", "prefix-list", rest @ ..] => self.prefix_list(AddrFamily::Ipv6, rest),
            ["access-list", rest @ ..] => self.access_list(AddrFamily::Ipv4, rest),
            ["ipv6", "access-list", rest @ ..] => self.access_list(AddrFamily::Ipv6, rest),
            // `ip community-list` and friends: FRR's spelling before 7.2, still common.
            ["bgp" | "ip", "community-list", rest @ ..] => {
                self.open = None;
                value_list(&mut self.communities, rest, parse_community_word)
            }
            ["bgp" | "ip", "large-community-list", rest @ ..] => {
                self.open = None;
                value_list(&mut self.large, rest, parse_large_word)
            }
            ["bgp" | "ip", "extcommunity-list", rest @ ..] => {
                self.open = None;
                ext_list(&mut self.ext, rest)
            }
            ["bgp" | "ip", "as-path", "access-list", rest @ ..] => self.as_path_list(rest),
            ["route-map", rest @ ..] => self.route_map(rest),
            ["exit" | "exit-route-map" | "end"] => {
                self.open = None;
                Ok(())
            }
            [kw @ ("match" | "set" | "on-match" | "continue" | "call" | "description"), ..] => {
                if self.open.is_none() {
                    return Err(bad(format!("'{kw}' outside a route-map")));
                }
                self.clause(line, &words)
            }
            [kw, ..] => Err(bad(format!("unknown keyword '{kw}'"))),
        }
    }

    fn prefix_list(&mut self, family: AddrFamily, rest: &[&str]) -> Result<(), PolicyError> {
        self.open = None;
        let [name, rest @ ..] = rest else { return Err(bad("missing prefix-list name")) };
        let named = match family {
            AddrFamily::Ipv4 => &mut self.prefix_v4,
            AddrFamily::Ipv6 => &mut self.prefix_v6,
        };
        let list = named.get_or_insert(name, || PrefixList::new(*name, family))?;
        if let ["description", ..] = rest {
            return Ok(());
        }
        let (seq, action, rest) = seq_and_action(rest)?;
        let seq = seq.unwrap_or_else(|| list.next_seq());
        let entry = match rest {
            ["any"] => PrefixListEntry::any(seq, action, family),
            [prefix, bounds @ ..] => {
                let (ge, le) = ge_le(bounds)?;
                PrefixListEntry::new(seq, action, parse_prefix(prefix, family)?, ge, le)?
            }
            [] => return Err(bad("missing prefix or 'any'")),
        };
        list.insert(entry)
    }

    fn access_list(&mut self, family: AddrFamily, rest: &[&str]) -> Result<(), PolicyError> {
        self.open = None;
        let [name, rest @ ..] = rest else { return Err(bad("missing access-list name")) };
        let named = match family {
            AddrFamily::Ipv4 => &mut self.access_v4,
            AddrFamily::Ipv6 => &mut self.access_v6,
        };
        let list = named.get_or_insert(name, || AccessList::new(*name, family))?;
        if let ["remark", ..] = rest {
            return Ok(());
        }
        let (seq, action, rest) = seq_and_action(rest)?;
        let seq = seq.unwrap_or_else(|| list.next_seq());
        let entry = match rest {
            ["any"] => AccessListEntry::any(seq, action, family),
            ["host" | "ip", ..] => {
                return Err(bad(
                    "only zebra-style access lists are supported: PREFIX [exact-match] or any",
                ))
            }
            [prefix] => AccessListEntry::new(seq, action, parse_prefix(prefix, family)?, false),
            [prefix, "exact-match"] => {
                AccessListEntry::new(seq, action, parse_prefix(prefix, family)?, true)
            }
            [_, extra, ..] => return Err(bad(format!("unexpected '{extra}'"))),
            [] => return Err(bad("missing prefix or 'any'")),
        };
        list.insert(entry)
    }

    fn as_path_list(&mut self, rest: &[&str]) -> Result<(), PolicyError> {
        self.open = None;
        let [name, rest @ ..] = rest else { return Err(bad("missing as-path access-list name")) };
        let (seq, action, rest) = seq_and_action(rest)?;
        if rest.is_empty() {
            return Err(bad("missing regex"));
        }
        let regex = FrrRegex::new(&rest.join(" "))?;
        let list = self.as_paths.get_or_insert(name, || AsPathList::new(*name))?;
        let seq = seq.unwrap_or_else(|| list.next_seq());
        list.insert(AsPathEntry::new(seq, action, regex));
        Ok(())
    }

    fn route_map(&mut self, rest: &[&str]) -> Result<(), PolicyError> {
        let [name, action, seq] = rest else {
            return Err(bad("expected 'route-map NAME permit|deny SEQ'"));
        };
        let action = parse_action(action)?;
        let seq = number(seq, "route-map sequence")?;
        if !(1..=65535).contains(&seq) {
            return Err(bad(format!("route-map sequence {seq} out of range 1-65535")));
        }
        self.maps.get_or_insert(name, || RouteMap::new(*name))?.open_entry(seq, action);
        self.open = Some(((*name).to_owned(), seq));
        Ok(())
    }

    fn clause(&mut self, line: usize, words: &[&str]) -> Result<(), PolicyError> {
        let Some((map, seq)) = self.open.clone() else {
            return Err(bad("clause outside a route-map"));
        };
        let entry = self
            .maps
            .get_or_insert(&map, || RouteMap::new(map.as_str()))?
            .entry_mut(seq)
            .ok_or_else(|| bad("internal: route-map entry vanished"))?;
        match words {
            ["match", rest @ ..] => {
                let m = parse_match(rest)?;
                if let Some((kind, r)) = m.list_ref() {
                    self.uses.push(Use { kind, name: r.name().to_owned(), line });
                }
                entry.put_match(m);
            }
            ["set", rest @ ..] => {
                let s = parse_set(rest)?;
                if let Some((kind, r)) = s.list_ref() {
                    self.uses.push(Use { kind, name: r.name().to_owned(), line });
                }
                entry.put_set(s);
            }
            ["on-match", "next"] | ["continue"] => entry.exit = Exit::Next,
            ["on-match", "goto", n] | ["continue", n] => {
                let n = number(n, "goto target")?;
                if n <= seq {
                    return Err(bad(format!(
                        "goto {n} does not jump forward from seq {seq} (FRR refuses jumps backwards)"
                    )));
                }
                entry.exit = Exit::Goto(n);
            }
            ["on-match", other, ..] => {
                return Err(bad(format!(
                    "expected 'next' or 'goto N' after on-match, found '{other}'"
                )))
            }
            ["call", name] => {
                entry.call = Some(ListRef::new(*name));
                self.uses.push(Use { kind: RefKind::RouteMap, name: (*name).to_owned(), line });
                self.calls.insert((map, seq), line);
            }
            ["description", text @ ..] => entry.description = Some(text.join(" ")),
            [kw, ..] => return Err(bad(format!("malformed '{kw}' clause"))),
            [] => {}
        }
        Ok(())
    }

    fn defined(&self, kind: RefKind, name: &str) -> bool {
        match kind {
            RefKind::PrefixV4 => self.prefix_v4.contains(name),
            RefKind::PrefixV6 => self.prefix_v6.contains(name),
            RefKind::AccessV4 => self.access_v4.contains(name),
            RefKind::AccessV6 => self.access_v6.contains(name),
            RefKind::Community => self.communities.contains(name),
            RefKind::Large => self.large.contains(name),
            RefKind::Ext => self.ext.contains(name),
            RefKind::AsPath => self.as_paths.contains(name),
            RefKind::RouteMap => self.maps.contains(name),
        }
    }

    fn finish(self) -> Result<Policy, PolicyError> {
        if let Some(u) = self.uses.iter().find(|u| !self.defined(u.kind, &u.name)) {
            return Err(PolicyError::new(
                u.line,
                format!("{} '{}' is not defined", u.kind.statement(), u.name),
            ));
        }
        let mut policy = Policy::new();
        self.prefix_v4.items.into_iter().for_each(|l| policy.insert_prefix_list(l));
        self.prefix_v6.items.into_iter().for_each(|l| policy.insert_prefix_list(l));
        self.access_v4.items.into_iter().for_each(|l| policy.insert_access_list(l));
        self.access_v6.items.into_iter().for_each(|l| policy.insert_access_list(l));
        self.communities.items.into_iter().for_each(|l| policy.insert_community_list(l));
        self.large.items.into_iter().for_each(|l| policy.insert_large_community_list(l));
        self.ext.items.into_iter().for_each(|l| policy.insert_ext_community_list(l));
        self.as_paths.items.into_iter().for_each(|l| policy.insert_as_path_list(l));
        for m in self.maps.items {
            policy.insert_route_map(m);
        }
        let first_loop = policy
            .call_cycles()
            .into_iter()
            .map(|(map, seq)| {
                (self.calls.get(&(map.to_owned(), seq)).copied().unwrap_or(0), map, seq)
            })
            .min();
        if let Some((line, map, seq)) = first_loop {
            return Err(PolicyError::new(
                line,
                format!("route-map {map} seq {seq}: call loops back to {map}"),
            ));
        }
        Ok(policy)
    }
}

fn parse_action(word: &str) -> Result<Verdict, PolicyError> {
    match word {
        "permit" => Ok(Verdict::Permit),
        "deny" => Ok(Verdict::Deny),
        _ => Err(bad(format!("expected permit or deny, found '{word}'"))),
    }
}

fn number<T: std::str::FromStr>(word: &str, what: &str) -> Result<T, PolicyError> {
    word.parse().map_err(|_| bad(format!("bad {what} '{word}'")))
}

/// `[seq N] permit|deny` and what follows.
fn seq_and_action<'a, 'b>(
    rest: &'a [&'b str],
) -> Result<(Option<u32>, Verdict, &'a [&'b str]), PolicyError> {
    match rest {
        ["seq", n, action, tail @ ..] => {
            let seq: u32 = number(n, "sequence number")?;
            if seq == 0 {
                return Err(bad("sequence number 0 out of range 1-4294967295"));
            }
            Ok((Some(seq), parse_action(action)?, tail))
        }
        [action, tail @ ..] => Ok((None, parse_action(action)?, tail)),
        [] => Err(bad("missing permit or deny")),
    }
}

fn parse_prefix(word: &str, family: AddrFamily) -> Result<IpNet, PolicyError> {
    let p: IpNet = word.parse().map_err(|_| bad(format!("bad prefix '{word}'")))?;
    if AddrFamily::of(&p) != family {
        return Err(bad(format!(
            "{} prefix '{word}' in an {family} list: FRR does not mix families",
            AddrFamily::of(&p)
        )));
    }
    Ok(p)
}

/// `[ge N] [le N]` in either order, each at most once.
fn ge_le(mut words: &[&str]) -> Result<(Option<u8>, Option<u8>), PolicyError> {
    let (mut ge, mut le) = (None, None);
    loop {
        match words {
            [] => return Ok((ge, le)),
            ["ge", n, tail @ ..] if ge.is_none() => {
                ge = Some(number(n, "ge length")?);
                words = tail;
            }
            ["le", n, tail @ ..] if le.is_none() => {
                le = Some(number(n, "le length")?);
                words = tail;
            }
            [w, ..] => return Err(bad(format!("unexpected '{w}'"))),
        }
    }
}

fn parse_community_word(w: &str) -> Result<bgp_wire::attribute::Community, PolicyError> {
    parse_community(w).ok_or_else(|| bad(format!("bad community '{w}'")))
}

fn parse_large_word(w: &str) -> Result<bgp_wire::attribute::LargeCommunity, PolicyError> {
    parse_large_community(w).ok_or_else(|| bad(format!("bad large community '{w}'")))
}

/// `standard|expanded NAME [seq N] permit|deny ...` for community and large-community lists.
fn value_list<T: CommunityValue>(
    named: &mut Named<CommunityListOf<T>>,
    rest: &[&str],
    parse_value: fn(&str) -> Result<T, PolicyError>,
) -> Result<(), PolicyError> {
    let (expanded, rest) = match rest {
        ["standard", tail @ ..] => (false, tail),
        ["expanded", tail @ ..] => (true, tail),
        [w, ..] => return Err(bad(format!("expected standard or expanded, found '{w}'"))),
        [] => return Err(bad("expected standard or expanded")),
    };
    let [name, rest @ ..] = rest else { return Err(bad("missing list name")) };
    let (seq, action, rest) = seq_and_action(rest)?;
    let entry_for = |seq| -> Result<CommunityListEntry<T>, PolicyError> {
        if expanded {
            if rest.is_empty() {
                return Err(bad("missing regex"));
            }
            Ok(CommunityListEntry::expanded(seq, action, FrrRegex::new(&rest.join(" "))?))
        } else {
            let values = rest.iter().map(|w| parse_value(w)).collect::<Result<Vec<T>, _>>()?;
            Ok(CommunityListEntry::standard(seq, action, values))
        }
    };
    let list = named.get_or_insert(name, || CommunityListOf::new(*name))?;
    let seq = seq.unwrap_or_else(|| list.next_seq());
    list.insert(entry_for(seq)?)
}

/// `standard NAME [seq N] permit|deny (rt|soo) VALUE...` (the keyword may change between
/// values) or `expanded NAME [seq N] permit|deny REGEX`.
fn ext_list(named: &mut Named<ExtCommunityList>, rest: &[&str]) -> Result<(), PolicyError> {
    match rest {
        ["expanded", ..] => value_list(named, rest, |w| {
            Err(bad(format!("internal: expanded list parsed value '{w}'")))
        }),
        ["standard", name, rest @ ..] => {
            let (seq, action, rest) = seq_and_action(rest)?;
            let mut values = Vec::new();
            let mut kind = None;
            for w in rest {
                match *w {
                    "rt" => kind = Some(false),
                    "soo" => kind = Some(true),
                    _ => {
                        let Some(soo) = kind else {
                            return Err(bad(format!("expected rt or soo before '{w}'")));
                        };
                        values.push(ext_value(w, soo)?);
                    }
                }
            }
            if values.is_empty() {
                return Err(bad("missing rt or soo value"));
            }
            let list = named.get_or_insert(name, || ExtCommunityList::new(*name))?;
            let seq = seq.unwrap_or_else(|| list.next_seq());
            list.insert(CommunityListEntry::standard(seq, action, values))
        }
        [w, ..] => Err(bad(format!("expected standard or expanded, found '{w}'"))),
        [] => Err(bad("expected standard or expanded")),
    }
}

/// `ASN:NN` or `A.B.C.D:NN` as a route target or (`soo`) a route origin. A 2-octet AS takes
/// a 4-octet value; a 4-octet AS or an address takes a 2-octet value (RFC 4360 §3.1, §3.2,
/// RFC 5668 §2).
fn ext_value(word: &str, soo: bool) -> Result<ExtendedCommunity, PolicyError> {
    let err = || bad(format!("bad extended community value '{word}'"));
    let (admin, local) = word.rsplit_once(':').ok_or_else(err)?;
    let admin = if let Ok(ip) = admin.parse::<Ipv4Addr>() {
        ExtAdmin::Ipv4(ip, local.parse().map_err(|_| err())?)
    } else {
        let asn: u32 = admin.parse().map_err(|_| err())?;
        match u16::try_from(asn) {
            Ok(a) => ExtAdmin::As2(a, local.parse().map_err(|_| err())?),
            Err(_) => ExtAdmin::As4(asn, local.parse().map_err(|_| err())?),
        }
    };
    Ok(if soo {
        ExtendedCommunity::route_origin(admin)
    } else {
        ExtendedCommunity::route_target(admin)
    })
}

fn one<'a>(rest: &[&'a str], what: &str) -> Result<&'a str, PolicyError> {
    match rest {
        [w] => Ok(w),
        [] => Err(bad(format!("missing {what}"))),
        [_, extra, ..] => Err(bad(format!("unexpected '{extra}'"))),
    }
}

fn parse_match(rest: &[&str]) -> Result<Match, PolicyError> {
    let list = |w: &str| ListRef::new(w);
    Ok(match rest {
        ["ip", "address", "prefix-list", name] => Match::IpAddressPrefixList(list(name)),
        ["ip" | "ipv6", "address", "prefix-len", ..] => {
            return Err(bad("'prefix-len' is not supported"))
        }
        ["ip" | "ipv6", "address" | "next-hop", "prefix-list"] => {
            return Err(bad("missing prefix-list name"))
        }
        ["ip", "address", name] => Match::IpAddressAccessList(list(name)),
        ["ipv6", "address", "prefix-list", name] => Match::Ipv6AddressPrefixList(list(name)),
        ["ipv6", "address", name] => Match::Ipv6AddressAccessList(list(name)),
        ["ip", "next-hop", "prefix-list", name] => Match::IpNextHopPrefixList(list(name)),
        ["ip", "next-hop", "address", a] => Match::IpNextHopAddress(addr(a)?),
        ["ip", "next-hop", name] => Match::IpNextHopAccessList(list(name)),
        ["ipv6", "next-hop", "prefix-list", name] => Match::Ipv6NextHopPrefixList(list(name)),
        ["ipv6", "next-hop", "address", a] | ["ipv6", "next-hop", a] => {
            Match::Ipv6NextHopAddress(addr(a)?)
        }
        ["community", name] => Match::Community { list: list(name), exact: false },
        ["community", name, "exact-match"] => Match::Community { list: list(name), exact: true },
        ["large-community", name] => Match::LargeCommunity { list: list(name), exact: false },
        ["large-community", name, "exact-match"] => {
            Match::LargeCommunity { list: list(name), exact: true }
        }
        ["extcommunity", name] => Match::ExtCommunity(list(name)),
        ["as-path", name] => Match::AsPath(list(name)),
        ["source-protocol", rest @ ..] => Match::SourceProtocol(protocol(one(rest, "protocol")?)?),
        ["tag", rest @ ..] => Match::Tag(number(one(rest, "tag")?, "tag")?),
        ["interface", rest @ ..] => {
            let w = one(rest, "interface name")?;
            Match::Interface(
                IfName::new(w).ok_or_else(|| bad(format!("bad interface name '{w}'")))?,
            )
        }
        ["metric", rest @ ..] => Match::Metric(number(one(rest, "metric")?, "metric")?),
        ["peer", rest @ ..] => {
            let w = one(rest, "peer address")?;
            Match::Peer(w.parse().map_err(|_| bad(format!("bad peer address '{w}'")))?)
        }
        ["origin", rest @ ..] => Match::Origin(origin(one(rest, "origin")?)?),
        ["local-preference", rest @ ..] => {
            Match::LocalPreference(number(one(rest, "local-preference")?, "local-preference")?)
        }
        [w, ..] => return Err(bad(format!("unknown match '{w}'"))),
        [] => return Err(bad("missing match condition")),
    })
}

fn addr<T: std::str::FromStr>(w: &str) -> Result<T, PolicyError> {
    w.parse().map_err(|_| bad(format!("bad address '{w}'")))
}

fn protocol(w: &str) -> Result<Protocol, PolicyError> {
    Ok(match w {
        "bgp" => Protocol::Bgp,
        "connected" => Protocol::Connected,
        "static" => Protocol::Static,
        "kernel" => Protocol::Kernel,
        "ospf" => Protocol::Ospfv2,
        "ospf6" => Protocol::Ospfv3,
        _ => return Err(bad(format!("unknown source-protocol '{w}'"))),
    })
}

fn origin(w: &str) -> Result<Origin, PolicyError> {
    Ok(match w {
        "igp" => Origin::Igp,
        "egp" => Origin::Egp,
        "incomplete" => Origin::Incomplete,
        _ => return Err(bad(format!("bad origin '{w}'"))),
    })
}

/// `N`, `+N` or `-N`.
fn adjust(w: &str, what: &str) -> Result<Adjust, PolicyError> {
    let n = |s: &str| number::<u32>(s, what).map_err(|_| bad(format!("bad {what} '{w}'")));
    Ok(match w.as_bytes().first() {
        Some(b'+') => Adjust::Add(n(w.get(1..).unwrap_or(""))?),
        Some(b'-') => Adjust::Sub(n(w.get(1..).unwrap_or(""))?),
        _ => Adjust::To(n(w)?),
    })
}

/// An AS for prepend: 1-4294967295 (RFC 7607: AS 0 must not be used).
fn asn(w: &str) -> Result<Asn, PolicyError> {
    match w.parse::<u32>() {
        Ok(0) | Err(_) => Err(bad(format!("bad AS number '{w}'"))),
        Ok(n) => Ok(Asn(n)),
    }
}

/// The values of `set community` / `set large-community`, with `additive` and `none`.
fn edit<T>(
    rest: &[&str],
    parse_value: fn(&str) -> Result<T, PolicyError>,
) -> Result<CommunityEdit<T>, PolicyError> {
    match rest {
        ["none"] => Ok(CommunityEdit::Clear),
        [] | ["additive"] => Err(bad("missing community value")),
        [values @ .., "additive"] => Ok(CommunityEdit::Additive(
            values.iter().map(|w| parse_value(w)).collect::<Result<_, _>>()?,
        )),
        values => Ok(CommunityEdit::Replace(
            values.iter().map(|w| parse_value(w)).collect::<Result<_, _>>()?,
        )),
    }
}

fn parse_set(rest: &[&str]) -> Result<Set, PolicyError> {
    Ok(match rest {
        ["local-preference", r @ ..] => {
            Set::LocalPreference(adjust(one(r, "local-preference")?, "local-preference")?)
        }
        ["metric", r @ ..] => Set::Metric(adjust(one(r, "metric")?, "metric")?),
        ["weight", r @ ..] => {
            let w = one(r, "weight")?;
            Set::Weight(w.parse().map_err(|_| bad(format!("bad weight '{w}' (0-65535)")))?)
        }
        ["origin", r @ ..] => Set::Origin(origin(one(r, "origin")?)?),
        ["community", r @ ..] => Set::Community(edit(r, parse_community_word)?),
        ["comm-list", name, "delete"] => Set::CommListDelete(ListRef::new(*name)),
        ["large-community", r @ ..] => Set::LargeCommunity(edit(r, parse_large_word)?),
        ["large-comm-list", name, "delete"] => Set::LargeCommListDelete(ListRef::new(*name)),
        ["extcommunity", "none"] => Set::ExtCommunity(ExtCommunityEdit::Clear),
        ["extcommunity", kind @ ("rt" | "soo"), values @ ..] => {
            let soo = *kind == "soo";
            if values.is_empty() {
                return Err(bad(format!("missing {kind} value")));
            }
            let v = values.iter().map(|w| ext_value(w, soo)).collect::<Result<Vec<_>, _>>()?;
            Set::ExtCommunity(if soo { ExtCommunityEdit::Soo(v) } else { ExtCommunityEdit::Rt(v) })
        }
        ["as-path", "prepend", "last-as", r @ ..] => {
            let w = one(r, "last-as count")?;
            match w.parse::<u8>() {
                Ok(n @ 1..=10) => Set::AsPathPrependLastAs(n),
                _ => return Err(bad(format!("bad last-as count '{w}' (1-10)"))),
            }
        }
        ["as-path", "prepend", asns @ ..] if !asns.is_empty() => {
            Set::AsPathPrepend(asns.iter().map(|w| asn(w)).collect::<Result<_, _>>()?)
        }
        ["as-path", "exclude", asns @ ..] if !asns.is_empty() => {
            Set::AsPathExclude(asns.iter().map(|w| asn(w)).collect::<Result<_, _>>()?)
        }
        ["ip", "next-hop", r @ ..] => Set::IpNextHop(match one(r, "next hop")? {
            "peer-address" => NextHopAction::PeerAddress,
            "unchanged" => NextHopAction::Unchanged,
            a => NextHopAction::Address(IpAddr::V4(addr(a)?)),
        }),
        ["ipv6", "next-hop", "global", r @ ..] => Set::Ipv6NextHop(NextHopAction::Address(
            IpAddr::V6(addr::<Ipv6Addr>(one(r, "address")?)?),
        )),
        ["ipv6", "next-hop", "peer-address"] => Set::Ipv6NextHop(NextHopAction::PeerAddress),
        ["tag", r @ ..] => Set::Tag(number(one(r, "tag")?, "tag")?),
        [w, ..] => return Err(bad(format!("unknown set '{w}'"))),
        [] => return Err(bad("missing set action")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{CommunityMatcher, RouteMapEntry};
    use crate::PolicyRoute;
    use bgp_wire::attribute::{Community, LargeCommunity};
    use Verdict::{Deny, Permit};

    fn ok(text: &str) -> Policy {
        match Policy::parse(text) {
            Ok(p) => p,
            Err(e) => panic!("{e}\n{text}"),
        }
    }

    fn err(text: &str) -> PolicyError {
        match Policy::parse(text) {
            Ok(p) => panic!("parsed: {p:?}\n{text}"),
            Err(e) => e,
        }
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn prefix_list_statements() {
        let p = ok("ip prefix-list A permit 10.0.0.0/8\n\
                    ip prefix-list A seq 12 deny 10.1.0.0/16 le 24\n\
                    ip prefix-list A permit 10.2.0.0/16 le 24 ge 20\n\
                    ip prefix-list A description whatever # kept\n\
                    ipv6 prefix-list A permit 2001:db8::/32 ge 48\n\
                    ipv6 prefix-list B seq 5 deny any\n\
                    ip prefix-list C permit any\n");
        let a = p.prefix_list(AddrFamily::Ipv4, "A").unwrap();
        let got: Vec<_> =
            a.entries().iter().map(|e| (e.seq(), e.action(), e.ge(), e.le())).collect();
        assert_eq!(
            got,
            [(5, Permit, None, None), (12, Deny, None, Some(24)), (15, Permit, Some(20), Some(24))]
        );
        assert_eq!(p.prefix_list_permits("A", &net("2001:db8:1::/48")), Some(true));
        assert_eq!(p.prefix_list_permits("A", &net("10.2.3.0/24")), Some(true));
        assert_eq!(p.prefix_list_permits("A", &net("10.2.3.0/19")), Some(false));
        assert_eq!(p.prefix_list_permits("B", &net("::/0")), Some(false));
        assert_eq!(p.prefix_list_permits("C", &net("1.2.3.4/32")), Some(true));
    }

    #[test]
    fn access_list_statements() {
        let p = ok("access-list A seq 10 deny 10.1.0.0/16 exact-match\n\
                    access-list A permit 10.0.0.0/8\n\
                    access-list A remark free text\n\
                    ipv6 access-list A deny any\n");
        let a = p.access_list(AddrFamily::Ipv4, "A").unwrap();
        assert_eq!(a.entries().iter().map(|e| e.seq()).collect::<Vec<_>>(), [10, 15]);
        assert_eq!(p.access_list_permits("A", &net("10.1.0.0/16")), Some(false));
        assert_eq!(p.access_list_permits("A", &net("10.1.1.0/24")), Some(true));
        assert_eq!(p.access_list_permits("A", &net("2001:db8::/32")), Some(false));
    }

    #[test]
    fn community_list_statements() {
        let p = ok("bgp community-list standard S permit 65000:1 no-export\n\
                    bgp community-list standard S seq 20 deny internet\n\
                    ip community-list expanded E permit ^65000:[0-9]+ 65001:1$\n\
                    bgp large-community-list standard L permit 1:2:3 4:5:6\n\
                    bgp large-community-list expanded LE deny ^1:2:\n\
                    bgp extcommunity-list standard X permit rt 65000:1 192.0.2.1:7 soo 4200000000:9\n\
                    bgp extcommunity-list expanded XE permit ^RT:65000:\n");
        let s = p.community_list("S").unwrap();
        let want = vec![Community::new(65000, 1), Community::NO_EXPORT];
        assert_eq!(s.entries().first().unwrap().matcher(), &CommunityMatcher::Standard(want));
        assert_eq!(s.entries().iter().map(|e| e.seq()).collect::<Vec<_>>(), [5, 20]);
        assert!(p
            .community_list("E")
            .unwrap()
            .matches(&[Community::new(65001, 1), Community::new(65000, 77)]));
        assert!(p
            .large_community_list("L")
            .unwrap()
            .matches(&[LargeCommunity::new(4, 5, 6), LargeCommunity::new(1, 2, 3)]));
        assert!(p.large_community_list("LE").is_some());
        let x = p.ext_community_list("X").unwrap();
        let CommunityMatcher::Standard(v) = x.entries().first().unwrap().matcher() else {
            panic!()
        };
        let mut text: Vec<String> = v
            .iter()
            .map(|c| {
                let mut s = String::new();
                c.write_frr(&mut s);
                s
            })
            .collect();
        text.sort();
        assert_eq!(text, ["RT:192.0.2.1:7", "RT:65000:1", "SoO:4200000000:9"]);
        assert!(p.ext_community_list("XE").is_some());
    }

    #[test]
    fn as_path_statements() {
        let p = ok("bgp as-path access-list A seq 10 deny _65002_\n\
                    bgp as-path access-list A permit ^65001 (65002|65003)$\n");
        let a = p.as_path_list("A").unwrap();
        assert_eq!(a.entries().iter().map(|e| e.seq()).collect::<Vec<_>>(), [10, 15]);
        assert!(a.permits_text("65001 65003"));
        assert!(!a.permits_text("65001 65002"));
    }

    /// Every match and set form parses to the clause it names.
    #[test]
    fn route_map_clauses() {
        let text = "ip prefix-list P permit any\nipv6 prefix-list P permit any\n\
                    access-list A permit any\nipv6 access-list A permit any\n\
                    bgp community-list standard C permit 1:1\n\
                    bgp large-community-list standard L permit 1:1:1\n\
                    bgp extcommunity-list standard X permit rt 1:1\n\
                    bgp as-path access-list AP permit .*\n\
                    route-map SUB permit 10\n\
                    route-map M permit 10\n\
                    description the whole thing # with a hash\n\
                    match ip address prefix-list P\n match ip address A\n\
                    match ipv6 address prefix-list P\n match ipv6 address A\n\
                    match ip next-hop prefix-list P\n match ip next-hop A\n\
                    match ip next-hop address 192.0.2.1\n match ipv6 next-hop 2001:db8::1\n\
                    match ipv6 next-hop prefix-list P\n\
                    match community C exact-match\n match large-community L\n\
                    match extcommunity X\n match as-path AP\n match source-protocol ospf6\n\
                    match tag 7\n match interface eth0\n match metric 20\n\
                    match peer 2001:db8::2\n match origin egp\n match local-preference 150\n\
                    set local-preference +10\n set metric -5\n set weight 100\n\
                    set origin incomplete\n set community 65000:1 no-export additive\n\
                    set comm-list C delete\n set large-community none\n\
                    set large-comm-list L delete\n set extcommunity soo 65000:9\n\
                    set extcommunity rt 65000:1 65000:2\n set as-path prepend 65000 65000\n\
                    set as-path exclude 64512\n set ip next-hop peer-address\n\
                    set ipv6 next-hop global 2001:db8::9\n set tag 9\n\
                    call SUB\n on-match goto 20\n\
                    exit\n";
        let p = ok(text);
        let e = p.route_map("M").unwrap().entries().first().unwrap().clone();
        let l = ListRef::new;
        let expected = RouteMapEntry::new(10, Permit)
            .with_description("the whole thing # with a hash")
            .with_match(Match::IpAddressPrefixList(l("P")))
            .with_match(Match::IpAddressAccessList(l("A")))
            .with_match(Match::Ipv6AddressPrefixList(l("P")))
            .with_match(Match::Ipv6AddressAccessList(l("A")))
            .with_match(Match::IpNextHopPrefixList(l("P")))
            .with_match(Match::IpNextHopAccessList(l("A")))
            .with_match(Match::IpNextHopAddress(Ipv4Addr::new(192, 0, 2, 1)))
            .with_match(Match::Ipv6NextHopAddress("2001:db8::1".parse().unwrap()))
            .with_match(Match::Ipv6NextHopPrefixList(l("P")))
            .with_match(Match::community("C", true))
            .with_match(Match::large_community("L", false))
            .with_match(Match::ext_community("X"))
            .with_match(Match::as_path("AP"))
            .with_match(Match::SourceProtocol(Protocol::Ospfv3))
            .with_match(Match::Tag(7))
            .with_match(Match::Interface(IfName::new("eth0").unwrap()))
            .with_match(Match::Metric(20))
            .with_match(Match::Peer("2001:db8::2".parse().unwrap()))
            .with_match(Match::Origin(Origin::Egp))
            .with_match(Match::LocalPreference(150))
            .with_set(Set::LocalPreference(Adjust::Add(10)))
            .with_set(Set::Metric(Adjust::Sub(5)))
            .with_set(Set::Weight(100))
            .with_set(Set::Origin(Origin::Incomplete))
            .with_set(Set::Community(CommunityEdit::Additive(vec![
                Community::new(65000, 1),
                Community::NO_EXPORT,
            ])))
            .with_set(Set::CommListDelete(l("C")))
            .with_set(Set::LargeCommunity(CommunityEdit::Clear))
            .with_set(Set::LargeCommListDelete(l("L")))
            .with_set(Set::ExtCommunity(ExtCommunityEdit::Soo(vec![
                ext_value("65000:9", true).unwrap()
            ])))
            .with_set(Set::ExtCommunity(ExtCommunityEdit::Rt(vec![
                ext_value("65000:1", false).unwrap(),
                ext_value("65000:2", false).unwrap(),
            ])))
            .with_set(Set::AsPathPrepend(vec![Asn(65000), Asn(65000)]))
            .with_set(Set::AsPathExclude(vec![Asn(64512)]))
            .with_set(Set::IpNextHop(NextHopAction::PeerAddress))
            .with_set(Set::Ipv6NextHop(NextHopAction::Address("2001:db8::9".parse().unwrap())))
            .with_set(Set::Tag(9))
            .with_call("SUB")
            .with_exit(Exit::Goto(20));
        assert_eq!(e, expected);
    }

    #[test]
    fn more_clause_forms() {
        let p = ok("route-map M deny 10\n\
                    set ip next-hop 192.0.2.1\n set ip next-hop unchanged\n\
                    set ipv6 next-hop peer-address\n set as-path prepend last-as 3\n\
                    set community none\n set extcommunity none\n\
                    set local-preference 50\n set metric +1\n continue\n\
                    route-map M permit 20\n set community 1:1 2:2\n on-match next\n\
                    route-map M permit 30\n continue 40\n");
        let m = p.route_map("M").unwrap();
        let [a, b, c] = m.entries() else { panic!("{m:?}") };
        assert_eq!(
            a.sets(),
            [
                Set::IpNextHop(NextHopAction::Unchanged),
                Set::Ipv6NextHop(NextHopAction::PeerAddress),
                Set::AsPathPrependLastAs(3),
                Set::Community(CommunityEdit::Clear),
                Set::ExtCommunity(ExtCommunityEdit::Clear),
                Set::LocalPreference(Adjust::To(50)),
                Set::Metric(Adjust::Add(1)),
            ]
        );
        assert_eq!((a.action(), a.exit()), (Deny, Exit::Next));
        assert_eq!(
            b.sets(),
            [Set::Community(CommunityEdit::Replace(vec![
                Community::new(1, 1),
                Community::new(2, 2)
            ]))]
        );
        assert_eq!(b.exit(), Exit::Next);
        assert_eq!(c.exit(), Exit::Goto(40));
    }

    /// Re-entering an entry adds to it and takes the new action, as in FRR's CLI.
    #[test]
    fn reopened_entry() {
        let p = ok("route-map M permit 10\n match tag 1\n!\nroute-map M deny 10\n set tag 2\n");
        let [e] = p.route_map("M").unwrap().entries() else { panic!() };
        assert_eq!(
            (e.action(), e.matches(), e.sets()),
            (Deny, &[Match::Tag(1)][..], &[Set::Tag(2)][..])
        );
    }

    #[test]
    fn comments_blank_lines_and_indentation() {
        let p = ok("! a comment\n# another\n\n   \n\
                    ip prefix-list A permit 10.0.0.0/8 ! trailing\n\
                    route-map M permit 10 # trailing\n\
                    \t  match ip address prefix-list A\n\
                    exit-route-map\n\
                    exit\n");
        assert_eq!(p.route_map("M").unwrap().entries().len(), 1);
        assert_eq!(p.prefix_list_permits("A", &net("10.0.0.0/8")), Some(true));
    }

    /// Every kind of refusal, with the line it is reported at.
    #[test]
    fn errors() {
        let cases: &[(&str, usize, &str)] = &[
            ("router bgp 65000\n", 1, "unknown keyword 'router'"),
            ("ip prefix-list A permit 10.0.0.0/33\n", 1, "bad prefix '10.0.0.0/33'"),
            ("ip prefix-list A permit 10.0.0.0/8 ge 7\n", 1, "ge 7 out of range"),
            ("ip prefix-list A permit 10.0.0.0/8 le 33\n", 1, "le 33 out of range"),
            ("ip prefix-list A permit 10.0.0.0/8 ge 24 le 16\n", 1, "le 16 out of range"),
            ("ip prefix-list A permit 10.0.0.0/8 ge x\n", 1, "bad ge length 'x'"),
            ("ip prefix-list A permit 10.0.0.0/8 ge 9 ge 10\n", 1, "unexpected 'ge'"),
            ("ip prefix-list A seq x permit any\n", 1, "bad sequence number 'x'"),
            ("ip prefix-list A allow any\n", 1, "expected permit or deny, found 'allow'"),
            ("\nip prefix-list A permit 2001:db8::/32\n", 2, "IPv6 prefix '2001:db8::/32' in an IPv4 list"),
            ("ipv6 prefix-list A permit 10.0.0.0/8\n", 1, "IPv4 prefix '10.0.0.0/8' in an IPv6 list"),
            ("ip prefix-list A permit 10.0.0.0/8\nip prefix-list A seq 7 permit 10.0.0.0/8\n", 2, "same rule as seq 5"),
            ("access-list A permit host 10.0.0.1\n", 1, "zebra-style"),
            ("access-list A permit 10.0.0.0/8 exact\n", 1, "unexpected 'exact'"),
            ("bgp community-list standard C permit 65536:1\n", 1, "bad community '65536:1'"),
            ("bgp community-list C permit 1:1\n", 1, "expected standard or expanded, found 'C'"),
            ("bgp community-list expanded C permit (\n", 1, "bad regex '('"),
            (
                "bgp community-list standard C permit 1:1\nbgp community-list expanded C permit .*\n",
                2,
                "list C is standard",
            ),
            ("bgp large-community-list standard L permit 1:1\n", 1, "bad large community '1:1'"),
            ("bgp extcommunity-list standard X permit 1:1\n", 1, "expected rt or soo before '1:1'"),
            ("bgp extcommunity-list standard X permit rt 70000:70000\n", 1, "bad extended community value '70000:70000'"),
            ("bgp as-path access-list A permit\n", 1, "missing regex"),
            ("bgp as-path access-list A permit [\n", 1, "bad regex '['"),
            ("match tag 1\n", 1, "'match' outside a route-map"),
            ("route-map M permit 10\nexit\nset tag 1\n", 3, "'set' outside a route-map"),
            ("route-map M permit 10\nip prefix-list A permit any\nmatch tag 1\n", 3, "outside a route-map"),
            ("route-map M permit\n", 1, "expected 'route-map NAME permit|deny SEQ'"),
            ("route-map M permit 0\n", 1, "out of range 1-65535"),
            ("route-map M permit 10\n match tag x\n", 2, "bad tag 'x'"),
            ("route-map M permit 10\n match tag 1 2\n", 2, "unexpected '2'"),
            ("route-map M permit 10\n match color red\n", 2, "unknown match 'color'"),
            ("route-map M permit 10\n match ip address prefix-list\n", 2, "missing prefix-list name"),
            ("route-map M permit 10\n match source-protocol rip\n", 2, "unknown source-protocol 'rip'"),
            ("route-map M permit 10\n match interface averyveryverylongname\n", 2, "bad interface name"),
            ("route-map M permit 10\n match ip next-hop address 2001:db8::1\n", 2, "bad address '2001:db8::1'"),
            ("route-map M permit 10\n set color red\n", 2, "unknown set 'color'"),
            ("route-map M permit 10\n set weight 70000\n", 2, "bad weight '70000'"),
            ("route-map M permit 10\n set local-preference +x\n", 2, "bad local-preference '+x'"),
            ("route-map M permit 10\n set as-path prepend 0\n", 2, "bad AS number '0'"),
            ("route-map M permit 10\n set as-path prepend last-as 11\n", 2, "bad last-as count '11'"),
            ("route-map M permit 10\n set community additive\n", 2, "missing community value"),
            ("route-map M permit 10\n set community 1:1 bogus\n", 2, "bad community 'bogus'"),
            ("route-map M permit 10\n set ip next-hop 2001:db8::1\n", 2, "bad address"),
            ("route-map M permit 10\n on-match goto 10\n", 2, "goto 10 does not jump forward"),
            ("route-map M permit 20\n continue 5\n", 2, "goto 5 does not jump forward"),
            ("route-map M permit 10\n on-match stop\n", 2, "found 'stop'"),
            // References are checked after the whole text, at the line that uses the name.
            ("route-map M permit 10\n match tag 1\n match ip address prefix-list NOPE\n", 3, "ip prefix-list 'NOPE' is not defined"),
            // An IPv4 list does not define the IPv6 name.
            ("ip prefix-list P permit any\nroute-map M permit 10\n match ipv6 address prefix-list P\n", 3, "ipv6 prefix-list 'P'"),
            ("route-map M permit 10\n match ip address ACL\n", 2, "access-list 'ACL'"),
            ("route-map M permit 10\n match community C\n", 2, "bgp community-list 'C'"),
            ("route-map M permit 10\n set large-comm-list L delete\n", 2, "bgp large-community-list 'L'"),
            ("route-map M permit 10\n match extcommunity X\n", 2, "bgp extcommunity-list 'X'"),
            ("route-map M permit 10\n match as-path A\n", 2, "bgp as-path access-list 'A'"),
            ("route-map M permit 10\n call OTHER\n", 2, "route-map 'OTHER' is not defined"),
            ("route-map A permit 10\n call B\nroute-map B permit 10\n call A\n", 2, "call loops back"),
        ];
        for &(text, line, reason) in cases {
            let e = err(text);
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.reason.contains(reason), "{text:?}: got '{}', want '{reason}'", e.reason);
        }
    }

    /// Lists defined after the route maps that use them are fine.
    #[test]
    fn forward_references() {
        let p = ok("route-map M permit 10\n match community C\n set tag 1\n\
                    bgp community-list standard C permit 1:1\n");
        let mut r = PolicyRoute::new(net("10.0.0.0/8"), Protocol::Bgp);
        r.attrs.communities = vec![Community::new(1, 1)];
        assert_eq!(p.apply_named("M", &mut r), Permit);
        assert_eq!(r.tag, Some(1));
        p.check().unwrap();
    }

    #[test]
    fn tokenizer() {
        assert_eq!(tokenize("  a  b\t c "), ["a", "b", "c"]);
        assert_eq!(tokenize("a b !c d"), ["a", "b"]);
        assert_eq!(tokenize("a #b"), ["a"]);
        assert_eq!(tokenize("! all"), Vec::<&str>::new());
        assert_eq!(tokenize("description a # b"), ["description", "a", "#", "b"]);
        assert_eq!(
            tokenize("ip prefix-list X description a !b"),
            ["ip", "prefix-list", "X", "description", "a", "!b"]
        );
    }
}

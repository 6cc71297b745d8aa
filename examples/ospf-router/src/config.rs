//! The TOML configuration file: parsed with serde, checked, and refused with
//! `file:line: reason` when something is wrong.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use ospf_lsdb::config::{SPF_DELAY_RANGE, SPF_HOLD_RANGE};
use serde::Deserialize;
use toml::Spanned;

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Read {
        /// Path as given.
        file: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or breaks a rule.
    #[error("{file}:{line}: {reason}")]
    Invalid {
        /// Path as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// A sentence.
        reason: String,
    },
}

/// Network type of an interface (RFC 2328 §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    /// Broadcast with DR/BDR election.
    #[default]
    Broadcast,
    /// Point-to-point.
    PointToPoint,
}

/// Kind of area (RFC 2328 §3.6, RFC 3101).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AreaKind {
    /// AS-external-LSAs flooded in.
    #[default]
    Normal,
    /// No AS-external-LSAs.
    Stub,
    /// Not-so-stubby.
    Nssa,
}

/// Interface authentication (RFC 2328 appendix D).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// AuType 0.
    #[default]
    None,
    /// AuType 1: a clear password of up to 8 bytes.
    Simple(Vec<u8>),
    /// AuType 2: keyed MD5 with a key of up to 16 bytes.
    Md5 {
        /// Key ID.
        key_id: u8,
        /// The key.
        key: Vec<u8>,
    },
    /// AuType 2 with HMAC-SHA (RFC 5709): the key of any length.
    HmacSha {
        /// The hash.
        algorithm: ospf_lsdb::packet::ShaAlgorithm,
        /// Key ID.
        key_id: u8,
        /// The key.
        key: Vec<u8>,
    },
}

/// One area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// Area ID.
    pub id: Ipv4Addr,
    /// Kind.
    pub kind: AreaKind,
    /// Cost of the default summary into a stub or NSSA area.
    pub default_cost: u32,
}

/// One OSPF interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// OS interface name.
    pub name: String,
    /// Area ID.
    pub area: Ipv4Addr,
    /// Output cost.
    pub cost: u16,
    /// Network type.
    pub network: Network,
    /// HelloInterval, seconds.
    pub hello_interval: u16,
    /// RouterDeadInterval, seconds.
    pub dead_interval: u32,
    /// RxmtInterval, seconds.
    pub retransmit_interval: u16,
    /// Router priority.
    pub priority: u8,
    /// Passive: advertised, no adjacencies.
    pub passive: bool,
    /// Authentication.
    pub auth: Auth,
    /// The most neighbours kept on the interface.
    pub max_neighbors: usize,
    /// `ip ospf bfd`: neighbours are watched by BFD and killed when it reports Down.
    pub bfd: bool,
    /// OSPFv3 Instance ID (RFC 5340 §2.4): several instances share a link,
    /// each hearing only the packets of its own. Nonzero only when OSPFv3
    /// runs; OSPFv2 beside it has none.
    pub instance_id: u8,
}

/// External metric type (RFC 2328 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// Type 1.
    Type1,
    /// Type 2.
    Type2,
}

/// A static route redistributed as an AS-external-LSA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redistribute {
    /// Destination.
    pub prefix: Ipv4Net,
    /// Forwarding address (the static route's next hop on an OSPF
    /// network), or none for "via this router".
    pub forwarding_address: Option<Ipv4Addr>,
    /// Type 1 or type 2.
    pub metric_type: MetricType,
    /// Metric, 24 bits.
    pub metric: u32,
    /// External route tag.
    pub tag: u32,
}

/// An IPv6 static route redistributed into OSPFv3 as an AS-external-LSA
/// (RFC 5340 §4.4.3.6), written as a `[[redistribute]]` table like the IPv4
/// ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redistribute6 {
    /// Destination.
    pub prefix: Ipv6Net,
    /// Forwarding address, or none for "via this router".
    pub forwarding_address: Option<Ipv6Addr>,
    /// Type 1 or type 2.
    pub metric_type: MetricType,
    /// Metric, 24 bits.
    pub metric: u32,
    /// External route tag.
    pub tag: u32,
}

/// Which OSPF versions run, both from the same areas and interfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    /// OSPFv2 (RFC 2328) over IPv4.
    pub v2: bool,
    /// OSPFv3 (RFC 5340) over IPv6.
    pub v3: bool,
}

impl Default for Versions {
    /// OSPFv2 only.
    fn default() -> Self {
        Self { v2: true, v3: false }
    }
}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterConfig {
    /// Router ID (OSPFv3 too: RFC 5340 §2.8 keeps it 32 bits).
    pub router_id: Ipv4Addr,
    /// The versions that run.
    pub versions: Versions,
    /// Areas, declared or implied by an interface.
    pub areas: Vec<Area>,
    /// Interfaces.
    pub interfaces: Vec<Interface>,
    /// Redistributed IPv4 static routes (OSPFv2).
    pub redistribute: Vec<Redistribute>,
    /// Redistributed IPv6 static routes (OSPFv3).
    pub redistribute6: Vec<Redistribute6>,
    /// Delay before an SPF run.
    pub spf_delay: Duration,
    /// Minimum time between SPF runs.
    pub spf_hold: Duration,
}

// ----- the file as written -------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct File {
    router_id: Ipv4Addr,
    #[serde(default)]
    versions: Option<Spanned<Vec<u8>>>,
    #[serde(default)]
    area: Vec<Spanned<FileArea>>,
    #[serde(default)]
    interface: Vec<Spanned<FileInterface>>,
    #[serde(default)]
    redistribute: Vec<Spanned<FileRedistribute>>,
    #[serde(default = "default_spf_delay")]
    spf_delay_ms: Spanned<u64>,
    #[serde(default = "default_spf_hold")]
    spf_hold_ms: Spanned<u64>,
}

/// An `[[area]]` table as written; checked by [`areas_and_interfaces`].
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FileArea {
    id: Ipv4Addr,
    #[serde(default)]
    kind: AreaKind,
    #[serde(default = "one")]
    default_cost: u32,
}

/// An `[[interface]]` table as written; checked by [`areas_and_interfaces`].
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FileInterface {
    name: Spanned<String>,
    area: Ipv4Addr,
    #[serde(default = "default_cost")]
    cost: Spanned<u16>,
    #[serde(default)]
    network: Network,
    #[serde(default = "default_hello")]
    hello_interval: Spanned<u16>,
    #[serde(default = "default_dead")]
    dead_interval: Spanned<u32>,
    #[serde(default = "default_rxmt")]
    retransmit_interval: Spanned<u16>,
    #[serde(default = "one_u8")]
    priority: u8,
    #[serde(default)]
    passive: bool,
    #[serde(default)]
    auth: Option<Spanned<FileAuth>>,
    #[serde(default = "default_max_neighbors")]
    max_neighbors: Spanned<usize>,
    #[serde(default)]
    bfd: bool,
    #[serde(default = "instance_zero")]
    instance_id: Spanned<u8>,
}

impl FileInterface {
    /// Where `instance-id` is written (the table when it is not), and its
    /// value.
    #[must_use]
    pub fn instance_id(&self, table: &Range<usize>) -> (Range<usize>, u8) {
        (pick(self.instance_id.span(), table), *self.instance_id.get_ref())
    }
}

#[derive(Deserialize)]
#[serde(
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case",
    tag = "type",
    deny_unknown_fields
)]
enum FileAuth {
    None,
    Simple { password: String },
    Md5 { key_id: u8, key: String },
    HmacSha { algorithm: FileSha, key_id: u8, key: String },
}

/// The hashes of RFC 5709, as the file names them.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum FileSha {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl From<FileSha> for ospf_lsdb::packet::ShaAlgorithm {
    fn from(a: FileSha) -> Self {
        match a {
            FileSha::Sha1 => ospf_lsdb::packet::ShaAlgorithm::Sha1,
            FileSha::Sha256 => ospf_lsdb::packet::ShaAlgorithm::Sha256,
            FileSha::Sha384 => ospf_lsdb::packet::ShaAlgorithm::Sha384,
            FileSha::Sha512 => ospf_lsdb::packet::ShaAlgorithm::Sha512,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileRedistribute {
    prefix: IpNet,
    #[serde(default)]
    forwarding_address: Option<IpAddr>,
    #[serde(default = "two")]
    metric_type: Spanned<u8>,
    #[serde(default = "default_external_metric")]
    metric: Spanned<u32>,
    #[serde(default)]
    tag: u32,
}

fn default_spf_delay() -> Spanned<u64> {
    Spanned::new(0..0, 200)
}
fn default_spf_hold() -> Spanned<u64> {
    Spanned::new(0..0, 1000)
}
fn default_max_neighbors() -> Spanned<usize> {
    Spanned::new(0..0, ospf_lsdb::config::DEFAULT_MAX_NEIGHBORS)
}
fn one() -> u32 {
    1
}
fn instance_zero() -> Spanned<u8> {
    Spanned::new(0..0, 0)
}
fn one_u8() -> u8 {
    1
}
fn two() -> Spanned<u8> {
    Spanned::new(0..0, 2)
}
fn default_cost() -> Spanned<u16> {
    Spanned::new(0..0, 10)
}
fn default_hello() -> Spanned<u16> {
    Spanned::new(0..0, 10)
}
fn default_dead() -> Spanned<u32> {
    Spanned::new(0..0, 40)
}
fn default_rxmt() -> Spanned<u16> {
    Spanned::new(0..0, 5)
}
fn default_external_metric() -> Spanned<u32> {
    Spanned::new(0..0, 20)
}

/// LSInfinity: the largest 24-bit metric (RFC 2328 appendix B).
const LS_INFINITY: u32 = 0x00ff_ffff;

// ----- loading ---------------------------------------------------------------

/// Reads and checks `path`.
///
/// # Errors
///
/// [`ConfigError`] with the file, the line and a sentence.
pub fn load(path: &Path) -> Result<RouterConfig, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { file: file.clone(), source })?;
    parse(&file, &text)
}

/// Where errors point: the file's name and its text.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The path as given, for messages.
    pub file: &'a str,
    /// The whole text.
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at byte range `span` of the text.
    #[must_use]
    pub fn at(&self, span: Range<usize>, reason: String) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.to_owned(),
            line: line_of(self.text, span.start),
            reason,
        }
    }

    /// Deserialises the text, a TOML error becoming `file:line: reason`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Invalid`] at the line of the TOML error.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(self.text).map_err(|e| {
            let reason = e.message().trim().to_owned();
            self.at(e.span().unwrap_or(0..0), reason)
        })
    }
}

/// A default value has an empty span: point at its table instead.
fn pick(field: Range<usize>, table: &Range<usize>) -> Range<usize> {
    if field.is_empty() {
        table.clone()
    } else {
        field
    }
}

/// Parses and checks configuration text; `file` names it in errors.
///
/// # Errors
///
/// [`ConfigError::Invalid`] with the line and a sentence.
pub fn parse(file: &str, text: &str) -> Result<RouterConfig, ConfigError> {
    let src = Source { file, text };
    let raw: File = src.deserialize()?;
    let (areas, interfaces) = areas_and_interfaces(&src, &raw.area, &raw.interface)?;

    let versions = versions(&src, raw.versions.as_ref())?;
    if !versions.v3 {
        instance_ids_need_ospfv3(&src, &raw.interface, "add 3 to versions")?;
    }
    if versions.v3 {
        // RFC 7166 is the only OSPFv3 authentication the engine has.
        for (i, sp) in interfaces.iter().zip(&raw.interface) {
            if matches!(i.auth, Auth::Simple(_) | Auth::Md5 { .. }) {
                return Err(src.at(
                    sp.span(),
                    format!(
                        "interface {}: OSPFv3 authenticates with hmac-sha only (RFC 7166)",
                        i.name
                    ),
                ));
            }
        }
    }

    let mut redistribute: Vec<Redistribute> = Vec::new();
    let mut redistribute6: Vec<Redistribute6> = Vec::new();
    for sp in &raw.redistribute {
        let table = sp.span();
        let r = sp.get_ref();
        let (metric_type, metric) = external_metric(&src, &r.metric_type, &r.metric, &table)?;
        let prefix = r.prefix.trunc();
        if prefix != r.prefix {
            return Err(src.at(
                table,
                format!("prefix {} has host bits set (did you mean {prefix}?)", r.prefix),
            ));
        }
        let twice = match prefix {
            IpNet::V4(p) => redistribute.iter().any(|x| x.prefix == p),
            IpNet::V6(p) => redistribute6.iter().any(|x| x.prefix == p),
        };
        if twice {
            return Err(src.at(table, format!("prefix {prefix} is redistributed twice")));
        }
        match (prefix, r.forwarding_address) {
            (IpNet::V4(prefix), None | Some(IpAddr::V4(_))) => {
                redistribute.push(Redistribute {
                    prefix,
                    forwarding_address: r.forwarding_address.and_then(|a| match a {
                        IpAddr::V4(a) => Some(a),
                        IpAddr::V6(_) => None,
                    }),
                    metric_type,
                    metric,
                    tag: r.tag,
                });
            }
            (IpNet::V6(prefix), None | Some(IpAddr::V6(_))) => {
                redistribute6.push(Redistribute6 {
                    prefix,
                    forwarding_address: r.forwarding_address.and_then(|a| match a {
                        IpAddr::V6(a) => Some(a),
                        IpAddr::V4(_) => None,
                    }),
                    metric_type,
                    metric,
                    tag: r.tag,
                });
            }
            (_, Some(fa)) => {
                return Err(src.at(
                    table,
                    format!("forwarding-address {fa} is not of the family of {prefix}"),
                ))
            }
        }
    }
    if !redistribute.is_empty() && !versions.v2 {
        return Err(src.at(
            raw.redistribute.first().map_or(0..0, Spanned::span),
            "IPv4 routes are redistributed but OSPFv2 does not run (versions)".into(),
        ));
    }
    if !redistribute6.is_empty() && !versions.v3 {
        let first = raw.redistribute.iter().find(|r| r.get_ref().prefix.addr().is_ipv6());
        return Err(src.at(
            first.map_or(0..0, Spanned::span),
            "IPv6 routes are redistributed but OSPFv3 does not run (add 3 to versions)".into(),
        ));
    }

    // The SPF timers, within the bounds of the engine (a hold of 0 would
    // run SPF on every change).
    let spf_delay = spf_timer(&src, "spf-delay-ms", &raw.spf_delay_ms, SPF_DELAY_RANGE)?;
    let spf_hold = spf_timer(&src, "spf-hold-ms", &raw.spf_hold_ms, SPF_HOLD_RANGE)?;

    Ok(RouterConfig {
        router_id: raw.router_id,
        versions,
        areas,
        interfaces,
        redistribute,
        redistribute6,
        spf_delay,
        spf_hold,
    })
}

/// Refuses a nonzero `instance-id` where OSPFv3 does not run: OSPFv2 has
/// no Instance ID (RFC 5340 §2.4 added it to the header); `hint` says how
/// to run OSPFv3.
///
/// # Errors
///
/// [`ConfigError::Invalid`] at the key.
pub fn instance_ids_need_ospfv3(
    src: &Source<'_>,
    raw_interfaces: &[Spanned<FileInterface>],
    hint: &str,
) -> Result<(), ConfigError> {
    for sp in raw_interfaces {
        let i = sp.get_ref();
        let (span, id) = i.instance_id(&sp.span());
        if id != 0 {
            return Err(src.at(
                span,
                format!(
                    "interface {}: instance-id {id} is an OSPFv3 setting and OSPFv3 does not \
                     run ({hint}); OSPFv2 has no Instance ID",
                    i.name.get_ref()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks `versions = [2, 3]`: OSPFv2 only when absent; 2, 3 or both, each
/// once.
///
/// # Errors
///
/// [`ConfigError::Invalid`] at the key.
pub fn versions(
    src: &Source<'_>,
    value: Option<&Spanned<Vec<u8>>>,
) -> Result<Versions, ConfigError> {
    let Some(value) = value else { return Ok(Versions::default()) };
    let list = value.get_ref();
    let mut out = Versions { v2: false, v3: false };
    for v in list {
        let seen = match v {
            2 => std::mem::replace(&mut out.v2, true),
            3 => std::mem::replace(&mut out.v3, true),
            n => return Err(src.at(value.span(), format!("versions are 2 and 3, not {n}"))),
        };
        if seen {
            return Err(src.at(value.span(), format!("version {v} is listed twice")));
        }
    }
    if list.is_empty() {
        return Err(src.at(value.span(), "versions lists no version (2, 3 or both)".into()));
    }
    Ok(out)
}

/// Checks an SPF timer in milliseconds against `range`.
pub fn spf_timer(
    src: &Source<'_>,
    key: &str,
    value: &Spanned<u64>,
    range: std::ops::RangeInclusive<Duration>,
) -> Result<Duration, ConfigError> {
    let ms = *value.get_ref();
    let d = Duration::from_millis(ms);
    if range.contains(&d) {
        return Ok(d);
    }
    Err(src.at(
        value.span(),
        format!(
            "{key} must be {} to {} ms, not {ms}",
            range.start().as_millis(),
            range.end().as_millis()
        ),
    ))
}

/// Checks an external metric type (1 or 2) and metric (24 bits); `table` is
/// the span of the table they belong to, for defaults.
///
/// # Errors
///
/// [`ConfigError::Invalid`] at the offending key.
pub fn external_metric(
    src: &Source<'_>,
    metric_type: &Spanned<u8>,
    metric: &Spanned<u32>,
    table: &Range<usize>,
) -> Result<(MetricType, u32), ConfigError> {
    let kind = match *metric_type.get_ref() {
        1 => MetricType::Type1,
        2 => MetricType::Type2,
        n => {
            return Err(
                src.at(pick(metric_type.span(), table), format!("metric-type is 1 or 2, not {n}"))
            )
        }
    };
    let value = *metric.get_ref();
    if value > LS_INFINITY {
        return Err(src.at(pick(metric.span(), table), format!("metric {value} exceeds 16777215")));
    }
    Ok((kind, value))
}

/// Checks the `[[area]]` and `[[interface]]` tables: areas declared once,
/// interfaces named once with sane costs, intervals and keys, at least one
/// interface; an interface's area is created when not declared.
///
/// # Errors
///
/// [`ConfigError::Invalid`] at the offending table or key.
pub fn areas_and_interfaces(
    src: &Source<'_>,
    raw_areas: &[Spanned<FileArea>],
    raw_interfaces: &[Spanned<FileInterface>],
) -> Result<(Vec<Area>, Vec<Interface>), ConfigError> {
    let at = |span: Range<usize>, reason: String| src.at(span, reason);
    let mut areas: Vec<Area> = Vec::new();
    for a in raw_areas {
        if areas.iter().any(|x| x.id == a.get_ref().id) {
            return Err(at(a.span(), format!("area {} is declared twice", a.get_ref().id)));
        }
        let FileArea { id, kind, default_cost } = *a.get_ref();
        if default_cost > LS_INFINITY {
            return Err(at(a.span(), format!("default-cost {default_cost} exceeds 16777215")));
        }
        areas.push(Area { id, kind, default_cost });
    }

    let mut interfaces: Vec<Interface> = Vec::new();
    for sp in raw_interfaces {
        let table = sp.span();
        let i = sp.get_ref();
        let name = i.name.get_ref().clone();
        if name.is_empty() || name.len() >= 16 || name.contains(['/', ' ']) {
            return Err(at(i.name.span(), format!("{name:?} is not an interface name")));
        }
        if interfaces.iter().any(|x| x.name == name) {
            return Err(at(i.name.span(), format!("interface {name} is configured twice")));
        }
        if *i.cost.get_ref() == 0 {
            return Err(at(pick(i.cost.span(), &table), "cost must be 1 to 65535".into()));
        }
        let hello = *i.hello_interval.get_ref();
        let dead = *i.dead_interval.get_ref();
        if hello == 0 {
            return Err(at(
                pick(i.hello_interval.span(), &table),
                "hello-interval must be at least 1 s".into(),
            ));
        }
        if dead <= u32::from(hello) {
            return Err(at(
                pick(i.dead_interval.span(), &table),
                format!("dead-interval {dead} s must be longer than hello-interval {hello} s"),
            ));
        }
        if *i.max_neighbors.get_ref() == 0 {
            return Err(at(
                pick(i.max_neighbors.span(), &table),
                "max-neighbors must be at least 1".into(),
            ));
        }
        if *i.retransmit_interval.get_ref() == 0 {
            return Err(at(
                pick(i.retransmit_interval.span(), &table),
                "retransmit-interval must be at least 1 s".into(),
            ));
        }
        let auth = match &i.auth {
            None => Auth::None,
            Some(a) => match a.get_ref() {
                FileAuth::None => Auth::None,
                FileAuth::Simple { password } if password.len() <= 8 => {
                    Auth::Simple(password.as_bytes().to_vec())
                }
                FileAuth::Simple { password } => {
                    return Err(at(
                        a.span(),
                        format!(
                            "a simple password is at most 8 bytes, this one has {}",
                            password.len()
                        ),
                    ))
                }
                FileAuth::Md5 { key_id, key } if !key.is_empty() && key.len() <= 16 => {
                    Auth::Md5 { key_id: *key_id, key: key.as_bytes().to_vec() }
                }
                FileAuth::Md5 { key, .. } => {
                    return Err(at(
                        a.span(),
                        format!("an MD5 key is 1 to 16 bytes, this one has {}", key.len()),
                    ))
                }
                FileAuth::HmacSha { key, .. } if key.is_empty() => {
                    return Err(at(a.span(), "an HMAC-SHA key is at least 1 byte".into()))
                }
                FileAuth::HmacSha { algorithm, key_id, key } => Auth::HmacSha {
                    algorithm: (*algorithm).into(),
                    key_id: *key_id,
                    key: key.as_bytes().to_vec(),
                },
            },
        };
        if !areas.iter().any(|a| a.id == i.area) {
            areas.push(Area { id: i.area, kind: AreaKind::Normal, default_cost: 1 });
        }
        interfaces.push(Interface {
            name,
            area: i.area,
            cost: *i.cost.get_ref(),
            network: i.network,
            hello_interval: hello,
            dead_interval: dead,
            retransmit_interval: *i.retransmit_interval.get_ref(),
            priority: i.priority,
            passive: i.passive,
            auth,
            max_neighbors: *i.max_neighbors.get_ref(),
            bfd: i.bfd,
            instance_id: *i.instance_id.get_ref(),
        });
    }
    if interfaces.is_empty() {
        return Err(at(0..0, "no [[interface]] is configured".into()));
    }

    Ok((areas, interfaces))
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes().get(..end).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count()) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../ospf-router.toml");

    fn err(text: &str) -> String {
        parse("r.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn sample_config_loads() {
        let c = parse("ospf-router.toml", SAMPLE).unwrap();
        assert_eq!(c.router_id, Ipv4Addr::new(192, 168, 2, 1));
        assert_eq!(c.areas[0].id, Ipv4Addr::new(0, 0, 0, 2));
        let i = &c.interfaces[0];
        assert_eq!((i.name.as_str(), i.cost, i.network), ("eth0", 20, Network::Broadcast));
        assert_eq!(c.redistribute[0].prefix, "10.244.1.0/24".parse::<Ipv4Net>().unwrap());
        assert_eq!(c.redistribute[0].metric_type, MetricType::Type2);
        assert_eq!(c.redistribute[0].forwarding_address, Some(Ipv4Addr::new(192, 168, 2, 65)));
    }

    #[test]
    fn defaults_and_auth() {
        let c = parse(
            "r.toml",
            "router-id = \"1.1.1.1\"\n[[interface]]\nname = \"e0\"\narea = \"0.0.0.0\"\n\
             network = \"point-to-point\"\nauth = { type = \"md5\", key-id = 3, key = \"k\" }\n",
        )
        .unwrap();
        let i = &c.interfaces[0];
        assert_eq!((i.cost, i.hello_interval, i.dead_interval, i.priority), (10, 10, 40, 1));
        assert_eq!(i.network, Network::PointToPoint);
        assert_eq!(i.auth, Auth::Md5 { key_id: 3, key: b"k".to_vec() });
        assert_eq!(
            c.areas,
            vec![Area { id: Ipv4Addr::UNSPECIFIED, kind: AreaKind::Normal, default_cost: 1 }]
        );
    }

    #[test]
    fn hmac_sha_auth() {
        let text = "router-id = \"1.1.1.1\"\n[[interface]]\nname = \"e0\"\narea = \"0.0.0.0\"\n\
                    auth = { type = \"hmac-sha\", algorithm = \"sha256\", key-id = 7, key = \"a key longer than sixteen bytes\" }\n";
        let c = parse("r.toml", text).unwrap();
        assert_eq!(
            c.interfaces[0].auth,
            Auth::HmacSha {
                algorithm: ospf_lsdb::packet::ShaAlgorithm::Sha256,
                key_id: 7,
                key: b"a key longer than sixteen bytes".to_vec()
            }
        );
        let e = err(&text.replace("sha256", "sha3"));
        assert!(e.starts_with("r.toml:5: ") && e.contains("sha3"), "{e}");
        let e = err(&text.replace("a key longer than sixteen bytes", ""));
        assert_eq!(e, "r.toml:5: an HMAC-SHA key is at least 1 byte");
    }

    #[test]
    fn errors_name_file_and_line() {
        let base = "router-id = \"1.1.1.1\"\n[[interface]]\nname = \"e0\"\narea = \"0.0.0.2\"\n";
        assert!(
            err("router-id = \"1.1.1\"\n").starts_with("r.toml:1: "),
            "{}",
            err("router-id = \"1.1.1\"\n")
        );
        let e = err(&format!("{base}cost = 0\n"));
        assert_eq!(e, "r.toml:5: cost must be 1 to 65535");
        let e = err(&format!("{base}hello-interval = 10\ndead-interval = 10\n"));
        assert_eq!(e, "r.toml:6: dead-interval 10 s must be longer than hello-interval 10 s");
        let e = err(&format!("{base}network = \"nbma\"\n"));
        assert!(e.starts_with("r.toml:5: ") && e.contains("nbma"), "{e}");
        let e = err(&format!("{base}colour = \"red\"\n"));
        assert!(e.starts_with("r.toml:5: ") && e.contains("colour"), "{e}");
        let e = err(&format!(
            "{base}auth = {{ type = \"md5\", key-id = 1, key = \"01234567890123456\" }}\n"
        ));
        assert_eq!(e, "r.toml:5: an MD5 key is 1 to 16 bytes, this one has 17");
        let e = err(&format!(
            "{base}\n[[redistribute]]\nprefix = \"10.244.1.0/24\"\nmetric-type = 3\n"
        ));
        assert_eq!(e, "r.toml:8: metric-type is 1 or 2, not 3");
        let e = err(&format!("{base}\n[[redistribute]]\nprefix = \"10.244.1.1/24\"\n"));
        assert!(e.starts_with("r.toml:6: ") && e.contains("10.244.1.0/24"), "{e}");
        let e = err(&format!("{base}[[interface]]\nname = \"e0\"\narea = \"0.0.0.2\"\n"));
        assert_eq!(e, "r.toml:6: interface e0 is configured twice");
        assert_eq!(err("router-id = \"1.1.1.1\"\n"), "r.toml:1: no [[interface]] is configured");
    }

    #[test]
    fn spf_timers_are_checked() {
        let base = "router-id = \"1.1.1.1\"\n[[interface]]\nname = \"e0\"\narea = \"0.0.0.2\"\n";
        let e = err(&format!("spf-hold-ms = 0\n{base}"));
        assert_eq!(e, "r.toml:1: spf-hold-ms must be 10 to 60000 ms, not 0");
        let e = err(&format!("spf-delay-ms = 100\nspf-hold-ms = 60001\n{base}"));
        assert_eq!(e, "r.toml:2: spf-hold-ms must be 10 to 60000 ms, not 60001");
        let e = err(&format!("spf-delay-ms = 600000\n{base}"));
        assert_eq!(e, "r.toml:1: spf-delay-ms must be 0 to 60000 ms, not 600000");
        let c = parse("r.toml", &format!("spf-delay-ms = 0\nspf-hold-ms = 10\n{base}")).unwrap();
        assert_eq!((c.spf_delay, c.spf_hold), (Duration::ZERO, Duration::from_millis(10)));
    }

    #[test]
    fn max_neighbors_is_checked() {
        let base = "router-id = \"1.1.1.1\"\n[[interface]]\nname = \"e0\"\narea = \"0.0.0.2\"\n";
        let e = err(&format!("{base}max-neighbors = 0\n"));
        assert_eq!(e, "r.toml:5: max-neighbors must be at least 1");
        let c = parse("r.toml", &format!("{base}max-neighbors = 8\n")).unwrap();
        assert_eq!(c.interfaces[0].max_neighbors, 8);
        let c = parse("r.toml", base).unwrap();
        assert_eq!(c.interfaces[0].max_neighbors, ospf_lsdb::config::DEFAULT_MAX_NEIGHBORS);
    }

    #[test]
    fn both_versions_and_redistribution_of_both_families() {
        let base = "router-id = \"1.1.1.1\"\nversions = [2, 3]\n[[interface]]\nname = \"e0\"\n\
                    area = \"0.0.0.2\"\n";
        let text = format!(
            "{base}[[redistribute]]\nprefix = \"10.244.1.0/24\"\n\
             [[redistribute]]\nprefix = \"fd00:f4:1::/64\"\nforwarding-address = \"fd00:52::41\"\n\
             [[redistribute]]\nprefix = \"fd00:f4::/32\"\n"
        );
        let c = parse("r.toml", &text).unwrap();
        assert_eq!(c.versions, Versions { v2: true, v3: true });
        assert_eq!(c.redistribute.len(), 1);
        assert_eq!(c.redistribute6.len(), 2);
        assert_eq!(c.redistribute6[0].forwarding_address, Some("fd00:52::41".parse().unwrap()));
        assert_eq!(c.redistribute6[1].metric_type, MetricType::Type2);
        // OSPFv2 only unless asked.
        let c = parse("r.toml", &base.replace("versions = [2, 3]\n", "")).unwrap();
        assert_eq!(c.versions, Versions { v2: true, v3: false });
        let c = parse("r.toml", &base.replace("[2, 3]", "[3]")).unwrap();
        assert_eq!(c.versions, Versions { v2: false, v3: true });
    }

    #[test]
    fn version_mistakes_are_refused_with_their_line() {
        let base = "router-id = \"1.1.1.1\"\nversions = [2, 3]\n[[interface]]\nname = \"e0\"\n\
                    area = \"0.0.0.2\"\n";
        assert_eq!(err(&base.replace("[2, 3]", "[4]")), "r.toml:2: versions are 2 and 3, not 4");
        assert_eq!(err(&base.replace("[2, 3]", "[3, 3]")), "r.toml:2: version 3 is listed twice");
        assert_eq!(
            err(&base.replace("[2, 3]", "[]")),
            "r.toml:2: versions lists no version (2, 3 or both)"
        );
        let e = err(&format!(
            "{base}\n[[redistribute]]\nprefix = \"fd00:f4::/32\"\nforwarding-address = \"10.0.0.1\"\n"
        ));
        assert_eq!(e, "r.toml:7: forwarding-address 10.0.0.1 is not of the family of fd00:f4::/32");
        let e = err(&format!(
            "{}\n[[redistribute]]\nprefix = \"fd00:f4::/32\"\n",
            base.replace("[2, 3]", "[2]")
        ));
        assert_eq!(
            e,
            "r.toml:7: IPv6 routes are redistributed but OSPFv3 does not run (add 3 to versions)"
        );
        let e = err(&format!("{base}auth = {{ type = \"md5\", key-id = 1, key = \"k\" }}\n"));
        assert_eq!(e, "r.toml:3: interface e0: OSPFv3 authenticates with hmac-sha only (RFC 7166)");
    }

    #[test]
    fn instance_id_is_ospfv3_only() {
        let base = "router-id = \"1.1.1.1\"\nversions = [3]\n[[interface]]\nname = \"e0\"\n\
                    area = \"0.0.0.0\"\n";
        assert_eq!(parse("r.toml", base).unwrap().interfaces[0].instance_id, 0);
        let c = parse("r.toml", &format!("{base}instance-id = 1\n")).unwrap();
        assert_eq!(c.interfaces[0].instance_id, 1);
        let both = base.replace("[3]", "[2, 3]");
        let c = parse("r.toml", &format!("{both}instance-id = 255\n")).unwrap();
        assert_eq!(c.interfaces[0].instance_id, 255);
        let e = err(&format!("{}instance-id = 1\n", base.replace("[3]", "[2]")));
        assert_eq!(
            e,
            "r.toml:6: interface e0: instance-id 1 is an OSPFv3 setting and OSPFv3 does not run \
             (add 3 to versions); OSPFv2 has no Instance ID"
        );
        // Without `versions`, OSPFv2 only.
        let e = err(&format!("{}instance-id = 7\n", base.replace("versions = [3]\n", "")));
        assert!(e.starts_with("r.toml:5: interface e0: instance-id 7 is an OSPFv3"), "{e}");
        // Zero is the default and means the same with OSPFv2.
        let c = parse("r.toml", &format!("{}instance-id = 0\n", base.replace("[3]", "[2]")));
        assert_eq!(c.unwrap().interfaces[0].instance_id, 0);
        let e = err(&format!("{base}instance-id = 256\n"));
        assert!(e.starts_with("r.toml:6: ") && e.contains("256"), "{e}");
        let e = err(&format!("{base}instance-id = -1\n"));
        assert!(e.starts_with("r.toml:6: "), "{e}");
    }

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}

//! The TOML file: the OSPF part in `ospf-router`'s words (`[[area]]`,
//! `[[interface]]`, checked by the same code), and what the node agent adds:
//! pod routes and where they come from, the reject aggregates, OSPFv3 beside
//! OSPFv2 (`[ospfv3]`: the same areas and interfaces, IPv6 pod CIDRs), the
//! kernel table, the control socket and the metrics address. A bad file is
//! refused with `file:line: reason` before anything starts.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use ospf_lsdb::config::{SPF_DELAY_RANGE, SPF_HOLD_RANGE};
use ospf_router::config::{
    areas_and_interfaces, external_metric, instance_ids_need_ospfv3, spf_timer, Auth, ConfigError,
    FileArea, FileInterface, MetricType, Redistribute, RouterConfig, Source,
};
use serde::Deserialize;
use toml::Spanned;

/// Where the pod routes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodSource {
    /// The `prefixes` of `[pod-routes]` and this node's `pod-cidrs`.
    Static,
    /// Routes of the kernel table (a CNI's, or the connected route of a pod
    /// bridge) whose prefix lies inside one of these.
    Kernel {
        /// The covering prefixes, IPv4 and IPv6.
        within: Vec<IpNet>,
    },
    /// This node's `spec.podCIDRs` from the Kubernetes API: the agent watches its Node
    /// (`k8s-routes`) and sends each new set on [`crate::speaker::PodFeed`].
    Kubernetes,
}

/// How the pod routes are announced: type-2 (or type-1) AS-external-LSAs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRoutes {
    /// The source.
    pub source: PodSource,
    /// Static prefixes: `[pod-routes] prefixes` and this node's `pod-cidrs`,
    /// IPv4 (OSPFv2) and IPv6 (OSPFv3).
    pub prefixes: Vec<IpNet>,
    /// External metric type.
    pub metric_type: MetricType,
    /// External metric.
    pub metric: u32,
    /// Forwarding address, when traffic for the pods should go to another
    /// address of the segment than this node's.
    pub forwarding_address: Option<Ipv4Addr>,
    /// The same for the IPv6 pod CIDRs (RFC 5340 A.4.7: the F-bit).
    pub forwarding_address6: Option<Ipv6Addr>,
    /// External route tag.
    pub tag: u32,
}

impl PodRoutes {
    /// The OSPFv2 AS-external-LSAs for the IPv4 ones of `prefixes`.
    #[must_use]
    pub fn redistribute(&self, prefixes: impl IntoIterator<Item = IpNet>) -> Vec<Redistribute> {
        prefixes
            .into_iter()
            .filter_map(|p| match p {
                IpNet::V4(prefix) => Some(Redistribute {
                    prefix,
                    forwarding_address: self.forwarding_address,
                    metric_type: self.metric_type,
                    metric: self.metric,
                    tag: self.tag,
                }),
                IpNet::V6(_) => None,
            })
            .collect()
    }

    /// The OSPFv3 AS-external-LSAs for the IPv6 ones of `prefixes`.
    #[must_use]
    pub fn redistribute6(
        &self,
        prefixes: impl IntoIterator<Item = IpNet>,
    ) -> Vec<ospf_lsdb::Redistribute6> {
        prefixes
            .into_iter()
            .filter_map(|p| match p {
                IpNet::V6(prefix) => Some(ospf_lsdb::Redistribute6 {
                    prefix,
                    metric_type: match self.metric_type {
                        MetricType::Type1 => ospf_lsdb::MetricType::Type1,
                        MetricType::Type2 => ospf_lsdb::MetricType::Type2,
                    },
                    metric: self.metric,
                    forwarding: self.forwarding_address6,
                    tag: self.tag,
                }),
                IpNet::V4(_) => None,
            })
            .collect()
    }
}

/// How our routes go into the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelConfig {
    /// The routing table (254, main).
    pub table: u32,
    /// Our route protocol number (240), by which our routes are found again.
    pub protocol: u8,
    /// The metric of our routes (20).
    pub metric: u32,
}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// The node it was resolved for.
    pub node_name: String,
    /// Router ID, areas, interfaces and the static pod routes, for the engine.
    pub ospf: RouterConfig,
    /// The pod routes.
    pub pods: PodRoutes,
    /// The covering aggregate of the pod CIDRs, installed as a reject route.
    pub reject_aggregate: Option<Ipv4Net>,
    /// The same for the IPv6 pod CIDRs.
    pub reject_aggregate6: Option<Ipv6Net>,
    /// OSPFv3 (RFC 5340) beside OSPFv2: the same router ID, areas and
    /// interfaces, for the IPv6 pod CIDRs and the fabric's IPv6 routes.
    pub ospfv3: bool,
    /// The kernel table and protocol.
    pub kernel: KernelConfig,
    /// The Unix socket `show` commands are answered on.
    pub control_socket: PathBuf,
    /// Where `/metrics`, `/healthz` and `/readyz` are served; none without.
    pub metrics_address: Option<SocketAddr>,
}

/// The control socket when the file names none.
pub const DEFAULT_CONTROL_SOCKET: &str = "/run/k8s-ospf-speaker/control.sock";

// ----- the file as written -------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct File {
    #[serde(default)]
    node_name: Option<String>,
    #[serde(default)]
    router_id: Option<Ipv4Addr>,
    #[serde(default = "default_spf_delay")]
    spf_delay_ms: Spanned<u64>,
    #[serde(default = "default_spf_hold")]
    spf_hold_ms: Spanned<u64>,
    #[serde(default)]
    control_socket: Option<PathBuf>,
    #[serde(default)]
    metrics_address: Option<Spanned<String>>,
    #[serde(default)]
    reject_aggregate: Option<Spanned<Ipv4Net>>,
    #[serde(default)]
    reject_aggregate6: Option<Spanned<Ipv6Net>>,
    #[serde(default)]
    kernel: Option<FileKernel>,
    #[serde(default)]
    ospfv3: Option<Spanned<FileOspfv3>>,
    #[serde(default)]
    area: Vec<Spanned<FileArea>>,
    #[serde(default)]
    interface: Vec<Spanned<FileInterface>>,
    #[serde(default)]
    pod_routes: Option<Spanned<FilePodRoutes>>,
    #[serde(default)]
    node: Vec<Spanned<FileNode>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileKernel {
    #[serde(default = "main_table")]
    table: u32,
    #[serde(default = "our_protocol")]
    protocol: Spanned<u8>,
    #[serde(default = "twenty")]
    metric: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileOspfv3 {
    #[serde(default = "yes")]
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FilePodRoutes {
    #[serde(default = "static_source")]
    source: Spanned<String>,
    #[serde(default)]
    prefixes: Vec<Spanned<IpNet>>,
    #[serde(default)]
    within: Vec<Spanned<IpNet>>,
    #[serde(default = "two")]
    metric_type: Spanned<u8>,
    #[serde(default = "metric_twenty")]
    metric: Spanned<u32>,
    #[serde(default)]
    forwarding_address: Option<Ipv4Addr>,
    #[serde(default)]
    forwarding_address6: Option<Ipv6Addr>,
    #[serde(default)]
    tag: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileNode {
    name: String,
    #[serde(default)]
    router_id: Option<Ipv4Addr>,
    #[serde(default)]
    pod_cidrs: Vec<Spanned<IpNet>>,
}

fn yes() -> bool {
    true
}

fn default_spf_delay() -> Spanned<u64> {
    Spanned::new(0..0, 200)
}
fn default_spf_hold() -> Spanned<u64> {
    Spanned::new(0..0, 1000)
}
fn main_table() -> u32 {
    kernel::TABLE_MAIN
}
fn our_protocol() -> Spanned<u8> {
    Spanned::new(0..0, kernel::RtProto::DEFAULT.0)
}
fn twenty() -> u32 {
    20
}
fn metric_twenty() -> Spanned<u32> {
    Spanned::new(0..0, 20)
}
fn two() -> Spanned<u8> {
    Spanned::new(0..0, 2)
}
fn static_source() -> Spanned<String> {
    Spanned::new(0..0, "static".to_owned())
}

// ----- loading ---------------------------------------------------------------

/// The node's name when the file sets none: `$NODE_NAME` (the downward API
/// of a DaemonSet), else the host name.
#[must_use]
pub fn default_node_name() -> String {
    std::env::var("NODE_NAME")
        .ok()
        .filter(|n| !n.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|h| h.trim().to_owned())
        })
        .unwrap_or_default()
}

/// Reads and checks `path` for node `node_name` (see [`default_node_name`]).
///
/// # Errors
///
/// [`ConfigError`] with the file, the line and a sentence.
pub fn load(path: &Path, node_name: &str) -> Result<AgentConfig, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { file: file.clone(), source })?;
    parse(&file, &text, node_name)
}

/// A prefix as written, refused with a hint when host bits are set.
fn exact<N: Copy + PartialEq + std::fmt::Display + Trunc>(
    src: &Source<'_>,
    p: &Spanned<N>,
) -> Result<N, ConfigError> {
    let net = *p.get_ref();
    if net.trunc() != net {
        return Err(src.at(
            p.span(),
            format!("prefix {net} has host bits set (did you mean {}?)", net.trunc()),
        ));
    }
    Ok(net)
}

/// The network of a prefix, whichever its family.
trait Trunc: Sized {
    fn trunc(&self) -> Self;
}

impl Trunc for Ipv4Net {
    fn trunc(&self) -> Self {
        Ipv4Net::trunc(self)
    }
}

impl Trunc for Ipv6Net {
    fn trunc(&self) -> Self {
        Ipv6Net::trunc(self)
    }
}

impl Trunc for IpNet {
    fn trunc(&self) -> Self {
        IpNet::trunc(self)
    }
}

fn pick(field: Range<usize>, table: &Range<usize>) -> Range<usize> {
    if field.is_empty() {
        table.clone()
    } else {
        field
    }
}

/// Parses and checks configuration text for node `node_name`; `file` names
/// it in errors.
///
/// # Errors
///
/// [`ConfigError::Invalid`] with the line and a sentence.
pub fn parse(file: &str, text: &str, node_name: &str) -> Result<AgentConfig, ConfigError> {
    let src = Source { file, text };
    let raw: File = src.deserialize()?;
    let node_name = raw.node_name.clone().unwrap_or_else(|| node_name.to_owned());
    let (areas, interfaces) = areas_and_interfaces(&src, &raw.area, &raw.interface)?;

    let mut names: Vec<&str> = Vec::new();
    for n in &raw.node {
        let name = n.get_ref().name.as_str();
        if names.contains(&name) {
            return Err(src.at(n.span(), format!("node {name} is listed twice")));
        }
        names.push(name);
    }
    let this = raw.node.iter().find(|n| n.get_ref().name == node_name);
    let router_id =
        this.and_then(|n| n.get_ref().router_id).or(raw.router_id).ok_or_else(|| {
            src.at(
                0..0,
                format!(
                    "no router-id: set router-id, or router-id in the [[node]] named {node_name:?}"
                ),
            )
        })?;

    let reject_aggregate = match &raw.reject_aggregate {
        Some(a) => Some(exact(&src, a)?),
        None => None,
    };
    let reject_aggregate6 = match &raw.reject_aggregate6 {
        Some(a) => Some(exact(&src, a)?),
        None => None,
    };
    let ospfv3 = raw.ospfv3.as_ref().is_some_and(|t| t.get_ref().enabled);
    if !ospfv3 {
        instance_ids_need_ospfv3(&src, &raw.interface, "add an [ospfv3] table")?;
    }
    if ospfv3 {
        // RFC 7166: OSPFv3 authenticates with the HMAC-SHA trailer only.
        for (sp, i) in raw.interface.iter().zip(&interfaces) {
            if matches!(i.auth, Auth::Simple(_) | Auth::Md5 { .. }) {
                return Err(src.at(
                    sp.span(),
                    format!(
                        "interface {}: OSPFv3 has no simple or MD5 authentication (RFC 7166                          is HMAC-SHA): use an hmac-sha auth, or none",
                        i.name
                    ),
                ));
            }
        }
    }

    let default_table = Spanned::new(0..0, FilePodRoutes::default_table());
    let pod_table = raw.pod_routes.as_ref().unwrap_or(&default_table);
    let table_span = pod_table.span();
    let p = pod_table.get_ref();
    let (metric_type, metric) = external_metric(&src, &p.metric_type, &p.metric, &table_span)?;
    let source = match p.source.get_ref().as_str() {
        "static" => PodSource::Static,
        "kernel" => {
            let mut within = Vec::new();
            for w in &p.within {
                within.push(exact(&src, w)?);
            }
            if within.is_empty() {
                within.extend(reject_aggregate.map(IpNet::V4));
                within.extend(reject_aggregate6.map(IpNet::V6));
            }
            if within.is_empty() {
                return Err(src.at(
                    pick(p.source.span(), &table_span),
                    "source \"kernel\" needs within = [\"PREFIX\", ...] or a reject-aggregate"
                        .into(),
                ));
            }
            PodSource::Kernel { within }
        }
        "kubernetes" => PodSource::Kubernetes,
        other => {
            return Err(src.at(
                p.source.span(),
                format!("source is \"static\", \"kernel\" or \"kubernetes\", not {other:?}"),
            ))
        }
    };
    let mut prefixes: Vec<IpNet> = Vec::new();
    let node_cidrs = this.map(|n| n.get_ref().pod_cidrs.as_slice()).unwrap_or_default();
    for sp in p.prefixes.iter().chain(node_cidrs) {
        let net = exact(&src, sp)?;
        if prefixes.contains(&net) {
            return Err(src.at(sp.span(), format!("pod CIDR {net} is listed twice")));
        }
        if matches!(net, IpNet::V6(_)) && !ospfv3 {
            return Err(src.at(
                sp.span(),
                format!("pod CIDR {net} is IPv6: add an [ospfv3] table to announce it"),
            ));
        }
        let aggregate = match net {
            IpNet::V4(_) => reject_aggregate.map(IpNet::V4),
            IpNet::V6(_) => reject_aggregate6.map(IpNet::V6),
        };
        // The aggregate exists to refuse the unassigned addresses around the
        // pod CIDRs; one outside it is a typing error (fd00:f4::/48 does not
        // hold fd00:f4:1::/64).
        if let Some(agg) = aggregate.filter(|a| !a.contains(&net)) {
            return Err(
                src.at(sp.span(), format!("pod CIDR {net} is outside the reject aggregate {agg}"))
            );
        }
        if Some(net) == aggregate {
            return Err(src.at(
                sp.span(),
                format!("pod CIDR {net} is the reject aggregate itself: announce a part of it"),
            ));
        }
        prefixes.push(net);
    }
    if source != PodSource::Static && !prefixes.is_empty() {
        return Err(src.at(
            table_span,
            "prefixes and pod-cidrs are for source \"static\"; with another source they would \
             be ignored"
                .into(),
        ));
    }

    let kernel = match &raw.kernel {
        Some(k) => {
            let protocol = *k.protocol.get_ref();
            if protocol <= kernel::RtProto::STATIC.0 {
                return Err(src.at(
                    k.protocol.span(),
                    format!(
                        "protocol {protocol} is one the kernel interprets (0 to 4): choose \
                         another, such as 240"
                    ),
                ));
            }
            KernelConfig { table: k.table, protocol, metric: k.metric }
        }
        None => KernelConfig {
            table: kernel::TABLE_MAIN,
            protocol: kernel::RtProto::DEFAULT.0,
            metric: 20,
        },
    };

    let metrics_address =
        match &raw.metrics_address {
            Some(a) if a.get_ref().is_empty() => None,
            Some(a) => Some(a.get_ref().parse::<SocketAddr>().map_err(|e| {
                src.at(a.span(), format!("metrics-address {:?}: {e}", a.get_ref()))
            })?),
            None => None,
        };

    let pods = PodRoutes {
        source,
        prefixes,
        metric_type,
        metric,
        forwarding_address: p.forwarding_address,
        forwarding_address6: p.forwarding_address6,
        tag: p.tag,
    };
    let redistribute = match pods.source {
        PodSource::Static => pods.redistribute(pods.prefixes.iter().copied()),
        _ => Vec::new(),
    };
    Ok(AgentConfig {
        node_name,
        ospf: RouterConfig {
            router_id,
            versions: ospf_router::config::Versions::default(),
            areas,
            interfaces,
            redistribute,
            redistribute6: Vec::new(),
            spf_delay: spf_timer(&src, "spf-delay-ms", &raw.spf_delay_ms, SPF_DELAY_RANGE)?,
            spf_hold: spf_timer(&src, "spf-hold-ms", &raw.spf_hold_ms, SPF_HOLD_RANGE)?,
        },
        pods,
        reject_aggregate,
        reject_aggregate6,
        ospfv3,
        kernel,
        control_socket: raw.control_socket.unwrap_or_else(|| PathBuf::from(DEFAULT_CONTROL_SOCKET)),
        metrics_address,
    })
}

impl FilePodRoutes {
    fn default_table() -> FilePodRoutes {
        FilePodRoutes {
            source: static_source(),
            prefixes: Vec::new(),
            within: Vec::new(),
            metric_type: two(),
            metric: metric_twenty(),
            forwarding_address: None,
            forwarding_address6: None,
            tag: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../k8s-ospf-speaker.toml");

    fn err(text: &str) -> String {
        parse("s.toml", text, "node1").unwrap_err().to_string()
    }

    const BASE: &str =
        "router-id = \"10.0.0.1\"\n[[interface]]\nname = \"eth0\"\narea = \"0.0.0.2\"\n";

    #[test]
    fn sample_loads_per_node() {
        let c = parse("k8s-ospf-speaker.toml", SAMPLE, "node1").unwrap();
        assert_eq!(c.ospf.router_id, Ipv4Addr::new(192, 168, 2, 11));
        assert_eq!(c.ospf.interfaces[0].cost, 20);
        assert_eq!(c.ospf.interfaces[0].area, Ipv4Addr::new(0, 0, 0, 2));
        assert_eq!(c.pods.source, PodSource::Static);
        let both = |a: &str, b: &str| vec![a.parse::<IpNet>().unwrap(), b.parse().unwrap()];
        assert_eq!(c.pods.prefixes, both("10.244.1.0/24", "fd00:f4:1::/64"));
        assert!(c.ospfv3);
        assert_eq!(c.reject_aggregate6, "fd00:f4::/32".parse().ok());
        assert_eq!((c.pods.metric_type, c.pods.metric), (MetricType::Type2, 20));
        assert_eq!(c.ospf.redistribute.len(), 1);
        assert_eq!(c.reject_aggregate, "10.244.0.0/16".parse().ok());
        assert_eq!(c.kernel, KernelConfig { table: 254, protocol: 240, metric: 20 });
        let c2 = parse("k8s-ospf-speaker.toml", SAMPLE, "node2").unwrap();
        assert_eq!(c2.ospf.router_id, Ipv4Addr::new(192, 168, 2, 12));
        assert_eq!(c2.pods.prefixes, both("10.244.2.0/24", "fd00:f4:2::/64"));
        // The sample maps onto the engine like ospf-router's.
        let e = ospf_router::router::engine_config(&c.ospf, |_| Ok::<u32, ()>(3)).unwrap();
        assert_eq!(e.interfaces[0].ifindex, 3);
        assert_eq!(e.redistribute[0].metric_type, ospf_lsdb::MetricType::Type2);
        // OSPFv3: the same interface, only the IPv6 CIDR, as a type-2 external.
        let e6 = crate::ospf3::engine_config(&c, |_| Ok::<u32, ()>(3)).unwrap();
        assert_eq!((e6.interfaces[0].ifindex, e6.interfaces[0].cost), (3, 20));
        assert!(e6.redistribute.is_empty());
        assert_eq!(e6.redistribute6.len(), 1);
        assert_eq!(e6.redistribute6[0].prefix, "fd00:f4:1::/64".parse::<Ipv6Net>().unwrap());
        assert_eq!(e6.redistribute6[0].metric_type, ospf_lsdb::MetricType::Type2);
        assert_eq!(e6.redistribute6[0].metric, 20);
    }

    #[test]
    fn ipv6_pod_cidrs_need_ospfv3_and_ospfv3_needs_hmac_or_no_auth() {
        assert_eq!(
            err(&format!("{BASE}[pod-routes]\nprefixes = [\"fd00:f4:1::/64\"]\n")),
            "s.toml:6: pod CIDR fd00:f4:1::/64 is IPv6: add an [ospfv3] table to announce it"
        );
        assert_eq!(
            err(&format!("{BASE}[ospfv3]\n[pod-routes]\nprefixes = [\"fd00:f4:1::1/64\"]\n")),
            "s.toml:7: prefix fd00:f4:1::1/64 has host bits set (did you mean fd00:f4:1::/64?)"
        );
        let e =
            err(&format!("{BASE}auth = {{ type = \"md5\", key-id = 1, key = \"k\" }}\n[ospfv3]\n"));
        assert!(e.starts_with("s.toml:2: interface eth0: OSPFv3 has no simple or MD5"), "{e}");
        assert_eq!(
            err(&format!(
                "reject-aggregate6 = \"fd00:f4::/48\"\n{BASE}[ospfv3]\n[pod-routes]\n\
                 prefixes = [\"fd00:f4:1::/64\"]\n"
            )),
            "s.toml:8: pod CIDR fd00:f4:1::/64 is outside the reject aggregate fd00:f4::/48"
        );
        let c = parse("s.toml", &format!("{BASE}[ospfv3]\nenabled = false\n"), "n").unwrap();
        assert!(!c.ospfv3);
    }

    #[test]
    fn instance_id_needs_ospfv3() {
        assert_eq!(
            err(&format!("{BASE}instance-id = 2\n")),
            "s.toml:5: interface eth0: instance-id 2 is an OSPFv3 setting and OSPFv3 does not \
             run (add an [ospfv3] table); OSPFv2 has no Instance ID"
        );
        let c = parse("s.toml", &format!("{BASE}instance-id = 2\n[ospfv3]\n"), "n").unwrap();
        let e6 = crate::ospf3::engine_config(&c, |_| Ok::<u32, ()>(3)).unwrap();
        assert_eq!(e6.interfaces[0].instance_id, 2);
    }

    #[test]
    fn kernel_source_defaults_to_the_aggregate() {
        let c = parse(
            "s.toml",
            &format!(
                "reject-aggregate = \"10.244.0.0/16\"\n{BASE}[pod-routes]\nsource = \"kernel\"\n"
            ),
            "n",
        )
        .unwrap();
        assert_eq!(
            c.pods.source,
            PodSource::Kernel { within: vec!["10.244.0.0/16".parse().unwrap()] }
        );
        assert!(c.ospf.redistribute.is_empty());
        assert_eq!(c.control_socket, PathBuf::from(DEFAULT_CONTROL_SOCKET));
        assert_eq!(c.metrics_address, None);
    }

    #[test]
    fn errors_name_file_and_line() {
        assert_eq!(
            err("[[interface]]\nname = \"eth0\"\narea = \"0.0.0.2\"\n"),
            "s.toml:1: no router-id: set router-id, or router-id in the [[node]] named \"node1\""
        );
        assert_eq!(
            err(&format!("{BASE}[pod-routes]\nsource = \"kernel\"\n")),
            "s.toml:6: source \"kernel\" needs within = [\"PREFIX\", ...] or a reject-aggregate"
        );
        assert_eq!(
            err(&format!(
                "{BASE}[pod-routes]\nprefixes = [\"10.244.1.0/24\",\n  \"10.244.1.1/24\"]\n"
            )),
            "s.toml:7: prefix 10.244.1.1/24 has host bits set (did you mean 10.244.1.0/24?)"
        );
        assert_eq!(
            err(&format!("reject-aggregate = \"10.244.0.0/16\"\n{BASE}[pod-routes]\nprefixes = [\"10.244.0.0/16\"]\n")),
            "s.toml:7: pod CIDR 10.244.0.0/16 is the reject aggregate itself: announce a part of it"
        );
        assert_eq!(
            err(&format!("{BASE}[pod-routes]\nmetric-type = 3\n")),
            "s.toml:6: metric-type is 1 or 2, not 3"
        );
        assert_eq!(
            err(&format!("{BASE}[kernel]\nprotocol = 4\n")),
            "s.toml:6: protocol 4 is one the kernel interprets (0 to 4): choose another, such as 240"
        );
        assert!(err(&format!("spf-hold-ms = 0\n{BASE}")).starts_with("s.toml:1: spf-hold-ms"));
        assert!(err(&format!("metrics-address = \"nowhere\"\n{BASE}"))
            .starts_with("s.toml:1: metrics-address \"nowhere\": "));
        assert_eq!(
            err(&format!("{BASE}hello-interval = 4\ndead-interval = 4\n")),
            "s.toml:6: dead-interval 4 s must be longer than hello-interval 4 s"
        );
        let e = err(&format!("{BASE}colour = \"red\"\n"));
        assert!(e.starts_with("s.toml:5: ") && e.contains("colour"), "{e}");
    }
}

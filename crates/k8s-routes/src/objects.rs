//! The few fields of Nodes and Services that carry routes, decoded without the rest.
//!
//! The watchers decode into [`NodePodCidrs`] and [`ServiceAddresses`] instead of
//! `k8s_openapi`'s `Node` and `Service`: everything else in an object (labels,
//! annotations, managed fields, ports, selectors, conditions, images) is skipped by the
//! parser, never allocated. Addresses are parsed while decoding; strings that are not
//! addresses are dropped there (`"None"` is how a headless service says it has no cluster
//! IP).

use std::{borrow::Cow, fmt, net::IpAddr};

use ipnet::IpNet;
use k8s_openapi::{
    apimachinery::pkg::apis::meta::v1::ObjectMeta, ClusterResourceScope, NamespaceResourceScope,
};
use serde::{
    de::{SeqAccess, Visitor},
    Deserialize, Deserializer,
};

/// The pod CIDRs of one Node: `spec.podCIDRs`, and `spec.podCIDR` where an older
/// server sets only that.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(from = "RawNode")]
#[non_exhaustive]
pub struct NodePodCidrs {
    /// Name and resource version only; the rest of the metadata is not decoded.
    pub metadata: ObjectMeta,
    /// The node's pod CIDRs, host bits cleared, without repeats, in the node's order.
    pub pod_cidrs: Vec<IpNet>,
}

/// The addresses of one Service that can be announced.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(from = "RawService")]
#[non_exhaustive]
pub struct ServiceAddresses {
    /// Name, namespace and resource version only.
    pub metadata: ObjectMeta,
    /// `spec.type` is `ExternalName`: a DNS alias, nothing to route.
    pub external_name: bool,
    /// `spec.clusterIPs` (or `spec.clusterIP` when the list is absent), without `"None"`.
    pub cluster_ips: Vec<IpAddr>,
    /// `spec.externalIPs`.
    pub external_ips: Vec<IpAddr>,
    /// `status.loadBalancer.ingress[].ip` (entries with only a `hostname` are skipped).
    pub load_balancer_ips: Vec<IpAddr>,
}

/// A Node as a member of the BGP mesh: its name, labels and `InternalIP` addresses.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(from = "RawNodePeer")]
#[non_exhaustive]
pub struct NodePeer {
    /// Name and resource version only.
    pub metadata: ObjectMeta,
    /// `metadata.labels`, read to tell route reflectors; dropped once that is decided.
    pub labels: Vec<(String, String)>,
    /// `status.addresses` of type `InternalIP`, in the node's order.
    pub internal_ips: Vec<IpAddr>,
}

impl NodePeer {
    /// The node's name (empty if the object had none).
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// The address to peer with: the first IPv4 `InternalIP`, else the first IPv6 one.
    pub fn peering_address(&self) -> Option<IpAddr> {
        let v4 = self.internal_ips.iter().find(|a| a.is_ipv4());
        v4.or(self.internal_ips.first()).copied()
    }
}

impl NodePodCidrs {
    /// The node's name (empty if the object had none).
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
}

impl ServiceAddresses {
    /// `namespace/name`, the key of this service in a [`RouteTable`](crate::RouteTable).
    pub fn key(&self) -> String {
        let ns = self.metadata.namespace.as_deref().unwrap_or_default();
        let name = self.metadata.name.as_deref().unwrap_or_default();
        format!("{ns}/{name}")
    }
}

/// Which service addresses become routes, as kube-router's `--advertise-cluster-ip`,
/// `--advertise-external-ip` and `--advertise-loadbalancer-ip`, and which are announced
/// as a covering aggregate instead of one host route each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceOptions {
    /// Announce `spec.clusterIPs`.
    pub cluster_ip: bool,
    /// Announce `spec.externalIPs`.
    pub external_ip: bool,
    /// Announce `status.loadBalancer.ingress[].ip`.
    pub load_balancer_ip: bool,
    /// Service CIDRs: an address inside one of these is announced as the most specific
    /// of them that contains it, instead of as a /32 or /128. The aggregate stays while any
    /// service has an address in it.
    pub aggregates: Vec<IpNet>,
}

impl ServiceOptions {
    /// Cluster, external and load-balancer addresses, no aggregates.
    pub fn all() -> Self {
        ServiceOptions {
            cluster_ip: true,
            external_ip: true,
            load_balancer_ip: true,
            aggregates: Vec::new(),
        }
    }

    /// The prefixes `service` contributes: each selected address as a /32 or /128, or the
    /// aggregate containing it; sorted, without repeats. None for an `ExternalName`
    /// service.
    pub fn prefixes(&self, service: &ServiceAddresses) -> Vec<IpNet> {
        if service.external_name {
            return Vec::new();
        }
        let selected = [
            (self.cluster_ip, &service.cluster_ips),
            (self.external_ip, &service.external_ips),
            (self.load_balancer_ip, &service.load_balancer_ips),
        ];
        let mut out: Vec<IpNet> = selected
            .into_iter()
            .filter(|(on, _)| *on)
            .flat_map(|(_, ips)| ips.iter())
            .map(|&ip| self.prefix_of(ip))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn prefix_of(&self, ip: IpAddr) -> IpNet {
        self.aggregates
            .iter()
            .map(IpNet::trunc)
            .filter(|aggregate| aggregate.contains(&ip))
            .max_by_key(IpNet::prefix_len)
            .unwrap_or_else(|| IpNet::from(ip))
    }
}

/// `kube::Resource` for a decoded view of a core/v1 object: kind, plural and scope are the
/// object's, the metadata is the few fields kept.
macro_rules! core_v1_resource {
    ($($ty:ty => $kind:literal, $plural:literal, $scope:ty;)*) => {$(
        impl kube::Resource for $ty {
            type DynamicType = ();
            type Scope = $scope;

            fn kind(_: &()) -> Cow<'_, str> {
                $kind.into()
            }
            fn group(_: &()) -> Cow<'_, str> {
                "".into()
            }
            fn version(_: &()) -> Cow<'_, str> {
                "v1".into()
            }
            fn plural(_: &()) -> Cow<'_, str> {
                $plural.into()
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    )*};
}

core_v1_resource! {
    NodePodCidrs => "Node", "nodes", ClusterResourceScope;
    NodePeer => "Node", "nodes", ClusterResourceScope;
    ServiceAddresses => "Service", "services", NamespaceResourceScope;
}

// --- what is decoded -----------------------------------------------------------------------

/// The metadata fields a watcher needs: resource version (to resume), name and namespace
/// (the key), uid.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SlimMeta {
    name: Option<String>,
    namespace: Option<String>,
    resource_version: Option<String>,
    uid: Option<String>,
}

impl From<SlimMeta> for ObjectMeta {
    fn from(m: SlimMeta) -> Self {
        ObjectMeta {
            name: m.name,
            namespace: m.namespace,
            resource_version: m.resource_version,
            uid: m.uid,
            ..ObjectMeta::default()
        }
    }
}

#[derive(Deserialize)]
struct RawNode {
    #[serde(default)]
    metadata: Option<SlimMeta>,
    #[serde(default)]
    spec: Option<RawNodeSpec>,
}

#[derive(Deserialize)]
struct RawNodeSpec {
    #[serde(default, rename = "podCIDR")]
    pod_cidr: Option<Cidr>,
    #[serde(default, rename = "podCIDRs")]
    pod_cidrs: Option<Cidrs>,
}

impl From<RawNode> for NodePodCidrs {
    fn from(raw: RawNode) -> Self {
        let mut pod_cidrs = Vec::new();
        if let Some(spec) = raw.spec {
            let listed = spec.pod_cidrs.map(|c| c.0).unwrap_or_default();
            let single = spec.pod_cidr.and_then(|c| c.0);
            for net in listed.into_iter().chain(single) {
                if !pod_cidrs.contains(&net) {
                    pod_cidrs.push(net);
                }
            }
        }
        NodePodCidrs { metadata: raw.metadata.unwrap_or_default().into(), pod_cidrs }
    }
}

#[derive(Deserialize)]
struct RawNodePeer {
    #[serde(default)]
    metadata: Option<MetaWithLabels>,
    #[serde(default)]
    status: Option<RawNodeStatus>,
}

#[derive(Deserialize)]
struct MetaWithLabels {
    #[serde(flatten)]
    slim: SlimMeta,
    #[serde(default)]
    labels: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RawNodeStatus {
    #[serde(default)]
    addresses: Option<Vec<RawNodeAddress>>,
}

#[derive(Deserialize)]
struct RawNodeAddress {
    #[serde(default, rename = "type")]
    type_: Option<String>,
    #[serde(default)]
    address: Option<Ip>,
}

impl From<RawNodePeer> for NodePeer {
    fn from(raw: RawNodePeer) -> Self {
        let (metadata, labels) = match raw.metadata {
            Some(m) => (m.slim.into(), m.labels.unwrap_or_default().into_iter().collect()),
            None => (ObjectMeta::default(), Vec::new()),
        };
        let mut internal_ips = Vec::new();
        for a in raw.status.and_then(|s| s.addresses).unwrap_or_default() {
            if a.type_.as_deref() == Some("InternalIP") {
                if let Some(ip) = a.address.and_then(|ip| ip.0) {
                    if !internal_ips.contains(&ip) {
                        internal_ips.push(ip);
                    }
                }
            }
        }
        NodePeer { metadata, labels, internal_ips }
    }
}

#[derive(Deserialize)]
struct RawService {
    #[serde(default)]
    metadata: Option<SlimMeta>,
    #[serde(default)]
    spec: Option<RawServiceSpec>,
    #[serde(default)]
    status: Option<RawServiceStatus>,
}

#[derive(Deserialize)]
struct RawServiceSpec {
    #[serde(default, rename = "type")]
    type_: Option<String>,
    #[serde(default, rename = "clusterIP")]
    cluster_ip: Option<Ip>,
    #[serde(default, rename = "clusterIPs")]
    cluster_ips: Option<Ips>,
    #[serde(default, rename = "externalIPs")]
    external_ips: Option<Ips>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawServiceStatus {
    #[serde(default)]
    load_balancer: Option<RawLoadBalancerStatus>,
}

#[derive(Deserialize)]
struct RawLoadBalancerStatus {
    #[serde(default)]
    ingress: Option<Vec<RawIngress>>,
}

#[derive(Deserialize)]
struct RawIngress {
    #[serde(default)]
    ip: Option<Ip>,
}

impl From<RawService> for ServiceAddresses {
    fn from(raw: RawService) -> Self {
        let mut out = ServiceAddresses {
            metadata: raw.metadata.unwrap_or_default().into(),
            ..ServiceAddresses::default()
        };
        if let Some(spec) = raw.spec {
            out.external_name = spec.type_.as_deref() == Some("ExternalName");
            // "If this field is not specified, it will be initialized from the clusterIP
            // field" (ServiceSpec.clusterIPs): a server that predates dual stack sends only
            // clusterIP.
            out.cluster_ips = match spec.cluster_ips {
                Some(ips) => ips.0,
                None => spec.cluster_ip.and_then(|ip| ip.0).into_iter().collect(),
            };
            out.external_ips = spec.external_ips.map(|ips| ips.0).unwrap_or_default();
        }
        if let Some(ingress) = raw.status.and_then(|s| s.load_balancer).and_then(|lb| lb.ingress) {
            out.load_balancer_ips =
                ingress.into_iter().filter_map(|i| i.ip.and_then(|ip| ip.0)).collect();
        }
        out
    }
}

/// A string that is kept if it is an IP address (`"None"`, `""` and anything else are not).
struct Ip(Option<IpAddr>);

/// A list of strings of which the IP addresses are kept, without repeats.
struct Ips(Vec<IpAddr>);

/// A string that is kept if it is a CIDR; host bits are cleared.
struct Cidr(Option<IpNet>);

/// A list of strings of which the CIDRs are kept.
struct Cidrs(Vec<IpNet>);

struct ParsedStr<T>(std::marker::PhantomData<T>);

impl<T: std::str::FromStr> Visitor<'_> for ParsedStr<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.parse().ok())
    }
}

impl<'de> Deserialize<'de> for Ip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(ParsedStr(std::marker::PhantomData)).map(Ip)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(ParsedStr::<IpNet>(std::marker::PhantomData))
            .map(|n| Cidr(n.map(|n| n.trunc())))
    }
}

struct ListOf<T>(std::marker::PhantomData<T>);

impl<'de, T> Visitor<'de> for ListOf<T>
where
    T: std::str::FromStr + PartialEq,
{
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<ParsedElem<T>>()? {
            if let Some(v) = item.0 {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        Ok(out)
    }
}

struct ParsedElem<T>(Option<T>);

impl<'de, T: std::str::FromStr> Deserialize<'de> for ParsedElem<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(ParsedStr(std::marker::PhantomData)).map(ParsedElem)
    }
}

impl<'de> Deserialize<'de> for Ips {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ListOf(std::marker::PhantomData)).map(Ips)
    }
}

impl<'de> Deserialize<'de> for Cidrs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let nets: Vec<IpNet> = d.deserialize_seq(ListOf(std::marker::PhantomData))?;
        let mut out: Vec<IpNet> = Vec::with_capacity(nets.len());
        for net in nets.into_iter().map(|n| n.trunc()) {
            if !out.contains(&net) {
                out.push(net);
            }
        }
        Ok(Cidrs(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        LoadBalancerIngress, LoadBalancerStatus, Node, NodeSpec, Service, ServiceSpec,
        ServiceStatus,
    };

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn strings(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    /// A Service as the API server sends it, through k8s-openapi's own serialisation.
    fn service(ty: &str, cluster: &[&str], external: &[&str], lb: &[&str]) -> serde_json::Value {
        let svc = Service {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("shop".into()),
                resource_version: Some("42".into()),
                uid: Some("0b7f".into()),
                annotations: Some([("a".to_string(), "b".repeat(100))].into()),
                ..ObjectMeta::default()
            },
            spec: Some(ServiceSpec {
                type_: Some(ty.into()),
                cluster_ip: cluster.first().map(|s| s.to_string()),
                cluster_ips: strings(cluster),
                external_ips: strings(external),
                ..ServiceSpec::default()
            }),
            status: Some(ServiceStatus {
                load_balancer: Some(LoadBalancerStatus {
                    ingress: Some(
                        lb.iter()
                            .map(|s| LoadBalancerIngress {
                                ip: Some(s.to_string()),
                                ..LoadBalancerIngress::default()
                            })
                            .chain([LoadBalancerIngress {
                                hostname: Some("lb.example.net".into()),
                                ..LoadBalancerIngress::default()
                            }])
                            .collect(),
                    ),
                }),
                ..ServiceStatus::default()
            }),
        };
        serde_json::to_value(svc).unwrap()
    }

    #[test]
    fn service_fields_and_metadata() {
        let json = service(
            "LoadBalancer",
            &["10.96.0.10", "fd00:96::a"],
            &["192.0.2.7"],
            &["198.51.100.1"],
        );
        let s: ServiceAddresses = serde_json::from_value(json).unwrap();
        assert_eq!(s.key(), "shop/web");
        assert_eq!(s.metadata.resource_version.as_deref(), Some("42"));
        assert_eq!(s.metadata.uid.as_deref(), Some("0b7f"));
        assert_eq!(s.metadata.annotations, None, "annotations are not decoded");
        assert!(!s.external_name);
        assert_eq!(s.cluster_ips, [ip("10.96.0.10"), ip("fd00:96::a")]);
        assert_eq!(s.external_ips, [ip("192.0.2.7")]);
        assert_eq!(s.load_balancer_ips, [ip("198.51.100.1")]);
        assert_eq!(
            ServiceOptions::all().prefixes(&s),
            [
                net("10.96.0.10/32"),
                net("192.0.2.7/32"),
                net("198.51.100.1/32"),
                net("fd00:96::a/128")
            ]
        );
    }

    #[test]
    fn headless_and_external_name_give_nothing() {
        let headless: ServiceAddresses =
            serde_json::from_value(service("ClusterIP", &["None"], &[], &[])).unwrap();
        assert!(headless.cluster_ips.is_empty());
        assert!(ServiceOptions::all().prefixes(&headless).is_empty());

        // An ExternalName service with an external IP set: still nothing to route.
        let alias: ServiceAddresses =
            serde_json::from_value(service("ExternalName", &[], &["192.0.2.9"], &[])).unwrap();
        assert!(alias.external_name);
        assert!(ServiceOptions::all().prefixes(&alias).is_empty());
    }

    #[test]
    fn old_server_with_cluster_ip_only_and_nulls() {
        let json = serde_json::json!({
            "metadata": {"name": "dns", "namespace": "kube-system", "resourceVersion": "7"},
            "spec": {"clusterIP": "10.96.0.10", "externalIPs": null, "type": "ClusterIP"},
            "status": {"loadBalancer": {}}
        });
        let s: ServiceAddresses = serde_json::from_value(json).unwrap();
        assert_eq!(s.cluster_ips, [ip("10.96.0.10")]);
        assert!(s.external_ips.is_empty() && s.load_balancer_ips.is_empty());
        let bare: ServiceAddresses = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(bare, ServiceAddresses::default());
    }

    #[test]
    fn options_select_kinds_of_address() {
        let s: ServiceAddresses = serde_json::from_value(service(
            "LoadBalancer",
            &["10.96.0.10"],
            &["192.0.2.7"],
            &["198.51.100.1"],
        ))
        .unwrap();
        let only = |cluster_ip, external_ip, load_balancer_ip| ServiceOptions {
            cluster_ip,
            external_ip,
            load_balancer_ip,
            aggregates: vec![],
        };
        assert_eq!(only(true, false, false).prefixes(&s), [net("10.96.0.10/32")]);
        assert_eq!(only(false, true, false).prefixes(&s), [net("192.0.2.7/32")]);
        assert_eq!(only(false, false, true).prefixes(&s), [net("198.51.100.1/32")]);
        assert!(ServiceOptions::default().prefixes(&s).is_empty());
    }

    #[test]
    fn aggregates_replace_host_routes() {
        let s: ServiceAddresses = serde_json::from_value(service(
            "LoadBalancer",
            &["10.96.0.10", "fd00:96::a"],
            &["10.96.1.1"],
            &["198.51.100.1"],
        ))
        .unwrap();
        let options = ServiceOptions {
            // Host bits in a configured aggregate are ignored; the most specific wins.
            aggregates: vec![net("10.96.0.0/12"), net("10.96.1.0/24"), net("fd00:96::1/112")],
            ..ServiceOptions::all()
        };
        assert_eq!(
            options.prefixes(&s),
            [
                net("10.96.0.0/12"),
                net("10.96.1.0/24"),
                net("198.51.100.1/32"),
                net("fd00:96::/112")
            ]
        );
    }

    #[test]
    fn node_pod_cidrs() {
        let node = Node {
            metadata: ObjectMeta { name: Some("node-a".into()), ..ObjectMeta::default() },
            spec: Some(NodeSpec {
                pod_cidr: Some("10.244.1.0/24".into()),
                pod_cidrs: strings(&["10.244.1.0/24", "fd00:244:1::/64", "garbage"]),
                ..NodeSpec::default()
            }),
            status: None,
        };
        let n: NodePodCidrs = serde_json::from_value(serde_json::to_value(node).unwrap()).unwrap();
        assert_eq!(n.name(), "node-a");
        assert_eq!(n.pod_cidrs, [net("10.244.1.0/24"), net("fd00:244:1::/64")]);

        // Only the old single field, with host bits set.
        let old =
            serde_json::json!({"metadata": {"name": "n"}, "spec": {"podCIDR": "10.244.2.9/24"}});
        let n: NodePodCidrs = serde_json::from_value(old).unwrap();
        assert_eq!(n.pod_cidrs, [net("10.244.2.0/24")]);

        let unassigned = serde_json::json!({"metadata": {"name": "n"}, "spec": {}});
        let n: NodePodCidrs = serde_json::from_value(unassigned).unwrap();
        assert!(n.pod_cidrs.is_empty());
    }

    #[test]
    fn node_peer_keeps_labels_and_internal_addresses() {
        use k8s_openapi::api::core::v1::{NodeAddress, NodeStatus};
        let addr = |t: &str, a: &str| NodeAddress { type_: t.into(), address: a.into() };
        let node = Node {
            metadata: ObjectMeta {
                name: Some("node-a".into()),
                labels: Some([("bgp/rr".to_string(), "true".to_string())].into()),
                annotations: Some([("a".to_string(), "b".repeat(100))].into()),
                ..ObjectMeta::default()
            },
            spec: None,
            status: Some(NodeStatus {
                addresses: Some(vec![
                    addr("Hostname", "node-a"),
                    addr("InternalIP", "fd00::7"),
                    addr("ExternalIP", "203.0.113.7"),
                    addr("InternalIP", "192.0.2.7"),
                ]),
                ..NodeStatus::default()
            }),
        };
        let n: NodePeer = serde_json::from_value(serde_json::to_value(node).unwrap()).unwrap();
        assert_eq!(n.name(), "node-a");
        assert_eq!(n.labels, [("bgp/rr".to_string(), "true".to_string())]);
        assert_eq!(n.internal_ips, [ip("fd00::7"), ip("192.0.2.7")]);
        assert_eq!(n.peering_address(), Some(ip("192.0.2.7")));
        let bare: NodePeer = serde_json::from_value(serde_json::json!({"metadata": {}})).unwrap();
        assert_eq!(bare.peering_address(), None);
    }
}

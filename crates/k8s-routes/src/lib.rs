//! # k8s-routes
//!
//! The routes a Kubernetes node agent announces, from the API server: this node's pod
//! CIDRs (`spec.podCIDRs`) and the addresses of Services (cluster IPs, external IPs,
//! load-balancer ingress IPs, selected as kube-router's `--advertise-cluster-ip`,
//! `--advertise-external-ip` and `--advertise-loadbalancer-ip`), as add and remove events.
//!
//! ## Layers
//!
//! - [`RouteTable`] is the sans-IO core: objects' prefixes in (`handle_apply`,
//!   `handle_delete`, `handle_list_start`, `handle_list_done`), reference-counted
//!   [`RouteSourceEvent`]s out (`poll_event`). It reads no clock and does no I/O; the
//!   same inputs give the same events, in prefix order with removes first.
//! - [`NodePodCidrs`] and [`ServiceAddresses`] are what the watchers decode a Node and a
//!   Service into: only the fields that carry routes, with the addresses parsed.
//!   [`ServiceOptions::prefixes`] turns a service into its routes.
//! - [`Mesh`] is the sans-IO core of the node mesh: the cluster's Nodes in, the iBGP
//!   sessions this node should have out ([`MeshEvent`]), full mesh or through route
//!   reflectors chosen by a node label; [`NodeMesh`] feeds it from a watch on all Nodes.
//! - [`RouteSource`] is the adapter: a `kube` client, a watcher on this one Node (field
//!   selector `metadata.name=NODE`) and one on all Services, feeding a [`RouteTable`],
//!   as a [`Stream`](futures_util::Stream). [`ClientConfig`] makes the client from a
//!   kubeconfig or the pod's service account.
//!
//! ## Memory
//!
//! No copy of any Kubernetes object is kept: per object only its key (`name` or
//! `namespace/name`) and the prefixes it wants, and nothing at all for objects that want
//! none (headless and `ExternalName` services, addresses not selected). Objects are
//! decoded once, into the few fields above, and dropped.
//!
//! ## Call order
//!
//! Poll the [`RouteSource`] (or, with the sans-IO table alone, call
//! [`RouteTable::poll_event`] after each input until it returns `None`). Routes announced
//! before [`RouteSourceEvent::Synced`] (by an earlier run that left them in the kernel or
//! in a peer's graceful-restart table) that were not added again are stale then, and
//! only then.
//!
//! ```
//! use k8s_routes::{RouteSourceEvent::*, RouteTable, ServiceAddresses, ServiceOptions};
//!
//! let mut table = RouteTable::new();
//! let services = table.add_source();
//! let options = ServiceOptions { external_ip: true, ..ServiceOptions::default() };
//! let web: ServiceAddresses = serde_json::from_str(
//!     r#"{"metadata": {"namespace": "shop", "name": "web"},
//!         "spec": {"clusterIPs": ["10.96.3.4"], "externalIPs": ["192.0.2.7"]}}"#,
//! )
//! .unwrap();
//! table.handle_list_start(services);
//! table.handle_apply(services, &web.key(), &options.prefixes(&web));
//! table.handle_list_done(services);
//! assert_eq!(table.poll_event(), Some(Add("192.0.2.7/32".parse().unwrap())));
//! assert_eq!(table.poll_event(), Some(Synced));
//! assert_eq!(table.poll_event(), None);
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod mesh;
mod objects;
mod source;
mod table;

pub use mesh::{LabelSelector, Mesh, MeshEvent};
pub use objects::{NodePeer, NodePodCidrs, ServiceAddresses, ServiceOptions};
pub use source::{ClientConfig, Error, NodeMesh, RouteSource, RouteSourceConfig};
pub use table::{RouteSourceEvent, RouteTable, SourceId};

/// Re-exported so that users name the same versions.
pub use ipnet::IpNet;
pub use kube;

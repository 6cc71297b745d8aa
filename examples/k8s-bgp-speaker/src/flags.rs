//! kube-router's BGP flags, with the same meaning, for clusters moving from it: they are
//! turned into the configuration file they stand for, so both paths share every check.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use clap::Args;

/// `maximum-paths` on flags: as FRR's `datacenter` defaults.
const MAXIMUM_PATHS: u16 = 64;

/// The flags of kube-router this agent takes.
#[derive(Args, Debug, Default)]
pub struct KubeRouterFlags {
    /// Our AS (`--cluster-asn`).
    #[arg(long)]
    pub cluster_asn: Option<u32>,
    /// The routers to peer with, comma-separated (`--peer-router-ips`).
    #[arg(long, value_delimiter = ',')]
    pub peer_router_ips: Vec<IpAddr>,
    /// Their ASes, one per address, or one for all (`--peer-router-asns`).
    #[arg(long, value_delimiter = ',')]
    pub peer_router_asns: Vec<u32>,
    /// Announce Service cluster IPs (`--advertise-cluster-ip`).
    #[arg(long)]
    pub advertise_cluster_ip: bool,
    /// Announce Service external IPs (`--advertise-external-ip`).
    #[arg(long)]
    pub advertise_external_ip: bool,
    /// Announce Service load-balancer IPs (`--advertise-loadbalancer-ip`).
    #[arg(long)]
    pub advertise_loadbalancer_ip: bool,
    /// Announce this node's pod CIDR (`--advertise-pod-cidr`, on by default as in
    /// kube-router).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub advertise_pod_cidr: bool,
    /// `--peer-router-multihop-ttl`: eBGP multihop with this TTL.
    #[arg(long)]
    pub peer_router_multihop_ttl: Option<u8>,
    /// Our BGP identifier (default, as kube-router: the node's address, from the
    /// `NODE_IP` environment variable).
    #[arg(long)]
    pub router_id: Option<Ipv4Addr>,
    /// Metrics and health address.
    #[arg(long)]
    pub metrics: Option<std::net::SocketAddr>,
    /// The control socket `show` talks to (default `/run/k8s-bgp-speaker/control.sock`).
    #[arg(long)]
    pub control_socket: Option<std::path::PathBuf>,
}

impl KubeRouterFlags {
    /// Whether any flag was given.
    pub fn given(&self) -> bool {
        self.cluster_asn.is_some() || !self.peer_router_ips.is_empty()
    }

    /// The configuration file these flags stand for.
    pub fn to_config(&self) -> Result<String, String> {
        let asn = self.cluster_asn.ok_or("--cluster-asn is needed")?;
        // kube-router takes the node's address: "auto" reads it from NODE_IP.
        let id = self.router_id.map_or_else(|| "auto".to_owned(), |a| a.to_string());
        let asns = &self.peer_router_asns;
        if self.peer_router_ips.is_empty() {
            return Err("--peer-router-ips is needed".into());
        }
        if asns.len() != 1 && asns.len() != self.peer_router_ips.len() {
            return Err(format!(
                "--peer-router-asns: one AS, or one per address ({} given for {} addresses)",
                asns.len(),
                self.peer_router_ips.len()
            ));
        }
        // ECMP: every equal path to the kernel, where kube-router installs one.
        let mut t =
            format!("[bgp]\nasn = {asn}\nrouter-id = \"{id}\"\nmaximum-paths = {MAXIMUM_PATHS}\n");
        for (i, ip) in self.peer_router_ips.iter().enumerate() {
            let remote = asns.get(i).or(asns.first()).copied().unwrap_or(asn);
            let _ = write!(t, "\n[[neighbor]]\naddress = \"{ip}\"\nremote-as = {remote}\n");
            if let Some(ttl) = self.peer_router_multihop_ttl {
                let _ = writeln!(t, "ebgp-multihop = {ttl}");
            }
        }
        let _ = write!(
            t,
            "\n[kubernetes]\npod-cidr = {}\ncluster-ip = {}\nexternal-ip = {}\nloadbalancer-ip = {}\n",
            self.advertise_pod_cidr,
            self.advertise_cluster_ip,
            self.advertise_external_ip,
            self.advertise_loadbalancer_ip
        );
        if self.metrics.is_some() || self.control_socket.is_some() {
            t.push_str("\n[agent]\n");
        }
        if let Some(m) = self.metrics {
            let _ = writeln!(t, "metrics = \"{m}\"");
        }
        if let Some(s) = &self.control_socket {
            // A TOML literal string: the path as it is.
            let _ = writeln!(t, "control-socket = '{}'", s.display());
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        flags: KubeRouterFlags,
    }

    /// Seed deployment 2 as kube-router was run: nodes in AS 64512 peering with two
    /// routers in AS 64513, announcing cluster and external IPs.
    #[test]
    fn kube_router_flags_mean_the_same() {
        let cli = Cli::try_parse_from([
            "x",
            "--cluster-asn=64512",
            "--peer-router-ips=192.168.1.1,192.168.1.2",
            "--peer-router-asns=64513",
            "--advertise-cluster-ip",
            "--advertise-external-ip",
            "--router-id=192.168.1.11",
            "--control-socket=/run/agent/c.sock",
            "--metrics=127.0.0.1:9179",
        ])
        .unwrap();
        let text = cli.flags.to_config().unwrap();
        let f = crate::config::parse(&text).unwrap();
        assert_eq!(f.bgp.get_ref().asn, 64512);
        assert_eq!(f.bgp.get_ref().maximum_paths, 64);
        let n = f.neighbors(&|_| Err("no interfaces".into())).unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(n[1].0.session.peer_as, bgp_fsm::PeerAs::Number(bgp_wire::Asn(64513)));
        let k = &f.kubernetes;
        assert!(k.pod_cidr && k.cluster_ip && k.external_ip && !k.loadbalancer_ip);
        assert_eq!(f.agent.control_socket, std::path::Path::new("/run/agent/c.sock"));
        assert!(f.agent.metrics.is_some());
        let bad = Cli::try_parse_from([
            "x",
            "--cluster-asn=64512",
            "--peer-router-ips=192.168.1.1,192.168.1.2,192.168.1.3",
            "--peer-router-asns=64513,64514",
            "--router-id=192.168.1.11",
        ])
        .unwrap();
        assert!(bad.flags.to_config().unwrap_err().contains("one per address"));
    }
}

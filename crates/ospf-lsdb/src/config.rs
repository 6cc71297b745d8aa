//! Configuration of an instance of either version: router ID, areas,
//! interfaces and redistributed routes, and the seed of the RNG.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use ipnet::{Ipv4Net, Ipv6Net};

use crate::packet::Auth;
use crate::types::{AreaId, RouterId};
use thiserror::Error;

/// The kind of an area (RFC 2328 §3.6, RFC 3101).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AreaKind {
    /// A normal area: AS-external-LSAs are flooded into it.
    #[default]
    Normal,
    /// A stub area: no AS-external-LSAs; the ABR originates a default
    /// summary with this cost (StubDefaultCost).
    Stub {
        /// Cost of the default summary-LSA.
        default_cost: u32,
    },
    /// A not-so-stubby area (RFC 3101): type 7 LSAs instead of type 5.
    Nssa {
        /// Cost of the default route the ABR originates into the NSSA.
        default_cost: u32,
    },
}

/// One area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaConfig {
    /// Area ID.
    pub id: AreaId,
    /// Normal, stub or NSSA.
    pub kind: AreaKind,
}

/// The network type of an interface (RFC 2328 §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkType {
    /// A broadcast network with DR/BDR election.
    #[default]
    Broadcast,
    /// A point-to-point link.
    PointToPoint,
}

/// The bounds of `Config::spf_hold`.
pub const SPF_HOLD_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(10)..=Duration::from_secs(60);

/// The bounds of `Config::spf_delay`.
pub const SPF_DELAY_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::ZERO..=Duration::from_secs(60);

/// Why [`Config::validate`] refused a configuration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value of one interface.
    #[error("interface {name} (index {ifindex}): {reason}")]
    Interface {
        /// Interface index.
        ifindex: u32,
        /// Interface name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A value of the instance.
    #[error("{0}")]
    Instance(String),
}

/// The default limit on the number of LSAs in the databases.
pub const DEFAULT_MAX_LSAS: usize = 100_000;

/// The default bound on Exchange and Loading.
pub const DEFAULT_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(120);

/// The default limit on neighbours per interface.
pub const DEFAULT_MAX_NEIGHBORS: usize = 64;

/// One OSPF interface (RFC 2328 §9 "interface data structure").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceConfig {
    /// Operating system interface index; the key of the interface.
    pub ifindex: u32,
    /// A name for logs and events.
    pub name: String,
    /// Area the interface belongs to.
    pub area: AreaId,
    /// Network type.
    pub network: NetworkType,
    /// Interface output cost.
    pub cost: u16,
    /// HelloInterval in seconds (intervals of 0 are taken as 1).
    pub hello_interval: u16,
    /// RouterDeadInterval in seconds.
    pub dead_interval: u32,
    /// RxmtInterval in seconds.
    pub retransmit_interval: u16,
    /// InfTransDelay in seconds.
    pub transmit_delay: u16,
    /// Router priority for DR election (0: never DR).
    pub priority: u8,
    /// Passive: advertised as a stub, no Hellos sent or accepted.
    pub passive: bool,
    /// Authentication.
    pub auth: Auth,
    /// The most neighbours the interface keeps; Hellos from further new
    /// routers are refused (and counted). The limit is lowered further so
    /// that our Hello, which lists every neighbour, fits the interface MTU.
    pub max_neighbors: usize,
    /// `ip ospf bfd`: each neighbour from 2-Way on is watched by a BFD session
    /// ([`crate::Event::BfdWanted`]); [`crate::Instance::bfd_down`] kills it.
    pub bfd: bool,
    /// OSPFv3 Instance ID (RFC 5340 §2.4): packets of other instances on
    /// the link are ignored. Always 0 in OSPFv2.
    pub instance_id: u8,
}

impl InterfaceConfig {
    /// An interface with the usual defaults (cost 10, Hello 10 s, Dead 40 s,
    /// RxmtInterval 5 s, priority 1, broadcast, no authentication, at most
    /// [`DEFAULT_MAX_NEIGHBORS`] neighbours).
    #[must_use]
    pub fn new(ifindex: u32, name: &str, area: AreaId) -> Self {
        Self {
            ifindex,
            name: name.to_owned(),
            area,
            network: NetworkType::Broadcast,
            cost: 10,
            hello_interval: 10,
            dead_interval: 40,
            retransmit_interval: 5,
            transmit_delay: 1,
            priority: 1,
            passive: false,
            auth: Auth::Null,
            max_neighbors: DEFAULT_MAX_NEIGHBORS,
            bfd: false,
            instance_id: 0,
        }
    }
}

impl InterfaceConfig {
    /// Checks the intervals and limits: HelloInterval, RxmtInterval and
    /// InfTransDelay at least 1 s, RouterDeadInterval longer than
    /// HelloInterval, a cost of at least 1, room for one neighbour.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Interface`] naming the first bad value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |reason: String| {
            Err(ConfigError::Interface { ifindex: self.ifindex, name: self.name.clone(), reason })
        };
        if self.hello_interval == 0 {
            return bad("HelloInterval must be at least 1 s".into());
        }
        if self.dead_interval <= u32::from(self.hello_interval) {
            return bad(format!(
                "RouterDeadInterval {} s must be longer than HelloInterval {} s",
                self.dead_interval, self.hello_interval
            ));
        }
        if self.retransmit_interval == 0 {
            return bad("RxmtInterval must be at least 1 s".into());
        }
        if self.transmit_delay == 0 {
            return bad("InfTransDelay must be at least 1 s".into());
        }
        if self.cost == 0 {
            return bad("the cost must be at least 1".into());
        }
        if self.max_neighbors == 0 {
            return bad("max_neighbors must be at least 1".into());
        }
        Ok(())
    }
}

/// External metric type of a redistributed route (RFC 2328 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricType {
    /// Type 1: comparable with link-state costs.
    Type1,
    /// Type 2: larger than any link-state path.
    #[default]
    Type2,
}

/// A route redistributed into OSPF as an AS-external-LSA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redistribute {
    /// The destination.
    pub prefix: Ipv4Net,
    /// E1 or E2.
    pub metric_type: MetricType,
    /// The metric (24 bits).
    pub metric: u32,
    /// Forwarding address, if traffic should go elsewhere than this router.
    pub forwarding: Option<Ipv4Addr>,
    /// External route tag.
    pub tag: u32,
}

/// A route redistributed into OSPFv3 as an AS-external-LSA (RFC 5340
/// A.4.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redistribute6 {
    /// The destination.
    pub prefix: Ipv6Net,
    /// E1 or E2.
    pub metric_type: MetricType,
    /// The metric (24 bits).
    pub metric: u32,
    /// Forwarding address, if traffic should go elsewhere than this router.
    pub forwarding: Option<Ipv6Addr>,
    /// External route tag (0: none).
    pub tag: u32,
}

/// The configuration of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Router ID.
    pub router_id: RouterId,
    /// Areas.
    pub areas: Vec<AreaConfig>,
    /// Interfaces (they start down: report them up with
    /// [`Instance::handle_interface_up`](crate::Instance::handle_interface_up)).
    pub interfaces: Vec<InterfaceConfig>,
    /// Redistributed routes (OSPFv2).
    pub redistribute: Vec<Redistribute>,
    /// Redistributed routes (OSPFv3).
    pub redistribute6: Vec<Redistribute6>,
    /// Seed of the RNG (jitter, DD sequence numbers).
    pub seed: u64,
    /// Delay between an LSDB change and the SPF run.
    pub spf_delay: Duration,
    /// Minimum time between two SPF runs.
    pub spf_hold: Duration,
    /// Start of the cryptographic sequence number (e.g. seconds since the
    /// epoch at start, so that it grows across restarts).
    pub crypto_seq_start: u32,
    /// The most LSAs the databases hold together (every area and the AS
    /// scope). When full, LSAs under new keys are refused (acknowledged,
    /// not installed, not flooded, and counted); newer instances of LSAs
    /// already held and our own LSAs are still taken. The link state
    /// request list of a neighbour is bounded by it too.
    pub max_lsas: usize,
    /// How long a neighbour may stay in Exchange and Loading together
    /// before the exchange starts again from ExStart, as on a
    /// SeqNumberMismatch (RFC 2328 §10.3).
    pub exchange_timeout: Duration,
}

impl Config {
    /// Checks every interval and limit: each interface's (see
    /// [`InterfaceConfig::validate`]), interface indexes used once,
    /// `spf_delay` within [`SPF_DELAY_RANGE`], `spf_hold` within
    /// [`SPF_HOLD_RANGE`], `max_lsas` and `exchange_timeout` not zero. The
    /// engine does not fail on a configuration that does not pass (zero
    /// intervals are taken as 1 s), but it does not behave well either.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (k, i) in self.interfaces.iter().enumerate() {
            i.validate()?;
            if self.interfaces.iter().skip(k + 1).any(|j| j.ifindex == i.ifindex) {
                return Err(ConfigError::Interface {
                    ifindex: i.ifindex,
                    name: i.name.clone(),
                    reason: "interface index configured twice".into(),
                });
            }
        }
        let ms = |d: Duration| d.as_millis();
        if !SPF_DELAY_RANGE.contains(&self.spf_delay) {
            return Err(ConfigError::Instance(format!(
                "spf_delay must be {} to {} ms, not {}",
                ms(*SPF_DELAY_RANGE.start()),
                ms(*SPF_DELAY_RANGE.end()),
                ms(self.spf_delay)
            )));
        }
        if !SPF_HOLD_RANGE.contains(&self.spf_hold) {
            return Err(ConfigError::Instance(format!(
                "spf_hold must be {} to {} ms, not {}",
                ms(*SPF_HOLD_RANGE.start()),
                ms(*SPF_HOLD_RANGE.end()),
                ms(self.spf_hold)
            )));
        }
        if self.max_lsas == 0 {
            return Err(ConfigError::Instance("max_lsas must be at least 1".into()));
        }
        if self.exchange_timeout.is_zero() {
            return Err(ConfigError::Instance("exchange_timeout must not be zero".into()));
        }
        Ok(())
    }

    /// A configuration with no areas, interfaces or routes.
    #[must_use]
    pub fn new(router_id: RouterId) -> Self {
        Self {
            router_id,
            areas: Vec::new(),
            interfaces: Vec::new(),
            redistribute: Vec::new(),
            redistribute6: Vec::new(),
            seed: u64::from(router_id.0),
            spf_delay: Duration::from_millis(200),
            spf_hold: Duration::from_secs(1),
            crypto_seq_start: 0,
            max_lsas: DEFAULT_MAX_LSAS,
            exchange_timeout: DEFAULT_EXCHANGE_TIMEOUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Config)) -> Result<(), ConfigError> {
        let mut c = Config::new(RouterId(1));
        c.interfaces.push(InterfaceConfig::new(2, "eth0", AreaId(0)));
        f(&mut c);
        c.validate()
    }

    fn iface(f: impl FnMut(&mut InterfaceConfig)) -> String {
        with(|c| c.interfaces.iter_mut().for_each(f))
            .map_or_else(|e| e.to_string(), |()| "ok".into())
    }

    #[test]
    fn defaults_pass() {
        assert_eq!(with(|_| {}), Ok(()));
    }

    #[test]
    fn every_interval_is_checked() {
        assert_eq!(
            iface(|i| i.hello_interval = 0),
            "interface eth0 (index 2): HelloInterval must be at least 1 s"
        );
        assert_eq!(
            iface(|i| i.dead_interval = 10),
            "interface eth0 (index 2): RouterDeadInterval 10 s must be longer than HelloInterval 10 s"
        );
        assert!(iface(|i| i.retransmit_interval = 0).contains("RxmtInterval"));
        assert!(iface(|i| i.transmit_delay = 0).contains("InfTransDelay"));
        assert!(iface(|i| i.cost = 0).contains("cost"));
        assert!(iface(|i| i.max_neighbors = 0).contains("max_neighbors"));
        let e = with(|c| c.spf_hold = Duration::ZERO);
        assert_eq!(e, Err(ConfigError::Instance("spf_hold must be 10 to 60000 ms, not 0".into())));
        assert!(with(|c| c.spf_delay = Duration::from_secs(61)).is_err());
        assert!(with(|c| c.spf_delay = Duration::ZERO).is_ok());
        assert!(with(|c| c.max_lsas = 0).is_err());
        assert!(with(|c| c.exchange_timeout = Duration::ZERO).is_err());
        let twice = with(|c| c.interfaces.push(InterfaceConfig::new(2, "eth1", AreaId(0))));
        assert!(twice.is_err_and(|e| e.to_string().contains("twice")));
    }
}

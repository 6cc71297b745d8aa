//! Route protocol numbers and the adapter's configuration.

use std::fmt;

/// A route protocol number (`rtm_protocol`, the `proto` of `ip route`): who installed a route.
///
/// The kernel interprets only the values up to [`RtProto::STATIC`]; the others are labels
/// that routing daemons choose so that their routes can be told apart (`ip route show proto
/// N`, `ip route flush proto N`). Unknown values round-trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RtProto(pub u8);

impl RtProto {
    /// `RTPROT_UNSPEC`.
    pub const UNSPEC: RtProto = RtProto(0);
    /// `RTPROT_REDIRECT`: installed by an ICMP redirect (IPv4 no longer does).
    pub const REDIRECT: RtProto = RtProto(1);
    /// `RTPROT_KERNEL`: made by the kernel itself, such as the prefix route of an address.
    pub const KERNEL: RtProto = RtProto(2);
    /// `RTPROT_BOOT`: added during boot, and the default of `ip route add`.
    pub const BOOT: RtProto = RtProto(3);
    /// `RTPROT_STATIC`: added by the administrator as a static route.
    pub const STATIC: RtProto = RtProto(4);
    /// `RTPROT_RA`: learnt from an IPv6 Router Advertisement.
    pub const RA: RtProto = RtProto(9);
    /// `RTPROT_BIRD`.
    pub const BIRD: RtProto = RtProto(12);
    /// `RTPROT_DHCP`.
    pub const DHCP: RtProto = RtProto(16);
    /// FRR's BGP (`RTPROT_BGP`); FRR uses 186 to 198 for its daemons, 196 being `staticd`.
    pub const FRR_BGP: RtProto = RtProto(186);
    /// This crate's default: 240.
    ///
    /// Chosen because nothing common uses it: the kernel interprets 0 to 4, iproute2's
    /// `rt_protos` names 8 to 18, 42, 99 and 186 to 192, FRR takes 186 to 198 (and grows
    /// upwards from there; 196, its `staticd`, would make FRR flush our routes as its own on
    /// start), BIRD uses 12 and Calico's Felix 80. Name it for `ip` with a line `240 routing`
    /// in `/etc/iproute2/rt_protos.d/routing.conf`.
    pub const DEFAULT: RtProto = RtProto(240);
}

impl Default for RtProto {
    fn default() -> Self {
        RtProto::DEFAULT
    }
}

impl fmt::Display for RtProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The main routing table, `RT_TABLE_MAIN`.
pub const TABLE_MAIN: u32 = 254;

/// How the adapter programs the kernel's forwarding table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FibConfig {
    /// The protocol number on every route we install, by which we find ours again.
    pub protocol: RtProto,
    /// The routing table to program ([`TABLE_MAIN`] by default).
    pub table: u32,
    /// The metric (`RTA_PRIORITY`) of our routes: 20, as FRR uses. Routes of the same prefix
    /// and metric are the same route to the kernel, so this also keeps ours apart from the
    /// prefix routes of addresses (IPv4 metric 0, IPv6 256) and from routes added with `ip`.
    pub metric: u32,
    /// Graceful restart: routes of ours found at start stay until
    /// [`Fib::handle_reconverged`](crate::Fib::handle_reconverged), and a clean stop leaves
    /// ours in place.
    pub graceful_restart: bool,
    /// The most requests packed into one datagram. The kernel answers every request that
    /// fails, so this also bounds the error messages one datagram can queue on the socket.
    pub batch_max: usize,
    /// The largest datagram, in bytes; the kernel refuses datagrams larger than its socket
    /// send buffer (208 KiB by default).
    pub batch_bytes: usize,
}

impl Default for FibConfig {
    fn default() -> Self {
        FibConfig {
            protocol: RtProto::DEFAULT,
            table: TABLE_MAIN,
            metric: 20,
            graceful_restart: false,
            batch_max: 512,
            batch_bytes: 64 * 1024,
        }
    }
}

/// What the reader takes from the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchConfig {
    /// The table whose routes are `kernel` routes ([`TABLE_MAIN`] by default).
    pub table: u32,
    /// Our own protocol number: routes carrying it are ours and never reported.
    pub own_protocol: RtProto,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig { table: TABLE_MAIN, own_protocol: RtProto::DEFAULT }
    }
}

impl From<&FibConfig> for WatchConfig {
    fn from(c: &FibConfig) -> Self {
        WatchConfig { table: c.table, own_protocol: c.protocol }
    }
}

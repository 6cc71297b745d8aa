//! Following the kernel's links, addresses and routes as a stream of events.

use netlink_packet_route::RouteNetlinkMessage;

use crate::config::WatchConfig;
use crate::decode::{frames_skipping, Frame};
use crate::encode;
use crate::error::{Error, Result};
use crate::netlink::Netlink;
use crate::socket::{group, NlSocket, ENOBUFS};
use crate::tracker::{Event, Tracker};

/// The connected and kernel routes of the namespace it was started in, and its links:
/// first what is there (as additions), then every change.
///
/// It joins the link, address and route multicast groups before it dumps, so that no
/// change falls between the dump and the notifications; when the socket overruns
/// (`ENOBUFS`, e.g. while a full table is being programmed) it dumps again and reports
/// only what differs.
///
/// ```no_run
/// # async fn f() -> Result<(), kernel::Error> {
/// let mut watcher = kernel::Watcher::start(kernel::WatchConfig::default()).await?;
/// loop {
///     match watcher.next_event().await? {
///         kernel::Event::Route(change) => println!("{change:?}"), // rib.apply(now, &change)
///         other => println!("{other:?}"),
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Watcher {
    events: NlSocket,
    dumps: Netlink,
    tracker: Tracker,
    resyncs: u64,
}

impl Watcher {
    /// Subscribes, dumps links, addresses and the table's routes.
    ///
    /// # Errors
    ///
    /// A socket error or a refused dump.
    pub async fn start(cfg: WatchConfig) -> Result<Watcher> {
        let events = NlSocket::open(&[
            group::LINK,
            group::IPV4_IFADDR,
            group::IPV6_IFADDR,
            group::IPV4_ROUTE,
            group::IPV6_ROUTE,
        ])?;
        let mut w =
            Watcher { events, dumps: Netlink::open()?, tracker: Tracker::new(cfg), resyncs: 0 };
        w.dump_all().await?;
        Ok(w)
    }

    async fn dump_all(&mut self) -> Result<()> {
        let table = self.tracker_table();
        let own = Some(self.tracker.config().own_protocol);
        let tracker = &mut self.tracker;
        let sock = self.dumps.socket();
        let mut feed = |m: &RouteNetlinkMessage| tracker.handle_message(m);
        sock.dump("links", encode::dump_links(), None, &mut feed).await?;
        for v6 in [false, true] {
            sock.dump("addresses", encode::dump_addresses(v6), None, &mut feed).await?;
        }
        for v6 in [false, true] {
            sock.dump("routes", encode::dump_routes(v6, table, None), own, &mut feed).await?;
        }
        Ok(())
    }

    fn tracker_table(&self) -> u32 {
        self.tracker.config().table
    }

    /// The next event, waiting for the kernel if none is queued.
    ///
    /// # Errors
    ///
    /// A socket error, or a refused dump during a resync.
    pub async fn next_event(&mut self) -> Result<Event> {
        loop {
            if let Some(e) = self.tracker.poll_event() {
                return Ok(e);
            }
            match self.events.recv().await {
                Ok(datagram) => {
                    let own = Some(self.tracker.config().own_protocol);
                    for f in frames_skipping(datagram, own) {
                        match f {
                            Frame::Message { message, .. } => self.tracker.handle_message(&message),
                            Frame::Undecodable { seq, reason } => {
                                tracing::warn!(%reason, seq, "undecodable notification skipped");
                            }
                            _ => {}
                        }
                    }
                }
                Err(e) if e.raw_os_error() == Some(ENOBUFS) => {
                    tracing::info!("netlink notifications lost: resynchronising");
                    self.resyncs += 1;
                    self.tracker.begin_resync();
                    self.dump_all().await?;
                    self.tracker.end_resync();
                }
                Err(e) => return Err(Error::Socket(e)),
            }
        }
    }

    /// What is known now: links and the routes reported so far.
    #[must_use]
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Times the notifications overran and the state was dumped again.
    #[must_use]
    pub fn resyncs(&self) -> u64 {
        self.resyncs
    }
}

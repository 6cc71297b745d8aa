//! Programming the kernel's forwarding table: the socket under a [`Fib`].

use rib::{FibChange, FibRoute};

use crate::config::FibConfig;
use crate::decode::KernelRoute;
use crate::error::{Error, Result};
use crate::fib::{Fib, FibEvent, FibStats};
use crate::netlink::Netlink;
use crate::socket::ENOBUFS;

/// The routes we own in the kernel's forwarding table, kept as the RIB says.
///
/// [`KernelFib::start`] removes routes of ours left by a crash (or, with graceful restart,
/// keeps them until [`KernelFib::reconverged`]); [`KernelFib::apply`] programs `rib`'s
/// diff stream, many requests to a datagram; [`KernelFib::stop`] removes ours (or leaves
/// them with graceful restart). The decisions are [`Fib`]'s; this only moves datagrams.
///
/// ```no_run
/// # async fn f(rib: &mut rib::Rib) -> Result<(), kernel::Error> {
/// let mut fib = kernel::KernelFib::start(kernel::FibConfig::default()).await?;
/// let changes: Vec<_> = std::iter::from_fn(|| rib.poll_fib()).collect();
/// fib.apply(&changes).await?;
/// while let Some(kernel::FibEvent::Refused { prefix, errno, message, .. }) = fib.poll_event() {
///     eprintln!("{prefix}: errno {errno} {message:?}");
/// }
/// fib.stop().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct KernelFib {
    fib: Fib,
    nl: Netlink,
    buf: Vec<u8>,
}

impl KernelFib {
    /// Opens the socket in the calling thread's network namespace, dumps our routes and
    /// reconciles them: stale ones are removed at once, unless graceful restart is on.
    ///
    /// # Errors
    ///
    /// A socket error or a refused dump.
    pub async fn start(cfg: FibConfig) -> Result<KernelFib> {
        let mut k = KernelFib { fib: Fib::new(cfg), nl: Netlink::open()?, buf: Vec::new() };
        k.resync().await?;
        Ok(k)
    }

    /// Our routes as the kernel has them now.
    ///
    /// # Errors
    ///
    /// A socket error or a refused dump.
    pub async fn kernel_routes(&mut self) -> Result<Vec<KernelRoute>> {
        let cfg = self.fib.config();
        let (table, protocol) = (cfg.table, cfg.protocol);
        self.nl.routes(table, Some(protocol)).await
    }

    /// Dumps our routes and reconciles what the kernel has with what we installed (what
    /// it lost is put back, what we do not know is removed), then flushes.
    ///
    /// # Errors
    ///
    /// A socket error or a refused dump.
    pub async fn resync(&mut self) -> Result<()> {
        let routes = self.kernel_routes().await?;
        self.fib.handle_kernel_routes(
            routes.iter().filter_map(|k| k.to_fib_route(rib::Protocol::Kernel)),
        );
        self.flush().await
    }

    /// Applies changes of `rib`'s forwarding table and waits until the kernel has them.
    ///
    /// # Errors
    ///
    /// A socket error. Requests the kernel refused are no error: see
    /// [`KernelFib::poll_event`].
    pub async fn apply<'a>(
        &mut self,
        changes: impl IntoIterator<Item = &'a FibChange>,
    ) -> Result<()> {
        for c in changes {
            self.fib.handle_change(c);
        }
        self.flush().await
    }

    /// Makes the kernel hold exactly `routes` (a full dump of the RIB's forwarding table).
    ///
    /// # Errors
    ///
    /// A socket error.
    pub async fn apply_table(&mut self, routes: impl IntoIterator<Item = FibRoute>) -> Result<()> {
        self.fib.handle_table(routes);
        self.flush().await
    }

    /// Graceful restart is over: stale routes the RIB did not ask for again are removed.
    ///
    /// # Errors
    ///
    /// A socket error.
    pub async fn reconverged(&mut self) -> Result<()> {
        self.fib.handle_reconverged();
        self.flush().await
    }

    /// A clean stop: removes our routes, unless graceful restart is on.
    ///
    /// # Errors
    ///
    /// A socket error.
    pub async fn stop(mut self) -> Result<FibStats> {
        self.fib.handle_stop();
        self.flush().await?;
        Ok(self.fib.stats())
    }

    /// Lets the state machine absorb changes without sending anything yet (see
    /// [`crate::FibWorker`], which flushes once for everything queued).
    pub(crate) fn queue(&mut self, changes: &[FibChange]) {
        for c in changes {
            self.fib.handle_change(c);
        }
    }

    /// [`KernelFib::reconverged`] without the flush.
    pub(crate) fn queue_reconverged(&mut self) {
        self.fib.handle_reconverged();
    }

    /// Sends every pending change, a datagram at a time, and reads the answers. Between
    /// datagrams it yields to the runtime: the kernel processes a datagram of routes inside
    /// `sendmsg`, and a table's worth of them must not keep other tasks from their timers.
    ///
    /// # Errors
    ///
    /// A socket error.
    pub async fn flush(&mut self) -> Result<()> {
        loop {
            if self.fib.needs_resync() {
                let routes = self.kernel_routes().await?;
                self.fib.handle_kernel_routes(
                    routes.iter().filter_map(|k| k.to_fib_route(rib::Protocol::Kernel)),
                );
            }
            let Some(_) = self.fib.poll_transmit(&mut self.buf) else { return Ok(()) };
            let sock = self.nl.socket();
            sock.send(&self.buf).await?;
            while self.fib.awaiting_ack() {
                match sock.recv().await {
                    Ok(d) => self.fib.handle_datagram(d),
                    Err(e) if e.raw_os_error() == Some(ENOBUFS) => self.fib.handle_answers_lost(),
                    Err(e) => return Err(Error::Socket(e)),
                }
            }
            tokio::task::yield_now().await;
        }
    }

    /// The next refused request.
    pub fn poll_event(&mut self) -> Option<FibEvent> {
        self.fib.poll_event()
    }

    /// The state machine, for its getters.
    #[must_use]
    pub fn fib(&self) -> &Fib {
        &self.fib
    }
}

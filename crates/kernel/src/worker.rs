//! [`KernelFib`] on a thread of its own, so that programming the kernel never delays a
//! routing protocol's timers.
//!
//! Installing a full table takes the kernel seconds: every `RTM_NEWROUTE` is processed
//! inside our `sendmsg`, under the kernel's routing lock, which a link going down under a
//! million routes holds for a second or more itself. On the thread that runs BGP sessions,
//! that time is taken from their KEEPALIVEs and hold timers: with a hold time of 3 s, a
//! 1 s link flap under a full table made the speaker expire a session whose KEEPALIVEs were
//! waiting in its socket. Here the protocol side only queues changes; the worker drains
//! everything queued into the [`crate::Fib`] before each flush, so that changes superseded
//! while the kernel was busy cost no request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ipnet::IpNet;
use rib::FibChange;
use tokio::sync::{mpsc, oneshot};

use crate::config::FibConfig;
use crate::error::{Error, Result};
use crate::fib::{FibEvent, FibStats};
use crate::program::KernelFib;

/// Jobs queued before [`FibWorker::apply`] waits for the worker (each a batch of changes).
const QUEUE: usize = 64;

/// What the worker is asked to do, in order.
enum Job {
    Apply(Vec<FibChange>),
    Resync,
    Reconverged,
    Installed(Vec<IpNet>, oneshot::Sender<Vec<bool>>),
    Stop(oneshot::Sender<Result<FibStats>>),
}

/// What the worker reports back.
#[derive(Debug, Default)]
struct Shared {
    /// Requests refused since the last [`FibWorker::take_refused`], and the first of them.
    refused: u64,
    first_refused: Option<FibEvent>,
    /// Routes of ours in the kernel after the last flush.
    routes: usize,
    /// Routes of an earlier run kept for graceful restart, not yet asked for again.
    stale: usize,
    /// Counters since the start.
    stats: FibStats,
    /// Jobs taken and done (flushed) by the worker.
    done: u64,
    /// Nothing left to send or awaited after the last flush.
    idle: bool,
    /// Why the worker stopped, if it failed.
    failed: Option<String>,
}

/// Refused requests since the last look: how many, and the first of them.
#[derive(Debug, Default)]
pub struct Refused {
    /// How many requests the kernel refused.
    pub count: u64,
    /// The first refused request.
    pub first: Option<FibEvent>,
}

/// A [`KernelFib`] driven from a thread of its own (with its own single-threaded tokio
/// runtime), in the network namespace of the thread that starts it.
///
/// ```no_run
/// # async fn f(rib: &mut rib::Rib) -> Result<(), kernel::Error> {
/// let fib = kernel::FibWorker::start(kernel::FibConfig::default()).await?;
/// fib.apply(std::iter::from_fn(|| rib.poll_fib()).collect()).await?;
/// let refused = fib.take_refused();
/// println!("{} routes, {} refused", fib.routes(), refused.count);
/// fib.stop().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct FibWorker {
    jobs: mpsc::Sender<Job>,
    /// Jobs sent, compared with [`Shared::done`].
    sent: AtomicU64,
    shared: Arc<Mutex<Shared>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Apply(c) => write!(f, "Apply({} changes)", c.len()),
            Job::Resync => f.write_str("Resync"),
            Job::Reconverged => f.write_str("Reconverged"),
            Job::Installed(p, _) => write!(f, "Installed({} prefixes)", p.len()),
            Job::Stop(_) => f.write_str("Stop"),
        }
    }
}

impl FibWorker {
    /// Starts the worker: [`KernelFib::start`] on the new thread (stale routes of an
    /// earlier run reconciled as it says), returning once that is done.
    ///
    /// # Errors
    ///
    /// What [`KernelFib::start`] returns, or the thread could not be made.
    pub async fn start(cfg: FibConfig) -> Result<FibWorker> {
        let (jobs_tx, jobs_rx) = mpsc::channel(QUEUE);
        let (ready_tx, ready_rx) = oneshot::channel();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let worker_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("kernel-fib".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(Error::Socket(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    match KernelFib::start(cfg).await {
                        Ok(mut fib) => {
                            publish(&worker_shared, &mut fib, None);
                            let _ = ready_tx.send(Ok(()));
                            run(fib, jobs_rx, &worker_shared).await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(Error::Socket)?;
        match ready_rx.await {
            Ok(Ok(())) => Ok(FibWorker {
                jobs: jobs_tx,
                sent: AtomicU64::new(0),
                shared,
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(stopped("the kernel thread ended while starting")),
        }
    }

    /// Queues changes of `rib`'s forwarding table. Waits only while the worker is
    /// 64 batches behind.
    ///
    /// # Errors
    ///
    /// The worker stopped on a socket error (the error's text).
    pub async fn apply(&self, changes: Vec<FibChange>) -> Result<()> {
        self.send(Job::Apply(changes)).await
    }

    /// Asks for [`KernelFib::resync`]: put back what the kernel dropped (routes through a
    /// link that went down), remove what is not ours to keep.
    ///
    /// # Errors
    ///
    /// As [`FibWorker::apply`].
    pub async fn resync(&self) -> Result<()> {
        self.send(Job::Resync).await
    }

    /// Asks for [`KernelFib::reconverged`] (graceful restart over).
    ///
    /// # Errors
    ///
    /// As [`FibWorker::apply`].
    pub async fn reconverged(&self) -> Result<()> {
        self.send(Job::Reconverged).await
    }

    /// Requests refused since the last call.
    pub fn take_refused(&self) -> Refused {
        let mut s = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        Refused { count: std::mem::take(&mut s.refused), first: s.first_refused.take() }
    }

    /// Routes of ours in the kernel after the worker's last flush.
    pub fn routes(&self) -> usize {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner).routes
    }

    /// Routes of an earlier run kept for graceful restart and not yet asked for again, after
    /// the worker's last flush ([`crate::Fib::stale`]).
    pub fn stale(&self) -> usize {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner).stale
    }

    /// Counters since the start, after the worker's last flush ([`crate::Fib::stats`]:
    /// `stale_removed` tells what [`FibWorker::start`] removed of an earlier run).
    pub fn stats(&self) -> FibStats {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner).stats
    }

    /// Whether every job sent has been done and the kernel has answered everything
    /// ([`crate::Fib::is_idle`]).
    pub fn is_idle(&self) -> bool {
        let s = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        s.idle && s.done == self.sent.load(Ordering::Relaxed)
    }

    /// Which of `prefixes` have a route of ours in the kernel, once what was queued
    /// before is done.
    ///
    /// # Errors
    ///
    /// As [`FibWorker::apply`].
    pub async fn installed(&self, prefixes: Vec<IpNet>) -> Result<Vec<bool>> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Installed(prefixes, tx)).await?;
        rx.await.map_err(|_| self.failure())
    }

    /// Does what is queued, then [`KernelFib::stop`], and ends the thread.
    ///
    /// # Errors
    ///
    /// As [`FibWorker::apply`], or what [`KernelFib::stop`] returns.
    pub async fn stop(mut self) -> Result<FibStats> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Stop(tx)).await?;
        let stats = rx.await.map_err(|_| self.failure())?;
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        stats
    }

    async fn send(&self, job: Job) -> Result<()> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.jobs.send(job).await.map_err(|_| self.failure())
    }

    fn failure(&self) -> Error {
        let s = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        stopped(s.failed.as_deref().unwrap_or("the kernel thread ended"))
    }
}

fn stopped(why: &str) -> Error {
    Error::Socket(std::io::Error::other(format!("kernel thread: {why}")))
}

/// The worker's loop: take every queued job, let the state machine absorb them, flush once.
async fn run(mut fib: KernelFib, mut jobs: mpsc::Receiver<Job>, shared: &Mutex<Shared>) {
    let mut batch = Vec::new();
    while jobs.recv_many(&mut batch, QUEUE).await > 0 {
        let taken = batch.len() as u64;
        let mut resync = false;
        let mut stop = None;
        let mut queries = Vec::new();
        for job in batch.drain(..) {
            match job {
                Job::Apply(changes) => fib.queue(&changes),
                Job::Resync => resync = true,
                Job::Reconverged => fib.queue_reconverged(),
                Job::Installed(prefixes, answer) => queries.push((prefixes, answer)),
                Job::Stop(done) => stop = Some(done),
            }
        }
        let flushed = if resync { fib.resync().await } else { fib.flush().await };
        if let Err(e) = flushed {
            publish(shared, &mut fib, Some(e.to_string()));
            return;
        }
        publish(shared, &mut fib, None);
        shared.lock().unwrap_or_else(PoisonError::into_inner).done += taken;
        for (prefixes, answer) in queries {
            let _ =
                answer.send(prefixes.iter().map(|p| fib.fib().installed(*p).is_some()).collect());
        }
        if let Some(done) = stop {
            let _ = done.send(fib.stop().await);
            return;
        }
    }
}

fn publish(shared: &Mutex<Shared>, fib: &mut KernelFib, failed: Option<String>) {
    let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
    s.routes = fib.fib().len();
    s.stale = fib.fib().stale();
    s.stats = fib.fib().stats();
    s.idle = fib.fib().is_idle();
    s.failed = failed;
    while let Some(e) = fib.poll_event() {
        s.refused += 1;
        s.first_refused.get_or_insert(e);
    }
}

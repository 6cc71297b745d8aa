//! The tokio task body: sockets, one timer and interface polling around an
//! [`Engine`].

use std::collections::BTreeMap;
use std::future::poll_fn;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use sansio_tokio::{now, Deadline};

use crate::engine::{Engine, Family, InterfaceState, Received};
use crate::error::Error;
use crate::iface::discover;
use crate::port::{Datagram, Port};

/// How often interface state, MTU and addresses are reread.
pub const INTERFACE_POLL: Duration = Duration::from_secs(1);

/// What woke the driver.
enum Wake {
    Timer(Instant),
    Datagram(u32, std::io::Result<Datagram>),
    Rescan,
}

/// Drives an [`Engine`] over raw sockets with tokio: IPv4 or IPv6 ones, as
/// [`Engine::family`] says.
///
/// The driver owns the core; [`Driver::next_event`] runs the I/O until the
/// core reports something. The timer is the family's [`Deadline`], armed
/// from `poll_timeout` on tokio's clock: re-armed only when the deadline
/// moves, and checked against the clock when it fires.
pub struct Driver<E: Engine> {
    engine: E,
    family: Family,
    ports: BTreeMap<u32, Port>,
    deadline: Deadline,
    /// What every socket reads into (one datagram is handled at a time).
    recv_buf: BytesMut,
    rescan: tokio::time::Interval,
    /// The socket polled first next time (see [`poll_in_turn`]).
    next_port: usize,
}

impl<E: Engine> std::fmt::Debug for Driver<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("family", &self.family)
            .field("ports", &self.ports)
            .field("armed", &self.deadline.armed())
            .finish()
    }
}

impl<E: Engine> Driver<E> {
    /// Opens a socket on each named interface and reports the interfaces
    /// to the core. Must be called inside a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Interface`] for an unknown interface, [`Error::Socket`] when
    /// a socket cannot be set up (raw sockets need `CAP_NET_RAW`).
    pub fn new(mut engine: E, interfaces: &[&str]) -> Result<Self, Error> {
        let now = now();
        let family = engine.family();
        let mut ports = BTreeMap::new();
        for name in interfaces {
            let state = discover(name)?;
            let port = Port::open(family, state, engine.kernel_checksum())?;
            let state = &port.state;
            tracing::info!(iface = %name, ifindex = state.ifindex, mtu = state.mtu, up = state.up,
                addrs = ?state.addrs, addrs6 = ?state.addrs6, "interface");
            engine.handle_interface(now, None, state);
            ports.insert(state.ifindex, port);
        }
        let mut rescan = tokio::time::interval(INTERFACE_POLL);
        rescan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ok(Self {
            engine,
            family,
            ports,
            deadline: Deadline::new(),
            recv_buf: BytesMut::new(),
            rescan,
            next_port: 0,
        })
    }

    /// Opens a socket on interface `name` and reports it to the core, as
    /// [`Driver::new`] does for the interfaces it starts with; returns its
    /// state. Tell the core about the interface (its configuration) first.
    /// An interface already driven is only reread.
    ///
    /// # Errors
    ///
    /// As [`Driver::new`].
    pub fn add_interface(&mut self, name: &str) -> Result<InterfaceState, Error> {
        let state = discover(name)?;
        if let Some(port) = self.ports.get(&state.ifindex) {
            return Ok(port.state.clone());
        }
        let port = Port::open(self.family, state.clone(), self.engine.kernel_checksum())?;
        tracing::info!(iface = %name, ifindex = state.ifindex, mtu = state.mtu, up = state.up,
            addrs = ?state.addrs, addrs6 = ?state.addrs6, "interface added");
        self.engine.handle_interface(now(), None, &state);
        self.ports.insert(state.ifindex, port);
        Ok(state)
    }

    /// Closes the socket of interface `ifindex` (after the core was told to
    /// forget it); what the core still had queued for it is sent first.
    ///
    /// # Errors
    ///
    /// [`Error::Socket`] as in [`Driver::flush`].
    pub async fn remove_interface(&mut self, ifindex: u32) -> Result<(), Error> {
        self.flush().await?;
        if let Some(port) = self.ports.remove(&ifindex) {
            tracing::info!(iface = port.name(), ifindex, "interface removed");
        }
        Ok(())
    }

    /// The core.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// The core, for commands (configuration changes). Call
    /// [`Driver::next_event`] afterwards so its output is sent.
    pub fn engine_mut(&mut self) -> &mut E {
        &mut self.engine
    }

    /// The IP version of the sockets, from [`Engine::family`].
    pub fn family(&self) -> Family {
        self.family
    }

    /// The interfaces as last read from the OS.
    pub fn interfaces(&self) -> impl Iterator<Item = &InterfaceState> {
        self.ports.values().map(|p| &p.state)
    }

    /// Sends what the core has queued and applies AllDRouters membership,
    /// without waiting for input.
    ///
    /// # Errors
    ///
    /// [`Error::Socket`] when a membership change fails.
    pub async fn flush(&mut self) -> Result<(), Error> {
        while let Some(t) = self.engine.poll_transmit() {
            match self.ports.get(&t.ifindex) {
                Some(port) => {
                    // A failed send is a lost packet, which OSPF recovers
                    // from by retransmission; it is logged, not fatal.
                    if let Err(err) = port.send(t.dst, &t.payload).await {
                        tracing::warn!(%err, dst = %t.dst, len = t.payload.len(), "send failed");
                    }
                }
                None => tracing::warn!(err = %Error::UnknownInterface(t.ifindex), "dropped"),
            }
        }
        for (ifindex, port) in &mut self.ports {
            port.set_all_d_routers(self.engine.all_d_routers_member(*ifindex))?;
        }
        Ok(())
    }

    /// Runs the I/O until the core has an event, and returns it.
    ///
    /// # Errors
    ///
    /// [`Error::Socket`] when a socket fails for good (not for a lost
    /// packet or a malformed datagram, which are logged and dropped).
    pub async fn next_event(&mut self) -> Result<E::Event, Error> {
        loop {
            self.flush().await?;
            if let Some(event) = self.engine.poll_event() {
                return Ok(event);
            }
            self.deadline.set(self.engine.poll_timeout());
            match self.wait().await {
                // `Deadline` checked the clock: the deadline has been reached.
                Wake::Timer(now) => self.engine.handle_timeout(now),
                Wake::Datagram(ifindex, result) => self.receive(ifindex, result)?,
                Wake::Rescan => self.rescan(),
            }
        }
    }

    async fn wait(&mut self) -> Wake {
        let Self { deadline, ports, rescan, next_port, recv_buf, .. } = self;
        poll_fn(|cx| {
            if let Poll::Ready(now) = deadline.poll_wait(cx) {
                return Poll::Ready(Wake::Timer(now));
            }
            // The interface rescan before the sockets: it is due once a
            // second, and busy sockets must not hold it back.
            if rescan.poll_tick(cx).is_ready() {
                return Poll::Ready(Wake::Rescan);
            }
            let ready = poll_in_turn(*next_port, ports.len(), |k| match ports.iter().nth(k) {
                Some((ifindex, p)) => p.poll_recv(cx, recv_buf).map(|r| (*ifindex, r)),
                None => Poll::Pending,
            });
            if let Poll::Ready((k, (ifindex, result))) = ready {
                *next_port = k + 1;
                return Poll::Ready(Wake::Datagram(ifindex, result));
            }
            Poll::Pending
        })
        .await
    }

    fn receive(&mut self, ifindex: u32, result: std::io::Result<Datagram>) -> Result<(), Error> {
        let Some(port) = self.ports.get(&ifindex) else {
            return Ok(());
        };
        let datagram = match result {
            Ok(d) => d,
            // A datagram that cannot be handed on (a bad IPv4 header), which
            // a sender on the link controls.
            Err(err) if err.kind() == std::io::ErrorKind::InvalidData => {
                tracing::debug!(iface = port.name(), %err, "dropped datagram");
                return Ok(());
            }
            // Transient receive errors (ENOBUFS, an ICMP error queued on
            // the socket) lose one packet; keep going.
            Err(err) => {
                tracing::warn!(iface = port.name(), %err, "recvmsg");
                return Ok(());
            }
        };
        if datagram.ifindex.is_some_and(|i| i != ifindex) {
            tracing::debug!(iface = port.name(), got = ?datagram.ifindex, "other interface");
            return Ok(());
        }
        let packet = Received {
            ifindex,
            src: datagram.src,
            dst: datagram.dst,
            ttl: datagram.ttl,
            payload: &datagram.payload,
        };
        self.engine.handle_packet(now(), packet);
        Ok(())
    }

    /// Rereads every interface and reports those that changed.
    fn rescan(&mut self) {
        let now = now();
        for port in self.ports.values_mut() {
            match discover(port.name()) {
                Ok(state) if state != port.state => {
                    tracing::info!(iface = %state.name, mtu = state.mtu, up = state.up,
                        addrs = ?state.addrs, addrs6 = ?state.addrs6, "interface changed");
                    self.engine.handle_interface(now, Some(&port.state), &state);
                    port.set_state(state);
                }
                Ok(_) => {}
                Err(err) => {
                    // The interface went away: report it down once.
                    if port.state.up {
                        tracing::warn!(%err, "interface lost");
                        let old = port.state.clone();
                        port.state.up = false;
                        self.engine.handle_interface(now, Some(&old), &port.state);
                    }
                }
            }
        }
    }
}

/// Polls sources `0..n` once each, starting at `start` (modulo `n`), and
/// returns the first that is ready with its index. The driver starts after
/// the socket served last, so a busy interface cannot starve the others.
fn poll_in_turn<T>(
    start: usize,
    n: usize,
    mut poll: impl FnMut(usize) -> Poll<T>,
) -> Poll<(usize, T)> {
    for j in 0..n {
        let k = (start % n + j) % n;
        if let Poll::Ready(v) = poll(k) {
            return Poll::Ready((k, v));
        }
    }
    Poll::Pending
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_that_are_always_ready_are_served_in_turn() {
        // Three sockets with datagrams waiting all the time, as when one
        // interface is flooded: each is served once every three wakes.
        let mut next = 0;
        let mut served = Vec::new();
        for _ in 0..6 {
            if let Poll::Ready((k, ())) = poll_in_turn(next, 3, |_| Poll::Ready(())) {
                served.push(k);
                next = k + 1;
            }
        }
        assert_eq!(served, vec![0, 1, 2, 0, 1, 2]);
        // Only socket 1 ready: it is found from any start.
        for start in 0..5 {
            let got =
                poll_in_turn(start, 3, |k| if k == 1 { Poll::Ready(k) } else { Poll::Pending });
            assert_eq!(got, Poll::Ready((1, 1)));
        }
        assert_eq!(poll_in_turn(0, 0, |_| Poll::Ready(())), Poll::Pending);
    }
}

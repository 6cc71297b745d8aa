//! One BFD session in Asynchronous mode (RFC 5880 §6.2, §6.8).

use bytes::{Bytes, BytesMut};
use core::time::Duration;
use std::collections::VecDeque;
use std::time::Instant;

use crate::auth::{self, RxSeq};
use crate::config::{check_intervals, Config};
use crate::error::{ConfigError, Discard};
use crate::event::Event;
use crate::packet::{ControlPacket, Diagnostic, Discriminator, Flags, Interval, State};
use crate::rng::SplitMix64;
use crate::timer::{Timer, TimerTable};

/// Events kept for the driver; beyond this the oldest are dropped and counted.
pub const EVENT_LIMIT: usize = 64;
/// Packets kept for the driver; beyond this the oldest are dropped.
pub const TRANSMIT_LIMIT: usize = 16;

/// §6.8.3: "When bfd.SessionState is not Up, the system MUST set bfd.DesiredMinTxInterval to
/// a value of not less than one second (1,000,000 microseconds)."
pub const SLOW_TX: Interval = Interval::from_micros(1_000_000);

/// One session: the state variables of RFC 5880 §6.8.1, its timers and its output queues.
#[derive(Debug)]
pub struct Session {
    config: Config,
    state: State,
    remote_state: State,
    remote_discr: Option<Discriminator>,
    local_diag: Diagnostic,
    remote_diag: Diagnostic,
    /// bfd.RemoteMinRxInterval; "This MUST be initialized to 1".
    remote_min_rx: Interval,
    /// The Desired Min TX Interval last received.
    remote_min_tx: Interval,
    /// The Detect Mult last received; zero before any packet.
    remote_detect_mult: u8,
    remote_demand: bool,
    /// bfd.DesiredMinTxInterval and bfd.RequiredMinRxInterval as advertised.
    tx_advertised: Interval,
    rx_advertised: Interval,
    /// The values in force. During a Poll Sequence they may lag the advertised ones (§6.8.3).
    tx_in_force: Interval,
    rx_in_force: Interval,
    polling: bool,
    rx_seq: RxSeq,
    /// bfd.XmitAuthSeq.
    tx_seq: u32,
    /// When the last packet that counted for the Detection Time arrived.
    last_rx: Option<Instant>,
    timers: TimerTable,
    rng: SplitMix64,
    transmit: VecDeque<Bytes>,
    events: VecDeque<Event>,
    events_dropped: u64,
}

impl Session {
    /// A session in state Down. Unless it is passive, its first packet is due at `now`. The
    /// `seed` drives transmit jitter and the first authentication sequence number.
    pub fn new(config: Config, seed: u64, now: Instant) -> Result<Session, ConfigError> {
        let (tx, rx) = config.intervals()?;
        let mut rng = SplitMix64::new(seed);
        // §6.8.1 bfd.XmitAuthSeq: "This variable MUST be initialized to a random 32-bit value."
        let tx_seq = rng.next_u32();
        let tx = tx.max(SLOW_TX);
        let mut s = Session {
            config,
            state: State::Down,
            remote_state: State::Down,
            remote_discr: None,
            local_diag: Diagnostic::NONE,
            remote_diag: Diagnostic::NONE,
            remote_min_rx: Interval::from_micros(1),
            remote_min_tx: Interval::ZERO,
            remote_detect_mult: 0,
            remote_demand: false,
            tx_advertised: tx,
            rx_advertised: rx,
            tx_in_force: tx,
            rx_in_force: rx,
            polling: false,
            rx_seq: RxSeq::default(),
            tx_seq,
            last_rx: None,
            timers: TimerTable::default(),
            rng,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            events_dropped: 0,
        };
        if s.sends_periodically() {
            s.timers.set(Timer::Transmit, now);
        }
        Ok(s)
    }

    // --- getters -------------------------------------------------------------------------

    /// The configuration (with the intervals last set).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// bfd.SessionState.
    pub fn state(&self) -> State {
        self.state
    }

    /// bfd.RemoteSessionState: the state in the last packet received.
    pub fn remote_state(&self) -> State {
        self.remote_state
    }

    /// bfd.LocalDiscr.
    pub fn local_discriminator(&self) -> Discriminator {
        self.config.local_discriminator
    }

    /// bfd.RemoteDiscr; `None` until a packet arrives and after the detection time expires.
    pub fn remote_discriminator(&self) -> Option<Discriminator> {
        self.remote_discr
    }

    /// bfd.LocalDiag.
    pub fn local_diag(&self) -> Diagnostic {
        self.local_diag
    }

    /// The diagnostic in the last packet received.
    pub fn remote_diag(&self) -> Diagnostic {
        self.remote_diag
    }

    /// Whether a Poll Sequence we started is waiting for its Final.
    pub fn is_polling(&self) -> bool {
        self.polling
    }

    /// The interval between our periodic packets before jitter: the larger of our Desired
    /// Min TX in force and the remote system's Required Min RX (§6.8.7). `None` when we do
    /// not send periodically.
    pub fn transmit_interval(&self) -> Option<Duration> {
        self.sends_periodically().then(|| self.tx_interval().to_duration())
    }

    /// The Detection Time (§6.8.4): the remote Detect Mult times the larger of our Required
    /// Min RX in force and the remote Desired Min TX. `None` before any packet.
    pub fn detection_time(&self) -> Option<Duration> {
        let agreed = self.rx_in_force.max(self.remote_min_tx).to_duration();
        let t = agreed.saturating_mul(u32::from(self.remote_detect_mult));
        (!t.is_zero()).then_some(t)
    }

    /// Events dropped because the driver did not poll them in time.
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    // --- inputs --------------------------------------------------------------------------

    /// A UDP payload received for this session. The driver has checked what the encapsulation
    /// requires (TTL 255 for single hop, RFC 5881 §5). An `Err` says why the packet was
    /// dropped; nothing changed then.
    pub fn handle_packet(&mut self, now: Instant, payload: Bytes) -> Result<(), Discard> {
        let packet = ControlPacket::decode(payload.clone())?;
        let raw = payload.get(..packet.len()).unwrap_or_default();
        self.handle_control(now, &packet, raw)
    }

    /// A decoded packet and the octets it came from (exactly its Length).
    pub(crate) fn handle_control(
        &mut self,
        now: Instant,
        p: &ControlPacket,
        raw: &[u8],
    ) -> Result<(), Discard> {
        let local = self.config.local_discriminator;
        // §6.8.6: "If the Your Discriminator field is nonzero, it MUST be used to select the
        // session with which this BFD packet is associated. If no session is found, the
        // packet MUST be discarded."
        if let Some(yours) = p.your_discriminator {
            if yours != local {
                return Err(Discard::WrongDiscriminator {
                    received: yours.get(),
                    local: local.get(),
                });
            }
        }
        let seq = auth::verify(self.config.auth.as_ref(), p, raw, self.rx_seq)?;
        if let Some(seq) = seq {
            // §6.7.4: "set bfd.RcvAuthSeq to the value of the received Sequence Number field".
            self.rx_seq.last = Some(seq);
        }

        self.remote_discr = Some(p.my_discriminator);
        self.remote_state = p.state;
        self.remote_diag = p.diag;
        self.remote_demand = p.flags.contains(Flags::DEMAND);
        self.remote_min_rx = p.required_min_rx;
        self.remote_min_tx = p.desired_min_tx;
        self.remote_detect_mult = p.detect_mult.get();
        // "If the Final (F) bit is set, terminate any Poll Sequence in progress."
        if p.is_final() && self.polling {
            self.polling = false;
            self.tx_in_force = self.tx_advertised;
            self.rx_in_force = self.rx_advertised;
        }
        self.reschedule_transmit(now);

        // "If bfd.SessionState is AdminDown: Discard the packet"
        if self.state == State::AdminDown {
            return Err(Discard::AdminDown);
        }
        // The packet counts for the Detection Time from here on (§6.8.4).
        self.arm_detection(now);

        if p.state == State::AdminDown {
            // "If received state is AdminDown: If bfd.SessionState is not Down, Set
            // bfd.LocalDiag to 3 (Neighbor signaled session down), Set bfd.SessionState to
            // Down"
            if self.state != State::Down {
                self.set_state(now, State::Down, Diagnostic::NEIGHBOR_SIGNALED_SESSION_DOWN);
            }
        } else {
            match (self.state, p.state) {
                (State::Down, State::Down) => self.set_state(now, State::Init, Diagnostic::NONE),
                (State::Down, State::Init) => self.set_state(now, State::Up, Diagnostic::NONE),
                (State::Init, State::Init | State::Up) => {
                    self.set_state(now, State::Up, Diagnostic::NONE)
                }
                (State::Up, State::Down) => {
                    self.set_state(now, State::Down, Diagnostic::NEIGHBOR_SIGNALED_SESSION_DOWN)
                }
                _ => {}
            }
        }

        // "If the Poll (P) bit is set, send a BFD Control packet to the remote system with
        // the Poll (P) bit clear, and the Final (F) bit set" -- "as soon as practicable,
        // without respect to the transmission timer" (§6.8.7).
        if p.poll() {
            self.send(Flags::FINAL);
        }
        Ok(())
    }

    /// Time passed. Calling before [`Session::poll_timeout`] is a no-op.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timers.expire(Timer::Detection, now) {
            // §6.8.4: "the session has gone down -- the local system MUST set
            // bfd.SessionState to Down and bfd.LocalDiag to 1". §6.8.1: bfd.RemoteDiscr
            // "MUST be set to zero if the Detection Time expires."
            self.remote_discr = None;
            self.remote_state = State::Down;
            if matches!(self.state, State::Init | State::Up) {
                self.set_state(now, State::Down, Diagnostic::CONTROL_DETECTION_TIME_EXPIRED);
            }
            self.reschedule_transmit(now);
        }
        if self.timers.expire(Timer::AuthSequence, now) {
            // §6.8.1 bfd.AuthSeqKnown: "MUST be set to zero after no packets have been
            // received on this session for at least twice the Detection Time."
            self.rx_seq = RxSeq::default();
        }
        if self.timers.expire(Timer::Transmit, now) && self.sends_periodically() {
            self.send(Flags::EMPTY);
            let base = self.tx_interval().to_duration();
            let wait = crate::rng::jitter(&mut self.rng, base, self.config.detect_mult.get());
            self.timers.set(Timer::Transmit, now + wait);
        }
    }

    // --- commands ------------------------------------------------------------------------

    /// Takes the session to AdminDown (diag 7) or back to Down. While AdminDown the session
    /// sends packets saying so, at the slow rate, and discards what it receives (§6.8.16).
    pub fn set_admin_down(&mut self, now: Instant, admin_down: bool) {
        match (admin_down, self.state) {
            (true, State::AdminDown) | (false, State::Down | State::Init | State::Up) => {}
            (true, _) => {
                self.timers.stop(Timer::Detection);
                self.set_state(now, State::AdminDown, Diagnostic::ADMINISTRATIVELY_DOWN);
            }
            (false, State::AdminDown) => self.set_state(now, State::Down, Diagnostic::NONE),
        }
    }

    /// New Desired Min TX and Required Min RX intervals. While Up this starts a Poll Sequence
    /// (§6.8.3); a slower transmit rate or a faster receive rate takes effect when the Final
    /// arrives, the other direction at once.
    pub fn set_intervals(
        &mut self,
        now: Instant,
        desired_min_tx: Duration,
        required_min_rx: Duration,
    ) -> Result<(), ConfigError> {
        check_intervals(desired_min_tx, required_min_rx)?;
        self.config.desired_min_tx = desired_min_tx;
        self.config.required_min_rx = required_min_rx;
        self.update_intervals(now);
        Ok(())
    }

    // --- outputs -------------------------------------------------------------------------

    /// The next packet to send to the remote system, encoded (and signed).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmit.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] is next due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    // --- internals -----------------------------------------------------------------------

    fn set_state(&mut self, now: Instant, to: State, diag: Diagnostic) {
        let from = self.state;
        self.state = to;
        self.local_diag = diag;
        if self.events.len() == EVENT_LIMIT {
            self.events.pop_front();
            self.events_dropped += 1;
        }
        self.events.push_back(Event::StateChanged {
            from,
            to,
            diag,
            remote_diag: self.remote_diag,
        });
        self.update_intervals(now);
    }

    /// Brings the advertised intervals in line with the configuration and the state, and
    /// decides which take effect now (§6.8.3).
    fn update_intervals(&mut self, now: Instant) {
        let (tx, rx) = match self.config.intervals() {
            Ok(v) => v,
            // The configuration is checked before it is stored.
            Err(_) => return,
        };
        let tx = if self.state == State::Up { tx } else { tx.max(SLOW_TX) };
        let changed = tx != self.tx_advertised || rx != self.rx_advertised;
        self.tx_advertised = tx;
        self.rx_advertised = rx;
        if self.state != State::Up {
            // No Poll Sequence outside Up: the remote system is not relying on our timing.
            self.polling = false;
            self.tx_in_force = tx;
            self.rx_in_force = rx;
        } else if changed {
            // "If bfd.DesiredMinTxInterval is increased and bfd.SessionState is Up, the
            // actual transmission interval used MUST NOT change until the Poll Sequence
            // described above has terminated." and "If bfd.RequiredMinRxInterval is reduced
            // and bfd.SessionState is Up, the previous value of bfd.RequiredMinRxInterval MUST
            // be used when calculating the Detection Time for the remote system until the Poll
            // Sequence described above has terminated." The other directions are safe at once.
            self.polling = true;
            if tx <= self.tx_in_force {
                self.tx_in_force = tx;
            }
            if rx >= self.rx_in_force {
                self.rx_in_force = rx;
            }
        }
        self.reschedule_transmit(now);
        // The running Detection Time follows the interval in force, counted from the last
        // packet.
        if let (Some(_), Some(last), Some(t)) =
            (self.timers.get(Timer::Detection), self.last_rx, self.detection_time())
        {
            self.timers.set(Timer::Detection, last + t);
        }
    }

    fn tx_interval(&self) -> Interval {
        self.tx_in_force.max(self.remote_min_rx)
    }

    /// Whether periodic packets go out (§6.8.7).
    fn sends_periodically(&self) -> bool {
        // "A system MUST NOT periodically transmit BFD Control packets if
        // bfd.RemoteMinRxInterval is zero."
        if self.remote_min_rx == Interval::ZERO {
            return false;
        }
        // §6.1: "A system taking the Passive role MUST NOT begin sending BFD packets for a
        // particular session until it has received a BFD packet for that session".
        if self.config.passive && self.remote_discr.is_none() {
            return false;
        }
        // "If bfd.RemoteDemandMode is 1, bfd.SessionState is Up, and
        // bfd.RemoteSessionState is Up, Demand mode is active on the remote system and the
        // local system MUST cease the periodic transmission of BFD Control packets"
        !(self.remote_demand && self.state == State::Up && self.remote_state == State::Up)
    }

    /// After a change of interval or of what we may send: stop, start or bring forward the
    /// transmit timer. A running timer is never pushed back, so a slower rate starts after
    /// the packet already scheduled.
    fn reschedule_transmit(&mut self, now: Instant) {
        if !self.sends_periodically() {
            self.timers.stop(Timer::Transmit);
            return;
        }
        let base = self.tx_interval().to_duration();
        let wait = crate::rng::jitter(&mut self.rng, base, self.config.detect_mult.get());
        let candidate = now + wait;
        match self.timers.get(Timer::Transmit) {
            Some(at) if at <= candidate => {}
            _ => self.timers.set(Timer::Transmit, candidate),
        }
    }

    fn arm_detection(&mut self, now: Instant) {
        self.last_rx = Some(now);
        match self.detection_time() {
            Some(t) => {
                self.timers.set(Timer::Detection, now + t);
                self.timers.set(Timer::AuthSequence, now + t.saturating_mul(2));
            }
            // Our Required Min RX is zero: we asked for no packets, so none are missed.
            None => self.timers.stop(Timer::Detection),
        }
    }

    /// Queues one packet with the state as it is now.
    fn send(&mut self, extra: Flags) {
        let mut flags = extra;
        // §6.5: a Poll Sequence sends P in every packet until F arrives; §4.1: "A BFD Control
        // packet MUST NOT have both the Poll (P) and Final (F) bits set."
        if self.polling && !extra.contains(Flags::FINAL) {
            flags = flags.with(Flags::POLL);
        }
        let auth = self.config.auth.as_ref().map(|a| {
            // §6.7.4: Meticulous Keyed SHA1 increments for every packet; Keyed SHA1 "MAY" --
            // we do too, which keeps a replayed packet outside the receiver's window sooner.
            self.tx_seq = self.tx_seq.wrapping_add(1);
            auth::section(a, self.tx_seq)
        });
        let packet = ControlPacket {
            diag: self.local_diag,
            state: self.state,
            flags,
            detect_mult: self.config.detect_mult,
            my_discriminator: self.config.local_discriminator,
            your_discriminator: self.remote_discr,
            desired_min_tx: self.tx_advertised,
            required_min_rx: self.rx_advertised,
            // No Echo function: "If this field is set to zero, the local system is unwilling
            // or unable to loop back BFD Echo packets".
            required_min_echo_rx: Interval::ZERO,
            auth,
        };
        let mut buf = BytesMut::with_capacity(packet.len());
        auth::encode_signed(&packet, &mut buf);
        if self.transmit.len() == TRANSMIT_LIMIT {
            self.transmit.pop_front();
        }
        self.transmit.push_back(buf.freeze());
    }
}

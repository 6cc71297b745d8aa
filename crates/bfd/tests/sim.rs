//! Two sessions wired back to back over a virtual link, driven by a virtual clock that jumps
//! to the earliest deadline.

use bfd::packet::{ControlPacket, Flags};
use bfd::{AuthConfig, AuthError, AuthMode, Config, Diagnostic, Discard, Discriminator, Event};
use bfd::{Session, State};
use bytes::Bytes;
use std::time::{Duration, Instant};

const A: usize = 0;
const B: usize = 1;

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn disc(v: u32) -> Discriminator {
    Discriminator::new(v).expect("non-zero")
}

/// One packet on the wire: when it was sent, by whom, what it said.
#[derive(Clone, Debug)]
struct Sent {
    at: Instant,
    from: usize,
    packet: ControlPacket,
    bytes: Bytes,
}

struct Pair {
    s: [Session; 2],
    start: Instant,
    now: Instant,
    /// One-way delay of the link.
    delay: Duration,
    /// Whether packets from side `i` reach the other side.
    passes: [bool; 2],
    in_flight: Vec<(Instant, usize, Bytes)>,
    sent: Vec<Sent>,
    /// (instant, receiving side, packet) for every packet delivered and accepted.
    delivered: Vec<(Instant, usize, ControlPacket)>,
    /// Packets a session discarded, with the reason.
    discarded: Vec<(Instant, usize, Discard)>,
    events: Vec<(Instant, usize, Event)>,
}

impl Pair {
    fn new(a: Config, b: Config) -> Pair {
        let start = Instant::now();
        let sa = Session::new(a, 0xa, start).expect("config a");
        let sb = Session::new(b, 0xb, start).expect("config b");
        Pair {
            s: [sa, sb],
            start,
            now: start,
            delay: Duration::ZERO,
            passes: [true, true],
            in_flight: Vec::new(),
            sent: Vec::new(),
            delivered: Vec::new(),
            discarded: Vec::new(),
            events: Vec::new(),
        }
    }

    fn default_pair() -> Pair {
        Pair::new(Config::new(disc(0x11)), Config::new(disc(0x22)))
    }

    /// Drains outputs, delivers what is due, and repeats until nothing moves at `now`.
    fn settle(&mut self) {
        loop {
            let mut moved = false;
            for i in [A, B] {
                while let Some(bytes) = self.s[i].poll_transmit() {
                    moved = true;
                    let packet =
                        ControlPacket::decode(bytes.clone()).expect("we send valid packets");
                    self.sent.push(Sent { at: self.now, from: i, packet, bytes: bytes.clone() });
                    if self.passes[i] {
                        self.in_flight.push((self.now + self.delay, 1 - i, bytes));
                    }
                }
                while let Some(e) = self.s[i].poll_event() {
                    moved = true;
                    self.events.push((self.now, i, e));
                }
            }
            let now = self.now;
            let (due, later): (Vec<_>, Vec<_>) =
                self.in_flight.drain(..).partition(|(at, _, _)| *at <= now);
            self.in_flight = later;
            for (_, to, bytes) in due {
                moved = true;
                self.deliver(to, bytes);
            }
            if !moved {
                return;
            }
        }
    }

    fn deliver(&mut self, to: usize, bytes: Bytes) {
        let packet = ControlPacket::decode(bytes.clone()).expect("valid packet");
        match self.s[to].handle_packet(self.now, bytes) {
            Ok(()) => self.delivered.push((self.now, to, packet)),
            Err(e) => self.discarded.push((self.now, to, e)),
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let timers = self.s.iter().filter_map(Session::poll_timeout);
        timers.chain(self.in_flight.iter().map(|(at, _, _)| *at)).min()
    }

    /// Runs until virtual time `until` (relative to the start).
    fn run_until(&mut self, until: Duration) {
        let end = self.start + until;
        self.settle();
        while let Some(next) = self.next_deadline() {
            if next > end {
                break;
            }
            self.now = next;
            for s in &mut self.s {
                s.handle_timeout(next);
            }
            self.settle();
        }
        self.now = self.now.max(end);
    }

    /// Runs until `pred` holds, at most for `limit` of virtual time more; panics otherwise.
    fn run_until_pred(&mut self, limit: Duration, pred: impl Fn(&Pair) -> bool) {
        let end = self.now + limit;
        self.settle();
        while !pred(self) {
            let next = self.next_deadline().expect("something is scheduled");
            assert!(next <= end, "condition not reached within {limit:?}");
            self.now = next;
            for s in &mut self.s {
                s.handle_timeout(next);
            }
            self.settle();
        }
    }

    fn both_up(&self) -> bool {
        self.s.iter().all(|s| s.state() == State::Up)
    }

    fn transitions(&self, side: usize) -> Vec<(State, State, Diagnostic)> {
        self.events
            .iter()
            .filter(|(_, i, _)| *i == side)
            .map(|(_, _, e)| match *e {
                Event::StateChanged { from, to, diag, .. } => (from, to, diag),
                _ => unreachable!("only state changes exist"),
            })
            .collect()
    }

    fn rel(&self, t: Instant) -> Duration {
        t - self.start
    }

    /// Gaps between consecutive packets sent by `side` in `[from, to)`, F packets excluded
    /// (they are sent outside the schedule).
    fn gaps(&self, side: usize, from: Instant, to: Instant) -> Vec<Duration> {
        let times: Vec<Instant> = self
            .sent
            .iter()
            .filter(|s| s.from == side && !s.packet.is_final() && s.at >= from && s.at < to)
            .map(|s| s.at)
            .collect();
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

#[test]
fn bring_up_down_init_up_on_both_sides() {
    let mut p = Pair::default_pair();
    p.run_until_pred(ms(5_000), Pair::both_up);
    for side in [A, B] {
        assert_eq!(
            p.transitions(side),
            vec![
                (State::Down, State::Init, Diagnostic::NONE),
                (State::Init, State::Up, Diagnostic::NONE)
            ],
            "side {side}"
        );
    }
    // Both send Down at once, hear each other's Down (Init), then each other's Init (Up): the
    // second packet of the slow schedule, 0.75 to 1 s after the first.
    let up_at = p.rel(p.now);
    assert!(up_at >= ms(750) && up_at <= ms(1000), "up after {up_at:?}");
    // Until Up every packet says Desired Min TX 1 s (§6.8.3), and Your Discriminator is
    // zero only before the peer was heard.
    let first = &p.sent[0].packet;
    assert_eq!(first.state, State::Down);
    assert_eq!(first.your_discriminator, None);
    assert_eq!(first.desired_min_tx.as_micros(), 1_000_000);
    assert_eq!(first.required_min_rx.as_micros(), 300_000);

    // Going Up changes Desired Min TX to 300 ms: a Poll Sequence announces it.
    let up = p.now;
    p.run_until(up - p.start + ms(3_000));
    let polls: Vec<&Sent> = p.sent.iter().filter(|s| s.at >= up && s.packet.poll()).collect();
    let finals: Vec<&Sent> = p.sent.iter().filter(|s| s.at >= up && s.packet.is_final()).collect();
    assert!(!polls.is_empty() && !finals.is_empty(), "poll sequence on going Up");
    for s in &p.sent {
        assert!(!(s.packet.poll() && s.packet.is_final()), "P and F together");
        if s.at >= up + ms(10) {
            assert_eq!(s.packet.state, State::Up);
            assert_eq!(s.packet.desired_min_tx.as_micros(), 300_000);
        }
    }
    // Slow gaps before Up, fast ones (300 ms less 0..25 %) once the poll is over.
    for g in p.gaps(A, p.start, up) {
        assert!(g >= ms(750) && g <= ms(1000), "slow gap {g:?}");
    }
    let settled = finals.iter().map(|s| s.at).max().expect("a final") + ms(1000);
    let fast = p.gaps(A, settled, p.now);
    assert!(fast.len() >= 5, "{fast:?}");
    for g in fast {
        assert!(g >= ms(225) && g <= ms(300), "fast gap {g:?}");
    }
    for s in &p.s {
        assert_eq!(s.transmit_interval(), Some(ms(300)));
        assert_eq!(s.detection_time(), Some(ms(900)));
        assert!(!s.is_polling());
    }
    assert!(p.discarded.is_empty(), "{:?}", p.discarded);
}

#[test]
fn detection_after_detect_mult_times_interval() {
    let mut p = Pair::default_pair();
    p.run_until_pred(ms(5_000), Pair::both_up);
    p.run_until(ms(10_000));
    let cut = p.now;
    p.passes = [false, false];
    p.run_until(ms(12_000));
    for side in [A, B] {
        let last_rx =
            p.delivered.iter().filter(|(_, to, _)| *to == side).map(|(at, _, _)| *at).max();
        let last_rx = last_rx.expect("packets were received");
        let down: Vec<Instant> = p
            .events
            .iter()
            .filter(|(_, i, e)| *i == side && e.is_down())
            .map(|(at, _, _)| *at)
            .collect();
        assert_eq!(down.len(), 1, "side {side}: {:?}", p.events);
        // Exactly Detect Mult (3) times the agreed interval (300 ms) after the last packet.
        assert_eq!(down[0] - last_rx, ms(900), "side {side}");
        // The last packet came at most one interval before the cut.
        let after_cut = down[0] - cut;
        assert!(after_cut > ms(600) && after_cut <= ms(900), "side {side}: {after_cut:?}");
        assert_eq!(
            p.transitions(side).last(),
            Some(&(State::Up, State::Down, Diagnostic::CONTROL_DETECTION_TIME_EXPIRED))
        );
        assert_eq!(p.s[side].remote_discriminator(), None);
        // Down again: back to the slow rate.
        assert_eq!(p.s[side].transmit_interval(), Some(ms(1000)));
    }
    // The link comes back: the sessions come back Up by themselves.
    p.passes = [true, true];
    p.run_until_pred(ms(5_000), Pair::both_up);
}

#[test]
fn detection_with_detect_mult_one_uses_tighter_jitter() {
    let mut cfg = Config::new(disc(1));
    cfg.detect_mult = core::num::NonZeroU8::MIN;
    let mut p = Pair::new(cfg.clone(), Config::new(disc(2)));
    p.run_until_pred(ms(5_000), Pair::both_up);
    let up = p.now;
    p.run_until(up - p.start + ms(4_000));
    let gaps = p.gaps(A, up + ms(1_000), p.now);
    assert!(gaps.len() > 8);
    for g in gaps {
        // §6.8.7: between 75 % and 90 % of 300 ms when Detect Mult is 1.
        assert!(g >= ms(225) && g <= ms(270), "{g:?}");
    }
    // B's detection time for A is A's Detect Mult (1) times 300 ms.
    assert_eq!(p.s[B].detection_time(), Some(ms(300)));
}

#[test]
fn poll_sequence_on_interval_change() {
    let mut p = Pair::default_pair();
    p.delay = ms(5);
    p.run_until_pred(ms(5_000), Pair::both_up);
    p.run_until(p.rel(p.now) + ms(3_000));
    assert!(!p.s[A].is_polling());

    // Slow A down to 1 s both ways.
    let change = p.now;
    p.s[A].set_intervals(change, ms(1_000), ms(1_000)).expect("valid intervals");
    assert!(p.s[A].is_polling());
    // A slower transmit rate waits for the Final; a slower receive rate is safe at once.
    assert_eq!(p.s[A].transmit_interval(), Some(ms(300)));
    assert_eq!(p.s[A].detection_time(), Some(ms(3_000)));
    p.run_until(p.rel(change) + ms(5_000));

    // A's first packet after the change has P and the new values...
    let after: Vec<&Sent> = p.sent.iter().filter(|s| s.at > change).collect();
    let first_a = after.iter().find(|s| s.from == A).expect("A sent");
    assert!(first_a.packet.poll());
    assert_eq!(first_a.packet.desired_min_tx.as_micros(), 1_000_000);
    assert_eq!(first_a.packet.required_min_rx.as_micros(), 1_000_000);
    // ...B answers at once with F (one link delay later)...
    let final_b =
        after.iter().find(|s| s.from == B && s.packet.is_final()).expect("B answered with F");
    assert_eq!(final_b.at - first_a.at, ms(5));
    assert!(!final_b.packet.poll());
    let f_at_a = final_b.at + ms(5);
    // ...and A polls no more after it.
    for s in after.iter().filter(|s| s.from == A) {
        assert_eq!(s.packet.poll(), s.at < f_at_a, "P only until F: {s:?}");
    }
    // Before the Final A kept sending at 300 ms; after it, at 1 s (less jitter).
    let before_f = p.gaps(A, change - ms(1_000), f_at_a);
    assert!(before_f.iter().all(|g| *g <= ms(300)), "{before_f:?}");
    let after_f = p.gaps(A, f_at_a + ms(1_000), p.now);
    assert!(after_f.len() >= 3);
    assert!(after_f.iter().all(|g| *g >= ms(750) && *g <= ms(1_000)), "{after_f:?}");
    // B follows A's Required Min RX at once: its packets come every second.
    let b_gaps = p.gaps(B, f_at_a + ms(1_000), p.now);
    assert!(b_gaps.iter().all(|g| *g >= ms(750) && *g <= ms(1_000)), "{b_gaps:?}");
    assert!(!p.s[A].is_polling());
    assert_eq!(p.s[A].transmit_interval(), Some(ms(1_000)));
    assert_eq!(p.s[B].detection_time(), Some(ms(3_000)));
    assert!(p.both_up());
    assert_eq!(p.events.iter().filter(|(at, _, _)| *at > change).count(), 0, "no flap");
}

#[test]
fn faster_receive_waits_for_final() {
    let mut cfg_b = Config::new(disc(2));
    cfg_b.desired_min_tx = ms(100);
    let mut p = Pair::new(Config::new(disc(1)), cfg_b);
    p.delay = ms(5);
    p.run_until_pred(ms(5_000), Pair::both_up);
    p.run_until(p.rel(p.now) + ms(2_000));
    assert_eq!(p.s[A].detection_time(), Some(ms(900)));
    let change = p.now;
    // A accepts packets every 100 ms from now on: B may speed up, but until the Final A
    // still expects them every 300 ms (§6.8.3).
    p.s[A].set_intervals(change, ms(300), ms(100)).expect("valid");
    assert_eq!(p.s[A].detection_time(), Some(ms(900)));
    p.run_until_pred(ms(2_000), |p| !p.s[A].is_polling());
    assert_eq!(p.s[A].detection_time(), Some(ms(300)));
    assert!(p.both_up());
}

#[test]
fn admin_down_takes_the_other_side_down_with_diag() {
    let mut p = Pair::default_pair();
    p.run_until_pred(ms(5_000), Pair::both_up);
    p.run_until(p.rel(p.now) + ms(2_000));
    let t = p.now;
    p.s[A].set_admin_down(t, true);
    p.run_until(p.rel(t) + ms(3_000));
    assert_eq!(
        p.transitions(A).last(),
        Some(&(State::Up, State::AdminDown, Diagnostic::ADMINISTRATIVELY_DOWN))
    );
    // B hears AdminDown with diag 7 and goes Down saying the neighbour signalled it.
    let down_b: Vec<_> = p.events.iter().filter(|(at, i, _)| *i == B && *at > t).collect();
    assert_eq!(down_b.len(), 1, "{down_b:?}");
    let (at, _, e) = down_b[0];
    assert_eq!(
        *e,
        Event::StateChanged {
            from: State::Up,
            to: State::Down,
            diag: Diagnostic::NEIGHBOR_SIGNALED_SESSION_DOWN,
            remote_diag: Diagnostic::ADMINISTRATIVELY_DOWN,
        }
    );
    // Through the signal, not the detection timer: within one 300 ms interval.
    assert!(*at - t <= ms(300), "{:?}", *at - t);
    assert_eq!(p.s[B].remote_diag(), Diagnostic::ADMINISTRATIVELY_DOWN);
    // A's packets say AdminDown with diag 7, at the slow rate.
    let a_pkts: Vec<&Sent> = p.sent.iter().filter(|s| s.from == A && s.at > t).collect();
    assert!(a_pkts.iter().all(|s| s.packet.state == State::AdminDown
        && s.packet.diag == Diagnostic::ADMINISTRATIVELY_DOWN));
    assert!(p.gaps(A, t + ms(400), p.now).iter().all(|g| *g >= ms(750)));
    // B stays Down; A discards what B sends.
    assert_eq!(p.s[B].state(), State::Down);
    assert!(p.discarded.iter().all(|(_, i, e)| *i == A && *e == Discard::AdminDown));
    assert!(!p.discarded.is_empty());

    // Back: both come Up again.
    let t2 = p.now;
    p.s[A].set_admin_down(t2, false);
    p.run_until_pred(ms(5_000), Pair::both_up);
}

fn with_auth(mode: AuthMode, key_a: &'static [u8], key_b: &'static [u8]) -> Pair {
    let mut a = Config::new(disc(1));
    a.auth = Some(AuthConfig::new(mode, 7, key_a).expect("key"));
    let mut b = Config::new(disc(2));
    b.auth = Some(AuthConfig::new(mode, 7, key_b).expect("key"));
    Pair::new(a, b)
}

#[test]
fn authenticated_sessions_come_up() {
    for mode in [AuthMode::SimplePassword, AuthMode::KeyedSha1, AuthMode::MeticulousKeyedSha1] {
        let mut p = with_auth(mode, b"secret", b"secret");
        p.run_until_pred(ms(5_000), Pair::both_up);
        p.run_until(ms(8_000));
        assert!(p.discarded.is_empty(), "{mode:?}: {:?}", p.discarded);
        assert!(p.sent.iter().all(|s| s.packet.auth.is_some()));
    }
}

#[test]
fn bad_auth_is_dropped() {
    for mode in [AuthMode::SimplePassword, AuthMode::KeyedSha1, AuthMode::MeticulousKeyedSha1] {
        // Different keys: every packet is dropped, nobody comes up.
        let mut p = with_auth(mode, b"secret", b"public");
        p.run_until(ms(5_000));
        assert!(p.events.is_empty(), "{mode:?}");
        assert!(!p.discarded.is_empty());
        assert!(
            p.discarded.iter().all(|(_, _, e)| *e == Discard::Auth(AuthError::Mismatch)),
            "{mode:?}: {:?}",
            p.discarded
        );
    }

    let mut p = with_auth(AuthMode::MeticulousKeyedSha1, b"secret", b"secret");
    p.run_until_pred(ms(5_000), Pair::both_up);
    p.run_until(ms(6_000));
    let old = p.sent.iter().find(|s| s.from == A).expect("A sent").bytes.clone();
    let last = p.sent.iter().rev().find(|s| s.from == A).expect("A sent").bytes.clone();
    let now = p.now;
    // A replayed old packet is outside the sequence window.
    assert!(matches!(
        p.s[B].handle_packet(now, old),
        Err(Discard::Auth(AuthError::Sequence { .. }))
    ));
    // So is the last one again: Meticulous needs a higher number every time.
    assert!(matches!(
        p.s[B].handle_packet(now, last.clone()),
        Err(Discard::Auth(AuthError::Sequence { .. }))
    ));
    // A forged AdminDown: the last packet with its state changed and its sequence number
    // moved on (so the window check passes), the digest left as it was.
    let mut forged = last.to_vec();
    forged[1] = (forged[1] & 0x3f) | (State::AdminDown.to_bits() << 6);
    let seq = u32::from_be_bytes(forged[28..32].try_into().expect("4 octets"));
    forged[28..32].copy_from_slice(&seq.wrapping_add(1).to_be_bytes());
    assert_eq!(
        p.s[B].handle_packet(now, Bytes::from(forged)),
        Err(Discard::Auth(AuthError::Mismatch))
    );
    // Unauthenticated packets are not accepted either.
    let mut plain = ControlPacket::decode(last).expect("valid");
    plain.auth = None;
    plain.state = State::AdminDown;
    assert_eq!(p.s[B].handle_packet(now, plain.to_bytes()), Err(Discard::Auth(AuthError::Missing)));
    // None of that moved B.
    assert_eq!(p.s[B].state(), State::Up);
    p.run_until(ms(9_000));
    assert!(p.both_up());
    assert!(p.discarded.is_empty());
}

#[test]
fn passive_side_waits_to_be_heard() {
    let mut b = Config::new(disc(2));
    b.passive = true;
    let mut p = Pair::new(Config::new(disc(1)), b);
    p.passes = [false, true];
    p.run_until(ms(3_000));
    assert!(p.sent.iter().all(|s| s.from == A), "the passive side spoke first");
    p.passes = [true, true];
    p.run_until_pred(ms(5_000), Pair::both_up);
    assert!(p.sent.iter().any(|s| s.from == B));
}

#[test]
fn remote_demand_mode_stops_periodic_transmission() {
    let mut p = Pair::default_pair();
    p.run_until_pred(ms(5_000), Pair::both_up);
    p.run_until(p.rel(p.now) + ms(2_000));
    // A packet from B saying it is Up and in Demand mode (B itself keeps sending: this crate
    // never asks for Demand mode, so the packet is made by hand).
    let last_b = p.sent.iter().rev().find(|s| s.from == B).expect("B sent").packet.clone();
    let mut demand = last_b;
    demand.flags = Flags::DEMAND;
    let now = p.now;
    p.s[A].handle_packet(now, demand.to_bytes()).expect("accepted");
    assert_eq!(p.s[A].transmit_interval(), None);
    assert_eq!(p.s[A].poll_timeout(), Some(now + ms(900)), "only detection runs");
}

#[test]
fn same_seed_same_bytes() {
    let run = || {
        let mut p = Pair::default_pair();
        p.run_until(ms(10_000));
        p.sent.iter().map(|s| (s.at - p.start, s.bytes.clone())).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

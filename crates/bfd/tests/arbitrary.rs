//! A session fed arbitrary sequences of packets, timeouts and commands (the stable-toolchain
//! sibling of the `bfd_session` fuzz target): it never panics, everything it sends decodes,
//! P and F never go together, an Up session knows its peer, and after a timeout nothing is
//! left due.

use bfd::packet::{ControlPacket, Flags, Interval};
use bfd::{Config, Diagnostic, Discriminator, Event, Session, State};
use core::num::NonZeroU8;
use proptest::prelude::*;
use std::time::{Duration, Instant};

const LOCAL: u32 = 0x0101_0101;

#[derive(Clone, Debug)]
enum Op {
    Advance(u16),
    Timeout,
    Raw(Vec<u8>),
    Packet { state: u8, flags: u8, mult: u8, diag: u8, yours: bool, tx: u16, rx: u16 },
    AdminDown(bool),
    Intervals(u16, u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u16>().prop_map(Op::Advance),
        Just(Op::Timeout),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Op::Raw),
        (0u8..4, any::<u8>(), 1u8..5, 0u8..32, any::<bool>(), 0u16..2000, 0u16..2000).prop_map(
            |(state, flags, mult, diag, yours, tx, rx)| Op::Packet {
                state,
                flags,
                mult,
                diag,
                yours,
                tx,
                rx
            }
        ),
        any::<bool>().prop_map(Op::AdminDown),
        (0u16..3000, 0u16..3000).prop_map(|(a, b)| Op::Intervals(a, b)),
    ]
}

fn check_outputs(s: &mut Session) {
    while let Some(bytes) = s.poll_transmit() {
        let p = ControlPacket::decode(bytes).expect("a session sends valid packets");
        assert!(!(p.poll() && p.is_final()));
        assert_eq!(p.my_discriminator.get(), LOCAL);
        assert_eq!(p.state, s.state());
        if s.state() != State::Up {
            assert!(p.desired_min_tx.as_micros() >= 1_000_000, "{p:?}");
        }
    }
    while let Some(Event::StateChanged { from, to, diag, .. }) = s.poll_event() {
        assert_ne!(from, to);
        if to == State::AdminDown {
            assert_eq!(diag, Diagnostic::ADMINISTRATIVELY_DOWN);
        }
    }
    if s.state() == State::Up {
        assert!(s.remote_discriminator().is_some());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn never_panics_and_keeps_invariants(
        seed in any::<u64>(),
        passive in any::<bool>(),
        ops in proptest::collection::vec(op(), 0..60),
    ) {
        let start = Instant::now();
        let mut config = Config::new(Discriminator::new(LOCAL).expect("non-zero"));
        config.passive = passive;
        let mut s = Session::new(config, seed, start).expect("valid config");
        let mut now = start;
        check_outputs(&mut s);
        for op in ops {
            match op {
                Op::Advance(ms) => {
                    now += Duration::from_millis(u64::from(ms));
                    s.handle_timeout(now);
                    prop_assert!(s.poll_timeout().is_none_or(|next| next > now));
                }
                Op::Timeout => {
                    if let Some(at) = s.poll_timeout() {
                        now = now.max(at);
                        s.handle_timeout(now);
                        // Served: nothing is left due at `now`.
                        prop_assert!(s.poll_timeout().is_none_or(|next| next > now));
                    }
                }
                Op::Raw(bytes) => {
                    let _ = s.handle_packet(now, bytes.into());
                }
                Op::Packet { state, flags, mult, diag, yours, tx, rx } => {
                    let p = ControlPacket {
                        diag: Diagnostic::new(diag).expect("5 bits"),
                        state: State::from_bits(state),
                        flags: Flags::from_octet(flags),
                        detect_mult: NonZeroU8::new(mult).expect("non-zero"),
                        my_discriminator: Discriminator::new(7).expect("non-zero"),
                        your_discriminator: if yours { Discriminator::new(LOCAL) } else { None },
                        desired_min_tx: Interval::from_millis(u32::from(tx)),
                        required_min_rx: Interval::from_millis(u32::from(rx)),
                        required_min_echo_rx: Interval::ZERO,
                        auth: None,
                    };
                    let _ = s.handle_packet(now, p.to_bytes());
                }
                Op::AdminDown(down) => {
                    s.set_admin_down(now, down);
                    prop_assert_eq!(s.state() == State::AdminDown, down);
                }
                Op::Intervals(tx, rx) => {
                    let r = s.set_intervals(
                        now,
                        Duration::from_millis(u64::from(tx)),
                        Duration::from_millis(u64::from(rx)),
                    );
                    prop_assert_eq!(r.is_ok(), tx != 0);
                }
            }
            check_outputs(&mut s);
        }
    }
}

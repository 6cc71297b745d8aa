//! A session fed an arbitrary script of packets (raw, or built from fields so that the state
//! machine is reached), timeouts and commands: never panics, every packet it sends decodes,
//! never carries P and F together, and an Up session always knows its peer.
#![no_main]
use bfd::packet::{Auth, ControlPacket, Flags, Interval, PasswordAuth};
use bfd::{AuthConfig, AuthMode, Config, Diagnostic, Discriminator, Session, State};
use bytes::Bytes;
use core::num::NonZeroU8;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

const LOCAL: u32 = 0x0101_0101;

struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
}

fn drain(s: &mut Session) {
    while let Some(p) = s.poll_transmit() {
        let packet = ControlPacket::decode(p).expect("a session sends valid packets");
        assert!(!(packet.poll() && packet.is_final()), "{packet:?}");
        assert_eq!(packet.my_discriminator.get(), LOCAL);
    }
    while s.poll_event().is_some() {}
    if s.state() == State::Up {
        assert!(s.remote_discriminator().is_some());
    }
}

fuzz_target!(|data: &[u8]| {
    let mut script = Script(data);
    let Some(setup) = script.u8() else { return };
    let start = Instant::now();
    let mut config = Config::new(Discriminator::new(LOCAL).expect("non-zero"));
    config.passive = setup & 1 != 0;
    config.detect_mult = NonZeroU8::new(setup >> 5).unwrap_or(NonZeroU8::MIN);
    let password = setup & 2 != 0;
    if password {
        config.auth =
            Some(AuthConfig::new(AuthMode::SimplePassword, 1, &b"pw"[..]).expect("valid"));
    }
    let mut s = Session::new(config, u64::from(setup), start).expect("valid config");
    let mut now = start;
    drain(&mut s);
    while let Some(op) = script.u8() {
        match op % 6 {
            0 => {
                let Some(ms) = script.u16() else { break };
                now += Duration::from_millis(u64::from(ms));
                s.handle_timeout(now);
            }
            1 => {
                let Some(deadline) = s.poll_timeout() else { continue };
                now = now.max(deadline);
                s.handle_timeout(now);
            }
            2 => {
                let Some(len) = script.u8() else { break };
                let Some(raw) = script.take(usize::from(len)) else { break };
                let _ = s.handle_packet(now, Bytes::copy_from_slice(raw));
            }
            3 => {
                let (Some(a), Some(b), Some(tx), Some(rx)) =
                    (script.u8(), script.u8(), script.u16(), script.u16())
                else {
                    break;
                };
                let packet = ControlPacket {
                    diag: Diagnostic::new(a & 0x1f).unwrap_or_default(),
                    state: State::from_bits(b >> 6),
                    flags: Flags::from_octet(b),
                    detect_mult: NonZeroU8::new(a >> 5).unwrap_or(NonZeroU8::MIN),
                    my_discriminator: Discriminator::new(0x0202_0202).expect("non-zero"),
                    your_discriminator: if b & 1 != 0 { Discriminator::new(LOCAL) } else { None },
                    desired_min_tx: Interval::from_millis(u32::from(tx)),
                    required_min_rx: Interval::from_millis(u32::from(rx)),
                    required_min_echo_rx: Interval::ZERO,
                    auth: password.then(|| {
                        Auth::SimplePassword(
                            PasswordAuth::new(1, Bytes::from_static(b"pw")).expect("valid"),
                        )
                    }),
                };
                let _ = s.handle_packet(now, packet.to_bytes());
            }
            4 => {
                let Some(b) = script.u8() else { break };
                s.set_admin_down(now, b & 1 != 0);
            }
            _ => {
                let (Some(tx), Some(rx)) = (script.u16(), script.u16()) else { break };
                let result = s.set_intervals(
                    now,
                    Duration::from_millis(u64::from(tx)),
                    Duration::from_millis(u64::from(rx)),
                );
                assert_eq!(result.is_ok(), tx != 0);
            }
        }
        drain(&mut s);
    }
});

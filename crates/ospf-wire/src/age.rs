//! LS age constants and helpers (RFC 2328 appendix B, §13.1, §14), shared by
//! OSPFv2 and OSPFv3 (RFC 5340 appendix C keeps the architectural constants).

use std::cmp::Ordering;

use crate::types::LsSeqNum;

/// LSRefreshTime: an LSA is re-originated every 30 minutes (RFC 2328 appendix B).
pub const LS_REFRESH_TIME: u16 = 1800;
/// MinLSInterval: at most one origination per 5 seconds (RFC 2328 appendix B).
pub const MIN_LS_INTERVAL: u16 = 5;
/// MinLSArrival: accept one instance per second from flooding (RFC 2328 appendix B).
pub const MIN_LS_ARRIVAL: u16 = 1;
/// MaxAge: one hour; an LSA at MaxAge is flushed (RFC 2328 appendix B).
pub const MAX_AGE: u16 = 3600;
/// CheckAge: the LSA checksum is verified every 5 minutes (RFC 2328 appendix B).
pub const CHECK_AGE: u16 = 300;
/// MaxAgeDiff: ages closer than 15 minutes mean the same instance (RFC 2328 appendix B).
pub const MAX_AGE_DIFF: u16 = 900;
/// LSInfinity: the 24-bit metric meaning unreachable (RFC 2328 appendix B).
pub const LS_INFINITY: u32 = 0x00ff_ffff;
/// DoNotAge bit of the LS age field (RFC 1793 §2.2), for demand circuits.
pub const DO_NOT_AGE: u16 = 0x8000;

/// LS age after adding `delay` seconds (InfTransDelay on flooding, §13.3,
/// or time spent in the database, §14), saturating at MaxAge.
///
/// "The LS age field ... is incremented by InfTransDelay ... the LS age
/// field can never exceed the value MaxAge" (RFC 2328 §13.3 and §14). The
/// DoNotAge bit (RFC 1793 §2.3) is kept and the age below it incremented.
#[must_use]
pub fn age_increment(age: u16, delay: u16) -> u16 {
    let do_not_age = age & DO_NOT_AGE;
    let age = (age & !DO_NOT_AGE).saturating_add(delay).min(MAX_AGE);
    age | do_not_age
}

/// Whether an LS age has reached MaxAge, DoNotAge bit aside.
#[must_use]
pub fn is_max_age(age: u16) -> bool {
    age & !DO_NOT_AGE >= MAX_AGE
}

/// Whether an LSA of this age is due for refresh by its originator (§12.4).
#[must_use]
pub fn needs_refresh(age: u16) -> bool {
    age >= LS_REFRESH_TIME
}

/// RFC 2328 §13.1 on (sequence number, checksum, age) triples, shared with OSPFv3
/// (RFC 5340 §4.6 keeps the rule). `Greater` means `a` is more recent.
#[must_use]
pub fn compare_recency(a: (LsSeqNum, u16, u16), b: (LsSeqNum, u16, u16)) -> Ordering {
    let (a_seq, a_ck, a_age) = a;
    let (b_seq, b_ck, b_age) = b;
    let a_age = a_age & !DO_NOT_AGE;
    let b_age = b_age & !DO_NOT_AGE;
    a_seq.cmp(&b_seq).then(a_ck.cmp(&b_ck)).then_with(|| {
        match (a_age >= MAX_AGE, b_age >= MAX_AGE) {
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => {
                if a_age.abs_diff(b_age) > MAX_AGE_DIFF {
                    // The younger one is more recent.
                    b_age.cmp(&a_age)
                } else {
                    Ordering::Equal
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increment_saturates_at_max_age() {
        assert_eq!(age_increment(0, 1), 1);
        assert_eq!(age_increment(3599, 1), MAX_AGE);
        assert_eq!(age_increment(3599, 5), MAX_AGE);
        assert_eq!(age_increment(0x7fff, 1), MAX_AGE);
        assert!(is_max_age(age_increment(3000, 700)));
        assert_eq!(age_increment(DO_NOT_AGE | 1, 1), DO_NOT_AGE | 2);
        assert_eq!(age_increment(DO_NOT_AGE | 3599, 9), DO_NOT_AGE | MAX_AGE);
        assert!(is_max_age(DO_NOT_AGE | MAX_AGE));
        assert!(!is_max_age(DO_NOT_AGE | 1));
        assert!(!needs_refresh(1799));
        assert!(needs_refresh(1800));
    }
}

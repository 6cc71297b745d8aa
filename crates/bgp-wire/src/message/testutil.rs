//! Test helpers: hex vectors and a hex diff on mismatch.

use core::fmt::Write as _;

/// Parses hex with spaces, newlines and `#` comments allowed.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let clean: String = s
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    match ::hex::decode(&clean) {
        Ok(v) => v,
        Err(e) => panic!("bad hex in test vector ({e}): {s}"),
    }
}

/// Formats octets as rows of 16 with their offset, marking the rows that differ from `other`.
fn dump(v: &[u8], other: &[u8]) -> String {
    let mut s = String::new();
    for (row, chunk) in v.chunks(16).enumerate() {
        let start = row * 16;
        let same = other.get(start..start + chunk.len()) == Some(chunk);
        let _ = write!(s, "{} {start:04x}:", if same { ' ' } else { '>' });
        for b in chunk {
            let _ = write!(s, " {b:02x}");
        }
        s.push('\n');
    }
    s
}

/// Asserts two byte strings are equal, printing a hex diff with the first differing offset.
#[track_caller]
pub(crate) fn assert_hex_eq(actual: &[u8], expected: &[u8]) {
    if actual == expected {
        return;
    }
    let first = actual
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(actual.len().min(expected.len()));
    panic!(
        "octets differ at offset {first} (lengths {} and {})\nactual:\n{}expected:\n{}",
        actual.len(),
        expected.len(),
        dump(actual, expected),
        dump(expected, actual)
    );
}

#[test]
fn hex_diff_reports_the_offset() {
    assert_eq!(hex("01 02 # comment\n0a"), vec![1, 2, 10]);
    assert_hex_eq(&[1, 2], &[1, 2]);
    let r = std::panic::catch_unwind(|| assert_hex_eq(&[1, 2, 3], &[1, 9, 3]));
    let msg = r.err().and_then(|e| e.downcast::<String>().ok()).map(|s| *s).unwrap_or_default();
    assert!(msg.contains("offset 1"), "{msg}");
}

//! A bounds-checked big-endian reader and the codec error type.

use thiserror::Error;

/// Errors decoding an OSPF packet or LSA; offsets are absolute in the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WireError {
    /// The input ended early.
    #[error("truncated at offset {offset}: {needed} more bytes needed")]
    Truncated {
        /// Where the missing bytes start.
        offset: usize,
        /// How many were needed.
        needed: usize,
    },
    /// A field holds a value the protocol does not allow.
    #[error("invalid {what} at offset {offset}")]
    Invalid {
        /// Where the field is.
        offset: usize,
        /// Which field.
        what: &'static str,
    },
    /// A checksum did not verify.
    #[error("bad checksum at offset {offset}")]
    Checksum {
        /// Where the checksum field is.
        offset: usize,
    },
    /// Authentication failed (type, key or digest mismatch).
    #[error("authentication failure: {0}")]
    Auth(&'static str),
}

/// A cursor over a byte slice that never panics.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader at offset 0.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0, base: 0 }
    }

    /// A reader whose offsets are reported relative to `base`.
    #[must_use]
    pub fn new_at(buf: &'a [u8], base: usize) -> Self {
        Self { buf, pos: 0, base }
    }

    /// Absolute offset of the next byte.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes left.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end.and_then(|e| self.buf.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(WireError::Truncated {
                offset: self.offset(),
                needed: n - self.remaining().min(n),
            }),
        }
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<(), WireError> {
        self.take(n).map(|_| ())
    }

    /// The remaining bytes, without consuming them.
    #[must_use]
    pub fn peek_rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Consumes and returns the remaining bytes.
    pub fn rest(&mut self) -> &'a [u8] {
        let r = self.peek_rest();
        self.pos = self.buf.len();
        r
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_reports_truncation_offsets() {
        let mut r = Reader::new_at(&[1, 2, 3, 4, 5], 10);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16(), Ok(0x0203));
        assert_eq!(r.u32(), Err(WireError::Truncated { offset: 13, needed: 2 }));
        assert_eq!(r.rest(), &[4, 5]);
        assert_eq!(r.remaining(), 0);
    }
}

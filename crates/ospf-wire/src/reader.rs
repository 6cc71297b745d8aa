//! A bounds-checked cursor over `Bytes` that reports absolute offsets.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use crate::error::DecodeError;

/// Cursor over a `Bytes` whose first octet sits at absolute offset `base`.
#[derive(Debug, Clone)]
pub(crate) struct Reader {
    buf: Bytes,
    pos: usize,
    base: usize,
}

impl Reader {
    pub(crate) fn new(buf: Bytes, base: usize) -> Self {
        Self { buf, pos: 0, base }
    }

    /// Absolute offset of the next octet.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    fn need(&self, n: usize) -> Result<(), DecodeError> {
        if self.remaining() < n {
            Err(DecodeError::truncated(self.offset(), n, self.remaining()))
        } else {
            Ok(())
        }
    }

    /// The next `n` octets as a zero-copy slice.
    pub(crate) fn take(&mut self, n: usize) -> Result<Bytes, DecodeError> {
        self.need(n)?;
        let out = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(out)
    }

    /// Take the rest of the buffer.
    pub(crate) fn rest(&mut self) -> Bytes {
        let out = self.buf.slice(self.pos..);
        self.pos = self.buf.len();
        out
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        self.need(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u24(&mut self) -> Result<u32, DecodeError> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn ipv4(&mut self) -> Result<Ipv4Addr, DecodeError> {
        Ok(Ipv4Addr::from(self.array::<4>()?))
    }

    pub(crate) fn ipv6(&mut self) -> Result<Ipv6Addr, DecodeError> {
        Ok(Ipv6Addr::from(self.array::<16>()?))
    }

    /// Fail with `TrailingBytes` unless the cursor is at the end.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::trailing(self.offset(), self.remaining()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_absolute() {
        let mut r = Reader::new(Bytes::from_static(&[1, 2, 3]), 100);
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.offset(), 102);
        assert_eq!(r.u16(), Err(DecodeError::truncated(102, 2, 1)));
        assert_eq!(r.finish(), Err(DecodeError::TrailingBytes { offset: 102, count: 1 }));
    }
}

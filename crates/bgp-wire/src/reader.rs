//! A bounds-checked cursor over message bytes that knows its absolute offset.
//!
//! Every read either returns the octets or a `Truncated` reason; nothing here can panic.

use crate::error::Reason;

/// Cursor over a slice that remembers where the slice starts in the whole message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

#[allow(dead_code)]
impl<'a> Reader<'a> {
    /// `base` is the absolute offset of `buf[0]` in the message.
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Reader<'a> {
        Reader { buf, pos: 0, base }
    }

    /// Absolute offset of the next octet.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Position relative to the start of this reader.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Octets left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when every octet was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread octets, without consuming them.
    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    #[cold]
    fn truncated(&self, needed: usize) -> Reason {
        Reason::Truncated { needed, available: self.remaining() }
    }

    /// Reads `n` octets.
    #[inline]
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Reason> {
        match self.buf.get(self.pos..self.pos.wrapping_add(n)) {
            Some(s) if self.pos.checked_add(n).is_some() => {
                self.pos += n;
                Ok(s)
            }
            _ => Err(self.truncated(n)),
        }
    }

    /// Reads a fixed-size array.
    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Reason> {
        let s = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads one octet.
    #[inline]
    pub(crate) fn u8(&mut self) -> Result<u8, Reason> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated(1)),
        }
    }

    /// Reads a big-endian u16.
    #[inline]
    pub(crate) fn u16(&mut self) -> Result<u16, Reason> {
        self.array::<2>().map(u16::from_be_bytes)
    }

    /// Reads a big-endian u32.
    #[inline]
    pub(crate) fn u32(&mut self) -> Result<u32, Reason> {
        self.array::<4>().map(u32::from_be_bytes)
    }

    /// Splits off a sub-reader over the next `n` octets, keeping absolute offsets.
    #[inline]
    pub(crate) fn sub(&mut self, n: usize) -> Result<Reader<'a>, Reason> {
        let base = self.offset();
        self.bytes(n).map(|s| Reader::new(s, base))
    }

    /// Fails with `TrailingBytes` unless every octet was read.
    pub(crate) fn finish(&self) -> Result<(), Reason> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Reason::TrailingBytes(self.remaining()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_bounds() {
        let mut r = Reader::new(&[0x01, 0x02, 0x03, 0x04, 0x05], 19);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16(), Ok(0x0203));
        assert_eq!(r.offset(), 22);
        assert_eq!(r.u32(), Err(Reason::Truncated { needed: 4, available: 2 }));
        let mut s = r.sub(2).unwrap();
        assert_eq!(s.offset(), 22);
        assert_eq!(
            s.bytes(usize::MAX),
            Err(Reason::Truncated { needed: usize::MAX, available: 2 })
        );
        assert!(r.finish().is_ok());
    }
}

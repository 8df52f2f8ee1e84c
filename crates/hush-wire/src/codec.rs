//! The one codec: every wire type has a fixed length and one encoding.

use crate::WireError;

/// A wire type with a fixed-length encoding.
///
/// `decode(encode(x)) == x` for every value, and `decode` rejects any input
/// that is not exactly [`FixedCodec::LEN`] bytes or not a valid encoding.
pub trait FixedCodec: Sized {
    /// Encoded length in bytes.
    const LEN: usize;
    /// Name used in error messages.
    const NAME: &'static str;

    /// Writes the encoding into `out`, which is exactly `LEN` bytes long.
    fn encode_into(&self, out: &mut [u8]);

    /// Parses a value from exactly `LEN` bytes (length already checked).
    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError>;

    /// Encodes into a new vector of `LEN` bytes.
    fn encode(&self) -> Vec<u8> {
        let mut out = vec![0u8; Self::LEN];
        self.encode_into(&mut out);
        out
    }

    /// Parses a value, rejecting inputs of the wrong length.
    fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        check_len(Self::NAME, Self::LEN, bytes)?;
        Self::decode_exact(bytes)
    }
}

/// Fails with [`WireError::WrongLength`] unless `bytes` is `expected` long.
pub fn check_len(what: &'static str, expected: usize, bytes: &[u8]) -> Result<(), WireError> {
    if bytes.len() == expected {
        Ok(())
    } else {
        Err(WireError::WrongLength {
            what,
            expected,
            actual: bytes.len(),
        })
    }
}

/// Splits a fixed layout: hands out consecutive sub-slices of a buffer.
pub(crate) struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        head
    }

    pub(crate) fn take_array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N));
        out
    }
}

/// Mutable counterpart of [`Cursor`].
pub(crate) struct CursorMut<'a> {
    rest: &'a mut [u8],
}

impl<'a> CursorMut<'a> {
    pub(crate) fn new(bytes: &'a mut [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn put(&mut self, data: &[u8]) {
        let rest = std::mem::take(&mut self.rest);
        let (head, tail) = rest.split_at_mut(data.len());
        head.copy_from_slice(data);
        self.rest = tail;
    }

    pub(crate) fn field(&mut self, n: usize) -> &'a mut [u8] {
        let rest = std::mem::take(&mut self.rest);
        let (head, tail) = rest.split_at_mut(n);
        self.rest = tail;
        head
    }
}

//! Payloads: 936 opaque bytes, optionally framed as length + content + zeros.

use crate::consts::{MAX_PAYLOAD_CONTENT_LEN, PAYLOAD_FRAME_HEADER_LEN, PAYLOAD_LEN};
use crate::{FixedCodec, WireError};

/// The opaque payload of a message. The broker never interprets it; clients
/// end-to-end encrypt it. [`Payload::frame`] / [`Payload::unframe`] give the
/// suggested framing: a 2-byte little-endian content length, the content,
/// then zero padding.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload(Box<[u8; PAYLOAD_LEN]>);

impl Payload {
    /// An all-zero payload.
    pub fn zeroed() -> Self {
        Self(Box::new([0u8; PAYLOAD_LEN]))
    }

    /// Wraps exactly 936 raw bytes.
    pub fn from_raw(bytes: [u8; PAYLOAD_LEN]) -> Self {
        Self(Box::new(bytes))
    }

    /// Frames `content` (at most 934 bytes) as length + content + zeros.
    pub fn frame(content: &[u8]) -> Result<Self, WireError> {
        if content.len() > MAX_PAYLOAD_CONTENT_LEN {
            return Err(WireError::ContentTooLong {
                len: content.len(),
                max: MAX_PAYLOAD_CONTENT_LEN,
            });
        }
        let mut p = Self::zeroed();
        p.0[..PAYLOAD_FRAME_HEADER_LEN].copy_from_slice(&(content.len() as u16).to_le_bytes());
        p.0[PAYLOAD_FRAME_HEADER_LEN..PAYLOAD_FRAME_HEADER_LEN + content.len()]
            .copy_from_slice(content);
        Ok(p)
    }

    /// The content of a framed payload.
    pub fn unframe(&self) -> Result<&[u8], WireError> {
        let declared = u16::from_le_bytes([self.0[0], self.0[1]]) as usize;
        if declared > MAX_PAYLOAD_CONTENT_LEN {
            return Err(WireError::BadFrame {
                declared,
                max: MAX_PAYLOAD_CONTENT_LEN,
            });
        }
        Ok(&self.0[PAYLOAD_FRAME_HEADER_LEN..PAYLOAD_FRAME_HEADER_LEN + declared])
    }

    /// The raw 936 bytes.
    pub fn as_bytes(&self) -> &[u8; PAYLOAD_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print payloads: they are user data.
        f.write_str("Payload(..)")
    }
}

impl FixedCodec for Payload {
    const LEN: usize = PAYLOAD_LEN;
    const NAME: &'static str = "payload";

    fn encode_into(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.0[..]);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let mut p = Self::zeroed();
        p.0.copy_from_slice(bytes);
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_round_trip_and_limits() {
        for len in [0, 1, 100, MAX_PAYLOAD_CONTENT_LEN] {
            let content: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let p = Payload::frame(&content).unwrap();
            assert_eq!(p.unframe().unwrap(), &content[..]);
            assert!(
                p.as_bytes()[PAYLOAD_FRAME_HEADER_LEN + len..]
                    .iter()
                    .all(|&b| b == 0)
            );
        }
        assert_eq!(
            Payload::frame(&[0; MAX_PAYLOAD_CONTENT_LEN + 1]),
            Err(WireError::ContentTooLong { len: 935, max: 934 })
        );
        let mut raw = [0u8; PAYLOAD_LEN];
        raw[0] = 0xff;
        raw[1] = 0xff;
        assert!(Payload::from_raw(raw).unframe().is_err());
        assert!(Payload::decode(&[0; PAYLOAD_LEN - 1]).is_err());
    }
}

//! Message ids: 16 client-chosen bytes, never all zero.

use crate::consts::ID_LEN;
use crate::{FixedCodec, WireError};

/// A message id. Chosen by the client (16 random bytes); the all-zero value
/// is not an id. Reusing an id on retry makes a create idempotent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId([u8; ID_LEN]);

impl MessageId {
    /// Wraps 16 bytes, rejecting the all-zero value.
    pub fn new(bytes: [u8; ID_LEN]) -> Result<Self, WireError> {
        if bytes == [0u8; ID_LEN] {
            Err(WireError::ZeroId)
        } else {
            Ok(Self(bytes))
        }
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; ID_LEN] {
        &self.0
    }

    /// Lower-case hex, as shown to users.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 32 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, WireError> {
        let bytes = parse_hex::<ID_LEN>(s).ok_or(WireError::InvalidRequest(
            "a message id is 32 hexadecimal digits",
        ))?;
        Self::new(bytes)
    }
}

/// Exactly `2 * N` hex digits (either case) as `N` bytes.
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

impl std::fmt::Debug for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MessageId({})", self.to_hex())
    }
}

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FixedCodec for MessageId {
    const LEN: usize = ID_LEN;
    const NAME: &'static str = "message id";

    fn encode_into(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.0);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let mut b = [0u8; ID_LEN];
        b.copy_from_slice(bytes);
        Self::new(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_zero_and_wrong_length() {
        assert_eq!(MessageId::new([0; ID_LEN]), Err(WireError::ZeroId));
        assert_eq!(MessageId::decode(&[0; ID_LEN]), Err(WireError::ZeroId));
        assert!(matches!(
            MessageId::decode(&[1; ID_LEN + 1]),
            Err(WireError::WrongLength {
                expected: ID_LEN,
                actual: 17,
                ..
            })
        ));
        assert!(MessageId::decode(&[1; ID_LEN - 1]).is_err());
    }

    #[test]
    fn hex_round_trip() {
        let id = MessageId::new([0xab; ID_LEN]).unwrap();
        assert_eq!(MessageId::from_hex(&id.to_hex()).unwrap(), id);
        assert!(MessageId::from_hex("zz").is_err());
        let hex = id.to_hex();
        assert_eq!(hex, "ab".repeat(ID_LEN));
        assert_eq!(MessageId::from_hex(&hex.to_uppercase()).unwrap(), id);
        for bad in [
            &hex[1..],
            &hex[2..],
            &format!("{hex}ab"),
            &hex.replacen('a', "g", 1),
        ] {
            assert!(MessageId::from_hex(bad).is_err(), "{bad} accepted");
        }
        // Multi-byte characters are not digits, whatever their byte length.
        assert!(MessageId::from_hex(&format!("é{}", &hex[2..])).is_err());
        assert_eq!(MessageId::from_hex(&"0".repeat(32)), Err(WireError::ZeroId));
    }
}

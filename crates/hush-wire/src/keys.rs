//! Public keys: compressed Ristretto points naming senders and recipients.

use crate::consts::KEY_LEN;
use crate::ids::parse_hex;
use crate::{FixedCodec, WireError};

/// A public key (32 bytes, a compressed Ristretto point). The broker compares
/// keys as bytes; the session layer checks possession with a key proof. The
/// all-zero encoding (the identity point) is rejected.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// Wraps 32 bytes, rejecting the all-zero value.
    pub fn new(bytes: [u8; KEY_LEN]) -> Result<Self, WireError> {
        if bytes == [0u8; KEY_LEN] {
            Err(WireError::ZeroKey)
        } else {
            Ok(Self(bytes))
        }
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Lower-case hex, as shown to users.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, WireError> {
        let bytes = parse_hex::<KEY_LEN>(s).ok_or(WireError::InvalidRequest(
            "a public key is 64 hexadecimal digits",
        ))?;
        Self::new(bytes)
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FixedCodec for PublicKey {
    const LEN: usize = KEY_LEN;
    const NAME: &'static str = "public key";

    fn encode_into(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.0);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let mut b = [0u8; KEY_LEN];
        b.copy_from_slice(bytes);
        Self::new(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_zero_and_wrong_length() {
        assert_eq!(PublicKey::decode(&[0; KEY_LEN]), Err(WireError::ZeroKey));
        assert!(PublicKey::decode(&[1; 31]).is_err());
        let k = PublicKey::decode(&[7; KEY_LEN]).unwrap();
        assert_eq!(PublicKey::from_hex(&k.to_hex()).unwrap(), k);
    }
}

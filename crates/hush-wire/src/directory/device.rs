//! A device record: one device of an account, as its identity key signed it.

use crate::codec::{Cursor, CursorMut};
use crate::consts::{DEVICE_LEN, ENCRYPTION_KEY_LEN, KEY_LEN, SIGNATURE_LEN};
use crate::{FixedCodec, PublicKey, Signature, WireError};

/// One device: the key it signs with (and proves in sessions), the X25519
/// key messages to it are sealed to, the key its mailbox is addressed by,
/// and the account's identity key's signature of the three (context
/// [`crate::consts::DEVICE_CONTEXT`], message: identity key | signing |
/// encryption | mailbox). The directory stores records as the identity
/// key's holder gave them; clients check the signature before using one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The device's signing key.
    pub signing: PublicKey,
    /// The device's X25519 encryption key.
    pub encryption: [u8; ENCRYPTION_KEY_LEN],
    /// The key the device's mailbox is addressed by (today its signing key).
    pub mailbox: PublicKey,
    /// The identity key's signature of the record.
    pub signature: Signature,
}

impl DeviceRecord {
    /// The bytes the identity key signs.
    pub fn signed_message(&self, identity: &PublicKey) -> [u8; 4 * KEY_LEN] {
        let mut m = [0u8; 4 * KEY_LEN];
        m[..KEY_LEN].copy_from_slice(identity.as_bytes());
        m[KEY_LEN..2 * KEY_LEN].copy_from_slice(self.signing.as_bytes());
        m[2 * KEY_LEN..3 * KEY_LEN].copy_from_slice(&self.encryption);
        m[3 * KEY_LEN..].copy_from_slice(self.mailbox.as_bytes());
        m
    }
}

impl std::fmt::Debug for DeviceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceRecord({})", self.signing.to_hex())
    }
}

impl FixedCodec for DeviceRecord {
    const LEN: usize = DEVICE_LEN;
    const NAME: &'static str = "device record";

    fn encode_into(&self, out: &mut [u8]) {
        let mut w = CursorMut::new(out);
        w.put(self.signing.as_bytes());
        w.put(&self.encryption);
        w.put(self.mailbox.as_bytes());
        w.put(&self.signature.0);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Cursor::new(bytes);
        let signing = PublicKey::new(r.take_array::<KEY_LEN>())?;
        let encryption = r.take_array::<ENCRYPTION_KEY_LEN>();
        let mailbox = PublicKey::new(r.take_array::<KEY_LEN>())?;
        let signature = Signature(r.take_array::<SIGNATURE_LEN>());
        Ok(Self {
            signing,
            encryption,
            mailbox,
            signature,
        })
    }
}

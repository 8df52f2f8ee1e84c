//! A device record: one device of an account, vouched for by the account's
//! identity key.

use crate::codec::{Cursor, CursorMut};
use crate::consts::{CARD_LEN, DEVICE_LEN, KEY_LEN, SIGNATURE_LEN};
use crate::{Card, FixedCodec, PublicKey, Signature, WireError};

/// One device: its own contact card (its signing key, which it proves in
/// sessions, and its X25519 key, signed by itself), the key its mailbox is
/// addressed by (today its signing key), and the account's identity key's
/// signature of both (context [`crate::consts::DEVICE_CONTEXT`], message:
/// identity key | card | mailbox key). The directory stores records as the
/// identity key's holder gave them; clients check both signatures before
/// sealing anything to a device.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The device's own card.
    pub card: Card,
    /// The key the device's mailbox is addressed by.
    pub mailbox: PublicKey,
    /// The identity key's signature of the record.
    pub signature: Signature,
}

impl DeviceRecord {
    /// The device's signing key.
    pub fn signing_key(&self) -> PublicKey {
        self.card.signing_key
    }

    /// The bytes the identity key signs.
    pub fn signed_message(&self, identity: &PublicKey) -> [u8; KEY_LEN + CARD_LEN + KEY_LEN] {
        let mut m = [0u8; KEY_LEN + CARD_LEN + KEY_LEN];
        m[..KEY_LEN].copy_from_slice(identity.as_bytes());
        self.card.encode_into(&mut m[KEY_LEN..KEY_LEN + CARD_LEN]);
        m[KEY_LEN + CARD_LEN..].copy_from_slice(self.mailbox.as_bytes());
        m
    }
}

impl std::fmt::Debug for DeviceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceRecord({})", self.card.signing_key.to_hex())
    }
}

impl FixedCodec for DeviceRecord {
    const LEN: usize = DEVICE_LEN;
    const NAME: &'static str = "device record";

    fn encode_into(&self, out: &mut [u8]) {
        let mut w = CursorMut::new(out);
        self.card.encode_into(w.field(CARD_LEN));
        w.put(self.mailbox.as_bytes());
        w.put(&self.signature.0);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Cursor::new(bytes);
        let card = Card::decode(r.take(CARD_LEN))?;
        let mailbox = PublicKey::new(r.take_array::<KEY_LEN>())?;
        let signature = Signature(r.take_array::<SIGNATURE_LEN>());
        Ok(Self {
            card,
            mailbox,
            signature,
        })
    }
}

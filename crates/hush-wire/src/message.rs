//! The 1024-byte message: id | sender | recipient | timestamp | payload.

use crate::codec::{Cursor, CursorMut};
use crate::consts::{MESSAGE_LEN, PAYLOAD_LEN};
use crate::{FixedCodec, MessageId, Payload, PublicKey, WireError};

/// Broker time: seconds since the Unix epoch, set by the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

/// A stored message as the broker returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Client-chosen id.
    pub id: MessageId,
    /// The key that created the message.
    pub sender: PublicKey,
    /// The key whose mailbox holds the message.
    pub recipient: PublicKey,
    /// When the broker stored or last updated it.
    pub timestamp: Timestamp,
    /// Opaque content.
    pub payload: Payload,
}

impl FixedCodec for Message {
    const LEN: usize = MESSAGE_LEN;
    const NAME: &'static str = "message";

    fn encode_into(&self, out: &mut [u8]) {
        let mut w = CursorMut::new(out);
        w.put(self.id.as_bytes());
        w.put(self.sender.as_bytes());
        w.put(self.recipient.as_bytes());
        w.put(&self.timestamp.0.to_le_bytes());
        w.put(self.payload.as_bytes());
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Cursor::new(bytes);
        let id = MessageId::new(r.take_array())?;
        let sender = PublicKey::new(r.take_array())?;
        let recipient = PublicKey::new(r.take_array())?;
        let timestamp = Timestamp(u64::from_le_bytes(r.take_array()));
        let payload = Payload::from_raw(r.take_array::<PAYLOAD_LEN>());
        Ok(Self {
            id,
            sender,
            recipient,
            timestamp,
            payload,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::consts::{ID_LEN, KEY_LEN};
    use proptest::prelude::*;

    pub(crate) fn arb_id() -> impl Strategy<Value = MessageId> {
        any::<[u8; ID_LEN]>().prop_filter_map("non-zero", |b| MessageId::new(b).ok())
    }

    pub(crate) fn arb_key() -> impl Strategy<Value = PublicKey> {
        any::<[u8; KEY_LEN]>().prop_filter_map("non-zero", |b| PublicKey::new(b).ok())
    }

    pub(crate) fn arb_payload() -> impl Strategy<Value = Payload> {
        proptest::collection::vec(any::<u8>(), PAYLOAD_LEN).prop_map(|v| {
            let mut a = [0u8; PAYLOAD_LEN];
            a.copy_from_slice(&v);
            Payload::from_raw(a)
        })
    }

    proptest! {
        #[test]
        fn round_trip(id in arb_id(), s in arb_key(), r in arb_key(), ts: u64, p in arb_payload()) {
            let m = Message { id, sender: s, recipient: r, timestamp: Timestamp(ts), payload: p };
            let bytes = m.encode();
            prop_assert_eq!(bytes.len(), 1024);
            prop_assert_eq!(&bytes[..16], id.as_bytes());
            prop_assert_eq!(&bytes[80..88], &ts.to_le_bytes());
            prop_assert_eq!(Message::decode(&bytes).unwrap(), m);
        }

        #[test]
        fn wrong_lengths_rejected(len in 0usize..2048) {
            prop_assume!(len != MESSAGE_LEN);
            let is_wrong_length = matches!(
                Message::decode(&vec![1u8; len]),
                Err(WireError::WrongLength { .. })
            );
            prop_assert!(is_wrong_length);
        }
    }
}

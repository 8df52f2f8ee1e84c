//! Responses: the typed form clients read and the fixed-size record the
//! trusted core writes. Every response record has the same length whatever
//! the op and outcome; absent parts are zero.

use crate::codec::check_len;
use crate::consts::{
    ID_LEN, LISTING_LEN, MAILBOX_CAPACITY, MESSAGE_LEN, RESPONSE_LEN, RESPONSE_RESERVED_LEN,
};
use crate::{FixedCodec, Message, MessageId, Status, WireError};

/// Offset of the message inside a response record.
const MESSAGE_AT: usize = 2 + RESPONSE_RESERVED_LEN;
/// Offset of the listing inside a response record.
const LISTING_AT: usize = MESSAGE_AT + MESSAGE_LEN;

/// Ids in a mailbox, oldest first (at most [`MAILBOX_CAPACITY`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailboxListing(Vec<MessageId>);

impl MailboxListing {
    /// Wraps ids, oldest first; fails beyond the mailbox capacity.
    pub fn new(ids: Vec<MessageId>) -> Result<Self, WireError> {
        if ids.len() > MAILBOX_CAPACITY {
            return Err(WireError::ListingTooLong(ids.len() as u8));
        }
        Ok(Self(ids))
    }

    /// The ids, oldest first.
    pub fn ids(&self) -> &[MessageId] {
        &self.0
    }
}

/// A decoded response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Outcome.
    pub status: Status,
    /// The message read, written, or deleted (absent on failure, list).
    pub message: Option<Message>,
    /// The caller's mailbox after the op, for ops on the caller's own mailbox
    /// (read, read-next, delete-next, list); empty otherwise.
    pub listing: MailboxListing,
}

impl FixedCodec for Response {
    const LEN: usize = RESPONSE_LEN;
    const NAME: &'static str = "response";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[0] = self.status.code();
        out[1] = self.listing.0.len() as u8;
        if let Some(m) = &self.message {
            m.encode_into(&mut out[MESSAGE_AT..LISTING_AT]);
        }
        for (i, id) in self.listing.0.iter().enumerate() {
            let at = LISTING_AT + i * ID_LEN;
            out[at..at + ID_LEN].copy_from_slice(id.as_bytes());
        }
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let status = Status::from_code(bytes[0])?;
        let count = bytes[1];
        if count as usize > MAILBOX_CAPACITY {
            return Err(WireError::ListingTooLong(count));
        }
        if bytes[2..MESSAGE_AT].iter().any(|&b| b != 0) {
            return Err(WireError::NonZeroReserved("response"));
        }
        let msg_bytes = &bytes[MESSAGE_AT..LISTING_AT];
        let message = if msg_bytes.iter().all(|&b| b == 0) {
            None
        } else {
            Some(Message::decode_exact(msg_bytes)?)
        };
        let listing_bytes = &bytes[LISTING_AT..];
        let ids = (0..count as usize)
            .map(|i| MessageId::decode_exact(&listing_bytes[i * ID_LEN..(i + 1) * ID_LEN]))
            .collect::<Result<Vec<_>, _>>()?;
        if listing_bytes[count as usize * ID_LEN..]
            .iter()
            .any(|&b| b != 0)
        {
            return Err(WireError::NonZeroReserved("response listing"));
        }
        Ok(Self {
            status,
            message,
            listing: MailboxListing(ids),
        })
    }
}

/// The encoded response exactly as it travels: [`RESPONSE_LEN`] bytes,
/// written field by field by the trusted core.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseRecord(Box<[u8; RESPONSE_LEN]>);

impl ResponseRecord {
    /// An all-zero record.
    pub fn zeroed() -> Self {
        Self(Box::new([0u8; RESPONSE_LEN]))
    }

    /// Wraps exactly [`RESPONSE_LEN`] bytes; only the length is checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        check_len("response record", RESPONSE_LEN, bytes)?;
        let mut r = Self::zeroed();
        r.0.copy_from_slice(bytes);
        Ok(r)
    }

    /// The whole record.
    pub fn as_bytes(&self) -> &[u8; RESPONSE_LEN] {
        &self.0
    }

    /// Sets the status code byte.
    pub fn set_status_code(&mut self, code: u8) {
        self.0[0] = code;
    }

    /// Sets the listing count byte.
    pub fn set_listing_count(&mut self, count: u8) {
        self.0[1] = count;
    }

    /// The message field, to fill in place.
    pub fn message_mut(&mut self) -> &mut [u8; MESSAGE_LEN] {
        (&mut self.0[MESSAGE_AT..LISTING_AT])
            .try_into()
            .expect("fixed layout")
    }

    /// The listing field, to fill in place.
    pub fn listing_mut(&mut self) -> &mut [u8; LISTING_LEN] {
        (&mut self.0[LISTING_AT..])
            .try_into()
            .expect("fixed layout")
    }

    /// Parses into a typed response.
    pub fn decode(&self) -> Result<Response, WireError> {
        Response::decode(&self.0[..])
    }
}

impl std::fmt::Debug for ResponseRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseRecord(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{arb_id, arb_key, arb_payload};
    use crate::{Payload, PublicKey, Timestamp};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip_fixed_size(
            code in 0u8..7,
            with_msg: bool,
            id in arb_id(), s in arb_key(), r in arb_key(), ts: u64, p in arb_payload(),
            ids in proptest::collection::vec(arb_id(), 0..=MAILBOX_CAPACITY),
        ) {
            let message = with_msg.then_some(Message { id, sender: s, recipient: r, timestamp: Timestamp(ts), payload: p });
            let resp = Response {
                status: Status::from_code(code).unwrap(),
                message,
                listing: MailboxListing::new(ids).unwrap(),
            };
            let bytes = resp.encode();
            prop_assert_eq!(bytes.len(), RESPONSE_LEN);
            prop_assert_eq!(ResponseRecord::from_bytes(&bytes).unwrap().decode().unwrap(), resp);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2100)) {
            let _ = Response::decode(&bytes);
        }
    }

    #[test]
    fn rejects_malformed() {
        let ok = Response {
            status: Status::Ok,
            message: None,
            listing: MailboxListing::default(),
        };
        let mut b = ok.encode();
        b[1] = 63;
        assert_eq!(Response::decode(&b), Err(WireError::ListingTooLong(63)));
        b[1] = 1; // count says one id but the listing holds a zero id
        assert_eq!(Response::decode(&b), Err(WireError::ZeroId));
        assert!(Response::decode(&b[..RESPONSE_LEN - 1]).is_err());
        let too_many = vec![MessageId::new([1; ID_LEN]).unwrap(); MAILBOX_CAPACITY + 1];
        assert!(MailboxListing::new(too_many).is_err());
        let _ = (PublicKey::new([1; 32]), Payload::zeroed());
    }
}

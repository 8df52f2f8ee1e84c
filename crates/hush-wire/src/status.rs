//! Status codes of broker operations.

use crate::WireError;

/// The outcome of a broker operation, carried inside the encrypted response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// The operation took effect.
    Ok = 0,
    /// No such message that this caller may touch (also returned when the
    /// caller is neither sender nor recipient, so existence is not revealed).
    NotFound = 1,
    /// A live message with this id is already in the recipient's mailbox;
    /// nothing changed (a retried create lands here).
    AlreadyExists = 2,
    /// The recipient already has the maximum number of messages in flight.
    MailboxFull = 3,
    /// The store holds as many messages as its capacity allows.
    StoreFull = 4,
    /// The store tracks as many recipients as its limit allows.
    TooManyRecipients = 5,
    /// The request was malformed (unknown op, zero id or key, non-zero
    /// reserved or unused fields).
    InvalidRequest = 6,
    /// The request acts as a key this session has not proven.
    KeyNotProven = 7,
    /// The mailbox's policy names as many senders as it can (16).
    PolicyFull = 8,
    /// The service requires tokens for writes and this session has no
    /// credits left: redeem a Privacy Pass token and retry.
    NoTokens = 9,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 10] = [
        Status::Ok,
        Status::NotFound,
        Status::AlreadyExists,
        Status::MailboxFull,
        Status::StoreFull,
        Status::TooManyRecipients,
        Status::InvalidRequest,
        Status::KeyNotProven,
        Status::PolicyFull,
        Status::NoTokens,
    ];

    /// The wire code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Parses a wire code.
    pub fn from_code(code: u8) -> Result<Self, WireError> {
        Self::ALL
            .get(code as usize)
            .copied()
            .ok_or(WireError::UnknownStatus(code))
    }

    /// A short explanation a user can act on.
    pub fn describe(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotFound => "not found: no such message in that mailbox that you may access",
            Status::AlreadyExists => {
                "already exists: a message with this id is already queued for the recipient"
            }
            Status::MailboxFull => {
                "mailbox full: the recipient has the maximum number of messages (62) waiting; room is made when they delete some (reading keeps them) or when messages expire"
            }
            Status::StoreFull => "store full: the broker is at capacity; retry later",
            Status::TooManyRecipients => {
                "too many recipients: the broker tracks its maximum number of mailboxes; retry later"
            }
            Status::InvalidRequest => "invalid request: the request was malformed",
            Status::KeyNotProven => {
                "key not proven: this session has not proven possession of the key the request acts as"
            }
            Status::PolicyFull => {
                "policy full: a mailbox's policy names at most 16 senders; forget one first"
            }
            Status::NoTokens => {
                "no tokens: this service requires a Privacy Pass token for writes and the session has no credits left; redeem a token (hush tokens add FILE) and retry"
            }
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_rejected() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()).unwrap(), s);
        }
        assert_eq!(Status::from_code(10), Err(WireError::UnknownStatus(10)));
        assert_eq!(Status::from_code(255), Err(WireError::UnknownStatus(255)));
    }
}

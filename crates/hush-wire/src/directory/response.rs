//! Directory responses: status codes and the fixed-size answer record.

use super::{AccountFlags, DeviceRecord};
use crate::consts::{DEVICE_LEN, DIRECTORY_RESPONSE_LEN, KEY_LEN, MAX_DEVICES};
use crate::{FixedCodec, PublicKey, WireError};

/// The outcome of a directory operation, inside the encrypted response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DirectoryStatus {
    /// Done.
    Ok = 0,
    /// No discoverable user has that identifier (also the answer when the
    /// user is not discoverable: the two cannot be told apart).
    NoUser = 1,
    /// The identifier is registered already: link a device to its account
    /// instead.
    AlreadyRegistered = 2,
    /// The calling key belongs to no account with a verified identifier.
    NotRegistered = 3,
    /// The code is not the one sent (attempts are limited).
    WrongCode = 4,
    /// The code expired: register again for a new one.
    CodeExpired = 5,
    /// Too many wrong codes: register again for a new one.
    TooManyAttempts = 6,
    /// No registration of that identifier is waiting for a code.
    NoPendingCode = 7,
    /// The account has the maximum number of devices (8).
    TooManyDevices = 8,
    /// The account has no device with that key.
    UnknownDevice = 9,
    /// Only the account's identity key may do this.
    NotIdentityKey = 10,
    /// Too many look-ups for this session or account: wait and retry.
    RateLimited = 11,
    /// The directory holds as many accounts or entries as it can.
    DirectoryFull = 12,
    /// The request was malformed.
    InvalidRequest = 13,
    /// The request acts as a key this session has not proven.
    KeyNotProven = 14,
    /// The account has the maximum number of identifiers (4).
    TooManyIdentifiers = 15,
    /// The device key belongs to an account already.
    DeviceInUse = 16,
    /// The account blocks as many accounts as it can (16).
    BlockListFull = 17,
    /// Too many verifications and device changes at once: retry shortly.
    Busy = 18,
    /// The account has no such identifier (verified or waiting).
    UnknownIdentifier = 19,
    /// An account is closed only once it has no verified identifier left.
    NotEmpty = 20,
    /// The account was closed (unregistered): it takes no more changes.
    Closed = 21,
}

impl DirectoryStatus {
    /// Every status, in code order.
    pub const ALL: [DirectoryStatus; 22] = [
        Self::Ok,
        Self::NoUser,
        Self::AlreadyRegistered,
        Self::NotRegistered,
        Self::WrongCode,
        Self::CodeExpired,
        Self::TooManyAttempts,
        Self::NoPendingCode,
        Self::TooManyDevices,
        Self::UnknownDevice,
        Self::NotIdentityKey,
        Self::RateLimited,
        Self::DirectoryFull,
        Self::InvalidRequest,
        Self::KeyNotProven,
        Self::TooManyIdentifiers,
        Self::DeviceInUse,
        Self::BlockListFull,
        Self::Busy,
        Self::UnknownIdentifier,
        Self::NotEmpty,
        Self::Closed,
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
            Self::Ok => "ok",
            Self::NoUser => "no user: nobody you may find has that identifier",
            Self::AlreadyRegistered => {
                "already registered: that identifier belongs to another account; link this device to it instead (hush device link here, then hush device approve on that account's identity)"
            }
            Self::NotRegistered => {
                "not registered: this identity has no account with a verified identifier yet (hush account register, then hush account verify)"
            }
            Self::WrongCode => "wrong code: check the code you were sent and try again",
            Self::CodeExpired => "code expired: register again to get a new code",
            Self::TooManyAttempts => "too many wrong codes: register again to get a new code",
            Self::NoPendingCode => {
                "no code is waiting for that identifier from this identity: register it first"
            }
            Self::TooManyDevices => "too many devices: an account has at most 8; remove one first",
            Self::UnknownDevice => "unknown device: the account has no device with that key",
            Self::NotIdentityKey => {
                "not the identity key: only the identity that registered the account may change it"
            }
            Self::RateLimited => "rate limited: too many look-ups; wait and retry later",
            Self::DirectoryFull => {
                "directory full: the server holds its maximum number of accounts (or, for a third device, of accounts with more than two)"
            }
            Self::InvalidRequest => "invalid request: the request was malformed",
            Self::KeyNotProven => {
                "key not proven: this session has not proven possession of the key the request acts as"
            }
            Self::TooManyIdentifiers => {
                "too many identifiers: an account has at most 4 email addresses or phone numbers"
            }
            Self::DeviceInUse => {
                "device in use: that device key belongs to an account already; use a new device identity"
            }
            Self::UnknownIdentifier => {
                "unknown identifier: the account has no such email address or phone number (see hush account identifiers)"
            }
            Self::NotEmpty => {
                "not empty: remove the account's identifiers first (hush account unregister does it for the ones this machine registered)"
            }
            Self::Closed => {
                "closed: the account was unregistered; it takes no changes and gets no new messages (a new account needs a new identity)"
            }
            Self::Busy => {
                "busy: the directory is taking in many verifications and device changes; retry in a few seconds"
            }
            Self::BlockListFull => {
                "block list full: an account blocks at most 16 accounts in the directory; unblock one first"
            }
        }
    }
}

impl std::fmt::Display for DirectoryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// The answer to a directory request. For look-up and show it describes an
/// account; otherwise only `status` (and the caller's account, for ops
/// that change it) matter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryResponse {
    /// Outcome.
    pub status: DirectoryStatus,
    /// The account's switches.
    pub flags: AccountFlags,
    /// Verified identifiers of the account (show only).
    pub verified_identifiers: u8,
    /// The account's identity key (absent when no account is described).
    pub identity: Option<PublicKey>,
    /// The account's devices.
    pub devices: Vec<DeviceRecord>,
    /// Tokens granted to the session (the tokens op: 0 or a batch).
    pub tokens_granted: u8,
    /// Tokens an account may have in a day (the tokens op only).
    pub tokens_per_day: u16,
}

impl FixedCodec for DirectoryResponse {
    const LEN: usize = DIRECTORY_RESPONSE_LEN;
    const NAME: &'static str = "directory response";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[0] = self.status.code();
        out[1] = self.flags.bits();
        out[2] = self.devices.len() as u8;
        out[3] = self.verified_identifiers;
        out[4] = self.tokens_granted;
        out[6..8].copy_from_slice(&self.tokens_per_day.to_le_bytes());
        if let Some(k) = &self.identity {
            out[8..8 + KEY_LEN].copy_from_slice(k.as_bytes());
        }
        for (i, d) in self.devices.iter().enumerate() {
            let at = 8 + KEY_LEN + i * DEVICE_LEN;
            d.encode_into(&mut out[at..at + DEVICE_LEN]);
        }
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let status = DirectoryStatus::from_code(bytes[0])?;
        let flags = AccountFlags::from_bits(bytes[1])?;
        let count = bytes[2] as usize;
        if count > MAX_DEVICES {
            return Err(WireError::InvalidRequest(
                "more than 8 devices in a response",
            ));
        }
        if bytes[5] != 0 {
            return Err(WireError::NonZeroReserved("directory response"));
        }
        let key = &bytes[8..8 + KEY_LEN];
        let identity = if key.iter().all(|&b| b == 0) {
            None
        } else {
            Some(PublicKey::decode(key)?)
        };
        let mut devices = Vec::with_capacity(count);
        for i in 0..MAX_DEVICES {
            let at = 8 + KEY_LEN + i * DEVICE_LEN;
            let field = &bytes[at..at + DEVICE_LEN];
            if i < count {
                devices.push(DeviceRecord::decode(field)?);
            } else if field.iter().any(|&b| b != 0) {
                return Err(WireError::NonZeroReserved("directory response devices"));
            }
        }
        Ok(Self {
            status,
            flags,
            verified_identifiers: bytes[3],
            identity,
            devices,
            tokens_granted: bytes[4],
            tokens_per_day: u16::from_le_bytes([bytes[6], bytes[7]]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Signature;

    #[test]
    fn statuses_and_responses_round_trip() {
        for s in DirectoryStatus::ALL {
            assert_eq!(DirectoryStatus::from_code(s.code()).unwrap(), s);
        }
        assert!(DirectoryStatus::from_code(22).is_err());
        let k = PublicKey::new([7; 32]).unwrap();
        let d = DeviceRecord {
            card: crate::Card {
                signing_key: k,
                encryption_key: [8; 32],
                signature: Signature([10; 64]),
            },
            mailbox: k,
            signature: Signature([9; 64]),
        };
        let r = DirectoryResponse {
            status: DirectoryStatus::Ok,
            flags: AccountFlags::default(),
            verified_identifiers: 1,
            identity: Some(k),
            devices: vec![d.clone(), d],
            tokens_granted: 8,
            tokens_per_day: 32,
        };
        let bytes = r.encode();
        assert_eq!(bytes.len(), DIRECTORY_RESPONSE_LEN);
        assert_eq!(DirectoryResponse::decode(&bytes).unwrap(), r);
        let mut b = bytes.clone();
        b[2] = 9;
        assert!(DirectoryResponse::decode(&b).is_err());
        let mut b = bytes;
        b[8 + 32 + 2 * DEVICE_LEN] = 1;
        assert!(DirectoryResponse::decode(&b).is_err());
    }
}

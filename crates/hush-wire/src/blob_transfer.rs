//! Attachments through the sealed channel: how a client hands a blob to
//! the enclave and gets one back, so that the network and the host see no
//! blob id and cannot match an upload to a download.
//!
//! An upload is a sealed [`BlobRequest`] (op upload, the blob's class, its
//! id, the proven key it is charged to, a fresh transfer key) and a body:
//! the blob (already encrypted end to end by the client, [`crate::media`])
//! sealed again under the transfer key. The enclave keeps it until its
//! next mix, when it writes every blob it holds of that class to the host
//! in a random order, each under a fresh storage id and its own storage
//! key. A download is a sealed [`BlobRequest`] (op download, class, id);
//! the answer is a sealed [`BlobAnswer`] (status, a fresh transfer key)
//! and a body of the class's size, the blob sealed under that key (zeros
//! when the status is not OK).
//!
//! | part | layout | bytes |
//! |---|---|---|
//! | [`BlobRequest`] | op 1 \| class 1 \| reserved 6 \| blob id 16 \| acting-as key 32 \| transfer key 32 \| reserved 40 | 128 |
//! | [`BlobAnswer`] | status 1 \| reserved 7 \| transfer key 32 \| reserved 24 | 64 |
//! | body | ChaCha20-Poly1305 under the transfer key, nonce zero, associated data [`BODY_AAD`], of the blob | class + 16 |
//! | stored object (host) | nonce 24 \| XChaCha20-Poly1305 under the enclave's storage key, associated data the storage id, of the blob \| tag 16 | class + 40 |
//!
//! A transfer key is used for one body only; the client makes the
//! upload's, the enclave the download's.

use crate::codec::FixedCodec;
use crate::consts::{AEAD_TAG_LEN, KEY_LEN, NONCE_LEN};
use crate::media::{BLOB_CLASSES, BLOB_ID_LEN, BlobId};
use crate::{PublicKey, WireError};

/// Length of a blob request record.
pub const BLOB_REQUEST_LEN: usize = 128;
/// Length of a blob answer record.
pub const BLOB_ANSWER_LEN: usize = 64;
/// A sealed blob request.
pub const SEALED_BLOB_REQUEST_LEN: usize = NONCE_LEN + BLOB_REQUEST_LEN + AEAD_TAG_LEN;
/// A sealed blob answer.
pub const SEALED_BLOB_ANSWER_LEN: usize = NONCE_LEN + BLOB_ANSWER_LEN + AEAD_TAG_LEN;
/// Length of a transfer key.
pub const TRANSFER_KEY_LEN: usize = 32;
/// A body is its class plus this (the AEAD tag).
pub const BODY_OVERHEAD: usize = AEAD_TAG_LEN;
/// Associated data of every body.
pub const BODY_AAD: &[u8] = b"hush.blob.body.v1";
/// Length of a storage id (the host's name for a stored object).
pub const STORAGE_ID_LEN: usize = 16;
/// A stored object is its class plus this (nonce and tag).
pub const STORED_OVERHEAD: usize = 24 + AEAD_TAG_LEN;

/// The length of a body of class `class` (an index into [`BLOB_CLASSES`]).
pub fn body_len(class: usize) -> usize {
    BLOB_CLASSES[class] + BODY_OVERHEAD
}

/// The class index of a blob of `len` bytes, if `len` is a class.
pub fn class_of(len: usize) -> Option<usize> {
    BLOB_CLASSES.iter().position(|c| *c == len)
}

/// Field offsets of a [`BlobRequest`] record.
pub mod offsets {
    use super::*;
    /// The op code.
    pub const OP: usize = 0;
    /// The class index.
    pub const CLASS: usize = 1;
    /// The blob id.
    pub const BLOB: usize = 8;
    /// The acting-as key (uploads).
    pub const ACTING_AS: usize = BLOB + BLOB_ID_LEN;
    /// The transfer key (uploads).
    pub const TRANSFER_KEY: usize = ACTING_AS + KEY_LEN;
    /// Reserved to the end.
    pub const RESERVED: usize = TRANSFER_KEY + TRANSFER_KEY_LEN;
    const _: () = assert!(RESERVED + 40 == BLOB_REQUEST_LEN);
}

/// A key that seals one body.
#[derive(Clone, PartialEq, Eq)]
pub struct TransferKey(pub [u8; TRANSFER_KEY_LEN]);

impl std::fmt::Debug for TransferKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransferKey(..)")
    }
}

/// What a blob request asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOp {
    /// Store the body's blob, charged to `acting_as` (a proven key).
    Upload = 1,
    /// Fetch the blob.
    Download = 2,
}

/// A blob request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRequest {
    /// Upload or download.
    pub op: BlobOp,
    /// The blob's class (index into [`BLOB_CLASSES`]).
    pub class: u8,
    /// The blob's id (random, never all zero).
    pub blob: BlobId,
    /// The key the upload is charged to (downloads: any proven key, or
    /// none).
    pub acting_as: Option<PublicKey>,
    /// The upload body's key (downloads: unused).
    pub transfer_key: TransferKey,
}

impl FixedCodec for BlobRequest {
    const LEN: usize = BLOB_REQUEST_LEN;
    const NAME: &'static str = "blob request";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[offsets::OP] = self.op as u8;
        out[offsets::CLASS] = self.class;
        out[offsets::BLOB..offsets::ACTING_AS].copy_from_slice(&self.blob.0);
        if let Some(k) = &self.acting_as {
            out[offsets::ACTING_AS..offsets::TRANSFER_KEY].copy_from_slice(k.as_bytes());
        }
        out[offsets::TRANSFER_KEY..offsets::RESERVED].copy_from_slice(&self.transfer_key.0);
    }

    fn decode_exact(b: &[u8]) -> Result<Self, WireError> {
        let op = match b[offsets::OP] {
            1 => BlobOp::Upload,
            2 => BlobOp::Download,
            other => return Err(WireError::UnknownOp(other)),
        };
        let class = b[offsets::CLASS];
        if class as usize >= BLOB_CLASSES.len() {
            return Err(WireError::UnknownOp(class));
        }
        if b[offsets::CLASS + 1..offsets::BLOB].iter().any(|x| *x != 0)
            || b[offsets::RESERVED..].iter().any(|x| *x != 0)
        {
            return Err(WireError::NonZeroReserved(Self::NAME));
        }
        let blob = BlobId::from_bytes(&b[offsets::BLOB..offsets::ACTING_AS])?;
        if blob.0 == [0; BLOB_ID_LEN] {
            return Err(WireError::ZeroId);
        }
        let key: [u8; KEY_LEN] = b[offsets::ACTING_AS..offsets::TRANSFER_KEY]
            .try_into()
            .expect("32 bytes");
        let acting_as = if key == [0; KEY_LEN] {
            None
        } else {
            Some(PublicKey::new(key)?)
        };
        Ok(Self {
            op,
            class,
            blob,
            acting_as,
            transfer_key: TransferKey(
                b[offsets::TRANSFER_KEY..offsets::RESERVED]
                    .try_into()
                    .expect("32 bytes"),
            ),
        })
    }
}

/// How a blob request went (inside the sealed answer only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobStatus {
    /// Stored, or here is the blob.
    Ok = 0,
    /// No blob with that id and class: it expired, or never was.
    NotFound = 1,
    /// A blob with that id is stored already (an upload's retry).
    AlreadyExists = 2,
    /// The enclave holds as many blobs as it may.
    Full = 3,
    /// Too many blobs of this class wait for the next mix; retry later.
    Busy = 4,
    /// The request or its body was malformed.
    InvalidRequest = 5,
    /// The upload's key is not proven on this session.
    KeyNotProven = 6,
    /// The key the upload is charged to has used its day's allowance.
    QuotaExceeded = 7,
    /// The service requires tokens for uploads and this session has no
    /// credits left (or never presented a token).
    NoTokens = 8,
}

impl BlobStatus {
    /// Its wire code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Parses a wire code.
    pub fn from_code(c: u8) -> Result<Self, WireError> {
        Ok(match c {
            0 => Self::Ok,
            1 => Self::NotFound,
            2 => Self::AlreadyExists,
            3 => Self::Full,
            4 => Self::Busy,
            5 => Self::InvalidRequest,
            6 => Self::KeyNotProven,
            7 => Self::QuotaExceeded,
            8 => Self::NoTokens,
            other => return Err(WireError::UnknownStatus(other)),
        })
    }
}

impl std::fmt::Display for BlobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ok => "ok",
            Self::NotFound => "the attachment is gone: it expired, or was never stored",
            Self::AlreadyExists => "an attachment with this id is stored already",
            Self::Full => "the server holds as many attachments as it may; try later",
            Self::Busy => {
                "the server is mixing attachments of this size; try again in a few seconds"
            }
            Self::InvalidRequest => "the server refused the attachment request as malformed",
            Self::KeyNotProven => "the sending identity's key is not proven on this session",
            Self::QuotaExceeded => {
                "this identity has uploaded as many attachments as it may today; try tomorrow"
            }
            Self::NoTokens => {
                "no tokens: this service requires a Privacy Pass token for uploads and the session has no credits left; redeem a token (hush tokens add FILE) and retry"
            }
        })
    }
}

/// The sealed answer to a blob request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobAnswer {
    /// How it went.
    pub status: BlobStatus,
    /// A download body's key (zero otherwise).
    pub transfer_key: TransferKey,
}

impl FixedCodec for BlobAnswer {
    const LEN: usize = BLOB_ANSWER_LEN;
    const NAME: &'static str = "blob answer";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[0] = self.status.code();
        out[8..8 + TRANSFER_KEY_LEN].copy_from_slice(&self.transfer_key.0);
    }

    fn decode_exact(b: &[u8]) -> Result<Self, WireError> {
        if b[1..8].iter().any(|x| *x != 0) || b[8 + TRANSFER_KEY_LEN..].iter().any(|x| *x != 0) {
            return Err(WireError::NonZeroReserved(Self::NAME));
        }
        Ok(Self {
            status: BlobStatus::from_code(b[0])?,
            transfer_key: TransferKey(b[8..8 + TRANSFER_KEY_LEN].try_into().expect("32")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers_round_trip_and_bad_bytes_are_refused() {
        let r = BlobRequest {
            op: BlobOp::Upload,
            class: 2,
            blob: BlobId([7; 16]),
            acting_as: Some(PublicKey::new([3; 32]).unwrap()),
            transfer_key: TransferKey([9; 32]),
        };
        let bytes = r.encode();
        assert_eq!(bytes.len(), BLOB_REQUEST_LEN);
        assert_eq!(BlobRequest::decode(&bytes).unwrap(), r);
        let d = BlobRequest {
            op: BlobOp::Download,
            acting_as: None,
            transfer_key: TransferKey([0; 32]),
            ..r.clone()
        };
        assert_eq!(BlobRequest::decode(&d.encode()).unwrap(), d);
        for (at, value) in [(0, 3u8), (1, 5), (2, 1), (127, 1)] {
            let mut bad = bytes.clone();
            bad[at] = value;
            assert!(BlobRequest::decode(&bad).is_err(), "byte {at} = {value}");
        }
        let mut zero_id = bytes.clone();
        zero_id[offsets::BLOB..offsets::ACTING_AS].fill(0);
        assert_eq!(BlobRequest::decode(&zero_id), Err(WireError::ZeroId));
        assert!(BlobRequest::decode(&bytes[1..]).is_err());

        let a = BlobAnswer {
            status: BlobStatus::Busy,
            transfer_key: TransferKey([1; 32]),
        };
        assert_eq!(BlobAnswer::decode(&a.encode()).unwrap(), a);
        let mut bad = a.encode();
        bad[0] = 99;
        assert!(BlobAnswer::decode(&bad).is_err());
        assert_eq!(class_of(1 << 20), Some(2));
        assert_eq!(class_of(1000), None);
        assert_eq!(body_len(0), (1 << 16) + 16);
    }
}

//! Session-layer wire types: session ids, sealed (encrypted) frames and key
//! proofs. A [`SealedFrame`] is ciphertext; a [`crate::RequestRecord`] is
//! plaintext: different types, so one cannot be sent for the other.

use crate::codec::check_len;
use crate::consts::{
    AEAD_TAG_LEN, KEY_LEN, KEY_PROOF_REQUEST_LEN, KEY_PROOF_RESPONSE_LEN, MAX_KEYS_PER_SESSION,
    NONCE_LEN, SESSION_ID_LEN, SIGNATURE_LEN,
};
use crate::ids::parse_hex;
use crate::{FixedCodec, PublicKey, WireError};

/// Names a session in the enclave's session table (chosen by the enclave).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(pub [u8; SESSION_ID_LEN]);

impl SessionId {
    /// Parses exactly 16 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        check_len("session id", SESSION_ID_LEN, bytes)?;
        Ok(Self(bytes.try_into().expect("length checked")))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 32 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        parse_hex::<SESSION_ID_LEN>(s).map(Self)
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionId({})", self.to_hex())
    }
}

/// A Noise transport message with its explicit nonce: nonce (u64 LE) |
/// ciphertext (plaintext length + 16-byte tag). Nonces let a session carry
/// concurrent requests; the receiver rejects replays.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedFrame {
    /// The Noise nonce.
    pub nonce: u64,
    /// Ciphertext and tag.
    pub ciphertext: Vec<u8>,
}

impl SealedFrame {
    /// Parses a frame that must seal exactly `plaintext_len` bytes.
    pub fn decode(bytes: &[u8], plaintext_len: usize) -> Result<Self, WireError> {
        check_len(
            "sealed frame",
            NONCE_LEN + plaintext_len + AEAD_TAG_LEN,
            bytes,
        )?;
        let nonce = u64::from_le_bytes(bytes[..NONCE_LEN].try_into().expect("8 bytes"));
        Ok(Self {
            nonce,
            ciphertext: bytes[NONCE_LEN..].to_vec(),
        })
    }

    /// Encodes nonce | ciphertext.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(NONCE_LEN + self.ciphertext.len());
        out.extend_from_slice(&self.nonce.to_le_bytes());
        out.extend_from_slice(&self.ciphertext);
        out
    }
}

impl std::fmt::Debug for SealedFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedFrame(nonce {}, {} bytes)",
            self.nonce,
            self.ciphertext.len()
        )
    }
}

/// An sr25519 signature (schnorrkel).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; SIGNATURE_LEN]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signature(..)")
    }
}

/// Proof that the client holds the secret of `key`: a signature of the
/// session's handshake hash under [`crate::consts::KEY_PROOF_CONTEXT`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyProof {
    /// The key proven.
    pub key: PublicKey,
    /// Signature of the handshake hash.
    pub signature: Signature,
}

/// One to four key proofs, sealed into one fixed-size frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyProofRequest {
    /// The proofs (1..=4).
    pub proofs: Vec<KeyProof>,
}

impl FixedCodec for KeyProofRequest {
    const LEN: usize = KEY_PROOF_REQUEST_LEN;
    const NAME: &'static str = "key proof request";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[0] = self.proofs.len() as u8;
        for (i, p) in self.proofs.iter().enumerate() {
            let at = 1 + i * (KEY_LEN + SIGNATURE_LEN);
            out[at..at + KEY_LEN].copy_from_slice(p.key.as_bytes());
            out[at + KEY_LEN..at + KEY_LEN + SIGNATURE_LEN].copy_from_slice(&p.signature.0);
        }
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let count = bytes[0] as usize;
        if count == 0 || count > MAX_KEYS_PER_SESSION {
            return Err(WireError::InvalidRequest(
                "a key proof request carries 1 to 4 proofs",
            ));
        }
        let mut proofs = Vec::with_capacity(count);
        for i in 0..MAX_KEYS_PER_SESSION {
            let at = 1 + i * (KEY_LEN + SIGNATURE_LEN);
            let chunk = &bytes[at..at + KEY_LEN + SIGNATURE_LEN];
            if i >= count {
                if chunk.iter().any(|&b| b != 0) {
                    return Err(WireError::NonZeroReserved("key proof request"));
                }
                continue;
            }
            let key = PublicKey::decode(&chunk[..KEY_LEN])?;
            let signature = Signature(chunk[KEY_LEN..].try_into().expect("64 bytes"));
            proofs.push(KeyProof { key, signature });
        }
        Ok(Self { proofs })
    }
}

/// Outcome of a key-proof request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum KeyProofStatus {
    /// Every proof verified; the keys are usable in this session.
    Ok = 0,
    /// A signature did not verify (nothing was added).
    InvalidProof = 1,
    /// The session would hold more than four keys (nothing was added).
    TooManyKeys = 2,
    /// The request was malformed (nothing was added).
    Malformed = 3,
}

/// The enclave's answer to a key-proof request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyProofResponse {
    /// Outcome.
    pub status: KeyProofStatus,
    /// Keys now proven in the session.
    pub keys_proven: u8,
}

impl KeyProofResponse {
    /// The encoding of a response given as raw codes, for a writer that
    /// chose the status in constant time and must not branch on it to build
    /// a [`KeyProofStatus`].
    pub fn encode_codes(status: u8, keys_proven: u8) -> [u8; KEY_PROOF_RESPONSE_LEN] {
        [status, keys_proven]
    }
}

impl FixedCodec for KeyProofResponse {
    const LEN: usize = KEY_PROOF_RESPONSE_LEN;
    const NAME: &'static str = "key proof response";

    fn encode_into(&self, out: &mut [u8]) {
        out.copy_from_slice(&Self::encode_codes(self.status as u8, self.keys_proven));
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let status = match bytes[0] {
            0 => KeyProofStatus::Ok,
            1 => KeyProofStatus::InvalidProof,
            2 => KeyProofStatus::TooManyKeys,
            3 => KeyProofStatus::Malformed,
            c => return Err(WireError::UnknownStatus(c)),
        };
        if bytes[1] as usize > MAX_KEYS_PER_SESSION {
            return Err(WireError::InvalidRequest(
                "more keys proven than a session holds",
            ));
        }
        Ok(Self {
            status,
            keys_proven: bytes[1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn key_proofs_round_trip_and_reject_malformed() {
        let p = |n: u8| KeyProof {
            key: PublicKey::new([n; 32]).unwrap(),
            signature: Signature([n; 64]),
        };
        for n in 1..=MAX_KEYS_PER_SESSION {
            let req = KeyProofRequest {
                proofs: (1..=n as u8).map(p).collect(),
            };
            let b = req.encode();
            assert_eq!(b.len(), KEY_PROOF_REQUEST_LEN);
            assert_eq!(KeyProofRequest::decode(&b).unwrap(), req);
        }
        let mut b = KeyProofRequest { proofs: vec![p(1)] }.encode();
        b[0] = 0;
        assert!(KeyProofRequest::decode(&b).is_err());
        b[0] = 5;
        assert!(KeyProofRequest::decode(&b).is_err());
        b[0] = 1;
        b[KEY_PROOF_REQUEST_LEN - 1] = 1; // padding must be zero
        assert!(KeyProofRequest::decode(&b).is_err());
        let r = KeyProofResponse {
            status: KeyProofStatus::TooManyKeys,
            keys_proven: 4,
        };
        assert_eq!(KeyProofResponse::decode(&r.encode()).unwrap(), r);
        assert!(KeyProofResponse::decode(&[9, 0]).is_err());
    }

    #[test]
    fn sealed_frames_have_exact_lengths() {
        let f = SealedFrame {
            nonce: 7,
            ciphertext: vec![1; 20],
        };
        assert_eq!(SealedFrame::decode(&f.encode(), 4).unwrap(), f);
        assert!(SealedFrame::decode(&f.encode(), 5).is_err());
        assert!(SessionId::from_bytes(&[0; 15]).is_err());
        let id = SessionId([3; 16]);
        assert_eq!(SessionId::from_hex(&id.to_hex()), Some(id));
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..500)) {
            let _ = KeyProofRequest::decode(&bytes);
            let _ = KeyProofResponse::decode(&bytes);
            let _ = SealedFrame::decode(&bytes, 100);
        }
    }
}

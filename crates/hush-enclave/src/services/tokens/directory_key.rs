//! The directory's token key: a VOPRF key (RFC 9497, ristretto255 with
//! SHA-512) per epoch of [`EPOCH_SECS`], derived from the enclave's token
//! secret, so every replica holding the cluster secret has the same key
//! and nobody outside the enclave has it. Type-5 tokens are issued blindly
//! under the current epoch's key and redeem under it or the one before
//! (a token lives one to two epochs).
//!
//! Issuance always evaluates [`TOKENS_PER_ISSUE`] elements and makes one
//! batch proof, whatever the record holds; a redemption check always
//! evaluates the token's input under both epochs' keys.

use crate::oblivious::ct::eq_bytes;
use crate::oblivious::keyed_hash::KeyedHash;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use hush_wire::tokens::{
    ELEMENT_LEN, ISSUE_PROOF_LEN, TOKEN_DIGEST_LEN, TOKEN_INPUT_LEN, TOKENS_PER_ISSUE,
    VOPRF_AUTHENTICATOR_LEN,
};
use sha2::{Digest, Sha256};
use subtle::Choice;
use voprf::{BlindedElement, Ristretto255, VoprfServer};

/// Seconds of an epoch of the directory's token key (a day).
pub const EPOCH_SECS: u64 = 24 * 60 * 60;
/// Domain of an epoch key's seed.
const DOMAIN_KEY_SEED: &[u8] = b"hush.tokens.directory-key.v1";
/// The VOPRF's key derivation info (RFC 9497 DeriveKeyPair).
const KEY_INFO: &[u8] = b"hush directory tokens";

/// The epoch of a time.
pub fn epoch_of(now: u64) -> u64 {
    now / EPOCH_SECS
}

/// One epoch's key.
pub(crate) struct EpochKey {
    pub(crate) epoch: u64,
    server: VoprfServer<Ristretto255>,
    /// The public key's encoding.
    pub(crate) public: [u8; ELEMENT_LEN],
    /// SHA-256 of it: the token key id.
    pub(crate) id: [u8; TOKEN_DIGEST_LEN],
}

impl EpochKey {
    /// The key of `epoch` under `hash`'s secret.
    pub(crate) fn derive(hash: &KeyedHash, epoch: u64) -> Self {
        let seed = zeroize::Zeroizing::new(hash.digest(DOMAIN_KEY_SEED, &epoch.to_le_bytes()));
        let server = VoprfServer::<Ristretto255>::new_from_seed(&seed[..], KEY_INFO)
            .expect("a 32-byte seed derives a key");
        let public: [u8; ELEMENT_LEN] = server.get_public_key().compress().to_bytes();
        Self {
            epoch,
            server,
            id: Sha256::digest(public).into(),
            public,
        }
    }

    /// Whether `authenticator` is this key's VOPRF output for `input`
    /// (constant time in both).
    pub(crate) fn check(
        &self,
        input: &[u8; TOKEN_INPUT_LEN],
        authenticator: &[u8; VOPRF_AUTHENTICATOR_LEN],
    ) -> Choice {
        let out = self
            .server
            .evaluate(input)
            .expect("a 98-byte input is within the VOPRF's limit");
        eq_bytes(&out[..], authenticator)
    }

    /// Evaluates the [`TOKENS_PER_ISSUE`] blinded elements of an issuance
    /// record, with one batch proof. Elements that are not valid encodings
    /// are replaced by the base point (so the work is the same); the
    /// choice says whether all were valid.
    pub(crate) fn issue(
        &self,
        blinded: &[u8],
    ) -> (
        [[u8; ELEMENT_LEN]; TOKENS_PER_ISSUE],
        [u8; ISSUE_PROOF_LEN],
        Choice,
    ) {
        debug_assert_eq!(blinded.len(), TOKENS_PER_ISSUE * ELEMENT_LEN);
        let fallback = BlindedElement::<Ristretto255>::deserialize(
            &RISTRETTO_BASEPOINT_POINT.compress().to_bytes(),
        )
        .expect("the base point is an element");
        let mut valid = Choice::from(1);
        let elements: Vec<BlindedElement<Ristretto255>> = blinded
            .chunks_exact(ELEMENT_LEN)
            .map(
                |bytes| match BlindedElement::<Ristretto255>::deserialize(bytes) {
                    Ok(e) => e,
                    Err(_) => {
                        valid &= Choice::from(0);
                        fallback.clone()
                    }
                },
            )
            .collect();
        let result = self
            .server
            .batch_blind_evaluate(&mut rand_core06::OsRng, &elements)
            .expect("8 elements are within the batch limit");
        let mut evaluated = [[0u8; ELEMENT_LEN]; TOKENS_PER_ISSUE];
        for (out, e) in evaluated.iter_mut().zip(&result.messages) {
            out.copy_from_slice(&e.serialize());
        }
        let mut proof = [0u8; ISSUE_PROOF_LEN];
        proof.copy_from_slice(&result.proof.serialize());
        (evaluated, proof, valid)
    }
}

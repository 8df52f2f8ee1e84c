//! Tokens from hush's directory (Privacy Pass type 5, a VOPRF over
//! ristretto255), on the client: a batch of [`TOKENS_PER_ISSUE`] token
//! inputs with fresh nonces, blinded before they leave ([`PendingIssue`]),
//! and, from the evaluated elements, the tokens, once the batch proof
//! shows they were evaluated under the directory's published key.
//!
//! The enclave sees only the blinded elements when it issues, and only
//! the tokens when they are redeemed: nothing in one matches the other.

use crate::ClientError;
use hush_wire::tokens::{
    ELEMENT_LEN, IssueRequest, Issued, TOKEN_DIGEST_LEN, TOKEN_INPUT_LEN, TOKEN_NONCE_LEN,
    TOKENS_PER_ISSUE, Token, TokenChallenge, TokenKind, token_input,
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use voprf::{EvaluationElement, Proof, Ristretto255, VoprfClient};

/// The token key id of a directory key (SHA-256 of its encoding).
pub fn key_id(key: &[u8; ELEMENT_LEN]) -> [u8; TOKEN_DIGEST_LEN] {
    Sha256::digest(key).into()
}

/// A batch of blinded token inputs waiting for the directory's answer.
pub struct PendingIssue {
    key: [u8; ELEMENT_LEN],
    challenge_digest: [u8; TOKEN_DIGEST_LEN],
    nonces: Vec<[u8; TOKEN_NONCE_LEN]>,
    inputs: Vec<[u8; TOKEN_INPUT_LEN]>,
    blinds: Vec<VoprfClient<Ristretto255>>,
}

impl PendingIssue {
    /// A batch for the directory key `key`, and the request that asks for
    /// it.
    pub fn new(key: [u8; ELEMENT_LEN]) -> (Self, IssueRequest) {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let mut rng =
            <rand_chacha06::ChaCha20Rng as rand_chacha06::rand_core::SeedableRng>::from_seed(seed);
        let id = key_id(&key);
        let challenge_digest: [u8; TOKEN_DIGEST_LEN] =
            Sha256::digest(TokenChallenge::directory().to_bytes()).into();
        let mut pending = Self {
            key,
            challenge_digest,
            nonces: Vec::with_capacity(TOKENS_PER_ISSUE),
            inputs: Vec::with_capacity(TOKENS_PER_ISSUE),
            blinds: Vec::with_capacity(TOKENS_PER_ISSUE),
        };
        let mut blinded = [[0u8; ELEMENT_LEN]; TOKENS_PER_ISSUE];
        for out in blinded.iter_mut() {
            let mut nonce = [0u8; TOKEN_NONCE_LEN];
            rand::rng().fill_bytes(&mut nonce);
            let input = token_input(TokenKind::Voprf, &nonce, &challenge_digest, &id);
            let b = VoprfClient::<Ristretto255>::blind(&input, &mut rng)
                .expect("a 98-byte input blinds");
            out.copy_from_slice(&b.message.serialize());
            pending.nonces.push(nonce);
            pending.inputs.push(input);
            pending.blinds.push(b.state);
        }
        (
            pending,
            IssueRequest {
                key_id: id,
                blinded,
            },
        )
    }

    /// The tokens, from the directory's answer; refused unless the proof
    /// shows every element was evaluated under the key the batch was made
    /// for.
    pub fn finish(&self, issued: &Issued) -> Result<Vec<Token>, ClientError> {
        let bad = || ClientError::BadTokens;
        let key =
            <Ristretto255 as voprf::Group>::deserialize_elem(&self.key[..]).map_err(|_| bad())?;
        let proof = Proof::<Ristretto255>::deserialize(&issued.proof).map_err(|_| bad())?;
        let evaluated = issued
            .evaluated
            .iter()
            .map(|e| EvaluationElement::<Ristretto255>::deserialize(e).map_err(|_| bad()))
            .collect::<Result<Vec<_>, _>>()?;
        let inputs: Vec<&[u8]> = self.inputs.iter().map(|i| &i[..]).collect();
        let outputs = VoprfClient::batch_finalize(&inputs, &self.blinds, &evaluated, &proof, key)
            .map_err(|_| bad())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad())?;
        let id = key_id(&self.key);
        Ok(self
            .nonces
            .iter()
            .zip(outputs)
            .map(|(nonce, out)| Token {
                kind: TokenKind::Voprf,
                nonce: *nonce,
                challenge_digest: self.challenge_digest,
                key_id: id,
                authenticator: out.to_vec(),
            })
            .collect())
    }
}

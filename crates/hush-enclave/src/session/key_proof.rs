//! Key proofs: sr25519 signatures (schnorrkel) of the session's handshake
//! hash under a fixed context. Bound to one channel, so a proof cannot be
//! relayed into another session.
//!
//! [`check_request`] does the same work for every request: it verifies
//! exactly [`MAX_KEYS_PER_SESSION`] signatures, real ones for the proofs
//! the request carries and dummy ones (valid proofs by throw-away keys,
//! drawn at random from a pool made at start) for the empty slots, and it
//! never stops at the first bad proof. So neither the number of proofs nor
//! which of them hold shows in how long the check takes.

use super::proven_keys::KeyBytes;
use hush_wire::consts::{
    KEY_LEN, KEY_PROOF_CONTEXT, KEY_PROOF_REQUEST_LEN, MAX_KEYS_PER_SESSION, SIGNATURE_LEN,
};
use hush_wire::{FixedCodec, KeyProof, KeyProofRequest, PublicKey};
use rand::Rng;
use subtle::{Choice, ConditionallySelectable, ConstantTimeLess};

/// Length of the handshake hash key proofs sign (BLAKE2s).
pub const HANDSHAKE_HASH_LEN: usize = 32;
/// Dummy proofs made at start; each empty slot uses one drawn at random,
/// so dummy checks take as long, on average and in spread, as real ones.
pub const DUMMY_POOL_LEN: usize = 32;

/// Whether `proof` is a valid signature of `handshake_hash` by its key.
pub fn verify(proof: &KeyProof, handshake_hash: &[u8]) -> bool {
    verify_raw(proof.key.as_bytes(), &proof.signature.0, handshake_hash)
}

fn verify_raw(key: &[u8; KEY_LEN], signature: &[u8; SIGNATURE_LEN], message: &[u8]) -> bool {
    // A key or signature that does not decode fails fast: only a broken
    // client sends one (an honest client proves its own, real key).
    let Ok(key) = schnorrkel::PublicKey::from_bytes(key) else {
        return false;
    };
    let Ok(sig) = schnorrkel::Signature::from_bytes(signature) else {
        return false;
    };
    key.verify_simple(KEY_PROOF_CONTEXT, message, &sig).is_ok()
}

/// Signs a key proof (client side; here so both sides share one definition).
pub fn sign(keypair: &schnorrkel::Keypair, handshake_hash: &[u8]) -> KeyProof {
    let sig = keypair.sign_simple(KEY_PROOF_CONTEXT, handshake_hash);
    KeyProof {
        key: PublicKey::new(keypair.public.to_bytes()).expect("a real key is never all zero"),
        signature: hush_wire::Signature(sig.to_bytes()),
    }
}

/// One dummy proof: a throw-away key's valid signature of a random hash.
struct Dummy {
    key: KeyBytes,
    signature: [u8; SIGNATURE_LEN],
    message: [u8; HANDSHAKE_HASH_LEN],
}

/// The pool of dummy proofs used for empty slots.
pub struct DummyProofs(Vec<Dummy>);

impl DummyProofs {
    /// A fresh pool (throw-away keys from the OS-seeded CSPRNG).
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        Self(
            (0..DUMMY_POOL_LEN)
                .map(|_| {
                    let mini = schnorrkel::MiniSecretKey::from_bytes(&rng.random::<[u8; 32]>())
                        .expect("32 bytes");
                    let kp = mini.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519);
                    let message: [u8; HANDSHAKE_HASH_LEN] = rng.random();
                    let proof = sign(&kp, &message);
                    Dummy {
                        key: *proof.key.as_bytes(),
                        signature: proof.signature.0,
                        message,
                    }
                })
                .collect(),
        )
    }

    fn draw(&self) -> &Dummy {
        &self.0[rand::rng().random_range(0..self.0.len())]
    }
}

/// What a key-proof request proved.
pub struct Verdict {
    /// The request decoded (count in range, keys non-zero, padding zero).
    pub well_formed: Choice,
    /// Every proof the request carries verified.
    pub all_valid: Choice,
    /// The keys in the request's slots (zero where empty).
    pub keys: [KeyBytes; MAX_KEYS_PER_SESSION],
    /// Which slots carry a proof.
    pub present: [Choice; MAX_KEYS_PER_SESSION],
}

fn select<const N: usize>(a: &[u8; N], b: &[u8; N], choice: Choice) -> [u8; N] {
    std::array::from_fn(|i| u8::conditional_select(&a[i], &b[i], choice))
}

/// Checks a decrypted key-proof request against `handshake_hash` with
/// constant work: [`MAX_KEYS_PER_SESSION`] signature checks, real or dummy,
/// and no early exit (see the module docs).
pub fn check_request(plain: &[u8], handshake_hash: &[u8], dummies: &DummyProofs) -> Verdict {
    let well_formed = Choice::from(KeyProofRequest::decode(plain).is_ok() as u8);
    // Read the slots straight from the fixed layout (count | 4 x (key |
    // signature)), so no branch depends on how many proofs there are.
    let mut raw = [0u8; KEY_PROOF_REQUEST_LEN];
    if plain.len() == KEY_PROOF_REQUEST_LEN {
        raw.copy_from_slice(plain);
    }
    let count = raw[0];
    let hash: [u8; HANDSHAKE_HASH_LEN] = handshake_hash.try_into().unwrap_or([0; 32]);
    let mut verdict = Verdict {
        well_formed,
        all_valid: Choice::from(1),
        keys: [[0; KEY_LEN]; MAX_KEYS_PER_SESSION],
        present: [Choice::from(0); MAX_KEYS_PER_SESSION],
    };
    for slot in 0..MAX_KEYS_PER_SESSION {
        let at = 1 + slot * (KEY_LEN + SIGNATURE_LEN);
        let real_key: KeyBytes = raw[at..at + KEY_LEN].try_into().expect("key length");
        let real_sig: [u8; SIGNATURE_LEN] = raw[at + KEY_LEN..at + KEY_LEN + SIGNATURE_LEN]
            .try_into()
            .expect("signature length");
        let present = well_formed & (slot as u8).ct_lt(&count);
        let dummy = dummies.draw();
        let key = select(&dummy.key, &real_key, present);
        let signature = select(&dummy.signature, &real_sig, present);
        let message = select(&dummy.message, &hash, present);
        let valid = Choice::from(verify_raw(&key, &signature, &message) as u8);
        verdict.all_valid &= !present | valid;
        verdict.keys[slot] = real_key;
        verdict.present[slot] = present;
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use schnorrkel::{ExpansionMode, MiniSecretKey};

    fn keypair(seed: u8) -> schnorrkel::Keypair {
        MiniSecretKey::from_bytes(&[seed; 32])
            .unwrap()
            .expand_to_keypair(ExpansionMode::Ed25519)
    }

    #[test]
    fn verifies_only_the_right_hash_and_key() {
        let kp = keypair(1);
        let proof = sign(&kp, b"handshake hash A");
        assert!(verify(&proof, b"handshake hash A"));
        assert!(!verify(&proof, b"handshake hash B"), "bound to the channel");
        let mut forged = proof.clone();
        forged.key = PublicKey::new(keypair(2).public.to_bytes()).unwrap();
        assert!(!verify(&forged, b"handshake hash A"));
        let mut garbage = proof;
        garbage.signature.0[0] ^= 1;
        assert!(!verify(&garbage, b"handshake hash A"));
    }

    #[test]
    fn dummy_proofs_are_valid_so_empty_slots_cost_a_full_check() {
        let pool = DummyProofs::generate();
        assert_eq!(pool.0.len(), DUMMY_POOL_LEN);
        for d in &pool.0 {
            assert!(verify_raw(&d.key, &d.signature, &d.message));
        }
    }

    #[test]
    fn a_request_holds_only_if_every_proof_does() {
        let pool = DummyProofs::generate();
        let hash = [7u8; HANDSHAKE_HASH_LEN];
        let good: Vec<_> = (1..=4).map(|n| sign(&keypair(n), &hash)).collect();
        for n in 1..=4 {
            let mut proofs = good[..n].to_vec();
            let req = KeyProofRequest {
                proofs: proofs.clone(),
            };
            let v = check_request(&req.encode(), &hash, &pool);
            assert!(bool::from(v.well_formed & v.all_valid), "{n} good proofs");
            for slot in 0..4 {
                assert_eq!(bool::from(v.present[slot]), slot < n);
            }
            assert_eq!(v.keys[0], *good[0].key.as_bytes());
            // One bad proof anywhere spoils the request.
            for bad in 0..n {
                proofs[bad].signature.0[1] ^= 1;
                let v = check_request(
                    &KeyProofRequest {
                        proofs: proofs.clone(),
                    }
                    .encode(),
                    &hash,
                    &pool,
                );
                assert!(!bool::from(v.all_valid), "{n} proofs, bad at {bad}");
                proofs[bad].signature.0[1] ^= 1;
            }
            // Proofs for another channel do not hold here.
            let other = check_request(&req.encode(), &[8u8; HANDSHAKE_HASH_LEN], &pool);
            assert!(!bool::from(other.all_valid));
        }
        let v = check_request(&[0u8; 10], &hash, &pool);
        assert!(!bool::from(v.well_formed));
    }
}

//! Key proofs: sr25519 signatures (schnorrkel) of the session's handshake
//! hash under a fixed context. Bound to one channel, so a proof cannot be
//! relayed into another session.
//!
//! [`check_request`] does the same work for every request: it verifies
//! exactly [`MAX_KEYS_PER_SESSION`] signatures, real ones for the proofs
//! the request carries and dummy ones (a throw-away key, a random message
//! and a random s, so they cost what a real check costs) for the empty
//! slots, and it
//! never stops at the first bad proof. So neither the number of proofs nor
//! which of them hold shows in how long the check takes.

use super::proven_keys::{KeyBytes, select};
use hush_wire::consts::{
    KEY_LEN, KEY_PROOF_CONTEXT, KEY_PROOF_REQUEST_LEN, MAX_KEYS_PER_SESSION, SIGNATURE_LEN,
};
use hush_wire::{KeyProof, PublicKey};
use rand::Rng;
use subtle::{Choice, ConstantTimeEq, ConstantTimeLess};

/// Length of the handshake hash key proofs sign (BLAKE2s).
pub const HANDSHAKE_HASH_LEN: usize = 32;
/// Throw-away keys made at start for dummy checks (see [`DummyProofs`]).
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

/// A throw-away key and the commitment R of one of its signatures: the
/// fixed half of a dummy check.
struct Dummy {
    key: KeyBytes,
    commitment: [u8; SCALAR_LEN],
}

/// Length of a signature's commitment R and of its scalar s.
const SCALAR_LEN: usize = 32;
/// schnorrkel marks its signatures with the top bit of s.
const SCHNORRKEL_MARKER: u8 = 0x80;

/// The pool dummy checks draw from.
pub struct DummyProofs(Vec<Dummy>);

/// One dummy check's inputs.
struct DummyCheck {
    key: KeyBytes,
    signature: [u8; SIGNATURE_LEN],
    message: [u8; HANDSHAKE_HASH_LEN],
}

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
                    let proof = sign(&kp, &rng.random::<[u8; HANDSHAKE_HASH_LEN]>());
                    Dummy {
                        key: *proof.key.as_bytes(),
                        commitment: proof.signature.0[..SCALAR_LEN]
                            .try_into()
                            .expect("R is the first half"),
                    }
                })
                .collect(),
        )
    }

    /// A dummy check shaped like a real one: a real key and commitment, a
    /// fresh random message and a fresh random canonical s. The challenge
    /// and s are then uniformly random, as they are for an honest proof, so
    /// the (variable-time) verification takes as long, in distribution, as
    /// a real one. It never verifies; its result is ignored.
    fn draw(&self) -> DummyCheck {
        let mut rng = rand::rng();
        let d = &self.0[rng.random_range(0..self.0.len())];
        let wide: [u8; 64] = std::array::from_fn(|_| rng.random());
        let mut s = curve25519_dalek::Scalar::from_bytes_mod_order_wide(&wide).to_bytes();
        s[SCALAR_LEN - 1] |= SCHNORRKEL_MARKER;
        let mut signature = [0u8; SIGNATURE_LEN];
        signature[..SCALAR_LEN].copy_from_slice(&d.commitment);
        signature[SCALAR_LEN..].copy_from_slice(&s);
        DummyCheck {
            key: d.key,
            signature,
            message: rng.random(),
        }
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

fn is_zero(bytes: &[u8]) -> Choice {
    bytes.iter().fold(0u8, |acc, b| acc | b).ct_eq(&0)
}

/// Whether `raw` is a well-formed key-proof request, in constant time: the
/// same rules as [`KeyProofRequest`]'s decoder (1 to 4 proofs, no all-zero
/// key, empty slots all zero), which the tests hold it to.
fn well_formed(raw: &[u8; KEY_PROOF_REQUEST_LEN]) -> Choice {
    let count = raw[0];
    let mut ok = !count.ct_eq(&0) & !(MAX_KEYS_PER_SESSION as u8).ct_lt(&count);
    for slot in 0..MAX_KEYS_PER_SESSION {
        let at = 1 + slot * (KEY_LEN + SIGNATURE_LEN);
        let chunk = &raw[at..at + KEY_LEN + SIGNATURE_LEN];
        let present = (slot as u8).ct_lt(&count);
        ok &= (present & !is_zero(&chunk[..KEY_LEN])) | (!present & is_zero(chunk));
    }
    ok
}

/// Checks a decrypted key-proof request against `handshake_hash` with
/// constant work: [`MAX_KEYS_PER_SESSION`] signature checks, real or dummy,
/// and no early exit (see the module docs).
pub fn check_request(plain: &[u8], handshake_hash: &[u8], dummies: &DummyProofs) -> Verdict {
    #[cfg(test)]
    test_hook::verifying(handshake_hash);
    // Read the slots straight from the fixed layout (count | 4 x (key |
    // signature)), so no branch depends on how many proofs there are.
    let mut raw = [0u8; KEY_PROOF_REQUEST_LEN];
    if plain.len() == KEY_PROOF_REQUEST_LEN {
        raw.copy_from_slice(plain);
    }
    let well_formed = well_formed(&raw);
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

/// Lets unit tests pause a key-proof check half-way, to see what the rest
/// of the enclave can do meanwhile. Not in non-test builds.
#[cfg(test)]
pub(crate) mod test_hook {
    use std::sync::Mutex;

    type Hook = Box<dyn FnOnce() + Send>;
    static HOOK: Mutex<Option<(Vec<u8>, Hook)>> = Mutex::new(None);

    /// Runs `hook` inside the next key-proof check of the session whose
    /// handshake hash is `hash` (other tests' checks are left alone).
    pub(crate) fn once(hash: &[u8], hook: Hook) {
        *HOOK.lock().unwrap_or_else(|e| e.into_inner()) = Some((hash.to_vec(), hook));
    }

    pub(super) fn verifying(hash: &[u8]) {
        let hook = {
            let mut slot = HOOK.lock().unwrap_or_else(|e| e.into_inner());
            match slot.as_ref() {
                Some((h, _)) if h == hash => slot.take().map(|(_, hook)| hook),
                _ => None,
            }
        };
        if let Some(hook) = hook {
            hook();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_wire::{FixedCodec, KeyProofRequest};
    use proptest::prelude::*;
    use schnorrkel::{ExpansionMode, MiniSecretKey};

    proptest! {
        #[test]
        fn well_formed_agrees_with_the_decoder(
            count in 0u8..7,
            fill in proptest::collection::vec(any::<u8>(), KEY_PROOF_REQUEST_LEN - 1),
            zero_from in 0usize..KEY_PROOF_REQUEST_LEN,
            zero_key in 0usize..MAX_KEYS_PER_SESSION,
        ) {
            let mut raw = [0u8; KEY_PROOF_REQUEST_LEN];
            raw[0] = count;
            raw[1..].copy_from_slice(&fill);
            // Vary which tail is zero, so valid padding is common.
            raw[zero_from.max(1)..].fill(0);
            let expected = KeyProofRequest::decode(&raw).is_ok();
            prop_assert_eq!(bool::from(well_formed(&raw)), expected);
            // An all-zero key in a used slot.
            let at = 1 + zero_key * (KEY_LEN + SIGNATURE_LEN);
            raw[at..at + KEY_LEN].fill(0);
            let expected = KeyProofRequest::decode(&raw).is_ok();
            prop_assert_eq!(bool::from(well_formed(&raw)), expected);
        }
    }

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
    fn dummy_checks_decode_so_empty_slots_cost_a_full_check() {
        let pool = DummyProofs::generate();
        assert_eq!(pool.0.len(), DUMMY_POOL_LEN);
        for _ in 0..64 {
            let d = pool.draw();
            // Both halves decode (no early exit); the signature is random.
            assert!(schnorrkel::PublicKey::from_bytes(&d.key).is_ok());
            assert!(schnorrkel::Signature::from_bytes(&d.signature).is_ok());
            assert!(!verify_raw(&d.key, &d.signature, &d.message));
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

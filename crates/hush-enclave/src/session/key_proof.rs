//! Key proofs: sr25519 signatures (schnorrkel) of the session's handshake
//! hash under a fixed context. Bound to one channel, so a proof cannot be
//! relayed into another session.

use hush_wire::consts::KEY_PROOF_CONTEXT;
use hush_wire::{KeyProof, PublicKey};

/// Whether `proof` is a valid signature of `handshake_hash` by its key.
pub fn verify(proof: &KeyProof, handshake_hash: &[u8]) -> bool {
    let Ok(key) = schnorrkel::PublicKey::from_bytes(proof.key.as_bytes()) else {
        return false;
    };
    let Ok(sig) = schnorrkel::Signature::from_bytes(&proof.signature.0) else {
        return false;
    };
    key.verify_simple(KEY_PROOF_CONTEXT, handshake_hash, &sig)
        .is_ok()
}

/// Signs a key proof (client side; here so both sides share one definition).
pub fn sign(keypair: &schnorrkel::Keypair, handshake_hash: &[u8]) -> KeyProof {
    let sig = keypair.sign_simple(KEY_PROOF_CONTEXT, handshake_hash);
    KeyProof {
        key: PublicKey::new(keypair.public.to_bytes()).expect("a real key is never all zero"),
        signature: hush_wire::Signature(sig.to_bytes()),
    }
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
}

//! The enclave's epoch: a number that changes at every start, bound to the
//! attestation evidence.
//!
//! The enclave makes a fresh Noise static key at every start, and the
//! evidence binds that key ([`crate::ReportData::for_noise_key`]). The
//! epoch is derived from the key, so it is bound too, and a client computes
//! it from the key its handshake verified. Services put it into what must
//! not survive a restart unnoticed (the rendezvous service's computation
//! ids): a client holding an id from another epoch knows the enclave
//! restarted and its computation is gone.

use blake2::digest::consts::U64;
use blake2::{Blake2b, Digest};

const EPOCH_DOMAIN: &[u8] = b"hush.epoch.v1";

/// The epoch of the enclave whose Noise static public key is `key`: the
/// first 8 bytes (little-endian) of BLAKE2b-512(`hush.epoch.v1` | key).
pub fn epoch_of(noise_static_public: &[u8; 32]) -> u64 {
    let mut h = Blake2b::<U64>::new();
    h.update(EPOCH_DOMAIN);
    h.update(noise_static_public);
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_epoch() {
        assert_eq!(epoch_of(&[1; 32]), epoch_of(&[1; 32]));
        assert_ne!(epoch_of(&[1; 32]), epoch_of(&[2; 32]));
    }
}

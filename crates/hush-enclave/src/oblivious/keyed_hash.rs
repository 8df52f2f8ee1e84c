//! Keyed hashes with a secret generated inside the enclave: a map's bucket
//! choice, the sender tags kept in mailboxes, and the directory's hashed
//! identifiers. The host never sees the key, so it can neither aim keys at
//! one bucket, nor forge a tag, nor test an identifier against a hash.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use hush_wire::consts::KEY_LEN;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length of a tag ([`KeyedHash::tag`]).
pub(crate) const TAG_LEN: usize = 16;

/// Length of the hashing secret.
pub const HASH_KEY_LEN: usize = 32;

const BUCKET_DOMAIN: &[u8] = b"hush.directory.bucket.v1";
const TAG_DOMAIN: &[u8] = b"hush.mailbox.sender-tag.v1";

/// The enclave's hashing secret.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct KeyedHash {
    key: [u8; HASH_KEY_LEN],
}

impl KeyedHash {
    pub(crate) fn new(key: [u8; HASH_KEY_LEN]) -> Self {
        Self { key }
    }

    fn hash(&self, domain: &[u8], data: &[u8]) -> [u8; 32] {
        let mut h = Blake2b::<U32>::new();
        h.update(self.key);
        h.update([domain.len() as u8]);
        h.update(domain);
        h.update(data);
        h.finalize().into()
    }

    /// A 32-byte keyed digest of `data` in `domain` (for map keys made from
    /// something longer than, or different in kind from, a public key).
    pub(crate) fn digest(&self, domain: &[u8], data: &[u8]) -> [u8; 32] {
        self.hash(domain, data)
    }

    /// A random stream for `domain`, seeded from the secret: a service's
    /// draws (verification codes, computation ids) are then a function of
    /// its secret and its requests, the same on every replica that holds
    /// the same secret and applies the same requests in the same order.
    pub(crate) fn stream(&self, domain: &[u8]) -> rand_chacha::ChaCha20Rng {
        rand::SeedableRng::from_seed(self.hash(domain, b"stream"))
    }

    /// A uniformly spread 64-bit value for bucket selection.
    pub(crate) fn bucket_hash(&self, key: &[u8]) -> u64 {
        let d = self.hash(BUCKET_DOMAIN, key);
        u64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
    }

    /// The 128-bit keyed tag of a sender (mailbox entries and policies keep
    /// its first 8 bytes).
    pub(crate) fn sender_tag(&self, key: &[u8; KEY_LEN]) -> [u8; TAG_LEN] {
        let d = self.hash(TAG_DOMAIN, key);
        d[..TAG_LEN].try_into().expect("tag length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_and_domain_separated() {
        let a = KeyedHash::new([1; 32]);
        let b = KeyedHash::new([2; 32]);
        let k = [9u8; KEY_LEN];
        assert_ne!(a.bucket_hash(&k), b.bucket_hash(&k));
        assert_ne!(a.sender_tag(&k), b.sender_tag(&k));
        assert_ne!(a.sender_tag(&k)[..8], a.bucket_hash(&k).to_le_bytes());
        assert_eq!(a.sender_tag(&k), a.sender_tag(&k));
    }
}

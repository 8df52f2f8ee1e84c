//! The snow resolver hush builds every handshake with: snow's own pure-Rust
//! primitives (X25519, ChaCha20-Poly1305, BLAKE2s, the system's random
//! source) and [`crate::mlkem::MlKem`] for the KEM a hybrid pattern names.

use crate::mlkem::MlKem;
use snow::params::{CipherChoice, DHChoice, HashChoice, KemChoice};
use snow::resolvers::{CryptoResolver, DefaultResolver};
use snow::types::{Cipher, Dh, Hash, Kem, Random};

/// snow's default primitives, and ML-KEM-768 for the hybrid patterns.
pub struct HybridResolver {
    #[cfg(feature = "vectors")]
    fixed: Option<Fixed>,
}

/// The `vectors` build's fixed randomness: the stream snow's random source
/// hands out (an initiator's ML-KEM seed `d || z`) and the encapsulation
/// randomness `m`.
#[cfg(feature = "vectors")]
#[derive(Clone)]
struct Fixed {
    stream: Vec<u8>,
    m: [u8; 32],
}

/// A random source that hands out a fixed stream, then fails.
#[cfg(feature = "vectors")]
struct FixedRandom(Vec<u8>);

#[cfg(feature = "vectors")]
impl Random for FixedRandom {
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), snow::Error> {
        if dest.len() > self.0.len() {
            return Err(snow::Error::Rng);
        }
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}

impl HybridResolver {
    /// The resolver every real handshake uses.
    pub fn new() -> Self {
        Self {
            #[cfg(feature = "vectors")]
            fixed: None,
        }
    }

    /// A resolver whose random source hands out `stream` (an initiator's
    /// ML-KEM seed `d || z`; build with a fixed X25519 ephemeral so that
    /// nothing else draws from it) and whose KEM encapsulates with `m`:
    /// for the known-answer session vector only.
    #[cfg(feature = "vectors")]
    pub fn with_fixed_randomness(stream: &[u8], m: [u8; 32]) -> Self {
        Self {
            fixed: Some(Fixed {
                stream: stream.to_vec(),
                m,
            }),
        }
    }
}

impl Default for HybridResolver {
    fn default() -> Self {
        Self::new()
    }
}

impl CryptoResolver for HybridResolver {
    fn resolve_rng(&self) -> Option<Box<dyn Random>> {
        #[cfg(feature = "vectors")]
        if let Some(f) = &self.fixed {
            return Some(Box::new(FixedRandom(f.stream.clone())));
        }
        DefaultResolver.resolve_rng()
    }

    fn resolve_dh(&self, choice: &DHChoice) -> Option<Box<dyn Dh>> {
        DefaultResolver.resolve_dh(choice)
    }

    fn resolve_hash(&self, choice: &HashChoice) -> Option<Box<dyn Hash>> {
        DefaultResolver.resolve_hash(choice)
    }

    fn resolve_cipher(&self, choice: &CipherChoice) -> Option<Box<dyn Cipher>> {
        DefaultResolver.resolve_cipher(choice)
    }

    fn resolve_kem(&self, choice: &KemChoice) -> Option<Box<dyn Kem>> {
        // The only KEM snow's parser names; `params` renames the protocol
        // after parsing, so what runs and what is hashed is ML-KEM-768.
        match choice {
            KemChoice::Kyber1024 => {
                #[cfg(feature = "vectors")]
                if let Some(f) = &self.fixed {
                    return Some(Box::new(MlKem::with_fixed_encapsulation(f.m)));
                }
                Some(Box::new(MlKem::new()))
            }
        }
    }
}

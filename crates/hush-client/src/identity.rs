//! Identities: an sr25519 key pair with an easy name. Where they are kept
//! (one file per identity, optionally passphrase-protected) is
//! [`crate::keystore`], re-exported here.

use hush_wire::PublicKey;
use schnorrkel::{ExpansionMode, MiniSecretKey};
use zeroize::Zeroizing;

#[cfg(feature = "native")]
pub use crate::keystore::*;

/// Length of an identity's secret seed.
pub const SECRET_LEN: usize = 32;
/// Longest identity name.
pub const MAX_NAME_LEN: usize = 32;

/// Whether `name` is a valid identity or contact name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A named key pair.
#[derive(Clone)]
pub struct Identity {
    name: String,
    secret: Zeroizing<[u8; SECRET_LEN]>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({}, {})", self.name, self.public())
    }
}

impl Identity {
    /// A new random identity.
    pub fn generate(name: &str) -> Self {
        Self::from_secret(name, rand::random())
    }

    /// The identity with secret seed `secret`.
    pub fn from_secret(name: &str, secret: [u8; SECRET_LEN]) -> Self {
        Self {
            name: name.to_owned(),
            secret: Zeroizing::new(secret),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its secret seed (the encryption key is derived from it too).
    pub fn seed(&self) -> &[u8; SECRET_LEN] {
        &self.secret
    }

    /// Its key pair.
    pub fn keypair(&self) -> schnorrkel::Keypair {
        MiniSecretKey::from_bytes(&self.secret[..])
            .expect("32 bytes")
            .expand_to_keypair(ExpansionMode::Ed25519)
    }

    /// Its public key.
    pub fn public(&self) -> PublicKey {
        PublicKey::new(self.keypair().public.to_bytes()).expect("a real key is not all zero")
    }
}

//! The cluster secret: 32 random bytes made by the cluster's first node
//! inside its enclave, handed to each new member on a mutually attested
//! channel ([`super::join`]), never seen by a host.

use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use zeroize::Zeroizing;

/// Length of the cluster secret.
pub const CLUSTER_SECRET_LEN: usize = 32;
/// Length of a secret derived from it.
pub const DERIVED_LEN: usize = 32;

/// The secret every replica of a cluster holds.
pub struct ClusterSecret(Zeroizing<[u8; CLUSTER_SECRET_LEN]>);

impl ClusterSecret {
    /// A fresh secret (the cluster's first node).
    pub fn generate() -> Self {
        let mut s = Zeroizing::new([0u8; CLUSTER_SECRET_LEN]);
        rand::Rng::fill(&mut rand::rng(), &mut s[..]);
        Self(s)
    }

    pub(crate) fn from_bytes(bytes: [u8; CLUSTER_SECRET_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; CLUSTER_SECRET_LEN] {
        &self.0
    }

    /// The secret for `purpose` (a service's keyed hash, ...): the same on
    /// every replica, independent for each purpose.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; DERIVED_LEN]> {
        let mut mac = <blake2::Blake2bMac<U32> as KeyInit>::new_from_slice(&self.0[..])
            .expect("a 32-byte key fits BLAKE2b");
        mac.update(purpose.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }
}

impl std::fmt::Debug for ClusterSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClusterSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivations_are_stable_distinct_and_secret_dependent() {
        let a = ClusterSecret::from_bytes([1; 32]);
        let b = ClusterSecret::from_bytes([1; 32]);
        assert_eq!(*a.derive("broker"), *b.derive("broker"));
        assert_ne!(*a.derive("broker"), *a.derive("directory"));
        assert_ne!(
            *a.derive("broker"),
            *ClusterSecret::generate().derive("broker")
        );
        assert_eq!(format!("{a:?}"), "ClusterSecret(..)");
    }
}

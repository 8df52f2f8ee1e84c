//! Peer messages authenticated by the enclaves, not the hosts.
//!
//! Raft runs in the host, and its messages (append, vote, snapshot, a
//! member's request to be admitted) travel between hosts over the peer
//! port, where anyone on the network can reach them. Each message, and
//! each answer, carries a tag the sending enclave makes under a key
//! derived from the cluster secret, which only attested enclaves hold
//! ([`super::join`]); the receiving host acts on a message only once its
//! enclave has checked the tag. A stranger, or a host that is not a
//! member, can therefore drop or repeat a recent message but can never
//! forge one, nor change a byte of one (its kind, its addressee, its
//! body), nor answer one in a member's name.
//!
//! The tag covers the time the sending enclave stamped on it (its clock,
//! the host's ticks): a message older than [`MAX_AGE_SECS`], or stamped
//! more than [`MAX_AGE_SECS`] in the future, is refused, so a recorded
//! message cannot be replayed later (for example to an incarnation that
//! started after it was sent). The host chooses what it authenticates
//! (each part is length-prefixed, so no two lists of parts share bytes);
//! the enclave only makes and checks tags.

use super::secret::ClusterSecret;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Length of the time stamp that leads an authenticator.
pub const STAMP_LEN: usize = 8;
/// Length of the tag.
pub const TAG_LEN: usize = 32;
/// Length of an authenticator: stamp, then tag.
pub const PEER_AUTH_LEN: usize = STAMP_LEN + TAG_LEN;
/// How old (or how far ahead of the checker's clock) a message may be.
pub const MAX_AGE_SECS: u64 = 60;

/// Purpose of the key derived from the cluster secret.
const PEER_KEY_PURPOSE: &str = "hush.cluster.peer-mac.v1";

/// An authenticator: when the enclave sent the message and its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAuth {
    /// The sending enclave's time, in seconds since the epoch.
    pub sent_at: u64,
    tag: [u8; TAG_LEN],
}

impl PeerAuth {
    /// Its bytes, as they travel ([`PEER_AUTH_LEN`]).
    pub fn to_bytes(&self) -> [u8; PEER_AUTH_LEN] {
        let mut out = [0u8; PEER_AUTH_LEN];
        out[..STAMP_LEN].copy_from_slice(&self.sent_at.to_le_bytes());
        out[STAMP_LEN..].copy_from_slice(&self.tag);
        out
    }

    /// Reads an authenticator; any other length is malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PeerAuthError> {
        if bytes.len() != PEER_AUTH_LEN {
            return Err(PeerAuthError::Malformed(bytes.len()));
        }
        let (stamp, tag) = bytes.split_at(STAMP_LEN);
        Ok(Self {
            sent_at: u64::from_le_bytes(stamp.try_into().expect("8 bytes")),
            tag: tag.try_into().expect("32 bytes"),
        })
    }
}

/// Why a peer message was refused (or could not be authenticated).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeerAuthError {
    /// This enclave holds no cluster secret yet.
    #[error("this enclave is not a member of a cluster")]
    NotMember,
    /// The authenticator is missing or has the wrong length.
    #[error("peer message authenticator of {0} bytes, not {PEER_AUTH_LEN}")]
    Malformed(usize),
    /// The tag does not match: not made by a member's enclave, or the
    /// message was changed on the way.
    #[error("peer message not authenticated by a member of this cluster")]
    BadTag,
    /// Authentic, but outside the accepted window around this enclave's time.
    #[error(
        "peer message stamped {sent_at}, more than {MAX_AGE_SECS} s from this enclave's time {now}"
    )]
    Stale {
        /// The message's stamp.
        sent_at: u64,
        /// This enclave's time.
        now: u64,
    },
}

/// The key every member's enclave holds.
pub struct PeerKey(Zeroizing<[u8; 32]>);

impl PeerKey {
    /// The peer key of the cluster holding `secret`.
    pub fn new(secret: &ClusterSecret) -> Self {
        Self(secret.derive(PEER_KEY_PURPOSE))
    }

    fn tag(&self, sent_at: u64, parts: &[&[u8]]) -> [u8; TAG_LEN] {
        let mut mac = <blake2::Blake2bMac<U32> as KeyInit>::new_from_slice(&self.0[..])
            .expect("a 32-byte key fits BLAKE2b");
        mac.update(&sent_at.to_le_bytes());
        mac.update(&(parts.len() as u64).to_le_bytes());
        for part in parts {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Authenticates `parts`, sent at `now`.
    pub fn authenticate(&self, now: u64, parts: &[&[u8]]) -> PeerAuth {
        PeerAuth {
            sent_at: now,
            tag: self.tag(now, parts),
        }
    }

    /// Checks `auth` over `parts` at this enclave's time `now`.
    pub fn check(&self, now: u64, parts: &[&[u8]], auth: &[u8]) -> Result<(), PeerAuthError> {
        let auth = PeerAuth::from_bytes(auth)?;
        let expected = self.tag(auth.sent_at, parts);
        if !bool::from(expected.ct_eq(&auth.tag)) {
            return Err(PeerAuthError::BadTag);
        }
        if auth.sent_at.saturating_add(MAX_AGE_SECS) < now
            || auth.sent_at > now.saturating_add(MAX_AGE_SECS)
        {
            return Err(PeerAuthError::Stale {
                sent_at: auth.sent_at,
                now,
            });
        }
        Ok(())
    }
}

impl std::fmt::Debug for PeerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PeerKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PeerKey {
        PeerKey::new(&ClusterSecret::from_bytes([7; 32]))
    }

    #[test]
    fn a_tag_checks_only_with_the_same_key_parts_and_a_fresh_stamp() {
        let k = key();
        let parts: [&[u8]; 3] = [b"append", &5u64.to_le_bytes(), b"entries"];
        let auth = k.authenticate(1_000, &parts).to_bytes();
        assert_eq!(k.check(1_000, &parts, &auth), Ok(()));
        assert_eq!(k.check(1_000 + MAX_AGE_SECS, &parts, &auth), Ok(()));
        assert_eq!(
            k.check(1_001 + MAX_AGE_SECS, &parts, &auth),
            Err(PeerAuthError::Stale {
                sent_at: 1_000,
                now: 1_001 + MAX_AGE_SECS
            })
        );
        assert!(matches!(
            k.check(999 - MAX_AGE_SECS, &parts, &auth),
            Err(PeerAuthError::Stale { .. })
        ));
        // Another cluster's key.
        let other = PeerKey::new(&ClusterSecret::generate());
        assert_eq!(
            other.check(1_000, &parts, &auth),
            Err(PeerAuthError::BadTag)
        );
        // Any changed part, or parts split differently.
        let changed: [&[u8]; 3] = [b"vote", &5u64.to_le_bytes(), b"entries"];
        assert_eq!(k.check(1_000, &changed, &auth), Err(PeerAuthError::BadTag));
        let resplit: [&[u8]; 3] = [b"appen", b"d\x05\0\0\0\0\0\0\0", b"entries"];
        assert_eq!(k.check(1_000, &resplit, &auth), Err(PeerAuthError::BadTag));
        // A restamped authenticator.
        let mut restamped = auth;
        restamped[0] ^= 1;
        assert_eq!(
            k.check(1_000, &parts, &restamped),
            Err(PeerAuthError::BadTag)
        );
        // Missing or cut.
        assert_eq!(
            k.check(1_000, &parts, &[]),
            Err(PeerAuthError::Malformed(0))
        );
        assert_eq!(
            k.check(1_000, &parts, &auth[..PEER_AUTH_LEN - 1]),
            Err(PeerAuthError::Malformed(PEER_AUTH_LEN - 1))
        );
    }

    #[test]
    fn the_peer_key_is_not_another_purposes_secret() {
        let secret = ClusterSecret::from_bytes([7; 32]);
        assert_ne!(
            *PeerKey::new(&secret).0,
            *secret.derive("hush.cluster.epoch.v1")
        );
        assert_eq!(format!("{:?}", key()), "PeerKey(..)");
    }
}

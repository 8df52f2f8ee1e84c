//! The two Noise patterns hush runs, both hybrid (`hfs`: X25519 and
//! ML-KEM-768):
//!
//! ```text
//! session (client -> enclave), NXhfs:        peers (enclave -> enclave), XXhfs:
//!   -> e, e1                                   -> e, e1
//!   <- e, ee, ekem1, s, es   + evidence        <- e, ee, ekem1, s, es   + evidence
//!                                              -> s, se                 + evidence
//! ```
//!
//! The initiator sends a fresh ML-KEM-768 encapsulation key (`e1`) beside
//! its ephemeral X25519 key; the responder encapsulates to it (`ekem1`)
//! and both mix the KEM's shared secret into the chaining key, right
//! after `ee`.
//!
//! **Protocol names.** snow 0.10 parses only `Kyber1024` after the `+`, so
//! the parameters are parsed from that name and then renamed: the name
//! hashed into the handshake (Noise's `InitializeSymmetric`) is the one
//! below, which says what runs: `MLKEM768`, FIPS 203's ML-KEM-768 (not
//! round-3 Kyber), supplied by [`crate::resolver::HybridResolver`].

use crate::mlkem::{CIPHERTEXT_LEN, PUBLIC_KEY_LEN};
use snow::params::NoiseParams;

/// The client session's protocol name (hashed into every handshake).
pub const SESSION_PROTOCOL_NAME: &str = hush_wire::consts::NOISE_PARAMS;
/// The peers' protocol name.
pub const PEER_PROTOCOL_NAME: &str = hush_wire::consts::PEER_NOISE_PARAMS;

/// The name snow's parser accepts for each pattern (the KEM it names is
/// replaced by the resolver, and the name by [`HybridPattern::params`]).
const SESSION_PARSED: &str = "Noise_NXhfs_25519+Kyber1024_ChaChaPoly_BLAKE2s";
const PEER_PARSED: &str = "Noise_XXhfs_25519+Kyber1024_ChaChaPoly_BLAKE2s";

/// Bytes of an X25519 public key.
pub const DH_LEN: usize = 32;
/// Bytes of an AEAD tag.
pub const TAG_LEN: usize = 16;

/// Length of the initiator's first message in both patterns: `e` (32) and
/// `e1` (1,184), both in the clear (no key yet), and an empty payload.
pub const INITIATOR_FIRST_MESSAGE_LEN: usize = DH_LEN + PUBLIC_KEY_LEN;

const _: () = assert!(INITIATOR_FIRST_MESSAGE_LEN == hush_wire::consts::HANDSHAKE_INIT_LEN);
const _: () = assert!(PUBLIC_KEY_LEN == hush_wire::consts::KEM_PUBLIC_KEY_LEN);
const _: () = assert!(CIPHERTEXT_LEN == hush_wire::consts::KEM_CIPHERTEXT_LEN);

/// Length of the responder's message before its payload: `e` (32), the
/// encrypted `ekem1` (1,088 + 16), the encrypted `s` (32 + 16); the
/// payload then adds its own length and a 16-byte tag.
pub const RESPONDER_MESSAGE_OVERHEAD: usize =
    DH_LEN + CIPHERTEXT_LEN + TAG_LEN + DH_LEN + TAG_LEN + TAG_LEN;

/// One of hush's two hybrid patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HybridPattern {
    /// Client to enclave: the enclave alone has a static key (attested).
    Session,
    /// Enclave to enclave: both have static keys (both attested).
    Peer,
}

/// The client session's pattern.
pub const SESSION: HybridPattern = HybridPattern::Session;
/// The peers' pattern.
pub const PEER: HybridPattern = HybridPattern::Peer;

impl HybridPattern {
    /// The protocol name hashed into the handshake.
    pub fn name(self) -> &'static str {
        match self {
            HybridPattern::Session => SESSION_PROTOCOL_NAME,
            HybridPattern::Peer => PEER_PROTOCOL_NAME,
        }
    }

    /// snow's parameters for the pattern, under its real name.
    pub fn params(self) -> NoiseParams {
        let parsed = match self {
            HybridPattern::Session => SESSION_PARSED,
            HybridPattern::Peer => PEER_PARSED,
        };
        let mut params: NoiseParams = parsed
            .parse()
            .expect("a pattern snow 0.10 with `hfs` parses");
        params.name = self.name().to_owned();
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_are_what_is_hashed_and_differ_from_what_is_parsed() {
        for p in [SESSION, PEER] {
            let params = p.params();
            assert_eq!(params.name, p.name());
            assert!(params.handshake.is_hfs());
            assert!(p.name().contains("+MLKEM768_"));
        }
        assert_eq!(INITIATOR_FIRST_MESSAGE_LEN, 1216);
        assert_eq!(RESPONDER_MESSAGE_OVERHEAD, 1200);
    }
}

//! hush's Noise channel, shared by the enclave and every client: which
//! patterns the two sides run, and the snow resolver that supplies the
//! post-quantum half of them.
//!
//! Every channel hush opens is *hybrid*: Noise's `hfs` modifier adds an
//! ML-KEM-768 key exchange (FIPS 203) next to X25519, and both shared
//! secrets are mixed into the keys. A recording of a session made today
//! stays closed to someone who later breaks X25519 with a quantum
//! computer, because the keys also depend on the ML-KEM secret; and it
//! stays closed to someone who breaks ML-KEM alone, because they also
//! depend on X25519.
//!
//! - [`params`]: the client session's `NXhfs` pattern and the peers'
//!   `XXhfs` pattern, with their protocol names and message sizes;
//! - [`mlkem`]: ML-KEM-768 (Cryspen's formally verified `libcrux-ml-kem`) behind snow's `Kem`
//!   trait, with the encapsulation-key check FIPS 203 asks for;
//! - [`resolver`]: snow's default primitives plus that KEM.
//!
//! Why a crate of its own: the enclave (`hush-enclave`) and the clients
//! (`hush-client`, and through it the browser and Python packages) must
//! build byte-identical handshakes; one definition keeps them so.

pub mod mlkem;
pub mod params;
pub mod resolver;

pub use params::{
    HybridPattern, INITIATOR_FIRST_MESSAGE_LEN, PEER, PEER_PROTOCOL_NAME, SESSION,
    SESSION_PROTOCOL_NAME,
};
pub use resolver::HybridResolver;

/// Starts a snow builder for `pattern` with hush's resolver.
pub fn builder(pattern: HybridPattern) -> snow::Builder<'static> {
    snow::Builder::with_resolver(pattern.params(), Box::new(HybridResolver::new()))
}

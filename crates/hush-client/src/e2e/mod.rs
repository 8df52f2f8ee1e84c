//! End-to-end encryption of payloads: only the recipient can read what the
//! sender wrote, not the broker, the enclave or the operator.
//!
//! - Every [`crate::Identity`] has an X25519 encryption key, derived from
//!   its secret (so identity files made before this existed gain one),
//!   and signed by its signing key: its [`card`], which users exchange.
//! - [`seal`] makes a payload with HPKE (RFC 9180, `hpke` crate) in auth
//!   mode, X25519 / HKDF-SHA256 / ChaCha20-Poly1305: the recipient learns
//!   the author from the sealing itself. The envelope layout is in
//!   `hush_wire::EnvelopeHeader`: the author's encryption key and its
//!   signature travel in the clear so a recipient can check an author it
//!   has no card for, and the header, message id, sender and recipient
//!   are bound in as associated data, so a broker cannot move a ciphertext
//!   to another message or swap whose it is.
//! - The plaintext (kind, content, zeros) has one size, so the payload's
//!   bytes say nothing of the content's length.
//!
//! [`SealedPayload`] is the only payload type [`crate::Client`] sends: a
//! plaintext cannot go out by mistake. Tools that need raw bytes (the load
//! generator) say so with [`SealedPayload::unencrypted`].

pub mod card;
mod error;
pub mod safety_number;
pub mod seal;

pub use card::{VerifiedCard, card_for};
pub use error::E2eError;
pub use seal::{Opened, SealedPayload, open, seal, seal_with_rng};

/// HPKE suite: the KEM.
pub(crate) type Kem = hpke::kem::X25519HkdfSha256;
/// HPKE suite: the AEAD.
pub(crate) type Aead = hpke::aead::ChaCha20Poly1305;
/// HPKE suite: the KDF.
pub(crate) type Kdf = hpke::kdf::HkdfSha256;

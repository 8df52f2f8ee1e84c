//! The hush client library: attested sessions to a hush broker, key proofs,
//! typed broker operations, end-to-end encrypted payloads ([`e2e`]), named
//! identities and contacts.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hush_client::ClientError> {
//! use hush_client::{Client, Identity, e2e};
//! use hush_wire::{EnvelopeKind, EnvelopePlaintext};
//! let alice = Identity::generate("alice");
//! let bob = Identity::generate("bob");
//! // Bob hands alice his card (`hush id card bob`); she checks it.
//! let bobs_card = e2e::VerifiedCard::from_text(&e2e::card_for(&bob).to_text()).unwrap();
//! let policy = hush_attest::Policy::dev(); // local development only
//! let mut client = Client::connect("http://127.0.0.1:7878", policy, vec![alice.keypair()]).await?;
//! let hi = EnvelopePlaintext::new(EnvelopeKind::Text, b"hi bob")?;
//! client.send(&alice, &bobs_card, hush_client::new_message_id(), &hi).await?;
//! // Bob, in his own session: every message, opened.
//! let mut client = Client::connect("http://127.0.0.1:7878", hush_attest::Policy::dev(), vec![bob.keypair()]).await?;
//! for m in client.inbox(bob.public()).await? {
//!     let opened = e2e::open(&bob, &m)?;
//!     println!("{}", String::from_utf8_lossy(&opened.content));
//! }
//! # Ok(()) }
//! ```

// Without `native` (the browser build) only the transport-independent core
// is built: sessions, key proofs, identities and end-to-end sealing.
#[cfg(feature = "native")]
pub mod accounts;
#[cfg(feature = "native")]
mod client;
#[cfg(feature = "native")]
pub mod computations;
#[cfg(feature = "native")]
pub mod contacts;
#[cfg(feature = "native")]
pub mod directory;
pub mod e2e;
mod error;
#[cfg(feature = "native")]
pub mod fanout;
#[cfg(feature = "native")]
pub mod groups;
pub mod identity;
#[cfg(feature = "native")]
mod json_file;
#[cfg(feature = "native")]
pub mod keystore;
#[cfg(feature = "native")]
pub mod link;
#[cfg(feature = "native")]
pub mod media;
#[cfg(feature = "native")]
pub mod passphrase;
#[cfg(feature = "native")]
mod private_file;
#[cfg(feature = "native")]
pub mod read_state;
#[cfg(feature = "native")]
pub mod rendezvous;
pub mod session;
#[cfg(feature = "native")]
pub mod status;
#[cfg(feature = "native")]
mod tcp;
pub mod token_issuance;
#[cfg(feature = "native")]
pub mod tokens;

#[cfg(feature = "native")]
pub use client::{
    Client, DEFAULT_ATTEMPTS, Deadline, INBOX_REQUESTS, MAX_GRPC_MESSAGE, Read, server_url,
};
#[cfg(feature = "native")]
pub use contacts::{Contact, Contacts};
pub use e2e::{Opened, SealedPayload, VerifiedCard};
pub use error::{ClientError, Tried};
pub use identity::Identity;
#[cfg(feature = "native")]
pub use identity::Keystore;

/// A fresh random message id.
pub fn new_message_id() -> hush_wire::MessageId {
    loop {
        if let Ok(id) = hush_wire::MessageId::new(rand::random()) {
            return id;
        }
    }
}

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

pub mod accounts;
mod client;
pub mod computations;
pub mod contacts;
pub mod directory;
pub mod e2e;
mod error;
pub mod fanout;
pub mod groups;
pub mod identity;
mod json_file;
pub mod media;
pub mod passphrase;
pub mod read_state;
pub mod rendezvous;
pub mod session;
pub mod status;

pub use client::{Client, DEFAULT_ATTEMPTS, INBOX_REQUESTS, MAX_GRPC_MESSAGE, Read, server_url};
pub use contacts::{Contact, Contacts};
pub use e2e::{Opened, SealedPayload, VerifiedCard};
pub use error::ClientError;
pub use identity::{Identity, Keystore};

/// A fresh random message id.
pub fn new_message_id() -> hush_wire::MessageId {
    loop {
        if let Ok(id) = hush_wire::MessageId::new(rand::random()) {
            return id;
        }
    }
}

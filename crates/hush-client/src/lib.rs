//! The hush client library: attested sessions to a hush broker, key proofs,
//! typed broker operations, payload framing, and named identities.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hush_client::ClientError> {
//! use hush_client::{Client, Identity};
//! use hush_wire::{MessageId, Payload};
//! let alice = Identity::generate("alice");
//! let bob = Identity::generate("bob");
//! let policy = hush_attest::Policy::dev(); // local development only
//! let mut client = Client::connect("http://127.0.0.1:7878", policy, vec![alice.keypair()]).await?;
//! let id = MessageId::new(rand::random()).expect("non-zero");
//! client.create(alice.public(), id, bob.public(), Payload::frame(b"hi bob")?).await?;
//! # Ok(()) }
//! ```

mod client;
mod error;
pub mod identity;
pub mod session;

pub use client::{Client, DEFAULT_ATTEMPTS, MAX_GRPC_MESSAGE, Read};
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

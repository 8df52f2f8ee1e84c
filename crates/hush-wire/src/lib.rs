//! The hush wire format, shared by the trusted core, the host and clients.
//!
//! Everything that crosses a boundary has exactly one encoding, defined here
//! through one trait, [`codec::FixedCodec`]: every type has a fixed length,
//! so every request record is the same size and every response record is the
//! same size, whatever the operation and its outcome (DESIGN.md, rule 1).
//!
//! Layouts (all integers little-endian):
//!
//! | record | layout | bytes |
//! |---|---|---|
//! | [`Message`] | id 16 \| sender 32 \| recipient 32 \| timestamp 8 \| payload 936 | 1024 |
//! | [`RequestRecord`] | op 1 \| reserved 7 \| id 16 \| acting-as key 32 \| recipient 32 \| payload 936 | 1024 |
//! | [`ResponseRecord`] | status 1 \| listing count 1 \| reserved 6 \| message 1024 \| listing 62 x id 16 | 2024 |
//! | [`EnvelopeHeader`] + ciphertext | a payload sealed end to end (see `envelope`) | 936 |
//! | [`Card`] | signing key 32 \| encryption key 32 \| signature 64 | 128 |
//!
//! Reserved bytes are written as zero and must be zero when read.
//!
//! [`tcp`] frames the broker's sealed requests for the plain-TCP transport.

pub mod blob_transfer;
mod card;
pub mod codec;
pub mod consts;
pub mod directory;
mod envelope;
mod error;
pub mod group;
#[cfg(feature = "grpc")]
pub mod grpc;
mod ids;
mod keys;
pub mod media;
mod message;
mod payload;
pub mod rendezvous;
mod request;
mod response;
mod session;
mod status;
pub mod tcp;
pub mod tokens;

pub use card::Card;
pub use codec::FixedCodec;
pub use envelope::{AuthorRole, EnvelopeHeader, EnvelopeKind, EnvelopePlaintext};
pub use error::WireError;
pub use ids::MessageId;
pub use keys::PublicKey;
pub use message::{Message, Timestamp};
pub use payload::Payload;
pub use request::{Op, PolicyAction, Request, RequestRecord};
pub use response::{MailboxListing, Response, ResponseRecord};
pub use session::{
    KeyProof, KeyProofRequest, KeyProofResponse, KeyProofStatus, SealedFrame, SessionId, Signature,
};
pub use status::Status;

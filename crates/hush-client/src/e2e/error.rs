//! Why a payload could not be sealed or opened.

use hush_wire::{PublicKey, WireError};
use thiserror::Error;

/// End-to-end encryption failures. Opening never changes the message: it
/// stays in the mailbox whatever goes wrong here.
#[derive(Debug, Error)]
pub enum E2eError {
    /// A card whose signature does not verify.
    #[error(
        "the contact card for {0} is not signed by its own key: it was altered or is not a hush card"
    )]
    BadCard(PublicKey),
    /// The message is addressed to another key.
    #[error("this message is for {recipient}, not for this identity ({me})")]
    NotForMe {
        /// The message's recipient.
        recipient: PublicKey,
        /// The identity trying to open it.
        me: PublicKey,
    },
    /// The payload is not an envelope this client reads.
    #[error(
        "the payload is not an end-to-end envelope ({0}); it may come from an old or foreign client"
    )]
    NotAnEnvelope(WireError),
    /// The author's encryption key is not signed by the author.
    #[error("the author's encryption key is not signed by {0}: the message is forged or corrupted")]
    BadAuthorKey(PublicKey),
    /// HPKE refused the ciphertext.
    #[error(
        "the message does not decrypt: it was tampered with, or was not sealed for this identity"
    )]
    Decrypt,
    /// The decrypted plaintext is malformed.
    #[error("the decrypted message is malformed: {0}")]
    Plaintext(WireError),
    /// The content does not fit an envelope.
    #[error("{0}")]
    TooLong(WireError),
    /// HPKE failed while sealing.
    #[error("sealing failed: {0}")]
    Seal(String),
}

//! Attested encrypted sessions between clients and the trusted core.
//!
//! 1. [`noise`]: the Noise NXhfs handshake (X25519 and ML-KEM-768); the enclave's second message
//!    carries attestation evidence binding its static key.
//! 2. [`key_proof`]: the client proves possession of up to four keys by
//!    signing the handshake hash.
//! 3. Requests and responses travel as fixed-size sealed frames with
//!    explicit nonces ([`replay`] rejects replays), so concurrent requests
//!    of one session may arrive in any order.
//! 4. [`table`]: the bounded session table (maximum size, idle expiry,
//!    oldest-idle eviction that spares sessions that sent key proofs while
//!    half the table is half-open, and those that presented tokens first,
//!    whether or not they held).
//!
//! [`proven_keys`] holds a session's keys in fixed slots, checked and
//! merged in constant time; [`key_proof::check_request`] verifies a
//! request with constant work (always four signature checks).

pub mod key_proof;
pub mod noise;
pub mod proven_keys;
pub mod replay;
pub mod table;

use thiserror::Error;

/// Why a session operation failed. Each reveals only that the client (or
/// whoever sent the bytes) is broken or late, never anything about data.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SessionError {
    /// The handshake message was malformed.
    #[error("malformed handshake message: {0}")]
    BadHandshake(&'static str),
    /// No such session: it expired, was evicted, or the enclave restarted.
    #[error("unknown or expired session; start a new handshake")]
    UnknownSession,
    /// The frame had the wrong length.
    #[error("frame must be exactly {expected} bytes, got {actual}")]
    FrameLength {
        /// Required length.
        expected: usize,
        /// Received length.
        actual: usize,
    },
    /// The frame did not decrypt (wrong key, tampered, or garbage).
    #[error("frame failed authentication")]
    BadFrame,
    /// The frame's nonce was already used or is too old.
    #[error("replayed or too old frame nonce")]
    Replay,
    /// The enclave could not build its side of the handshake.
    #[error("handshake failed inside the enclave")]
    Internal,
    /// A replica executes requests only through the replicated log.
    #[error("this enclave is a replica: requests go through the replicated log")]
    Replicated,
    /// No begun broker request has this ticket: it was finished already,
    /// or never begun (a bug in the host).
    #[error("no broker request with this ticket is waiting to finish")]
    UnknownTicket,
}

//! Errors of parsing wire data.

use thiserror::Error;

/// Why bytes could not be parsed as a wire type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// The input had the wrong length for the type.
    #[error("{what} must be exactly {expected} bytes, got {actual}")]
    WrongLength {
        /// The type being parsed.
        what: &'static str,
        /// Its fixed length.
        expected: usize,
        /// The length received.
        actual: usize,
    },
    /// A message id of all zero bytes; ids must be non-zero.
    #[error("a message id must not be all zero bytes")]
    ZeroId,
    /// A public key of all zero bytes (the identity point) is not a key.
    #[error("a public key must not be all zero bytes")]
    ZeroKey,
    /// An op code that names no operation.
    #[error("unknown op code {0}")]
    UnknownOp(u8),
    /// A status code that names no status.
    #[error("unknown status code {0}")]
    UnknownStatus(u8),
    /// Reserved bytes were not zero.
    #[error("reserved bytes of {0} must be zero")]
    NonZeroReserved(&'static str),
    /// A listing count larger than a mailbox can hold.
    #[error("mailbox listing count {0} exceeds the mailbox capacity")]
    ListingTooLong(u8),
    /// Content too long to be framed into a payload.
    #[error("content of {len} bytes does not fit a payload (at most {max} bytes)")]
    ContentTooLong {
        /// The content length given.
        len: usize,
        /// The largest content a payload can frame.
        max: usize,
    },
    /// A framed payload whose length header exceeds the payload.
    #[error("framed payload declares {declared} bytes of content, at most {max} fit")]
    BadFrame {
        /// Declared content length.
        declared: usize,
        /// The largest content a payload can frame.
        max: usize,
    },
    /// An envelope of a layout this version does not know.
    #[error("envelope version {0} is not supported (this client reads version 1); upgrade hush")]
    EnvelopeVersion(u8),
    /// An envelope kind this version does not know.
    #[error("unknown envelope kind {0}")]
    UnknownKind(u8),
    /// An email address or phone number that is malformed.
    #[error("{0}")]
    InvalidIdentifier(&'static str),
    /// A request field that its op requires is missing or malformed.
    #[error("{0}")]
    InvalidRequest(&'static str),
    /// A frame of the TCP transport that is malformed (see `tcp`).
    #[error("malformed TCP frame: {0}")]
    TcpFrame(&'static str),
}

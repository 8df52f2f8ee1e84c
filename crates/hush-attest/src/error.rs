//! Attestation errors.

use thiserror::Error;

/// Why evidence could not be produced, parsed or accepted.
#[derive(Debug, Error)]
pub enum AttestError {
    /// Evidence bytes were malformed.
    #[error("malformed attestation evidence: {0}")]
    Malformed(&'static str),
    /// The evidence format is not accepted by the policy.
    #[error("attestation format {0} is not accepted by this client's policy{hint}", hint = if *.0 == "dev" { " (dev attestation proves nothing; allow it explicitly for local development)" } else { "" })]
    FormatRejected(&'static str),
    /// The measurement is not in the allow-list.
    #[error("enclave measurement {0} is not in this client's allow-list")]
    MeasurementRejected(String),
    /// The report data does not bind the key seen in the handshake.
    #[error(
        "attestation evidence does not bind the server's handshake key (possible man in the middle)"
    )]
    KeyNotBound,
    /// Quote verification for this hardware format is not implemented yet.
    #[error("verification of {0} quotes is not implemented yet")]
    Unverifiable(&'static str),
    /// The TSM interface failed.
    #[error("TSM report interface at {path}: {source}")]
    Tsm {
        /// The path being used.
        path: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The TSM provider is not one hush knows how to read.
    #[error("unsupported TSM provider {0:?} (expected tdx_guest or sev_guest)")]
    UnknownProvider(String),
    /// The quote returned by the TSM does not carry the report data asked for.
    #[error("the TSM returned a report that does not carry the requested report data")]
    ReportDataMismatch,
}

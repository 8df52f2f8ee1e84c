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
    /// The measurement is not in the policy.
    #[error("measurement {0} is not in this client's policy")]
    MeasurementRejected(String),
    /// The policy lists no build for this TEE.
    #[error("the policy accepts no {0} build (add a [[{0}]] entry to the policy file)")]
    NoRuleFor(&'static str),
    /// The TEE runs in debug mode.
    #[error(
        "the {0} TEE runs in debug mode (the host can read its memory); the policy does not allow debug"
    )]
    DebugRefused(&'static str),
    /// The platform's TCB status is not one the policy accepts.
    #[error("TCB status {status} is not accepted{}: the policy accepts {accepted}", if advisories.is_empty() { String::new() } else { format!(" (advisories {advisories})") })]
    TcbStatus {
        /// Intel's status for the platform (`OutOfDate`, ...).
        status: String,
        /// Advisories that apply.
        advisories: String,
        /// What the policy accepts.
        accepted: String,
    },
    /// A security version below the policy's minimum.
    #[error("TCB too low: {0}")]
    SvnTooLow(String),
    /// SEV-SNP guest policy bits differ from the policy's.
    #[error("{0}")]
    PolicyBits(String),
    /// The collateral is older than the policy allows.
    #[error(
        "collateral is {age_days} days old; the policy accepts at most {max_days} days (the operator must refresh it)"
    )]
    CollateralTooOld {
        /// Its age.
        age_days: u64,
        /// The policy's limit.
        max_days: u64,
    },
    /// Hardware evidence came without the collateral needed to check it.
    #[error(
        "the server sent {0} evidence without collateral, so it cannot be verified offline (the operator must provide it)"
    )]
    NoCollateral(&'static str),
    /// This build cannot verify hardware evidence (the browser client).
    #[error(
        "this client was built without hardware verification and cannot check {0} evidence; use the hush CLI or the Rust or Python client"
    )]
    HardwareNotBuilt(&'static str),
    /// The collateral does not parse.
    #[error("bad collateral: {0}")]
    Collateral(String),
    /// An Intel DCAP quote did not verify.
    #[error("Intel DCAP quote verification failed: {0}")]
    Dcap(String),
    /// An SEV-SNP report did not verify.
    #[error("SEV-SNP report verification failed: {0}")]
    Snp(String),
    /// The policy file is wrong.
    #[error("attestation policy: {0}")]
    Policy(String),
    /// The report data does not bind the key seen in the handshake.
    #[error(
        "attestation evidence does not bind the server's handshake key (possible man in the middle)"
    )]
    KeyNotBound,
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

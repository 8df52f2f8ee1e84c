//! Attestation evidence for hush: what the enclave presents in its Noise
//! handshake so a client knows it talks to genuine hush code in a TEE, and
//! that the Noise static key it sees belongs to that code.
//!
//! - [`Evidence`]: format, measurement, report data, and the raw quote.
//! - [`ReportData::for_noise_key`]: how the enclave's Noise static key is
//!   bound into the evidence.
//! - [`dev`]: in-process evidence with no hardware behind it, accepted only
//!   by a policy that explicitly allows it.
//! - [`tsm`]: a producer for the Linux TSM configfs interface (TDX, SEV-SNP).
//! - [`epoch_of`]: the enclave's epoch, derived from (and so bound like)
//!   its Noise static key.
//! - [`gramine`]: a producer for Gramine's `/dev/attestation` (SGX).
//! - [`dcap`] (TDX, SGX) and [`snp`] (SEV-SNP): offline verification of
//!   hardware evidence with the collateral the server hands over, into
//!   [`Claims`].
//! - [`collateral`]: the operator's collateral files.
//! - [`Policy`]: what a verifier accepts (a TOML file), judged on claims.

pub mod claims;
#[cfg(feature = "hardware")]
pub mod collateral;
#[cfg(feature = "hardware")]
pub mod dcap;
pub mod dev;
mod epoch;
mod error;
mod evidence;
pub mod gramine;
mod policy;
#[cfg(feature = "hardware")]
pub mod snp;
pub mod tsm;

pub use claims::{Claims, Measurements, SnpTcb, Tee};
pub use epoch::epoch_of;
pub use error::AttestError;
pub use evidence::{
    Evidence, Format, MAX_EVIDENCE_LEN, MAX_QUOTE_LEN, MEASUREMENT_LEN, Measurement,
    REPORT_DATA_LEN, ReportData,
};
pub use policy::{DEFAULT_MAX_COLLATERAL_AGE, Policy, Verified, hardware_claims};

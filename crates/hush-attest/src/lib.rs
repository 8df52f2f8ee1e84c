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
//! - [`Policy`]: what a verifier accepts. Verifying TDX/SNP quote signatures
//!   comes later; such evidence is refused until then.

pub mod dev;
mod epoch;
mod error;
mod evidence;
mod policy;
pub mod tsm;

pub use epoch::epoch_of;
pub use error::AttestError;
pub use evidence::{Evidence, Format, MEASUREMENT_LEN, Measurement, REPORT_DATA_LEN, ReportData};
pub use policy::Policy;

//! Dev evidence: produced in-process with no TEE behind it. It binds the
//! Noise static key like real evidence does, so the whole protocol runs the
//! same way, but it proves nothing about the code: a client accepts it only
//! under [`crate::Policy::dev`] and warns on every use.

use crate::{Evidence, Format, MEASUREMENT_LEN, Measurement, ReportData};
use blake2::digest::consts::U48;
use blake2::{Blake2b, Digest};

/// Provider name of dev evidence.
pub const DEV_PROVIDER: &str = "dev";

/// The measurement dev evidence reports: a hash naming this hush version.
pub fn dev_measurement() -> Measurement {
    let mut h = Blake2b::<U48>::new();
    h.update(b"hush.dev-enclave.");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let out: [u8; MEASUREMENT_LEN] = h.finalize().into();
    Measurement(out)
}

/// Dev evidence binding `noise_static_public`.
pub fn produce(noise_static_public: &[u8; 32]) -> Evidence {
    Evidence {
        format: Format::Dev,
        provider: DEV_PROVIDER.to_owned(),
        measurement: dev_measurement(),
        report_data: ReportData::for_noise_key(noise_static_public),
        quote: Vec::new(),
        collateral: Vec::new(),
    }
}

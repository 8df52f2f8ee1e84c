//! What a verifier accepts.

use crate::{AttestError, Evidence, Format, Measurement, ReportData};
use std::collections::HashSet;

/// A verification policy: accepted formats and allowed measurements.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    allow_dev: bool,
    measurements: HashSet<Measurement>,
}

impl Policy {
    /// Accepts hardware evidence whose measurement is in `measurements`.
    /// (Hardware quote verification is not implemented yet, so today such a
    /// policy refuses all evidence with a clear error.)
    pub fn hardware(measurements: impl IntoIterator<Item = Measurement>) -> Self {
        Self {
            allow_dev: false,
            measurements: measurements.into_iter().collect(),
        }
    }

    /// Accepts dev evidence (local development only: it proves nothing).
    pub fn dev() -> Self {
        Self {
            allow_dev: true,
            measurements: HashSet::new(),
        }
    }

    /// Whether dev evidence is accepted.
    pub fn allows_dev(&self) -> bool {
        self.allow_dev
    }

    /// Checks `evidence` and that it binds `noise_static_public`, the key
    /// the server used in the handshake.
    pub fn verify(
        &self,
        evidence: &Evidence,
        noise_static_public: &[u8; 32],
    ) -> Result<(), AttestError> {
        match evidence.format {
            Format::Dev if self.allow_dev => {
                tracing::warn!(
                    "accepting DEV attestation: the server's code and secrecy are NOT verified"
                );
            }
            Format::Dev => return Err(AttestError::FormatRejected("dev")),
            f @ (Format::Tdx | Format::SevSnp) => {
                if !self.measurements.contains(&evidence.measurement) {
                    return Err(AttestError::MeasurementRejected(
                        evidence.measurement.to_hex(),
                    ));
                }
                return Err(AttestError::Unverifiable(f.name()));
            }
        }
        if evidence.report_data != ReportData::for_noise_key(noise_static_public) {
            return Err(AttestError::KeyNotBound);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev;

    #[test]
    fn dev_only_when_allowed_and_key_must_match() {
        let key = [7u8; 32];
        let e = dev::produce(&key);
        assert!(Policy::dev().verify(&e, &key).is_ok());
        assert!(matches!(
            Policy::default().verify(&e, &key),
            Err(AttestError::FormatRejected("dev"))
        ));
        assert!(matches!(
            Policy::dev().verify(&e, &[8; 32]),
            Err(AttestError::KeyNotBound)
        ));
        let mut hw = e.clone();
        hw.format = Format::Tdx;
        assert!(matches!(
            Policy::dev().verify(&hw, &key),
            Err(AttestError::MeasurementRejected(_))
        ));
        let p = Policy::hardware([hw.measurement]);
        assert!(matches!(
            p.verify(&hw, &key),
            Err(AttestError::Unverifiable("tdx"))
        ));
    }
}

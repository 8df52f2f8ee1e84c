//! Evidence from Gramine's `/dev/attestation` pseudo-files, which an SGX
//! enclave run under Gramine exposes: check that `attestation_type` is
//! `dcap`, write the 64 bytes of report data to `user_report_data`, read
//! the DCAP quote from `quote`.

use crate::{
    AttestError, Evidence, Format, MEASUREMENT_LEN, Measurement, REPORT_DATA_LEN, ReportData,
};
use std::path::{Path, PathBuf};

/// Where Gramine exposes the interface.
pub const DEFAULT_ROOT: &str = "/dev/attestation";
/// The provider name this producer puts in its evidence.
pub const PROVIDER: &str = "gramine-dcap";
/// SGX quote (version 3): 48-byte header, then the enclave report body.
const SGX_BODY_AT: usize = 48;
/// MRENCLAVE inside the report body.
const SGX_MRENCLAVE_AT: usize = SGX_BODY_AT + 64;
/// Length of MRENCLAVE.
const MRENCLAVE_LEN: usize = 32;
/// REPORTDATA inside the report body.
const SGX_REPORT_DATA_AT: usize = SGX_BODY_AT + 320;

/// Produces SGX evidence through Gramine's attestation files.
#[derive(Debug, Clone)]
pub struct GramineProducer {
    root: PathBuf,
}

impl GramineProducer {
    /// A producer on `root` (normally [`DEFAULT_ROOT`]).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The producer on Gramine's interface, if this process has it.
    pub fn detect() -> Option<Self> {
        Path::new(DEFAULT_ROOT)
            .join("quote")
            .exists()
            .then(|| Self::new(DEFAULT_ROOT))
    }

    fn io(&self, path: &Path) -> impl FnOnce(std::io::Error) -> AttestError + '_ {
        let path = path.display().to_string();
        move |source| AttestError::Tsm { path, source }
    }

    /// Asks the enclave for a quote carrying `report_data`.
    pub fn produce(&self, report_data: &ReportData) -> Result<Evidence, AttestError> {
        let kind_path = self.root.join("attestation_type");
        let kind = std::fs::read_to_string(&kind_path).map_err(self.io(&kind_path))?;
        if kind.trim() != "dcap" {
            return Err(AttestError::UnknownProvider(format!(
                "gramine attestation type {:?} (hush needs dcap)",
                kind.trim()
            )));
        }
        let data_path = self.root.join("user_report_data");
        std::fs::write(&data_path, report_data.0).map_err(self.io(&data_path))?;
        let quote_path = self.root.join("quote");
        let quote = std::fs::read(&quote_path).map_err(self.io(&quote_path))?;
        if quote.len() < SGX_REPORT_DATA_AT + REPORT_DATA_LEN || quote.len() > crate::MAX_QUOTE_LEN
        {
            return Err(AttestError::Malformed(
                "gramine returned a quote of the wrong size",
            ));
        }
        let carried: [u8; REPORT_DATA_LEN] = quote
            [SGX_REPORT_DATA_AT..SGX_REPORT_DATA_AT + REPORT_DATA_LEN]
            .try_into()
            .expect("length");
        if carried != report_data.0 {
            return Err(AttestError::ReportDataMismatch);
        }
        let mut measurement = [0u8; MEASUREMENT_LEN];
        measurement[..MRENCLAVE_LEN]
            .copy_from_slice(&quote[SGX_MRENCLAVE_AT..SGX_MRENCLAVE_AT + MRENCLAVE_LEN]);
        Ok(Evidence {
            format: Format::Sgx,
            provider: PROVIDER.into(),
            measurement: Measurement(measurement),
            report_data: ReportData(carried),
            quote,
            collateral: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake `/dev/attestation`: Gramine writes the quote for the report
    /// data written; here the test plays Gramine, with a quote-shaped
    /// buffer carrying the expected report data and an MRENCLAVE.
    fn fake(kind: &str, quote: &[u8]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("attestation_type"), kind).unwrap();
        std::fs::write(d.path().join("user_report_data"), [0u8; 64]).unwrap();
        std::fs::write(d.path().join("quote"), quote).unwrap();
        d
    }

    #[test]
    fn reads_a_quote_and_checks_its_report_data() {
        let rd = ReportData::for_noise_key(&[5; 32]);
        let mut quote = vec![0u8; 1000];
        quote[SGX_REPORT_DATA_AT..SGX_REPORT_DATA_AT + 64].copy_from_slice(&rd.0);
        quote[SGX_MRENCLAVE_AT..SGX_MRENCLAVE_AT + 32].copy_from_slice(&[0xab; 32]);
        let d = fake("dcap\n", &quote);
        let e = GramineProducer::new(d.path()).produce(&rd).unwrap();
        assert_eq!((e.format, e.provider.as_str()), (Format::Sgx, PROVIDER));
        assert_eq!(e.quote, quote);
        assert_eq!(&e.measurement.0[..32], &[0xab; 32]);
        assert_eq!(
            std::fs::read(d.path().join("user_report_data")).unwrap(),
            rd.0,
            "the report data was handed to Gramine"
        );
        // A quote for other report data, another attestation type, no
        // interface, a truncated quote: each refused.
        let other = ReportData::for_noise_key(&[6; 32]);
        assert!(matches!(
            GramineProducer::new(d.path()).produce(&other),
            Err(AttestError::ReportDataMismatch)
        ));
        let epid = fake("epid", &quote);
        assert!(matches!(
            GramineProducer::new(epid.path()).produce(&rd),
            Err(AttestError::UnknownProvider(_))
        ));
        assert!(
            GramineProducer::new("/nonexistent/attestation")
                .produce(&rd)
                .is_err()
        );
        let short = fake("dcap", &quote[..100]);
        assert!(matches!(
            GramineProducer::new(short.path()).produce(&rd),
            Err(AttestError::Malformed(_))
        ));
    }
}

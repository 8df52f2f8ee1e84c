//! Evidence from the Linux TSM configfs interface
//! (`/sys/kernel/config/tsm/report`), which TDX and SEV-SNP guests expose:
//! create a report entry (a directory), write the report data to `inblob`,
//! read the quote from `outblob` and the backend's name from `provider`,
//! remove the entry. A few file operations, written here (the crates that
//! wrap them are AGPL).

use crate::{
    AttestError, Evidence, Format, MEASUREMENT_LEN, Measurement, REPORT_DATA_LEN, ReportData,
};
use std::path::{Path, PathBuf};

/// Where the kernel exposes the interface.
pub const DEFAULT_ROOT: &str = "/sys/kernel/config/tsm/report";

/// TDX quote: 48-byte header, then the TD report body.
const TDX_BODY_AT: usize = 48;
/// MRTD inside the TD report body.
const TDX_MRTD_AT: usize = TDX_BODY_AT + 136;
/// REPORTDATA inside the TD report body.
const TDX_REPORT_DATA_AT: usize = TDX_BODY_AT + 520;
/// SEV-SNP attestation report: REPORT_DATA offset.
const SNP_REPORT_DATA_AT: usize = 0x50;
/// SEV-SNP attestation report: MEASUREMENT offset.
const SNP_MEASUREMENT_AT: usize = 0x90;

/// Produces evidence through a TSM report directory.
#[derive(Debug, Clone)]
pub struct TsmProducer {
    root: PathBuf,
}

impl TsmProducer {
    /// A producer on `root` (normally [`DEFAULT_ROOT`]).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The producer on the kernel's interface, if this machine has it.
    pub fn detect() -> Option<Self> {
        Path::new(DEFAULT_ROOT)
            .is_dir()
            .then(|| Self::new(DEFAULT_ROOT))
    }

    fn io(&self, path: &Path) -> impl FnOnce(std::io::Error) -> AttestError + '_ {
        let path = path.display().to_string();
        move |source| AttestError::Tsm { path, source }
    }

    /// Asks the TEE for a report carrying `report_data`.
    pub fn produce(&self, report_data: &ReportData) -> Result<Evidence, AttestError> {
        let entry = self.root.join(format!(
            "hush-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        // An existing entry may be reused: writing inblob regenerates the report.
        if let Err(e) = std::fs::create_dir(&entry) {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(self.io(&entry)(e));
            }
        }
        let result = self.read_report(&entry, report_data);
        // configfs removes an entry with rmdir; ignore failures (a leftover
        // entry is harmless and is reused or removed by the operator).
        let _ = std::fs::remove_dir(&entry);
        result
    }

    /// Writes the report data and reads the report back from `entry`.
    pub fn read_report(
        &self,
        entry: &Path,
        report_data: &ReportData,
    ) -> Result<Evidence, AttestError> {
        let inblob = entry.join("inblob");
        std::fs::write(&inblob, report_data.0).map_err(self.io(&inblob))?;
        let outblob = entry.join("outblob");
        let quote = std::fs::read(&outblob).map_err(self.io(&outblob))?;
        let provider_path = entry.join("provider");
        let provider = std::fs::read_to_string(&provider_path).map_err(self.io(&provider_path))?;
        let provider = provider.trim().to_owned();
        let (format, measurement_at, data_at) = match provider.as_str() {
            "tdx_guest" => (Format::Tdx, TDX_MRTD_AT, TDX_REPORT_DATA_AT),
            "sev_guest" => (Format::SevSnp, SNP_MEASUREMENT_AT, SNP_REPORT_DATA_AT),
            _ => return Err(AttestError::UnknownProvider(provider)),
        };
        let field = |at: usize, len: usize| {
            quote
                .get(at..at + len)
                .ok_or(AttestError::Malformed("TSM report too short"))
        };
        let measurement = Measurement(
            field(measurement_at, MEASUREMENT_LEN)?
                .try_into()
                .expect("length"),
        );
        let carried = ReportData(field(data_at, REPORT_DATA_LEN)?.try_into().expect("length"));
        if carried != *report_data {
            return Err(AttestError::ReportDataMismatch);
        }
        Ok(Evidence {
            format,
            provider,
            measurement,
            report_data: carried,
            quote,
            // The host attaches the operator's collateral (hushd's
            // `--attestation-collateral`).
            collateral: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lays out an entry as the kernel would after the inblob write.
    fn fake_entry(root: &Path, name: &str, provider: &str, quote: &[u8]) -> PathBuf {
        let entry = root.join(name);
        std::fs::create_dir_all(&entry).unwrap();
        std::fs::write(entry.join("provider"), format!("{provider}\n")).unwrap();
        std::fs::write(entry.join("outblob"), quote).unwrap();
        entry
    }

    #[test]
    fn reads_tdx_and_snp_reports_from_a_tsm_layout() {
        let dir = tempfile::tempdir().unwrap();
        let producer = TsmProducer::new(dir.path());
        let rd = ReportData::for_noise_key(&[4; 32]);

        let mut tdx = vec![0u8; 1024];
        tdx[TDX_MRTD_AT..TDX_MRTD_AT + 48].fill(0xaa);
        tdx[TDX_REPORT_DATA_AT..TDX_REPORT_DATA_AT + 64].copy_from_slice(&rd.0);
        let entry = fake_entry(dir.path(), "a", "tdx_guest", &tdx);
        let e = producer.read_report(&entry, &rd).unwrap();
        assert_eq!((e.format, e.measurement.0), (Format::Tdx, [0xaa; 48]));
        assert_eq!(std::fs::read(entry.join("inblob")).unwrap(), rd.0);

        let mut snp = vec![0u8; 0x4a0];
        snp[SNP_MEASUREMENT_AT..SNP_MEASUREMENT_AT + 48].fill(0xbb);
        snp[SNP_REPORT_DATA_AT..SNP_REPORT_DATA_AT + 64].copy_from_slice(&rd.0);
        let entry = fake_entry(dir.path(), "b", "sev_guest", &snp);
        let e = producer.read_report(&entry, &rd).unwrap();
        assert_eq!((e.format, e.measurement.0), (Format::SevSnp, [0xbb; 48]));

        // A report for other data, an unknown provider, a short report.
        let other = ReportData::for_noise_key(&[5; 32]);
        assert!(matches!(
            producer.read_report(&entry, &other),
            Err(AttestError::ReportDataMismatch)
        ));
        let entry = fake_entry(dir.path(), "c", "mystery", &snp);
        assert!(matches!(
            producer.read_report(&entry, &rd),
            Err(AttestError::UnknownProvider(_))
        ));
        let entry = fake_entry(dir.path(), "d", "tdx_guest", &[0; 100]);
        assert!(matches!(
            producer.read_report(&entry, &rd),
            Err(AttestError::Malformed(_))
        ));
    }

    #[test]
    fn produce_creates_and_removes_an_entry_and_reports_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        // A plain directory has no kernel behind it: outblob never appears.
        let err = TsmProducer::new(dir.path())
            .produce(&ReportData([1; 64]))
            .unwrap_err();
        assert!(matches!(err, AttestError::Tsm { .. }), "{err}");
        let missing = TsmProducer::new(dir.path().join("absent"));
        assert!(matches!(
            missing.produce(&ReportData([1; 64])),
            Err(AttestError::Tsm { .. })
        ));
    }
}

//! The evidence type and its encoding.
//!
//! Encoding (little-endian): format 1 | provider length 1 | provider |
//! measurement 48 | report data 64 | quote length 4 | quote | collateral
//! length 4 | collateral. At most [`MAX_EVIDENCE_LEN`] bytes in all (it
//! travels in the Noise handshake reply, at most 64 KiB).
//!
//! The measurement and report data here are what the producer read from
//! its quote, for display; a verifier takes them from the verified quote.

use crate::AttestError;
use blake2::digest::consts::U64;
use blake2::{Blake2b, Digest};

/// Length of a measurement (TDX MRTD and SNP MEASUREMENT are 48 bytes).
pub const MEASUREMENT_LEN: usize = 48;
/// Length of report data (TDX REPORTDATA, SNP REPORT_DATA).
pub const REPORT_DATA_LEN: usize = 64;
/// Largest encoded evidence accepted.
pub const MAX_EVIDENCE_LEN: usize = 60 * 1024;
/// Largest quote or report accepted.
pub const MAX_QUOTE_LEN: usize = 16 * 1024;
/// Longest provider name.
const MAX_PROVIDER_LEN: usize = 32;
/// Domain separation for binding a Noise static key into report data.
const REPORT_DATA_DOMAIN: &[u8] = b"hush.attest.noise-static-key.v1";

/// The kind of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// In-process, unauthenticated (local development only).
    Dev,
    /// Intel TDX quote from the Linux TSM interface.
    Tdx,
    /// AMD SEV-SNP attestation report from the Linux TSM interface.
    SevSnp,
    /// Intel SGX DCAP quote (Gramine's `/dev/attestation`).
    Sgx,
}

impl Format {
    /// Name used in messages and configuration.
    pub fn name(self) -> &'static str {
        match self {
            Format::Dev => "dev",
            Format::Tdx => "tdx",
            Format::SevSnp => "sev-snp",
            Format::Sgx => "sgx",
        }
    }

    fn code(self) -> u8 {
        match self {
            Format::Dev => 1,
            Format::Tdx => 2,
            Format::SevSnp => 3,
            Format::Sgx => 4,
        }
    }

    fn from_code(c: u8) -> Result<Self, AttestError> {
        match c {
            1 => Ok(Format::Dev),
            2 => Ok(Format::Tdx),
            3 => Ok(Format::SevSnp),
            4 => Ok(Format::Sgx),
            _ => Err(AttestError::Malformed("unknown evidence format")),
        }
    }
}

/// A TEE measurement of the code that runs (hex when shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Measurement(pub [u8; MEASUREMENT_LEN]);

impl Measurement {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// The 64 bytes of user data a TEE report carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportData(pub [u8; REPORT_DATA_LEN]);

impl ReportData {
    /// The report data that binds a Noise static public key.
    pub fn for_noise_key(static_public: &[u8; 32]) -> Self {
        let mut h = Blake2b::<U64>::new();
        h.update(REPORT_DATA_DOMAIN);
        h.update(static_public);
        Self(h.finalize().into())
    }
}

/// Attestation evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Kind of evidence.
    pub format: Format,
    /// Provider as named by the producer (e.g. `tdx_guest`, `dev`).
    pub provider: String,
    /// Measurement of the enclave's code.
    pub measurement: Measurement,
    /// Report data (binds the Noise static key).
    pub report_data: ReportData,
    /// The raw quote or report (empty for dev evidence).
    pub quote: Vec<u8>,
    /// What a verifier needs besides the quote, provided by the operator:
    /// PCCS collateral JSON for TDX and SGX, the VCEK certificate (DER)
    /// for SEV-SNP; empty for dev evidence.
    pub collateral: Vec<u8>,
}

impl Evidence {
    /// Encodes the evidence.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.provider.len() + 116 + self.quote.len());
        out.push(self.format.code());
        out.push(self.provider.len() as u8);
        out.extend_from_slice(self.provider.as_bytes());
        out.extend_from_slice(&self.measurement.0);
        out.extend_from_slice(&self.report_data.0);
        out.extend_from_slice(&(self.quote.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.quote);
        out.extend_from_slice(&(self.collateral.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.collateral);
        out
    }

    /// Parses evidence, rejecting anything malformed or oversized.
    pub fn decode(bytes: &[u8]) -> Result<Self, AttestError> {
        if bytes.len() > MAX_EVIDENCE_LEN {
            return Err(AttestError::Malformed("evidence too large"));
        }
        let mut r = bytes;
        let mut take = |n: usize| -> Result<&[u8], AttestError> {
            if r.len() < n {
                return Err(AttestError::Malformed("evidence truncated"));
            }
            let (head, tail) = r.split_at(n);
            r = tail;
            Ok(head)
        };
        let format = Format::from_code(take(1)?[0])?;
        let plen = take(1)?[0] as usize;
        if plen > MAX_PROVIDER_LEN {
            return Err(AttestError::Malformed("provider name too long"));
        }
        let provider = std::str::from_utf8(take(plen)?)
            .map_err(|_| AttestError::Malformed("provider name is not UTF-8"))?
            .to_owned();
        let measurement = Measurement(take(MEASUREMENT_LEN)?.try_into().expect("length"));
        let report_data = ReportData(take(REPORT_DATA_LEN)?.try_into().expect("length"));
        let qlen = u32::from_le_bytes(take(4)?.try_into().expect("length")) as usize;
        if qlen > MAX_QUOTE_LEN {
            return Err(AttestError::Malformed("quote too large"));
        }
        let quote = take(qlen)?.to_vec();
        let clen = u32::from_le_bytes(take(4)?.try_into().expect("length")) as usize;
        let collateral = take(clen)?.to_vec();
        if !r.is_empty() {
            return Err(AttestError::Malformed("trailing bytes after evidence"));
        }
        Ok(Self {
            format,
            provider,
            measurement,
            report_data,
            quote,
            collateral,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_and_rejects_malformed() {
        let e = Evidence {
            format: Format::Tdx,
            provider: "tdx_guest".into(),
            measurement: Measurement([3; MEASUREMENT_LEN]),
            report_data: ReportData::for_noise_key(&[9; 32]),
            quote: vec![1, 2, 3],
            collateral: vec![4, 5],
        };
        let b = e.encode();
        assert_eq!(Evidence::decode(&b).unwrap(), e);
        assert!(Evidence::decode(&b[..b.len() - 1]).is_err());
        let mut longer = b.clone();
        longer.push(0);
        assert!(Evidence::decode(&longer).is_err());
        let mut bad = b.clone();
        bad[0] = 9;
        assert!(Evidence::decode(&bad).is_err());
        assert!(Evidence::decode(&[]).is_err());
        assert!(Evidence::decode(&vec![1u8; MAX_EVIDENCE_LEN + 1]).is_err());
    }

    #[test]
    fn report_data_binds_the_key() {
        assert_ne!(
            ReportData::for_noise_key(&[1; 32]),
            ReportData::for_noise_key(&[2; 32])
        );
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Evidence::decode(&bytes);
        }
    }
}

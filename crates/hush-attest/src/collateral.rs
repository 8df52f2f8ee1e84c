//! The collateral an operator provides (these machines cannot fetch it):
//! for TDX and SGX the PCCS collateral JSON (`QuoteCollateralV3`: TCB info,
//! QE identity, CRLs and issuer chains), for SEV-SNP the VCEK certificate
//! from AMD's KDS (DER or PEM). hushd reads it at start and hands it to
//! clients with the evidence.

use crate::{AttestError, Format, dcap, snp};
use std::path::Path;
use x509_cert::der::{Decode, DecodePem, Encode};

/// Reads `path` (a file, or a directory holding `collateral.json` for
/// TDX and SGX, `vcek.der` or `vcek.pem` for SEV-SNP) and checks that it
/// parses as collateral for `format`; returns the bytes to send.
pub fn load(path: &Path, format: Format) -> Result<Vec<u8>, AttestError> {
    let file = if path.is_dir() {
        let names: &[&str] = match format {
            Format::SevSnp => &["vcek.der", "vcek.pem"],
            _ => &["collateral.json"],
        };
        names
            .iter()
            .map(|n| path.join(n))
            .find(|p| p.exists())
            .ok_or_else(|| {
                AttestError::Collateral(format!(
                    "{} holds none of {}",
                    path.display(),
                    names.join(", ")
                ))
            })?
    } else {
        path.to_owned()
    };
    let bytes = std::fs::read(&file)
        .map_err(|e| AttestError::Collateral(format!("cannot read {}: {e}", file.display())))?;
    parse(&bytes, format).map_err(|e| AttestError::Collateral(format!("{}: {e}", file.display())))
}

/// Checks `bytes` as collateral for `format`, in the form sent to clients
/// (PEM certificates become DER).
pub fn parse(bytes: &[u8], format: Format) -> Result<Vec<u8>, AttestError> {
    match format {
        Format::Tdx | Format::Sgx => {
            dcap::parse_collateral(bytes)?;
            Ok(bytes.to_vec())
        }
        Format::SevSnp => {
            let cert = if bytes.starts_with(b"-----BEGIN") {
                x509_cert::Certificate::from_pem(bytes)
            } else {
                x509_cert::Certificate::from_der(bytes)
            }
            .map_err(|e| AttestError::Collateral(format!("VCEK certificate: {e}")))?;
            let der = cert
                .to_der()
                .map_err(|e| AttestError::Collateral(format!("VCEK certificate: {e}")))?;
            if der.len() > snp::MAX_VCEK_LEN {
                return Err(AttestError::Malformed("VCEK certificate too large"));
            }
            Ok(der)
        }
        Format::Dev => Err(AttestError::Collateral(
            "dev evidence takes no collateral".into(),
        )),
    }
}

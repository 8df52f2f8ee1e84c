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

#[cfg(test)]
mod tests {
    use super::*;
    use x509_cert::der::EncodePem;

    const TDX_COLLATERAL: &[u8] = include_bytes!("../testdata/tdx_quote_collateral.json");
    const VCEK: &[u8] = include_bytes!("../testdata/vcek_milan.der");

    #[test]
    fn files_and_directories_load_and_bad_ones_are_named() {
        let d = tempfile::tempdir().unwrap();
        // A directory with collateral.json, or the file itself.
        std::fs::write(d.path().join("collateral.json"), TDX_COLLATERAL).unwrap();
        assert_eq!(load(d.path(), Format::Tdx).unwrap(), TDX_COLLATERAL);
        assert_eq!(
            load(&d.path().join("collateral.json"), Format::Sgx).unwrap(),
            TDX_COLLATERAL
        );
        // A VCEK as PEM becomes the DER clients get.
        let pem = x509_cert::Certificate::from_der(VCEK)
            .unwrap()
            .to_pem(x509_cert::der::pem::LineEnding::LF)
            .unwrap();
        std::fs::write(d.path().join("vcek.pem"), pem).unwrap();
        assert_eq!(load(d.path(), Format::SevSnp).unwrap(), VCEK);
        // Missing, damaged, wrong kind, dev: each says what and where.
        let empty = tempfile::tempdir().unwrap();
        let e = load(empty.path(), Format::SevSnp).unwrap_err().to_string();
        assert!(e.contains("vcek.der, vcek.pem"), "{e}");
        std::fs::write(d.path().join("bad.json"), b"{").unwrap();
        let e = load(&d.path().join("bad.json"), Format::Tdx)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bad.json") && e.contains("DCAP collateral"),
            "{e}"
        );
        assert!(load(&d.path().join("collateral.json"), Format::SevSnp).is_err());
        assert!(parse(VCEK, Format::Dev).is_err());
    }
}

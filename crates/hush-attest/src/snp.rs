//! AMD SEV-SNP attestation reports, verified offline with the `sev` crate:
//! the VCEK certificate (the collateral the server hands over, as AMD's KDS
//! serves it, DER) must chain to AMD's ARK and ASK for Milan, Genoa or
//! Turin (built into `sev`), be valid at the verification time, and sign
//! the report. The report must be in its canonical form, so the bytes that
//! were checked are the bytes received.

use crate::AttestError;
use crate::claims::{Claims, Measurements, SnpTcb, Tee};
use sev::certs::snp::{Certificate, Chain, Verifiable, builtin, ca};
use sev::firmware::guest::AttestationReport;
use sev::parser::ByteParser;
use x509_cert::der::Decode;

/// Length of an SNP attestation report.
pub const REPORT_LEN: usize = 0x4a0;
/// Largest VCEK certificate accepted.
pub const MAX_VCEK_LEN: usize = 4096;

/// The AMD product families whose roots are trusted, with their ARK and ASK.
pub type Roots = Vec<(&'static str, ca::Chain)>;

/// AMD's roots for every product `sev` knows.
pub fn amd_roots() -> Result<Roots, AttestError> {
    let chain = |ark: std::io::Result<Certificate>, ask: std::io::Result<Certificate>| {
        Ok::<_, AttestError>(ca::Chain {
            ark: ark.map_err(|e| AttestError::Snp(format!("built-in ARK: {e}")))?,
            ask: ask.map_err(|e| AttestError::Snp(format!("built-in ASK: {e}")))?,
        })
    };
    Ok(vec![
        (
            "milan",
            chain(builtin::milan::ark(), builtin::milan::ask())?,
        ),
        (
            "genoa",
            chain(builtin::genoa::ark(), builtin::genoa::ask())?,
        ),
        (
            "turin",
            chain(builtin::turin::ark(), builtin::turin::ask())?,
        ),
    ])
}

/// Verifies `report` with its VCEK (`vcek_der`) at `now` against AMD's
/// roots.
pub fn verify(report: &[u8], vcek_der: &[u8], now: u64) -> Result<Claims, AttestError> {
    verify_with_roots(&amd_roots()?, report, vcek_der, now)
}

/// Like [`verify`], against the given roots (tests use the wrong ones).
pub fn verify_with_roots(
    roots: &Roots,
    report: &[u8],
    vcek_der: &[u8],
    now: u64,
) -> Result<Claims, AttestError> {
    if report.len() != REPORT_LEN {
        return Err(AttestError::Malformed(
            "an SEV-SNP report is exactly 1184 bytes",
        ));
    }
    if vcek_der.len() > MAX_VCEK_LEN {
        return Err(AttestError::Malformed("VCEK certificate too large"));
    }
    let parsed = AttestationReport::from_bytes(report)
        .map_err(|e| AttestError::Snp(format!("report does not parse: {e}")))?;
    if parsed.to_bytes().ok().as_ref().map(|b| &b[..]) != Some(report) {
        return Err(AttestError::Malformed(
            "an SEV-SNP report with non-canonical fields",
        ));
    }
    let x509 = x509_cert::Certificate::from_der(vcek_der)
        .map_err(|e| AttestError::Collateral(format!("VCEK certificate: {e}")))?;
    let validity = &x509.tbs_certificate.validity;
    let not_before = validity.not_before.to_unix_duration().as_secs();
    let not_after = validity.not_after.to_unix_duration().as_secs();
    if now < not_before || now > not_after {
        return Err(AttestError::Snp(format!(
            "the VCEK certificate is not valid at the verification time (valid {} to {})",
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(not_before)
            ),
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(not_after)
            ),
        )));
    }
    let vcek = Certificate::from_der(vcek_der)
        .map_err(|e| AttestError::Collateral(format!("VCEK certificate: {e}")))?;
    let family = roots
        .iter()
        .find(|(_, ca)| {
            Chain {
                ca: ca.clone(),
                vek: vcek.clone(),
            }
            .verify()
            .is_ok()
        })
        .ok_or_else(|| {
            AttestError::Snp(format!(
                "the VCEK certificate does not chain to AMD's ARK and ASK ({})",
                roots.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ))
        })?;
    let chain = Chain {
        ca: family.1.clone(),
        vek: vcek,
    };
    (&chain, &parsed).verify().map_err(|_| {
        AttestError::Snp("the report's signature does not verify with the VCEK".into())
    })?;
    let policy = u64::from(parsed.policy);
    let t = parsed.reported_tcb;
    Ok(Claims {
        tee: Tee::SevSnp,
        measurements: Measurements::SevSnp {
            measurement: parsed.measurement,
            policy,
            reported_tcb: SnpTcb {
                bootloader: t.bootloader,
                tee: t.tee,
                snp: t.snp,
                microcode: t.microcode,
            },
        },
        tcb_status: "UpToDate".into(),
        advisory_ids: Vec::new(),
        debug: parsed.policy.debug_allowed(),
        report_data: parsed.report_data,
        collateral_issued: not_before,
    })
}

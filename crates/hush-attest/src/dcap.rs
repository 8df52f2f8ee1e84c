//! Intel DCAP quotes, TDX (quote version 4 and 5) and SGX (version 3),
//! verified offline with `dcap-qvl`: the PCK certificate chain in the quote
//! up to Intel's SGX root CA, the CRLs, the QE report and its identity, the
//! quote's signature, and the platform's TCB level in Intel's signed TCB
//! info. The collateral (TCB info, QE identity, CRLs and their issuer
//! chains) is the JSON a PCCS serves (`QuoteCollateralV3`), handed over by
//! the server with the evidence: nothing is fetched.

use crate::AttestError;
use crate::claims::{Claims, Measurements, Tee};
use dcap_qvl::QuoteCollateralV3;
use dcap_qvl::quote::Report;
use dcap_qvl::verify::QuoteVerifier;

/// Largest collateral accepted (a PCCS's is 15 to 25 KiB).
pub const MAX_COLLATERAL_LEN: usize = 48 * 1024;
/// TDX `TD_ATTRIBUTES` bit 0: the TD is debuggable.
const TDX_DEBUG: u8 = 0x01;
/// SGX `ATTRIBUTES` bit 1: the enclave is debuggable.
const SGX_DEBUG: u8 = 0x02;

/// Parses PCCS collateral JSON.
pub fn parse_collateral(json: &[u8]) -> Result<QuoteCollateralV3, AttestError> {
    if json.len() > MAX_COLLATERAL_LEN {
        return Err(AttestError::Malformed("DCAP collateral too large"));
    }
    serde_json::from_slice(json)
        .map_err(|e| AttestError::Collateral(format!("DCAP collateral: {e}")))
}

/// Verifies `quote` with `collateral` (PCCS JSON) at `now` (seconds since
/// the Unix epoch) against Intel's root CA.
pub fn verify(
    quote: &[u8],
    collateral: &[u8],
    now: u64,
    allow_debug: bool,
) -> Result<Claims, AttestError> {
    verify_with_root(
        QuoteVerifier::new_prod(),
        quote,
        collateral,
        now,
        allow_debug,
    )
}

/// Like [`verify`], against another root CA (DER): for tests of a chain to
/// the wrong root.
pub fn verify_with_root_der(
    root_der: Vec<u8>,
    quote: &[u8],
    collateral: &[u8],
    now: u64,
) -> Result<Claims, AttestError> {
    verify_with_root(QuoteVerifier::new(root_der), quote, collateral, now, false)
}

fn verify_with_root(
    verifier: QuoteVerifier,
    quote: &[u8],
    collateral: &[u8],
    now: u64,
    allow_debug: bool,
) -> Result<Claims, AttestError> {
    if quote.len() > crate::evidence::MAX_QUOTE_LEN {
        return Err(AttestError::Malformed("quote too large"));
    }
    let len = signed_len(quote)?;
    // What follows the quote may only be zero padding (some producers
    // hand over a zero-filled buffer), never data nobody checks.
    if quote[len.min(quote.len())..].iter().any(|&b| b != 0) {
        return Err(AttestError::Malformed("bytes after the end of the quote"));
    }
    let collateral = parse_collateral(collateral)?;
    let issued = issue_date(&collateral.tcb_info, "TCB info")?
        .min(issue_date(&collateral.qe_identity, "QE identity")?);
    let verified = verifier
        .allow_debug(allow_debug)
        .verify(quote, &collateral, now)
        .map_err(|e| AttestError::Dcap(format!("{e:#}")))?;
    let (tee, measurements, debug, report_data) = match verified.report {
        Report::SgxEnclave(r) => (
            Tee::Sgx,
            Measurements::Sgx {
                mrenclave: r.mr_enclave,
                mrsigner: r.mr_signer,
                isv_prod_id: r.isv_prod_id,
                isv_svn: r.isv_svn,
            },
            r.attributes[0] & SGX_DEBUG != 0,
            r.report_data,
        ),
        Report::TD10(r) => td(r),
        Report::TD15(r) => td(r.base),
        Report::TD15Ex(r) => td(r.base.base),
    };
    Ok(Claims {
        tee,
        measurements,
        tcb_status: verified.status,
        advisory_ids: verified.advisory_ids,
        debug,
        report_data,
        collateral_issued: issued,
    })
}

/// Quote header length.
const HEADER_LEN: usize = 48;
/// SGX enclave report body length (quote version 3).
const SGX_BODY_LEN: usize = 384;
/// TDX 1.0 TD report body length (quote version 4).
const TD10_BODY_LEN: usize = 584;

/// The quote's length as its own fields give it: header, body, then the
/// signature data's length and the signature data.
fn signed_len(quote: &[u8]) -> Result<usize, AttestError> {
    let u16_at = |at: usize| {
        quote
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |at: usize| {
        quote
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
    };
    let truncated = AttestError::Malformed("quote truncated");
    let version = u16_at(0).ok_or(AttestError::Malformed("quote truncated"))?;
    let sig_len_at = match version {
        3 => HEADER_LEN + SGX_BODY_LEN,
        4 => HEADER_LEN + TD10_BODY_LEN,
        // Version 5: body type 2, body size 4, then the body.
        5 => {
            HEADER_LEN
                + 6
                + u32_at(HEADER_LEN + 2).ok_or(AttestError::Malformed("quote truncated"))?
        }
        _ => return Err(AttestError::Malformed("unknown quote version")),
    };
    let sig_len = u32_at(sig_len_at).ok_or(truncated)?;
    let end = sig_len_at + 4 + sig_len;
    if end > quote.len() {
        return Err(AttestError::Malformed("quote truncated"));
    }
    Ok(end)
}

fn td(r: dcap_qvl::quote::TDReport10) -> (Tee, Measurements, bool, [u8; 64]) {
    (
        Tee::Tdx,
        Measurements::Tdx {
            mrtd: r.mr_td,
            rtmrs: [r.rt_mr0, r.rt_mr1, r.rt_mr2, r.rt_mr3],
        },
        r.td_attributes[0] & TDX_DEBUG != 0,
        r.report_data,
    )
}

/// The `issueDate` of a signed collateral JSON document.
fn issue_date(json: &str, what: &str) -> Result<u64, AttestError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Dated {
        issue_date: String,
    }
    let d: Dated = serde_json::from_str(json)
        .map_err(|e| AttestError::Collateral(format!("{what} has no issue date: {e}")))?;
    humantime::parse_rfc3339(&d.issue_date)
        .map_err(|e| AttestError::Collateral(format!("{what} issue date: {e}")))?
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| AttestError::Collateral(format!("{what} issued before 1970")))
}

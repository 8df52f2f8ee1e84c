//! Real public TDX, SGX and SEV-SNP samples (see `testdata/README.md`),
//! verified offline at fixed times, and every way they must be refused,
//! each with its own error.

use hush_attest::claims::Measurements;
use hush_attest::{
    AttestError, Claims, Evidence, Format, Measurement, Policy, ReportData, Tee, dcap, snp,
};

const TDX_QUOTE: &[u8] = include_bytes!("../testdata/tdx_quote");
const TDX_COLLATERAL: &[u8] = include_bytes!("../testdata/tdx_quote_collateral.json");
const SGX_QUOTE: &[u8] = include_bytes!("../testdata/sgx_quote");
const SGX_COLLATERAL: &[u8] = include_bytes!("../testdata/sgx_quote_collateral.json");
const SNP_REPORT_HEX: &str = include_str!("../testdata/report_milan.hex");
const SNP_VCEK: &[u8] = include_bytes!("../testdata/vcek_milan.der");

/// 2025-07-01T00:00:00Z: inside the 2025 collateral's validity.
const JULY_2025: u64 = 1_751_328_000;
/// 2025-08-01T00:00:00Z: after it expired (2025-07-19).
const AUGUST_2025: u64 = 1_754_006_400;
/// 2026-11-25T00:00:00Z: inside the VCEK's validity (to 2030-04-03).
const NOV_2026: u64 = 1_795_564_800;
/// 2031-01-01T00:00:00Z: after the VCEK expired.
const YEAR_2031: u64 = 1_924_992_000;

/// TDX quote v4: the TD report body's MRTD, and the quote signature.
const TDX_MRTD_AT: usize = 48 + 136;
const TDX_SIGNATURE_AT: usize = 48 + 584 + 4;
/// SGX quote v3: MRENCLAVE, and the quote signature.
const SGX_MRENCLAVE_AT: usize = 48 + 64;
const SGX_SIGNATURE_AT: usize = 48 + 384 + 4;
/// SNP report: MEASUREMENT, and the signature.
const SNP_MEASUREMENT_AT: usize = 0x90;
const SNP_SIGNATURE_AT: usize = 0x2a0;

fn snp_report() -> Vec<u8> {
    hex::decode(SNP_REPORT_HEX.trim()).unwrap()
}

fn hx(b: &[u8]) -> String {
    hex::encode(b)
}

/// A policy accepting exactly the build `claims` describes.
fn policy_for(claims: &Claims, extra: &str) -> Policy {
    let rule = match &claims.measurements {
        Measurements::Tdx { mrtd, rtmrs } => format!(
            "[[tdx]]\nmrtd = \"{}\"\nrtmr0 = \"{}\"\nrtmr3 = \"{}\"\n",
            hx(mrtd),
            hx(&rtmrs[0]),
            hx(&rtmrs[3])
        ),
        Measurements::Sgx { mrenclave, .. } => {
            format!("[[sgx]]\nmrenclave = \"{}\"\n", hx(mrenclave))
        }
        Measurements::SevSnp {
            measurement,
            policy,
            ..
        } => format!(
            "[[sev_snp]]\nmeasurement = \"{}\"\npolicy = {policy}\n",
            hx(measurement)
        ),
    };
    Policy::from_toml(&format!(
        "max_collateral_age = \"10000days\"\n{extra}\n{rule}"
    ))
    .unwrap()
}

fn evidence(format: Format, quote: &[u8], collateral: &[u8]) -> Evidence {
    Evidence {
        format,
        provider: "sample".into(),
        measurement: Measurement([0; 48]),
        report_data: ReportData([0; 64]),
        quote: quote.to_vec(),
        collateral: collateral.to_vec(),
    }
}

#[test]
fn the_tdx_sample_verifies_and_its_policy_accepts_it() {
    let c = dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap();
    assert_eq!(
        (c.tee, c.tcb_status.as_str(), c.debug),
        (Tee::Tdx, "UpToDate", false)
    );
    let p = policy_for(&c, "");
    p.check(&c, JULY_2025).unwrap();
    // Through the whole path: every hardware check passes, and the sample
    // binds no key of ours, so the answer is "not bound", never success.
    let e = evidence(Format::Tdx, TDX_QUOTE, TDX_COLLATERAL);
    let err = p.verify_at(&e, &[1; 32], JULY_2025).unwrap_err();
    assert!(matches!(err, AttestError::KeyNotBound), "{err}");
}

#[test]
fn the_sgx_sample_verifies_and_its_tcb_status_is_judged() {
    let c = dcap::verify(SGX_QUOTE, SGX_COLLATERAL, JULY_2025, false).unwrap();
    assert_eq!(c.tee, Tee::Sgx);
    assert_eq!(c.tcb_status, "ConfigurationAndSWHardeningNeeded");
    // The default statuses (UpToDate only) refuse it, naming the status.
    let strict = policy_for(&c, "");
    let err = strict.check(&c, JULY_2025).unwrap_err();
    assert!(matches!(err, AttestError::TcbStatus { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("ConfigurationAndSWHardeningNeeded") && msg.contains("INTEL-SA-00289"),
        "{msg}"
    );
    let lenient = policy_for(
        &c,
        "tcb_statuses = [\"UpToDate\", \"ConfigurationAndSWHardeningNeeded\"]",
    );
    lenient.check(&c, JULY_2025).unwrap();
}

#[test]
fn the_snp_sample_verifies_and_its_minimum_tcb_is_judged() {
    let report = snp_report();
    let c = snp::verify(&report, SNP_VCEK, NOV_2026).unwrap();
    assert_eq!(c.tee, Tee::SevSnp);
    let Measurements::SevSnp { reported_tcb, .. } = c.measurements.clone() else {
        panic!("snp claims")
    };
    let p = policy_for(&c, "");
    p.check(&c, NOV_2026).unwrap();
    let min = format!("[sev_snp.min_tcb]\nsnp = {}\n", reported_tcb.snp + 1);
    let Measurements::SevSnp { measurement, .. } = &c.measurements else {
        unreachable!()
    };
    let high = Policy::from_toml(&format!(
        "max_collateral_age = \"10000days\"\n[[sev_snp]]\nmeasurement = \"{}\"\n{min}",
        hx(measurement)
    ))
    .unwrap();
    let err = high.check(&c, NOV_2026).unwrap_err();
    assert!(matches!(err, AttestError::SvnTooLow(_)), "{err}");
    let e = evidence(Format::SevSnp, &report, SNP_VCEK);
    assert!(matches!(
        p.verify_at(&e, &[1; 32], NOV_2026),
        Err(AttestError::KeyNotBound)
    ));
}

#[test]
fn a_tampered_signature_is_refused() {
    for (quote, collateral, at) in [
        (TDX_QUOTE, TDX_COLLATERAL, TDX_SIGNATURE_AT),
        (SGX_QUOTE, SGX_COLLATERAL, SGX_SIGNATURE_AT),
    ] {
        let mut q = quote.to_vec();
        q[at + 3] ^= 1;
        let err = dcap::verify(&q, collateral, JULY_2025, false).unwrap_err();
        assert!(matches!(err, AttestError::Dcap(_)), "{err}");
    }
    let mut r = snp_report();
    r[SNP_SIGNATURE_AT + 3] ^= 1;
    let err = snp::verify(&r, SNP_VCEK, NOV_2026).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
}

#[test]
fn a_flipped_measurement_bit_is_refused() {
    // In the signed quote: the signature no longer matches.
    for (quote, collateral, at) in [
        (TDX_QUOTE, TDX_COLLATERAL, TDX_MRTD_AT),
        (SGX_QUOTE, SGX_COLLATERAL, SGX_MRENCLAVE_AT),
    ] {
        let mut q = quote.to_vec();
        q[at] ^= 0x01;
        assert!(matches!(
            dcap::verify(&q, collateral, JULY_2025, false),
            Err(AttestError::Dcap(_))
        ));
    }
    let mut r = snp_report();
    r[SNP_MEASUREMENT_AT] ^= 0x01;
    assert!(matches!(
        snp::verify(&r, SNP_VCEK, NOV_2026),
        Err(AttestError::Snp(_))
    ));
    // In the policy: a genuine quote of another build.
    let c = dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap();
    let mut other = c.clone();
    if let Measurements::Tdx { mrtd, .. } = &mut other.measurements {
        mrtd[0] ^= 0x01;
    }
    let err = policy_for(&other, "").check(&c, JULY_2025).unwrap_err();
    assert!(matches!(err, AttestError::MeasurementRejected(_)), "{err}");
    assert!(err.to_string().contains("not in this client's policy"));
    // And a policy with no entry for this TEE says so.
    let err = Policy::default().check(&c, JULY_2025).unwrap_err();
    assert!(matches!(err, AttestError::NoRuleFor("tdx")), "{err}");
}

#[test]
fn report_data_that_binds_another_key_is_refused() {
    let c = dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap();
    let e = evidence(Format::Tdx, TDX_QUOTE, TDX_COLLATERAL);
    let err = policy_for(&c, "")
        .verify_at(&e, &[7; 32], JULY_2025)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not bind the server's handshake key"),
        "{err}"
    );
}

#[test]
fn a_debug_tee_is_refused_unless_allowed() {
    for (c, now) in [
        (
            dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap(),
            JULY_2025,
        ),
        (
            snp::verify(&snp_report(), SNP_VCEK, NOV_2026).unwrap(),
            NOV_2026,
        ),
    ] {
        let mut debug = c.clone();
        debug.debug = true;
        let err = policy_for(&c, "").check(&debug, now).unwrap_err();
        assert!(matches!(err, AttestError::DebugRefused(_)), "{err}");
        assert!(err.to_string().contains("debug mode"));
        policy_for(&c, "allow_debug = true")
            .check(&debug, now)
            .unwrap();
    }
}

/// No public sample quote is OutOfDate under its own collateral (the
/// SGX one needs configuration and hardening, refused above by the same
/// check), so this one takes the real TDX sample's verified claims with
/// the status dcap-qvl computes for an out-of-date platform.
#[test]
fn an_out_of_date_tcb_is_refused_under_a_strict_policy() {
    let mut c = dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap();
    c.tcb_status = "OutOfDate".into();
    c.advisory_ids = vec!["INTEL-SA-01036".into()];
    let err = policy_for(&c, "").check(&c, JULY_2025).unwrap_err();
    assert!(
        err.to_string()
            .contains("TCB status OutOfDate is not accepted (advisories INTEL-SA-01036)"),
        "{err}"
    );
    policy_for(&c, "tcb_statuses = [\"UpToDate\", \"OutOfDate\"]")
        .check(&c, JULY_2025)
        .unwrap();
}

#[test]
fn expired_or_old_collateral_is_refused() {
    for (quote, collateral) in [(TDX_QUOTE, TDX_COLLATERAL), (SGX_QUOTE, SGX_COLLATERAL)] {
        let err = dcap::verify(quote, collateral, AUGUST_2025, false).unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
    }
    let err = snp::verify(&snp_report(), SNP_VCEK, YEAR_2031).unwrap_err();
    assert!(
        err.to_string()
            .contains("not valid at the verification time"),
        "{err}"
    );
    // Within its validity, but older than the policy accepts.
    let c = dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap();
    let p = Policy::from_toml(&format!(
        "max_collateral_age = \"7days\"\n[[tdx]]\nmrtd = \"{}\"\n",
        match &c.measurements {
            Measurements::Tdx { mrtd, .. } => hx(mrtd),
            _ => unreachable!(),
        }
    ))
    .unwrap();
    let err = p.check(&c, JULY_2025).unwrap_err();
    assert!(
        matches!(err, AttestError::CollateralTooOld { max_days: 7, .. }),
        "{err}"
    );
}

#[test]
fn a_chain_to_the_wrong_root_is_refused() {
    // Intel's quote against AMD's root, AMD's VCEK against another family.
    let amd_root = sev::certs::snp::builtin::milan::ark()
        .unwrap()
        .to_der()
        .unwrap();
    for (quote, collateral) in [(TDX_QUOTE, TDX_COLLATERAL), (SGX_QUOTE, SGX_COLLATERAL)] {
        let err =
            dcap::verify_with_root_der(amd_root.clone(), quote, collateral, JULY_2025).unwrap_err();
        assert!(matches!(err, AttestError::Dcap(_)), "{err}");
    }
    let genoa_only: snp::Roots = snp::amd_roots()
        .unwrap()
        .into_iter()
        .filter(|(n, _)| *n == "genoa")
        .collect();
    let err = snp::verify_with_roots(&genoa_only, &snp_report(), SNP_VCEK, NOV_2026).unwrap_err();
    assert!(
        err.to_string()
            .contains("does not chain to AMD's ARK and ASK (genoa)"),
        "{err}"
    );
}

#[test]
fn truncated_and_oversized_evidence_is_refused() {
    // The sample quote is 4,936 bytes, then 70 bytes of zero padding:
    // padding may go, anything inside the quote may not.
    dcap::verify(&TDX_QUOTE[..4936], TDX_COLLATERAL, JULY_2025, false).unwrap();
    for cut in [0, 1, 47, 700, 3000, 4935] {
        let err = dcap::verify(&TDX_QUOTE[..cut], TDX_COLLATERAL, JULY_2025, false).unwrap_err();
        assert!(
            matches!(err, AttestError::Malformed("quote truncated")),
            "{cut}: {err}"
        );
    }
    let mut trailing = TDX_QUOTE.to_vec();
    trailing.push(1);
    assert!(matches!(
        dcap::verify(&trailing, TDX_COLLATERAL, JULY_2025, false),
        Err(AttestError::Malformed("bytes after the end of the quote"))
    ));
    let mut long = TDX_QUOTE.to_vec();
    long.resize(hush_attest::MAX_QUOTE_LEN + 1, 0);
    assert!(matches!(
        dcap::verify(&long, TDX_COLLATERAL, JULY_2025, false),
        Err(AttestError::Malformed(_))
    ));
    // The SGX sample too: cut before its signature data ends.
    for cut in [0, 47, 432, 1000] {
        assert!(matches!(
            dcap::verify(&SGX_QUOTE[..cut], SGX_COLLATERAL, JULY_2025, false),
            Err(AttestError::Malformed(_))
        ));
    }
    let r = snp_report();
    assert!(matches!(
        snp::verify(&r[..r.len() - 1], SNP_VCEK, NOV_2026),
        Err(AttestError::Malformed(_))
    ));
    let mut longer = r.clone();
    longer.push(0);
    assert!(matches!(
        snp::verify(&longer, SNP_VCEK, NOV_2026),
        Err(AttestError::Malformed(_))
    ));
    assert!(snp::verify(&r, &SNP_VCEK[..100], NOV_2026).is_err());
    assert!(matches!(
        dcap::verify(TDX_QUOTE, &TDX_COLLATERAL[..500], JULY_2025, false),
        Err(AttestError::Collateral(_))
    ));
    // The envelope: a quote over its limit is refused before anything else.
    let mut e = evidence(Format::Tdx, TDX_QUOTE, TDX_COLLATERAL).encode();
    assert!(Evidence::decode(&e).is_ok());
    e.truncate(e.len() - 1);
    assert!(Evidence::decode(&e).is_err());
}

#[test]
fn hardware_evidence_without_collateral_says_so() {
    let c = dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap();
    let e = evidence(Format::Tdx, TDX_QUOTE, &[]);
    let err = policy_for(&c, "")
        .verify_at(&e, &[1; 32], JULY_2025)
        .unwrap_err();
    assert!(matches!(err, AttestError::NoCollateral("tdx")), "{err}");
}

#[test]
fn a_policy_refuses_dev_evidence_clearly() {
    let c = dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap();
    let key = [3u8; 32];
    let dev = hush_attest::dev::produce(&key);
    let err = policy_for(&c, "")
        .verify_at(&dev, &key, JULY_2025)
        .unwrap_err();
    assert!(
        err.to_string().contains("dev attestation proves nothing"),
        "{err}"
    );
    assert_eq!(
        Policy::dev().verify_at(&dev, &key, JULY_2025).unwrap(),
        hush_attest::Verified::Dev
    );
}

/// Found by the `dcap` fuzz target: the certificates a quote carries are a
/// pool for building a path to Intel's built-in root, so a quote whose
/// chain text was spliced (one certificate mangled, another duplicated, the
/// root's copy cut away) still verifies as long as a valid path remains.
/// What matters cannot change: the PCK certificate must still chain to
/// Intel's root, and the header and TD report the attestation key signs
/// are the sample's. (Test data: the fuzzer's input, derived from the
/// dcap-qvl sample, MIT.)
#[test]
fn the_chain_a_quote_carries_is_a_pool_and_the_signed_part_is_fixed() {
    let altered = include_bytes!("../testdata/tdx_quote_chain_spliced");
    let first_change = altered
        .iter()
        .zip(TDX_QUOTE)
        .position(|(a, b)| a != b)
        .unwrap();
    let chain_starts = TDX_QUOTE
        .windows(27)
        .position(|w| w == b"-----BEGIN CERTIFICATE-----")
        .unwrap();
    assert!(first_change > chain_starts, "only the chain's text changed");
    let c = dcap::verify(altered, TDX_COLLATERAL, JULY_2025, false).unwrap();
    assert_eq!(
        c,
        dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap()
    );
    assert_eq!(&altered[..48 + 584], &TDX_QUOTE[..48 + 584]);
}

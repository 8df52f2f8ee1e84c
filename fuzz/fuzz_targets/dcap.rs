//! Intel DCAP verification on arbitrary bytes: the first byte picks what
//! the fuzzer replaces (0: the quote, 1: the PCCS collateral JSON); the
//! other part stays the real public sample (crates/hush-attest/testdata),
//! so inputs get past the signatures' framing. Nothing may panic; no quote
//! whose signed header and TD report differ from the sample's may verify.
//! (Bytes the verifier does not rely on may differ: the copy of Intel's
//! root certificate the quote carries is ignored in favour of the built-in
//! one, and the first run of this target found exactly that.)
#![no_main]

use hush_attest::{Format, collateral, dcap};
use libfuzzer_sys::fuzz_target;

const TDX_QUOTE: &[u8] = include_bytes!("../../crates/hush-attest/testdata/tdx_quote");
const TDX_COLLATERAL: &[u8] =
    include_bytes!("../../crates/hush-attest/testdata/tdx_quote_collateral.json");
/// A v4 quote's header (48) and TD report (584).
const SIGNED_LEN: usize = 48 + 584;
/// Where the TD report's REPORTDATA is.
const REPORT_DATA_AT: usize = SIGNED_LEN - 64;
/// Inside the sample collateral's validity.
const JULY_2025: u64 = 1_751_328_000;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        if let Ok(c) = dcap::verify(rest, TDX_COLLATERAL, JULY_2025, false) {
            // Header and TD report: what the attestation key signs.
            assert_eq!(&rest[..SIGNED_LEN], &TDX_QUOTE[..SIGNED_LEN]);
            assert_eq!(&c.report_data[..], &TDX_QUOTE[REPORT_DATA_AT..SIGNED_LEN]);
        }
    } else {
        let _ = collateral::parse(rest, Format::Tdx);
        let _ = dcap::verify(TDX_QUOTE, rest, JULY_2025, false);
    }
});

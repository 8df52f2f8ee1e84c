//! Intel DCAP verification on arbitrary bytes: the first byte picks what
//! the fuzzer replaces (0: the quote, 1: the PCCS collateral JSON); the
//! other part stays the real public sample (crates/hush-attest/testdata),
//! so inputs get past the signatures' framing. Nothing may panic; no quote
//! but the sample's own bytes may verify.
#![no_main]

use hush_attest::{Format, collateral, dcap};
use libfuzzer_sys::fuzz_target;

const TDX_QUOTE: &[u8] = include_bytes!("../../crates/hush-attest/testdata/tdx_quote");
const TDX_COLLATERAL: &[u8] =
    include_bytes!("../../crates/hush-attest/testdata/tdx_quote_collateral.json");
/// Inside the sample collateral's validity.
const JULY_2025: u64 = 1_751_328_000;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        if dcap::verify(rest, TDX_COLLATERAL, JULY_2025, false).is_ok() {
            // Only the sample itself (up to its zero padding) verifies.
            let n = TDX_QUOTE.iter().rposition(|&b| b != 0).unwrap() + 1;
            assert!(rest.len() >= n && rest[..n] == TDX_QUOTE[..n]);
        }
    } else {
        let _ = collateral::parse(rest, Format::Tdx);
        let _ = dcap::verify(TDX_QUOTE, rest, JULY_2025, false);
    }
});

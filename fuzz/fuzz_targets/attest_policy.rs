//! Policy files on arbitrary text: parse errors only, never a panic; a
//! policy that parses judges the real TDX sample's claims without panicking.
#![no_main]

use hush_attest::{Policy, dcap};
use libfuzzer_sys::fuzz_target;

const TDX_QUOTE: &[u8] = include_bytes!("../../crates/hush-attest/testdata/tdx_quote");
const TDX_COLLATERAL: &[u8] =
    include_bytes!("../../crates/hush-attest/testdata/tdx_quote_collateral.json");
const JULY_2025: u64 = 1_751_328_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Policy::from_toml(text) {
        thread_local! {
            static CLAIMS: hush_attest::Claims =
                dcap::verify(TDX_QUOTE, TDX_COLLATERAL, JULY_2025, false).unwrap();
        }
        CLAIMS.with(|c| {
            let _ = p.check(c, JULY_2025);
        });
    }
});

//! Attestation evidence parsing and policy checks on arbitrary bytes,
//! hardware formats included (seeded with the real TDX sample and its
//! collateral): nothing but dev evidence binding the exact key, under a
//! policy allowing dev, may pass.
#![no_main]

use hush_attest::{Evidence, Policy};
use libfuzzer_sys::fuzz_target;

/// Inside the TDX sample collateral's validity.
const JULY_2025: u64 = 1_751_328_000;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Evidence::decode(data) {
        assert_eq!(e.encode(), data, "evidence has a second encoding");
        let key = [7u8; 32];
        // A policy accepting every status: the samples bind no key of ours.
        let hardware = Policy::from_toml(
            "tcb_statuses = [\"UpToDate\", \"OutOfDate\", \"ConfigurationAndSWHardeningNeeded\", \"SWHardeningNeeded\", \"ConfigurationNeeded\"]\nmax_collateral_age = \"100000days\"",
        )
        .unwrap();
        assert!(hardware.verify_at(&e, &key, JULY_2025).is_err());
        assert!(Policy::default().verify_at(&e, &key, JULY_2025).is_err());
        if Policy::dev().verify_at(&e, &key, JULY_2025).is_ok() {
            assert_eq!(e.format, hush_attest::Format::Dev);
            assert_eq!(e.report_data, hush_attest::ReportData::for_noise_key(&key));
        }
    }
});

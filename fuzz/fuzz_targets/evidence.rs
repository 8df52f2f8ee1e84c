//! Attestation evidence parsing and policy checks on arbitrary bytes.
#![no_main]

use hush_attest::{Evidence, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Evidence::decode(data) {
        assert_eq!(e.encode(), data, "evidence has a second encoding");
        let key = [7u8; 32];
        // Only dev evidence binding this exact key may pass, and only the dev policy.
        assert!(Policy::default().verify(&e, &key).is_err());
        if Policy::dev().verify(&e, &key).is_ok() {
            assert_eq!(e.format, hush_attest::Format::Dev);
            assert_eq!(e.report_data, hush_attest::ReportData::for_noise_key(&key));
        }
    }
});

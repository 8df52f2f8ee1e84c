//! SEV-SNP verification on arbitrary bytes: the first byte picks what the
//! fuzzer replaces (0: the report, 1: the VCEK certificate, DER or PEM);
//! the other part stays the real public sample. Nothing may panic; no
//! report whose signed part differs from the sample's may verify.
#![no_main]

use hush_attest::{Format, collateral, snp};
use libfuzzer_sys::fuzz_target;

const SNP_REPORT_HEX: &str = include_str!("../../crates/hush-attest/testdata/report_milan.hex");
const SNP_VCEK: &[u8] = include_bytes!("../../crates/hush-attest/testdata/vcek_milan.der");
/// Inside the VCEK's validity.
const NOV_2026: u64 = 1_795_564_800;
/// The signed part of a report.
const SIGNED_LEN: usize = 0x2a0;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let sample = hex::decode(SNP_REPORT_HEX.trim()).unwrap();
    if which % 2 == 0 {
        if snp::verify(rest, SNP_VCEK, NOV_2026).is_ok() {
            assert_eq!(&rest[..SIGNED_LEN], &sample[..SIGNED_LEN]);
        }
    } else {
        let _ = collateral::parse(rest, Format::SevSnp);
        let _ = snp::verify(&sample, rest, NOV_2026);
    }
});

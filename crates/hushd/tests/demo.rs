//! The rendezvous demo (`examples/rendezvous/`), run as a user would:
//! its five scripts against a hushd this test starts, with the `hush` CLI
//! on the PATH; what they print must be `expected.txt`.

mod common;

use common::{Hushd, hush_bin};
use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_rendezvous_demo_prints_the_expected_results() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/rendezvous");
    let bin_dir = hush_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut printed = String::new();
    for step in [
        "1-identities",
        "2-create",
        "3-submit",
        "4-results",
        "5-cleanup",
    ] {
        let out = Command::new("bash")
            .arg(demo.join(format!("{step}.sh")))
            .env("PATH", &path)
            .env("HUSH_HOME", home.path().join("demo-home"))
            .env("HUSH_SERVER", &server.url)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{step}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.trim().is_empty(), "{step} wrote to stderr: {stderr}");
        printed.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    let expected = std::fs::read_to_string(demo.join("expected.txt")).unwrap();
    assert_eq!(printed, expected);
}

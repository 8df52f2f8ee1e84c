//! The browser demo's files at /demo/: served with dev attestation by
//! default, not when turned off, and a bad setting is refused. (The page
//! itself runs in headless Chromium: scripts/browser-test.sh, in CI.)

mod common;

use common::Hushd;
use std::io::{Read, Write};

/// A GET: (status line, headers, body bytes).
fn get(addr: &str, path: &str) -> (String, String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: hushd\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(out[..split].to_vec()).unwrap();
    let (status, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    (
        status.to_owned(),
        headers.to_lowercase(),
        out[split + 4..].to_vec(),
    )
}

#[test]
fn the_demo_is_served_in_dev_mode_and_not_when_off() {
    let server = Hushd::start(&[]);
    let addr = server.listen_addr();
    let (status, headers, _) = get(&addr, "/demo");
    assert!(status.contains(" 308 "), "{status}");
    assert!(headers.contains("location: /demo/"), "{headers}");
    let (status, headers, page) = get(&addr, "/demo/");
    assert!(status.contains(" 200 "), "{status}");
    assert!(headers.contains("content-type: text/html"), "{headers}");
    assert!(String::from_utf8_lossy(&page).contains("demo.js"));
    let (status, headers, wasm) = get(&addr, "/demo/pkg/hush_web_bg.wasm");
    assert!(status.contains(" 200 "), "{status}");
    assert!(
        headers.contains("content-type: application/wasm"),
        "{headers}"
    );
    assert_eq!(&wasm[..4], b"\0asm", "a WebAssembly module");
    let (status, _, glue) = get(&addr, "/demo/pkg/hush_web.js");
    assert!(status.contains(" 200 "), "{status}");
    assert!(String::from_utf8_lossy(&glue).contains("PendingHandshake"));
    assert!(server.stop());

    let off = Hushd::start(&["--demo", "off"]);
    let (status, _, _) = get(&off.listen_addr(), "/demo/");
    assert!(status.contains(" 404 "), "{status}");
    assert!(off.stop());
}

#[test]
fn a_bad_demo_setting_is_refused() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hushd"))
        .args(["--check-config", "--demo", "maybe"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("demo must be \"auto\", \"on\" or \"off\""),
        "{err}"
    );
}

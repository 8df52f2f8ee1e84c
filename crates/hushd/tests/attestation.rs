//! The published evidence (gRPC `hush.v1.Attestation` and `GET
//! /v1/evidence`) is what handshakes carry, and `hush server verify` says
//! what it proves: nothing, for dev evidence, and it refuses that unless
//! dev is allowed.

mod common;

use common::{Hushd, client, hush_env};
use hush_wire::grpc::v1::EvidenceRequest;
use hush_wire::grpc::v1::attestation_client::AttestationClient;
use std::io::{Read, Write};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_published_evidence_is_the_handshakes() {
    let server = Hushd::start(&[]);
    let me = hush_client::Identity::generate("me");
    let c = client(&server.url, &[&me]).await;
    let session = c.session();

    let mut grpc = AttestationClient::connect(server.url.clone())
        .await
        .unwrap();
    let got = grpc
        .get_evidence(EvidenceRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.noise_static_key, session.server_key());
    assert_eq!(got.epoch, session.epoch());
    let evidence = hush_attest::Evidence::decode(&got.evidence).unwrap();
    assert_eq!(&evidence, session.evidence());

    // The same over plain HTTP/1.1.
    let addr = server.url.trim_start_matches("http://").to_owned();
    let body = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /v1/evidence HTTP/1.1\r\nHost: hushd\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    let json: serde_json::Value =
        serde_json::from_str(body.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["format"], "dev");
    assert_eq!(json["noise_static_key"], hex::encode(session.server_key()));
    assert_eq!(json["epoch"], format!("{:016x}", session.epoch()));
    assert_eq!(json["evidence"], hex::encode(&got.evidence));
}

#[test]
fn hush_server_verify_says_dev_evidence_proves_nothing() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let refused = hush_env(home.path(), &server.url, &["server", "verify"], &[]);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("dev attestation proves nothing"),
        "{}",
        refused.stderr
    );
    let allowed = hush_env(
        home.path(),
        &server.url,
        &["server", "verify"],
        &[("HUSH_ALLOW_DEV_ATTESTATION", "1")],
    );
    assert!(allowed.ok, "{}", allowed.stderr);
    assert!(
        allowed.stdout.contains("proves NOTHING"),
        "{}",
        allowed.stdout
    );
    // A policy for hardware (from a file, or HUSH_POLICY) refuses dev
    // evidence, naming the reason; a broken policy file is named too.
    let policy = home.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[tdx]]\nmrtd = \"".to_owned() + &"ab".repeat(48) + "\"\n",
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let r = hush_env(
        home.path(),
        &server.url,
        &["--policy", p, "server", "verify"],
        &[],
    );
    assert!(
        !r.ok && r.stderr.contains("format dev is not accepted"),
        "{}",
        r.stderr
    );
    let r = hush_env(
        home.path(),
        &server.url,
        &["server", "verify"],
        &[("HUSH_POLICY", p)],
    );
    assert!(
        !r.ok && r.stderr.contains("format dev is not accepted"),
        "{}",
        r.stderr
    );
    std::fs::write(&policy, "allow_dev = maybe").unwrap();
    let r = hush_env(
        home.path(),
        &server.url,
        &["--policy", p, "server", "verify"],
        &[],
    );
    assert!(!r.ok && r.stderr.contains("policy.toml"), "{}", r.stderr);
}

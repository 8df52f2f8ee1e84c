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
    // The channel it ran: hybrid post-quantum.
    assert!(
        allowed
            .stdout
            .contains("channel        Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s (hybrid"),
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

/// `hush evidence verify` checks evidence with no server: a real TDX
/// sample (Intel's, see hush-attest's testdata/README.md) with its
/// collateral, at a time the collateral was valid, against a policy that
/// lists its measurements; the binding is reported as not checked when no
/// key is given, and refused for a key it does not bind. Expired
/// collateral, another build's measurements, and a server's published
/// dev evidence without --allow-dev-attestation are refused with the
/// reason.
#[test]
fn hush_evidence_verify_checks_a_file_offline() {
    use hush_attest::claims::Measurements;
    let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hush-attest/testdata");
    let quote = testdata.join("tdx_quote");
    let collateral = testdata.join("tdx_quote_collateral.json");
    // 2025-07-01 (inside the collateral's validity) and 2025-08-01 (after).
    let (july, august) = ("2025-07-01T00:00:00Z", "1754006400");
    let claims = hush_attest::dcap::verify(
        &std::fs::read(&quote).unwrap(),
        &std::fs::read(&collateral).unwrap(),
        1_751_328_000,
        false,
    )
    .unwrap();
    let Measurements::Tdx { mrtd, rtmrs } = &claims.measurements else {
        panic!("a TDX sample")
    };
    let home = tempfile::tempdir().unwrap();
    let policy = home.path().join("policy.toml");
    let rule = format!(
        "max_collateral_age = \"10000days\"\n[[tdx]]\nmrtd = \"{}\"\nrtmr0 = \"{}\"\n",
        hex::encode(mrtd),
        hex::encode(rtmrs[0])
    );
    std::fs::write(&policy, &rule).unwrap();
    let p = policy.to_str().unwrap();
    let (q, c) = (quote.to_str().unwrap(), collateral.to_str().unwrap());
    let run = |args: &[&str]| hush_env(home.path(), "http://127.0.0.1:1", args, &[]);
    let base = [
        "--policy",
        p,
        "evidence",
        "verify",
        q,
        "--tee",
        "tdx",
        "--collateral",
        c,
    ];

    let ok = run(&[&base[..], &["--at", july]].concat());
    assert!(ok.ok, "{}", ok.stderr);
    assert!(ok.stdout.contains("verified tdx evidence"), "{}", ok.stdout);
    assert!(ok.stdout.contains(&hex::encode(mrtd)), "{}", ok.stdout);
    assert!(ok.stdout.contains("NOT CHECKED"), "{}", ok.stdout);
    let json = run(&[&["--json"][..], &base[..], &["--at", july]].concat());
    assert!(json.ok, "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (v["verified"].as_bool(), v["key_checked"].as_bool()),
        (Some(true), Some(false))
    );

    let wrong_key = run(&[&base[..], &["--at", july, "--key", &"11".repeat(32)]].concat());
    assert!(!wrong_key.ok);
    assert!(
        wrong_key.stderr.to_lowercase().contains("key"),
        "{}",
        wrong_key.stderr
    );
    let expired = run(&[&base[..], &["--at", august]].concat());
    assert!(!expired.ok, "{}", expired.stdout);
    std::fs::write(&policy, rule.replace(&hex::encode(mrtd), &"ab".repeat(48))).unwrap();
    let other = run(&[&base[..], &["--at", july]].concat());
    assert!(!other.ok, "{}", other.stdout);
    let bad_time = run(&[&base[..], &["--at", "yesterday"]].concat());
    assert!(
        !bad_time.ok && bad_time.stderr.contains("RFC 3339"),
        "{}",
        bad_time.stderr
    );

    // A server's /v1/evidence JSON: dev evidence, refused unless allowed,
    // and its key is checked.
    let server = Hushd::start(&[]);
    let published = home.path().join("evidence.json");
    let addr = server.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /v1/evidence HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let body = resp.split("\r\n\r\n").nth(1).unwrap();
    std::fs::write(&published, body).unwrap();
    let pe = published.to_str().unwrap();
    let refused = run(&["evidence", "verify", pe]);
    assert!(!refused.ok, "{}", refused.stdout);
    let allowed = hush_env(
        home.path(),
        "http://127.0.0.1:1",
        &["evidence", "verify", pe],
        &[("HUSH_ALLOW_DEV_ATTESTATION", "1")],
    );
    assert!(
        allowed.ok && allowed.stdout.contains("proves NOTHING"),
        "{}",
        allowed.stderr
    );
    let not_evidence = run(&["evidence", "verify", p]);
    assert!(
        !not_evidence.ok && not_evidence.stderr.contains("--tee"),
        "{}",
        not_evidence.stderr
    );
}

/// `hush evidence pin` prints the entry that pins a sample's measurements:
/// a policy made of it accepts that evidence, and refuses it once one pinned
/// value changes; expired or debug-less-verified evidence gets no entry.
#[test]
fn hush_evidence_pin_prints_a_policy_that_accepts_exactly_that_evidence() {
    let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hush-attest/testdata");
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| hush_env(home.path(), "http://127.0.0.1:1", args, &[]);
    // (sample, collateral, --tee, a time inside the collateral's validity)
    let samples = [
        (
            "tdx_quote",
            "tdx_quote_collateral.json",
            "tdx",
            "2025-07-01T00:00:00Z",
        ),
        (
            "report_milan.hex",
            "vcek_milan.der",
            "sev-snp",
            "2026-11-01T00:00:00Z",
        ),
    ];
    for (sample, collateral, tee, at) in samples {
        let (q, c) = (testdata.join(sample), testdata.join(collateral));
        let (q, c) = (q.to_str().unwrap(), c.to_str().unwrap());
        let pinned = run(&[
            "evidence",
            "pin",
            q,
            "--tee",
            tee,
            "--collateral",
            c,
            "--at",
            at,
        ]);
        assert!(pinned.ok, "{sample}: {}", pinned.stderr);
        let entry = if tee == "tdx" {
            "[[tdx]]"
        } else {
            "[[sev_snp]]"
        };
        assert!(pinned.stdout.contains(entry), "{}", pinned.stdout);

        let policy = home.path().join(format!("{tee}.toml"));
        let verify = |policy_text: &str| {
            std::fs::write(&policy, policy_text).unwrap();
            let p = policy.to_str().unwrap();
            run(&[
                "--policy",
                p,
                "evidence",
                "verify",
                q,
                "--tee",
                tee,
                "--collateral",
                c,
                "--at",
                at,
            ])
        };
        let accepted = verify(&format!(
            "max_collateral_age = \"10000days\"\n{}",
            pinned.stdout
        ));
        assert!(
            accepted.ok,
            "{sample}: {}\n{}",
            accepted.stderr, pinned.stdout
        );

        // Change one hex digit of the first pinned value: refused.
        let line = pinned
            .stdout
            .lines()
            .find(|l| l.starts_with("mrtd = ") || l.starts_with("measurement = "))
            .unwrap();
        let value = line.split('"').nth(1).unwrap();
        let flipped = format!(
            "{}{}",
            if value.starts_with('0') { '1' } else { '0' },
            &value[1..]
        );
        let refused = verify(&format!(
            "max_collateral_age = \"10000days\"\n{}",
            pinned.stdout.replace(value, &flipped)
        ));
        assert!(!refused.ok, "{sample}: a changed measurement was accepted");
        assert!(
            refused.stderr.contains("not in this client's policy"),
            "{}",
            refused.stderr
        );

        // Long after the collateral expired: nothing is pinned.
        let late = run(&[
            "evidence",
            "pin",
            q,
            "--tee",
            tee,
            "--collateral",
            c,
            "--at",
            "2040-01-01T00:00:00Z",
        ]);
        assert!(
            !late.ok && late.stdout.is_empty(),
            "{sample}: {}",
            late.stdout
        );
    }
    // Without collateral there is nothing to verify with.
    let q = testdata.join("tdx_quote");
    let bare = run(&["evidence", "pin", q.to_str().unwrap(), "--tee", "tdx"]);
    assert!(
        !bare.ok && bare.stderr.contains("--collateral"),
        "{}",
        bare.stderr
    );
}

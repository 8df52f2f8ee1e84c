//! The HTTP/JSON API with a plain HTTP/1.1 client (a TCP socket and JSON):
//! a session, key proofs, a message sent and read back through the same
//! Noise sessions as gRPC, blobs, and the same errors as gRPC.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::Hushd;
use hush_attest::Policy;
use hush_client::Identity;
use hush_client::session::{ClientSession, Handshake};
use hush_wire::{KeyProofStatus, Op, Payload, Request, RequestRecord, SessionId, Status};
use serde_json::{Value, json};
use std::io::{Read, Write};

/// One HTTP/1.1 exchange: (status code, JSON body).
fn http(addr: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let body = if method == "GET" {
        String::new()
    } else {
        body.to_string()
    };
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: hushd\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    // Chunked or not: the JSON object is between the first { and last }.
    let json = &rest[rest.find('{').unwrap()..=rest.rfind('}').unwrap()];
    (status, serde_json::from_str(json).unwrap())
}

fn rand_id() -> [u8; 16] {
    *hush_client::new_message_id().as_bytes()
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().unwrap()).unwrap()
}

fn session(addr: &str, who: &Identity) -> ClientSession {
    let hs = Handshake::start().unwrap();
    let (code, r) = http(
        addr,
        "POST",
        "/v1/broker/handshake",
        &json!({"message": B64.encode(&hs.message)}),
    );
    assert_eq!(code, 200, "{r}");
    let id = SessionId::from_bytes(&b64(&r["session_id"])).unwrap();
    let s = hs.finish(id, &b64(&r["message"]), &Policy::dev()).unwrap();
    let kp = who.keypair();
    let (nonce, sealed) = s.seal_key_proofs(&[&kp]);
    let (code, r) = http(
        addr,
        "POST",
        "/v1/broker/prove-keys",
        &json!({"session_id": B64.encode(id.0), "sealed": B64.encode(sealed)}),
    );
    assert_eq!(code, 200, "{r}");
    let proof = s
        .open_key_proof_response(nonce, &b64(&r["sealed"]))
        .unwrap();
    assert_eq!(proof.status, KeyProofStatus::Ok);
    s
}

fn query(addr: &str, s: &ClientSession, req: Request) -> hush_wire::Response {
    let (nonce, sealed) = s.seal_request(&RequestRecord::encode(&req));
    let (code, r) = http(
        addr,
        "POST",
        "/v1/broker/query",
        &json!({"session_id": B64.encode(s.id().0), "sealed": B64.encode(sealed)}),
    );
    assert_eq!(code, 200, "{r}");
    s.open_response(nonce, &b64(&r["sealed"]))
        .unwrap()
        .decode()
        .unwrap()
}

#[test]
fn a_message_goes_through_plain_http_json() {
    let server = Hushd::start(&[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let sa = session(&addr, &alice);
    let sb = session(&addr, &bob);
    let id = hush_client::new_message_id();
    let sent = query(
        &addr,
        &sa,
        Request {
            acting_as: alice.public(),
            op: Op::Create {
                id,
                recipient: bob.public(),
                payload: Payload::frame(b"over http").unwrap(),
            },
        },
    );
    assert_eq!(sent.status, Status::Ok);
    let read = query(
        &addr,
        &sb,
        Request {
            acting_as: bob.public(),
            op: Op::ReadNext,
        },
    );
    assert_eq!(read.status, Status::Ok);
    let m = read.message.unwrap();
    assert_eq!((m.id, m.sender), (id, alice.public()));
    assert_eq!(m.payload.unframe().unwrap(), b"over http");

    // GETs: health, the evidence (the handshake's key), the OpenAPI doc.
    let (code, h) = http(&addr, "GET", "/v1/health", &json!(null));
    assert_eq!((code, h["status"].as_str()), (200, Some("SERVING")));
    let (_, e) = http(&addr, "GET", "/v1/evidence", &json!(null));
    assert_eq!(e["noise_static_key"], hex::encode(sa.server_key()));
    let (code, doc) = http(&addr, "GET", "/v1/openapi.json", &json!(null));
    assert_eq!(code, 200);
    assert!(doc["paths"]["/v1/broker/query"].is_object());

    // Blobs: put, get back, and a missing one is a 404 like gRPC's NOT_FOUND.
    // A fresh id: the test hushd's blob directory may outlive one run.
    let blob_id = B64.encode(rand_id());
    let data = B64.encode(vec![1u8; 64 * 1024]);
    let (code, r) = http(
        &addr,
        "POST",
        "/v1/blobs/put",
        &json!({"id": blob_id, "data": data}),
    );
    assert_eq!(code, 200, "{r}");
    let (code, r) = http(&addr, "POST", "/v1/blobs/get", &json!({"id": blob_id}));
    assert_eq!((code, &r["data"]), (200, &json!(data)));
    let (code, r) = http(
        &addr,
        "POST",
        "/v1/blobs/get",
        &json!({"id": B64.encode([8u8; 16])}),
    );
    assert_eq!((code, r["code"].as_str()), (404, Some("NOT_FOUND")), "{r}");
}

#[test]
fn bad_requests_get_grpc_s_errors_as_json() {
    let server = Hushd::start(&[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    for (path, body, says) in [
        (
            "/v1/broker/query",
            json!({"session_id": "AAAA", "sealed": "AAAA"}),
            "session id",
        ),
        (
            "/v1/broker/query",
            json!({"session_id": "not base64!", "sealed": ""}),
            "base64",
        ),
        ("/v1/broker/query", json!({"sealed": ""}), "bad JSON body"),
        (
            "/v1/directory/query",
            json!({"session_id": B64.encode([0u8; 16]), "sealed": B64.encode([0u8; 40])}),
            "",
        ),
        (
            "/v1/broker/handshake",
            json!({"message": B64.encode([1u8; 3])}),
            "",
        ),
    ] {
        let (code, r) = http(&addr, "POST", path, &body);
        assert!((400..500).contains(&code), "{path} {body}: {code} {r}");
        assert!(
            r["code"].is_string() && r["error"].as_str().unwrap().contains(says),
            "{r}"
        );
    }
}

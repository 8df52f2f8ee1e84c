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

    // Attachments: alice uploads a blob in her session, bob downloads it
    // in his (after the enclave's mix is written); an unknown blob answers
    // NOT_FOUND inside the sealed answer, with a body of the same length.
    let file = hush_client::media::seal_file(b"a picture", "cat.png", "image/png").unwrap();
    let up = hush_client::media::seal_upload(&sa, alice.public(), &file).unwrap();
    let (code, r) = http(
        &addr,
        "POST",
        "/v1/blobs/upload",
        &json!({
            "session_id": B64.encode(sa.id().0),
            "sealed": B64.encode(&up.sealed),
            "body": B64.encode(&up.body),
        }),
    );
    assert_eq!(code, 200, "{r}");
    let answer = hush_client::media::open_answer(&sa, up.nonce, &b64(&r["sealed"])).unwrap();
    assert_eq!(answer.status, hush_wire::blob_transfer::BlobStatus::Ok);
    let download = |attachment: &hush_wire::media::Attachment| {
        let (nonce, sealed) = hush_client::media::seal_download(&sb, attachment).unwrap();
        let (code, r) = http(
            &addr,
            "POST",
            "/v1/blobs/download",
            &json!({"session_id": B64.encode(sb.id().0), "sealed": B64.encode(&sealed)}),
        );
        assert_eq!(code, 200, "{r}");
        assert_eq!(b64(&r["body"]).len(), (1 << 16) + 16);
        hush_client::media::open_download(
            &sb,
            nonce,
            &b64(&r["sealed"]),
            &b64(&r["body"]),
            attachment,
        )
    };
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(download(&file.attachment).unwrap(), b"a picture");
    let mut unknown = file.attachment.clone();
    unknown.blob = hush_wire::media::BlobId(rand_id());
    let e = download(&unknown).unwrap_err();
    assert!(e.to_string().contains("gone"), "{e}");
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

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

/// What no route serves still answers `{code, error}` (docs/PROTOCOL.md
/// section 10): an unknown path 404, a wrong method 405, and a frame for a
/// session the enclave does not know 401 (start a new handshake).
#[test]
fn unknown_paths_methods_and_sessions_answer_json_with_their_status() {
    let server = Hushd::start(&[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (code, r) = http(&addr, "GET", "/v1/nothing-here", &json!(null));
    assert_eq!((code, r["code"].as_str()), (404, Some("NOT_FOUND")), "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("/v1/nothing-here"),
        "{r}"
    );
    let (code, r) = http(&addr, "POST", "/v1/nothing-here", &json!({}));
    assert_eq!((code, r["code"].as_str()), (404, Some("NOT_FOUND")), "{r}");

    let (code, r) = http(&addr, "GET", "/v1/broker/query", &json!(null));
    assert_eq!(
        (code, r["code"].as_str()),
        (405, Some("UNIMPLEMENTED")),
        "{r}"
    );
    assert!(r["error"].as_str().unwrap().contains("GET"), "{r}");
    let (code, r) = http(&addr, "POST", "/v1/health", &json!({}));
    assert_eq!(
        (code, r["code"].as_str()),
        (405, Some("UNIMPLEMENTED")),
        "{r}"
    );

    let unknown = json!({
        "session_id": B64.encode([7u8; 16]),
        "sealed": B64.encode([0u8; hush_wire::consts::SEALED_REQUEST_LEN]),
    });
    let (code, r) = http(&addr, "POST", "/v1/broker/query", &unknown);
    assert_eq!(
        (code, r["code"].as_str()),
        (401, Some("UNAUTHENTICATED")),
        "{r}"
    );
}

/// The HTTP fallbacks leave gRPC alone: a call to a service hushd does not
/// have gets gRPC's UNIMPLEMENTED with a grpc-status of its own (not a
/// JSON 404 that a gRPC client can only guess from).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_grpc_method_is_unimplemented() {
    use hush_wire::grpc::v1::{HandshakeRequest, HandshakeResponse};
    let server = Hushd::start(&[]);
    let channel = tonic::transport::Endpoint::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<HandshakeRequest, HandshakeResponse>::default();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static("/hush.v1.NoSuchService/Call");
    let err = grpc
        .unary(
            tonic::Request::new(HandshakeRequest { message: vec![] }),
            path,
            codec,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented, "{err}");
    assert!(err.message().contains("no gRPC method"), "{err}");
}

/// Handshakes per source address are limited when the operator sets a
/// limit (the packaged configuration does): over HTTP and gRPC alike, the
/// next one answers RESOURCE_EXHAUSTED (HTTP 429) and says when to retry;
/// an open session is not touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_per_address_are_limited_over_http_and_grpc() {
    use hush_wire::grpc::v1::HandshakeRequest;
    use hush_wire::grpc::v1::broker_client::BrokerClient;
    let server = Hushd::start(&["--handshakes-per-minute", "2"]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let alice = Identity::generate("alice");
    let (s, a) = (addr.clone(), alice.clone());
    let open = tokio::task::spawn_blocking(move || session(&s, &a))
        .await
        .unwrap();
    let hs = Handshake::start().unwrap();
    let (s, m) = (addr.clone(), B64.encode(&hs.message));
    let (code, r) = tokio::task::spawn_blocking(move || {
        http(&s, "POST", "/v1/broker/handshake", &json!({"message": m}))
    })
    .await
    .unwrap();
    assert_eq!(code, 200, "{r}");
    let (s, m) = (addr.clone(), B64.encode(&hs.message));
    let (code, r) = tokio::task::spawn_blocking(move || {
        http(&s, "POST", "/v1/broker/handshake", &json!({"message": m}))
    })
    .await
    .unwrap();
    assert_eq!(
        (code, r["code"].as_str()),
        (429, Some("RESOURCE_EXHAUSTED")),
        "{r}"
    );
    let says = r["error"].as_str().unwrap();
    assert!(
        says.contains("too many handshakes from this address: try again in 30 s"),
        "{says}"
    );
    let mut grpc = BrokerClient::connect(server.url.clone()).await.unwrap();
    let err = grpc
        .handshake(HandshakeRequest {
            message: hs.message.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err}");
    // The session opened before still answers.
    let s = addr.clone();
    let r = tokio::task::spawn_blocking(move || {
        query(
            &s,
            &open,
            Request {
                acting_as: alice.public(),
                op: Op::ReadNext,
            },
        )
    })
    .await
    .unwrap();
    assert_eq!(r.status, Status::NotFound);
}

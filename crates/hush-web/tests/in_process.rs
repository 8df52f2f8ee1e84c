//! The browser client's core, driven as the page drives it but natively,
//! against the in-process enclave: JSON bodies in, JSON answers out, with
//! the HTTP layer emulated as hushd's `/v1/broker/*` routes answer.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hush_enclave::{EnclaveApi, EnclaveConfig, InProcessEnclave, StoreConfig};
use hush_web::{Outgoing, PendingHandshake, Session, WebContact, WebIdentity, inbox_read_ids};
use serde_json::{Value, json};

fn enclave() -> InProcessEnclave {
    let config = EnclaveConfig::small(StoreConfig::new(64, 100).unwrap(), 8, 30);
    InProcessEnclave::start(config, 1_000).unwrap()
}

fn b64(v: &Value, k: &str) -> Vec<u8> {
    B64.decode(v[k].as_str().unwrap()).unwrap()
}

/// What hushd's HTTP route answers to `out`.
fn post(e: &InProcessEnclave, out: &Outgoing) -> String {
    let body: Value = serde_json::from_str(&out.body()).unwrap();
    let sid = hush_wire::SessionId::from_bytes(&b64(&body, "session_id")).unwrap();
    let sealed = b64(&body, "sealed");
    let answer = match out.path().as_str() {
        "/v1/broker/prove-keys" => e.prove_keys(&sid, &sealed).unwrap(),
        "/v1/broker/query" => e.query(&sid, &sealed).unwrap(),
        p => panic!("unexpected path {p}"),
    };
    json!({"session_id": B64.encode(sid.0), "sealed": B64.encode(answer)}).to_string()
}

/// A started handshake and hushd's answer to it, as `/v1/broker/handshake`
/// gives it.
fn handshake(e: &InProcessEnclave) -> (PendingHandshake, String) {
    let hs = PendingHandshake::start().unwrap();
    let body: Value = serde_json::from_str(&hs.body().unwrap()).unwrap();
    let reply = e.handshake(&b64(&body, "message")).unwrap();
    let answer = json!({
        "session_id": B64.encode(reply.session.0),
        "message": B64.encode(&reply.message),
    })
    .to_string();
    (hs, answer)
}

fn connect(e: &InProcessEnclave, me: &WebIdentity) -> Session {
    let (mut hs, answer) = handshake(e);
    let s = hs.finish(&answer, true).unwrap();
    assert!(
        hs.finish(&answer, true).is_err(),
        "a handshake finishes once"
    );
    let proof = s.prove_key(me);
    let r: Value = serde_json::from_str(&s.open(&proof, &post(e, &proof)).unwrap()).unwrap();
    assert_eq!(r["status"], "Ok");
    s
}

fn open(e: &InProcessEnclave, s: &Session, out: &Outgoing) -> Value {
    serde_json::from_str(&s.open(out, &post(e, out)).unwrap()).unwrap()
}

#[test]
fn alice_sends_and_bob_reads_and_deletes() {
    let e = enclave();
    let alice = WebIdentity::generate("alice").unwrap();
    let bob = WebIdentity::generate("bob").unwrap();
    let (sa, sb) = (connect(&e, &alice), connect(&e, &bob));
    assert!(sa.attestation().starts_with("DEV attestation"));
    let bobs_card = WebContact::from_card(&bob.card()).unwrap();
    let sent = open(
        &e,
        &sa,
        &sa.send(&alice, &bobs_card, "hello bob \u{1b}[2J").unwrap(),
    );
    assert_eq!(sent["status"], "Ok");

    // The inbox as the page does it: a list, then a read per slot.
    let listed = open(&e, &sb, &sb.list(&bob));
    let ids: Vec<String> = serde_json::from_value(listed["ids"].clone()).unwrap();
    assert_eq!(ids.len(), 1);
    let reads = inbox_read_ids(ids.clone()).unwrap();
    assert_eq!(reads.len() + 1, hush_web::INBOX_REQUESTS);
    let mut got = Vec::new();
    for id in &reads {
        let r = open(&e, &sb, &sb.read(&bob, id).unwrap());
        match r["status"].as_str().unwrap() {
            "Ok" => got.push(r["message"].clone()),
            "NotFound" => {}
            s => panic!("unexpected status {s}"),
        }
    }
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0]["text"], "hello bob \u{1b}[2J",
        "the page escapes; the core does not"
    );
    assert_eq!(got[0]["from"], alice.public_key());
    assert_eq!(got[0]["kind"], "text");

    // Alice cannot read bob's mailbox: her session proved only her key.
    let r = open(&e, &sa, &sa.read(&bob, &ids[0]).unwrap());
    assert_ne!(r["status"], "Ok");

    let d = open(&e, &sb, &sb.delete(&bob, &ids[0]).unwrap());
    assert_eq!(d["status"], "Ok");
    let listed = open(&e, &sb, &sb.list(&bob));
    assert_eq!(listed["ids"], json!([]));
}

#[test]
fn refusals_are_errors_with_a_reason() {
    let e = enclave();
    let alice = WebIdentity::generate("alice").unwrap();
    // Dev attestation without allowing it.
    let (mut hs, answer) = handshake(&e);
    let err = hs.finish(&answer, false).err().unwrap().to_string();
    assert!(err.contains("dev"), "{err}");
    // An HTTP error body, and garbage.
    let s = connect(&e, &alice);
    let out = s.list(&alice);
    let err = s
        .open(
            &out,
            r#"{"code":"UNAUTHENTICATED","error":"unknown session"}"#,
        )
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("UNAUTHENTICATED") && err.contains("unknown session"),
        "{err}"
    );
    assert!(s.open(&out, "not json").is_err());
    // An answer to another request is refused.
    let first = s.list(&alice);
    let second = s.list(&alice);
    let answer_to_first = post(&e, &first);
    assert!(s.open(&second, &answer_to_first).is_err());
    assert!(s.read(&alice, "not hex").is_err());
}

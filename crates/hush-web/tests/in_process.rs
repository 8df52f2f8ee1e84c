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

/// What hushd's token and directory routes answer to `out`.
fn post_service(e: &InProcessEnclave, out: &Outgoing) -> String {
    let body: Value = serde_json::from_str(&out.body()).unwrap();
    let sid = hush_wire::SessionId::from_bytes(&b64(&body, "session_id")).unwrap();
    let sealed = b64(&body, "sealed");
    let service = match out.path().as_str() {
        "/v1/tokens/redeem" => hush_enclave::ServiceId::Tokens,
        "/v1/directory/query" => hush_enclave::ServiceId::Directory,
        _ => return post(e, out),
    };
    let answer = e.call(service, &sid, &sealed).unwrap();
    json!({"session_id": B64.encode(sid.0), "sealed": B64.encode(answer)}).to_string()
}

fn open_any(e: &InProcessEnclave, s: &Session, out: &Outgoing) -> Value {
    serde_json::from_str(&s.open(out, &post_service(e, out)).unwrap()).unwrap()
}

/// Registers and verifies an email for `me`'s account, as the CLI does
/// (the browser client has no account commands).
fn sign_up(e: &InProcessEnclave, me: &WebIdentity) {
    use hush_client::session::Handshake;
    use hush_wire::directory::{
        AccountFlags, DeviceRecord, DirectoryOp, DirectoryRequest, DirectoryStatus, Identifier,
        VerificationCode,
    };
    let secret: [u8; 32] = hex::decode(me.secret_hex()).unwrap().try_into().unwrap();
    let id = hush_client::Identity::from_secret("alice", secret);
    let hs = Handshake::start().unwrap();
    let reply = e.handshake(&hs.message).unwrap();
    let s = hs
        .finish(reply.session, &reply.message, &hush_attest::Policy::dev())
        .unwrap();
    let kp = id.keypair();
    let (n, sealed) = s.seal_key_proofs(&[&kp]);
    let a = e.prove_keys(&s.id(), &sealed).unwrap();
    s.open_key_proof_response(n, &a).unwrap();
    let run = |op: DirectoryOp| {
        let (n, sealed) = s.seal_directory_request(&DirectoryRequest {
            acting_as: id.public(),
            op,
        });
        let a = e
            .call(hush_enclave::ServiceId::Directory, &s.id(), &sealed)
            .unwrap();
        s.open_directory_response(n, &a).unwrap().status
    };
    let card = hush_client::e2e::card_for(&id);
    let mut device = DeviceRecord {
        card: card.card().clone(),
        mailbox: card.signing_key(),
        signature: hush_wire::Signature([0; 64]),
    };
    let message = device.signed_message(&id.public());
    device.signature = hush_wire::Signature(
        kp.sign_simple(hush_wire::consts::DEVICE_CONTEXT, &message)
            .to_bytes(),
    );
    let email = Identifier::email("alice@example.org").unwrap();
    let op = DirectoryOp::Register {
        identifier: email.clone(),
        device,
        flags: AccountFlags::default(),
    };
    assert_eq!(run(op), DirectoryStatus::Ok);
    e.tick(1_001);
    let code = e.take_verifications()[0].code;
    let op = DirectoryOp::Verify {
        identifier: email,
        code: VerificationCode::new(code).unwrap(),
    };
    assert_eq!(run(op), DirectoryStatus::Ok);
}

/// The browser client with tokens required: a send without credit answers
/// NoTokens; an identity with a verified account gets the day's next batch
/// granted, has it issued blindly (its proof checked), redeems one, and
/// the send goes through; the day's limit is said; a spent token is refused.
#[test]
fn the_browser_client_fetches_and_redeems_the_directorys_tokens() {
    let mut config = EnclaveConfig::small(StoreConfig::new(64, 100).unwrap(), 8, 30);
    config.tokens = hush_enclave::TokenConfig {
        require: true,
        credits_per_token: 1,
        directory_tokens_per_day: 4,
        ..Default::default()
    };
    config.directory.code_release_requests = 1;
    config.directory.code_release_secs = 1;
    let e = InProcessEnclave::start(config, 1_000).unwrap();
    let alice = WebIdentity::generate("alice").unwrap();
    let bob = WebIdentity::generate("bob").unwrap();
    let to_bob = WebContact::from_card(&bob.card()).unwrap();
    let s = connect(&e, &alice);

    let send = s.send(&alice, &to_bob, "hello").unwrap();
    assert_eq!(open(&e, &s, &send)["status"], "NoTokens");
    let grant = s.grant_tokens(&alice);
    assert_eq!(open_any(&e, &s, &grant)["status"], "NotRegistered");

    sign_up(&e, &alice);
    let r = open_any(&e, &s, &s.grant_tokens(&alice));
    assert_eq!((&r["status"], &r["granted"]), (&json!("Ok"), &json!(4)));
    let probe = s.issue(None).unwrap();
    let r = open_any(&e, &s, &probe);
    assert_eq!(r["status"], "KeyChanged");
    assert_eq!(r["allowance"], 4);
    let key = r["key"].as_str().unwrap().to_owned();
    let r = open_any(&e, &s, &s.issue(Some(key)).unwrap());
    assert_eq!(r["status"], "Ok");
    let tokens: Vec<String> = serde_json::from_value(r["tokens"].clone()).unwrap();
    assert_eq!(tokens.len(), 4);
    let r = open_any(&e, &s, &s.redeem(&tokens[0]).unwrap());
    assert_eq!((&r["status"], &r["credits"]), (&json!("Ok"), &json!(1)));
    let send = s.send(&alice, &to_bob, "hello").unwrap();
    assert_eq!(open(&e, &s, &send)["status"], "Ok");

    let r = open_any(&e, &s, &s.redeem(&tokens[0]).unwrap());
    assert_eq!(r["status"], "Spent");
    let r = open_any(&e, &s, &s.grant_tokens(&alice));
    assert_eq!(
        (&r["status"], &r["perDay"]),
        (&json!("RateLimited"), &json!(4))
    );
    assert!(s.redeem("not a token").is_err());
}

//! The conformance test vectors in `docs/vectors/` (docs/PROTOCOL.md points
//! to them): made here from hush's own code, and checked here against it.
//!
//! - `cargo test -p hush-client --test vectors` checks every file: what is
//!   deterministic (keys from seeds, the Noise handshake with fixed
//!   ephemeral keys, sealed frames, status ids, safety numbers, epochs) is
//!   computed again and must match byte for byte; what is randomised
//!   (sr25519 signatures, HPKE envelopes) must verify and open with the
//!   production code, and its negative cases must not.
//! - `HUSH_WRITE_VECTORS=1 cargo test -p hush-client --test vectors` writes
//!   them again (after a deliberate change of the protocol; the diff then
//!   shows what changed).
//!
//! The same files are checked by an implementation written without this
//! code (crates/hush-py/tests/test_vectors.py, in Python from the
//! documentation) and by the WebAssembly build (web/tests/vectors.mjs).

use hush_client::Identity;
use hush_client::e2e::{self, VerifiedCard};
use hush_enclave::session::key_proof::{self, DummyProofs};
use hush_enclave::session::noise;
use hush_noise::HybridResolver;
use hush_wire::consts::{CARD_CONTEXT, KEY_PROOF_CONTEXT, KEY_PROOF_REQUEST_LEN, NOISE_PARAMS};
use hush_wire::{
    EnvelopeKind, EnvelopePlaintext, FixedCodec, KeyProof, KeyProofRequest, KeyProofResponse,
    KeyProofStatus, Message, MessageId, Payload, PublicKey, RequestRecord, Signature, Timestamp,
};
use hush_wire::{Op, Request};
use rand::SeedableRng;
use serde_json::{Value, json};
use std::path::PathBuf;

/// Where the vectors live, from this crate.
fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/vectors")
}

/// A seed named by a small number: `n` repeated, then the label's bytes
/// (readable in the files, and different for every use).
fn seed(label: &str, n: u8) -> [u8; 32] {
    let mut s = [n; 32];
    for (d, b) in s.iter_mut().zip(label.bytes()) {
        *d = b;
    }
    s
}

fn h(bytes: impl AsRef<[u8]>) -> Value {
    Value::String(hex::encode(bytes))
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("a hex string")).expect("hex")
}

fn unhex32(v: &Value) -> [u8; 32] {
    unhex(v).try_into().expect("32 bytes")
}

fn key(v: &Value) -> PublicKey {
    PublicKey::new(unhex32(v)).expect("a non-zero key")
}

/// A deterministic sr25519 signature (schnorrkel `sign_simple`, with the
/// witness RNG seeded): any correct signer makes a different but equally
/// valid one.
fn sign(id: &Identity, context: &[u8], message: &[u8], n: u64) -> [u8; 64] {
    use rand_chacha06::rand_core::SeedableRng as _;
    let t = schnorrkel::signing_context(context).bytes(message);
    let t = schnorrkel::context::attach_rng(t, rand_chacha06::ChaCha20Rng::seed_from_u64(n));
    id.keypair().sign(t).to_bytes()
}

fn verify(public: &PublicKey, context: &[u8], message: &[u8], sig: &[u8]) -> bool {
    let Ok(k) = schnorrkel::PublicKey::from_bytes(public.as_bytes()) else {
        return false;
    };
    let Ok(s) = schnorrkel::Signature::from_bytes(sig) else {
        return false;
    };
    k.verify_simple(context, message, &s).is_ok()
}

// ---------------------------------------------------------------- identity

fn make_identity() -> Value {
    let people: Vec<Value> = [("alice", 1u8), ("bob", 2), ("carol", 3)]
        .iter()
        .map(|(name, n)| {
            let id = Identity::from_secret(name, seed(name, *n));
            json!({
                "seed": h(id.seed()),
                "signing_public": h(id.public().as_bytes()),
                "encryption_public": h(e2e::card::encryption_key(&id)),
            })
        })
        .collect();
    let alice = Identity::from_secret("alice", seed("alice", 1));
    let bob = Identity::from_secret("bob", seed("bob", 2));
    let status_ids: Vec<Value> = [EnvelopeKind::Receipt, EnvelopeKind::Typing]
        .iter()
        .map(|kind| {
            json!({
                "seed": h(alice.seed()),
                "kind": *kind as u8,
                "recipient": h(bob.public().as_bytes()),
                "id": h(hush_client::status::status_id(&alice, *kind, &bob.public()).as_bytes()),
            })
        })
        .collect();
    json!({
        "description": "Identities (docs/PROTOCOL.md section 3, 'From seed to keys'): a 32-byte seed gives the sr25519 signing key (schnorrkel MiniSecretKey, ExpansionMode::Ed25519) and the X25519 encryption key (HPKE DeriveKeyPair of 'hush.identity.x25519.v1' | seed, DHKEM(X25519, HKDF-SHA256)); status ids (section 3) are SHA-256('hush.status-id.v1' | seed | kind | recipient), first 16 bytes, lowest bit of the first byte set.",
        "identities": people,
        "status_ids": status_ids,
    })
}

fn check_identity(v: &Value) {
    for p in v["identities"].as_array().unwrap() {
        let id = Identity::from_secret("x", unhex32(&p["seed"]));
        assert_eq!(h(id.public().as_bytes()), p["signing_public"]);
        assert_eq!(h(e2e::card::encryption_key(&id)), p["encryption_public"]);
    }
    for s in v["status_ids"].as_array().unwrap() {
        let id = Identity::from_secret("x", unhex32(&s["seed"]));
        let kind = match s["kind"].as_u64().unwrap() {
            2 => EnvelopeKind::Receipt,
            3 => EnvelopeKind::Typing,
            k => panic!("kind {k}"),
        };
        let got = hush_client::status::status_id(&id, kind, &key(&s["recipient"]));
        assert_eq!(h(got.as_bytes()), s["id"]);
    }
}

// ----------------------------------------------------------------- sr25519

fn make_sr25519() -> Value {
    let alice = Identity::from_secret("alice", seed("alice", 1));
    let mut cases = Vec::new();
    for (i, (context, message)) in [
        (KEY_PROOF_CONTEXT, &[0x42u8; 32][..]),
        (CARD_CONTEXT, &e2e::card::encryption_key(&alice)[..]),
        (b"hush.device.v1".as_slice(), b"a message".as_slice()),
    ]
    .into_iter()
    .enumerate()
    {
        let sig = sign(&alice, context, message, i as u64);
        cases.push(json!({
            "public": h(alice.public().as_bytes()),
            "context": String::from_utf8(context.to_vec()).unwrap(),
            "message": h(message),
            "signature": h(sig),
            "valid": true,
        }));
        if i == 0 {
            // The same signature under another context, and with one bit
            // of the message flipped: both must fail.
            cases.push(json!({
                "public": h(alice.public().as_bytes()),
                "context": "substrate",
                "message": h(message),
                "signature": h(sig),
                "valid": false,
                "why": "signed under hush.key-proof.v1, checked under another context",
            }));
            let mut m = message.to_vec();
            m[0] ^= 1;
            cases.push(json!({
                "public": h(alice.public().as_bytes()),
                "context": String::from_utf8(context.to_vec()).unwrap(),
                "message": h(m),
                "signature": h(sig),
                "valid": false,
                "why": "one bit of the message flipped",
            }));
        }
    }
    json!({
        "description": "sr25519 signatures as hush makes them: schnorrkel sign_simple(context, message), i.e. the merlin transcript 'SigningContext' with the context appended under the empty label and the message under 'sign-bytes' (docs/PROTOCOL.md section 1.3). Signatures are randomised: check that the valid ones verify and the others do not; do not expect to reproduce them.",
        "cases": cases,
    })
}

fn check_sr25519(v: &Value) {
    for c in v["cases"].as_array().unwrap() {
        let ok = verify(
            &key(&c["public"]),
            c["context"].as_str().unwrap().as_bytes(),
            &unhex(&c["message"]),
            &unhex(&c["signature"]),
        );
        assert_eq!(ok, c["valid"].as_bool().unwrap(), "{c}");
    }
}

// ------------------------------------------------------ cards, safety numbers

fn make_cards() -> Value {
    let people: Vec<Identity> = [("alice", 1u8), ("bob", 2), ("carol", 3)]
        .iter()
        .map(|(name, n)| Identity::from_secret(name, seed(name, *n)))
        .collect();
    let cards: Vec<Value> = people
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let enc = e2e::card::encryption_key(id);
            let card = hush_wire::Card {
                signing_key: id.public(),
                encryption_key: enc,
                signature: Signature(sign(id, CARD_CONTEXT, &enc, 100 + i as u64)),
            };
            json!({"card": card.to_text(), "signing_public": h(id.public().as_bytes()),
                   "encryption_public": h(enc), "valid": true})
        })
        .collect();
    // A card whose signature is another identity's: must be refused.
    let (a, b) = (&people[0], &people[1]);
    let enc = e2e::card::encryption_key(a);
    let forged = hush_wire::Card {
        signing_key: a.public(),
        encryption_key: enc,
        signature: Signature(sign(b, CARD_CONTEXT, &enc, 200)),
    };
    let mut cards = cards;
    cards.push(json!({"card": forged.to_text(), "valid": false,
                      "why": "signed by another identity's key"}));
    let pairs: Vec<Value> = [(0, 1), (1, 0), (0, 2)]
        .iter()
        .map(|&(i, j)| {
            let n = e2e::safety_number::safety_number(&people[i].public(), &people[j].public());
            json!({"a": h(people[i].public().as_bytes()), "b": h(people[j].public().as_bytes()),
                   "digits": n, "grouped": e2e::safety_number::grouped(&n)})
        })
        .collect();
    json!({
        "description": "Contact cards (docs/PROTOCOL.md section 4: 'hush-card-v1:' | hex of signing key 32 | encryption key 32 | sr25519 signature 64 under context 'hush.card.v1' of the encryption key) and safety numbers (section 5: the same 60 digits whichever side computes them).",
        "cards": cards,
        "safety_numbers": pairs,
    })
}

fn check_cards(v: &Value) {
    for c in v["cards"].as_array().unwrap() {
        let got = VerifiedCard::from_text(c["card"].as_str().unwrap());
        assert_eq!(got.is_ok(), c["valid"].as_bool().unwrap(), "{c}");
        if let Ok(card) = got {
            assert_eq!(h(card.signing_key().as_bytes()), c["signing_public"]);
            assert_eq!(h(card.card().encryption_key), c["encryption_public"]);
        }
    }
    for p in v["safety_numbers"].as_array().unwrap() {
        let n = e2e::safety_number::safety_number(&key(&p["a"]), &key(&p["b"]));
        assert_eq!(n, p["digits"].as_str().unwrap());
        assert_eq!(
            e2e::safety_number::grouped(&n),
            p["grouped"].as_str().unwrap()
        );
    }
}

// ----------------------------------------------------------------- session

/// The fixed keys of the handshake vector.
struct SessionKeys {
    client_ephemeral: [u8; 32],
    server_static: [u8; 32],
    server_ephemeral: [u8; 32],
    /// The client's ML-KEM-768 seed `d || z` (FIPS 203 ML-KEM.KeyGen_internal).
    client_kem_seed: [u8; 64],
    /// The server's encapsulation randomness `m` (ML-KEM.Encaps_internal).
    server_kem_m: [u8; 32],
}

const SESSION_KEYS: SessionKeys = SessionKeys {
    client_ephemeral: [0x11; 32],
    server_static: [0x22; 32],
    server_ephemeral: [0x33; 32],
    client_kem_seed: [0x44; 64],
    server_kem_m: [0x55; 32],
};

/// X25519 public key of a secret.
fn x25519_public(secret: &[u8; 32]) -> [u8; 32] {
    curve25519_dalek::MontgomeryPoint::mul_base_clamped(*secret).to_bytes()
}

/// Runs the NXhfs handshake with fixed ephemeral keys and ML-KEM randomness, as hush's client and
/// enclave would with these keys; returns (message 1, message 2, payload,
/// handshake hash, k1, k2, client transport, server transport).
#[allow(clippy::type_complexity)]
fn handshake(
    keys: &SessionKeys,
) -> (
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    [u8; 32],
    [u8; 32],
    snow::StatelessTransportState,
    snow::StatelessTransportState,
) {
    // Only the client's ML-KEM seed is drawn from its random source (its
    // X25519 ephemeral is fixed); the server draws nothing but `m`.
    let fixed = |stream: &[u8], m: [u8; 32]| {
        snow::Builder::with_resolver(
            hush_noise::SESSION.params(),
            Box::new(HybridResolver::with_fixed_randomness(stream, m)),
        )
    };
    let mut client = fixed(&keys.client_kem_seed, [0; 32])
        .fixed_ephemeral_key_for_testing_only(&keys.client_ephemeral)
        .build_initiator()
        .unwrap();
    let mut server = fixed(&[], keys.server_kem_m)
        .local_private_key(&keys.server_static)
        .unwrap()
        .fixed_ephemeral_key_for_testing_only(&keys.server_ephemeral)
        .build_responder()
        .unwrap();
    let static_public = x25519_public(&keys.server_static);
    let mut payload = hush_attest::epoch_of(&static_public).to_le_bytes().to_vec();
    payload.extend(hush_attest::dev::produce(&static_public).encode());
    let mut m1 = vec![0u8; 65_535];
    let n = client.write_message(&[], &mut m1).unwrap();
    m1.truncate(n);
    let mut scratch = vec![0u8; 65_535];
    server.read_message(&m1, &mut scratch).unwrap();
    let mut m2 = vec![0u8; 65_535];
    let n = server.write_message(&payload, &mut m2).unwrap();
    m2.truncate(n);
    let n = client.read_message(&m2, &mut scratch).unwrap();
    assert_eq!(scratch[..n], payload[..]);
    assert_eq!(client.get_remote_static().unwrap(), static_public);
    let hash = client.get_handshake_hash().to_vec();
    assert_eq!(hash, server.get_handshake_hash());
    let (k1, k2) = client.dangerously_get_raw_split();
    assert_eq!((k1, k2), server.dangerously_get_raw_split());
    (
        m1,
        m2,
        payload,
        hash,
        k1,
        k2,
        client.into_stateless_transport_mode().unwrap(),
        server.into_stateless_transport_mode().unwrap(),
    )
}

/// Seals a client frame (requests: k1).
fn client_seal(t: &snow::StatelessTransportState, nonce: u64, plain: &[u8]) -> Vec<u8> {
    let mut ct = vec![0u8; plain.len() + 16];
    let n = t.write_message(nonce, plain, &mut ct).unwrap();
    ct.truncate(n);
    hush_wire::SealedFrame {
        nonce,
        ciphertext: ct,
    }
    .encode()
}

fn make_session() -> Value {
    let k = &SESSION_KEYS;
    let (m1, m2, payload, hash, k1, k2, client, server) = handshake(k);
    let alice = Identity::from_secret("alice", seed("alice", 1));
    let bob = Identity::from_secret("bob", seed("bob", 2));
    let proofs = KeyProofRequest {
        proofs: [&alice, &bob]
            .iter()
            .enumerate()
            .map(|(i, id)| KeyProof {
                key: id.public(),
                signature: Signature(sign(id, KEY_PROOF_CONTEXT, &hash, 300 + i as u64)),
            })
            .collect(),
    };
    let proof_plain = proofs.encode();
    let answer = KeyProofResponse {
        status: KeyProofStatus::Ok,
        keys_proven: 2,
    }
    .encode();
    let create = RequestRecord::encode(&Request {
        acting_as: alice.public(),
        op: Op::Create {
            id: MessageId::new([0x5a; 16]).unwrap(),
            recipient: bob.public(),
            payload: Payload::from_raw([0x77; hush_wire::consts::PAYLOAD_LEN]),
        },
    });
    let frames = vec![
        json!({"from": "client", "key": "k1", "nonce": 0, "what": "key proof request (section 1.3)",
               "plaintext": h(&proof_plain), "frame": h(client_seal(&client, 0, &proof_plain))}),
        json!({"from": "server", "key": "k2", "nonce": 0, "what": "its answer: status 0, 2 keys proven",
               "plaintext": h(&answer), "frame": h(noise::seal(&server, 0, &answer))}),
        json!({"from": "client", "key": "k1", "nonce": 1, "what": "a broker create request record (section 2): alice to bob, id 5a..5a, payload 77..77",
               "plaintext": h(create.as_bytes()), "frame": h(client_seal(&client, 1, create.as_bytes()))}),
    ];
    // The same proof, refused: another session's hash, one proof forged.
    let mut forged = proofs.clone();
    forged.proofs[1].signature = Signature(sign(&bob, KEY_PROOF_CONTEXT, &[0u8; 32], 400));
    json!({
        "description": "One session (docs/PROTOCOL.md section 1): Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s (-> e, e1; <- e, ee, ekem1, s, es) with an empty prologue, the initiator's and responder's X25519 ephemeral keys, the initiator's ML-KEM-768 seed d || z and the responder's encapsulation randomness m all fixed (never in real use; ML-KEM is FIPS 203's, keys from KeyGen_internal(d, z), encapsulation Encaps_internal(ek, m)), the responder's payload the epoch (u64 LE) then dev evidence binding its static key; then sealed frames (nonce u64 LE | ChaCha20-Poly1305 with the 12-byte nonce 0000 | nonce LE, no associated data; k1 for the client's frames, k2 for the server's). The key proof signs the handshake hash.",
        "protocol": NOISE_PARAMS,
        "prologue": "",
        "client_ephemeral_secret": h(k.client_ephemeral),
        "server_static_secret": h(k.server_static),
        "server_static_public": h(x25519_public(&k.server_static)),
        "server_ephemeral_secret": h(k.server_ephemeral),
        "client_kem_seed": h(k.client_kem_seed),
        "server_kem_m": h(k.server_kem_m),
        "message1": h(&m1),
        "payload": h(&payload),
        "epoch": hush_attest::epoch_of(&x25519_public(&k.server_static)).to_string(),
        "message2": h(&m2),
        "handshake_hash": h(&hash),
        "k1": h(k1),
        "k2": h(k2),
        "frames": frames,
        "key_proofs": [
            {"plaintext": h(&proof_plain), "status": 0, "keys_proven": 2},
            {"plaintext": h(forged.encode()), "status": 1, "keys_proven": 0,
             "why": "bob's signature is of another hash: nothing is added"},
        ],
    })
}

fn check_session(v: &Value) {
    let keys = SessionKeys {
        client_ephemeral: unhex32(&v["client_ephemeral_secret"]),
        server_static: unhex32(&v["server_static_secret"]),
        server_ephemeral: unhex32(&v["server_ephemeral_secret"]),
        client_kem_seed: unhex(&v["client_kem_seed"]).try_into().expect("64 bytes"),
        server_kem_m: unhex32(&v["server_kem_m"]),
    };
    let (m1, m2, payload, hash, k1, k2, client, server) = handshake(&keys);
    assert_eq!(v["protocol"], NOISE_PARAMS);
    assert_eq!(h(&m1), v["message1"]);
    assert_eq!(h(&m2), v["message2"]);
    assert_eq!(h(&payload), v["payload"]);
    assert_eq!(h(&hash), v["handshake_hash"]);
    assert_eq!((h(k1), h(k2)), (v["k1"].clone(), v["k2"].clone()));
    assert_eq!(
        v["epoch"].as_str().unwrap(),
        hush_attest::epoch_of(&unhex32(&v["server_static_public"])).to_string()
    );
    // The evidence in the payload parses and binds the static key.
    let evidence = hush_attest::Evidence::decode(&payload[8..]).unwrap();
    assert_eq!(
        evidence.report_data,
        hush_attest::ReportData::for_noise_key(&unhex32(&v["server_static_public"]))
    );
    for f in v["frames"].as_array().unwrap() {
        let plain = unhex(&f["plaintext"]);
        let nonce = f["nonce"].as_u64().unwrap();
        let frame = unhex(&f["frame"]);
        // The layout PROTOCOL.md states, with a plain AEAD: nonce LE |
        // ChaCha20-Poly1305(k, 0000 | nonce LE, no associated data).
        {
            use chacha20poly1305::aead::{Aead, KeyInit};
            let k = if f["key"] == "k1" { k1 } else { k2 };
            let mut n = [0u8; 12];
            n[4..].copy_from_slice(&nonce.to_le_bytes());
            let ct = chacha20poly1305::ChaCha20Poly1305::new(&k.into())
                .encrypt(&n.into(), &plain[..])
                .unwrap();
            assert_eq!(frame[..8], nonce.to_le_bytes());
            assert_eq!(frame[8..], ct[..]);
        }
        match f["from"].as_str().unwrap() {
            "client" => {
                assert_eq!(client_seal(&client, nonce, &plain), frame);
                // The enclave's own opening code reads it.
                let (n, got) = noise::open(&server, &frame, plain.len()).unwrap();
                assert_eq!((n, &got[..]), (nonce, &plain[..]));
            }
            _ => assert_eq!(noise::seal(&server, nonce, &plain), frame),
        }
    }
    let dummies = DummyProofs::generate();
    for p in v["key_proofs"].as_array().unwrap() {
        let plain = unhex(&p["plaintext"]);
        assert_eq!(plain.len(), KEY_PROOF_REQUEST_LEN);
        let verdict = key_proof::check_request(&plain, &hash, &dummies);
        let ok = bool::from(verdict.well_formed & verdict.all_valid);
        assert_eq!(ok, p["status"] == 0, "{p}");
        let proven = verdict.present.iter().filter(|c| bool::from(**c)).count();
        if ok {
            assert_eq!(proven as u64, p["keys_proven"].as_u64().unwrap());
        }
    }
}

// --------------------------------------------------------------- envelopes

fn make_envelopes() -> Value {
    let alice = Identity::from_secret("alice", seed("alice", 1));
    let bob = Identity::from_secret("bob", seed("bob", 2));
    let carol = Identity::from_secret("carol", seed("carol", 3));
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let mut cases = Vec::new();
    for (i, (kind, content)) in [
        (EnvelopeKind::Text, "hello bob".as_bytes().to_vec()),
        (EnvelopeKind::Text, "é".repeat(393).into_bytes()),
        (EnvelopeKind::Typing, vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let id = MessageId::new([0x10 + i as u8; 16]).unwrap();
        let plain = EnvelopePlaintext::new(kind, &content).unwrap();
        let sealed = e2e::seal_with_rng(
            &alice,
            &e2e::card_for(&bob),
            &id,
            &alice.public(),
            &plain,
            &mut rng,
        )
        .unwrap();
        cases.push(json!({
            "recipient_seed": h(bob.seed()),
            "message_id": h(id.as_bytes()),
            "sender": h(alice.public().as_bytes()),
            "recipient": h(bob.public().as_bytes()),
            "payload": h(sealed.payload().as_bytes()),
            "opens": true,
            "author_role": 0,
            "kind": kind as u8,
            "content": h(&content),
        }));
    }
    // The first envelope, claimed by another sender (carol): the associated
    // data no longer matches, and the author's signature is not carol's.
    let first = cases[0].clone();
    let mut moved = first.clone();
    moved["sender"] = h(carol.public().as_bytes());
    moved["opens"] = json!(false);
    moved["why"] = json!("the message's sender key is changed: it must not open");
    for k in ["author_role", "kind", "content"] {
        moved.as_object_mut().unwrap().remove(k);
    }
    cases.push(moved);
    json!({
        "description": "End-to-end envelopes (docs/PROTOCOL.md section 3): HPKE (RFC 9180) auth mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, info 'hush.envelope.v1'; the 936-byte payload is header 130 (version, author role, author's X25519 key, its sr25519 signature under 'hush.card.v1', enc) | sealed plaintext 790 | tag 16; associated data 'hush.envelope.v1' | message id | sender | recipient | header. The recipient's X25519 key comes from its seed (identity.json). HPKE is randomised: open these, do not expect to reproduce them.",
        "cases": cases,
    })
}

fn check_envelopes(v: &Value) {
    for c in v["cases"].as_array().unwrap() {
        let me = Identity::from_secret("x", unhex32(&c["recipient_seed"]));
        let message = Message {
            id: MessageId::new(unhex(&c["message_id"]).try_into().unwrap()).unwrap(),
            sender: key(&c["sender"]),
            recipient: key(&c["recipient"]),
            timestamp: Timestamp(0),
            payload: Payload::from_raw(unhex(&c["payload"]).try_into().unwrap()),
        };
        let opened = e2e::open(&me, &message);
        assert_eq!(opened.is_ok(), c["opens"].as_bool().unwrap(), "{c}");
        if let Ok(o) = opened {
            assert_eq!(o.kind as u8 as u64, c["kind"].as_u64().unwrap());
            assert_eq!(h(&o.content), c["content"]);
            assert_eq!(o.author, message.sender);
        }
    }
}

// --------------------------------------------------------------- the files

type Maker = fn() -> Value;
type Checker = fn(&Value);

const FILES: [(&str, Maker, Checker); 5] = [
    ("identity.json", make_identity, check_identity),
    ("sr25519.json", make_sr25519, check_sr25519),
    ("cards.json", make_cards, check_cards),
    ("session.json", make_session, check_session),
    ("envelopes.json", make_envelopes, check_envelopes),
];

#[test]
fn the_vectors_match_the_code() {
    let write = std::env::var_os("HUSH_WRITE_VECTORS").is_some();
    for (name, make, check) in FILES {
        let path = dir().join(name);
        if write {
            std::fs::create_dir_all(dir()).unwrap();
            let text = serde_json::to_string_pretty(&make()).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (HUSH_WRITE_VECTORS=1 writes it)", path.display()));
        let v: Value = serde_json::from_str(&text).unwrap();
        check(&v);
    }
}

/// The checks are not vacuous: a vector changed by one byte fails them.
#[test]
fn a_changed_vector_is_caught() {
    let mut v = make_session();
    let mut m2 = unhex(&v["message2"]);
    m2[40] ^= 1;
    v["message2"] = h(m2);
    assert!(std::panic::catch_unwind(|| check_session(&v)).is_err());
    let mut v = make_envelopes();
    let mut p = unhex(&v["cases"][0]["payload"]);
    p[200] ^= 1;
    v["cases"][0]["payload"] = h(p);
    assert!(std::panic::catch_unwind(|| check_envelopes(&v)).is_err());
    let mut v = make_sr25519();
    v["cases"][0]["valid"] = json!(false);
    assert!(std::panic::catch_unwind(|| check_sr25519(&v)).is_err());
}

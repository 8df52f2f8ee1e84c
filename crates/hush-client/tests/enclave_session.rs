//! The client's session code against the in-process enclave, without a
//! network: handshake, attestation policy, key proofs, sealed queries, and
//! every kind of bad input the enclave must refuse without harm.

use hush_attest::Policy;
use hush_client::session::{ClientSession, Handshake};
use hush_client::{ClientError, Identity};
use hush_enclave::{EnclaveApi, EnclaveConfig, InProcessEnclave, SessionError, StoreConfig};
use hush_wire::consts::{HANDSHAKE_INIT_LEN, SEALED_REQUEST_LEN};
use hush_wire::{
    KeyProofStatus, MessageId, Op, Payload, Request, RequestRecord, Response, SessionId, Status,
};

fn enclave(max_sessions: usize) -> InProcessEnclave {
    let config = EnclaveConfig::small(StoreConfig::new(64, 100).unwrap(), max_sessions, 30);
    InProcessEnclave::start(config, 1_000).unwrap()
}

fn connect(e: &InProcessEnclave, ids: &[&Identity]) -> ClientSession {
    let hs = Handshake::start().unwrap();
    let reply = e.handshake(&hs.message).unwrap();
    let s = hs
        .finish(reply.session, &reply.message, &Policy::dev())
        .unwrap();
    if !ids.is_empty() {
        let kps: Vec<_> = ids.iter().map(|i| i.keypair()).collect();
        let refs: Vec<_> = kps.iter().collect();
        let (nonce, sealed) = s.seal_key_proofs(&refs);
        let resp = e.prove_keys(&s.id(), &sealed).unwrap();
        assert_eq!(
            s.open_key_proof_response(nonce, &resp).unwrap().status,
            KeyProofStatus::Ok
        );
    }
    s
}

fn query(e: &InProcessEnclave, s: &ClientSession, req: Request) -> Response {
    let (nonce, sealed) = s.seal_request(&RequestRecord::encode(&req));
    let resp = e.query(&s.id(), &sealed).unwrap();
    assert_eq!(resp.len(), 2048, "every response frame has one size");
    s.open_response(nonce, &resp).unwrap().decode().unwrap()
}

fn create(alice: &Identity, bob: &Identity, id: MessageId, text: &str) -> Request {
    Request {
        acting_as: alice.public(),
        op: Op::Create {
            id,
            recipient: bob.public(),
            payload: Payload::frame(text.as_bytes()).unwrap(),
        },
    }
}

#[test]
fn attested_session_delivers_a_message() {
    let e = enclave(8);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let sa = connect(&e, &[&alice]);
    let sb = connect(&e, &[&bob]);
    let id = hush_client::new_message_id();
    assert_eq!(
        query(&e, &sa, create(&alice, &bob, id, "hello bob")).status,
        Status::Ok
    );
    let r = query(
        &e,
        &sb,
        Request {
            acting_as: bob.public(),
            op: Op::ReadNext,
        },
    );
    assert_eq!(r.status, Status::Ok);
    let m = r.message.unwrap();
    assert_eq!(m.payload.unframe().unwrap(), b"hello bob");
    assert_eq!((m.sender, m.id), (alice.public(), id));
    assert_eq!(r.listing.ids(), &[id]);
}

#[test]
fn dev_attestation_needs_an_explicit_policy() {
    let e = enclave(8);
    let hs = Handshake::start().unwrap();
    let reply = e.handshake(&hs.message).unwrap();
    let err = hs
        .finish(reply.session, &reply.message, &Policy::default())
        .err()
        .expect("refused");
    assert!(matches!(err, ClientError::Attestation(_)), "{err}");
}

#[test]
fn acting_as_an_unproven_key_is_refused_and_changes_nothing() {
    let e = enclave(8);
    let (alice, bob, mallory) = (
        Identity::generate("a"),
        Identity::generate("b"),
        Identity::generate("m"),
    );
    let sa = connect(&e, &[&alice]);
    let sm = connect(&e, &[&mallory]);
    let id = hush_client::new_message_id();
    assert_eq!(
        query(&e, &sa, create(&alice, &bob, id, "x")).status,
        Status::Ok
    );
    // Mallory claims to be bob (not proven in her session).
    let r = query(
        &e,
        &sm,
        Request {
            acting_as: bob.public(),
            op: Op::DeleteNext,
        },
    );
    assert_eq!(r.status, Status::KeyNotProven);
    assert!(r.message.is_none() && r.listing.ids().is_empty());
    let sb = connect(&e, &[&bob]);
    let r = query(
        &e,
        &sb,
        Request {
            acting_as: bob.public(),
            op: Op::List,
        },
    );
    assert_eq!(r.listing.ids(), &[id], "the message is still there");
}

#[test]
fn key_proofs_are_bound_to_the_session_and_bounded() {
    let e = enclave(8);
    let ids: Vec<_> = (0..5)
        .map(|i| Identity::generate(&format!("k{i}")))
        .collect();
    let s1 = connect(&e, &[]);
    let s2 = connect(&e, &[]);
    // A proof made for session 1 presented in session 2 is refused.
    let kp = ids[0].keypair();
    let (_, sealed_for_1) = s1.seal_key_proofs(&[&kp]);
    assert_eq!(
        e.prove_keys(&s2.id(), &sealed_for_1),
        Err(SessionError::BadFrame)
    );
    // Four keys fit, a fifth does not.
    let kps: Vec<_> = ids.iter().map(|i| i.keypair()).collect();
    let (n, sealed) = s1.seal_key_proofs(&[&kps[0], &kps[1], &kps[2], &kps[3]]);
    let r = s1
        .open_key_proof_response(n, &e.prove_keys(&s1.id(), &sealed).unwrap())
        .unwrap();
    assert_eq!((r.status, r.keys_proven), (KeyProofStatus::Ok, 4));
    let (n, sealed) = s1.seal_key_proofs(&[&kps[4]]);
    let r = s1
        .open_key_proof_response(n, &e.prove_keys(&s1.id(), &sealed).unwrap())
        .unwrap();
    assert_eq!((r.status, r.keys_proven), (KeyProofStatus::TooManyKeys, 4));
}

#[test]
fn bad_frames_are_refused_and_the_session_keeps_working() {
    let e = enclave(8);
    let (alice, bob) = (Identity::generate("a"), Identity::generate("b"));
    let s = connect(&e, &[&alice]);
    let req = RequestRecord::encode(&create(&alice, &bob, hush_client::new_message_id(), "x"));
    let (_, sealed) = s.seal_request(&req);
    // Replay of a frame that was already accepted.
    assert!(e.query(&s.id(), &sealed).is_ok());
    assert_eq!(e.query(&s.id(), &sealed), Err(SessionError::Replay));
    // Wrong sizes, garbage, a flipped bit, an unknown session.
    let (_, fresh) = s.seal_request(&req);
    assert!(matches!(
        e.query(&s.id(), &fresh[..SEALED_REQUEST_LEN - 1]),
        Err(SessionError::FrameLength { .. })
    ));
    assert!(matches!(
        e.query(&s.id(), &[0u8; 5]),
        Err(SessionError::FrameLength { .. })
    ));
    assert_eq!(
        e.query(&s.id(), &vec![0x41u8; SEALED_REQUEST_LEN]),
        Err(SessionError::BadFrame)
    );
    let mut flipped = fresh.clone();
    flipped[100] ^= 1;
    assert_eq!(e.query(&s.id(), &flipped), Err(SessionError::BadFrame));
    assert_eq!(
        e.query(&SessionId([9; 16]), &fresh),
        Err(SessionError::UnknownSession)
    );
    // A garbage record inside a valid frame: InvalidRequest, same sizes.
    let garbage = RequestRecord::from_bytes(&[0xff; 1024]).unwrap();
    let (nonce, sealed) = s.seal_request(&garbage);
    let resp = e.query(&s.id(), &sealed).unwrap();
    assert_eq!(
        s.open_response(nonce, &resp)
            .unwrap()
            .decode()
            .unwrap()
            .status,
        Status::InvalidRequest
    );
    // Bad handshakes.
    assert!(matches!(
        e.handshake(&[0u8; HANDSHAKE_INIT_LEN - 1]),
        Err(SessionError::BadHandshake(_))
    ));
    assert!(matches!(
        e.handshake(&[]),
        Err(SessionError::BadHandshake(_))
    ));
    // The untouched fresh frame still works.
    assert!(e.query(&s.id(), &fresh).is_ok());
    let r = query(
        &e,
        &s,
        create(&alice, &bob, hush_client::new_message_id(), "still fine"),
    );
    assert_eq!(r.status, Status::Ok);
}

#[test]
fn handshake_floods_evict_half_open_sessions_first() {
    let e = enclave(16);
    let alice = Identity::generate("a");
    let working = connect(&e, &[&alice]);
    for _ in 0..500 {
        let hs = Handshake::start().unwrap();
        e.handshake(&hs.message).unwrap();
    }
    assert_eq!(e.stats().sessions, 16, "the table stays at its bound");
    let r = query(
        &e,
        &working,
        Request {
            acting_as: alice.public(),
            op: Op::List,
        },
    );
    assert_eq!(
        r.status,
        Status::Ok,
        "a proven session survives a flood of half-open ones"
    );
}

#[test]
fn idle_sessions_expire() {
    let e = enclave(8);
    let alice = Identity::generate("a");
    let s = connect(&e, &[&alice]);
    e.tick(1_020);
    assert_eq!(
        query(
            &e,
            &s,
            Request {
                acting_as: alice.public(),
                op: Op::List
            }
        )
        .status,
        Status::Ok
    );
    e.tick(1_051); // 31 s idle > 30 s timeout
    let (_, sealed) = s.seal_request(&RequestRecord::encode(&Request {
        acting_as: alice.public(),
        op: Op::List,
    }));
    assert_eq!(e.query(&s.id(), &sealed), Err(SessionError::UnknownSession));
}

#[test]
fn abandoned_proven_sessions_do_not_lock_newcomers_out() {
    let e = enclave(16);
    let ids: Vec<_> = (0..16)
        .map(|i| Identity::generate(&format!("a{i}")))
        .collect();
    // Sixteen clients prove keys and vanish.
    for id in &ids {
        connect(&e, &[id]);
    }
    assert_eq!(e.stats().sessions, 16);
    // Newcomers arriving together (handshakes interleaved before their key
    // proofs) still get in, many times over.
    for n in 0..20 {
        let (a, b) = (
            Identity::generate(&format!("n{n}a")),
            Identity::generate(&format!("n{n}b")),
        );
        let (ha, hb) = (Handshake::start().unwrap(), Handshake::start().unwrap());
        let ra = e.handshake(&ha.message).unwrap();
        let rb = e.handshake(&hb.message).unwrap();
        for (hs, reply, who) in [(ha, ra, &a), (hb, rb, &b)] {
            let s = hs
                .finish(reply.session, &reply.message, &Policy::dev())
                .unwrap();
            let kp = who.keypair();
            let (nonce, sealed) = s.seal_key_proofs(&[&kp]);
            let resp = e
                .prove_keys(&s.id(), &sealed)
                .expect("the newcomer's session was not evicted");
            assert_eq!(
                s.open_key_proof_response(nonce, &resp).unwrap().status,
                KeyProofStatus::Ok
            );
            assert_eq!(
                query(
                    &e,
                    &s,
                    Request {
                        acting_as: who.public(),
                        op: Op::List
                    }
                )
                .status,
                Status::Ok
            );
        }
    }
    assert_eq!(e.stats().sessions, 16);
}

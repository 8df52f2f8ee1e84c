//! Everything the host receives from the enclave, compared across runs
//! that differ only in secrets.
//!
//! The host drives [`EnclaveApi`]: handshake, prove_keys, query, tick and
//! stats. A [`Host`] here plays it and writes down everything it gets
//! back: which call, whether it failed and how, the length of every reply,
//! and `stats()` after every call. Session ids are written as their order
//! of creation (they are random). Runs that differ only in op types,
//! outcomes, keys, message contents and the validity or number of key
//! proofs must give the host identical logs.
//!
//! What this file does not cover, and where it is: how long calls take
//! (`hush-timing`, gated in `.ci/run`), and the store's memory accesses
//! (`store/tests.rs`, with a recorder on the ORAM).

use hush_attest::Policy;
use hush_client::Identity;
use hush_client::session::{ClientSession, Handshake};
use hush_enclave::session::key_proof;
use hush_enclave::{AttestationMode, EnclaveApi, EnclaveConfig, InProcessEnclave, StoreConfig};
use hush_wire::{
    FixedCodec, KeyProofRequest, KeyProofStatus, MessageId, Op, Payload, PublicKey, Request,
    RequestRecord, Response, SessionId, Status,
};

const START: u64 = 1_000;

fn enclave(capacity: u32, ttl: u64, max_sessions: usize) -> InProcessEnclave {
    let config = EnclaveConfig {
        store: StoreConfig::new(capacity, ttl)
            .unwrap()
            .with_max_recipients(4)
            .unwrap(),
        max_sessions,
        session_idle_secs: 600,
        attestation: AttestationMode::Dev,
    };
    InProcessEnclave::start(config, START).unwrap()
}

/// The host: calls the enclave and logs everything it gets back.
struct Host {
    e: InProcessEnclave,
    log: Vec<String>,
    ids: Vec<SessionId>,
}

/// What a client wants to prove in a key-proof request.
#[derive(Clone, Copy)]
enum Proofs<'a> {
    /// Valid proofs of these identities.
    Valid(&'a [&'a Identity]),
    /// Proofs of these identities over the wrong hash.
    Invalid(&'a [&'a Identity]),
}

impl Host {
    fn new(e: InProcessEnclave) -> Self {
        Self {
            e,
            log: Vec::new(),
            ids: Vec::new(),
        }
    }

    fn session_no(&self, id: &SessionId) -> usize {
        self.ids
            .iter()
            .position(|s| s == id)
            .expect("known session")
    }

    fn note(&mut self, what: String) {
        let stats = self.e.stats();
        self.log.push(format!("{what} | stats {stats:?}"));
    }

    fn handshake(&mut self) -> ClientSession {
        let hs = Handshake::start().unwrap();
        let reply = self.e.handshake(&hs.message).unwrap();
        self.ids.push(reply.session);
        let no = self.ids.len() - 1;
        self.note(format!("handshake -> s{no}, {} bytes", reply.message.len()));
        hs.finish(reply.session, &reply.message, &Policy::dev())
            .unwrap()
    }

    /// Sends a key-proof request; returns the status only the client sees.
    fn prove(&mut self, s: &ClientSession, proofs: Proofs) -> KeyProofStatus {
        let (nonce, sealed) = match proofs {
            Proofs::Valid(ids) => {
                let kps: Vec<_> = ids.iter().map(|i| i.keypair()).collect();
                let refs: Vec<_> = kps.iter().collect();
                s.seal_key_proofs(&refs)
            }
            Proofs::Invalid(ids) => {
                let req = KeyProofRequest {
                    proofs: ids
                        .iter()
                        .map(|i| key_proof::sign(&i.keypair(), b"another channel's hash"))
                        .collect(),
                };
                s.seal_bytes(&req.encode())
            }
        };
        let no = self.session_no(&s.id());
        let result = self.e.prove_keys(&s.id(), &sealed);
        self.note(format!(
            "prove_keys s{no} -> {:?}",
            result.as_ref().map(Vec::len)
        ));
        s.open_key_proof_response(nonce, &result.unwrap())
            .unwrap()
            .status
    }

    /// Sends a query; the client's decoded answer if the session is alive.
    fn query(&mut self, s: &ClientSession, req: &Request) -> Option<Response> {
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(req));
        let no = self.session_no(&s.id());
        let result = self.e.query(&s.id(), &sealed);
        self.note(format!(
            "query s{no} -> {:?}",
            result.as_ref().map(Vec::len)
        ));
        result
            .ok()
            .map(|r| s.open_response(nonce, &r).unwrap().decode().unwrap())
    }

    fn tick(&mut self, now: u64) {
        self.e.tick(now);
        self.note(format!("tick {now}"));
    }
}

fn mid(n: u8) -> MessageId {
    MessageId::new([n; 16]).unwrap()
}

fn payload(text: &str) -> Payload {
    Payload::frame(text.as_bytes()).unwrap()
}

fn create(from: &Identity, to: PublicKey, id: u8, text: &str) -> Request {
    Request {
        acting_as: from.public(),
        op: Op::Create {
            id: mid(id),
            recipient: to,
            payload: payload(text),
        },
    }
}

/// One run: the same calls in the same order; `setup` and `probe` choose
/// the requests' contents (secret). Returns the host's log and the status
/// the probe got (which only the client sees).
fn ops_run(
    setup: &[Request],
    probe: impl Fn(&Identity, &Identity) -> Request,
) -> (Vec<String>, Status) {
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut h = Host::new(enclave(64, 100, 8));
    let sa = h.handshake();
    assert_eq!(h.prove(&sa, Proofs::Valid(&[&alice])), KeyProofStatus::Ok);
    let sb = h.handshake();
    assert_eq!(h.prove(&sb, Proofs::Valid(&[&bob])), KeyProofStatus::Ok);
    h.tick(START + 1);
    // Set-up: three requests whose contents are the run's secret.
    let fill = |who: &Identity| Request {
        acting_as: who.public(),
        op: Op::List,
    };
    for i in 0..3 {
        let req = match setup.get(i) {
            Some(r) => resolve(r, &alice, &bob),
            None => fill(&alice),
        };
        h.query(&sa, &req).unwrap();
    }
    let status = h.query(&sb, &probe(&alice, &bob)).unwrap().status;
    for t in 2..6 {
        h.tick(START + t);
    }
    (h.log, status)
}

/// Set-up requests are written with placeholder keys: [1; 32] is alice,
/// [2; 32] is bob (the identities are fresh each run).
fn resolve(r: &Request, alice: &Identity, bob: &Identity) -> Request {
    let map = |k: &PublicKey| {
        if k.as_bytes() == &[1; 32] {
            alice.public()
        } else {
            bob.public()
        }
    };
    let op = match &r.op {
        Op::Create {
            id,
            recipient,
            payload,
        } => Op::Create {
            id: *id,
            recipient: map(recipient),
            payload: payload.clone(),
        },
        other => other.clone(),
    };
    Request {
        acting_as: map(&r.acting_as),
        op,
    }
}

fn placeholder(n: u8) -> PublicKey {
    PublicKey::new([n; 32]).unwrap()
}

fn placeholder_create(id: u8, text: &str) -> Request {
    Request {
        acting_as: placeholder(1),
        op: Op::Create {
            id: mid(id),
            recipient: placeholder(2),
            payload: payload(text),
        },
    }
}

#[test]
fn every_op_and_outcome_looks_the_same_to_the_host() {
    let one = [placeholder_create(1, "hello")];
    let full: Vec<Request> = (1..=3).map(|i| placeholder_create(i, "x")).collect();
    type Probe = Box<dyn Fn(&Identity, &Identity) -> Request>;
    let cases: Vec<(&str, &[Request], Probe, Status)> = vec![
        (
            "create ok",
            &[],
            Box::new(|a, b| create(b, a.public(), 9, "hi")),
            Status::Ok,
        ),
        (
            "create exists",
            &one,
            Box::new(|_, b| create(b, b.public(), 1, "again")),
            Status::AlreadyExists,
        ),
        ("read ok", &one, Box::new(|_, b| read(b, 1)), Status::Ok),
        (
            "read missing",
            &one,
            Box::new(|_, b| read(b, 7)),
            Status::NotFound,
        ),
        (
            "read next, empty",
            &[],
            Box::new(|_, b| op(b, Op::ReadNext)),
            Status::NotFound,
        ),
        (
            "read next",
            &full,
            Box::new(|_, b| op(b, Op::ReadNext)),
            Status::Ok,
        ),
        ("list", &full, Box::new(|_, b| op(b, Op::List)), Status::Ok),
        (
            "delete",
            &one,
            Box::new(|_, b| delete(b, b.public(), 1)),
            Status::Ok,
        ),
        (
            "delete missing",
            &[],
            Box::new(|_, b| delete(b, b.public(), 1)),
            Status::NotFound,
        ),
        (
            "delete next",
            &full,
            Box::new(|_, b| op(b, Op::DeleteNext)),
            Status::Ok,
        ),
        (
            "update",
            &one,
            Box::new(|_, b| update(b, b.public(), 1)),
            Status::Ok,
        ),
        (
            "update elsewhere",
            &one,
            Box::new(|a, b| update(b, a.public(), 1)),
            Status::NotFound,
        ),
        (
            "not proven",
            &[],
            Box::new(|a, _| op(a, Op::List)),
            Status::KeyNotProven,
        ),
    ];
    let mut reference: Option<(String, Vec<String>)> = None;
    for (name, setup, probe, want) in cases {
        let (log, status) = ops_run(setup, probe);
        assert_eq!(status, want, "{name}: the case must reach its outcome");
        match &reference {
            None => reference = Some((name.to_owned(), log)),
            Some((first, expected)) => {
                assert_eq!(
                    &log, expected,
                    "{name} looks different from {first} to the host"
                )
            }
        }
    }
}

fn op(who: &Identity, op: Op) -> Request {
    Request {
        acting_as: who.public(),
        op,
    }
}

fn read(who: &Identity, id: u8) -> Request {
    op(who, Op::Read { id: mid(id) })
}

fn delete(who: &Identity, recipient: PublicKey, id: u8) -> Request {
    op(
        who,
        Op::Delete {
            id: mid(id),
            recipient,
        },
    )
}

fn update(who: &Identity, recipient: PublicKey, id: u8) -> Request {
    op(
        who,
        Op::Update {
            id: mid(id),
            recipient,
            payload: payload("changed"),
        },
    )
}

/// The review's attack on `stats()`: two messages, one of them updated,
/// then the clock jumps past the other's expiry and the host ticks and
/// reads the stats after every tick. With an exact occupancy figure the
/// tick at which it drops tells which message was updated (and every
/// create and delete moved it); now the two runs must look the same.
#[test]
fn stats_and_ticks_do_not_tell_which_message_was_touched() {
    let run = |touch: u8| {
        let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
        // 64 slots, TTL 1000 s: the sweep visits one slot a second.
        let mut h = Host::new(enclave(64, 1_000, 8));
        let sa = h.handshake();
        h.prove(&sa, Proofs::Valid(&[&alice]));
        for (i, t) in [(1u8, 1_000), (2, 1_500), (3, 1_500), (4, 1_500)] {
            h.tick(t);
            let r = h.query(&sa, &create(&alice, bob.public(), i, "m")).unwrap();
            assert_eq!(r.status, Status::Ok);
        }
        h.tick(1_900);
        let r = h.query(&sa, &update(&alice, bob.public(), touch)).unwrap();
        assert_eq!(r.status, Status::Ok);
        // The clock jumps past both messages' expiry (2000, 2500) but not
        // the updated one's (2900); the host ticks through a whole sweep
        // pass, often and at the same second too, reading stats each time.
        for t in 2_600..2_600 + 70 {
            h.tick(t);
            h.tick(t);
        }
        h.log
    };
    assert_eq!(run(1), run(2), "updating message 1 or 2 looks the same");
}

/// The sweep runs at most one step per second of the enclave's time, and
/// that time never goes back: repeating or rewinding the clock gains the
/// host nothing, and the published occupancy changes only when a full
/// sweep pass ends.
#[test]
fn the_sweep_keeps_to_the_enclaves_clock() {
    // 64 slots, TTL 1000 s: one slot per step, a pass is 64 steps.
    let mut h = Host::new(enclave(64, 1_000, 8));
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let sa = h.handshake();
    h.prove(&sa, Proofs::Valid(&[&alice]));
    for i in 1..=8 {
        h.query(&sa, &create(&alice, bob.public(), i, "m")).unwrap();
    }
    assert_eq!(h.e.stats().occupancy_steps, 0, "nothing published yet");
    // Many ticks at one time, and earlier times: no sweep steps.
    for _ in 0..200 {
        h.e.tick(START);
        h.e.tick(START - 500);
    }
    // Start-up made the first step; the pass ends 63 seconds later.
    for t in 1..63 {
        h.e.tick(START + t);
        assert_eq!(
            h.e.stats().occupancy_steps,
            0,
            "the pass is not over at step {t}"
        );
    }
    h.e.tick(START + 63);
    assert_eq!(
        h.e.stats().occupancy_steps,
        4,
        "8 of 64 slots is 4/32, published when the pass ends"
    );
    // A create now does not move the figure.
    h.query(&sa, &create(&alice, bob.public(), 9, "m")).unwrap();
    h.query(&sa, &create(&alice, bob.public(), 10, "m"))
        .unwrap();
    assert_eq!(h.e.stats().occupancy_steps, 4);
    // The clock never goes back: a message created after a rewind is
    // stamped with the enclave's latest time.
    h.e.tick(10);
    h.query(&sa, &create(&alice, alice.public(), 11, "m"))
        .unwrap();
    let r = h.query(&sa, &read(&alice, 11)).unwrap();
    assert_eq!(r.message.unwrap().timestamp.0, START + 63);
}

/// One, two or four proofs, valid or not: the host sees the same calls,
/// reply lengths and stats (the status inside is for the client alone).
#[test]
fn key_proofs_look_the_same_whatever_their_number_and_validity() {
    let ids: Vec<Identity> = (0..4)
        .map(|i| Identity::generate(&format!("k{i}")))
        .collect();
    let refs: Vec<&Identity> = ids.iter().collect();
    let run = |n: usize, valid: bool| {
        let mut h = Host::new(enclave(64, 100, 8));
        let s = h.handshake();
        let proofs = if valid {
            Proofs::Valid(&refs[..n])
        } else {
            Proofs::Invalid(&refs[..n])
        };
        let status = h.prove(&s, proofs);
        let want = if valid {
            KeyProofStatus::Ok
        } else {
            KeyProofStatus::InvalidProof
        };
        assert_eq!(status, want, "{n} proofs, valid {valid}");
        // Then a query as the first key: proven or not, same to the host.
        let r = h.query(&s, &op(refs[0], Op::List)).unwrap();
        let want = if valid {
            Status::Ok
        } else {
            Status::KeyNotProven
        };
        assert_eq!(r.status, want);
        h.tick(START + 1);
        h.log
    };
    let reference = run(1, true);
    for n in [1, 2, 4] {
        for valid in [true, false] {
            assert_eq!(run(n, valid), reference, "{n} proofs, valid {valid}");
        }
    }
}

/// A full session table evicts the same session whether the others'
/// proofs held or not: the host must not learn validity from eviction.
#[test]
fn eviction_does_not_depend_on_whether_proofs_held() {
    let run = |valid: [bool; 4]| {
        let ids: Vec<Identity> = (0..5)
            .map(|i| Identity::generate(&format!("e{i}")))
            .collect();
        let mut h = Host::new(enclave(64, 100, 4));
        let mut sessions = Vec::new();
        for (i, v) in valid.iter().enumerate() {
            let s = h.handshake();
            let one = [&ids[i]];
            h.prove(
                &s,
                if *v {
                    Proofs::Valid(&one)
                } else {
                    Proofs::Invalid(&one)
                },
            );
            sessions.push(s);
        }
        // A fifth client: the table is full, someone goes.
        let s = h.handshake();
        h.prove(&s, Proofs::Valid(&[&ids[4]]));
        sessions.push(s);
        // The host probes every session with a query.
        for (i, s) in sessions.iter().enumerate() {
            h.query(s, &op(&ids[i], Op::List));
        }
        h.log
    };
    let reference = run([true, true, true, true]);
    for valid in [
        [false, false, true, true],
        [true, true, false, false],
        [false, true, false, true],
        [false, false, false, false],
    ] {
        assert_eq!(run(valid), reference, "proofs valid: {valid:?}");
    }
}

//! Everything the host receives from the enclave, compared across runs
//! that differ only in secrets.
//!
//! The host drives [`EnclaveApi`]: handshake, prove_keys, query (also in two
//! calls, begin_query and finish_query, and in three, open_query,
//! execute_query and seal_answer), tick and
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
    enclave_with(
        capacity,
        ttl,
        max_sessions,
        hush_enclave::DirectoryConfig {
            // Codes on every tick, except where batching is the point.
            code_release_requests: 1,
            code_release_secs: 1,
            ..hush_enclave::DirectoryConfig::new(16).unwrap()
        },
    )
}

fn enclave_with(
    capacity: u32,
    ttl: u64,
    max_sessions: usize,
    directory: hush_enclave::DirectoryConfig,
) -> InProcessEnclave {
    let config = EnclaveConfig {
        store: StoreConfig::new(capacity, ttl)
            .unwrap()
            .with_max_recipients(4)
            .unwrap(),
        directory,
        rendezvous: hush_enclave::RendezvousConfig::new(16).unwrap(),
        max_sessions,
        session_idle_secs: 600,
        attestation: AttestationMode::Dev,
        collateral: None,
        peer_policy: None,
        tokens: Default::default(),
        delivery: None,
        blobs: hush_enclave::BlobConfig::new(64, 600),
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
        self.query_record(s, &RequestRecord::encode(req))
    }

    /// Sends a raw request record (which may be invalid).
    fn query_record(&mut self, s: &ClientSession, record: &RequestRecord) -> Option<Response> {
        let (nonce, sealed) = s.seal_request(record);
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

    /// Sends a request in three calls (`open_query`, `execute_query`,
    /// `seal_answer`), as a host whose async workers open and seal does.
    fn query_opened(&mut self, s: &ClientSession, req: &Request) -> Option<Response> {
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(req));
        let no = self.session_no(&s.id());
        let opened = self.e.open_query(&s.id(), &sealed);
        self.note(format!("open_query s{no} -> {opened:?}"));
        let answer = self.e.execute_query(opened.ok()?);
        self.note(format!("execute_query -> {answer:?}"));
        let sealed = self.e.seal_answer(answer.ok()?);
        self.note(format!("seal_answer -> {} bytes", sealed.len()));
        Some(s.open_response(nonce, &sealed).unwrap().decode().unwrap())
    }

    /// Sends a raw request record in two calls (`begin_query`, then
    /// `finish_query`), as a host with two broker threads does.
    fn query_staged(&mut self, s: &ClientSession, record: &RequestRecord) -> Option<Response> {
        let (nonce, sealed) = s.seal_request(record);
        let no = self.session_no(&s.id());
        let ticket = self.e.begin_query(&s.id(), &sealed);
        self.note(format!("begin_query s{no} -> {ticket:?}"));
        let result = self.e.finish_query(ticket.ok()?);
        self.note(format!(
            "finish_query -> {:?}",
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

/// Set-up requests per run: enough to fill a mailbox (62) and the store
/// (64 slots), padded with lists so every run makes exactly this many.
const SETUP_QUERIES: usize = 70;

/// The cast of one run: two proven identities and three keys nobody in
/// the run proves (other recipients).
struct Cast {
    alice: Identity,
    bob: Identity,
    others: [PublicKey; 3],
}

type Setup = Box<dyn Fn(&Cast) -> Vec<Request>>;
type Probe = Box<dyn Fn(&Cast) -> RequestRecord>;

/// One run: the same calls in the same order; `setup` and `probe` choose
/// the requests' contents (secret). Returns the host's log and the status
/// the probe got (which only the client sees).
fn ops_run(setup: &Setup, probe: &Probe) -> (Vec<String>, Status) {
    let cast = Cast {
        alice: Identity::generate("alice"),
        bob: Identity::generate("bob"),
        others: std::array::from_fn(|i| Identity::generate(&format!("o{i}")).public()),
    };
    // One session proving both keys sends everything: which session a
    // request comes from is public, so it is the same in every run.
    let mut h = Host::new(enclave(64, 100, 8));
    let s = h.handshake();
    let both = [&cast.alice, &cast.bob];
    assert_eq!(h.prove(&s, Proofs::Valid(&both)), KeyProofStatus::Ok);
    h.tick(START + 1);
    let mut reqs = setup(&cast);
    assert!(reqs.len() <= SETUP_QUERIES);
    reqs.resize_with(SETUP_QUERIES, || op(&cast.alice, Op::List));
    // Half of them in three calls, so those are compared too.
    for (i, req) in reqs.iter().enumerate() {
        if i % 2 == 0 {
            h.query(&s, req).unwrap();
        } else {
            h.query_opened(&s, req).unwrap();
        }
    }
    // The probe goes in two calls, so they are compared too.
    let status = h.query_staged(&s, &probe(&cast)).unwrap().status;
    for t in 2..6 {
        h.tick(START + t);
    }
    (h.log, status)
}

fn sends(n: u8, to: impl Fn(&Cast) -> PublicKey + 'static) -> Setup {
    Box::new(move |c| (1..=n).map(|i| create(&c.alice, to(c), i, "x")).collect())
}

fn probe(req: impl Fn(&Cast) -> Request + 'static) -> Probe {
    Box::new(move |c| RequestRecord::encode(&req(c)))
}

#[test]
fn every_op_and_outcome_looks_the_same_to_the_host() {
    let to_bob = |c: &Cast| c.bob.public();
    let none: fn() -> Setup = || Box::new(|_| Vec::new());
    let cases: Vec<(&str, Setup, Probe, Status)> = vec![
        (
            "create",
            none(),
            probe(|c| create(&c.bob, c.alice.public(), 9, "hi")),
            Status::Ok,
        ),
        (
            "create, already exists",
            sends(1, to_bob),
            probe(|c| create(&c.bob, c.bob.public(), 1, "again")),
            Status::AlreadyExists,
        ),
        (
            "create, mailbox full",
            sends(62, to_bob),
            probe(|c| create(&c.alice, c.bob.public(), 99, "one more")),
            Status::MailboxFull,
        ),
        (
            "create, store full",
            Box::new(|c| {
                let mut v: Vec<Request> = (1..=62)
                    .map(|i| create(&c.alice, c.bob.public(), i, "x"))
                    .collect();
                v.extend((63..=64).map(|i| create(&c.alice, c.others[0], i, "x")));
                v
            }),
            probe(|c| create(&c.alice, c.alice.public(), 99, "no room")),
            Status::StoreFull,
        ),
        (
            "create, too many recipients",
            Box::new(|c| {
                let mut v = vec![create(&c.alice, c.bob.public(), 1, "x")];
                v.extend((0..3).map(|i| create(&c.alice, c.others[i], 2 + i as u8, "x")));
                v
            }),
            probe(|c| create(&c.alice, c.alice.public(), 99, "a fifth")),
            Status::TooManyRecipients,
        ),
        (
            "read",
            sends(1, to_bob),
            probe(|c| read(&c.bob, 1)),
            Status::Ok,
        ),
        (
            "read, missing",
            sends(1, to_bob),
            probe(|c| read(&c.bob, 7)),
            Status::NotFound,
        ),
        (
            "read next",
            sends(3, to_bob),
            probe(|c| op(&c.bob, Op::ReadNext)),
            Status::Ok,
        ),
        (
            "read next, empty",
            none(),
            probe(|c| op(&c.bob, Op::ReadNext)),
            Status::NotFound,
        ),
        (
            "list, full mailbox",
            sends(62, to_bob),
            probe(|c| op(&c.bob, Op::List)),
            Status::Ok,
        ),
        (
            "list, empty",
            none(),
            probe(|c| op(&c.bob, Op::List)),
            Status::Ok,
        ),
        (
            "update as recipient",
            sends(1, to_bob),
            probe(|c| update(&c.bob, c.bob.public(), 1)),
            Status::Ok,
        ),
        (
            "update as sender",
            sends(1, to_bob),
            probe(|c| update(&c.alice, c.bob.public(), 1)),
            Status::Ok,
        ),
        (
            "update, denied",
            sends(1, |c: &Cast| c.others[0]),
            probe(|c| update(&c.bob, c.others[0], 1)),
            Status::NotFound,
        ),
        (
            "update, elsewhere",
            sends(1, to_bob),
            probe(|c| update(&c.bob, c.alice.public(), 1)),
            Status::NotFound,
        ),
        (
            "delete as recipient",
            sends(1, to_bob),
            probe(|c| delete(&c.bob, c.bob.public(), 1)),
            Status::Ok,
        ),
        (
            "delete as sender",
            sends(1, to_bob),
            probe(|c| delete(&c.alice, c.bob.public(), 1)),
            Status::Ok,
        ),
        (
            "delete, missing",
            none(),
            probe(|c| delete(&c.bob, c.bob.public(), 1)),
            Status::NotFound,
        ),
        (
            "delete next",
            sends(3, to_bob),
            probe(|c| op(&c.bob, Op::DeleteNext)),
            Status::Ok,
        ),
        (
            "delete next, empty",
            none(),
            probe(|c| op(&c.bob, Op::DeleteNext)),
            Status::NotFound,
        ),
        (
            "key not proven",
            none(),
            probe(|c| Request {
                acting_as: c.others[2],
                op: Op::List,
            }),
            Status::KeyNotProven,
        ),
        (
            "invalid request",
            none(),
            Box::new(|c: &Cast| {
                let mut bytes = RequestRecord::encode(&op(&c.bob, Op::List))
                    .as_bytes()
                    .to_vec();
                bytes[0] = 0xee; // no such op
                RequestRecord::from_bytes(&bytes).unwrap()
            }),
            Status::InvalidRequest,
        ),
    ];
    let mut reference: Option<(&str, Vec<String>)> = None;
    for (name, setup, probe, want) in &cases {
        let (log, status) = ops_run(setup, probe);
        assert_eq!(status, *want, "{name}: the case must reach its outcome");
        match &reference {
            None => reference = Some((name, log)),
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
/// that time never goes back: repeating or rewinding the clock, or asking
/// for sweep slices more often, gains the host nothing, and the published occupancy changes only when a full
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
    // Many ticks at one time, and earlier times, and sweep slices asked
    // for again and again: no more sweep steps.
    for _ in 0..200 {
        h.e.tick(START);
        h.e.tick(START - 500);
        h.e.sweep_slice();
    }
    // Start-up made the first step; the pass ends 63 seconds later.
    for t in 1..63 {
        h.e.tick(START + t);
        for _ in 0..2 * hush_enclave::SWEEP_SLICES {
            h.e.sweep_slice();
        }
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

/// Sessions that presented a token (whatever the token held) go last: a
/// flood of handshakes into a full table displaces sessions that never
/// presented one, never one that did, even the least recently used; and a
/// newcomer evicts the least recently used session without a token.
#[test]
fn sessions_that_presented_tokens_are_evicted_last() {
    use hush_enclave::ServiceId;
    use hush_wire::tokens::TOKEN_REQUEST_LEN;
    let ids: Vec<Identity> = (0..4)
        .map(|i| Identity::generate(&format!("f{i}")))
        .collect();
    let token_frame = |h: &mut Host, s: &ClientSession| {
        // A garbage token: no issuer is configured, so it is refused,
        // which only the client learns.
        let (_, sealed) = s.seal_bytes(&[0u8; TOKEN_REQUEST_LEN]);
        assert!(h.e.call(ServiceId::Tokens, &s.id(), &sealed).is_ok());
    };
    let alive = |h: &mut Host, sessions: &[ClientSession]| -> Vec<bool> {
        sessions
            .iter()
            .zip(&ids)
            .map(|(s, id)| h.query(s, &op(id, Op::List)).is_some())
            .collect()
    };
    // Four proven sessions; the two oldest presented a token.
    let mut h = Host::new(enclave(64, 100, 4));
    let mut proven = Vec::new();
    for id in &ids {
        let s = h.handshake();
        h.prove(&s, Proofs::Valid(&[id]));
        proven.push(s);
    }
    token_frame(&mut h, &proven[0]);
    token_frame(&mut h, &proven[1]);
    for _ in 0..20 {
        h.handshake();
    }
    assert_eq!(alive(&mut h, &proven), [true, true, false, false]);

    // Three proven sessions, the oldest of which presented a token: a
    // newcomer evicts the oldest of the two that did not.
    let mut h = Host::new(enclave(64, 100, 3));
    let mut sessions = Vec::new();
    for id in &ids[..3] {
        let s = h.handshake();
        h.prove(&s, Proofs::Valid(&[id]));
        sessions.push(s);
    }
    token_frame(&mut h, &sessions[0]);
    h.handshake();
    assert_eq!(alive(&mut h, &sessions), [true, false, true]);
}

/// The directory through the host interface: every directory call, of any
/// op and outcome, gives the host one reply length and no change in stats;
/// a broker-sized frame sent to the directory (or the reverse) fails as a
/// wrong length, which says only that the client is broken; verification
/// codes come out only after a tick.
#[test]
fn directory_calls_look_the_same_to_the_host() {
    use hush_enclave::ServiceId;
    use hush_enclave::SessionError;
    use hush_wire::consts::{DIRECTORY_REQUEST_LEN, SEALED_DIRECTORY_RESPONSE_LEN};
    use hush_wire::directory::{
        AccountFlags, DirectoryOp, DirectoryRequest, DirectoryStatus, Identifier, VerificationCode,
    };
    let mut h = Host::new(enclave(64, 600, 8));
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let carol = Identity::generate("carol");
    let s = h.handshake();
    h.prove(&s, Proofs::Valid(&[&alice, &bob, &carol]));
    let email = |n: &str| Identifier::email(&format!("{n}@example.org")).unwrap();
    let call = |h: &mut Host, acting_as: PublicKey, op: DirectoryOp| {
        let (nonce, sealed) = s.seal_directory_request(&DirectoryRequest { acting_as, op });
        let r = h.e.call(ServiceId::Directory, &s.id(), &sealed);
        h.note(format!("directory -> {:?}", r.as_ref().map(Vec::len)));
        s.open_directory_response(nonce, &r.unwrap()).unwrap()
    };
    let register = |who: &Identity, n: &str| DirectoryOp::Register {
        identifier: email(n),
        device: hush_client::directory::device_record(who, who),
        flags: AccountFlags::default(),
    };
    let before = h.log.len();
    assert_eq!(
        call(&mut h, alice.public(), register(&alice, "alice")).status,
        DirectoryStatus::Ok
    );
    assert_eq!(
        call(&mut h, bob.public(), register(&bob, "bob")).status,
        DirectoryStatus::Ok
    );
    assert!(
        h.e.take_verifications().is_empty(),
        "codes wait for the tick"
    );
    h.tick(START + 1);
    let codes = h.e.take_verifications();
    assert_eq!(codes.len(), 2);
    for v in codes {
        let id = Identifier::decode(&v.identifier).unwrap();
        let who = if id == email("alice") {
            alice.public()
        } else {
            bob.public()
        };
        let op = DirectoryOp::Verify {
            identifier: id,
            code: VerificationCode::new(v.code).unwrap(),
        };
        assert_eq!(call(&mut h, who, op).status, DirectoryStatus::Ok);
    }
    let outcomes = [
        (email("bob"), DirectoryStatus::Ok),
        (email("nobody"), DirectoryStatus::NoUser),
    ];
    for (identifier, want) in outcomes {
        let r = call(&mut h, alice.public(), DirectoryOp::Lookup { identifier });
        assert_eq!(r.status, want);
    }
    let r = call(&mut h, alice.public(), DirectoryOp::Show);
    assert_eq!(r.devices.len(), 1);
    // Registering alice's address (taken) answers as registering a free one.
    let taken = call(&mut h, carol.public(), register(&carol, "alice"));
    assert_eq!(taken.status, DirectoryStatus::Ok);
    // Every directory reply in the log has the same length, and stats did
    // not move between calls (only the tick line differs).
    let replies: Vec<&String> = h.log[before..]
        .iter()
        .filter(|l| l.starts_with("directory"))
        .collect();
    assert_eq!(replies.len(), 8);
    let want = format!("directory -> Ok({SEALED_DIRECTORY_RESPONSE_LEN})");
    let first_stats = replies[0].split(" | ").nth(1).unwrap().to_owned();
    for l in &replies {
        assert!(l.starts_with(&want), "{l}");
        assert_eq!(l.split(" | ").nth(1).unwrap(), first_stats, "{l}");
    }
    // Frames of the other service's length are refused as malformed.
    let (_, broker_sized) = s.seal_request(&RequestRecord::encode(&Request {
        acting_as: alice.public(),
        op: Op::List,
    }));
    assert!(matches!(
        h.e.call(ServiceId::Directory, &s.id(), &broker_sized),
        Err(SessionError::FrameLength { .. })
    ));
    let (_, directory_sized) = s.seal_bytes(&[0u8; DIRECTORY_REQUEST_LEN]);
    assert!(matches!(
        h.e.query(&s.id(), &directory_sized),
        Err(SessionError::FrameLength { .. })
    ));
}

/// Rendezvous answers are bound to the request that caused them: a reply
/// sealed for one request does not open as the answer to another, and a
/// replayed request is refused before it reaches the service. Every reply
/// has one length.
#[test]
fn rendezvous_replies_are_bound_to_their_requests() {
    use hush_enclave::{ServiceId, SessionError};
    use hush_wire::consts::SEALED_RENDEZVOUS_RESPONSE_LEN;
    use hush_wire::rendezvous::{
        ComputationType, RendezvousOp, RendezvousRequest, RendezvousStatus,
    };
    let mut h = Host::new(enclave(64, 600, 8));
    let alice = Identity::generate("alice");
    let s = h.handshake();
    h.prove(&s, Proofs::Valid(&[&alice]));
    let create = |name: &str| {
        RendezvousRequest {
            acting_as: alice.public(),
            op: RendezvousOp::Create {
                name: name.into(),
                kind: ComputationType::Average,
                participants: vec![alice.public()],
                quorum: 1,
                deadline: None,
            },
        }
        .encode()
    };
    let (n1, f1) = s.seal_bytes(&create("one"));
    let (n2, f2) = s.seal_bytes(&create("two"));
    let r1 = h.e.call(ServiceId::Rendezvous, &s.id(), &f1).unwrap();
    let r2 = h.e.call(ServiceId::Rendezvous, &s.id(), &f2).unwrap();
    assert_eq!(r1.len(), SEALED_RENDEZVOUS_RESPONSE_LEN);
    assert_eq!(r2.len(), SEALED_RENDEZVOUS_RESPONSE_LEN);
    let len = hush_wire::consts::RENDEZVOUS_RESPONSE_LEN;
    // Swapped replies do not open; the right ones do.
    assert!(s.open_bytes(n1, &r2, len).is_err());
    assert!(s.open_bytes(n2, &r1, len).is_err());
    let one = s.open_bytes(n1, &r1, len).unwrap();
    assert_eq!(one[0], RendezvousStatus::Ok.code());
    // The host replays request one: refused, nothing runs twice.
    assert_eq!(
        h.e.call(ServiceId::Rendezvous, &s.id(), &f1),
        Err(SessionError::Replay)
    );
}

/// The host chooses when to tick and what time to give, and before
/// batching it could tick after every directory request and read which
/// one made a code. Now codes leave only in batches of at least
/// `code_release_requests` directory requests (of anyone, of any kind)
/// and `code_release_secs` apart: however the host ticks, a code comes
/// out with the codes of its whole batch, never with its request alone.
#[test]
fn the_host_cannot_tick_a_code_out_of_its_batch() {
    use hush_enclave::ServiceId;
    use hush_wire::directory::{AccountFlags, DirectoryOp, DirectoryRequest, Identifier};
    let config = hush_enclave::DirectoryConfig::new(16).unwrap();
    assert_eq!(config.code_release_requests, 8, "the default anonymity set");
    let batch = config.code_release_requests as usize;
    let mut h = Host::new(enclave_with(64, 600, 16, config));
    let email = |n: usize| Identifier::email(&format!("user{n}@example.org")).unwrap();
    // Eight clients, each on its own session; three of them register.
    let registering = [1usize, 4, 6];
    let people: Vec<Identity> = (0..batch)
        .map(|n| Identity::generate(&format!("p{n}")))
        .collect();
    let mut now = START;
    for (n, who) in people.iter().enumerate() {
        let s = h.handshake();
        h.prove(&s, Proofs::Valid(&[who]));
        let op = if registering.contains(&n) {
            DirectoryOp::Register {
                identifier: email(n),
                device: hush_client::directory::device_record(who, who),
                flags: AccountFlags::default(),
            }
        } else {
            DirectoryOp::Lookup {
                identifier: email(100 + n),
            }
        };
        let (_, sealed) = s.seal_directory_request(&DirectoryRequest {
            acting_as: who.public(),
            op,
        });
        h.e.call(ServiceId::Directory, &s.id(), &sealed).unwrap();
        if n + 1 < batch {
            // The host's best tries: tick at once, many times, and far
            // ahead in time. Nothing comes out before the batch is full.
            for _ in 0..5 {
                h.tick(now);
            }
            now += 3_600;
            h.tick(now);
            assert!(
                h.e.take_verifications().is_empty(),
                "a code left after request {n}, before its batch of {batch} was full"
            );
        }
    }
    h.tick(now + 1);
    let mut released: Vec<Identifier> =
        h.e.take_verifications()
            .iter()
            .map(|v| Identifier::decode(&v.identifier).unwrap())
            .collect();
    released.sort_by_key(|i| i.as_str().to_owned());
    let mut want: Vec<Identifier> = registering.iter().map(|n| email(*n)).collect();
    want.sort_by_key(|i| i.as_str().to_owned());
    assert_eq!(released, want, "the batch's three codes, together");

    // The next batch: full at once, it still waits for the time.
    let s = h.handshake();
    h.prove(&s, Proofs::Valid(&[&people[0]]));
    for n in 0..batch {
        let op = if n == 0 {
            DirectoryOp::Register {
                identifier: email(50),
                device: hush_client::directory::device_record(&people[0], &people[0]),
                flags: AccountFlags::default(),
            }
        } else {
            DirectoryOp::Show
        };
        let (_, sealed) = s.seal_directory_request(&DirectoryRequest {
            acting_as: people[0].public(),
            op,
        });
        h.e.call(ServiceId::Directory, &s.id(), &sealed).unwrap();
    }
    h.tick(now + 2);
    assert!(
        h.e.take_verifications().is_empty(),
        "released 1 s after the last batch"
    );
    h.tick(
        now + 1
            + hush_enclave::DirectoryConfig::new(16)
                .unwrap()
                .code_release_secs,
    );
    assert_eq!(h.e.take_verifications().len(), 1);
}

/// Attachments and who may fill the host's store: a session that never
/// sent a key proof (a public fact) is refused without its upload joining
/// the mix, so a stranger cannot fill the store; a session whose proofs
/// failed (a secret) is refused inside the sealed answer, and its upload
/// is written like a proven one's, so the host cannot tell the two apart.
#[test]
fn only_sessions_that_sent_key_proofs_reach_the_attachment_mix() {
    use hush_client::media::{open_answer, seal_file, seal_upload};
    use hush_wire::blob_transfer::BlobStatus;
    let mut h = Host::new(enclave_with(
        64,
        600,
        8,
        hush_enclave::DirectoryConfig::new(16).unwrap(),
    ));
    let alice = Identity::generate("alice");
    let file = seal_file(b"a picture", "cat.png", "image/png").unwrap();
    let upload = |h: &mut Host, s: &ClientSession| {
        let up = seal_upload(s, alice.public(), &file).unwrap();
        let mut body = up.body;
        let answer = h.e.blob_upload(&s.id(), &up.sealed, &mut body).unwrap();
        h.note(format!("blob_upload -> {}", answer.len()));
        open_answer(s, up.nonce, &answer).unwrap().status
    };
    let written = |h: &mut Host, now: u64| {
        h.tick(now);
        h.e.take_blob_writes().len()
    };
    // Mixes of 8 (the default): count what is waiting by writing them.
    let stranger = h.handshake();
    for _ in 0..8 {
        assert_eq!(upload(&mut h, &stranger), BlobStatus::KeyNotProven);
    }
    assert_eq!(
        written(&mut h, START + 1),
        0,
        "a stranger's uploads joined the mix"
    );
    let failed = h.handshake();
    h.prove(&failed, Proofs::Invalid(&[&alice]));
    let proven = h.handshake();
    h.prove(&proven, Proofs::Valid(&[&alice]));
    for _ in 0..4 {
        assert_eq!(upload(&mut h, &failed), BlobStatus::KeyNotProven);
    }
    assert_eq!(upload(&mut h, &proven), BlobStatus::Ok);
    for _ in 0..3 {
        assert_eq!(upload(&mut h, &proven), BlobStatus::AlreadyExists);
    }
    assert_eq!(
        written(&mut h, START + 2),
        8,
        "failed proofs' and refused uploads are written like a stored one"
    );
}

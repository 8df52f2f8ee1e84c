//! Replicas of one cluster driven through the replicated log, in process:
//! the leader proposes each client request as a sealed entry, every
//! replica applies the entries in order, the client is answered when its
//! entry applies, and another replica then serves the same state. What
//! replicas exchange is one entry per change, of one size whatever the
//! operation and its outcome; replayed, reordered and foreign entries are
//! refused and change nothing.

use hush_attest::Policy;
use hush_client::Identity;
use hush_client::session::{ClientSession, Handshake};
use hush_enclave::cluster::{ApplyError, ClusterSecret, EntryError, SEALED_ENTRY_LEN};
use hush_enclave::{
    AttestationMode, DirectoryConfig, EnclaveApi, EnclaveConfig, InProcessEnclave, Proposal,
    RendezvousConfig, ServiceId, SessionError, StoreConfig,
};
use hush_wire::directory::{DirectoryOp, DirectoryRequest, DirectoryResponse, Identifier};
use hush_wire::rendezvous::{ComputationType, RendezvousOp, RendezvousRequest, RendezvousResponse};
use hush_wire::{
    FixedCodec, KeyProofStatus, MessageId, Op, Payload, Request, RequestRecord, Response, Status,
};

fn config() -> EnclaveConfig {
    EnclaveConfig {
        store: StoreConfig::new(64, 100).unwrap(),
        directory: DirectoryConfig::new(16).unwrap(),
        rendezvous: RendezvousConfig::new(16).unwrap(),
        max_sessions: 8,
        session_idle_secs: 600,
        attestation: AttestationMode::Dev,
        collateral: None,
    }
}

fn cluster(n: usize) -> Vec<InProcessEnclave> {
    let secret = ClusterSecret::generate();
    (0..n)
        .map(|_| InProcessEnclave::start_replica(config(), 1_000, &secret).unwrap())
        .collect()
}

fn connect(e: &InProcessEnclave, who: &Identity) -> ClientSession {
    let hs = Handshake::start().unwrap();
    let reply = e.handshake(&hs.message).unwrap();
    let s = hs
        .finish(reply.session, &reply.message, &Policy::dev())
        .unwrap();
    let kp = who.keypair();
    let (nonce, sealed) = s.seal_key_proofs(&[&kp]);
    let r = e.prove_keys(&s.id(), &sealed).unwrap();
    assert_eq!(
        s.open_key_proof_response(nonce, &r).unwrap().status,
        KeyProofStatus::Ok
    );
    s
}

/// Applies `p` on every replica in order; returns the leader's answer.
fn commit(replicas: &[InProcessEnclave], leader: usize, p: &Proposal) -> Option<Vec<u8>> {
    let mut answer = None;
    for (i, r) in replicas.iter().enumerate() {
        let applied = r.apply(&p.entry).unwrap();
        assert_eq!(applied.seq, p.seq);
        if i == leader {
            answer = applied.reply.map(|(_, bytes)| bytes);
        } else {
            assert!(applied.reply.is_none(), "only the proposer answers");
        }
    }
    answer
}

/// A request for `service` through the log, led by `leader`: the plaintext
/// answer.
fn replicated(
    replicas: &[InProcessEnclave],
    leader: usize,
    s: &ClientSession,
    service: ServiceId,
    record: &[u8],
    response_len: usize,
) -> Vec<u8> {
    let (nonce, sealed) = s.seal_bytes(record);
    let p = replicas[leader].propose(service, &s.id(), &sealed).unwrap();
    assert_eq!(p.entry.len(), SEALED_ENTRY_LEN);
    let answer = commit(replicas, leader, &p).expect("the leader answers its client");
    s.open_bytes(nonce, &answer, response_len).unwrap()
}

fn broker(
    replicas: &[InProcessEnclave],
    leader: usize,
    s: &ClientSession,
    req: Request,
) -> Response {
    let record = RequestRecord::encode(&req);
    let plain = replicated(
        replicas,
        leader,
        s,
        ServiceId::Broker,
        record.as_bytes(),
        hush_wire::consts::RESPONSE_LEN,
    );
    hush_wire::ResponseRecord::from_bytes(&plain)
        .unwrap()
        .decode()
        .unwrap()
}

fn create(from: &Identity, to: &Identity, id: MessageId, text: &str) -> Request {
    Request {
        acting_as: from.public(),
        op: Op::Create {
            id,
            recipient: to.public(),
            payload: Payload::frame(text.as_bytes()).unwrap(),
        },
    }
}

fn tick(replicas: &[InProcessEnclave], leader: usize, now: u64) {
    for r in replicas {
        r.tick(now);
    }
    let p = replicas[leader].propose_tick(now).unwrap();
    assert_eq!(p.entry.len(), SEALED_ENTRY_LEN);
    assert!(commit(replicas, leader, &p).is_none());
}

#[test]
fn replicas_agree_and_a_new_leader_serves_what_the_old_one_answered() {
    let r = cluster(3);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let on_a = connect(&r[0], &alice);
    let id = hush_client::new_message_id();
    assert_eq!(
        broker(&r, 0, &on_a, create(&alice, &bob, id, "hi bob")).status,
        Status::Ok
    );

    // The directory's codes and the rendezvous ids come out the same on
    // every replica.
    let register = DirectoryRequest {
        acting_as: alice.public(),
        op: DirectoryOp::Register {
            identifier: Identifier::email("alice@example.org").unwrap(),
            device: hush_wire::directory::DeviceRecord {
                card: hush_client::e2e::card_for(&alice).card().clone(),
                mailbox: alice.public(),
                signature: hush_wire::Signature([1; 64]),
            },
            flags: Default::default(),
        },
    };
    let answer = replicated(
        &r,
        0,
        &on_a,
        ServiceId::Directory,
        &register.encode(),
        hush_wire::consts::DIRECTORY_RESPONSE_LEN,
    );
    let _ = DirectoryResponse::decode(&answer).unwrap();
    tick(&r, 0, 1_001);
    let codes: Vec<_> = r
        .iter()
        .map(|e| {
            e.take_verifications()
                .into_iter()
                .map(|v| (v.identifier, v.code))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(codes[0].len(), 1, "one code sent");
    assert!(
        codes.iter().all(|c| *c == codes[0]),
        "the same code on every replica"
    );

    let calc = RendezvousRequest {
        acting_as: alice.public(),
        op: RendezvousOp::Create {
            name: "lunch".into(),
            kind: ComputationType::Average,
            participants: vec![bob.public()],
            quorum: 1,
            deadline: None,
        },
    };
    let created = RendezvousResponse::decode(&replicated(
        &r,
        0,
        &on_a,
        ServiceId::Rendezvous,
        &calc.encode(),
        hush_wire::consts::RENDEZVOUS_RESPONSE_LEN,
    ))
    .unwrap();
    let computation = created.id.expect("created");
    assert_eq!(
        computation.epoch(),
        r[0].cluster_epoch().unwrap(),
        "ids carry the cluster's epoch"
    );

    // The leader is gone; bob reads through replica 1 what replica 0
    // answered, and lists the computation there.
    drop(on_a);
    let on_b = connect(&r[1], &bob);
    let leader = 1;
    let read = broker(
        &r,
        leader,
        &on_b,
        Request {
            acting_as: bob.public(),
            op: Op::Read { id },
        },
    );
    assert_eq!(read.status, Status::Ok);
    assert_eq!(
        read.message.unwrap().payload,
        Payload::frame(b"hi bob").unwrap()
    );
    let list = RendezvousRequest {
        acting_as: bob.public(),
        op: RendezvousOp::List,
    };
    // Ticks move the list's queued entries; then bob sees it.
    for t in 0..3 {
        tick(&r, leader, 1_002 + t);
    }
    let listed = RendezvousResponse::decode(&replicated(
        &r,
        leader,
        &on_b,
        ServiceId::Rendezvous,
        &list.encode(),
        hush_wire::consts::RENDEZVOUS_RESPONSE_LEN,
    ))
    .unwrap();
    assert!(
        listed.listing.iter().any(|c| c.id == computation),
        "{listed:?}"
    );
    assert!(r.iter().all(|e| e.applied_seq() == r[0].applied_seq()));
}

#[test]
fn every_change_is_one_entry_of_one_size() {
    let r = cluster(2);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let s = connect(&r[0], &alice);
    let requests: Vec<(ServiceId, Vec<u8>)> = vec![
        (
            ServiceId::Broker,
            RequestRecord::encode(&create(&alice, &bob, hush_client::new_message_id(), "x"))
                .as_bytes()
                .to_vec(),
        ),
        // Acting as a key the session did not prove: refused inside.
        (
            ServiceId::Broker,
            RequestRecord::encode(&create(&bob, &alice, hush_client::new_message_id(), "y"))
                .as_bytes()
                .to_vec(),
        ),
        (
            ServiceId::Broker,
            RequestRecord::encode(&Request {
                acting_as: alice.public(),
                op: Op::Read {
                    id: hush_client::new_message_id(),
                },
            })
            .as_bytes()
            .to_vec(),
        ),
        (
            ServiceId::Directory,
            DirectoryRequest {
                acting_as: alice.public(),
                op: DirectoryOp::Lookup {
                    identifier: Identifier::email("nobody@example.org").unwrap(),
                },
            }
            .encode(),
        ),
        (
            ServiceId::Rendezvous,
            RendezvousRequest {
                acting_as: alice.public(),
                op: RendezvousOp::List,
            }
            .encode(),
        ),
    ];
    for (service, record) in requests {
        let (_, sealed) = s.seal_bytes(&record);
        let p = r[0].propose(service, &s.id(), &sealed).unwrap();
        assert_eq!(p.entry.len(), SEALED_ENTRY_LEN, "{service:?}");
        assert!(commit(&r, 0, &p).is_some());
    }
    let p = r[0].propose_tick(1_001).unwrap();
    assert_eq!(p.entry.len(), SEALED_ENTRY_LEN, "tick");
    commit(&r, 0, &p);
}

#[test]
fn replayed_reordered_and_foreign_entries_are_refused_and_change_nothing() {
    let r = cluster(2);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let s = connect(&r[0], &alice);
    let propose = |text: &str| {
        let record =
            RequestRecord::encode(&create(&alice, &bob, hush_client::new_message_id(), text));
        let (_, sealed) = s.seal_bytes(record.as_bytes());
        r[0].propose(ServiceId::Broker, &s.id(), &sealed).unwrap()
    };
    let (p1, p2) = (propose("one"), propose("two"));
    assert_eq!((p1.seq, p2.seq), (1, 2));
    assert_eq!(
        r[1].apply(&p2.entry).unwrap_err(),
        ApplyError::OutOfOrder {
            expected: 1,
            got: 2
        }
    );
    r[1].apply(&p1.entry).unwrap();
    assert_eq!(
        r[1].apply(&p1.entry).unwrap_err(),
        ApplyError::OutOfOrder {
            expected: 2,
            got: 1
        },
        "a replay"
    );
    let foreign = cluster(1);
    let other = foreign[0].propose_tick(1_001).unwrap();
    assert_eq!(
        r[1].apply(&other.entry).unwrap_err(),
        ApplyError::Entry(EntryError::Unsealed)
    );
    let mut tampered = p2.entry.clone();
    tampered[SEALED_ENTRY_LEN / 2] ^= 1;
    assert_eq!(
        r[1].apply(&tampered).unwrap_err(),
        ApplyError::Entry(EntryError::Unsealed)
    );
    r[1].apply(&p2.entry).unwrap();
    assert_eq!(r[1].applied_seq(), 2);

    // A replica does not execute outside the log, and a single node has no log.
    let (_, sealed) = s.seal_bytes(
        RequestRecord::encode(&create(&alice, &bob, hush_client::new_message_id(), "z")).as_bytes(),
    );
    assert_eq!(
        r[0].query(&s.id(), &sealed).unwrap_err(),
        SessionError::Replicated
    );
    let single = InProcessEnclave::start(config(), 1_000).unwrap();
    assert_eq!(
        single.propose_tick(1_001).unwrap_err(),
        ApplyError::NotReplica
    );
    assert_eq!(single.apply(&p1.entry).unwrap_err(), ApplyError::NotReplica);
}

#[test]
fn a_proposal_another_leader_superseded_gets_no_answer() {
    let r = cluster(2);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let (on_0, on_1) = (connect(&r[0], &alice), connect(&r[1], &bob));
    let lost = hush_client::new_message_id();
    let record = RequestRecord::encode(&create(&alice, &bob, lost, "lost"));
    let (_, sealed) = on_0.seal_bytes(record.as_bytes());
    let old = r[0]
        .propose(ServiceId::Broker, &on_0.id(), &sealed)
        .unwrap();
    // Replica 1 became leader before that entry was replicated.
    let record =
        RequestRecord::encode(&create(&bob, &alice, hush_client::new_message_id(), "kept"));
    let (_, sealed) = on_1.seal_bytes(record.as_bytes());
    let new = r[1]
        .propose(ServiceId::Broker, &on_1.id(), &sealed)
        .unwrap();
    assert_eq!(old.seq, new.seq);
    assert!(
        r[0].apply(&new.entry).unwrap().reply.is_none(),
        "superseded"
    );
    assert!(r[1].apply(&new.entry).unwrap().reply.is_some());
    assert_eq!(r[0].waiting_proposals(), 0);
    // Alice's create never happened: bob's mailbox has nothing from her.
    let on_1b = connect(&r[1], &bob);
    let read = broker(
        &r,
        1,
        &on_1b,
        Request {
            acting_as: bob.public(),
            op: Op::Read { id: lost },
        },
    );
    assert_eq!(read.status, Status::NotFound);
}

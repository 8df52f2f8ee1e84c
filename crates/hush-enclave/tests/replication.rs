//! Replicas of one cluster driven through the replicated log, in process:
//! the leader proposes each client request as a sealed entry, every
//! replica applies the entries in order, the client is answered when its
//! entry applies, and another replica then serves the same state. What
//! replicas exchange is one entry per change, of one size whatever the
//! operation and its outcome; replayed, reordered and foreign entries are
//! refused and change nothing. A replica that missed the log catches up
//! from another's sealed snapshot, whose length depends on the
//! configuration alone.

use hush_attest::Policy;
use hush_client::Identity;
use hush_client::session::{ClientSession, Handshake};
use hush_enclave::cluster::{
    ApplyError, ClusterSecret, EntryError, SEALED_ENTRY_LEN, SnapshotError,
};
use hush_enclave::{
    EnclaveApi, EnclaveConfig, InProcessEnclave, Proposal, ServiceId, SessionError, StoreConfig,
};
use hush_wire::consts::IDENTIFIER_LEN;
use hush_wire::directory::{DirectoryOp, DirectoryRequest, DirectoryResponse, Identifier};
use hush_wire::rendezvous::{ComputationType, RendezvousOp, RendezvousRequest, RendezvousResponse};
use hush_wire::{
    FixedCodec, KeyProofStatus, MessageId, Op, Payload, Request, RequestRecord, Response, Status,
};

fn config() -> EnclaveConfig {
    EnclaveConfig::small(StoreConfig::new(64, 100).unwrap(), 8, 600)
}

/// Replicas, and the last entry of the (shared, test-run) log.
struct Cluster {
    r: Vec<InProcessEnclave>,
    tail: std::cell::RefCell<Option<Vec<u8>>>,
    /// The cluster secret, when the test made it.
    secret: Option<ClusterSecret>,
}

impl std::ops::Index<usize> for Cluster {
    type Output = InProcessEnclave;
    fn index(&self, i: usize) -> &InProcessEnclave {
        &self.r[i]
    }
}

impl Cluster {
    fn iter(&self) -> std::slice::Iter<'_, InProcessEnclave> {
        self.r.iter()
    }

    /// `leader` proposes a client's frame after the log's tail.
    fn propose(
        &self,
        leader: usize,
        service: ServiceId,
        s: &ClientSession,
        sealed: &[u8],
    ) -> Proposal {
        let tail = self.tail.borrow().clone();
        let p = self.r[leader]
            .propose(service, &s.id(), sealed, tail.as_deref())
            .unwrap();
        *self.tail.borrow_mut() = Some(p.entry.clone());
        p
    }

    fn propose_tick(&self, leader: usize, now: u64) -> Proposal {
        let tail = self.tail.borrow().clone();
        let p = self.r[leader].propose_tick(now, tail.as_deref()).unwrap();
        *self.tail.borrow_mut() = Some(p.entry.clone());
        p
    }
}

fn cluster(n: usize) -> Cluster {
    let secret = ClusterSecret::generate();
    Cluster {
        r: (0..n)
            .map(|_| InProcessEnclave::start_replica(config(), 1_000, &secret).unwrap())
            .collect(),
        tail: Default::default(),
        secret: Some(secret),
    }
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
fn commit(replicas: &Cluster, leader: usize, p: &Proposal) -> Option<Vec<u8>> {
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
    replicas: &Cluster,
    leader: usize,
    s: &ClientSession,
    service: ServiceId,
    record: &[u8],
    response_len: usize,
) -> Vec<u8> {
    let (nonce, sealed) = s.seal_bytes(record);
    let p = replicas.propose(leader, service, s, &sealed);
    assert_eq!(p.entry.len(), SEALED_ENTRY_LEN);
    let answer = commit(replicas, leader, &p).expect("the leader answers its client");
    s.open_bytes(nonce, &answer, response_len).unwrap()
}

fn broker(replicas: &Cluster, leader: usize, s: &ClientSession, req: Request) -> Response {
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

/// `who` reads message `id` through the log, led by `leader`.
fn read_message(
    replicas: &Cluster,
    leader: usize,
    s: &ClientSession,
    who: &Identity,
    id: MessageId,
) -> Response {
    broker(
        replicas,
        leader,
        s,
        Request {
            acting_as: who.public(),
            op: Op::Read { id },
        },
    )
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

fn tick(replicas: &Cluster, leader: usize, now: u64) {
    for r in replicas.iter() {
        r.tick(now);
    }
    let p = replicas.propose_tick(leader, now);
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
    register(&r, 0, &on_a, &alice, "alice@example.org");
    tick(&r, 0, 1_001);
    let sent = codes(&r);
    assert_eq!(sent[0].len(), 1, "one code sent");
    assert!(
        sent.iter().all(|c| *c == sent[0]),
        "the same code on every replica"
    );

    let computation = create_computation(&r, 0, &on_a, &alice, &bob, "lunch");
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
    let read = read_message(&r, leader, &on_b, &bob, id);
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
        let p = r.propose(0, service, &s, &sealed);
        assert_eq!(p.entry.len(), SEALED_ENTRY_LEN, "{service:?}");
        assert!(commit(&r, 0, &p).is_some());
    }
    let p = r.propose_tick(0, 1_001);
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
        r.propose(0, ServiceId::Broker, &s, &sealed)
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
    let other = foreign.propose_tick(0, 1_001);
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
        single.propose_tick(1_001, None).unwrap_err(),
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
        .propose(ServiceId::Broker, &on_0.id(), &sealed, None)
        .unwrap();
    // Replica 1 became leader before that entry was replicated.
    let record =
        RequestRecord::encode(&create(&bob, &alice, hush_client::new_message_id(), "kept"));
    let (_, sealed) = on_1.seal_bytes(record.as_bytes());
    let new = r[1]
        .propose(ServiceId::Broker, &on_1.id(), &sealed, None)
        .unwrap();
    *r.tail.borrow_mut() = Some(new.entry.clone());
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

fn node(peer_policy: Option<Policy>) -> InProcessEnclave {
    InProcessEnclave::start(
        EnclaveConfig {
            peer_policy,
            ..config()
        },
        1_000,
    )
    .unwrap()
}

/// The whole join of `joiner` through `member`, as the hosts carry it.
fn join(
    joiner: &InProcessEnclave,
    member: &InProcessEnclave,
) -> Result<(), hush_enclave::cluster::JoinError> {
    let hello = joiner.join_start()?;
    let (id, reply) = member.admit_start(&hello)?;
    let proof = joiner.join_reply(&reply)?;
    let frame = member.admit_finish(id, &proof)?;
    joiner.join_finish(&frame)
}

#[test]
fn a_node_joins_through_an_attested_handshake_and_then_replicates() {
    let first = node(Some(Policy::dev()));
    first.found_cluster().unwrap();
    let second = node(Some(Policy::dev()));
    assert_eq!(
        second
            .apply(&first.propose_tick(1_001, None).unwrap().entry)
            .unwrap_err(),
        ApplyError::NotReplica
    );
    join(&second, &first).unwrap();
    assert_eq!(second.cluster_epoch(), first.cluster_epoch());
    assert!(
        join(&second, &first).is_err(),
        "a member does not join again"
    );

    // The joiner applies the cluster's log from its start.
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let s = connect(&first, &alice);
    let id = hush_client::new_message_id();
    let replicas = Cluster {
        r: vec![first, second],
        tail: Default::default(),
        secret: None,
    };
    assert_eq!(
        broker(&replicas, 0, &s, create(&alice, &bob, id, "hi")).status,
        Status::Ok
    );
    let on_second = connect(&replicas[1], &bob);
    let read = read_message(&replicas, 1, &on_second, &bob, id);
    assert_eq!(read.status, Status::Ok);
}

#[test]
fn joins_need_a_peer_policy_that_accepts_the_other_side() {
    let member = node(Some(Policy::dev()));
    member.found_cluster().unwrap();
    // No peer policy: this node runs alone.
    let alone = node(None);
    assert!(matches!(
        alone.join_start(),
        Err(hush_enclave::cluster::JoinError::NoPeerPolicy)
    ));
    // A joiner whose policy refuses the member's dev evidence sends no proof.
    let strict = node(Some(Policy::default()));
    assert!(matches!(
        join(&strict, &member),
        Err(hush_enclave::cluster::JoinError::Attestation(_))
    ));
    assert!(strict.cluster_epoch().is_none());
    // A member whose policy refuses dev evidence hands nothing over.
    let strict_member = node(Some(Policy::default()));
    strict_member.found_cluster().unwrap();
    let joiner = node(Some(Policy::dev()));
    let hello = joiner.join_start().unwrap();
    let (id, reply) = strict_member.admit_start(&hello).unwrap();
    let proof = joiner.join_reply(&reply).unwrap();
    assert!(matches!(
        strict_member.admit_finish(id, &proof),
        Err(hush_enclave::cluster::JoinError::Attestation(_))
    ));
    assert!(
        strict_member.admit_finish(id, &proof).is_err(),
        "an admission is used once"
    );
    // Not a member: nothing to admit with.
    assert!(matches!(
        alone_member_admits(),
        Err(hush_enclave::cluster::JoinError::NotMember)
    ));
}

fn alone_member_admits() -> Result<(u64, Vec<u8>), hush_enclave::cluster::JoinError> {
    let not_member = node(Some(Policy::dev()));
    let joiner = node(Some(Policy::dev()));
    not_member.admit_start(&joiner.join_start()?)
}

#[test]
fn a_new_leader_chains_after_the_entries_its_log_holds() {
    let r = cluster(2);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let (on_0, on_1) = (connect(&r[0], &alice), connect(&r[1], &bob));
    let record = |from: &Identity, to: &Identity| {
        RequestRecord::encode(&create(from, to, hush_client::new_message_id(), "m"))
    };
    // Replica 0 proposed p1; it reached replica 1's log but nobody applied it.
    let (_, sealed) = on_0.seal_bytes(record(&alice, &bob).as_bytes());
    let p1 = r[0]
        .propose(ServiceId::Broker, &on_0.id(), &sealed, None)
        .unwrap();
    // Replica 1 leads now and chains after p1.
    let (_, sealed) = on_1.seal_bytes(record(&bob, &alice).as_bytes());
    let p2 = r[1]
        .propose(ServiceId::Broker, &on_1.id(), &sealed, Some(&p1.entry))
        .unwrap();
    assert_eq!((p1.seq, p2.seq), (1, 2));
    // An entry placed after another tail does not chain.
    let (_, sealed) = on_1.seal_bytes(record(&bob, &alice).as_bytes());
    let stray = r[1]
        .propose(ServiceId::Broker, &on_1.id(), &sealed, Some(&p1.entry))
        .unwrap();
    for e in r.iter() {
        assert!(e.apply(&p1.entry).is_ok());
        assert!(e.apply(&p2.entry).is_ok());
        assert_eq!(
            e.apply(&stray.entry).unwrap_err(),
            ApplyError::OutOfOrder {
                expected: 3,
                got: 2
            }
        );
    }
    // A proposal must not name a tail behind what was applied.
    let (_, sealed) = on_1.seal_bytes(record(&bob, &alice).as_bytes());
    assert_eq!(
        r[1].propose(ServiceId::Broker, &on_1.id(), &sealed, Some(&p1.entry))
            .unwrap_err(),
        hush_enclave::ProposeError::Log(ApplyError::StaleTail {
            named: 1,
            applied: 2
        })
    );
    // Same place, another predecessor: refused as unchained.
    let (_, sealed) = on_1.seal_bytes(record(&bob, &alice).as_bytes());
    let p3 = r[1]
        .propose(ServiceId::Broker, &on_1.id(), &sealed, Some(&p2.entry))
        .unwrap();
    let (_, sealed) = on_1.seal_bytes(record(&bob, &alice).as_bytes());
    let p3_fork = r[1]
        .propose(ServiceId::Broker, &on_1.id(), &sealed, Some(&stray.entry))
        .unwrap();
    assert_eq!(p3_fork.seq, 3);
    assert_eq!(
        r[0].apply(&p3_fork.entry).unwrap_err(),
        ApplyError::Unchained(3)
    );
    assert!(r[0].apply(&p3.entry).is_ok());
}

/// Registers `who`'s e-mail through the log (a code goes out on the next
/// tick).
fn register(r: &Cluster, leader: usize, s: &ClientSession, who: &Identity, email: &str) {
    let register = DirectoryRequest {
        acting_as: who.public(),
        op: DirectoryOp::Register {
            identifier: Identifier::email(email).unwrap(),
            device: hush_wire::directory::DeviceRecord {
                card: hush_client::e2e::card_for(who).card().clone(),
                mailbox: who.public(),
                signature: hush_wire::Signature([1; 64]),
            },
            flags: Default::default(),
        },
    };
    let answer = replicated(
        r,
        leader,
        s,
        ServiceId::Directory,
        &register.encode(),
        hush_wire::consts::DIRECTORY_RESPONSE_LEN,
    );
    let _ = DirectoryResponse::decode(&answer).unwrap();
}

/// `who` creates a computation with `with` through the log.
fn create_computation(
    r: &Cluster,
    leader: usize,
    s: &ClientSession,
    who: &Identity,
    with: &Identity,
    name: &str,
) -> hush_wire::rendezvous::ComputationId {
    let calc = RendezvousRequest {
        acting_as: who.public(),
        op: RendezvousOp::Create {
            name: name.into(),
            kind: ComputationType::Average,
            participants: vec![with.public()],
            quorum: 1,
            deadline: None,
        },
    };
    let created = RendezvousResponse::decode(&replicated(
        r,
        leader,
        s,
        ServiceId::Rendezvous,
        &calc.encode(),
        hush_wire::consts::RENDEZVOUS_RESPONSE_LEN,
    ))
    .unwrap();
    created.id.expect("created")
}

/// Each replica's codes sent since the last call.
fn codes(r: &Cluster) -> Vec<Vec<([u8; IDENTIFIER_LEN], u32)>> {
    r.iter()
        .map(|e| {
            e.take_verifications()
                .into_iter()
                .map(|v| (v.identifier, v.code))
                .collect()
        })
        .collect()
}

#[test]
fn a_replica_that_missed_the_log_catches_up_from_a_snapshot() {
    let mut r = cluster(2);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let on_a = connect(&r[0], &alice);
    let id = hush_client::new_message_id();
    assert_eq!(
        broker(
            &r,
            0,
            &on_a,
            create(&alice, &bob, id, "before the snapshot")
        )
        .status,
        Status::Ok
    );
    register(&r, 0, &on_a, &alice, "alice@example.org");
    tick(&r, 0, 1_001);
    let _ = codes(&r);

    // A new replica of the cluster has applied nothing; it installs the
    // leader's snapshot and takes the log from there.
    let snapshot = r[0].snapshot().unwrap();
    assert_eq!(snapshot.seq, r[0].applied_seq());
    let late =
        InProcessEnclave::start_replica(config(), 1_000, r.secret.as_ref().unwrap()).unwrap();
    assert_eq!(late.install_snapshot(&snapshot.sealed), Ok(snapshot.seq));
    assert_eq!(late.applied_seq(), snapshot.seq);
    r.r.push(late);

    // It applies the next entries like the others (`commit` checks every
    // replica), serves what was stored before the snapshot as leader, and
    // its directory codes and rendezvous ids continue the same streams.
    let on_late = connect(&r[2], &bob);
    let read = read_message(&r, 2, &on_late, &bob, id);
    assert_eq!(read.status, Status::Ok);
    assert_eq!(
        read.message.unwrap().payload,
        Payload::frame(b"before the snapshot").unwrap()
    );
    register(&r, 2, &on_late, &bob, "bob@example.org");
    tick(&r, 2, 1_002);
    let sent = codes(&r);
    assert_eq!(sent[0].len(), 1, "one code sent");
    assert!(sent.iter().all(|c| *c == sent[0]), "{sent:?}");
    let created = create_computation(&r, 2, &on_late, &bob, &alice, "after");
    assert_eq!(created.epoch(), r[0].cluster_epoch().unwrap());
    assert!(r.iter().all(|e| e.applied_seq() == r[0].applied_seq()));
}

#[test]
fn a_snapshot_has_one_length_whatever_the_services_hold() {
    let r = cluster(1);
    let empty = r[0].snapshot().unwrap().sealed.len();
    let length = |when: &str| {
        assert_eq!(r[0].snapshot().unwrap().sealed.len(), empty, "{when}");
    };
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let s = connect(&r[0], &alice);
    for n in 0..5 {
        let id = hush_client::new_message_id();
        broker(&r, 0, &s, create(&alice, &bob, id, &"x".repeat(n * 40)));
    }
    register(&r, 0, &s, &alice, "alice@example.org");
    length("messages stored, a code in the outbox");
    tick(&r, 0, 1_001);
    // Every service's queued state, taken before a tick moves it: the
    // directory's map writes waiting for the tick (a verified identifier),
    // and the rendezvous service's list entries waiting to move (a
    // create queues one per member, and each request moves only one).
    let code = codes(&r)[0][0].1;
    let verify = DirectoryRequest {
        acting_as: alice.public(),
        op: DirectoryOp::Verify {
            identifier: Identifier::email("alice@example.org").unwrap(),
            code: hush_wire::directory::VerificationCode::new(code).unwrap(),
        },
    };
    let verified = DirectoryResponse::decode(&replicated(
        &r,
        0,
        &s,
        ServiceId::Directory,
        &verify.encode(),
        hush_wire::consts::DIRECTORY_RESPONSE_LEN,
    ))
    .unwrap();
    assert_eq!(
        verified.status,
        hush_wire::directory::DirectoryStatus::Ok,
        "the verification queues a map write"
    );
    length("a directory map write waiting for the tick");
    create_computation(&r, 0, &s, &alice, &bob, "one");
    length("a rendezvous create's list entries queued");
    tick(&r, 0, 1_002);
    length("after the tick moved them");
    // Two snapshots of one state are sealed under different nonces.
    assert_ne!(
        r[0].snapshot().unwrap().sealed,
        r[0].snapshot().unwrap().sealed
    );
}

#[test]
fn foreign_altered_and_misconfigured_snapshots_are_refused_and_change_nothing() {
    let r = cluster(2);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let s = connect(&r[0], &alice);
    broker(
        &r,
        0,
        &s,
        create(&alice, &bob, hush_client::new_message_id(), "kept"),
    );
    let seq = r[1].applied_seq();

    let foreign = cluster(1)[0].snapshot().unwrap().sealed;
    assert_eq!(
        r[1].install_snapshot(&foreign),
        Err(SnapshotError::Unsealed)
    );
    let mut altered = r[0].snapshot().unwrap().sealed;
    let last = altered.len() - 1;
    altered[last] ^= 1;
    assert_eq!(
        r[1].install_snapshot(&altered),
        Err(SnapshotError::Unsealed)
    );
    assert_eq!(r[1].install_snapshot(&[]), Err(SnapshotError::Unsealed));
    let bigger = InProcessEnclave::start_replica(
        EnclaveConfig {
            store: StoreConfig::new(128, 100).unwrap(),
            ..config()
        },
        1_000,
        r.secret.as_ref().unwrap(),
    )
    .unwrap();
    assert!(matches!(
        bigger.install_snapshot(&r[0].snapshot().unwrap().sealed),
        Err(SnapshotError::Length { .. })
    ));
    assert_eq!(
        node(None).install_snapshot(&foreign),
        Err(SnapshotError::NotReplica)
    );

    // Nothing changed: replica 1 is where it was and takes the next entry.
    assert_eq!(r[1].applied_seq(), seq);
    let id = hush_client::new_message_id();
    assert_eq!(
        broker(&r, 0, &s, create(&alice, &bob, id, "next")).status,
        Status::Ok
    );
}

/// The Privacy Pass fixture's base64 strings for `name` (tokens issued by
/// @cloudflare/privacypass-ts: tests/data/privacypass).
fn token_fixture(name: &str) -> Vec<Vec<u8>> {
    hush_enclave::fixtures::privacypass_bytes(name)
}

/// Replicas that require tokens of the fixture's issuer, one write each.
fn token_cluster(n: usize) -> Cluster {
    let key = hush_enclave::IssuerKey::from_spki_der(&token_fixture("public_key")[0]).unwrap();
    token_cluster_with(
        n,
        hush_enclave::TokenConfig {
            require: true,
            issuer_name: "issuer.hush.test".into(),
            keys: vec![key],
            credits_per_token: 1,
            ..Default::default()
        },
    )
}

/// A cluster of `n` replicas whose enclaves have these token settings.
fn token_cluster_with(n: usize, tokens: hush_enclave::TokenConfig) -> Cluster {
    let secret = ClusterSecret::generate();
    let config = EnclaveConfig { tokens, ..config() };
    Cluster {
        r: (0..n)
            .map(|_| InProcessEnclave::start_replica(config.clone(), 1_000, &secret).unwrap())
            .collect(),
        tail: Default::default(),
        secret: Some(secret),
    }
}

fn redeem(
    r: &Cluster,
    leader: usize,
    s: &ClientSession,
    token: &[u8],
) -> hush_wire::tokens::TokenResponse {
    let request = hush_wire::tokens::TokenRequest::Redeem(
        hush_wire::tokens::Token::from_bytes(token).unwrap(),
    );
    let plain = replicated(
        r,
        leader,
        s,
        ServiceId::Tokens,
        &request.encode(),
        hush_wire::tokens::TOKEN_RESPONSE_LEN,
    );
    hush_wire::tokens::TokenResponse::decode(&plain).unwrap()
}

#[test]
fn a_spent_token_stays_spent_on_the_next_leader_and_credits_gate_writes() {
    use hush_wire::tokens::TokenStatus;
    let r = token_cluster(3);
    let tokens = token_fixture("tokens");
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let s0 = connect(&r[0], &alice);
    let id = |b: u8| MessageId::new([b; 16]).unwrap();
    // No credit: the create is refused, and nothing is stored.
    let refused = broker(&r, 0, &s0, create(&alice, &bob, id(1), "no token"));
    assert_eq!(refused.status, Status::NoTokens);
    let a = redeem(&r, 0, &s0, &tokens[0]);
    assert_eq!((a.status, a.credits), (TokenStatus::Ok, 1));
    assert_eq!(
        broker(&r, 0, &s0, create(&alice, &bob, id(2), "paid")).status,
        Status::Ok
    );
    // The one credit is used.
    assert_eq!(
        broker(&r, 0, &s0, create(&alice, &bob, id(3), "again")).status,
        Status::NoTokens
    );
    // A leader change: replica 1 leads, a new session there.
    let s1 = connect(&r[1], &alice);
    assert_eq!(redeem(&r, 1, &s1, &tokens[0]).status, TokenStatus::Spent);
    assert_eq!(
        broker(&r, 1, &s1, create(&alice, &bob, id(3), "still none")).status,
        Status::NoTokens
    );
    assert_eq!(redeem(&r, 1, &s1, &tokens[1]).status, TokenStatus::Ok);
    assert_eq!(
        broker(&r, 1, &s1, create(&alice, &bob, id(3), "paid")).status,
        Status::Ok
    );
    // Reads need no credit; bob's mailbox has the two paid messages.
    let sb = connect(&r[2], &bob);
    assert_eq!(read_message(&r, 2, &sb, &bob, id(2)).status, Status::Ok);
    assert_eq!(read_message(&r, 2, &sb, &bob, id(3)).status, Status::Ok);
    assert_eq!(
        read_message(&r, 2, &sb, &bob, id(1)).status,
        Status::NotFound
    );
    // A replica that catches up from a snapshot knows the spent tokens.
    let late = InProcessEnclave::start_replica(
        EnclaveConfig {
            tokens: hush_enclave::TokenConfig {
                require: true,
                issuer_name: "issuer.hush.test".into(),
                keys: vec![
                    hush_enclave::IssuerKey::from_spki_der(&token_fixture("public_key")[0])
                        .unwrap(),
                ],
                credits_per_token: 1,
                ..Default::default()
            },
            ..config()
        },
        1_000,
        r.secret.as_ref().unwrap(),
    )
    .unwrap();
    late.install_snapshot(&r[2].snapshot().unwrap().sealed)
        .unwrap();
    let r2 = Cluster {
        r: vec![late],
        tail: Default::default(),
        secret: None,
    };
    let s = connect(&r2[0], &alice);
    assert_eq!(redeem(&r2, 0, &s, &tokens[1]).status, TokenStatus::Spent);
}

/// A token record through the log; its answer.
fn token_call(
    r: &Cluster,
    leader: usize,
    s: &ClientSession,
    request: &hush_wire::tokens::TokenRequest,
) -> hush_wire::tokens::TokenResponse {
    let plain = replicated(
        r,
        leader,
        s,
        ServiceId::Tokens,
        &request.encode(),
        hush_wire::tokens::TOKEN_RESPONSE_LEN,
    );
    hush_wire::tokens::TokenResponse::decode(&plain).unwrap()
}

/// The directory's tokens in a cluster: the grant (a directory request)
/// and the blind issuance go through the log, so the session's allowance
/// and the account's day are the same on every replica; a token spent on
/// one leader is spent on the next; and a replica that catches up from a
/// snapshot has the day's key and spent set.
#[test]
fn the_directorys_tokens_are_replicated_state() {
    use hush_client::token_issuance::PendingIssue;
    use hush_wire::directory::DirectoryStatus;
    use hush_wire::tokens::{IssueRequest, TokenRequest, TokenStatus};
    let token_config = hush_enclave::TokenConfig {
        require: true,
        credits_per_token: 1,
        directory_tokens_per_day: 4,
        ..Default::default()
    };
    let r = token_cluster_with(3, token_config.clone());
    let alice = Identity::generate("alice");
    let s0 = connect(&r[0], &alice);
    register(&r, 0, &s0, &alice, "alice@example.org");
    tick(&r, 0, 1_001);
    let code = codes(&r)[0][0].1;
    let verify = DirectoryRequest {
        acting_as: alice.public(),
        op: DirectoryOp::Verify {
            identifier: Identifier::email("alice@example.org").unwrap(),
            code: hush_wire::directory::VerificationCode::new(code).unwrap(),
        },
    };
    let grant = DirectoryRequest {
        acting_as: alice.public(),
        op: DirectoryOp::Tokens,
    };
    let directory = |leader: usize, s: &ClientSession, req: &DirectoryRequest| {
        DirectoryResponse::decode(&replicated(
            &r,
            leader,
            s,
            ServiceId::Directory,
            &req.encode(),
            hush_wire::consts::DIRECTORY_RESPONSE_LEN,
        ))
        .unwrap()
    };
    assert_eq!(directory(0, &s0, &verify).status, DirectoryStatus::Ok);
    tick(&r, 0, 1_002);
    assert_eq!(directory(0, &s0, &grant).status, DirectoryStatus::Ok);

    let probe = TokenRequest::Issue(IssueRequest {
        key_id: [0; 32],
        blinded: [[0; 32]; hush_wire::tokens::TOKENS_PER_ISSUE],
    });
    let key = token_call(&r, 0, &s0, &probe).key.unwrap();
    let (pending, request) = PendingIssue::new(key);
    let issued = token_call(&r, 0, &s0, &TokenRequest::Issue(request));
    assert_eq!(issued.status, TokenStatus::Ok);
    let tokens = pending.finish(&issued.issued.unwrap()).unwrap();
    let redeem = |leader: usize, s: &ClientSession, i: usize| {
        token_call(&r, leader, s, &TokenRequest::Redeem(tokens[i].clone())).status
    };
    assert_eq!(redeem(0, &s0, 0), TokenStatus::Ok);

    // A leader change: the same key, the same spent set, the same day.
    let s1 = connect(&r[1], &alice);
    assert_eq!(token_call(&r, 1, &s1, &probe).key, Some(key));
    assert_eq!(redeem(1, &s1, 0), TokenStatus::Spent);
    assert_eq!(redeem(1, &s1, 1), TokenStatus::Ok);
    let again = directory(1, &s1, &grant);
    assert_eq!(
        (again.status, again.tokens_per_day),
        (DirectoryStatus::RateLimited, 4),
        "the account's day was used on the other leader"
    );

    // A replica that catches up from a snapshot knows them too.
    let late = InProcessEnclave::start_replica(
        EnclaveConfig {
            tokens: token_config,
            ..config()
        },
        1_000,
        r.secret.as_ref().unwrap(),
    )
    .unwrap();
    late.install_snapshot(&r[2].snapshot().unwrap().sealed)
        .unwrap();
    let r2 = Cluster {
        r: vec![late],
        tail: Default::default(),
        secret: None,
    };
    let s = connect(&r2[0], &alice);
    let answer = |req: &TokenRequest| token_call(&r2, 0, &s, req);
    assert_eq!(answer(&probe).key, Some(key));
    assert_eq!(
        answer(&TokenRequest::Redeem(tokens[1].clone())).status,
        TokenStatus::Spent
    );
    assert_eq!(
        answer(&TokenRequest::Redeem(tokens[2].clone())).status,
        TokenStatus::Ok
    );
}

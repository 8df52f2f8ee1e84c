//! `hush-timing`: dudect timing side-channel tests (Welch's t-test over
//! interleaved, randomly ordered measurements, via `dudect-bencher`).
//!
//! Each benchmark measures one store request (or one whole enclave request:
//! open the sealed frame, check the key, run the store, seal the answer)
//! from two classes that must be indistinguishable. |t| above ~4.5 means
//! the two classes' timings differ detectably.
//!
//! Samples per benchmark: `HUSH_TIMING_SAMPLES` (default 200,000, about
//! 100,000 per class). CI runs a tiny sample only to check that it runs.
//!
//! ```text
//! cargo run --release -p hush-bench --bin hush-timing
//! ```

use dudect_bencher::rand::RngExt;
use dudect_bencher::{BenchRng, Class, CtRunner, ctbench_main};
use hush_client::Identity;
use hush_client::session::{ClientSession, Handshake};
use hush_enclave::oram::RostlFactory;
use hush_enclave::{
    AttestationMode, EnclaveApi, EnclaveConfig, InProcessEnclave, Store, StoreConfig,
};
use hush_wire::consts::MAILBOX_CAPACITY;
use hush_wire::{MessageId, Op, Payload, PublicKey, Request, RequestRecord};

/// Store capacity used for timing (small: fast samples; the access pattern
/// does not depend on capacity).
const CAPACITY: u32 = 1 << 10;
const NOW: u64 = 1_000;

fn samples() -> usize {
    std::env::var("HUSH_TIMING_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

fn key(n: u8) -> PublicKey {
    PublicKey::new([n; 32]).unwrap()
}

fn id(n: u64) -> MessageId {
    let mut b = [0x77u8; 16];
    b[..8].copy_from_slice(&n.to_le_bytes());
    MessageId::new(b).unwrap()
}

fn payload(rng: &mut BenchRng) -> Payload {
    let mut content = [0u8; 100];
    rng.fill(&mut content[..]);
    Payload::frame(&content).unwrap()
}

fn rec(acting_as: PublicKey, op: Op) -> RequestRecord {
    RequestRecord::encode(&Request { acting_as, op })
}

/// A store with `bob` holding `resident` messages (ids 0..resident) from alice.
fn store(resident: u64) -> Store {
    let config = StoreConfig::new(CAPACITY, 86_400).unwrap();
    let mut s = Store::with_secret(config, &RostlFactory, [1; 32]);
    for n in 0..resident {
        let op = Op::Create {
            id: id(n),
            recipient: key(2),
            payload: Payload::frame(b"x").unwrap(),
        };
        s.execute(&rec(key(1), op), NOW);
    }
    s
}

/// Runs `samples()` measurements, each of a random class; `left`/`right`
/// build the request to measure (they may prepare state unmeasured).
fn compare(
    runner: &mut CtRunner,
    rng: &mut BenchRng,
    s: &mut Store,
    mut left: impl FnMut(&mut Store, &mut BenchRng, u64) -> RequestRecord,
    mut right: impl FnMut(&mut Store, &mut BenchRng, u64) -> RequestRecord,
    mut after: impl FnMut(&mut Store, Class, u64),
) {
    // run_one takes an Fn: the store goes in a RefCell (same cost for
    // both classes).
    let cell = std::cell::RefCell::new(s);
    for n in 0..samples() as u64 {
        let class = if rng.random::<bool>() {
            Class::Left
        } else {
            Class::Right
        };
        let r = match class {
            Class::Left => left(&mut cell.borrow_mut(), rng, n),
            Class::Right => right(&mut cell.borrow_mut(), rng, n),
        };
        runner.run_one(class, || cell.borrow_mut().execute(&r, NOW));
        after(&mut cell.borrow_mut(), class, n);
    }
}

const ALICE: u8 = 1;
const BOB: u8 = 2;
const MALLORY: u8 = 3;
/// Ids of fresh messages made during a run start here.
const FRESH: u64 = 1 << 32;

fn create_vs_read(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut s = store(30);
    compare(
        runner,
        rng,
        &mut s,
        |_, rng, n| {
            rec(
                key(ALICE),
                Op::Create {
                    id: id(FRESH + n),
                    recipient: key(BOB),
                    payload: payload(rng),
                },
            )
        },
        |_, rng, _| {
            rec(
                key(BOB),
                Op::Read {
                    id: id(rng.random_range(0..30)),
                },
            )
        },
        |s, class, n| {
            if matches!(class, Class::Left) {
                s.execute(
                    &rec(
                        key(BOB),
                        Op::Delete {
                            id: id(FRESH + n),
                            recipient: key(BOB),
                        },
                    ),
                    NOW,
                );
            }
        },
    );
}

fn create_ok_vs_exists(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut s = store(30);
    compare(
        runner,
        rng,
        &mut s,
        |_, rng, n| {
            rec(
                key(ALICE),
                Op::Create {
                    id: id(FRESH + n),
                    recipient: key(BOB),
                    payload: payload(rng),
                },
            )
        },
        |_, rng, _| {
            rec(
                key(ALICE),
                Op::Create {
                    id: id(rng.random_range(0..30)),
                    recipient: key(BOB),
                    payload: payload(rng),
                },
            )
        },
        |s, _, n| {
            s.execute(
                &rec(
                    key(BOB),
                    Op::Delete {
                        id: id(FRESH + n),
                        recipient: key(BOB),
                    },
                ),
                NOW,
            );
        },
    );
}

fn read_vs_update(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut s = store(30);
    compare(
        runner,
        rng,
        &mut s,
        |_, rng, _| {
            rec(
                key(BOB),
                Op::Read {
                    id: id(rng.random_range(0..30)),
                },
            )
        },
        |_, rng, _| {
            rec(
                key(ALICE),
                Op::Update {
                    id: id(rng.random_range(0..30)),
                    recipient: key(BOB),
                    payload: payload(rng),
                },
            )
        },
        |_, _, _| {},
    );
}

fn read_vs_update_polluted(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut s = store(30);
    let mut junk = vec![0u8; 1 << 20];
    let cell = std::cell::RefCell::new(&mut s);
    for n in 0..samples() as u64 {
        let class = if rng.random::<bool>() {
            Class::Left
        } else {
            Class::Right
        };
        let r = match class {
            Class::Left => rec(
                key(BOB),
                Op::Read {
                    id: id(rng.random_range(0..30)),
                },
            ),
            Class::Right => rec(
                key(ALICE),
                Op::Update {
                    id: id(rng.random_range(0..30)),
                    recipient: key(BOB),
                    payload: payload(rng),
                },
            ),
        };
        // Evict the caches the way the enclave's surrounding work might.
        for b in junk.iter_mut().step_by(64) {
            *b = b.wrapping_add(n as u8);
        }
        runner.run_one(class, || cell.borrow_mut().execute(&r, NOW));
    }
}

/// Only the Noise work of the enclave path (open a sealed request, seal
/// the response) for a read and an update, with no store at all.
/// `NOISE_SPLIT=req` varies only the request (same response), `=resp` only
/// the response (same request).
fn noise_only_read_vs_update(runner: &mut CtRunner, rng: &mut BenchRng) {
    use hush_wire::consts::NOISE_PARAMS;
    let b = || snow::Builder::new(NOISE_PARAMS.parse().unwrap());
    let kp = b().generate_keypair().unwrap();
    let mut i = b().build_initiator().unwrap();
    let mut r = b()
        .local_private_key(&kp.private)
        .unwrap()
        .build_responder()
        .unwrap();
    let mut buf = vec![0u8; 65535];
    let mut pl = vec![0u8; 65535];
    let n = i.write_message(&[], &mut buf).unwrap();
    r.read_message(&buf[..n], &mut pl).unwrap();
    let n = r.write_message(&[], &mut buf).unwrap();
    i.read_message(&buf[..n], &mut pl).unwrap();
    let it = i.into_stateless_transport_mode().unwrap();
    let rt = r.into_stateless_transport_mode().unwrap();
    // Real responses: run the requests once through a store.
    let mut st = store(30);
    let read_req = rec(key(BOB), Op::Read { id: id(3) });
    let upd_req = rec(
        key(ALICE),
        Op::Update {
            id: id(3),
            recipient: key(BOB),
            payload: payload(rng),
        },
    );
    let read_resp = st.execute(&read_req, NOW);
    let upd_resp = st.execute(&upd_req, NOW);
    for n in 0..samples() as u64 {
        let class = if rng.random::<bool>() {
            Class::Left
        } else {
            Class::Right
        };
        let (req, resp) = match (std::env::var("NOISE_SPLIT").as_deref(), class) {
            (Ok("req"), Class::Left) => (&read_req, &upd_resp),
            (Ok("req"), Class::Right) => (&upd_req, &upd_resp),
            (Ok("resp"), Class::Left) => (&upd_req, &read_resp),
            (Ok("resp"), Class::Right) => (&upd_req, &upd_resp),
            (_, Class::Left) => (&read_req, &read_resp),
            (_, Class::Right) => (&upd_req, &upd_resp),
        };
        let mut ct = vec![0u8; 1024 + 16];
        it.write_message(n, req.as_bytes(), &mut ct).unwrap();
        runner.run_one(class, || {
            let mut plain = vec![0u8; 1024];
            rt.read_message(n, &ct, &mut plain).unwrap();
            let mut out = vec![0u8; 2024 + 16];
            rt.write_message(n, resp.as_bytes(), &mut out).unwrap();
            out
        });
    }
}

fn update_vs_delete(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut s = store(30);
    compare(
        runner,
        rng,
        &mut s,
        |_, rng, _| {
            rec(
                key(ALICE),
                Op::Update {
                    id: id(rng.random_range(0..30)),
                    recipient: key(BOB),
                    payload: payload(rng),
                },
            )
        },
        |s, _, n| {
            // Put a message there to delete (unmeasured).
            let op = Op::Create {
                id: id(FRESH + n),
                recipient: key(BOB),
                payload: Payload::frame(b"d").unwrap(),
            };
            s.execute(&rec(key(ALICE), op), NOW);
            rec(
                key(ALICE),
                Op::Delete {
                    id: id(FRESH + n),
                    recipient: key(BOB),
                },
            )
        },
        |_, _, _| {},
    );
}

fn read_found_vs_not_found(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut s = store(30);
    compare(
        runner,
        rng,
        &mut s,
        |_, rng, _| {
            rec(
                key(BOB),
                Op::Read {
                    id: id(rng.random_range(0..30)),
                },
            )
        },
        |_, rng, _| {
            rec(
                key(BOB),
                Op::Read {
                    id: id(rng.random_range(100..130)),
                },
            )
        },
        |_, _, _| {},
    );
}

fn delete_permitted_vs_denied(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut s = store(30);
    compare(
        runner,
        rng,
        &mut s,
        |s, _, n| {
            let op = Op::Create {
                id: id(FRESH + n),
                recipient: key(BOB),
                payload: Payload::frame(b"d").unwrap(),
            };
            s.execute(&rec(key(ALICE), op), NOW);
            rec(
                key(ALICE),
                Op::Delete {
                    id: id(FRESH + n),
                    recipient: key(BOB),
                },
            )
        },
        |s, _, n| {
            let op = Op::Create {
                id: id(FRESH + n),
                recipient: key(BOB),
                payload: Payload::frame(b"d").unwrap(),
            };
            s.execute(&rec(key(ALICE), op), NOW);
            rec(
                key(MALLORY),
                Op::Delete {
                    id: id(FRESH + n),
                    recipient: key(BOB),
                },
            )
        },
        |s, class, n| {
            if matches!(class, Class::Right) {
                s.execute(
                    &rec(
                        key(BOB),
                        Op::Delete {
                            id: id(FRESH + n),
                            recipient: key(BOB),
                        },
                    ),
                    NOW,
                );
            }
        },
    );
}

fn create_mailbox_full_vs_not(runner: &mut CtRunner, rng: &mut BenchRng) {
    // Bob's mailbox is full; carol's has room.
    let mut s = store(MAILBOX_CAPACITY as u64);
    compare(
        runner,
        rng,
        &mut s,
        |_, rng, n| {
            rec(
                key(ALICE),
                Op::Create {
                    id: id(FRESH + n),
                    recipient: key(BOB),
                    payload: payload(rng),
                },
            )
        },
        |_, rng, n| {
            rec(
                key(ALICE),
                Op::Create {
                    id: id(FRESH + n),
                    recipient: key(4),
                    payload: payload(rng),
                },
            )
        },
        |s, class, n| {
            if matches!(class, Class::Right) {
                s.execute(
                    &rec(
                        key(4),
                        Op::Delete {
                            id: id(FRESH + n),
                            recipient: key(4),
                        },
                    ),
                    NOW,
                );
            }
        },
    );
}

/// The whole enclave path: sealed frame in, sealed frame out, with one
/// session proving alice's and bob's keys. After every sample the same
/// unmeasured delete runs, whatever the class.
fn enclave_compare(
    runner: &mut CtRunner,
    rng: &mut BenchRng,
    mut left: impl FnMut(&Identity, &Identity, &mut BenchRng, u64) -> RequestRecord,
    mut right: impl FnMut(&Identity, &Identity, &mut BenchRng, u64) -> RequestRecord,
) {
    let config = EnclaveConfig {
        store: StoreConfig::new(CAPACITY, 86_400).unwrap(),
        max_sessions: 4,
        session_idle_secs: 3_600,
        attestation: AttestationMode::Dev,
    };
    let e = InProcessEnclave::start(config, NOW).unwrap();
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let session: ClientSession = {
        let hs = Handshake::start().unwrap();
        let reply = e.handshake(&hs.message).unwrap();
        let s = hs
            .finish(reply.session, &reply.message, &hush_attest::Policy::dev())
            .unwrap();
        let (ka, kb) = (alice.keypair(), bob.keypair());
        let (_, sealed) = s.seal_key_proofs(&[&ka, &kb]);
        e.prove_keys(&s.id(), &sealed).unwrap();
        s
    };
    let sid = session.id();
    for n in 0..30 {
        let r = rec(
            alice.public(),
            Op::Create {
                id: id(n),
                recipient: bob.public(),
                payload: Payload::frame(b"x").unwrap(),
            },
        );
        e.query(&sid, &session.seal_request(&r).1).unwrap();
    }
    for n in 0..samples() as u64 {
        let class = if rng.random::<bool>() {
            Class::Left
        } else {
            Class::Right
        };
        let record = match class {
            Class::Left => left(&alice, &bob, rng, n),
            Class::Right => right(&alice, &bob, rng, n),
        };
        let (_, sealed) = session.seal_request(&record);
        runner.run_one(class, || e.query(&sid, &sealed));
        let d = rec(
            bob.public(),
            Op::Delete {
                id: id(FRESH + n),
                recipient: bob.public(),
            },
        );
        e.query(&sid, &session.seal_request(&d).1).unwrap();
    }
}

fn enclave_create_vs_read(runner: &mut CtRunner, rng: &mut BenchRng) {
    enclave_compare(
        runner,
        rng,
        |a, b, rng, n| {
            rec(
                a.public(),
                Op::Create {
                    id: id(FRESH + n),
                    recipient: b.public(),
                    payload: payload(rng),
                },
            )
        },
        |_, b, rng, _| {
            rec(
                b.public(),
                Op::Read {
                    id: id(rng.random_range(0..30)),
                },
            )
        },
    );
}

fn enclave_create_vs_update(runner: &mut CtRunner, rng: &mut BenchRng) {
    enclave_compare(
        runner,
        rng,
        |a, b, rng, n| {
            rec(
                a.public(),
                Op::Create {
                    id: id(FRESH + n),
                    recipient: b.public(),
                    payload: payload(rng),
                },
            )
        },
        |a, b, rng, _| {
            rec(
                a.public(),
                Op::Update {
                    id: id(rng.random_range(0..30)),
                    recipient: b.public(),
                    payload: payload(rng),
                },
            )
        },
    );
}

fn enclave_read_vs_update(runner: &mut CtRunner, rng: &mut BenchRng) {
    enclave_compare(
        runner,
        rng,
        |_, b, rng, _| {
            rec(
                b.public(),
                Op::Read {
                    id: id(rng.random_range(0..30)),
                },
            )
        },
        |a, b, rng, _| {
            rec(
                a.public(),
                Op::Update {
                    id: id(rng.random_range(0..30)),
                    recipient: b.public(),
                    payload: payload(rng),
                },
            )
        },
    );
}

fn enclave_list_alice_vs_bob(runner: &mut CtRunner, rng: &mut BenchRng) {
    enclave_compare(
        runner,
        rng,
        |a, _, _, _| rec(a.public(), Op::List),
        |_, b, _, _| rec(b.public(), Op::List),
    );
}

fn enclave_read_vs_read(runner: &mut CtRunner, rng: &mut BenchRng) {
    enclave_compare(
        runner,
        rng,
        |_, b, rng, _| {
            rec(
                b.public(),
                Op::Read {
                    id: id(rng.random_range(0..30)),
                },
            )
        },
        |_, b, rng, _| {
            rec(
                b.public(),
                Op::Read {
                    id: id(rng.random_range(0..30)),
                },
            )
        },
    );
}

fn enclave_create_random_vs_zero_payload(runner: &mut CtRunner, rng: &mut BenchRng) {
    // Both classes are creates; only the payload's content differs.
    enclave_compare(
        runner,
        rng,
        |a, b, rng, n| {
            rec(
                a.public(),
                Op::Create {
                    id: id(FRESH + n),
                    recipient: b.public(),
                    payload: payload(rng),
                },
            )
        },
        |a, b, _, n| {
            rec(
                a.public(),
                Op::Create {
                    id: id(FRESH + n),
                    recipient: b.public(),
                    payload: Payload::zeroed(),
                },
            )
        },
    );
}

ctbench_main!(
    create_vs_read,
    read_vs_update,
    read_vs_update_polluted,
    noise_only_read_vs_update,
    create_ok_vs_exists,
    update_vs_delete,
    read_found_vs_not_found,
    delete_permitted_vs_denied,
    create_mailbox_full_vs_not,
    enclave_create_vs_read,
    enclave_read_vs_read,
    enclave_list_alice_vs_bob,
    enclave_create_vs_update,
    enclave_read_vs_update,
    enclave_create_random_vs_zero_payload
);

//! `hush-trace`: one store request of a chosen class, for counting its
//! instructions under `valgrind --tool=callgrind` (see
//! `scripts/trace-check.sh`). Only `measured` is counted
//! (`--toggle-collect`), after an identical set-up for every class.
//!
//! With `--backend plain` the ORAM is replaced by a plain vector, so the
//! count covers hush's own code only and must be identical across classes:
//! any difference is a secret-dependent branch in hush. With `--backend
//! circuit` (hush's own ORAM, the default, with its leaves from a fixed
//! seed so every class touches the same paths) counts include the ORAM and
//! must still be identical across classes: its loops and selections do
//! not depend on indices, hits or misses. With
//! `--backend rostl` counts include rostl's ORAM, whose random leaf
//! choices make them vary from run to run.

use hush_bench::fixtures::{id, key, rec};
use hush_bench::plain::PlainFactory;
use hush_enclave::oram::{RostlFactory, SeededCircuitFactory};
use hush_enclave::{
    AttestationMode, EnclaveApi, EnclaveConfig, InProcessEnclave, Store, StoreConfig,
};
use hush_wire::consts::MAILBOX_CAPACITY;
use hush_wire::{Op, Payload, PublicKey, RequestRecord, ResponseRecord};

const NOW: u64 = 1_000;

const CLASSES: &[&str] = &[
    "create",
    "create-exists",
    "create-mailbox-full",
    "create-new-recipient",
    "read",
    "read-missing",
    "read-next",
    "read-next-empty",
    "update-sender",
    "update-recipient",
    "update-denied",
    "delete-sender",
    "delete-denied",
    "delete-next",
    "list",
    "invalid",
];

/// Who acts in the traced requests. `stranger` has no mailbox (and, at
/// the enclave level, no key proof).
struct Keys {
    alice: PublicKey,
    bob: PublicKey,
    carol: PublicKey,
    mallory: PublicKey,
    stranger: PublicKey,
}

/// The same set-up for every class: bob holds 10 messages from alice,
/// carol's mailbox is full.
fn set_up(k: &Keys, mut execute: impl FnMut(&RequestRecord)) {
    let fill = |recipient, n| Op::Create {
        id: id(n),
        recipient,
        payload: Payload::frame(b"x").unwrap(),
    };
    for n in 0..10 {
        execute(&rec(k.alice, fill(k.bob, n)));
    }
    for n in 0..MAILBOX_CAPACITY as u64 {
        execute(&rec(k.alice, fill(k.carol, n)));
    }
}

fn request(class: &str, k: &Keys) -> RequestRecord {
    let (alice, bob, carol, mallory) = (k.alice, k.bob, k.carol, k.mallory);
    // Every class allocates the same objects before the measured call, so
    // the allocator's state (and its instruction counts) is the same.
    let payload = Payload::frame(b"same payload for every class").unwrap();
    let p = || payload.clone();
    let _same_heap_for_every_class = p();
    match class {
        "create" => rec(
            alice,
            Op::Create {
                id: id(100),
                recipient: bob,
                payload: p(),
            },
        ),
        "create-exists" => rec(
            alice,
            Op::Create {
                id: id(0),
                recipient: bob,
                payload: p(),
            },
        ),
        "create-mailbox-full" => rec(
            alice,
            Op::Create {
                id: id(100),
                recipient: carol,
                payload: p(),
            },
        ),
        "create-new-recipient" => rec(
            alice,
            Op::Create {
                id: id(100),
                recipient: k.stranger,
                payload: p(),
            },
        ),
        "read" => rec(bob, Op::Read { id: id(3) }),
        "read-missing" => rec(bob, Op::Read { id: id(99) }),
        "read-next" => rec(bob, Op::ReadNext),
        "read-next-empty" => rec(k.stranger, Op::ReadNext),
        "update-sender" => rec(
            alice,
            Op::Update {
                id: id(3),
                recipient: bob,
                payload: p(),
            },
        ),
        "update-recipient" => rec(
            bob,
            Op::Update {
                id: id(3),
                recipient: bob,
                payload: p(),
            },
        ),
        "update-denied" => rec(
            mallory,
            Op::Update {
                id: id(3),
                recipient: bob,
                payload: p(),
            },
        ),
        "delete-sender" => rec(
            alice,
            Op::Delete {
                id: id(3),
                recipient: bob,
            },
        ),
        "delete-denied" => rec(
            mallory,
            Op::Delete {
                id: id(3),
                recipient: bob,
            },
        ),
        "delete-next" => rec(bob, Op::DeleteNext),
        "list" => rec(bob, Op::List),
        "invalid" => RequestRecord::from_bytes(&[0xee; 1024]).unwrap(),
        other => panic!("unknown class {other}; classes: {CLASSES:?}"),
    }
}

/// One store request (no Noise, no key check); returns its status code.
fn store_trace(backend: &str, class: &str) -> u8 {
    let config = StoreConfig::new(256, 86_400).unwrap();
    let mut store = match backend {
        "plain" => Store::with_secret(config, &PlainFactory, [1; 32]),
        "rostl" => Store::with_secret(config, &RostlFactory, [1; 32]),
        "circuit" => Store::with_secret(config, &SeededCircuitFactory::new([3; 32]), [1; 32]),
        other => panic!("unknown backend {other}"),
    };
    let k = Keys {
        alice: key(1),
        bob: key(2),
        carol: key(3),
        mallory: key(4),
        stranger: key(9),
    };
    set_up(&k, |r| {
        store.execute(r, NOW);
    });
    let r = request(class, &k);
    measured(&mut store, &r).as_bytes()[0]
}

#[inline(never)]
fn measured(store: &mut Store, r: &RequestRecord) -> ResponseRecord {
    store.execute(r, NOW)
}

#[inline(never)]
fn measured_query(e: &InProcessEnclave, sid: &hush_wire::SessionId, sealed: &[u8]) -> Vec<u8> {
    e.query(sid, sealed).unwrap()
}

/// The whole enclave path (Noise, key check, store) for one request, in a
/// session that proved alice's, bob's, carol's and mallory's keys; returns
/// its status code.
fn enclave_trace(class: &str) -> u8 {
    use hush_client::Identity;
    use hush_client::session::Handshake;
    let config = EnclaveConfig {
        store: StoreConfig::new(256, 86_400).unwrap(),
        directory: hush_enclave::DirectoryConfig::new(16).unwrap(),
        rendezvous: hush_enclave::RendezvousConfig::new(16).unwrap(),
        max_sessions: 4,
        session_idle_secs: 3_600,
        attestation: AttestationMode::Dev,
        collateral: None,
        peer_policy: None,
        tokens: Default::default(),
        delivery: None,
        blobs: hush_enclave::BlobConfig::new(64, 600),
    };
    let e = InProcessEnclave::start(config, NOW).unwrap();
    let ids: Vec<_> = [1u8, 2, 3, 4]
        .iter()
        .map(|n| Identity::from_secret("k", [*n; 32]))
        .collect();
    let hs = Handshake::start().unwrap();
    let reply = e.handshake(&hs.message).unwrap();
    let s = hs
        .finish(reply.session, &reply.message, &hush_attest::Policy::dev())
        .unwrap();
    let kps: Vec<_> = ids.iter().map(|i| i.keypair()).collect();
    let refs: Vec<_> = kps.iter().collect();
    let (_, sealed) = s.seal_key_proofs(&refs);
    e.prove_keys(&s.id(), &sealed).unwrap();
    let k = Keys {
        alice: ids[0].public(),
        bob: ids[1].public(),
        carol: ids[2].public(),
        mallory: ids[3].public(),
        stranger: key(9),
    };
    set_up(&k, |r| {
        e.query(&s.id(), &s.seal_request(r).1).unwrap();
    });
    let r = request(class, &k);
    let (nonce, sealed) = s.seal_request(&r);
    let out = measured_query(&e, &s.id(), &sealed);
    s.open_response(nonce, &out).unwrap().as_bytes()[0]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 || args[1] == "--help" {
        eprintln!(
            "usage: hush-trace plain|circuit|rostl|enclave NN   (NN: two-digit index into classes: {})",
            CLASSES.join(", ")
        );
        std::process::exit(2);
    }
    // Classes are named by a two-digit index so that every run has the same
    // argv length: argv sits on the stack, and its length shifts stack
    // alignment, which changes libc's memcpy paths by a few instructions.
    let class = args[2]
        .parse::<usize>()
        .ok()
        .and_then(|i| CLASSES.get(i))
        .copied()
        .unwrap_or(&args[2]);
    let status = match args[1].as_str() {
        "enclave" => enclave_trace(class),
        backend => store_trace(backend, class),
    };
    println!("{class} status {status}");
}

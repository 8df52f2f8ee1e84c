//! Store tests: model-based (against [`crate::reference::ReferenceStore`]),
//! obliviousness (what the host sees is the same for every op and outcome),
//! and capacity/expiry cycling.

use super::*;
use crate::oram::{Access, DefaultFactory, RecordingFactory};
use crate::reference::ReferenceStore;
use hush_wire::consts::{ID_LEN, KEY_LEN, MAILBOX_CAPACITY, REQUEST_LEN, RESPONSE_LEN};
use hush_wire::{MessageId, Op, Payload, PublicKey, Request, RequestRecord, Status};
use proptest::prelude::*;

fn key(n: u8) -> PublicKey {
    PublicKey::new([n + 1; KEY_LEN]).unwrap()
}

fn id(n: u16) -> MessageId {
    let mut b = [0u8; ID_LEN];
    b[..2].copy_from_slice(&(n + 1).to_le_bytes());
    b[15] = 0xa5;
    MessageId::new(b).unwrap()
}

fn payload(n: u16) -> Payload {
    Payload::frame(format!("payload {n}").as_bytes()).unwrap()
}

fn rec(acting_as: PublicKey, op: Op) -> RequestRecord {
    RequestRecord::encode(&Request { acting_as, op })
}

fn store(config: StoreConfig) -> Store {
    Store::with_secret(config, &DefaultFactory, [7; HASH_KEY_LEN])
}

fn status(resp: &ResponseRecord) -> Status {
    resp.decode().unwrap().status
}

// ---------------------------------------------------------------- model --

#[derive(Debug, Clone)]
enum Step {
    Op { caller: u8, op: Op, dt: u64 },
    Garbage(Vec<u8>),
    Tick { dt: i64 },
}

fn arb_op(keys: u8, ids: u16) -> impl Strategy<Value = Op> {
    let k = move || (0..keys).prop_map(key);
    let i = move || (0..ids).prop_map(id);
    prop_oneof![
        6 => (i(), k(), 0..50u16).prop_map(|(id, recipient, p)| Op::Create { id, recipient, payload: payload(p) }),
        2 => i().prop_map(|id| Op::Read { id }),
        2 => Just(Op::ReadNext),
        2 => (i(), k(), 0..50u16).prop_map(|(id, recipient, p)| Op::Update { id, recipient, payload: payload(p) }),
        2 => (i(), k()).prop_map(|(id, recipient)| Op::Delete { id, recipient }),
        1 => Just(Op::DeleteNext),
        1 => Just(Op::List),
        2 => (1u8..=5, k()).prop_map(|(a, k)| {
            let action = hush_wire::PolicyAction::from_code(a).unwrap();
            Op::Policy { action, subject: action.has_subject().then_some(k) }
        }),
    ]
}

fn arb_step(keys: u8, ids: u16) -> impl Strategy<Value = Step> {
    prop_oneof![
        30 => ((0..keys), arb_op(keys, ids), prop_oneof![8 => Just(0u64), 1 => 0..4u64])
            .prop_map(|(caller, op, dt)| Step::Op { caller, op, dt }),
        1 => proptest::collection::vec(any::<u8>(), REQUEST_LEN).prop_map(Step::Garbage),
        2 => (-3i64..8).prop_map(|dt| Step::Tick { dt }),
    ]
}

fn run_against_model(config: StoreConfig, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut real = store(config.with_full_sweep());
    let mut model = ReferenceStore::new(config);
    let mut now: u64 = 1_000;
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Op { caller, op, dt } => {
                now += dt;
                let r = rec(key(*caller), op.clone());
                let got = real.execute(&r, now);
                let want = model.execute(&r, now);
                prop_assert_eq!(got.as_bytes().len(), RESPONSE_LEN);
                prop_assert_eq!(
                    got.decode().unwrap(),
                    want.decode().unwrap(),
                    "step {}: {:?}",
                    i,
                    step
                );
            }
            Step::Garbage(bytes) => {
                let r = RequestRecord::from_bytes(bytes).unwrap();
                let got = real.execute(&r, now);
                prop_assert_eq!(
                    got.decode().unwrap(),
                    model.execute(&r, now).decode().unwrap()
                );
            }
            Step::Tick { dt } => {
                // Negative steps hand the store an earlier time: it must not go back.
                let t = now.saturating_add_signed(*dt);
                now = now.max(t);
                real.tick(t);
                model.tick(t);
            }
        }
        prop_assert_eq!(
            real.occupied_slots() as usize <= config.capacity as usize,
            true
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Small store: store full, too many recipients, expiry, permissions.
    #[test]
    fn matches_model_small_store(steps in proptest::collection::vec(arb_step(5, 24), 1..250)) {
        let config = StoreConfig::new(16, 6).unwrap().with_max_recipients(3).unwrap();
        run_against_model(config, &steps)?;
    }

    /// Room for full mailboxes: two recipients, many distinct ids.
    #[test]
    fn matches_model_full_mailboxes(steps in proptest::collection::vec(arb_step(2, 200), 1..400)) {
        let config = StoreConfig::new(128, 40).unwrap().with_max_recipients(2).unwrap();
        run_against_model(config, &steps)?;
    }
}

/// A blocked sender sees exactly what an unblocked one sees, byte for
/// byte: creates, updates, deletes, a full mailbox; the owner sees none of
/// its messages. The same run on a store where nobody is blocked gives the
/// sender the same answers.
#[test]
fn a_blocked_sender_cannot_tell() {
    use hush_wire::PolicyAction;
    let config = StoreConfig::new(256, 1000)
        .unwrap()
        .with_max_recipients(8)
        .unwrap();
    let (alice, bob, carol) = (key(0), key(1), key(2));
    let mut answers: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut carol_sees = Vec::new();
    for block in [false, true] {
        let mut s = store(config);
        let mut mine = Vec::new();
        if block {
            let r = s.execute(
                &rec(
                    carol,
                    Op::Policy {
                        action: PolicyAction::Block,
                        subject: Some(alice),
                    },
                ),
                10,
            );
            assert_eq!(status(&r), Status::Ok);
        }
        let mut t = 11;
        let mut step = |s: &mut Store, who: PublicKey, op: Op| {
            t += 1;
            s.execute(&rec(who, op), t)
        };
        // Bob (not blocked) writes too.
        step(
            &mut s,
            bob,
            Op::Create {
                id: id(500),
                recipient: carol,
                payload: payload(0),
            },
        );
        for n in 0..61u16 {
            mine.push(
                step(
                    &mut s,
                    alice,
                    Op::Create {
                        id: id(n),
                        recipient: carol,
                        payload: payload(n),
                    },
                )
                .as_bytes()
                .to_vec(),
            );
        }
        // Full: one more is refused alike.
        mine.push(
            step(
                &mut s,
                alice,
                Op::Create {
                    id: id(99),
                    recipient: carol,
                    payload: payload(99),
                },
            )
            .as_bytes()
            .to_vec(),
        );
        mine.push(
            step(
                &mut s,
                alice,
                Op::Update {
                    id: id(3),
                    recipient: carol,
                    payload: payload(7),
                },
            )
            .as_bytes()
            .to_vec(),
        );
        mine.push(
            step(
                &mut s,
                alice,
                Op::Delete {
                    id: id(4),
                    recipient: carol,
                },
            )
            .as_bytes()
            .to_vec(),
        );
        mine.push(
            step(
                &mut s,
                alice,
                Op::Delete {
                    id: id(4),
                    recipient: carol,
                },
            )
            .as_bytes()
            .to_vec(),
        );
        mine.push(
            step(
                &mut s,
                alice,
                Op::Create {
                    id: id(3),
                    recipient: carol,
                    payload: payload(1),
                },
            )
            .as_bytes()
            .to_vec(),
        );
        mine.push(step(&mut s, alice, Op::List).as_bytes().to_vec());
        answers.push(mine);
        let listed = step(&mut s, carol, Op::List).decode().unwrap().listing;
        let next = step(&mut s, carol, Op::ReadNext).decode().unwrap();
        let hidden_read = step(&mut s, carol, Op::Read { id: id(5) })
            .decode()
            .unwrap()
            .status;
        carol_sees.push((
            listed.ids().to_vec(),
            next.message.map(|m| m.id),
            hidden_read,
        ));
    }
    assert_eq!(
        answers[0], answers[1],
        "the blocked sender's answers differ"
    );
    assert_eq!(carol_sees[0].0.len(), 61);
    assert_eq!(carol_sees[0].2, Status::Ok);
    assert_eq!(
        carol_sees[1],
        (vec![id(500)], Some(id(500)), Status::NotFound)
    );
}

/// Allowed-only: a sender not allowed is hidden, an allowed one is not;
/// the owner's own notes always show; a policy keeps an empty mailbox.
#[test]
fn allowed_only_and_policy_keeps_the_mailbox() {
    use hush_wire::PolicyAction;
    let config = StoreConfig::new(64, 100)
        .unwrap()
        .with_max_recipients(2)
        .unwrap()
        .with_full_sweep();
    let (alice, bob, carol) = (key(0), key(1), key(2));
    let mut s = store(config);
    let p = |action, subject| Op::Policy { action, subject };
    assert_eq!(
        status(&s.execute(&rec(carol, p(PolicyAction::AllowedOnly, None)), 1)),
        Status::Ok
    );
    assert_eq!(
        status(&s.execute(&rec(carol, p(PolicyAction::Allow, Some(bob))), 1)),
        Status::Ok
    );
    s.tick(50);
    for (n, who) in [(1, alice), (2, bob), (3, carol)] {
        let r = s.execute(
            &rec(
                who,
                Op::Create {
                    id: id(n),
                    recipient: carol,
                    payload: payload(n),
                },
            ),
            51,
        );
        assert_eq!(status(&r), Status::Ok);
    }
    let listed = s
        .execute(&rec(carol, Op::List), 52)
        .decode()
        .unwrap()
        .listing;
    assert_eq!(listed.ids(), &[id(2), id(3)]);
    // Bad policy requests are refused.
    let mut bad = rec(carol, p(PolicyAction::Block, Some(alice)))
        .as_bytes()
        .to_vec();
    bad[88] = 9;
    assert_eq!(
        status(&s.execute(&RequestRecord::from_bytes(&bad).unwrap(), 53)),
        Status::InvalidRequest
    );
    // The mailbox holds a policy, so with max_recipients 2, one more
    // recipient fits and then none.
    s.execute(&rec(carol, Op::DeleteNext), 54);
    s.execute(&rec(carol, Op::DeleteNext), 54);
    s.tick(300);
    let r = s.execute(
        &rec(
            alice,
            Op::Create {
                id: id(9),
                recipient: bob,
                payload: payload(9),
            },
        ),
        301,
    );
    assert_eq!(status(&r), Status::Ok);
    let r = s.execute(
        &rec(
            alice,
            Op::Create {
                id: id(9),
                recipient: alice,
                payload: payload(9),
            },
        ),
        301,
    );
    assert_eq!(status(&r), Status::TooManyRecipients);
    // Forgetting everything lets the sweep free it.
    s.execute(&rec(carol, p(PolicyAction::AcceptFromAnyone, None)), 302);
    s.execute(&rec(carol, p(PolicyAction::Forget, Some(bob))), 302);
    s.tick(303);
    let r = s.execute(
        &rec(
            alice,
            Op::Create {
                id: id(9),
                recipient: alice,
                payload: payload(9),
            },
        ),
        304,
    );
    assert_eq!(status(&r), Status::Ok);
}

#[test]
fn full_mailbox_then_store_full_then_recovery() {
    let config = StoreConfig::new(128, 100)
        .unwrap()
        .with_max_recipients(4)
        .unwrap();
    let mut s = store(config);
    let (alice, bob, carol) = (key(0), key(1), key(2));
    for n in 0..MAILBOX_CAPACITY as u16 {
        let r = s.execute(
            &rec(
                alice,
                Op::Create {
                    id: id(n),
                    recipient: bob,
                    payload: payload(n),
                },
            ),
            10,
        );
        assert_eq!(status(&r), Status::Ok);
    }
    let extra = rec(
        alice,
        Op::Create {
            id: id(999),
            recipient: bob,
            payload: payload(0),
        },
    );
    assert_eq!(status(&s.execute(&extra, 10)), Status::MailboxFull);
    // A retry of an existing id says so even when the mailbox is full.
    let retry = rec(
        alice,
        Op::Create {
            id: id(3),
            recipient: bob,
            payload: payload(3),
        },
    );
    assert_eq!(status(&s.execute(&retry, 10)), Status::AlreadyExists);
    // Fill the rest of the store through carol's and dave's mailboxes.
    for n in 0..(128 - MAILBOX_CAPACITY) as u16 {
        let to = if n < MAILBOX_CAPACITY as u16 {
            carol
        } else {
            key(3)
        };
        let r = s.execute(
            &rec(
                alice,
                Op::Create {
                    id: id(n),
                    recipient: to,
                    payload: payload(n),
                },
            ),
            10,
        );
        assert_eq!(status(&r), Status::Ok);
    }
    let full = rec(
        alice,
        Op::Create {
            id: id(500),
            recipient: key(4),
            payload: payload(0),
        },
    );
    assert_eq!(status(&s.execute(&full, 10)), Status::StoreFull);
    // Bob reads everything, oldest first, and every message is intact.
    for n in 0..MAILBOX_CAPACITY as u16 {
        let resp = s.execute(&rec(bob, Op::DeleteNext), 11).decode().unwrap();
        assert_eq!(resp.status, Status::Ok);
        let m = resp.message.unwrap();
        assert_eq!((m.id, m.sender, m.recipient), (id(n), alice, bob));
        assert_eq!(m.payload, payload(n));
        assert_eq!(resp.listing.ids().len(), MAILBOX_CAPACITY - 1 - n as usize);
    }
    assert_eq!(status(&s.execute(&full, 12)), Status::Ok);
}

// ----------------------------------------------------------- obliviousness --

/// One request from a prepared state, labelled.
struct Case {
    name: &'static str,
    setup: Vec<(PublicKey, Op)>,
    request: RequestRecord,
    expect: Status,
}

fn cases() -> Vec<Case> {
    let (alice, bob, carol, mallory) = (key(0), key(1), key(2), key(3));
    let send = |n: u16, to: PublicKey| {
        (
            alice,
            Op::Create {
                id: id(n),
                recipient: to,
                payload: payload(n),
            },
        )
    };
    let one = vec![send(1, bob)];
    let full_mailbox: Vec<_> = (0..MAILBOX_CAPACITY as u16).map(|n| send(n, bob)).collect();
    let full_store: Vec<_> = (0..64u16)
        .map(|n| send(n, if n < 32 { bob } else { carol }))
        .collect();
    let many_recipients: Vec<_> = (0..4u8).map(|k| send(k as u16, key(10 + k))).collect();
    let mut garbage = [0x5au8; REQUEST_LEN];
    garbage[0] = 99;
    vec![
        Case {
            name: "create ok",
            setup: one.clone(),
            request: rec(
                alice,
                Op::Create {
                    id: id(2),
                    recipient: bob,
                    payload: payload(2),
                },
            ),
            expect: Status::Ok,
        },
        Case {
            name: "create to new recipient",
            setup: one.clone(),
            request: rec(
                alice,
                Op::Create {
                    id: id(2),
                    recipient: carol,
                    payload: payload(2),
                },
            ),
            expect: Status::Ok,
        },
        Case {
            name: "create exists",
            setup: one.clone(),
            request: rec(
                alice,
                Op::Create {
                    id: id(1),
                    recipient: bob,
                    payload: payload(1),
                },
            ),
            expect: Status::AlreadyExists,
        },
        Case {
            name: "create mailbox full",
            setup: full_mailbox,
            request: rec(
                alice,
                Op::Create {
                    id: id(900),
                    recipient: bob,
                    payload: payload(1),
                },
            ),
            expect: Status::MailboxFull,
        },
        Case {
            name: "create store full",
            setup: full_store,
            request: rec(
                alice,
                Op::Create {
                    id: id(900),
                    recipient: bob,
                    payload: payload(1),
                },
            ),
            expect: Status::StoreFull,
        },
        Case {
            name: "create too many recipients",
            setup: many_recipients,
            request: rec(
                alice,
                Op::Create {
                    id: id(900),
                    recipient: bob,
                    payload: payload(1),
                },
            ),
            expect: Status::TooManyRecipients,
        },
        Case {
            name: "read found",
            setup: one.clone(),
            request: rec(bob, Op::Read { id: id(1) }),
            expect: Status::Ok,
        },
        Case {
            name: "read not found",
            setup: one.clone(),
            request: rec(bob, Op::Read { id: id(2) }),
            expect: Status::NotFound,
        },
        Case {
            name: "read no mailbox",
            setup: one.clone(),
            request: rec(carol, Op::Read { id: id(1) }),
            expect: Status::NotFound,
        },
        Case {
            name: "read-next found",
            setup: one.clone(),
            request: rec(bob, Op::ReadNext),
            expect: Status::Ok,
        },
        Case {
            name: "read-next empty",
            setup: vec![],
            request: rec(bob, Op::ReadNext),
            expect: Status::NotFound,
        },
        Case {
            name: "update by sender",
            setup: one.clone(),
            request: rec(
                alice,
                Op::Update {
                    id: id(1),
                    recipient: bob,
                    payload: payload(5),
                },
            ),
            expect: Status::Ok,
        },
        Case {
            name: "update by recipient",
            setup: one.clone(),
            request: rec(
                bob,
                Op::Update {
                    id: id(1),
                    recipient: bob,
                    payload: payload(5),
                },
            ),
            expect: Status::Ok,
        },
        Case {
            name: "update denied",
            setup: one.clone(),
            request: rec(
                mallory,
                Op::Update {
                    id: id(1),
                    recipient: bob,
                    payload: payload(5),
                },
            ),
            expect: Status::NotFound,
        },
        Case {
            name: "delete by sender",
            setup: one.clone(),
            request: rec(
                alice,
                Op::Delete {
                    id: id(1),
                    recipient: bob,
                },
            ),
            expect: Status::Ok,
        },
        Case {
            name: "delete by recipient",
            setup: one.clone(),
            request: rec(
                bob,
                Op::Delete {
                    id: id(1),
                    recipient: bob,
                },
            ),
            expect: Status::Ok,
        },
        Case {
            name: "delete denied",
            setup: one.clone(),
            request: rec(
                mallory,
                Op::Delete {
                    id: id(1),
                    recipient: bob,
                },
            ),
            expect: Status::NotFound,
        },
        Case {
            name: "delete wrong recipient",
            setup: one.clone(),
            request: rec(
                alice,
                Op::Delete {
                    id: id(1),
                    recipient: carol,
                },
            ),
            expect: Status::NotFound,
        },
        Case {
            name: "delete-next",
            setup: one.clone(),
            request: rec(bob, Op::DeleteNext),
            expect: Status::Ok,
        },
        Case {
            name: "delete-next empty",
            setup: vec![],
            request: rec(bob, Op::DeleteNext),
            expect: Status::NotFound,
        },
        Case {
            name: "list",
            setup: one,
            request: rec(bob, Op::List),
            expect: Status::Ok,
        },
        Case {
            name: "malformed",
            setup: vec![],
            request: RequestRecord::from_bytes(&garbage).unwrap(),
            expect: Status::InvalidRequest,
        },
        Case {
            name: "policy: block",
            setup: vec![],
            request: rec(
                bob,
                Op::Policy {
                    action: hush_wire::PolicyAction::Block,
                    subject: Some(alice),
                },
            ),
            expect: Status::Ok,
        },
        Case {
            name: "policy: allowed only",
            setup: vec![send(1, bob)],
            request: rec(
                bob,
                Op::Policy {
                    action: hush_wire::PolicyAction::AllowedOnly,
                    subject: None,
                },
            ),
            expect: Status::Ok,
        },
        Case {
            name: "policy full",
            setup: (0..16u8)
                .map(|k| {
                    (
                        bob,
                        Op::Policy {
                            action: hush_wire::PolicyAction::Block,
                            subject: Some(key(20 + k)),
                        },
                    )
                })
                .collect(),
            request: rec(
                bob,
                Op::Policy {
                    action: hush_wire::PolicyAction::Allow,
                    subject: Some(carol),
                },
            ),
            expect: Status::PolicyFull,
        },
        Case {
            name: "create by a blocked sender",
            setup: vec![(
                bob,
                Op::Policy {
                    action: hush_wire::PolicyAction::Block,
                    subject: Some(alice),
                },
            )],
            request: rec(
                alice,
                Op::Create {
                    id: id(2),
                    recipient: bob,
                    payload: payload(2),
                },
            ),
            expect: Status::Ok,
        },
    ]
}

/// What the host sees of one request, after `setup`.
fn observe(case: &Case) -> (Vec<Access>, usize) {
    let factory = RecordingFactory::new(DefaultFactory);
    let config = StoreConfig::new(64, 100)
        .unwrap()
        .with_max_recipients(4)
        .unwrap();
    let mut s = Store::with_secret(config, &factory, [9; HASH_KEY_LEN]);
    for (caller, op) in &case.setup {
        let r = s.execute(&rec(*caller, op.clone()), 10);
        assert_eq!(status(&r), Status::Ok, "{}: setup", case.name);
    }
    factory.transcript().take();
    let resp = s.execute(&case.request, 11);
    assert_eq!(status(&resp), case.expect, "{}", case.name);
    (factory.transcript().take(), resp.as_bytes().len())
}

#[test]
fn every_op_and_outcome_looks_the_same_to_the_host() {
    let all = cases();
    let (reference, len) = observe(&all[0]);
    let names: Vec<_> = reference.iter().map(|a| a.structure).collect();
    assert_eq!(
        names,
        [
            "directory",
            "mailboxes",
            "free-slots",
            "free-mailboxes",
            "messages"
        ]
    );
    assert_eq!(len, RESPONSE_LEN);
    for case in &all[1..] {
        let (t, l) = observe(case);
        assert_eq!(
            t, reference,
            "transcript of '{}' differs from '{}'",
            case.name, all[0].name
        );
        assert_eq!(l, len, "response length of '{}'", case.name);
    }
}

/// A store on a recording factory holding `messages` messages created at
/// time 10 (to three recipients), its transcript so far discarded.
fn recorded_with_messages(
    config: StoreConfig,
    messages: u16,
) -> (RecordingFactory<DefaultFactory>, Store) {
    let factory = RecordingFactory::new(DefaultFactory);
    let mut s = Store::with_secret(config, &factory, [9; HASH_KEY_LEN]);
    for n in 0..messages {
        let op = Op::Create {
            id: id(n),
            recipient: key((n % 3) as u8),
            payload: payload(n),
        };
        assert_eq!(status(&s.execute(&rec(key(7), op), 10)), Status::Ok);
    }
    factory.transcript().take();
    (factory, s)
}

#[test]
fn ticks_look_the_same_whether_or_not_anything_expired() {
    let config = StoreConfig::new(64, 5)
        .unwrap()
        .with_max_recipients(8)
        .unwrap();
    let observe_tick = |messages: u16, tick_at: u64| {
        let (factory, mut s) = recorded_with_messages(config, messages);
        s.tick(tick_at);
        factory.transcript().take()
    };
    let idle = observe_tick(0, 11);
    let nothing_expired = observe_tick(20, 11);
    let all_expired = observe_tick(20, 100);
    assert_eq!(
        idle.len(),
        2 * config.sweep_slots_per_tick as usize + 3 * config.sweep_mailboxes_per_tick as usize
    );
    assert_eq!(idle, nothing_expired);
    assert_eq!(idle, all_expired);
}

#[test]
fn a_sliced_tick_is_a_whole_tick_in_ten_pieces_that_look_the_same_whatever_expired() {
    let config = StoreConfig::new(64, 5)
        .unwrap()
        .with_max_recipients(16)
        .unwrap()
        .with_sweep(23, 7)
        .unwrap();
    let observe = |messages: u16, tick_at: u64| {
        let (factory, mut s) = recorded_with_messages(config, messages);
        s.tick_sliced(tick_at);
        let mut slices = vec![factory.transcript().take()];
        for _ in 0..SWEEP_SLICES + 3 {
            s.sweep_slice();
            slices.push(factory.transcript().take());
        }
        slices
    };
    let idle = observe(0, 11);
    assert_eq!(idle, observe(20, 11), "nothing expired");
    assert_eq!(idle, observe(20, 100), "everything expired");
    let sizes: Vec<usize> = idle.iter().map(Vec::len).collect();
    let whole = 2 * 23 + 3 * 7;
    let slices = SWEEP_SLICES as usize;
    assert_eq!(sizes[..slices].iter().sum::<usize>(), whole, "{sizes:?}");
    assert!(sizes[slices..].iter().all(|&n| n == 0), "{sizes:?}");
    // Each slice is a tenth of the tick, rounded up: 3 slots, 1 mailbox.
    assert!(sizes.iter().all(|&n| n <= 2 * 3 + 3), "{sizes:?}");
}

#[test]
fn a_host_that_never_asks_for_slices_gets_whole_ticks_one_tick_late() {
    let config = StoreConfig::new(64, 100)
        .unwrap()
        .with_max_recipients(16)
        .unwrap()
        .with_sweep(23, 7)
        .unwrap();
    let mut s = store(config);
    s.tick_sliced(1);
    assert_eq!((s.slot_cursor, s.mailbox_cursor), (3, 1), "the first slice");
    s.tick_sliced(2);
    assert_eq!(
        (s.slot_cursor, s.mailbox_cursor),
        (26, 8),
        "the rest, then a slice"
    );
    s.sweep_slice();
    s.tick_sliced(3);
    // Tick 2's slices finish (23 and 7 in all), then tick 3's first.
    assert_eq!((s.slot_cursor, s.mailbox_cursor), (23 + 23 + 3, 7 + 7 + 1));
    // A whole tick does the same steps as ten slices.
    let mut whole = store(config);
    whole.tick(1);
    assert_eq!((whole.slot_cursor, whole.mailbox_cursor), (23, 7));
}

// ------------------------------------------------------- expiry and cycles --

#[test]
fn expired_messages_are_unreadable_then_reclaimed_by_the_sweep() {
    // Default (partial) sweep rates: 64 slots over a 4 s period = 16 per tick.
    let config = StoreConfig::new(64, 4)
        .unwrap()
        .with_max_recipients(8)
        .unwrap();
    assert_eq!(config.sweep_slots_per_tick, 16);
    let mut s = store(config);
    let (alice, bob) = (key(0), key(1));
    for n in 0..64u16 {
        let op = Op::Create {
            id: id(n),
            recipient: bob,
            payload: payload(n),
        };
        let want = if n < MAILBOX_CAPACITY as u16 {
            Status::Ok
        } else {
            Status::MailboxFull
        };
        assert_eq!(status(&s.execute(&rec(alice, op), 100)), want);
    }
    assert_eq!(
        status(&s.execute(&rec(bob, Op::Read { id: id(0) }), 103)),
        Status::Ok
    );
    // At 104 every message is 4 s old: gone, before any sweep ran.
    let resp = s
        .execute(&rec(bob, Op::Read { id: id(0) }), 104)
        .decode()
        .unwrap();
    assert_eq!(resp.status, Status::NotFound);
    assert!(resp.listing.ids().is_empty());
    // Time going backwards does not resurrect them.
    assert_eq!(
        status(&s.execute(&rec(bob, Op::ReadNext), 50)),
        Status::NotFound
    );
    assert_eq!(s.occupied_slots(), 62);
    for t in 0..4 {
        s.tick(105 + t);
    }
    assert_eq!(
        s.occupied_slots(),
        0,
        "a full sweep period reclaims every expired slot"
    );
}

#[test]
fn capacity_cycles_without_leaking_slots_or_mailboxes() {
    let capacity = 256u32;
    let config = StoreConfig::new(capacity, 3)
        .unwrap()
        .with_max_recipients(8)
        .unwrap();
    let mut s = store(config);
    let sender = key(50);
    let mut now = 1_000;
    for round in 0..10 {
        // Fill: 4 recipients x 62 + 8 more into two more recipients.
        let mut sent = Vec::new();
        for n in 0..capacity as u16 {
            let to = key((n / MAILBOX_CAPACITY as u16) as u8 + round);
            let op = Op::Create {
                id: id(n),
                recipient: to,
                payload: payload(n),
            };
            assert_eq!(
                status(&s.execute(&rec(sender, op), now)),
                Status::Ok,
                "round {round} msg {n}"
            );
            sent.push((n, to));
        }
        let op = Op::Create {
            id: id(9999),
            recipient: key(200),
            payload: payload(0),
        };
        assert_eq!(status(&s.execute(&rec(sender, op), now)), Status::StoreFull);
        if round % 2 == 0 {
            // Drain by delete.
            for (n, to) in sent {
                let op = Op::Delete {
                    id: id(n),
                    recipient: to,
                };
                assert_eq!(status(&s.execute(&rec(sender, op), now)), Status::Ok);
            }
            assert_eq!(s.occupied_slots(), 0);
        } else {
            // Drain by expiry.
            now += 3;
        }
        // One sweep period frees slots and empty mailboxes.
        for _ in 0..3 {
            now += 1;
            s.tick(now);
        }
        assert_eq!(s.occupied_slots(), 0, "round {round}");
    }
}

#[test]
fn unauthorized_requests_look_the_same_and_change_nothing() {
    let all = cases();
    let (reference, _) = observe(&all[0]);
    let factory = RecordingFactory::new(DefaultFactory);
    let config = StoreConfig::new(64, 100)
        .unwrap()
        .with_max_recipients(4)
        .unwrap();
    let mut s = Store::with_secret(config, &factory, [9; HASH_KEY_LEN]);
    let (alice, bob) = (key(0), key(1));
    let create = rec(
        alice,
        Op::Create {
            id: id(1),
            recipient: bob,
            payload: payload(1),
        },
    );
    factory.transcript().take();
    let resp = s.execute_authorized(&create, Choice::from(0), 10);
    assert_eq!(status(&resp), Status::KeyNotProven);
    assert_eq!(factory.transcript().take(), reference);
    assert_eq!(s.occupied_slots(), 0);
    let resp = s.execute(&rec(bob, Op::List), 10).decode().unwrap();
    assert!(resp.listing.ids().is_empty());
}

/// A create refused for want of a token credit makes the accesses every
/// request makes, stores nothing, and answers NO_TOKENS; other ops need no
/// credit; with a credit the same create is stored.
#[test]
fn creates_without_credit_look_the_same_and_change_nothing() {
    let all = cases();
    let (reference, _) = observe(&all[0]);
    let factory = RecordingFactory::new(DefaultFactory);
    let config = StoreConfig::new(64, 100)
        .unwrap()
        .with_max_recipients(4)
        .unwrap();
    let mut s = Store::with_secret(config, &factory, [9; HASH_KEY_LEN]);
    let (alice, bob) = (key(0), key(1));
    let create = rec(
        alice,
        Op::Create {
            id: id(1),
            recipient: bob,
            payload: payload(1),
        },
    );
    let no_credit = Authority {
        proven: Choice::from(1),
        may_create: Choice::from(0),
    };
    factory.transcript().take();
    let resp = s.execute_authorized(&create, no_credit, 10);
    assert_eq!(status(&resp), Status::NoTokens);
    assert_eq!(factory.transcript().take(), reference);
    assert_eq!(s.occupied_slots(), 0);
    // Unproven and without credit: the key comes first.
    let unproven = Authority {
        proven: Choice::from(0),
        may_create: Choice::from(0),
    };
    assert_eq!(
        status(&s.execute_authorized(&create, unproven, 10)),
        Status::KeyNotProven
    );
    // A list needs no credit.
    let list = s.execute_authorized(&rec(bob, Op::List), no_credit, 10);
    assert_eq!(status(&list), Status::Ok);
    factory.transcript().take();
    let paid = Authority {
        proven: Choice::from(1),
        may_create: Choice::from(1),
    };
    assert_eq!(status(&s.execute_authorized(&create, paid, 10)), Status::Ok);
    assert_eq!(factory.transcript().take(), reference);
    assert_eq!(s.occupied_slots(), 1);
}

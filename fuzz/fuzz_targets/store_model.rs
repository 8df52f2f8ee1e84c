//! The oblivious store against the plain reference store, driven by
//! arbitrary op sequences (and arbitrary raw records): identical responses.
#![no_main]

use arbitrary::Arbitrary;
use hush_enclave::oram::DefaultFactory;
use hush_enclave::reference::ReferenceStore;
use hush_enclave::{Store, StoreConfig};
use hush_wire::consts::{KEY_LEN, REQUEST_LEN};
use hush_wire::{MessageId, Op, Payload, PublicKey, Request, RequestRecord};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Step {
    Create {
        caller: u8,
        id: u8,
        to: u8,
        text: u8,
    },
    Read {
        caller: u8,
        id: u8,
    },
    ReadNext {
        caller: u8,
    },
    Update {
        caller: u8,
        id: u8,
        to: u8,
        text: u8,
    },
    Delete {
        caller: u8,
        id: u8,
        to: u8,
    },
    DeleteNext {
        caller: u8,
    },
    List {
        caller: u8,
    },
    Raw(Vec<u8>),
    Advance(u8),
    Tick(i8),
}

fn key(n: u8) -> PublicKey {
    PublicKey::new([n % 5 + 1; KEY_LEN]).unwrap()
}

fn id(n: u8) -> MessageId {
    let mut b = [0xa5u8; 16];
    b[0] = n % 80;
    MessageId::new(b).unwrap()
}

fn text(n: u8) -> Payload {
    Payload::frame(&[n; 9]).unwrap()
}

fuzz_target!(|steps: Vec<Step>| {
    let config = StoreConfig::new(64, 20)
        .unwrap()
        .with_max_recipients(3)
        .unwrap();
    let mut real = Store::with_secret(config.with_full_sweep(), &DefaultFactory, [3; 32]);
    let mut model = ReferenceStore::new(config);
    let mut now = 100u64;
    for step in steps.into_iter().take(400) {
        let (caller, op) = match step {
            Step::Create {
                caller,
                id: i,
                to,
                text: t,
            } => (
                caller,
                Op::Create {
                    id: id(i),
                    recipient: key(to),
                    payload: text(t),
                },
            ),
            Step::Read { caller, id: i } => (caller, Op::Read { id: id(i) }),
            Step::ReadNext { caller } => (caller, Op::ReadNext),
            Step::Update {
                caller,
                id: i,
                to,
                text: t,
            } => (
                caller,
                Op::Update {
                    id: id(i),
                    recipient: key(to),
                    payload: text(t),
                },
            ),
            Step::Delete { caller, id: i, to } => (
                caller,
                Op::Delete {
                    id: id(i),
                    recipient: key(to),
                },
            ),
            Step::DeleteNext { caller } => (caller, Op::DeleteNext),
            Step::List { caller } => (caller, Op::List),
            Step::Raw(mut bytes) => {
                bytes.resize(REQUEST_LEN, 0);
                let rec = RequestRecord::from_bytes(&bytes).unwrap();
                assert_eq!(
                    real.execute(&rec, now).decode().unwrap(),
                    model.execute(&rec, now).decode().unwrap()
                );
                continue;
            }
            Step::Advance(dt) => {
                now += u64::from(dt % 8);
                continue;
            }
            Step::Tick(dt) => {
                let t = now.saturating_add_signed(i64::from(dt % 8));
                now = now.max(t);
                real.tick(t);
                model.tick(t);
                continue;
            }
        };
        let rec = RequestRecord::encode(&Request {
            acting_as: key(caller),
            op,
        });
        assert_eq!(
            real.execute(&rec, now).decode().unwrap(),
            model.execute(&rec, now).decode().unwrap()
        );
    }
});

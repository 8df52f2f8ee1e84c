//! The client's reader of end-to-end envelopes and contact cards: bytes
//! from other users and from the broker, never trusted. Opening must never
//! panic; only a genuine envelope from the right author for the right
//! message may open.
//!
//! Input: a mode byte, then
//! - 0: a payload as it is (padded or cut to 936 bytes), as if from the
//!   message's sender;
//! - 1: bytes XORed over a valid envelope (made once, deterministically),
//!   so mutations stay close to real ones;
//! - 2: a contact card's text;
//! - 3: a device link's text (`hush device link`);
//! - 4: a link bundle's JSON, as a new device receives it from anyone who
//!   knows its key: parsed, checked against an account, every contact
//!   verified; none may panic, and a bundle naming another account, or
//!   sent by a key that is not the account's, is refused.
#![no_main]

use hush_client::Identity;
use hush_client::directory::Account;
use hush_client::e2e::{self, VerifiedCard, card_for};
use hush_client::link;
use hush_wire::consts::PAYLOAD_LEN;
use hush_wire::{EnvelopeKind, EnvelopePlaintext, Message, MessageId, Payload, Timestamp};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use std::sync::LazyLock;

struct Fixture {
    alice: Identity,
    bob: Identity,
    id: MessageId,
    valid: [u8; PAYLOAD_LEN],
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let alice = Identity::from_secret("alice", [1; 32]);
    let bob = Identity::from_secret("bob", [2; 32]);
    let id = MessageId::new([3; 16]).unwrap();
    let text = EnvelopePlaintext::new(EnvelopeKind::Text, b"fuzz me").unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let sealed = e2e::seal_with_rng(
        &alice,
        &card_for(&bob),
        &id,
        &alice.public(),
        &text,
        &mut rng,
    )
    .unwrap();
    Fixture {
        alice,
        bob,
        id,
        valid: *sealed.payload().as_bytes(),
    }
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = &*FIXTURE;
    let mut raw = [0u8; PAYLOAD_LEN];
    match mode % 5 {
        0 => {
            let n = rest.len().min(PAYLOAD_LEN);
            raw[..n].copy_from_slice(&rest[..n]);
        }
        1 => {
            raw = f.valid;
            for (r, x) in raw.iter_mut().zip(rest) {
                *r ^= x;
            }
        }
        2 => {
            if let Ok(s) = std::str::from_utf8(rest) {
                if let Ok(card) = VerifiedCard::from_text(s) {
                    assert!(VerifiedCard::verify(card.card().clone()).is_ok());
                }
            }
            return;
        }
        3 => {
            if let Ok(s) = std::str::from_utf8(rest) {
                if let Ok(card) = link::parse_link(s) {
                    assert!(VerifiedCard::verify(card.card().clone()).is_ok());
                }
            }
            return;
        }
        _ => {
            if let Ok(bundle) = link::Bundle::parse(rest) {
                let account = Account {
                    identity: f.alice.public(),
                    devices: vec![],
                    flags: Default::default(),
                    verified_identifiers: 0,
                };
                // No device of this account sent it: always refused.
                assert!(bundle.check(&account, &f.bob.public()).is_err());
                for c in &bundle.contacts {
                    let _ = c.verified();
                }
            }
            return;
        }
    }
    let message = Message {
        id: f.id,
        sender: f.alice.public(),
        recipient: f.bob.public(),
        timestamp: Timestamp(1),
        payload: Payload::from_raw(raw),
    };
    if let Ok(opened) = e2e::open(&f.bob, &message) {
        // Only the untouched envelope opens (AEAD and signatures hold).
        assert_eq!(raw, f.valid, "a changed envelope opened");
        assert_eq!(opened.content, b"fuzz me");
    }
    // Never for anyone else.
    assert!(e2e::open(&f.alice, &message).is_err());
});

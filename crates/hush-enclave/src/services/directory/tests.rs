//! The directory against a plain model, its bad-input answers, and its
//! transcripts (what the host sees) across ops and outcomes.

use super::*;
use crate::oram::{DefaultFactory, RecordingFactory};
use hush_wire::directory::{DeviceRecord, DirectoryRequest, DirectoryResponse, Identifier};
use hush_wire::{FixedCodec, PublicKey, Signature};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicU32;

const T0: u64 = 1_000_000;

fn key(n: u8) -> PublicKey {
    PublicKey::new([n; 32]).unwrap()
}

fn device(n: u8) -> DeviceRecord {
    DeviceRecord {
        card: hush_wire::Card {
            signing_key: key(n),
            encryption_key: [n; 32],
            signature: Signature([n; 64]),
        },
        mailbox: key(n),
        signature: Signature([n; 64]),
    }
}

fn email(n: u8) -> Identifier {
    Identifier::email(&format!("user{n}@example.org")).unwrap()
}

/// A directory with a session-lookup counter per caller, as sessions would.
struct Harness {
    d: Directory,
    sessions: HashMap<PublicKey, AtomicU32>,
    now: u64,
}

impl Harness {
    fn new(config: DirectoryConfig) -> Self {
        Self::with_factory(config, &DefaultFactory)
    }

    fn with_factory(config: DirectoryConfig, f: &impl OramFactory) -> Self {
        let mut d = Directory::with_secret(config, f, [7; 32]);
        d.tick(T0);
        Self {
            d,
            sessions: HashMap::new(),
            now: T0,
        }
    }

    fn run(&mut self, acting_as: PublicKey, op: DirectoryOp) -> DirectoryResponse {
        let bytes = DirectoryRequest { acting_as, op }.encode();
        self.raw(&bytes, Choice::from(1), acting_as)
    }

    fn raw(&mut self, bytes: &[u8], authorized: Choice, who: PublicKey) -> DirectoryResponse {
        let lookups = self.sessions.entry(who).or_default();
        let out = self
            .d
            .execute_record(bytes, authorized, lookups, &Default::default(), self.now);
        DirectoryResponse::decode(&out).unwrap()
    }

    fn status(&mut self, acting_as: PublicKey, op: DirectoryOp) -> DirectoryStatus {
        self.run(acting_as, op).status
    }

    /// The codes sent since the last call, by identifier.
    fn codes(&mut self) -> HashMap<Identifier, VerificationCode> {
        self.now += 1;
        self.d.tick(self.now);
        self.d
            .take_verifications()
            .into_iter()
            .map(|v| {
                (
                    Identifier::decode(&v.identifier).unwrap(),
                    VerificationCode::new(v.code).unwrap(),
                )
            })
            .collect()
    }

    fn register(&mut self, n: u8, id: &Identifier) -> DirectoryStatus {
        self.status(
            key(n),
            DirectoryOp::Register {
                identifier: id.clone(),
                device: device(n),
                flags: AccountFlags::default(),
            },
        )
    }

    /// Registers and verifies `id` for the account of key `n`.
    fn sign_up(&mut self, n: u8, id: &Identifier) {
        assert_eq!(self.register(n, id), DirectoryStatus::Ok);
        let code = self.codes()[id];
        let s = self.status(
            key(n),
            DirectoryOp::Verify {
                identifier: id.clone(),
                code,
            },
        );
        assert_eq!(s, DirectoryStatus::Ok);
    }

    fn lookup(&mut self, n: u8, id: &Identifier) -> DirectoryResponse {
        self.run(
            key(n),
            DirectoryOp::Lookup {
                identifier: id.clone(),
            },
        )
    }
}

/// 16 accounts; codes leave on every tick (the batching has its own
/// tests: `codes_leave_in_batches_*`).
fn small() -> DirectoryConfig {
    DirectoryConfig {
        code_release_requests: 1,
        code_release_secs: 1,
        ..DirectoryConfig::new(16).unwrap()
    }
}

fn wrong(code: VerificationCode) -> VerificationCode {
    VerificationCode::new((code.value() + 1) % VerificationCode::LIMIT).unwrap()
}

#[test]
fn register_verify_and_look_up() {
    let mut h = Harness::new(small());
    h.sign_up(1, &email(1));
    h.sign_up(2, &email(2));
    let r = h.lookup(2, &email(1));
    assert_eq!(r.status, DirectoryStatus::Ok);
    assert_eq!(r.identity, Some(key(1)));
    assert_eq!(r.devices, vec![device(1)]);
    assert_eq!(r.flags, AccountFlags::default());
    let me = h.run(key(1), DirectoryOp::Show);
    assert_eq!(me.status, DirectoryStatus::Ok);
    assert_eq!(me.verified_identifiers, 1);
    // Verifying again is a safe retry.
    let code = VerificationCode::new(0).unwrap();
    let again = h.status(
        key(1),
        DirectoryOp::Verify {
            identifier: email(1),
            code,
        },
    );
    assert_eq!(again, DirectoryStatus::Ok);
}

#[test]
fn bad_input_gets_its_own_answer() {
    let mut h = Harness::new(small());
    h.sign_up(1, &email(1));
    // An identifier another account has: the registration is answered as
    // any other (registration_does_not_reveal_membership), and only the
    // code's receiver hears "already registered", at verify.
    assert_eq!(h.register(2, &email(1)), DirectoryStatus::Ok);
    let owner_code = h.codes()[&email(1)];
    let s = h.status(
        key(2),
        DirectoryOp::Verify {
            identifier: email(1),
            code: owner_code,
        },
    );
    assert_eq!(s, DirectoryStatus::AlreadyRegistered);
    // A look-up needs a verified identifier.
    assert_eq!(
        h.lookup(2, &email(1)).status,
        DirectoryStatus::NotRegistered
    );
    // Wrong codes, then too many of them.
    assert_eq!(h.register(2, &email(2)), DirectoryStatus::Ok);
    let code = h.codes()[&email(2)];
    for _ in 0..5 {
        let s = h.status(
            key(2),
            DirectoryOp::Verify {
                identifier: email(2),
                code: wrong(code),
            },
        );
        assert_eq!(s, DirectoryStatus::WrongCode);
    }
    let s = h.status(
        key(2),
        DirectoryOp::Verify {
            identifier: email(2),
            code,
        },
    );
    assert_eq!(s, DirectoryStatus::TooManyAttempts);
    // Registering again sends a new code and resets the attempts.
    assert_eq!(h.register(2, &email(2)), DirectoryStatus::Ok);
    let code = h.codes()[&email(2)];
    // An expired code.
    h.now += 15 * 60 + 1;
    let s = h.status(
        key(2),
        DirectoryOp::Verify {
            identifier: email(2),
            code,
        },
    );
    assert_eq!(s, DirectoryStatus::CodeExpired);
    // A code for an identifier never registered by this key.
    let s = h.status(
        key(2),
        DirectoryOp::Verify {
            identifier: email(9),
            code,
        },
    );
    assert_eq!(s, DirectoryStatus::NoPendingCode);
    // Devices: only the identity key adds them; at most 8; a key in use is refused.
    h.sign_up(3, &email(3));
    for n in 30..37 {
        assert_eq!(
            h.status(key(3), DirectoryOp::AddDevice { device: device(n) }),
            DirectoryStatus::Ok
        );
    }
    assert_eq!(
        h.status(key(3), DirectoryOp::AddDevice { device: device(37) }),
        DirectoryStatus::TooManyDevices
    );
    assert_eq!(
        h.status(key(30), DirectoryOp::AddDevice { device: device(38) }),
        DirectoryStatus::NotIdentityKey
    );
    assert_eq!(
        h.status(key(1), DirectoryOp::AddDevice { device: device(31) }),
        DirectoryStatus::DeviceInUse
    );
    assert_eq!(
        h.status(key(3), DirectoryOp::RemoveDevice { device: key(99) }),
        DirectoryStatus::UnknownDevice
    );
    assert_eq!(
        h.status(key(3), DirectoryOp::RemoveDevice { device: key(3) }),
        DirectoryStatus::InvalidRequest
    );
    assert_eq!(
        h.status(key(3), DirectoryOp::RemoveDevice { device: key(31) }),
        DirectoryStatus::Ok
    );
    assert_eq!(h.run(key(3), DirectoryOp::Show).devices.len(), 7);
    // A linked device acts for the account: it may look up and show.
    assert_eq!(h.lookup(32, &email(1)).status, DirectoryStatus::Ok);
    assert_eq!(h.run(key(32), DirectoryOp::Show).identity, Some(key(3)));
    // ... the removed one no longer.
    assert_eq!(
        h.run(key(31), DirectoryOp::Show).status,
        DirectoryStatus::NotRegistered
    );
    // A device whose mailbox is not its own key is refused.
    let mut odd = device(40);
    odd.mailbox = key(41);
    assert_eq!(
        h.status(key(3), DirectoryOp::AddDevice { device: odd }),
        DirectoryStatus::InvalidRequest
    );
    // Unproven keys and garbage change nothing.
    let bytes = DirectoryRequest {
        acting_as: key(3),
        op: DirectoryOp::SetFlags {
            flags: AccountFlags {
                discoverable: false,
                accept_from_anyone: false,
            },
        },
    }
    .encode();
    assert_eq!(
        h.raw(&bytes, Choice::from(0), key(3)).status,
        DirectoryStatus::KeyNotProven
    );
    let mut garbage = bytes.clone();
    garbage[0] = 42;
    assert_eq!(
        h.raw(&garbage, Choice::from(1), key(3)).status,
        DirectoryStatus::InvalidRequest
    );
    assert_eq!(h.lookup(1, &email(3)).status, DirectoryStatus::Ok);
}

#[test]
fn not_discoverable_answers_like_nobody() {
    let mut h = Harness::new(small());
    h.sign_up(1, &email(1));
    h.sign_up(2, &email(2));
    let off = AccountFlags {
        discoverable: false,
        accept_from_anyone: true,
    };
    assert_eq!(
        h.status(key(1), DirectoryOp::SetFlags { flags: off }),
        DirectoryStatus::Ok
    );
    let hidden = h.lookup(2, &email(1));
    let nobody = h.lookup(2, &email(9));
    assert_eq!(hidden.status, DirectoryStatus::NoUser);
    assert_eq!(hidden, nobody);
    assert_eq!(hidden.encode(), nobody.encode());
    // An account that blocks the caller's account answers the same, to
    // any of the caller's devices; others still find it.
    h.sign_up(3, &email(3));
    h.status(key(2), DirectoryOp::AddDevice { device: device(20) });
    assert_eq!(h.lookup(2, &email(3)).status, DirectoryStatus::Ok);
    assert_eq!(
        h.status(key(3), DirectoryOp::Block { account: key(2) }),
        DirectoryStatus::Ok
    );
    assert_eq!(
        h.status(key(3), DirectoryOp::Block { account: key(2) }),
        DirectoryStatus::Ok
    );
    let blocked = h.lookup(2, &email(3));
    assert_eq!(blocked.encode(), nobody.encode());
    assert_eq!(h.lookup(20, &email(3)).encode(), nobody.encode());
    h.sign_up(4, &email(4));
    assert_eq!(h.lookup(4, &email(3)).status, DirectoryStatus::Ok);
    assert_eq!(
        h.status(key(20), DirectoryOp::Block { account: key(4) }),
        DirectoryStatus::NotIdentityKey
    );
    assert_eq!(
        h.status(key(3), DirectoryOp::Unblock { account: key(2) }),
        DirectoryStatus::Ok
    );
    assert_eq!(h.lookup(2, &email(3)).status, DirectoryStatus::Ok);
    for n in 0..16 {
        assert_eq!(
            h.status(
                key(3),
                DirectoryOp::Block {
                    account: key(100 + n)
                }
            ),
            DirectoryStatus::Ok
        );
    }
    assert_eq!(
        h.status(key(3), DirectoryOp::Block { account: key(2) }),
        DirectoryStatus::BlockListFull
    );
}

/// A sender who knows an account's identity key sees its current devices:
/// an unlinked one is gone at once, a new one there at once; an unknown
/// key and a device key answer "no user", alike; a blocked caller sees
/// what anyone sees (it must not learn it is blocked).
#[test]
fn devices_follow_the_account() {
    let mut h = Harness::new(small());
    h.sign_up(1, &email(1));
    h.sign_up(2, &email(2));
    let keys = |r: &DirectoryResponse| {
        r.devices
            .iter()
            .map(|d| d.card.signing_key)
            .collect::<Vec<_>>()
    };
    let asked =
        |h: &mut Harness, who: u8| h.run(key(who), DirectoryOp::Devices { account: key(1) });
    let r = asked(&mut h, 2);
    assert_eq!((r.status, r.identity), (DirectoryStatus::Ok, Some(key(1))));
    assert_eq!(keys(&r), [key(1)]);
    assert_eq!(r.verified_identifiers, 0, "not the account's to show");
    h.status(key(1), DirectoryOp::AddDevice { device: device(11) });
    assert_eq!(keys(&asked(&mut h, 2)), [key(1), key(11)]);
    h.status(key(1), DirectoryOp::RemoveDevice { device: key(11) });
    assert_eq!(keys(&asked(&mut h, 2)), [key(1)]);
    // Anyone with a proven key may ask, registered or not, and an account
    // that is not discoverable still answers (the key is the capability).
    let off = AccountFlags {
        discoverable: false,
        accept_from_anyone: true,
    };
    h.status(key(1), DirectoryOp::SetFlags { flags: off });
    assert_eq!(asked(&mut h, 30).status, DirectoryStatus::Ok);
    // No user: an unknown key, a device's key, and a caller it blocks.
    let nobody = h.run(key(2), DirectoryOp::Devices { account: key(77) });
    assert_eq!(nobody.status, DirectoryStatus::NoUser);
    h.status(key(1), DirectoryOp::AddDevice { device: device(12) });
    let by_device = h.run(key(2), DirectoryOp::Devices { account: key(12) });
    assert_eq!(by_device.encode(), nobody.encode());
    let before = asked(&mut h, 2);
    h.status(key(1), DirectoryOp::Block { account: key(2) });
    assert_eq!(asked(&mut h, 2).encode(), before.encode());
}

/// An account's identifiers can be removed, waiting or verified (then
/// look-ups find nobody and another account may take it), and an account
/// with none left can be closed: it then takes no changes, and senders
/// who knew it hear it is gone.
#[test]
fn identifiers_can_be_removed_and_accounts_closed() {
    let mut h = Harness::new(small());
    h.sign_up(1, &email(1));
    h.sign_up(2, &email(2));
    let remove = |h: &mut Harness, who: u8, i: u8| {
        h.status(
            key(who),
            DirectoryOp::RemoveIdentifier {
                identifier: email(i),
            },
        )
    };
    // A registration still waiting for its code.
    assert_eq!(h.register(1, &email(3)), DirectoryStatus::Ok);
    let code = h.codes()[&email(3)];
    assert_eq!(remove(&mut h, 1, 3), DirectoryStatus::Ok);
    let s = h.status(
        key(1),
        DirectoryOp::Verify {
            identifier: email(3),
            code,
        },
    );
    assert_eq!(s, DirectoryStatus::NoPendingCode);
    assert_eq!(remove(&mut h, 1, 9), DirectoryStatus::UnknownIdentifier);
    // Only the identity key removes; not another account's identifier.
    h.status(key(1), DirectoryOp::AddDevice { device: device(11) });
    assert_eq!(remove(&mut h, 11, 1), DirectoryStatus::NotIdentityKey);
    assert_eq!(remove(&mut h, 2, 1), DirectoryStatus::UnknownIdentifier);
    // A verified one: gone from look-ups, free for another account.
    assert_eq!(h.lookup(2, &email(1)).status, DirectoryStatus::Ok);
    assert_eq!(remove(&mut h, 1, 1), DirectoryStatus::Ok);
    assert_eq!(h.lookup(2, &email(1)).status, DirectoryStatus::NoUser);
    assert_eq!(h.run(key(1), DirectoryOp::Show).verified_identifiers, 0);
    h.sign_up(3, &email(1));
    assert_eq!(h.lookup(2, &email(1)).identity, Some(key(3)));

    // Closing: not while an identifier is left.
    assert_eq!(
        h.status(key(2), DirectoryOp::Close),
        DirectoryStatus::NotEmpty
    );
    assert_eq!(remove(&mut h, 2, 2), DirectoryStatus::Ok);
    h.status(key(2), DirectoryOp::AddDevice { device: device(22) });
    assert_eq!(
        h.status(key(22), DirectoryOp::Close),
        DirectoryStatus::NotIdentityKey
    );
    let before = h.run(key(3), DirectoryOp::Devices { account: key(2) });
    assert_eq!(before.devices.len(), 2);
    assert_eq!(h.status(key(2), DirectoryOp::Close), DirectoryStatus::Ok);
    let nobody = h.run(key(3), DirectoryOp::Devices { account: key(77) });
    assert_eq!(
        h.run(key(3), DirectoryOp::Devices { account: key(2) })
            .encode(),
        nobody.encode(),
        "senders who knew it hear it is gone"
    );
    for who in [2, 22] {
        assert_eq!(
            h.status(key(who), DirectoryOp::Show),
            DirectoryStatus::Closed
        );
    }
    assert_eq!(h.register(2, &email(5)), DirectoryStatus::Closed);
    assert_eq!(
        h.status(key(2), DirectoryOp::Close),
        DirectoryStatus::Closed
    );
    assert_eq!(
        h.status(key(2), DirectoryOp::AddDevice { device: device(23) }),
        DirectoryStatus::Closed
    );
    // Its address can be taken by someone else.
    h.sign_up(4, &email(2));
    assert_eq!(h.lookup(3, &email(2)).identity, Some(key(4)));
}

/// Usernames: reserved and confirmed by the account itself (no code goes
/// out), found by look-up like any identifier, refused at confirmation
/// when another account has it, freed by removing it.
#[test]
fn usernames_are_reserved_confirmed_found_and_freed() {
    let mut h = Harness::new(small());
    h.sign_up(1, &email(1));
    h.sign_up(2, &email(2));
    let nick = Identifier::username("alice.42").unwrap();
    let confirm = |h: &mut Harness, who: u8, code: u32| {
        h.status(
            key(who),
            DirectoryOp::Verify {
                identifier: nick.clone(),
                code: VerificationCode::new(code).unwrap(),
            },
        )
    };
    assert_eq!(h.register(1, &nick), DirectoryStatus::Ok);
    assert!(h.codes().is_empty(), "no code goes out for a username");
    assert_eq!(confirm(&mut h, 1, 7), DirectoryStatus::WrongCode);
    assert_eq!(confirm(&mut h, 1, 0), DirectoryStatus::Ok);
    let found = h.lookup(2, &nick);
    assert_eq!(
        (found.status, found.identity),
        (DirectoryStatus::Ok, Some(key(1)))
    );
    assert_eq!(h.run(key(1), DirectoryOp::Show).verified_identifiers, 2);
    // Taken: another account's reservation answers as any, its
    // confirmation says so.
    assert_eq!(h.register(2, &nick), DirectoryStatus::Ok);
    assert_eq!(confirm(&mut h, 2, 0), DirectoryStatus::AlreadyRegistered);
    // Freed, it can be taken.
    assert_eq!(
        h.status(
            key(1),
            DirectoryOp::RemoveIdentifier {
                identifier: nick.clone()
            }
        ),
        DirectoryStatus::Ok
    );
    assert_eq!(h.lookup(2, &nick).status, DirectoryStatus::NoUser);
    assert_eq!(confirm(&mut h, 2, 0), DirectoryStatus::Ok);
    assert_eq!(h.lookup(1, &nick).identity, Some(key(2)));
    // A username alone makes an account that may look others up.
    let solo = Identifier::username("solo.07").unwrap();
    assert_eq!(h.register(5, &solo), DirectoryStatus::Ok);
    assert_eq!(
        h.status(
            key(5),
            DirectoryOp::Verify {
                identifier: solo,
                code: VerificationCode::new(0).unwrap()
            }
        ),
        DirectoryStatus::Ok
    );
    assert_eq!(h.lookup(5, &email(2)).identity, Some(key(2)));
}

#[test]
fn look_ups_are_limited_per_session_and_per_account() {
    let config = DirectoryConfig {
        lookups_per_session: 3,
        lookups_per_account_per_day: 5,
        ..small()
    };
    let mut h = Harness::new(config);
    h.sign_up(1, &email(1));
    h.sign_up(2, &email(2));
    for _ in 0..3 {
        assert_eq!(h.lookup(2, &email(9)).status, DirectoryStatus::NoUser);
    }
    assert_eq!(h.lookup(2, &email(1)).status, DirectoryStatus::RateLimited);
    // A new session of the same account has two look-ups left today.
    h.sessions.clear();
    assert_eq!(h.lookup(2, &email(1)).status, DirectoryStatus::Ok);
    assert_eq!(h.lookup(2, &email(1)).status, DirectoryStatus::Ok);
    assert_eq!(h.lookup(2, &email(1)).status, DirectoryStatus::RateLimited);
    // The next day, the account's budget is back.
    h.sessions.clear();
    h.now += 24 * 3600;
    assert_eq!(h.lookup(2, &email(1)).status, DirectoryStatus::Ok);
}

/// The directory grants a session of a verified account the next batch of
/// the account's tokens for the day, into the session's allowance (which
/// the token service then issues), and no more than the day's.
#[test]
fn tokens_are_granted_a_batch_at_a_time_per_account_per_day() {
    use crate::services::Credits;
    let mut h = Harness::new(DirectoryConfig {
        tokens_per_day: 8,
        ..small()
    });
    h.sign_up(1, &email(1));
    h.status(key(1), DirectoryOp::AddDevice { device: device(10) });
    assert_eq!(h.register(2, &email(2)), DirectoryStatus::Ok);
    let ask = |h: &mut Harness, who: PublicKey, credits: &Credits| {
        let bytes = DirectoryRequest {
            acting_as: who,
            op: DirectoryOp::Tokens,
        }
        .encode();
        let lookups = AtomicU32::new(0);
        let out =
            h.d.execute_record(&bytes, Choice::from(1), &lookups, credits, h.now);
        DirectoryResponse::decode(&out).unwrap()
    };
    let phone = Credits::default();
    let r = ask(&mut h, key(10), &phone);
    assert_eq!(
        r.status,
        DirectoryStatus::Ok,
        "a device of the account asks"
    );
    assert_eq!((r.tokens_granted, r.tokens_per_day), (4, 8));
    assert_eq!(phone.allowance(), 4);
    let laptop = Credits::default();
    assert_eq!(ask(&mut h, key(1), &laptop).status, DirectoryStatus::Ok);
    let r = ask(&mut h, key(1), &laptop);
    assert_eq!(
        (r.status, r.tokens_granted, r.tokens_per_day),
        (DirectoryStatus::RateLimited, 0, 8),
        "the account's day is used up, whichever device asks"
    );
    assert_eq!(laptop.allowance(), 4);
    // Not verified yet, or no account at all: nothing.
    let other = Credits::default();
    assert_eq!(
        ask(&mut h, key(2), &other).status,
        DirectoryStatus::NotRegistered
    );
    assert_eq!(
        ask(&mut h, key(9), &other).status,
        DirectoryStatus::NotRegistered
    );
    assert_eq!(other.allowance(), 0);
    // Look-ups share the day but not the count.
    assert_eq!(h.lookup(1, &email(9)).status, DirectoryStatus::NoUser);
    // The next day, the account's tokens are back.
    h.now += 24 * 3600;
    assert_eq!(ask(&mut h, key(1), &laptop).status, DirectoryStatus::Ok);
    assert_eq!(laptop.allowance(), 8);
    // A directory that issues none says so.
    let mut none = Harness::new(small());
    none.sign_up(1, &email(1));
    let r = ask(&mut none, key(1), &other);
    assert_eq!(
        (r.status, r.tokens_per_day),
        (DirectoryStatus::RateLimited, 0)
    );
}

#[test]
fn several_identifiers_per_account_and_phone_numbers() {
    let mut h = Harness::new(small());
    let phone = Identifier::phone("+41446681800").unwrap();
    h.sign_up(1, &email(1));
    h.sign_up(1, &phone);
    h.sign_up(2, &email(2));
    assert_eq!(h.lookup(2, &phone).identity, Some(key(1)));
    assert_eq!(h.lookup(2, &email(1)).identity, Some(key(1)));
    assert_eq!(h.run(key(1), DirectoryOp::Show).verified_identifiers, 2);
    h.sign_up(1, &email(3));
    // Two registrations wait at once; with three verified, the first to
    // verify takes the last place and the second finds none.
    assert_eq!(h.register(1, &email(4)), DirectoryStatus::Ok);
    assert_eq!(h.register(1, &email(6)), DirectoryStatus::Ok);
    let codes = h.codes();
    let verify = |h: &mut Harness, n: u8| {
        let code = codes[&email(n)];
        h.status(
            key(1),
            DirectoryOp::Verify {
                identifier: email(n),
                code,
            },
        )
    };
    assert_eq!(verify(&mut h, 4), DirectoryStatus::Ok);
    assert_eq!(verify(&mut h, 6), DirectoryStatus::TooManyIdentifiers);
    assert_eq!(h.run(key(1), DirectoryOp::Show).verified_identifiers, 4);
    assert_eq!(
        h.register(1, &email(5)),
        DirectoryStatus::TooManyIdentifiers
    );
    // A third registration replaces the first still waiting.
    let phone = |n: u8| Identifier::phone(&format!("+4144668180{n}")).unwrap();
    for n in [7, 8, 9] {
        assert_eq!(h.register(2, &phone(n)), DirectoryStatus::Ok);
    }
    let codes = h.codes();
    for (n, want) in [
        (7, DirectoryStatus::NoPendingCode),
        (8, DirectoryStatus::Ok),
        (9, DirectoryStatus::Ok),
    ] {
        let code = codes[&phone(n)];
        assert_eq!(
            h.status(
                key(2),
                DirectoryOp::Verify {
                    identifier: phone(n),
                    code,
                },
            ),
            want
        );
    }
}

#[test]
fn a_full_directory_says_so() {
    let mut h = Harness::new(DirectoryConfig {
        max_accounts: 2,
        ..small()
    });
    h.sign_up(1, &email(1));
    h.sign_up(2, &email(2));
    assert_eq!(h.register(3, &email(3)), DirectoryStatus::DirectoryFull);
}

/// What the host sees of one request: every access and the response length.
fn signing_keys(r: &DirectoryResponse) -> Vec<u8> {
    r.devices
        .iter()
        .map(|d| d.signing_key().as_bytes()[0])
        .collect()
}

#[test]
fn devices_beyond_two_live_in_a_page_and_pages_run_out() {
    let config = DirectoryConfig {
        device_pages: 1,
        ..small()
    };
    let mut h = Harness::new(config);
    h.sign_up(1, &email(1));
    h.sign_up(2, &email(2));
    for n in 10..17 {
        assert_eq!(
            h.status(key(1), DirectoryOp::AddDevice { device: device(n) }),
            DirectoryStatus::Ok
        );
    }
    // All eight, the identity key's first, in a look-up and in show; the
    // records come back whole.
    let r = h.lookup(2, &email(1));
    assert_eq!(signing_keys(&r), [1, 10, 11, 12, 13, 14, 15, 16]);
    assert_eq!(r.devices[7], device(16));
    assert_eq!(
        signing_keys(&h.run(key(1), DirectoryOp::Show)),
        [1, 10, 11, 12, 13, 14, 15, 16]
    );
    // One removed from the profile, one from the page: the next devices
    // take their slots (profile first).
    for gone in [10, 14] {
        assert_eq!(
            h.status(key(1), DirectoryOp::RemoveDevice { device: key(gone) }),
            DirectoryStatus::Ok
        );
    }
    assert_eq!(
        signing_keys(&h.lookup(2, &email(1))),
        [1, 11, 12, 13, 15, 16]
    );
    for n in [17, 18] {
        h.status(key(1), DirectoryOp::AddDevice { device: device(n) });
    }
    assert_eq!(
        signing_keys(&h.lookup(2, &email(1))),
        [1, 17, 11, 12, 13, 18, 15, 16]
    );
    // A removed device's key is free again; it can join another account.
    h.status(key(1), DirectoryOp::RemoveDevice { device: key(17) });
    assert_eq!(
        h.status(key(2), DirectoryOp::AddDevice { device: device(17) }),
        DirectoryStatus::Ok
    );
    // Account 1 holds the only page: account 2's third device finds none,
    // and nothing changes.
    assert_eq!(
        h.status(key(2), DirectoryOp::AddDevice { device: device(20) }),
        DirectoryStatus::DirectoryFull
    );
    assert_eq!(signing_keys(&h.lookup(1, &email(2))), [2, 17]);
    assert_eq!(
        h.status(key(3), DirectoryOp::AddDevice { device: device(20) }),
        DirectoryStatus::NotRegistered
    );
}

fn seen(
    h: &mut Harness,
    t: &crate::oram::Transcript,
    acting_as: PublicKey,
    op: DirectoryOp,
) -> (Vec<crate::oram::Access>, usize, DirectoryStatus) {
    t.take();
    let bytes = DirectoryRequest { acting_as, op }.encode();
    let lookups = h.sessions.entry(acting_as).or_default();
    let out =
        h.d.execute_record(&bytes, Choice::from(1), lookups, &Default::default(), h.now);
    let status = DirectoryResponse::decode(&out).unwrap().status;
    (t.take(), out.len(), status)
}

#[test]
fn every_op_and_outcome_looks_the_same_to_the_host() {
    let f = RecordingFactory::new(DefaultFactory);
    let t = f.transcript();
    let config = DirectoryConfig {
        lookups_per_session: 5,
        tokens_per_day: 4,
        ..small()
    };
    let mut h = Harness::with_factory(config, &f);
    h.sign_up(1, &email(1));
    h.sign_up(2, &email(2));
    h.sign_up(3, &email(3));
    h.sign_up(6, &email(6));
    let off = AccountFlags {
        discoverable: false,
        accept_from_anyone: true,
    };
    h.status(key(3), DirectoryOp::SetFlags { flags: off });
    h.status(key(6), DirectoryOp::Block { account: key(2) });
    // Account 7 has five devices: it takes the only device page.
    h.sign_up(7, &email(7));
    for n in 70..74 {
        h.status(key(7), DirectoryOp::AddDevice { device: device(n) });
    }
    let mut cases = vec![
        (
            key(7),
            DirectoryOp::Lookup {
                identifier: email(7),
            },
            DirectoryStatus::Ok,
        ),
        (
            key(7),
            DirectoryOp::RemoveDevice { device: key(73) },
            DirectoryStatus::Ok,
        ),
        (
            key(7),
            DirectoryOp::AddDevice { device: device(74) },
            DirectoryStatus::Ok,
        ),
        (
            key(2),
            DirectoryOp::AddDevice { device: device(20) },
            DirectoryStatus::Ok,
        ),
        (
            key(2),
            DirectoryOp::AddDevice { device: device(21) },
            DirectoryStatus::DirectoryFull,
        ),
        (
            key(2),
            DirectoryOp::Lookup {
                identifier: email(6),
            },
            DirectoryStatus::NoUser,
        ),
        (
            key(1),
            DirectoryOp::Block { account: key(9) },
            DirectoryStatus::Ok,
        ),
        (
            key(1),
            DirectoryOp::Unblock { account: key(9) },
            DirectoryStatus::Ok,
        ),
        (
            key(2),
            DirectoryOp::Lookup {
                identifier: email(1),
            },
            DirectoryStatus::Ok,
        ),
        (
            key(2),
            DirectoryOp::Lookup {
                identifier: email(9),
            },
            DirectoryStatus::NoUser,
        ),
        (
            key(2),
            DirectoryOp::Lookup {
                identifier: email(3),
            },
            DirectoryStatus::NoUser,
        ),
        (
            key(9),
            DirectoryOp::Lookup {
                identifier: email(1),
            },
            DirectoryStatus::NotRegistered,
        ),
        (
            key(4),
            DirectoryOp::Register {
                identifier: email(4),
                device: device(4),
                flags: AccountFlags::default(),
            },
            DirectoryStatus::Ok,
        ),
        (
            key(5),
            DirectoryOp::Register {
                identifier: email(1),
                device: device(5),
                flags: AccountFlags::default(),
            },
            DirectoryStatus::Ok,
        ),
        (
            key(4),
            DirectoryOp::Verify {
                identifier: email(4),
                code: VerificationCode::new(0).unwrap(),
            },
            DirectoryStatus::WrongCode,
        ),
        (
            key(1),
            DirectoryOp::AddDevice { device: device(11) },
            DirectoryStatus::Ok,
        ),
        (
            key(1),
            DirectoryOp::AddDevice { device: device(2) },
            DirectoryStatus::DeviceInUse,
        ),
        (
            key(1),
            DirectoryOp::RemoveDevice { device: key(11) },
            DirectoryStatus::Ok,
        ),
        (
            key(2),
            DirectoryOp::RemoveDevice { device: key(11) },
            DirectoryStatus::UnknownDevice,
        ),
        (
            key(1),
            DirectoryOp::SetFlags {
                flags: AccountFlags::default(),
            },
            DirectoryStatus::Ok,
        ),
        (key(1), DirectoryOp::Show, DirectoryStatus::Ok),
        (key(8), DirectoryOp::Show, DirectoryStatus::NotRegistered),
        (
            key(2),
            DirectoryOp::Devices { account: key(1) },
            DirectoryStatus::Ok,
        ),
        (
            key(8),
            DirectoryOp::Devices { account: key(3) },
            DirectoryStatus::Ok,
        ),
        (
            key(2),
            DirectoryOp::Devices { account: key(6) },
            DirectoryStatus::Ok,
        ),
        (
            key(2),
            DirectoryOp::Devices { account: key(99) },
            DirectoryStatus::NoUser,
        ),
        (
            key(4),
            DirectoryOp::Verify {
                identifier: email(9),
                code: VerificationCode::new(0).unwrap(),
            },
            DirectoryStatus::NoPendingCode,
        ),
        (
            key(1),
            DirectoryOp::RemoveIdentifier {
                identifier: email(9),
            },
            DirectoryStatus::UnknownIdentifier,
        ),
        (key(1), DirectoryOp::Close, DirectoryStatus::NotEmpty),
        (
            key(6),
            DirectoryOp::RemoveIdentifier {
                identifier: email(6),
            },
            DirectoryStatus::Ok,
        ),
        (key(6), DirectoryOp::Close, DirectoryStatus::Ok),
        (key(6), DirectoryOp::Show, DirectoryStatus::Closed),
        (
            key(1),
            DirectoryOp::Register {
                identifier: Identifier::username("one.11").unwrap(),
                device: device(1),
                flags: AccountFlags::default(),
            },
            DirectoryStatus::Ok,
        ),
        (
            key(1),
            DirectoryOp::Verify {
                identifier: Identifier::username("one.11").unwrap(),
                code: VerificationCode::new(0).unwrap(),
            },
            DirectoryStatus::Ok,
        ),
        (
            key(3),
            DirectoryOp::Lookup {
                identifier: Identifier::username("one.11").unwrap(),
            },
            DirectoryStatus::Ok,
        ),
    ];
    // Spend key 2's session budget to see a rate-limited look-up.
    cases.push((
        key(2),
        DirectoryOp::Lookup {
            identifier: email(1),
        },
        DirectoryStatus::Ok,
    ));
    cases.push((
        key(2),
        DirectoryOp::Lookup {
            identifier: email(1),
        },
        DirectoryStatus::RateLimited,
    ));
    cases.extend([
        (key(1), DirectoryOp::Tokens, DirectoryStatus::Ok),
        (key(1), DirectoryOp::Tokens, DirectoryStatus::RateLimited),
        (key(9), DirectoryOp::Tokens, DirectoryStatus::NotRegistered),
    ]);
    let mut first = None;
    let mut statuses = HashSet::new();
    for (who, op, want) in cases {
        let (accesses, len, status) = seen(&mut h, &t, who, op.clone());
        assert_eq!(status, want, "{op:?}");
        statuses.insert(status);
        assert_eq!(len, DIRECTORY_RESPONSE_LEN);
        match &first {
            None => first = Some(accesses),
            Some(f) => assert_eq!(&accesses, f, "{op:?} looked different"),
        }
    }
    let f = first.unwrap();
    let names: Vec<_> = f.iter().map(|a| a.structure).collect();
    assert_eq!(
        names,
        [
            "dir-keys",
            "dir-keys",
            "private",
            "profiles",
            "device-pages"
        ]
    );
    assert!(statuses.len() >= 8);
}

/// The plain model the directory is checked against.
#[derive(Default)]
struct Model {
    /// identity key -> (devices, verified identifiers, discoverable)
    accounts: HashMap<u8, (Vec<u8>, HashSet<u8>, bool)>,
    /// identifier -> identity key
    ids: HashMap<u8, u8>,
    /// identity key -> the registrations waiting for their codes (two
    /// slots: its own, else an empty one, else the first is replaced)
    pending: HashMap<u8, [Option<(u8, VerificationCode)>; 2]>,
    /// identity keys of accounts that took a device page
    paged: HashSet<u8>,
}

impl Model {
    fn account_of(&self, k: u8) -> Option<u8> {
        self.accounts
            .iter()
            .find(|(_, (devs, _, _))| devs.contains(&k))
            .map(|(id, _)| *id)
    }
}

#[derive(Debug, Clone)]
enum Step {
    Register(u8, u8),
    VerifyRight(u8, u8),
    Lookup(u8, u8),
    AddDevice(u8, u8),
    RemoveDevice(u8, u8),
    Hide(u8, bool),
}

fn step() -> impl Strategy<Value = Step> {
    let k = 1u8..6;
    let i = 1u8..6;
    prop_oneof![
        (k.clone(), i.clone()).prop_map(|(a, b)| Step::Register(a, b)),
        (k.clone(), i.clone()).prop_map(|(a, b)| Step::VerifyRight(a, b)),
        (k.clone(), i.clone()).prop_map(|(a, b)| Step::Lookup(a, b)),
        (k.clone(), 10u8..16).prop_map(|(a, b)| Step::AddDevice(a, b)),
        (k.clone(), 10u8..16).prop_map(|(a, b)| Step::RemoveDevice(a, b)),
        (k, any::<bool>()).prop_map(|(a, b)| Step::Hide(a, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Random register / verify / look-up / device / switch sequences give
    /// the same answers as a plain HashMap model.
    #[test]
    fn behaves_like_the_plain_model(steps in proptest::collection::vec(step(), 1..60)) {
        // Two device pages: the third account with a third device finds none.
        let config = DirectoryConfig { lookups_per_session: 1000, lookups_per_account_per_day: 1000, device_pages: 2, ..small() };
        let mut h = Harness::new(config);
        let mut m = Model::default();
        for s in steps {
            match s {
                Step::Register(k, i) => {
                    let status = h.register(k, &email(i));
                    let owner = m.account_of(k);
                    // Whether another account has the identifier does not
                    // change the answer.
                    let want = if owner.is_some_and(|o| o != k) {
                        DirectoryStatus::NotIdentityKey
                    } else if owner.is_some_and(|o| m.accounts[&o].1.len() == 4) {
                        DirectoryStatus::TooManyIdentifiers
                    } else {
                        DirectoryStatus::Ok
                    };
                    prop_assert_eq!(status, want);
                    if want == DirectoryStatus::Ok {
                        m.accounts.entry(k).or_insert((vec![k], HashSet::new(), true));
                        let code = h.codes()[&email(i)];
                        // One's own verified identifier stays verified;
                        // any other replaces the waiting registration.
                        if m.ids.get(&i) != Some(&k) {
                            let slots = m.pending.entry(k).or_default();
                            let at = slots
                                .iter()
                                .position(|s| s.is_some_and(|(j, _)| j == i))
                                .or_else(|| slots.iter().position(Option::is_none))
                                .unwrap_or(0);
                            slots[at] = Some((i, code));
                        }
                    }
                }
                Step::VerifyRight(k, i) => {
                    let waiting = m.pending.get(&k).and_then(|s| s.iter().flatten().find(|(j, _)| *j == i).copied());
                    let Some((_, code)) = waiting else { continue };
                    let status = h.status(key(k), DirectoryOp::Verify { identifier: email(i), code });
                    if let Some(owner) = m.ids.get(&i) {
                        let want = if *owner == k { DirectoryStatus::Ok } else { DirectoryStatus::AlreadyRegistered };
                        prop_assert_eq!(status, want);
                    } else if m.accounts[&k].1.len() == 4 {
                        prop_assert_eq!(status, DirectoryStatus::TooManyIdentifiers);
                    } else {
                        prop_assert_eq!(status, DirectoryStatus::Ok);
                        for s in m.pending.get_mut(&k).unwrap().iter_mut() {
                            if s.is_some_and(|(j, _)| j == i) {
                                *s = None;
                            }
                        }
                        m.ids.insert(i, k);
                        m.accounts.get_mut(&k).unwrap().1.insert(i);
                    }
                }
                Step::Lookup(k, i) => {
                    let r = h.lookup(k, &email(i));
                    let registered = m.account_of(k).is_some_and(|a| !m.accounts[&a].1.is_empty());
                    if !registered {
                        prop_assert_eq!(r.status, DirectoryStatus::NotRegistered);
                        continue;
                    }
                    match m.ids.get(&i).map(|o| (o, &m.accounts[o])) {
                        Some((o, (devs, _, true))) => {
                            prop_assert_eq!(r.status, DirectoryStatus::Ok);
                            prop_assert_eq!(r.identity, Some(key(*o)));
                            let mut got: Vec<u8> = r.devices.iter().map(|d| d.signing_key().as_bytes()[0]).collect();
                            let mut want = devs.clone();
                            got.sort();
                            want.sort();
                            prop_assert_eq!(got, want);
                        }
                        _ => prop_assert_eq!(r.status, DirectoryStatus::NoUser),
                    }
                }
                Step::AddDevice(k, d) => {
                    let status = h.status(key(k), DirectoryOp::AddDevice { device: device(d) });
                    let want = match m.account_of(k) {
                        None => DirectoryStatus::NotRegistered,
                        Some(o) if o != k => DirectoryStatus::NotIdentityKey,
                        Some(_) if m.account_of(d).is_some() => DirectoryStatus::DeviceInUse,
                        Some(_) if m.accounts[&k].0.len() == 8 => DirectoryStatus::TooManyDevices,
                        Some(_) if m.accounts[&k].0.len() >= 2 && !m.paged.contains(&k) && m.paged.len() == 2 => {
                            DirectoryStatus::DirectoryFull
                        }
                        Some(_) => DirectoryStatus::Ok,
                    };
                    prop_assert_eq!(status, want);
                    if want == DirectoryStatus::Ok {
                        m.accounts.get_mut(&k).unwrap().0.push(d);
                        if m.accounts[&k].0.len() > 2 {
                            m.paged.insert(k);
                        }
                    }
                }
                Step::RemoveDevice(k, d) => {
                    let status = h.status(key(k), DirectoryOp::RemoveDevice { device: key(d) });
                    let want = match m.account_of(k) {
                        None => DirectoryStatus::NotRegistered,
                        Some(o) if o != k => DirectoryStatus::NotIdentityKey,
                        Some(_) if !m.accounts[&k].0.contains(&d) => DirectoryStatus::UnknownDevice,
                        Some(_) => DirectoryStatus::Ok,
                    };
                    prop_assert_eq!(status, want);
                    if want == DirectoryStatus::Ok {
                        m.accounts.get_mut(&k).unwrap().0.retain(|x| *x != d);
                    }
                }
                Step::Hide(k, on) => {
                    let flags = AccountFlags { discoverable: on, accept_from_anyone: true };
                    let status = h.status(key(k), DirectoryOp::SetFlags { flags });
                    let want = match m.account_of(k) {
                        None => DirectoryStatus::NotRegistered,
                        Some(o) if o != k => DirectoryStatus::NotIdentityKey,
                        Some(_) => DirectoryStatus::Ok,
                    };
                    prop_assert_eq!(status, want);
                    if want == DirectoryStatus::Ok {
                        m.accounts.get_mut(&k).unwrap().2 = on;
                    }
                }
            }
        }
    }
}

/// Ticks move waiting map writes into the map with the same accesses
/// whether there are any: DRAIN_PER_TICK map accesses, nothing else.
#[test]
fn ticks_look_the_same_whether_or_not_writes_wait() {
    let f = RecordingFactory::new(DefaultFactory);
    let t = f.transcript();
    let mut h = Harness::with_factory(small(), &f);
    let tick = |h: &mut Harness| {
        t.take();
        h.now += 1;
        h.d.tick(h.now);
        t.take()
    };
    let idle = tick(&mut h);
    assert_eq!(idle.len(), pending::DRAIN_PER_TICK);
    assert!(idle.iter().all(|a| a.structure == "dir-keys"));
    assert_eq!(h.register(1, &email(1)), DirectoryStatus::Ok);
    let code = h.codes()[&email(1)];
    h.status(
        key(1),
        DirectoryOp::Verify {
            identifier: email(1),
            code,
        },
    );
    assert!(bool::from(
        h.d.pending
            .has(&h.d.hash.digest(DOMAIN_IDENTIFIER, &email(1).encode()))
    ));
    // Within PENDING_SLOTS / DRAIN_PER_TICK ticks every slot is visited.
    for _ in 0..pending::PENDING_SLOTS / pending::DRAIN_PER_TICK {
        assert_eq!(tick(&mut h), idle, "a tick that may move a write");
    }
    assert!(!bool::from(
        h.d.pending
            .has(&h.d.hash.digest(DOMAIN_IDENTIFIER, &email(1).encode()))
    ));
    // The identifier is still found, now from the map.
    h.sign_up(2, &email(2));
    for _ in 0..8 {
        tick(&mut h);
    }
    assert_eq!(h.lookup(2, &email(1)).identity, Some(key(1)));
}

/// A registration's code leaves the enclave only on the tick, never with
/// the request that made it (every request writes an outbox record).
#[test]
fn outbox_releases_codes_only_on_the_tick() {
    let mut h = Harness::new(small());
    assert_eq!(h.register(1, &email(1)), DirectoryStatus::Ok);
    h.lookup(1, &email(2));
    assert!(h.d.take_verifications().is_empty(), "before the tick");
    h.now += 1;
    h.d.tick(h.now);
    let v = h.d.take_verifications();
    assert_eq!(v.len(), 1);
    assert_eq!(Identifier::decode(&v[0].identifier).unwrap(), email(1));
    assert!(h.d.take_verifications().is_empty(), "taken once");
    // A registration of an identifier already registered sends its code to
    // the identifier too, as for any (its owner alone can use it).
    h.status(
        key(1),
        DirectoryOp::Verify {
            identifier: email(1),
            code: VerificationCode::new(v[0].code).unwrap(),
        },
    );
    assert_eq!(h.register(2, &email(1)), DirectoryStatus::Ok);
    h.now += 1;
    h.d.tick(h.now);
    let again = h.d.take_verifications();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].identifier, email(1).encode());
}

/// Registration answers the same, byte for byte, whether or not another
/// account has the identifier and whatever its discoverability; a verify
/// with a wrong code too. Only the right code (which only the identifier's
/// owner receives) tells them apart.
#[test]
fn registration_does_not_reveal_membership() {
    let off = AccountFlags {
        discoverable: false,
        accept_from_anyone: true,
    };
    let mut taken = Harness::new(small());
    taken.sign_up(1, &email(1));
    taken.status(key(1), DirectoryOp::SetFlags { flags: off });
    let mut free = Harness::new(small());
    free.sign_up(1, &email(8));
    let register = |h: &mut Harness| {
        h.run(
            key(2),
            DirectoryOp::Register {
                identifier: email(1),
                device: device(2),
                flags: AccountFlags::default(),
            },
        )
        .encode()
    };
    assert_eq!(register(&mut taken), register(&mut free));
    let verify = |h: &mut Harness, code| {
        h.run(
            key(2),
            DirectoryOp::Verify {
                identifier: email(1),
                code,
            },
        )
        .encode()
    };
    let (t_code, f_code) = (taken.codes()[&email(1)], free.codes()[&email(1)]);
    assert_eq!(
        verify(&mut taken, wrong(t_code)),
        verify(&mut free, wrong(f_code))
    );
    assert_eq!(
        taken.status(key(2), DirectoryOp::Show),
        free.status(key(2), DirectoryOp::Show)
    );
    let t = DirectoryResponse::decode(&verify(&mut taken, t_code)).unwrap();
    let f = DirectoryResponse::decode(&verify(&mut free, f_code)).unwrap();
    assert_eq!(t.status, DirectoryStatus::AlreadyRegistered);
    assert_eq!(f.status, DirectoryStatus::Ok);
    // The owner's account is untouched.
    assert_eq!(taken.run(key(1), DirectoryOp::Show).verified_identifiers, 1);
}

/// Codes leave in batches: not before the batch holds
/// `code_release_requests` requests (whatever they are), nor before
/// `code_release_secs` have passed since the last batch; then every real
/// code of the batch leaves together, and only real ones.
#[test]
fn codes_leave_in_batches_of_requests_and_time() {
    let config = DirectoryConfig {
        code_release_requests: 4,
        code_release_secs: 10,
        ..small()
    };
    let mut h = Harness::new(config);
    assert_eq!(h.register(1, &email(1)), DirectoryStatus::Ok);
    h.lookup(2, &email(7));
    assert_eq!(h.register(3, &email(3)), DirectoryStatus::Ok);
    // Three requests: however far the time moves, nothing leaves.
    for t in [1, 2, 100, 10_000] {
        h.d.tick(T0 + t);
        assert!(h.d.take_verifications().is_empty(), "after {t} s");
    }
    h.lookup(2, &email(8));
    h.d.tick(T0 + 10_001);
    let mut got: Vec<Identifier> =
        h.d.take_verifications()
            .iter()
            .map(|v| Identifier::decode(&v.identifier).unwrap())
            .collect();
    got.sort_by_key(|i| i.as_str().to_owned());
    assert_eq!(got, vec![email(1), email(3)]);
    // Four more at once: they wait for the time, 10 s after the last batch.
    assert_eq!(h.register(4, &email(4)), DirectoryStatus::Ok);
    for _ in 0..3 {
        h.lookup(2, &email(9));
    }
    h.d.tick(T0 + 10_010);
    assert!(h.d.take_verifications().is_empty(), "9 s after the last");
    h.d.tick(T0 + 10_011);
    assert_eq!(h.d.take_verifications().len(), 1);
}

/// Replicas hold the same secret and apply the same requests in order: they
/// must then send the same codes and give the same answers, whatever each
/// one's ORAM randomness (which changes only the physical layout).
#[test]
fn replicas_with_one_secret_send_the_same_codes_and_answers() {
    let config = small();
    let (mut a, mut b) = (Harness::new(config), Harness::new(config));
    for n in 1..=6u8 {
        let id = email(n);
        assert_eq!(a.register(n, &id), DirectoryStatus::Ok);
        assert_eq!(b.register(n, &id), DirectoryStatus::Ok);
        let (ca, cb) = (a.codes(), b.codes());
        assert_eq!(ca, cb, "the same code for {id:?}");
        let verify = DirectoryOp::Verify {
            identifier: id.clone(),
            code: ca[&id],
        };
        assert_eq!(a.run(key(n), verify.clone()), b.run(key(n), verify));
        let look = DirectoryOp::Lookup { identifier: id };
        assert_eq!(a.run(key(n + 1), look.clone()), b.run(key(n + 1), look));
    }
    // A different secret draws different codes.
    let mut c = Harness::new(config);
    c.d = Directory::with_secret(config, &DefaultFactory, [8; 32]);
    c.d.tick(T0);
    let mut d = Harness::new(config);
    let codes: Vec<_> = (1..=4u8)
        .map(|n| {
            c.register(n, &email(n));
            d.register(n, &email(n));
            (c.codes()[&email(n)], d.codes()[&email(n)])
        })
        .collect();
    assert!(codes.iter().any(|(x, y)| x != y), "{codes:?}");
}

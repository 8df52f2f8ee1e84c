//! The directory service: accounts found by email address or phone number,
//! without the host learning who looks up whom.
//!
//! # Layout
//!
//! | structure | blocks | block | holds |
//! |---|---|---|---|
//! | `dir-keys` | 4 x max accounts / 4 (pow2) buckets | 256 B | 16 records: 96-bit keyed digest of a verified identifier or of a device's key -> account index |
//! | `private` | max accounts | 104 B | identity key, look-up budget, verified identifier count, 2 registrations waiting for their codes |
//! | `profiles` | max accounts | 488 B | switches, verified identifiers, 2 device slots (the identity key's first), its page, 16 blocked accounts |
//! | `device-pages` | device pages (default max accounts / 16) | 1152 B | 6 more device slots of an account with more than 2 devices |
//!
//! Every oblivious array costs about twice its blocks in memory (the ORAM
//! tree, plus 8 bytes of metadata per slot), so an account costs about
//! 2 x (256 + 104 + 488 + 1152 / 16) + 16 x 3 = 1,888 bytes, and a little
//! more for the position maps (BENCHMARKS.md has the measurement). Slots are not reserved
//! at their maxima: an account's verified identifiers are found through
//! the map (whose record says whose they are), and devices beyond two take
//! a page, allocated when the third is added and kept by the account. When
//! the pages run out, adding a third device answers DIRECTORY_FULL (an
//! operator sizes `device_pages` for the share of accounts with three
//! devices or more). The map's 96-bit digests make an accidental collision
//! between two of at most 2^26 entries less likely than 2^-45.
//!
//! Identifiers are hashed inside the enclave with a secret key, so the map
//! holds no identifier in the clear and the host cannot test a guess.
//! An identifier enters the map only when its code is verified; a pending
//! registration lives in the registering account's private block, so
//! nobody can hold someone else's address by registering it without the
//! code. A registration answers the same, byte for byte, whether or not
//! another account has the identifier (so nobody can test an address for
//! an account, discoverable or not): its code goes to the identifier
//! either way, and only whoever receives it hears "already registered",
//! at verify. Accounts are never deleted: a new one takes the next index.
//!
//! # Access sequence
//!
//! Every request, whatever its op, arguments and outcome, makes exactly:
//! `dir-keys` (the identifier, or the key for device, block and devices
//! ops), `dir-keys` (the caller's key), `private` (the caller's),
//! `profiles` (the target of a look-up or a devices request, or the
//! caller's own for every other op), `device-pages` (that profile's page,
//! or a page that changes nothing when it has none); and
//! returns a [`DIRECTORY_RESPONSE_LEN`]-byte record. Each request also
//! appends one outbox record, real only for a registration (see
//! [`outbox`]). Map writes decided after reading the account (a verified
//! identifier, a device added or removed) wait in enclave memory and reach
//! the map on the tick ([`pending`]); reads see them at once.
//!
//! Every tick makes [`pending::DRAIN_PER_TICK`] `dir-keys` accesses.
//!
//! The tokens op grants the calling session the account's next batch of
//! Privacy Pass tokens for the day (`tokens_per_day`, counted in the
//! private block with the look-up window), which the token service then
//! issues blindly (`services::tokens`): only a verified account gets any,
//! and the host sees a directory request like any other.
//!
//! Look-ups are limited per session and per account inside the enclave and
//! need a caller with a verified identifier, so identifiers cannot be
//! enumerated. A look-up of an unknown identifier, of an account that is
//! not discoverable, of one that blocks the caller, and of one it may see
//! cost the same and answer in the same shape.

mod account;
mod blocks;
mod config;
pub mod delivery;
pub mod outbox;
mod pending;
#[cfg(test)]
mod tests;

pub use config::{
    DEFAULT_CODE_RELEASE_REQUESTS, DEFAULT_CODE_RELEASE_SECS, DEFAULT_DEVICE_PAGES_SHARE,
    DirectoryConfig, DirectoryConfigError, MAX_ACCOUNTS, MIN_ATTESTED_CODE_RELEASE_REQUESTS,
};
pub use outbox::Verification;

use super::Credits;
use crate::cluster::snapshot::{Visit, visit_array, visit_rng, visit_u32, visit_u64};
use crate::oblivious::HASH_KEY_LEN;
use crate::oblivious::ct::{
    as_u32, cmov, cmov_bytes, eq_bytes, eq_u32, is_zero, le_u64, lt_u32, sel_u8, sel_u32,
};
use crate::oblivious::keyed_hash::KeyedHash;
use crate::oblivious::map::{MapOp, ObliviousMap};
use crate::oram::{ObliviousArray, OramFactory};
use blocks::{
    DevicePage, INLINE_DEVICES, IdSlot, MAILBOX_AT, MAX_IDENTIFIERS, PrivateBlock, ProfileBlock,
    SLOT_DIGEST_LEN, SLOT_PENDING, StoredDevice,
};
use hush_wire::consts::{
    DEVICE_LEN, DIRECTORY_REQUEST_LEN, DIRECTORY_RESPONSE_LEN, IDENTIFIER_LEN, KEY_LEN,
    MAX_DEVICES, MAX_IDENTIFIER_BYTES,
};
use hush_wire::directory::offsets;
use hush_wire::directory::{
    AccountFlags, DirectoryOp, DirectoryStatus, IdentifierKind, VerificationCode,
};
use hush_wire::tokens::TOKENS_PER_ISSUE;
use outbox::Outbox;
use pending::PendingWrites;
use std::sync::atomic::Ordering;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// Bytes of a keyed digest the map keeps (96 bits: a collision between
/// two of at most 2^26 entries has probability below 2^-45; the digests
/// are keyed with the enclave's secret, so nobody can look for one).
pub(crate) const MAP_KEY_LEN: usize = 12;

/// The map's key for a digest.
pub(crate) fn map_key(digest: &[u8; 32]) -> [u8; MAP_KEY_LEN] {
    digest[..MAP_KEY_LEN].try_into().expect("prefix")
}

/// `allocated` of a closed account's blocks (1: open, 0: never used).
const ACCOUNT_CLOSED: u32 = 2;

/// Seconds in a look-up window of an account.
const LOOKUP_WINDOW_SECS: u64 = 24 * 60 * 60;
/// Domains of the keyed digests in `dir-keys`.
const DOMAIN_IDENTIFIER: &[u8] = b"hush.directory.identifier.v1";
const DOMAIN_KEY: &[u8] = b"hush.directory.key.v1";

/// Domain of the verification codes' random stream.
const CODES_DOMAIN: &[u8] = b"hush.directory.codes.v1";

/// The trusted directory.
pub struct Directory {
    config: DirectoryConfig,
    keys: ObliviousMap<MAP_KEY_LEN>,
    private: Box<dyn ObliviousArray<PrivateBlock>>,
    profiles: Box<dyn ObliviousArray<ProfileBlock>>,
    pages: Box<dyn ObliviousArray<DevicePage>>,
    /// The page the next account with a third device takes.
    next_page: u32,
    pending: PendingWrites,
    /// The index the next new account takes.
    next_account: u32,
    hash: KeyedHash,
    /// Where verification codes come from (seeded from the secret).
    codes: rand_chacha::ChaCha20Rng,
    outbox: Outbox,
    now: u64,
}

/// The request's fields, read from the fixed layout without branching.
struct Fields<'a> {
    op: u8,
    acting_as: &'a [u8; KEY_LEN],
    identifier: &'a [u8; IDENTIFIER_LEN],
    code: u32,
    flags: u8,
    device: &'a [u8; DEVICE_LEN],
}

fn fields(r: &[u8]) -> Fields<'_> {
    let at = |from: usize, len: usize| &r[from..from + len];
    Fields {
        op: r[offsets::OP],
        acting_as: at(offsets::ACTING_AS, KEY_LEN).try_into().expect("key"),
        identifier: at(offsets::IDENTIFIER, IDENTIFIER_LEN)
            .try_into()
            .expect("identifier"),
        code: u32::from_le_bytes(at(offsets::CODE, 4).try_into().expect("code")),
        flags: r[offsets::FLAGS],
        device: at(offsets::DEVICE, DEVICE_LEN).try_into().expect("device"),
    }
}

/// A status chooser: the last matching rule wins, so rules are listed from
/// the least to the most fundamental failure.
#[derive(Clone, Copy)]
struct Verdict(u8);

impl Verdict {
    fn new(s: DirectoryStatus) -> Self {
        Self(s.code())
    }
    fn unless(&mut self, bad: Choice, s: DirectoryStatus) {
        self.0 = sel_u8(self.0, s.code(), bad);
    }
    fn ok(&self) -> Choice {
        self.0.ct_eq(&DirectoryStatus::Ok.code())
    }
}

/// The ops of a request, one choice each (at most one is set).
#[derive(Clone, Copy)]
struct Ops {
    register: Choice,
    verify: Choice,
    lookup: Choice,
    add_device: Choice,
    remove_device: Choice,
    set_flags: Choice,
    show: Choice,
    block: Choice,
    unblock: Choice,
    devices: Choice,
    remove_identifier: Choice,
    close: Choice,
    tokens: Choice,
}

impl Ops {
    fn of(op: u8) -> Self {
        let is = |code: u8| op.ct_eq(&code);
        Self {
            register: is(DirectoryOp::REGISTER),
            verify: is(DirectoryOp::VERIFY),
            lookup: is(DirectoryOp::LOOKUP),
            add_device: is(DirectoryOp::ADD_DEVICE),
            remove_device: is(DirectoryOp::REMOVE_DEVICE),
            set_flags: is(DirectoryOp::SET_FLAGS),
            show: is(DirectoryOp::SHOW),
            block: is(DirectoryOp::BLOCK),
            unblock: is(DirectoryOp::UNBLOCK),
            devices: is(DirectoryOp::DEVICES),
            remove_identifier: is(DirectoryOp::REMOVE_IDENTIFIER),
            close: is(DirectoryOp::CLOSE),
            tokens: is(DirectoryOp::TOKENS),
        }
    }

    fn known(&self) -> Choice {
        self.register
            | self.verify
            | self.lookup
            | self.add_device
            | self.remove_device
            | self.set_flags
            | self.show
            | self.block
            | self.unblock
            | self.devices
            | self.remove_identifier
            | self.close
            | self.tokens
    }

    fn device_op(&self) -> Choice {
        self.add_device | self.remove_device
    }

    /// Ops that read another account's profile, found by the first
    /// `dir-keys` access, rather than the caller's own.
    fn reads_target(&self) -> Choice {
        self.lookup | self.devices
    }
}

/// What the private access decided, for the profile access after it.
#[derive(Clone, Copy)]
struct PrivateOutcome {
    is_identity: Choice,
    registered: Choice,
    register: Verdict,
    verify: Verdict,
    lookup: Verdict,
    /// A registration that went through (its code is sent).
    registered_now: Choice,
    /// A verification that went through (the identifier goes in the map).
    verified_now: Choice,
    /// The account was closed before this request.
    closed: Choice,
    remove_identifier: Verdict,
    /// A verified identifier removed now (it leaves the map).
    removed_verified: Choice,
    close: Verdict,
    /// The account closes now.
    closed_now: Choice,
    tokens: Verdict,
    /// A batch of tokens granted to the session now.
    tokens_granted: Choice,
    /// The caller's identity key.
    identity: [u8; KEY_LEN],
    verified: u32,
}

impl Directory {
    /// Its replicated state, for a snapshot. Not the outbox: its length
    /// changes with the requests, and a snapshot's must not. A node that
    /// installs a snapshot starts with an empty batch, so codes of a batch
    /// not yet released when it became leader are never sent (their users
    /// ask again).
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        self.keys.visit(v);
        visit_array(v, &mut *self.private);
        visit_array(v, &mut *self.profiles);
        visit_array(v, &mut *self.pages);
        visit_u32(v, &mut self.next_page);
        self.pending.visit(v);
        visit_u32(v, &mut self.next_account);
        visit_rng(v, &mut self.codes);
        visit_u64(v, &mut self.now);
    }

    /// A directory whose hashing secret is `secret` (tests use a fixed one).
    pub fn with_secret(
        config: DirectoryConfig,
        factory: &impl OramFactory,
        secret: [u8; HASH_KEY_LEN],
    ) -> Self {
        Self {
            keys: ObliviousMap::new(factory, "dir-keys", config.map_entries()),
            private: factory.array("private", config.max_accounts as usize),
            profiles: factory.array("profiles", config.max_accounts as usize),
            pages: factory.array("device-pages", config.device_pages as usize),
            next_page: 0,
            pending: PendingWrites::default(),
            next_account: 0,
            hash: KeyedHash::new(secret),
            codes: KeyedHash::new(secret).stream(CODES_DOMAIN),
            outbox: Outbox::new(config.code_release_requests, config.code_release_secs),
            config,
            now: 0,
        }
    }

    /// A directory with a fresh random hashing secret.
    pub fn new(config: DirectoryConfig, factory: &impl OramFactory) -> Self {
        let mut secret = [0u8; HASH_KEY_LEN];
        rand::Rng::fill(&mut rand::rng(), &mut secret[..]);
        let d = Self::with_secret(config, factory, secret);
        zeroize::Zeroize::zeroize(&mut secret);
        d
    }

    /// The limits this directory was built with.
    pub fn config(&self) -> &DirectoryConfig {
        &self.config
    }

    /// Verification codes for the host to send (see [`outbox`]).
    pub fn take_verifications(&mut self) -> Vec<Verification> {
        self.outbox.take()
    }

    /// Executes one request record (exactly [`DIRECTORY_REQUEST_LEN`]
    /// bytes). `authorized` is whether the session proved the acting-as
    /// key; `session_lookups` is the session's look-up count, updated here.
    pub fn execute_record(
        &mut self,
        request: &[u8],
        authorized: Choice,
        session_lookups: &std::sync::atomic::AtomicU32,
        credits: &Credits,
        now: u64,
    ) -> [u8; DIRECTORY_RESPONSE_LEN] {
        assert_eq!(
            request.len(),
            DIRECTORY_REQUEST_LEN,
            "the session layer checks the length"
        );
        self.now = self.now.max(now);
        let now = self.now;
        let f = fields(request);
        let op = Ops::of(f.op);
        let id_op = op.register | op.verify | op.lookup | op.remove_identifier;

        // Well-formed: a known op, reserved bytes zero, a real key, an
        // identifier of a known kind and a length in range where one is
        // needed, known flag bits. (Clients send exactly what the wire
        // codec encodes; this only keeps garbage from doing anything.)
        let id_len = f.identifier[1] as u32;
        let username = f.identifier[0].ct_eq(&(IdentifierKind::Username as u8));
        let id_kind_ok = f.identifier[0].ct_eq(&1) | f.identifier[0].ct_eq(&2) | username;
        let id_ok = id_kind_ok & lt_u32(0, id_len) & !lt_u32(MAX_IDENTIFIER_BYTES as u32, id_len);
        let flags_ok =
            (f.flags & !(AccountFlags::DISCOVERABLE | AccountFlags::ACCEPT_FROM_ANYONE)).ct_eq(&0);
        let device_key: &[u8; KEY_LEN] = f.device[..KEY_LEN].try_into().expect("key");
        let keyed_op = op.device_op() | op.block | op.unblock | op.devices;
        let well_formed = op.known()
            & is_zero(&request[1..offsets::ACTING_AS])
            & is_zero(&request[offsets::FLAGS + 1..offsets::DEVICE])
            & !is_zero(f.acting_as)
            & (!id_op | id_ok)
            & flags_ok
            & (!op.register | eq_bytes(device_key, f.acting_as))
            // A device's mailbox is addressed by its signing key (the
            // directory stores the record without the copy).
            & (!(op.register | op.add_device)
                | eq_bytes(&f.device[MAILBOX_AT..MAILBOX_AT + KEY_LEN], device_key))
            & (!keyed_op | !is_zero(device_key))
            & (!op.verify | lt_u32(f.code, VerificationCode::LIMIT));
        let go = well_formed & authorized;

        let id_digest = self.hash.digest(DOMAIN_IDENTIFIER, f.identifier);
        let device_digest = self.hash.digest(DOMAIN_KEY, device_key);
        let caller_digest = self.hash.digest(DOMAIN_KEY, f.acting_as);
        let block_tag = account::block_tag(&device_digest);
        let mut subject = id_digest;
        cmov_bytes(&mut subject, &device_digest, op.device_op() | op.devices);

        // 1. dir-keys: the identifier (or the device key) -> its account.
        let read = self
            .keys
            .apply(&self.hash, &map_key(&subject), MapOp::get());
        let target = self.pending.overlay(&subject, read);

        // 2. dir-keys: the caller's key -> its account; a registration by a
        //    new key makes an account, whether or not the identifier is
        //    taken (the answer must not say which).
        let has_free = lt_u32(self.next_account, self.config.max_accounts);
        let create = go & op.register & has_free & !self.pending.has(&caller_digest);
        let inserted = self.keys.apply(
            &self.hash,
            &map_key(&caller_digest),
            MapOp {
                insert: create,
                value: self.next_account,
                ..MapOp::get()
            },
        );
        let created = inserted.inserted;
        let caller = self.pending.overlay(&caller_digest, inserted);
        let own = caller.found | created;
        self.next_account += as_u32(created);

        // 3. private: the caller's identity, budget and identifier slots.
        let code = rand::Rng::random_range(&mut self.codes, 0..VerificationCode::LIMIT);
        let lookups = session_lookups.load(Ordering::Relaxed);
        let config = self.config;
        let mut p = PrivateOutcome {
            is_identity: Choice::from(0),
            registered: Choice::from(0),
            register: Verdict::new(DirectoryStatus::Ok),
            verify: Verdict::new(DirectoryStatus::Ok),
            lookup: Verdict::new(DirectoryStatus::Ok),
            registered_now: Choice::from(0),
            verified_now: Choice::from(0),
            closed: Choice::from(0),
            remove_identifier: Verdict::new(DirectoryStatus::Ok),
            removed_verified: Choice::from(0),
            close: Verdict::new(DirectoryStatus::Ok),
            closed_now: Choice::from(0),
            tokens: Verdict::new(DirectoryStatus::Ok),
            tokens_granted: Choice::from(0),
            identity: [0; KEY_LEN],
            verified: 0,
        };
        let room_to_write = self.pending.room(&subject);
        // The identifier is verified and the caller's: the map says whose
        // a verified identifier is, so the account keeps only a count.
        let own_verified = own & target.found & eq_u32(target.value, caller.value);
        let slot_digest: [u8; SLOT_DIGEST_LEN] =
            id_digest[..SLOT_DIGEST_LEN].try_into().expect("prefix");
        self.private
            .access(caller.value as usize, &mut |b: &mut PrivateBlock| {
                let mut a = PrivateBlock::default();
                cmov(&mut a, b, own);
                let fresh = PrivateBlock {
                    identity: *f.acting_as,
                    allocated: 1,
                    ..PrivateBlock::default()
                };
                cmov(&mut a, &fresh, created);
                p.is_identity = eq_u32(a.allocated, 1) & eq_bytes(&a.identity, f.acting_as);
                p.registered = lt_u32(0, a.verified);
                p.closed = own & eq_u32(a.allocated, ACCOUNT_CLOSED);
                let (is_pending, slot, slot_at) = account::find_waiting(&a, &slot_digest);

                // register: a waiting slot with a fresh code (its own, an
                // empty one, or the first: that registration is then
                // abandoned), whether or not
                // another account has the identifier: the answer is the
                // same either way, and the code goes to the identifier,
                // whose owner alone can use it (to learn, at verify, that
                // the identifier is taken). One's own verified identifier
                // stays verified.
                let room = lt_u32(a.verified, MAX_IDENTIFIERS as u32) | own_verified;
                // A username gets no code: the account confirms its own
                // reservation with code 0 (nobody else can: the slot is in
                // its private block), and the confirmation answers
                // "already registered" if another account has it.
                let waiting = IdSlot {
                    digest: slot_digest,
                    expires: now
                        .saturating_add(config.code_ttl_secs)
                        .min(u32::MAX as u64) as u32,
                    code: sel_u32(code, 0, username),
                    attempts: 0,
                    state: SLOT_PENDING,
                };
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!room, DirectoryStatus::TooManyIdentifiers);
                v.unless(!p.is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(p.closed, DirectoryStatus::Closed);
                v.unless(!own, DirectoryStatus::DirectoryFull);
                p.register = v;
                p.registered_now = op.register & go & v.ok();
                let reg_at = account::slot_for_registration(&a, &slot_digest);
                account::put_waiting(&mut a, reg_at, &waiting, p.registered_now & !own_verified);

                // verify: the code of the waiting slot, within its time
                // and attempts.
                let expired = !le_u64(now, slot.expires as u64);
                let spent = !lt_u32(slot.attempts as u32, config.max_code_attempts);
                let right = eq_u32(slot.code, f.code);
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!right, DirectoryStatus::WrongCode);
                v.unless(spent, DirectoryStatus::TooManyAttempts);
                v.unless(expired, DirectoryStatus::CodeExpired);
                v.unless(!room_to_write, DirectoryStatus::Busy);
                // Two registrations may wait while three are verified: the
                // second to verify finds no room.
                v.unless(
                    !lt_u32(a.verified, MAX_IDENTIFIERS as u32),
                    DirectoryStatus::TooManyIdentifiers,
                );
                // Taken by another account: said only to whoever has the
                // code (the identifier's owner), never in place of a wrong
                // code, so a verify cannot probe either.
                v.unless(v.ok() & target.found, DirectoryStatus::AlreadyRegistered);
                v.unless(!is_pending, DirectoryStatus::NoPendingCode);
                v.unless(!p.is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(p.closed, DirectoryStatus::Closed);
                v.unless(!own, DirectoryStatus::NotRegistered);
                p.verified_now = op.verify & go & v.ok();
                p.verify = Verdict(sel_u8(v.0, DirectoryStatus::Ok.code(), own_verified));
                let wrong = op.verify & go & v.0.ct_eq(&DirectoryStatus::WrongCode.code());
                let mut tried = slot;
                tried.attempts += as_u32(wrong) as u16;
                account::put_waiting(&mut a, slot_at, &tried, wrong & is_pending);
                account::put_waiting(&mut a, slot_at, &IdSlot::default(), p.verified_now);
                a.verified += as_u32(p.verified_now);

                // look-up: a registered caller within its budgets.
                let window_over = le_u64(a.lookup_window.saturating_add(LOOKUP_WINDOW_SECS), now);
                let used = sel_u32(a.lookups, 0, window_over);
                let limited = !lt_u32(lookups, config.lookups_per_session)
                    | !lt_u32(used, config.lookups_per_account_per_day);
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(limited, DirectoryStatus::RateLimited);
                v.unless(!p.registered, DirectoryStatus::NotRegistered);
                let counts = op.lookup & go & v.ok();
                p.lookup = v;

                // tokens: the next batch of the account's day, for a
                // registered account (the look-up window is its day).
                let tokens_used = sel_u32(a.tokens, 0, window_over);
                let batch = TOKENS_PER_ISSUE as u32;
                let room = !lt_u32(config.tokens_per_day, tokens_used.saturating_add(batch));
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!room, DirectoryStatus::RateLimited);
                v.unless(!p.registered, DirectoryStatus::NotRegistered);
                v.unless(p.closed, DirectoryStatus::Closed);
                v.unless(!own, DirectoryStatus::NotRegistered);
                p.tokens = v;
                p.tokens_granted = op.tokens & go & v.ok();

                let reset = (counts | p.tokens_granted) & window_over;
                a.lookup_window = u64::conditional_select(&a.lookup_window, &now, reset);
                a.lookups = sel_u32(a.lookups, 0, reset) + as_u32(counts);
                a.tokens = sel_u32(a.tokens, 0, reset) + batch * as_u32(p.tokens_granted);

                // remove-identifier: a verified one leaves the map (on the
                // tick), a waiting one its slot.
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!room_to_write, DirectoryStatus::Busy);
                v.unless(
                    !(own_verified | is_pending),
                    DirectoryStatus::UnknownIdentifier,
                );
                v.unless(!p.is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(p.closed, DirectoryStatus::Closed);
                v.unless(!own, DirectoryStatus::NotRegistered);
                p.remove_identifier = v;
                let removing = op.remove_identifier & go & v.ok();
                p.removed_verified = removing & own_verified;
                a.verified = sel_u32(
                    a.verified,
                    a.verified.wrapping_sub(1),
                    p.removed_verified & lt_u32(0, a.verified),
                );
                account::put_waiting(&mut a, slot_at, &IdSlot::default(), removing & is_pending);

                // close: only an account with no verified identifier left
                // (so none stays in the map pointing at it); waiting
                // registrations go with it.
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(p.registered, DirectoryStatus::NotEmpty);
                v.unless(!p.is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(p.closed, DirectoryStatus::Closed);
                v.unless(!own, DirectoryStatus::NotRegistered);
                p.close = v;
                p.closed_now = op.close & go & v.ok();
                let dead = PrivateBlock {
                    identity: a.identity,
                    allocated: ACCOUNT_CLOSED,
                    ..PrivateBlock::default()
                };
                cmov(&mut a, &dead, p.closed_now);

                p.identity = a.identity;
                p.verified = a.verified;
                cmov(b, &a, own);
            });
        session_lookups.store(
            lookups + as_u32(op.lookup & go & p.lookup.ok()),
            Ordering::Relaxed,
        );
        credits.allow(p.tokens_granted, TOKENS_PER_ISSUE as u32);

        // 4. profiles: the look-up's or devices' target (read only), or the
        //    caller's own profile, which every other op may change.
        let at = sel_u32(caller.value, target.value, op.reads_target());
        let caller_tag = account::block_tag(&self.hash.digest(DOMAIN_KEY, &p.identity));
        let mut verdict = Verdict::new(DirectoryStatus::InvalidRequest);
        let mut shown = ProfileBlock::default();
        let mut added = Choice::from(0);
        let mut removed = Choice::from(0);
        // What the page access does, decided with the profile.
        let mut page_at = 0u32;
        let mut page_real = Choice::from(0);
        let mut page_add = Choice::from(0);
        let mut page_remove = Choice::from(0);
        let mut page_clear = Choice::from(0);
        let mut page_shown = Choice::from(0);
        let mut next_page = self.next_page;
        let device_pages = self.config.device_pages;
        let device = blocks::stored(f.device);
        self.profiles
            .access(at as usize, &mut |b: &mut ProfileBlock| {
                let mine = own & !op.reads_target();
                let mut a = ProfileBlock::default();
                cmov(&mut a, b, mine | (op.reads_target() & target.found));
                let mut fresh = ProfileBlock {
                    allocated: 1,
                    flags: f.flags,
                    device_count: 1,
                    ..ProfileBlock::default()
                };
                fresh.devices[0] = device;
                cmov(&mut a, &fresh, created);
                a.verified = sel_u8(a.verified, p.verified as u8, mine);
                let identity: [u8; KEY_LEN] = a.devices[0][..KEY_LEN].try_into().expect("key");

                // devices and switches: the identity key only. The map
                // says whose a device key is (a new one must be nobody's);
                // a device beyond the inline slots goes to the account's
                // page, taken now if it has none.
                let full = !lt_u32(a.device_count as u32, MAX_DEVICES as u32);
                let inline_free = account::has_free_slot(&a.devices);
                let no_page = !inline_free & eq_u32(a.page, 0) & !lt_u32(next_page, device_pages);
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(no_page, DirectoryStatus::DirectoryFull);
                v.unless(full, DirectoryStatus::TooManyDevices);
                v.unless(!room_to_write, DirectoryStatus::Busy);
                v.unless(target.found, DirectoryStatus::DeviceInUse);
                v.unless(!p.is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(p.closed, DirectoryStatus::Closed);
                v.unless(!own, DirectoryStatus::NotRegistered);
                let add = v;
                added = op.add_device & go & v.ok();
                page_add = added & !account::add_device(&mut a.devices, &device, added);
                let take = page_add & eq_u32(a.page, 0);
                a.page = sel_u32(a.page, next_page + 1, take);
                next_page += as_u32(take);
                a.device_count += as_u32(added) as u8;

                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!room_to_write, DirectoryStatus::Busy);
                let has_device = target.found & eq_u32(target.value, caller.value);
                v.unless(!has_device, DirectoryStatus::UnknownDevice);
                v.unless(
                    eq_bytes(device_key, &identity),
                    DirectoryStatus::InvalidRequest,
                );
                v.unless(!p.is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(p.closed, DirectoryStatus::Closed);
                v.unless(!own, DirectoryStatus::NotRegistered);
                let remove = v;
                removed = op.remove_device & go & v.ok();
                page_remove =
                    removed & !account::remove_device(&mut a.devices, device_key, removed);
                a.device_count -= as_u32(removed) as u8;

                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!p.is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(p.closed, DirectoryStatus::Closed);
                v.unless(!own, DirectoryStatus::NotRegistered);
                let owner_only = v;
                a.flags = sel_u8(a.flags, f.flags, op.set_flags & go & v.ok());

                let allowed = go & owner_only.ok();
                let fits = account::set_blocked(
                    &mut a,
                    &block_tag,
                    op.block & allowed,
                    op.unblock & allowed,
                );
                let mut blocking = owner_only;
                blocking.unless(!fits, DirectoryStatus::BlockListFull);

                let mut show = Verdict::new(DirectoryStatus::Ok);
                show.unless(p.closed | p.closed_now, DirectoryStatus::Closed);
                show.unless(!own, DirectoryStatus::NotRegistered);

                // A look-up that went through but found nobody it may see:
                // an unknown identifier, an account that is not
                // discoverable, or one that blocks the caller's account.
                let discoverable = !(a.flags & AccountFlags::DISCOVERABLE).ct_eq(&0);
                let visible = target.found
                    & lt_u32(0, a.verified as u32)
                    & discoverable
                    & !account::blocks(&a, &caller_tag);
                let mut lookup = p.lookup;
                lookup.unless(p.lookup.ok() & !visible, DirectoryStatus::NoUser);

                // devices: the account whose identity key was asked for (a
                // device key finds its account in the map too, but is not
                // an identity key). Blocking does not change the answer: a
                // blocked sender must not learn it is blocked (the broker
                // hides its messages from the blocker instead).
                let mut devices = Verdict::new(DirectoryStatus::Ok);
                devices.unless(
                    !(target.found
                        & eq_u32(a.allocated as u32, 1)
                        & eq_bytes(&identity, device_key)),
                    DirectoryStatus::NoUser,
                );

                // A closing account keeps only its identity key (its map
                // entry still names it, so the key stays closed).
                let mut dead = ProfileBlock {
                    allocated: ACCOUNT_CLOSED as u8,
                    ..ProfileBlock::default()
                };
                dead.devices[0][..KEY_LEN].copy_from_slice(&identity);
                page_real = !eq_u32(a.page, 0);
                page_at = a.page.wrapping_sub(1);
                page_clear = p.closed_now & mine & page_real;
                cmov(&mut a, &dead, p.closed_now & mine);

                let mut status = DirectoryStatus::InvalidRequest.code();
                status = sel_u8(status, p.register.0, op.register);
                status = sel_u8(status, p.verify.0, op.verify);
                status = sel_u8(status, lookup.0, op.lookup);
                status = sel_u8(status, add.0, op.add_device);
                status = sel_u8(status, remove.0, op.remove_device);
                status = sel_u8(status, owner_only.0, op.set_flags);
                status = sel_u8(status, show.0, op.show);
                status = sel_u8(status, blocking.0, op.block | op.unblock);
                status = sel_u8(status, devices.0, op.devices);
                status = sel_u8(status, p.remove_identifier.0, op.remove_identifier);
                status = sel_u8(status, p.close.0, op.close);
                status = sel_u8(status, p.tokens.0, op.tokens);
                status = sel_u8(status, DirectoryStatus::InvalidRequest.code(), !well_formed);
                status = sel_u8(
                    status,
                    DirectoryStatus::KeyNotProven.code(),
                    well_formed & !authorized,
                );
                verdict = Verdict(status);
                cmov(&mut shown, &a, verdict.ok());
                page_shown = verdict.ok() & page_real & !eq_u32(a.page, 0);
                cmov(b, &a, mine);
            });
        self.next_page = next_page;

        // 5. device-pages: the profile's page (a page nobody's profile
        //    names here when it has none, left as it is).
        let page_at = sel_u32(0, page_at, page_real);
        let mut page = DevicePage::default();
        self.pages
            .access(page_at as usize, &mut |b: &mut DevicePage| {
                let mut pg = *b;
                account::add_device(&mut pg.devices, &device, page_add);
                account::remove_device(&mut pg.devices, device_key, page_remove);
                cmov(&mut pg, &DevicePage::default(), page_clear);
                cmov(&mut page, &pg, page_shown);
                cmov(b, &pg, page_add | page_remove | page_clear);
            });

        // Map writes wait for the tick (see [`pending`]).
        let remove =
            (removed | p.removed_verified) & target.found & eq_u32(target.value, caller.value);
        self.pending.push(
            &subject,
            caller.value,
            remove,
            p.verified_now | added | remove,
        );
        self.outbox
            .push(f.identifier, code, p.registered_now & !username);

        let mut out = [0u8; DIRECTORY_RESPONSE_LEN];
        out[0] = verdict.0;
        out[1] = shown.flags & (AccountFlags::DISCOVERABLE | AccountFlags::ACCEPT_FROM_ANYONE);
        out[2] = shown.device_count;
        out[3] = sel_u8(0, shown.verified, !op.reads_target());
        out[4] = sel_u8(0, TOKENS_PER_ISSUE as u8, p.tokens_granted);
        let per_day = (self.config.tokens_per_day.min(u16::MAX as u32) as u16).to_le_bytes();
        out[6] = sel_u8(0, per_day[0], op.tokens);
        out[7] = sel_u8(0, per_day[1], op.tokens);
        out[8..8 + KEY_LEN].copy_from_slice(&shown.devices[0][..KEY_LEN]);
        let mut slots = [[0u8; blocks::STORED_DEVICE_LEN]; MAX_DEVICES];
        slots[..INLINE_DEVICES].copy_from_slice(&shown.devices);
        slots[INLINE_DEVICES..].copy_from_slice(&page.devices);
        // A closed account's first slot keeps its identity key, no device.
        let closed = eq_u32(shown.allocated as u32, ACCOUNT_CLOSED);
        cmov_bytes(&mut slots[0], &[0u8; blocks::STORED_DEVICE_LEN], closed);
        let mut devices: [StoredDevice; MAX_DEVICES] =
            [[0u8; blocks::STORED_DEVICE_LEN]; MAX_DEVICES];
        account::packed(&slots, &mut devices);
        for (i, d) in devices.iter().enumerate() {
            let at = 8 + KEY_LEN + i * DEVICE_LEN;
            out[at..at + DEVICE_LEN].copy_from_slice(&blocks::wire(d));
        }
        out
    }

    /// Background work on the public schedule: hands a batch of
    /// registrations' codes to the host when one is due ([`outbox`]) and
    /// moves waiting map writes into the map.
    pub fn tick(&mut self, now: u64) {
        self.now = self.now.max(now);
        self.outbox.tick(self.now);
        self.pending.drain(&mut self.keys, &self.hash);
    }
}

impl super::TrustedService for Directory {
    const ID: super::ServiceId = super::ServiceId::Directory;
    const REQUEST_LEN: usize = DIRECTORY_REQUEST_LEN;
    const RESPONSE_LEN: usize = DIRECTORY_RESPONSE_LEN;

    fn execute(&mut self, request: &[u8], caller: &super::Caller<'_>, now: u64) -> Vec<u8> {
        let acting_as: &[u8; KEY_LEN] = request[offsets::ACTING_AS..offsets::ACTING_AS + KEY_LEN]
            .try_into()
            .expect("key");
        let authorized = caller.keys.contains(acting_as);
        self.execute_record(request, authorized, caller.lookups, caller.credits, now)
            .to_vec()
    }

    fn tick(&mut self, now: u64) {
        Directory::tick(self, now);
    }
}

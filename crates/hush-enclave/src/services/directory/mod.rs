//! The directory service: accounts found by email address or phone number,
//! without the host learning who looks up whom.
//!
//! # Layout
//!
//! | structure | blocks | block | holds |
//! |---|---|---|---|
//! | `dir-keys` | 4 x max accounts / 4 (pow2) buckets | 768 B | keyed digest of a verified identifier or of an account's key -> account index |
//! | `accounts` | max accounts | 2112 B | identity key, switches, look-up budget, 8 devices, 4 identifier slots |
//! | `free-accounts` | max accounts / 4 | 16 B | stack of free account indices |
//!
//! Identifiers are hashed inside the enclave with a secret key, so the map
//! holds no identifier in the clear and the host cannot test a guess.
//! An identifier enters the map only when its code is verified; a pending
//! registration lives in the registering account's block, so nobody can
//! hold someone else's address by registering it without the code.
//!
//! # Access sequence
//!
//! Every request, whatever its op, arguments and outcome, makes exactly:
//! `dir-keys` (the identifier, or the device key for device ops),
//! `dir-keys` (the caller's key), `accounts` (the target), `accounts`
//! (the caller's), `dir-keys` (the identifier or device key again, to
//! insert or remove it), `free-accounts`; and returns a
//! [`DIRECTORY_RESPONSE_LEN`]-byte record. Each request also appends one
//! outbox record, real only for a registration (see [`outbox`]).
//!
//! Look-ups are limited per session and per account inside the enclave and
//! need a caller with a verified identifier, so identifiers cannot be
//! enumerated. A look-up of an unknown identifier, of an account that is
//! not discoverable, and of a discoverable one cost the same and answer in
//! the same shape.

mod account;
mod blocks;
mod config;
pub mod outbox;
#[cfg(test)]
mod tests;

pub use config::{DirectoryConfig, DirectoryConfigError, MAX_ACCOUNTS};
pub use outbox::Verification;

use crate::oblivious::HASH_KEY_LEN;
use crate::oblivious::ct::{
    as_u32, cmov, cmov_bytes, eq_bytes, eq_u32, is_zero, le_u64, lt_u32, sel_u8, sel_u32,
};
use crate::oblivious::free_list::FreeList;
use crate::oblivious::keyed_hash::KeyedHash;
use crate::oblivious::map::{MapOp, ObliviousMap};
use crate::oram::{ObliviousArray, OramFactory};
use blocks::{AccountBlock, BLOCK_TAG_LEN, IdSlot, SLOT_PENDING, SLOT_VERIFIED};
use hush_wire::consts::{
    DEVICE_LEN, DIRECTORY_REQUEST_LEN, DIRECTORY_RESPONSE_LEN, IDENTIFIER_LEN, KEY_LEN,
    MAX_DEVICES, MAX_IDENTIFIER_BYTES,
};
use hush_wire::directory::offsets;
use hush_wire::directory::{AccountFlags, DirectoryOp, DirectoryStatus, VerificationCode};
use outbox::Outbox;
use std::sync::atomic::Ordering;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// Seconds in a look-up window of an account.
const LOOKUP_WINDOW_SECS: u64 = 24 * 60 * 60;
/// Domains of the keyed digests in `dir-keys`.
const DOMAIN_IDENTIFIER: &[u8] = b"hush.directory.identifier.v1";
const DOMAIN_KEY: &[u8] = b"hush.directory.key.v1";

/// The trusted directory.
pub struct Directory {
    config: DirectoryConfig,
    keys: ObliviousMap,
    accounts: Box<dyn ObliviousArray<AccountBlock>>,
    free_accounts: FreeList,
    hash: KeyedHash,
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

impl Directory {
    /// A directory whose hashing secret is `secret` (tests use a fixed one).
    pub fn with_secret(
        config: DirectoryConfig,
        factory: &impl OramFactory,
        secret: [u8; HASH_KEY_LEN],
    ) -> Self {
        Self {
            keys: ObliviousMap::new(factory, "dir-keys", config.map_entries()),
            accounts: factory.array("accounts", config.max_accounts as usize),
            free_accounts: FreeList::new(factory, "free-accounts", config.max_accounts),
            hash: KeyedHash::new(secret),
            outbox: Outbox::default(),
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
        let is = |code: u8| f.op.ct_eq(&code);
        let register = is(DirectoryOp::REGISTER);
        let verify = is(DirectoryOp::VERIFY);
        let lookup = is(DirectoryOp::LOOKUP);
        let add_device = is(DirectoryOp::ADD_DEVICE);
        let remove_device = is(DirectoryOp::REMOVE_DEVICE);
        let set_flags = is(DirectoryOp::SET_FLAGS);
        let show = is(DirectoryOp::SHOW);
        let block = is(DirectoryOp::BLOCK);
        let unblock = is(DirectoryOp::UNBLOCK);
        let device_op = add_device | remove_device;
        let id_op = register | verify | lookup;

        // Well-formed: a known op, reserved bytes zero, a real key, an
        // identifier of a known kind and a length in range where one is
        // needed, known flag bits. (Clients send exactly what the wire
        // codec encodes; this only keeps garbage from doing anything.)
        let id_len = f.identifier[1] as u32;
        let id_kind_ok = f.identifier[0].ct_eq(&1) | f.identifier[0].ct_eq(&2);
        let id_ok = id_kind_ok & lt_u32(0, id_len) & !lt_u32(MAX_IDENTIFIER_BYTES as u32, id_len);
        let flags_ok =
            (f.flags & !(AccountFlags::DISCOVERABLE | AccountFlags::ACCEPT_FROM_ANYONE)).ct_eq(&0);
        let device_key: &[u8; KEY_LEN] = f.device[..KEY_LEN].try_into().expect("key");
        let first_device_ok = eq_bytes(device_key, f.acting_as);
        let well_formed =
            (register | verify | lookup | device_op | set_flags | show | block | unblock)
                & is_zero(&request[1..offsets::ACTING_AS])
                & is_zero(&request[offsets::FLAGS + 1..offsets::DEVICE])
                & !is_zero(f.acting_as)
                & (!id_op | id_ok)
                & flags_ok
                & (!register | first_device_ok)
                & (!(device_op | block | unblock) | !is_zero(device_key))
                & (!verify | lt_u32(f.code, VerificationCode::LIMIT));
        let go = well_formed & authorized;

        let id_digest = self.hash.digest(DOMAIN_IDENTIFIER, f.identifier);
        let device_digest = self.hash.digest(DOMAIN_KEY, device_key);
        let caller_digest = self.hash.digest(DOMAIN_KEY, f.acting_as);
        let block_tag: [u8; BLOCK_TAG_LEN] = device_digest[..BLOCK_TAG_LEN]
            .try_into()
            .expect("tag prefix");
        let mut subject = id_digest;
        cmov_bytes(&mut subject, &device_digest, device_op);

        // 1. dir-keys: the identifier (or the device key) -> its account.
        let target = self.keys.apply(&self.hash, &subject, MapOp::get());

        // 2. dir-keys: the caller's key -> its account; a registration of
        //    an unclaimed identifier by a new key makes an account.
        let (free_account, has_free) = self.free_accounts.peek();
        let create = go & register & !target.found & has_free;
        let caller = self.keys.apply(
            &self.hash,
            &caller_digest,
            MapOp {
                insert: create,
                value: free_account,
                ..MapOp::get()
            },
        );
        let own = caller.found | caller.inserted;

        // 3. accounts: the target of a look-up (read only).
        let mut seen = AccountBlock::default();
        self.accounts
            .access(target.value as usize, &mut |b: &mut AccountBlock| {
                cmov(&mut seen, b, target.found);
            });

        // 4. accounts: the caller's own account: every change happens here.
        let mut verdict = Verdict::new(DirectoryStatus::Ok);
        let mut mine = AccountBlock::default();
        let mut map_insert = Choice::from(0);
        let mut map_remove = Choice::from(0);
        let mut send_code = Choice::from(0);
        let code = rand::Rng::random_range(&mut rand::rng(), 0..VerificationCode::LIMIT);
        let lookups = session_lookups.load(Ordering::Relaxed);
        let config = self.config;
        self.accounts
            .access(caller.value as usize, &mut |b: &mut AccountBlock| {
                let mut a = AccountBlock::default();
                cmov(&mut a, b, own);
                let fresh = {
                    let mut n = AccountBlock {
                        identity: *f.acting_as,
                        allocated: 1,
                        flags: f.flags as u32,
                        ..AccountBlock::default()
                    };
                    account::add_device(&mut n, f.device, Choice::from(1));
                    n
                };
                cmov(&mut a, &fresh, caller.inserted);
                let is_identity = eq_u32(a.allocated, 1) & eq_bytes(&a.identity, f.acting_as);
                let registered = lt_u32(0, account::verified_count(&a));

                // register: a pending slot with a fresh code.
                let (room, reg_at) = account::slot_for_registration(&a, &id_digest);
                let (has_id, id_slot, id_at) = account::find_id(&a, &id_digest);
                let pending = IdSlot {
                    digest: id_digest,
                    expires: now.saturating_add(config.code_ttl_secs),
                    code,
                    attempts: 0,
                    state: SLOT_PENDING,
                    _pad: [0; 12],
                };
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!room, DirectoryStatus::TooManyIdentifiers);
                v.unless(!is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(!own, DirectoryStatus::DirectoryFull);
                v.unless(target.found, DirectoryStatus::AlreadyRegistered);
                let register_status = v.0;
                let register_ok = register & go & v.ok();
                account::put_id(&mut a, reg_at, &pending, register_ok);

                // verify: the code of the pending slot, within its time
                // and attempts.
                let is_pending = has_id & eq_u32(id_slot.state, SLOT_PENDING);
                let done_before = has_id
                    & eq_u32(id_slot.state, SLOT_VERIFIED)
                    & target.found
                    & eq_u32(target.value, caller.value);
                let expired = !le_u64(now, id_slot.expires);
                let spent = !lt_u32(id_slot.attempts, config.max_code_attempts);
                let right = eq_u32(id_slot.code, f.code);
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!right, DirectoryStatus::WrongCode);
                v.unless(spent, DirectoryStatus::TooManyAttempts);
                v.unless(expired, DirectoryStatus::CodeExpired);
                v.unless(target.found, DirectoryStatus::AlreadyRegistered);
                v.unless(!is_pending, DirectoryStatus::NoPendingCode);
                v.unless(!is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(!own, DirectoryStatus::NotRegistered);
                let verify_ok = verify & go & v.ok();
                let verify_status = sel_u8(v.0, DirectoryStatus::Ok.code(), done_before);
                let wrong = verify & go & verify_status.ct_eq(&DirectoryStatus::WrongCode.code());
                let mut tried = id_slot;
                tried.attempts += as_u32(wrong);
                tried.state = sel_u32(tried.state, SLOT_VERIFIED, verify_ok);
                account::put_id(&mut a, id_at, &tried, (wrong | verify_ok) & has_id);

                // look-up: a registered caller within its budgets.
                let window_over = le_u64(a.lookup_window.saturating_add(LOOKUP_WINDOW_SECS), now);
                let used = sel_u32(a.lookups, 0, window_over);
                let limited = !lt_u32(lookups, config.lookups_per_session)
                    | !lt_u32(used, config.lookups_per_account_per_day);
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(limited, DirectoryStatus::RateLimited);
                v.unless(!registered, DirectoryStatus::NotRegistered);
                let counts = lookup & go & v.ok();
                let reset = counts & window_over;
                a.lookup_window = u64::conditional_select(&a.lookup_window, &now, reset);
                a.lookups = sel_u32(a.lookups, 0, reset) + as_u32(counts);
                let lookup_status = v.0;

                // devices and switches: the identity key only.
                let (has_device, device_at) = account::find_device(&a, device_key);
                let full = !lt_u32(a.device_count, MAX_DEVICES as u32);
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(full, DirectoryStatus::TooManyDevices);
                v.unless(target.found | has_device, DirectoryStatus::DeviceInUse);
                v.unless(!is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(!own, DirectoryStatus::NotRegistered);
                let add_status = v.0;
                let add_ok = add_device & go & v.ok();
                account::add_device(&mut a, f.device, add_ok);

                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!has_device, DirectoryStatus::UnknownDevice);
                v.unless(
                    eq_bytes(device_key, &a.identity),
                    DirectoryStatus::InvalidRequest,
                );
                v.unless(!is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(!own, DirectoryStatus::NotRegistered);
                let remove_status = v.0;
                let remove_ok = remove_device & go & v.ok();
                account::remove_device(&mut a, device_at, remove_ok);

                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(!own, DirectoryStatus::NotRegistered);
                let flags_status = v.0;
                a.flags = sel_u32(a.flags, f.flags as u32, set_flags & go & v.ok());

                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!own, DirectoryStatus::NotRegistered);
                let show_status = v.0;

                // block and unblock another account's look-ups: the
                // identity key only.
                let mut v = Verdict::new(DirectoryStatus::Ok);
                v.unless(!is_identity, DirectoryStatus::NotIdentityKey);
                v.unless(!own, DirectoryStatus::NotRegistered);
                let allowed = go & v.ok();
                let fits =
                    account::set_blocked(&mut a, &block_tag, block & allowed, unblock & allowed);
                v.unless(!fits, DirectoryStatus::BlockListFull);
                let block_status = v.0;

                let mut status = DirectoryStatus::InvalidRequest.code();
                status = sel_u8(status, register_status, register);
                status = sel_u8(status, verify_status, verify);
                status = sel_u8(status, lookup_status, lookup);
                status = sel_u8(status, add_status, add_device);
                status = sel_u8(status, remove_status, remove_device);
                status = sel_u8(status, flags_status, set_flags);
                status = sel_u8(status, show_status, show);
                status = sel_u8(status, block_status, block | unblock);
                status = sel_u8(status, DirectoryStatus::InvalidRequest.code(), !well_formed);
                status = sel_u8(
                    status,
                    DirectoryStatus::KeyNotProven.code(),
                    well_formed & !authorized,
                );
                verdict = Verdict(status);
                map_insert = verify_ok | add_ok;
                map_remove = remove_ok;
                send_code = register_ok;
                mine = a;
                cmov(b, &a, own);
            });
        session_lookups.store(
            lookups + as_u32(lookup & go & verdict.ok()),
            Ordering::Relaxed,
        );
        // A look-up that went through but found nobody it may see: an
        // unknown identifier, an account that is not discoverable, or one
        // that blocks the caller's account.
        let caller_identity = self.hash.digest(DOMAIN_KEY, &mine.identity);
        let caller_tag: [u8; BLOCK_TAG_LEN] = caller_identity[..BLOCK_TAG_LEN]
            .try_into()
            .expect("tag prefix");
        let discoverable = !(seen.flags & AccountFlags::DISCOVERABLE as u32).ct_eq(&0);
        let visible = target.found
            & lt_u32(0, account::verified_count(&seen))
            & discoverable
            & !account::blocks(&seen, &caller_tag);
        let no_user = lookup & verdict.ok() & !visible;
        verdict.unless(no_user, DirectoryStatus::NoUser);

        // 5. dir-keys: a verified identifier or a new device goes in; a
        //    removed device comes out.
        let placed = self.keys.apply(
            &self.hash,
            &subject,
            MapOp {
                insert: map_insert,
                remove: map_remove & target.found & eq_u32(target.value, caller.value),
                value: caller.value,
                ..MapOp::get()
            },
        );
        verdict.unless(
            map_insert & !placed.inserted,
            DirectoryStatus::DirectoryFull,
        );

        // 6. free-accounts: a new account takes its index.
        self.free_accounts.step(caller.inserted, Choice::from(0), 0);

        self.outbox.push(f.identifier, code, send_code);

        // The response: the target of a successful look-up, else the
        // caller's own account for every op that succeeded on it.
        let ok = verdict.ok();
        let mut shown = AccountBlock::default();
        cmov(&mut shown, &mine, ok & !lookup);
        cmov(&mut shown, &seen, ok & lookup);
        let mut out = [0u8; DIRECTORY_RESPONSE_LEN];
        out[0] = verdict.0;
        out[1] =
            (shown.flags as u8) & (AccountFlags::DISCOVERABLE | AccountFlags::ACCEPT_FROM_ANYONE);
        out[2] = shown.device_count as u8;
        out[3] = sel_u32(0, account::verified_count(&shown), !lookup) as u8;
        out[8..8 + KEY_LEN].copy_from_slice(&shown.identity);
        for (i, d) in shown.devices.iter().enumerate() {
            let at = 8 + KEY_LEN + i * DEVICE_LEN;
            out[at..at + DEVICE_LEN].copy_from_slice(d);
        }
        out
    }

    /// Background work: hands the second's registrations to the host.
    pub fn tick(&mut self, now: u64) {
        self.now = self.now.max(now);
        self.outbox.tick();
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
        self.execute_record(request, authorized, caller.lookups, now)
            .to_vec()
    }

    fn tick(&mut self, now: u64) {
        Directory::tick(self, now);
    }
}

//! The oblivious store: mailboxes of fixed-size messages in ORAM.
//!
//! # Layout
//!
//! | structure | blocks | block | holds |
//! |---|---|---|---|
//! | `messages` | capacity | 1024 B | message slots (wire layout; zero = free) |
//! | `mailboxes` | max recipients | 2176 B | owner, length, up to 62 entries of 32 B (id, 8-byte sender tag, 32-bit time, slot with the hidden flag), oldest first; the owner's policy (16 sender tags, blocked or allowed; allowed-only mode) |
//! | `directory` | max recipients / 4 (pow2) | 640 B | recipient key -> mailbox index (+ a 16-record stash in enclave memory) |
//! | `free-slots` | capacity / 64 | 256 B | stack of free message slots (top cached in enclave memory) |
//! | `free-mailboxes` | max recipients / 64 | 256 B | stack of free mailbox indices |
//!
//! # Access sequence
//!
//! Every request, whatever its op, arguments and outcome, makes exactly these
//! accesses, in this order: `directory` x1, `mailboxes` x1, `free-slots`
//! x1, `free-mailboxes` x1, `messages` x1; and returns a response record of
//! [`hush_wire::consts::RESPONSE_LEN`] bytes. Effects are chosen inside each
//! access with constant-time selection. The last access, to the message
//! slot, only carries out what the others decided, and can run on another
//! enclave thread while the next request makes its first four
//! (`message_step.rs`).
//!
//! Every tick makes `sweep_slots_per_tick` x (`messages`, `free-slots`) and
//! `sweep_mailboxes_per_tick` x (`mailboxes`, `directory`,
//! `free-mailboxes`): the expiry sweep reclaims expired slots and empty
//! mailboxes on a public schedule, real or dummy. hushd asks for each
//! tick's sweep in ten slices (`sweep.rs`), so no request waits behind a
//! whole tick.
//!
//! Expired messages are invisible from the moment they expire: an op prunes
//! them from the mailbox it touches (they are a prefix, since entries are
//! appended with the current time). Their slots count against the capacity
//! until the sweep reclaims them, and a mailbox emptied by deletes or expiry
//! counts against the recipient limit until the sweep frees it (never while
//! it holds a policy).
//!
//! # Blocking
//!
//! A mailbox's owner sets a policy ([`hush_wire::Op::Policy`]): senders
//! blocked, senders allowed, and whether only allowed senders may write.
//! A create from a sender the policy refuses is stored exactly as any other
//! (same status, same slot, same later update, delete and mailbox-full
//! answers for its sender), with its entry marked hidden: the owner's
//! list, read, read-next and delete-next skip it, and it leaves with the
//! TTL. The check reads the mailbox block the create accesses anyway.

mod blocks;
mod config;
mod decode;
mod mailbox;
mod message_step;
mod policy;
mod sweep;
#[cfg(test)]
mod tests;

pub use crate::oblivious::HASH_KEY_LEN;
pub use config::{ConfigError, MAX_CAPACITY, MAX_SWEEP_PERIOD_SECS, StoreConfig};
pub(crate) use message_step::{MessageStep, SharedMessages, lock_messages};
pub use sweep::SWEEP_SLICES;

use crate::cluster::snapshot::{Visit, visit_array, visit_u8, visit_u32, visit_u64};
use crate::oblivious::ct::{self, cmov, sel_u8, sel_u32};
use crate::oblivious::free_list::FreeList;
use crate::oblivious::keyed_hash::KeyedHash;
use crate::oblivious::map::ObliviousMap;
use blocks::{ENTRY_HIDDEN, Entry, MailboxBlock, MessageBlock, POLICY_TAG_LEN, entry_time};
use decode::{caller_is_owner, mailbox_key, op_flags};
use hush_wire::consts::{ID_LEN, KEY_LEN};
use hush_wire::{RequestRecord, ResponseRecord, Status};
use subtle::{Choice, ConditionallySelectable};

use crate::oram::{ObliviousArray, OramFactory};

/// Byte offsets inside a message block (the wire layout).
const MSG_SENDER_AT: usize = ID_LEN;
const MSG_RECIPIENT_AT: usize = MSG_SENDER_AT + KEY_LEN;
const MSG_TIMESTAMP_AT: usize = MSG_RECIPIENT_AT + KEY_LEN;
const MSG_PAYLOAD_AT: usize = MSG_TIMESTAMP_AT + 8;

/// The trusted broker store. The host hands it request records and the
/// time; it has no clock, network or filesystem of its own.
pub struct Store {
    config: StoreConfig,
    /// Behind its own lock, so a request's message step can run while the
    /// next request begins (`message_step.rs`).
    messages: SharedMessages,
    mailboxes: Box<dyn ObliviousArray<MailboxBlock>>,
    directory: ObliviousMap,
    free_slots: FreeList,
    free_mailboxes: FreeList,
    hash: KeyedHash,
    now: u64,
    slot_cursor: u32,
    mailbox_cursor: u32,
    /// Slices of the current tick's sweep still to run (sliced ticks only;
    /// host-scheduled, so not part of a snapshot).
    slices_owed: u32,
    published_occupancy: u8,
}

/// The published occupancy is in steps of 1/OCCUPANCY_STEPS of capacity.
pub const OCCUPANCY_STEPS: u8 = 32;

/// What the mailbox access decided, for the accesses after it.
struct Decision {
    status: u8,
    slot: u32,
    create: Choice,
    update: Choice,
    remove: Choice,
    show_message: Choice,
    expected_id: [u8; ID_LEN],
    listing_count: u8,
}

impl Store {
    /// Its replicated state, for a snapshot (the configuration and the
    /// keyed-hash secret are the same on every replica).
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        visit_array(v, &mut **lock_messages(&self.messages));
        visit_array(v, &mut *self.mailboxes);
        self.directory.visit(v);
        self.free_slots.visit(v);
        self.free_mailboxes.visit(v);
        visit_u64(v, &mut self.now);
        visit_u32(v, &mut self.slot_cursor);
        visit_u32(v, &mut self.mailbox_cursor);
        visit_u8(v, &mut self.published_occupancy);
    }

    /// A store whose hashing secret is `secret` (tests use a fixed one).
    pub fn with_secret(
        config: StoreConfig,
        factory: &(impl OramFactory + Sync),
        secret: [u8; HASH_KEY_LEN],
    ) -> Self {
        // Start-up is mostly the kernel zeroing fresh memory: the message
        // array (the largest) is built on a second thread while this one
        // builds the rest, so both cores do it.
        let (messages, mailboxes, directory, free_slots, free_mailboxes) =
            std::thread::scope(|s| {
                let messages = s.spawn(|| factory.array("messages", config.capacity as usize));
                let mailboxes = factory.array("mailboxes", config.max_recipients as usize);
                let directory = ObliviousMap::new(factory, "directory", config.max_recipients);
                let free_slots = FreeList::new(factory, "free-slots", config.capacity);
                let free_mailboxes =
                    FreeList::new(factory, "free-mailboxes", config.max_recipients);
                let messages = messages.join().expect("building the message array");
                (messages, mailboxes, directory, free_slots, free_mailboxes)
            });
        Self {
            messages: std::sync::Arc::new(std::sync::Mutex::new(messages)),
            mailboxes,
            directory,
            free_slots,
            free_mailboxes,
            hash: KeyedHash::new(secret),
            config,
            now: 0,
            slot_cursor: 0,
            mailbox_cursor: 0,
            slices_owed: 0,
            published_occupancy: 0,
        }
    }

    /// A store with a fresh random hashing secret (from the OS-seeded CSPRNG).
    pub fn new(config: StoreConfig, factory: &(impl OramFactory + Sync)) -> Self {
        let mut secret = [0u8; HASH_KEY_LEN];
        rand::Rng::fill(&mut rand::rng(), &mut secret[..]);
        let s = Self::with_secret(config, factory, secret);
        zeroize::Zeroize::zeroize(&mut secret);
        s
    }

    /// The limits this store was built with.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The store's time: the largest `now` it was given.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Message slots in use (live, or expired and not yet swept). Exact,
    /// so secret: it moves with every create and delete that succeeds.
    /// Never hand it to the host; [`Store::published_occupancy`] is the
    /// figure that may leave.
    pub fn occupied_slots(&self) -> u32 {
        self.config.capacity - self.free_slots.count()
    }

    /// Occupancy in steps of 1/[`OCCUPANCY_STEPS`] of the capacity (rounded
    /// down), as of the end of the last complete sweep pass over the
    /// message slots; 0 before the first pass ends. It changes only on
    /// the sweep's public schedule, never because of a request, so it can
    /// be shown to the host: it tells the total held, to 1/32, once per
    /// sweep period.
    pub fn published_occupancy(&self) -> u8 {
        self.published_occupancy
    }

    fn publish_occupancy(&mut self) {
        // capacity is a power of two, so divide by shifting: a hardware
        // divide may take longer for some (secret) counts than others.
        let steps = (self.occupied_slots() as u64 * OCCUPANCY_STEPS as u64)
            >> self.config.capacity.trailing_zeros();
        self.published_occupancy = steps as u8;
    }

    fn advance_clock(&mut self, now: u64) {
        self.now = self.now.max(now);
    }

    /// Executes one request as `record.acting_as()`, whose possession the
    /// caller (the session layer) has verified. Same accesses and same
    /// response size for every record (see the module docs).
    pub fn execute(&mut self, record: &RequestRecord, now: u64) -> ResponseRecord {
        self.execute_authorized(record, Choice::from(1), now)
    }

    /// Executes one request; when the session has not proven
    /// `record.acting_as()`, the request does the same work, changes
    /// nothing and answers KEY_NOT_PROVEN (and a create without a credit,
    /// when tokens are required, NO_TOKENS: see [`Authority`]).
    pub fn execute_authorized(
        &mut self,
        record: &RequestRecord,
        authority: impl Into<Authority>,
        now: u64,
    ) -> ResponseRecord {
        let step = self.begin(record, authority.into(), now);
        step.run(&mut **lock_messages(&self.messages))
    }

    /// The message array, for running [`MessageStep`]s outside the store's
    /// lock (in the order their requests began: `message_stage.rs`).
    pub(crate) fn shared_messages(&self) -> SharedMessages {
        self.messages.clone()
    }

    /// A request's first four accesses (directory, mailbox, free slots,
    /// free mailboxes); the returned step makes the fifth, to the message
    /// slot, and finishes the answer. Until it has run, the store's
    /// message slots lag its mailboxes: run the steps in the order they
    /// were made, and all of them before anything else touches the message
    /// array.
    pub(crate) fn begin(
        &mut self,
        record: &RequestRecord,
        authority: Authority,
        now: u64,
    ) -> MessageStep {
        let is_create = subtle::ConstantTimeEq::ct_eq(&record.op_code(), &hush_wire::Op::CREATE);
        let authorized = authority.proven & (authority.may_create | !is_create);
        self.advance_clock(now);
        let now = self.now;
        let ttl = self.config.ttl_secs;
        let flags = op_flags(record, authorized);
        let key = mailbox_key(record, &flags);
        let by_owner = caller_is_owner(record, &key);
        let caller_tag = self.hash.sender_tag(record.acting_as());
        // The tag a policy request names (computed for every request).
        let subject_tag = self.hash.sender_tag(record.recipient());
        let caller_policy_tag: policy::PolicyTag =
            caller_tag[..POLICY_TAG_LEN].try_into().expect("tag prefix");
        let subject_policy_tag: policy::PolicyTag = subject_tag[..POLICY_TAG_LEN]
            .try_into()
            .expect("tag prefix");
        let (free_slot, has_slot) = self.free_slots.peek();
        let (free_mailbox, has_mailbox) = self.free_mailboxes.peek();

        // 1. directory: find the mailbox; a create or a policy may allocate one.
        let want_mailbox = ((flags.create & has_slot) | flags.policy) & has_mailbox;
        let found = self
            .directory
            .lookup_or_insert(&self.hash, &key, want_mailbox, free_mailbox);
        let real = found.found | found.inserted;

        // 2. mailbox: decide status and effects, update the entry list.
        let no = Choice::from(0);
        let mut d = Decision {
            status: 0,
            slot: 0,
            create: no,
            update: no,
            remove: no,
            show_message: no,
            expected_id: [0; ID_LEN],
            listing_count: 0,
        };
        // The response is filled as the accesses go: the listing here, the
        // status and message after the message slot's access.
        let mut response = ResponseRecord::zeroed();
        self.mailboxes
            .access(found.value as usize, &mut |block: &mut MailboxBlock| {
                let mut mb = *block;
                let fresh = MailboxBlock {
                    owner: key,
                    allocated: 1,
                    ..MailboxBlock::default()
                };
                cmov(&mut mb, &fresh, found.inserted);
                cmov(&mut mb, &MailboxBlock::default(), !real);
                mailbox::prune_expired(&mut mb, now, ttl);

                let (id_found, id_pos) = mailbox::find(&mb, record.id());
                // The owner's "oldest" is the oldest message it may see.
                let (visible, visible_pos) = mailbox::first_visible(&mb);
                let oldest = flags.oldest();
                let target_found = Choice::conditional_select(&id_found, &visible, oldest);
                let target_pos = sel_u32(id_pos, visible_pos, oldest);
                let target = mailbox::entry_at(&mb, target_pos);
                let permitted = by_owner | ct::eq_bytes(&target.sender_tag, &caller_policy_tag);
                let hit = target_found
                    & ((flags.read & !mailbox::hidden(&target))
                        | flags.read_next
                        | flags.delete_next
                        | ((flags.update | flags.delete) & permitted));

                let full = mailbox::is_full(&mb);
                let create_ok = flags.create & !id_found & !full & has_slot & real;
                let mut create_status = Status::TooManyRecipients.code();
                create_status = sel_u8(create_status, Status::StoreFull.code(), !has_slot);
                create_status = sel_u8(create_status, Status::MailboxFull.code(), full);
                create_status = sel_u8(create_status, Status::AlreadyExists.code(), id_found);
                create_status = sel_u8(create_status, Status::Ok.code(), create_ok);
                let targeted = sel_u8(Status::NotFound.code(), Status::Ok.code(), hit);
                // A policy change on the owner's own mailbox.
                let policy_fits = policy::apply(
                    &mut mb,
                    record.payload()[0],
                    &subject_policy_tag,
                    flags.policy & real,
                );
                let mut policy_status =
                    sel_u8(Status::PolicyFull.code(), Status::Ok.code(), policy_fits);
                policy_status = sel_u8(policy_status, Status::TooManyRecipients.code(), !real);

                let mut status = Status::InvalidRequest.code();
                status = sel_u8(status, Status::Ok.code(), flags.list);
                status = sel_u8(status, policy_status, flags.policy);
                status = sel_u8(status, targeted, flags.by_id() | oldest);
                status = sel_u8(status, create_status, flags.create);
                status = sel_u8(
                    status,
                    Status::KeyNotProven.code(),
                    flags.well_formed & !authorized,
                );
                status = sel_u8(
                    status,
                    Status::NoTokens.code(),
                    flags.well_formed & authority.proven & !authorized,
                );

                let update = flags.update & hit;
                let remove = flags.removes() & hit;
                mailbox::remove_at(&mut mb, target_pos, update | remove);
                let mut moved = target;
                moved.timestamp = entry_time(now);
                mailbox::append(&mut mb, &moved, update);
                // A blocked or disallowed sender's message is stored as any
                // other, hidden from the owner (never the owner's own).
                let hide = !by_owner & policy::hides(&mb, &caller_policy_tag);
                let created = Entry {
                    id: *record.id(),
                    sender_tag: caller_policy_tag,
                    timestamp: entry_time(now),
                    slot_and_flags: free_slot | sel_u32(0, ENTRY_HIDDEN, hide),
                };
                mailbox::append(&mut mb, &created, create_ok);

                let show_listing = flags.on_own_mailbox() & real;
                let (listing, visible_count) = mailbox::listing(&mb);
                ct::cmov_bytes(response.listing_mut(), &listing, show_listing);
                d = Decision {
                    status,
                    slot: sel_u32(target.slot(), free_slot, flags.create),
                    create: create_ok,
                    update,
                    remove,
                    show_message: create_ok | hit,
                    expected_id: target.id,
                    listing_count: sel_u8(0, visible_count as u8, show_listing),
                };
                cmov(block, &mb, real);
            });

        // 3, 4. free lists: take a slot on create, return one on delete;
        // take a mailbox when the directory allocated one.
        self.free_slots.step(d.create, d.remove, d.slot);
        self.free_mailboxes.step(found.inserted, Choice::from(0), 0);

        // 5. message slot (MessageStep::run): write, update, read or clear.
        let mut created = MessageBlock::default();
        created.bytes[..ID_LEN].copy_from_slice(record.id());
        created.bytes[MSG_SENDER_AT..MSG_RECIPIENT_AT].copy_from_slice(record.acting_as());
        created.bytes[MSG_RECIPIENT_AT..MSG_TIMESTAMP_AT].copy_from_slice(&key);
        created.bytes[MSG_TIMESTAMP_AT..MSG_PAYLOAD_AT].copy_from_slice(&now.to_le_bytes());
        created.bytes[MSG_PAYLOAD_AT..].copy_from_slice(record.payload());
        response.set_status_code(d.status);
        response.set_listing_count(d.listing_count);
        MessageStep {
            slot: d.slot,
            create: d.create,
            update: d.update,
            remove: d.remove,
            show: d.show_message,
            expected_id: d.expected_id,
            created,
            response,
        }
    }
}

/// What the session layer established about a broker request's caller.
#[derive(Clone, Copy)]
pub struct Authority {
    /// The session has proven the key the record acts as.
    pub proven: Choice,
    /// A create may go ahead: tokens are not required, or the session had
    /// a credit (which [`Authority::of`] has spent).
    pub may_create: Choice,
}

impl From<Choice> for Authority {
    /// Proven or not, with no token requirement.
    fn from(proven: Choice) -> Self {
        Self {
            proven,
            may_create: Choice::from(1),
        }
    }
}

impl Authority {
    /// Decides for `record` from the caller's proven keys and credits, and
    /// spends a credit for a proven create that may go ahead (whatever its
    /// outcome in the store: a token pays for attempts). Constant time.
    pub(crate) fn of(record: &RequestRecord, caller: &super::Caller<'_>) -> Self {
        // Constant time over every key slot: is the acting-as key proven?
        let proven = caller.keys.contains(record.acting_as());
        let is_create = subtle::ConstantTimeEq::ct_eq(&record.op_code(), &hush_wire::Op::CREATE);
        let may_create = caller.may_write();
        caller.spend(proven & is_create & may_create);
        Self { proven, may_create }
    }
}

impl super::TrustedService for Store {
    const ID: super::ServiceId = super::ServiceId::Broker;
    const REQUEST_LEN: usize = hush_wire::consts::REQUEST_LEN;
    const RESPONSE_LEN: usize = hush_wire::consts::RESPONSE_LEN;

    fn execute(&mut self, request: &[u8], caller: &super::Caller<'_>, now: u64) -> Vec<u8> {
        let record =
            RequestRecord::from_bytes(request).expect("the session layer checks the length");
        let authority = Authority::of(&record, caller);
        self.execute_authorized(&record, authority, now)
            .as_bytes()
            .to_vec()
    }

    fn tick(&mut self, now: u64) {
        Store::tick(self, now);
    }
}

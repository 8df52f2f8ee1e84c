//! Who takes part in what: every convener's and participant's list of
//! computations, for the list op, kept without revealing whose list a
//! request reads or writes.
//!
//! # Layout
//!
//! | structure | blocks | block | holds |
//! |---|---|---|---|
//! | `members` | max members / 4 (pow2) buckets | 512 B | keyed digest of a member's key -> list index |
//! | `member-lists` | max members | 1040 B | the member's [`MAX_LISTED`] most recent computations (a ring) |
//!
//! # Deferred appends
//!
//! A create adds one entry for its convener and one for each participant:
//! up to [`MAX_PARTICIPANTS`] + 1 list writes, too many for every request
//! to pay for. So a create queues them here, in enclave memory, as one
//! element of [`PENDING_CREATES`], and each [`Members::step`] moves one
//! entry into its member's list: every rendezvous request makes one step
//! (a list request reads its caller's list instead), and every tick makes
//! [`DRAIN_PER_TICK`]. A step is one `members` access and one
//! `member-lists` access whether or not it has anything to move (DESIGN.md
//! rule 4). A list answer counts the caller's entries still queued, so a
//! client can ask again a moment later.
//!
//! When the queue is full, or the members its entries might add would not
//! fit until they are moved, a create answers BUSY and changes nothing;
//! when its members could never fit, FULL. Both count the most a create
//! could need (every participant new), never the actual number, so
//! neither answer depends on who takes part.
//!
//! The queue is always scanned whole, so which element or member a step
//! touches does not show in enclave memory accesses either.

use super::blocks::MemberListBlock;
use crate::cluster::snapshot::{Visit, visit_array, visit_u32};
use crate::oblivious::ct::{as_u32, cmov, cmov_bytes, eq_bytes, eq_u32, lt_u32, sel_u8, sel_u32};
use crate::oblivious::keyed_hash::KeyedHash;
use crate::oblivious::map::{MapOp, ObliviousMap};
use crate::oram::{ObliviousArray, OramFactory};
use hush_wire::consts::{KEY_LEN, LISTED_COMPUTATION_LEN, MAX_LISTED, MAX_PARTICIPANTS};
use hush_wire::rendezvous::{Role, entry_offsets};
use subtle::{Choice, ConditionallySelectable, ConstantTimeLess};

/// Creates whose entries can wait at once.
pub(crate) const PENDING_CREATES: usize = 16;
/// Entries each tick moves into lists (one step each, real or not).
pub(crate) const DRAIN_PER_TICK: usize = 16;
/// Entries one create adds at most: its convener and every participant.
pub(crate) const ENTRIES_PER_CREATE: usize = MAX_PARTICIPANTS + 1;
/// Bytes of a member-key digest the map keeps.
const MAP_KEY_LEN: usize = 24;
const DOMAIN_MEMBER: &[u8] = b"hush.rendezvous.member.v1";
/// The map key of a step with nothing to move: no member's digest (those
/// are keyed hashes; hitting this constant is negligible), never inserted.
const IDLE_KEY: [u8; MAP_KEY_LEN] = [0xdd; MAP_KEY_LEN];
/// Bytes of a list answer's entries.
pub(crate) const LISTING_LEN: usize = MAX_LISTED * LISTED_COMPUTATION_LEN;

/// One queued create: its list entry and the members to give it to.
#[derive(Clone, Copy)]
struct QueuedCreate {
    /// The entry, role byte zero (each member's is in `roles`).
    entry: [u8; LISTED_COMPUTATION_LEN],
    /// Members, packed: the first `count` are real.
    members: [[u8; KEY_LEN]; ENTRIES_PER_CREATE],
    roles: [u8; ENTRIES_PER_CREATE],
    count: u32,
    /// Members already moved into their lists.
    done: u32,
}

impl QueuedCreate {
    const EMPTY: Self = Self {
        entry: [0; LISTED_COMPUTATION_LEN],
        members: [[0; KEY_LEN]; ENTRIES_PER_CREATE],
        roles: [0; ENTRIES_PER_CREATE],
        count: 0,
        done: 0,
    };

    /// `if c { *self = *other }`, in constant time.
    fn assign(&mut self, other: &Self, c: Choice) {
        cmov_bytes(&mut self.entry, &other.entry, c);
        for (a, b) in self.members.iter_mut().zip(other.members.iter()) {
            cmov_bytes(a, b, c);
        }
        cmov_bytes(&mut self.roles, &other.roles, c);
        self.count.conditional_assign(&other.count, c);
        self.done.conditional_assign(&other.done, c);
    }
}

/// What a step answers a list request.
pub(crate) struct Listed {
    /// The caller's list entries (zeros where none, or when not listing).
    pub(crate) entries: [u8; LISTING_LEN],
    /// The caller's entries still queued (capped at 255).
    pub(crate) adding: u8,
}

/// Every member's list, and the entries on their way there.
pub(crate) struct Members {
    map: ObliviousMap<MAP_KEY_LEN>,
    lists: Box<dyn ObliviousArray<MemberListBlock>>,
    max: u32,
    used: u32,
    queue: [QueuedCreate; PENDING_CREATES],
    head: u32,
    len: u32,
    /// Members the queued creates may still add (their entries not moved).
    reserved: u32,
}

impl Members {
    /// Its state, for a snapshot.
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        self.map.visit(v);
        visit_array(v, &mut *self.lists);
        visit_u32(v, &mut self.used);
        for q in &mut self.queue {
            v.bytes(&mut q.entry);
            for m in &mut q.members {
                v.bytes(m);
            }
            v.bytes(&mut q.roles);
            visit_u32(v, &mut q.count);
            visit_u32(v, &mut q.done);
        }
        visit_u32(v, &mut self.head);
        visit_u32(v, &mut self.len);
        visit_u32(v, &mut self.reserved);
    }

    /// Lists for `max_members` members (a power of two).
    pub(crate) fn new(factory: &impl OramFactory, max_members: u32) -> Self {
        Self {
            map: ObliviousMap::new(factory, "members", max_members),
            lists: factory.array("member-lists", max_members as usize),
            max: max_members,
            used: 0,
            queue: [QueuedCreate::EMPTY; PENDING_CREATES],
            head: 0,
            len: 0,
            reserved: 0,
        }
    }

    /// Whether a create's entries can be queued now (else BUSY): a free
    /// queue element, and room for its members even if every queued entry
    /// turns out to be a new member.
    pub(crate) fn queue_room(&self) -> Choice {
        let need = self.used as u64 + self.reserved as u64 + ENTRIES_PER_CREATE as u64;
        lt_u32(self.len, PENDING_CREATES as u32) & !(self.max as u64).ct_lt(&need)
    }

    /// Whether a create's members could ever fit (else FULL), counting
    /// every participant as new.
    pub(crate) fn member_room(&self) -> Choice {
        let need = self.used as u64 + ENTRIES_PER_CREATE as u64;
        !(self.max as u64).ct_lt(&need)
    }

    /// Queues a create's entries when `doit` (the caller checked both
    /// rooms): `entry` for the convener and each of the first `count`
    /// participants; a convener who is also a participant gets one entry
    /// with both roles.
    pub(crate) fn push(
        &mut self,
        entry: &[u8; LISTED_COMPUTATION_LEN],
        convener: &[u8; KEY_LEN],
        participants: &[[u8; KEY_LEN]; MAX_PARTICIPANTS],
        count: u32,
        doit: Choice,
    ) {
        // Everyone's candidate entry, then packed so the real ones come first.
        let mut who = [[0u8; KEY_LEN]; ENTRIES_PER_CREATE];
        let mut roles = [0u8; ENTRIES_PER_CREATE];
        let mut real = [Choice::from(0); ENTRIES_PER_CREATE];
        who[0] = *convener;
        roles[0] = Role::CONVENER;
        real[0] = Choice::from(1);
        for (i, p) in participants.iter().enumerate() {
            let also_convener = eq_bytes(p, convener);
            roles[0] |= sel_u8(
                0,
                Role::PARTICIPANT,
                also_convener & lt_u32(i as u32, count),
            );
            who[i + 1] = *p;
            roles[i + 1] = Role::PARTICIPANT;
            real[i + 1] = lt_u32(i as u32, count) & !also_convener;
        }
        let mut element = QueuedCreate {
            entry: *entry,
            ..QueuedCreate::EMPTY
        };
        let mut at = 0u32;
        for j in 0..ENTRIES_PER_CREATE {
            for t in 0..ENTRIES_PER_CREATE {
                let here = real[j] & eq_u32(t as u32, at);
                cmov_bytes(&mut element.members[t], &who[j], here);
                element.roles[t] = sel_u8(element.roles[t], roles[j], here);
            }
            at += as_u32(real[j]);
        }
        element.count = at;
        let n = PENDING_CREATES as u32;
        let tail = (self.head + self.len) % n;
        for (s, q) in self.queue.iter_mut().enumerate() {
            q.assign(&element, doit & eq_u32(s as u32, tail));
        }
        self.len += as_u32(doit);
        self.reserved += sel_u32(0, at, doit);
    }

    /// One step: when `list`, reads `caller`'s list; otherwise moves the
    /// oldest queued entry (if any) into its member's list. Either way one
    /// `members` access and one `member-lists` access.
    pub(crate) fn step(
        &mut self,
        hash: &KeyedHash,
        list: Choice,
        caller: &[u8; KEY_LEN],
    ) -> Listed {
        let n = PENDING_CREATES as u32;
        // The oldest create, and its next member.
        let mut head = QueuedCreate::EMPTY;
        for (s, q) in self.queue.iter().enumerate() {
            head.assign(q, eq_u32(s as u32, self.head));
        }
        let mut member = [0u8; KEY_LEN];
        let mut role = 0u8;
        for (t, m) in head.members.iter().enumerate() {
            let here = eq_u32(t as u32, head.done);
            cmov_bytes(&mut member, m, here);
            role = sel_u8(role, head.roles[t], here);
        }
        let drain = !list & !eq_u32(self.len, 0);
        cmov_bytes(&mut member, caller, list);
        let digest = hash.digest(DOMAIN_MEMBER, &member);
        let mut key = IDLE_KEY;
        cmov_bytes(
            &mut key,
            digest[..MAP_KEY_LEN].try_into().expect("prefix"),
            list | drain,
        );
        let found = self.map.apply(
            hash,
            &key,
            MapOp {
                insert: drain,
                value: self.used,
                ..MapOp::get()
            },
        );
        self.used += as_u32(found.inserted);
        let present = found.found | found.inserted;

        let mut entry = head.entry;
        entry[entry_offsets::ROLE] = role;
        let mut entries = [0u8; LISTING_LEN];
        self.lists
            .access(found.value as usize, &mut |b: &mut MemberListBlock| {
                let mut l = MemberListBlock::default();
                cmov(&mut l, b, found.found);
                append(&mut l, &entry, drain & present);
                let show = list & found.found;
                for (i, e) in l.entries.iter().enumerate() {
                    let mut shown = [0u8; LISTED_COMPUTATION_LEN];
                    cmov_bytes(&mut shown, e, show);
                    entries[i * LISTED_COMPUTATION_LEN..(i + 1) * LISTED_COMPUTATION_LEN]
                        .copy_from_slice(&shown);
                }
                cmov(b, &l, present);
            });

        // The caller's entries still queued.
        let mut adding = 0u32;
        for (s, q) in self.queue.iter().enumerate() {
            let queued = lt_u32((s as u32 + n - self.head) % n, self.len);
            let first = sel_u32(0, q.done, eq_u32(s as u32, self.head));
            for (t, m) in q.members.iter().enumerate() {
                let waiting = queued & lt_u32(t as u32, q.count) & !lt_u32(t as u32, first);
                adding += as_u32(waiting & eq_bytes(m, caller));
            }
        }
        let adding = sel_u32(0, sel_u32(adding, 255, lt_u32(255, adding)), list) as u8;

        // Moved: the next member, or the next create.
        let moved = drain & present;
        let finished = moved & eq_u32(head.done + 1, head.count);
        for (s, q) in self.queue.iter_mut().enumerate() {
            let here = moved & eq_u32(s as u32, self.head);
            q.done = sel_u32(q.done, q.done + 1, here);
        }
        self.reserved -= as_u32(moved);
        self.head = sel_u32(self.head, (self.head + 1) % n, finished);
        self.len -= as_u32(finished);
        Listed { entries, adding }
    }

    /// A tick's steps: [`DRAIN_PER_TICK`] moves, real or not.
    pub(crate) fn tick(&mut self, hash: &KeyedHash) {
        for _ in 0..DRAIN_PER_TICK {
            self.step(hash, Choice::from(0), &[0; KEY_LEN]);
        }
    }
}

/// Adds `entry` to the ring when `doit`, numbered with the ring's count.
fn append(l: &mut MemberListBlock, entry: &[u8; LISTED_COMPUTATION_LEN], doit: Choice) {
    let mut e = *entry;
    e[entry_offsets::ORDER..entry_offsets::ORDER + 4].copy_from_slice(&l.appended.to_le_bytes());
    let at = l.appended % MAX_LISTED as u32;
    for (i, slot) in l.entries.iter_mut().enumerate() {
        cmov_bytes(slot, &e, doit & eq_u32(i as u32, at));
    }
    l.appended += as_u32(doit);
}

//! The rendezvous service: one-off computations among named participants
//! (average, minimum, maximum, key matching), released only at quorum and
//! then locked, so every participant gets the same answer.
//!
//! # Layout
//!
//! | structure | blocks | block | holds |
//! |---|---|---|---|
//! | `computations-by-id` | max computations / 4 (pow2) buckets | 512 B | keyed digest of a computation id -> index |
//! | `computations` | max computations | 1536 B | convener, name, type, quorum, 8 participants and their submissions, the locked set and result |
//!
//! # Access sequence
//!
//! Every request, whatever its op, arguments and outcome, makes exactly
//! `computations-by-id` x1 then `computations` x1, and returns a
//! [`RENDEZVOUS_RESPONSE_LEN`]-byte record. Computations take the next
//! index and are never freed (closing one stops its submissions).
//!
//! # Epochs
//!
//! Each start of the enclave has a new epoch ([`hush_attest::epoch_of`] its
//! fresh Noise static key, so the attestation evidence binds it), the
//! first 8 bytes of every computation id it makes. An id from another epoch answers
//! EPOCH_CHANGED ("gone"), never someone else's result: a host that
//! restarts the enclave and replays some submissions cannot make a client
//! accept a different answer under the same id.
//!
//! # Numbers
//!
//! Values are i64 within +/-2^59 (so eight of them add up without
//! overflow); an average is their sum divided by their count, rounded
//! towards zero, the division done by each possible count (1 to 8, public
//! constants) and the right quotient selected in constant time.

mod blocks;
mod members;
#[cfg(test)]
mod tests;

use crate::cluster::snapshot::{Visit, visit_array, visit_rng, visit_u32, visit_u64};
use crate::oblivious::HASH_KEY_LEN;
use crate::oblivious::ct::{
    as_u32, cmov, cmov_bytes, eq_bytes, eq_u32, is_zero, lt_u32, sel_u8, sel_u32,
};
use crate::oblivious::keyed_hash::KeyedHash;
use crate::oblivious::map::{MapOp, ObliviousMap};
use crate::oram::{ObliviousArray, OramFactory};
use blocks::ComputationBlock;
use hush_wire::consts::{
    COMPUTATION_ID_LEN, COMPUTATION_NAME_LEN, KEY_LEN, LISTED_COMPUTATION_LEN, MATCH_KEY_LEN,
    MATCH_MESSAGE_LEN, MAX_PARTICIPANTS, RENDEZVOUS_REQUEST_LEN, RENDEZVOUS_RESPONSE_LEN,
};
use hush_wire::rendezvous::{
    ADDING_AT, AREA_AT, ComputationType, LISTING_AT, RendezvousOp, RendezvousStatus, entry_offsets,
    offsets,
};
use members::Members;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeLess};

/// Largest magnitude of a submitted number.
pub const MAX_VALUE: i64 = 1 << 59;
/// Bytes of an id digest the map keeps.
const MAP_KEY_LEN: usize = 24;
const DOMAIN_ID: &[u8] = b"hush.rendezvous.id.v1";

/// The rendezvous service's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RendezvousConfig {
    /// Computations it holds (a power of two).
    pub max_computations: u32,
    /// Conveners and participants it keeps lists for (a power of two).
    pub max_members: u32,
}

/// Members per computation [`RendezvousConfig::new`] provides for.
pub const MEMBERS_PER_COMPUTATION: u32 = 4;

/// Domain of the new computation ids' random stream.
const IDS_DOMAIN: &[u8] = b"hush.rendezvous.ids.v1";

/// The trusted rendezvous service.
pub struct Rendezvous {
    config: RendezvousConfig,
    ids: ObliviousMap<MAP_KEY_LEN>,
    computations: Box<dyn ObliviousArray<ComputationBlock>>,
    members: Members,
    next: u32,
    epoch: u64,
    hash: KeyedHash,
    /// Where new computation ids come from (seeded from the secret).
    id_stream: rand_chacha::ChaCha20Rng,
    now: u64,
}

/// A status chooser: the last matching rule wins.
#[derive(Clone, Copy)]
struct Verdict(u8);

impl Verdict {
    fn ok() -> Self {
        Self(RendezvousStatus::Ok.code())
    }
    fn unless(&mut self, bad: Choice, s: RendezvousStatus) {
        self.0 = sel_u8(self.0, s.code(), bad);
    }
    fn is_ok(&self) -> Choice {
        self.0.ct_eq(&RendezvousStatus::Ok.code())
    }
}

/// `a < b` for i64, in constant time.
fn lt_i64(a: i64, b: i64) -> Choice {
    const BIAS: u64 = 1 << 63;
    ((a as u64) ^ BIAS).ct_lt(&((b as u64) ^ BIAS))
}

/// `sum / n` for n in 1..=8 (0 when n is 0), in constant time: every
/// quotient by a constant, then a constant-time pick.
fn average(sum: i64, n: u32) -> i64 {
    let qs = [
        0,
        sum,
        sum / 2,
        sum / 3,
        sum / 4,
        sum / 5,
        sum / 6,
        sum / 7,
        sum / 8,
    ];
    let mut out = 0i64;
    for (k, q) in qs.iter().enumerate() {
        out = i64::conditional_select(&out, q, eq_u32(k as u32, n));
    }
    out
}

impl Rendezvous {
    /// Its replicated state, for a snapshot.
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        self.ids.visit(v);
        visit_array(v, &mut *self.computations);
        self.members.visit(v);
        visit_u32(v, &mut self.next);
        visit_u64(v, &mut self.epoch);
        visit_rng(v, &mut self.id_stream);
        visit_u64(v, &mut self.now);
    }

    /// A service with this hashing secret and epoch (tests fix both).
    pub fn with_secret(
        config: RendezvousConfig,
        factory: &impl OramFactory,
        secret: [u8; HASH_KEY_LEN],
        epoch: u64,
    ) -> Self {
        assert!(config.max_computations.is_power_of_two(), "a power of two");
        assert!(config.max_members.is_power_of_two(), "a power of two");
        Self {
            members: Members::new(factory, config.max_members),
            ids: ObliviousMap::new(factory, "computations-by-id", config.max_computations),
            computations: factory.array("computations", config.max_computations as usize),
            next: 0,
            epoch,
            hash: KeyedHash::new(secret),
            id_stream: KeyedHash::new(secret).stream(IDS_DOMAIN),
            config,
            now: 0,
        }
    }

    /// A service with a fresh secret, in `epoch` (the enclave's:
    /// [`hush_attest::epoch_of`] its Noise static key, new at every start).
    pub fn new(config: RendezvousConfig, factory: &impl OramFactory, epoch: u64) -> Self {
        let mut secret = [0u8; HASH_KEY_LEN];
        rand::Rng::fill(&mut rand::rng(), &mut secret[..]);
        let s = Self::with_secret(config, factory, secret, epoch);
        zeroize::Zeroize::zeroize(&mut secret);
        s
    }

    /// This run's epoch (public: it is in every id, and the evidence).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Executes one request record (exactly [`RENDEZVOUS_REQUEST_LEN`]
    /// bytes); `authorized` is whether the session proved the acting-as key.
    // The loops walk the participant slots, indexing several parallel
    // arrays of the block by slot.
    #[allow(clippy::needless_range_loop)]
    pub fn execute_record(
        &mut self,
        r: &[u8],
        authorized: Choice,
        now: u64,
    ) -> [u8; RENDEZVOUS_RESPONSE_LEN] {
        use offsets::*;
        assert_eq!(
            r.len(),
            RENDEZVOUS_REQUEST_LEN,
            "the session layer checks the length"
        );
        self.now = self.now.max(now);
        let now = self.now;
        let op = r[0];
        let create = op.ct_eq(&RendezvousOp::CREATE);
        let submit = op.ct_eq(&RendezvousOp::SUBMIT);
        let result = op.ct_eq(&RendezvousOp::RESULT);
        let close = op.ct_eq(&RendezvousOp::CLOSE);
        let list = op.ct_eq(&RendezvousOp::LIST);
        let acting_as: &[u8; KEY_LEN] = r[ACTING_AS..ID].try_into().expect("key");
        let kind = r[TYPE];
        let quorum = r[QUORUM] as u32;
        let count = r[COUNT] as u32;
        let deadline = u64::from_le_bytes(r[DEADLINE..NAME].try_into().expect("8"));
        let value = i64::from_le_bytes(r[VALUE..MATCH_KEY].try_into().expect("8"));
        let key: &[u8; MATCH_KEY_LEN] = r[MATCH_KEY..MESSAGE].try_into().expect("key");
        let message: &[u8; MATCH_MESSAGE_LEN] = r[MESSAGE..].try_into().expect("message");

        // Well-formed (the typed decoder's rules that matter here).
        let kind_ok = lt_u32(0, kind as u32) & lt_u32(kind as u32, 5);
        let number = kind.ct_eq(&(ComputationType::Average as u8));
        let keyed = kind.ct_eq(&(ComputationType::KeyMatch as u8));
        let mut participants = [[0u8; KEY_LEN]; MAX_PARTICIPANTS];
        for (i, p) in participants.iter_mut().enumerate() {
            let at = PARTICIPANTS + i * KEY_LEN;
            p.copy_from_slice(&r[at..at + KEY_LEN]);
        }
        let mut participants_ok = Choice::from(1);
        for (i, p) in participants.iter().enumerate() {
            let zero = is_zero(p);
            participants_ok &= Choice::conditional_select(&zero, &!zero, lt_u32(i as u32, count));
            // Each once.
            for q in &participants[..i] {
                participants_ok &= !(eq_bytes(p, q) & !zero);
            }
        }
        let create_ok = kind_ok
            & lt_u32(0, count)
            & !lt_u32(MAX_PARTICIPANTS as u32, count)
            & lt_u32(0, quorum)
            & !lt_u32(count, quorum)
            & participants_ok
            & !is_zero(&r[NAME..NAME + COMPUTATION_NAME_LEN]);
        let in_range = !lt_i64(value, -MAX_VALUE) & !lt_i64(MAX_VALUE, value);
        let submit_ok = (number & in_range)
            | (keyed & !is_zero(key) & !lt_u32(MATCH_MESSAGE_LEN as u32 - 1, message[0] as u32));
        let well_formed = (create | submit | result | close | list)
            & !is_zero(acting_as)
            & is_zero(&r[1..ACTING_AS])
            & (!create | create_ok)
            & (!submit | submit_ok);
        let go = well_formed & authorized;

        // The id: a new one for create (this epoch, 8 random bytes).
        let mut fresh = [0u8; COMPUTATION_ID_LEN];
        fresh[..8].copy_from_slice(&self.epoch.to_le_bytes());
        rand::Rng::fill(&mut self.id_stream, &mut fresh[8..]);
        let mut id: [u8; COMPUTATION_ID_LEN] = r[ID..TYPE].try_into().expect("id");
        cmov_bytes(&mut id, &fresh, create);
        let this_epoch = eq_bytes(&id[..8], &self.epoch.to_le_bytes());
        let digest = self.hash.digest(DOMAIN_ID, &id);
        let map_key: [u8; MAP_KEY_LEN] = digest[..MAP_KEY_LEN].try_into().expect("prefix");

        // 1. computations-by-id: find it; a create makes one.
        let queue_room = self.members.queue_room();
        let has_room = lt_u32(self.next, self.config.max_computations) & self.members.member_room();
        let found = self.ids.apply(
            &self.hash,
            &map_key,
            MapOp {
                insert: go & create & has_room & queue_room,
                value: self.next,
                ..MapOp::get()
            },
        );
        let created = found.inserted;
        self.next += as_u32(created);

        // 2. computations: everything else.
        let mut out = [0u8; RENDEZVOUS_RESPONSE_LEN];
        let mut ok = Choice::from(0);
        self.computations
            .access(found.value as usize, &mut |b: &mut ComputationBlock| {
                let mut c = ComputationBlock::default();
                cmov(&mut c, b, found.found);
                let mut made = ComputationBlock {
                    id,
                    convener: *acting_as,
                    used: 1,
                    kind: kind as u32,
                    quorum,
                    count,
                    deadline,
                    ..ComputationBlock::default()
                };
                made.name
                    .copy_from_slice(&r[NAME..NAME + COMPUTATION_NAME_LEN]);
                for (i, p) in made.participants.iter_mut().enumerate() {
                    let at = PARTICIPANTS + i * KEY_LEN;
                    p.copy_from_slice(&r[at..at + KEY_LEN]);
                }
                cmov(&mut c, &made, created);
                let exists = found.found | created;

                let mut me = Choice::from(0);
                let mut slot = 0u32;
                for (i, p) in c.participants.iter().enumerate() {
                    let hit = lt_u32(i as u32, c.count) & eq_bytes(p, acting_as) & !me;
                    slot = sel_u32(slot, i as u32, hit);
                    me |= hit;
                }
                let convener = eq_bytes(&c.convener, acting_as);
                let locked = !eq_u32(c.locked, 0);
                let open = eq_u32(c.closed, 0)
                    & (eq_u32(c.deadline as u32, 0) & eq_u32((c.deadline >> 32) as u32, 0)
                        | !lt_u64(c.deadline, now));
                let c_keyed = eq_u32(c.kind, ComputationType::KeyMatch as u32);

                // submit
                let mut v = Verdict::ok();
                v.unless(!open, RendezvousStatus::Closed);
                v.unless(locked, RendezvousStatus::Locked);
                v.unless(
                    !Choice::conditional_select(&number, &keyed, c_keyed),
                    RendezvousStatus::WrongType,
                );
                v.unless(!me, RendezvousStatus::NotParticipant);
                let submit_v = v;
                let store = submit & go & exists & submit_v.is_ok();
                for i in 0..MAX_PARTICIPANTS {
                    let here = store & eq_u32(i as u32, slot);
                    c.submitted[i] = sel_u32(c.submitted[i], 1, here);
                    c.values[i] = i64::conditional_select(&c.values[i], &value, here);
                    cmov_bytes(&mut c.keys[i], key, here);
                    cmov_bytes(&mut c.messages[i], message, here);
                }

                // result: the set is the locked one, or every submission.
                let mut set = [0u32; MAX_PARTICIPANTS];
                let mut n = 0u32;
                for i in 0..MAX_PARTICIPANTS {
                    set[i] = sel_u32(c.submitted[i], c.in_result[i], locked);
                    n += set[i];
                }
                let quorate = !lt_u32(n, c.quorum);
                // Key matching: the caller's own key, and who else submitted it.
                let mut my_key = [0u8; MATCH_KEY_LEN];
                let mut mine = Choice::from(0);
                for i in 0..MAX_PARTICIPANTS {
                    let here = eq_u32(i as u32, slot) & !eq_u32(set[i], 0);
                    cmov_bytes(&mut my_key, &c.keys[i], here);
                    mine |= here;
                }
                let mut same = [Choice::from(0); MAX_PARTICIPANTS];
                let mut n_same = 0u32;
                for i in 0..MAX_PARTICIPANTS {
                    same[i] = !eq_u32(set[i], 0) & eq_bytes(&c.keys[i], &my_key) & mine;
                    n_same += as_u32(same[i]);
                }
                let matched = !lt_u32(n_same, c.quorum);
                let mut v = Verdict::ok();
                v.unless(c_keyed & !matched, RendezvousStatus::NoMatch);
                v.unless(!quorate, RendezvousStatus::NoQuorum);
                v.unless(!me, RendezvousStatus::NotParticipant);
                let result_v = v;
                let release = result & go & exists & result_v.is_ok();
                // The first release fixes the set and the number results.
                let lock_now = release & !locked;
                let mut sum = 0i64;
                let mut best = 0i64;
                let mut best_slot = 0u32;
                let mut first = Choice::from(1);
                let lowest = eq_u32(c.kind, ComputationType::Minimum as u32);
                for i in 0..MAX_PARTICIPANTS {
                    let inn = !eq_u32(set[i], 0);
                    let x = c.values[i];
                    sum = sum.wrapping_add(i64::conditional_select(&0, &x, inn));
                    let better =
                        Choice::conditional_select(&lt_i64(best, x), &lt_i64(x, best), lowest);
                    let take = inn & (first | better);
                    best = i64::conditional_select(&best, &x, take);
                    best_slot = sel_u32(best_slot, i as u32, take);
                    first &= !inn;
                }
                let avg = average(sum, n);
                let number_result = i64::conditional_select(
                    &best,
                    &avg,
                    eq_u32(c.kind, ComputationType::Average as u32),
                );
                for i in 0..MAX_PARTICIPANTS {
                    c.in_result[i] = sel_u32(c.in_result[i], set[i], lock_now);
                }
                c.result_value = i64::conditional_select(&c.result_value, &number_result, lock_now);
                c.result_slot = sel_u32(c.result_slot, best_slot, lock_now);
                c.locked = sel_u32(c.locked, 1, lock_now);

                // close
                let mut v = Verdict::ok();
                v.unless(!convener, RendezvousStatus::NotConvener);
                let close_v = v;
                c.closed = sel_u32(c.closed, 1, close & go & exists & close_v.is_ok());

                // create
                let mut v = Verdict::ok();
                v.unless(!has_room, RendezvousStatus::Full);
                v.unless(!queue_room, RendezvousStatus::Busy);
                v.unless(!created & has_room & queue_room, RendezvousStatus::Full);
                let create_v = v;

                let mut status = RendezvousStatus::InvalidRequest.code();
                status = sel_u8(status, create_v.0, create);
                let mut targeted = RendezvousStatus::NotFound.code();
                targeted = sel_u8(targeted, submit_v.0, submit & exists);
                targeted = sel_u8(targeted, result_v.0, result & exists);
                targeted = sel_u8(targeted, close_v.0, close & exists);
                targeted = sel_u8(targeted, RendezvousStatus::EpochChanged.code(), !this_epoch);
                status = sel_u8(status, targeted, submit | result | close);
                status = sel_u8(status, RendezvousStatus::Ok.code(), list);
                status = sel_u8(
                    status,
                    RendezvousStatus::InvalidRequest.code(),
                    !well_formed,
                );
                status = sel_u8(
                    status,
                    RendezvousStatus::KeyNotProven.code(),
                    well_formed & !authorized,
                );
                ok = status.ct_eq(&RendezvousStatus::Ok.code());

                // The answer: the computation's public facts for anyone the
                // op succeeded for, the result only on a release.
                out[0] = status;
                out[1] = sel_u8(0, c.kind as u8, ok);
                out[2] = sel_u8(0, c.quorum as u8, ok);
                out[3] = sel_u8(0, n as u8, ok);
                out[4] = sel_u8(0, 1, ok & !eq_u32(c.locked, 0));
                let mut shown_id = [0u8; COMPUTATION_ID_LEN];
                cmov_bytes(&mut shown_id, &c.id, ok);
                out[8..24].copy_from_slice(&shown_id);
                let numeric = release & !c_keyed;
                let shown_value = i64::conditional_select(
                    &0,
                    &c.result_value,
                    numeric & eq_u32(c.kind, ComputationType::Average as u32),
                );
                out[24..32].copy_from_slice(&shown_value.to_le_bytes());
                let mut who = [0u8; KEY_LEN];
                for (i, p) in c.participants.iter().enumerate() {
                    cmov_bytes(
                        &mut who,
                        p,
                        numeric
                            & !eq_u32(c.kind, ComputationType::Average as u32)
                            & eq_u32(i as u32, c.result_slot),
                    );
                }
                out[32..64].copy_from_slice(&who);
                for i in 0..MAX_PARTICIPANTS {
                    let show = release & c_keyed & same[i];
                    let at = 64 + i * (KEY_LEN + MATCH_MESSAGE_LEN);
                    let mut p = [0u8; KEY_LEN];
                    cmov_bytes(&mut p, &c.participants[i], show);
                    let mut m = [0u8; MATCH_MESSAGE_LEN];
                    cmov_bytes(&mut m, &c.messages[i], show);
                    out[at..at + KEY_LEN].copy_from_slice(&p);
                    out[at + KEY_LEN..at + KEY_LEN + MATCH_MESSAGE_LEN].copy_from_slice(&m);
                }
                cmov(b, &c, exists);
            });

        // 3. members and member-lists: a create's entries join the queue;
        // a list reads the caller's list, anything else moves one entry.
        let mut entry = [0u8; LISTED_COMPUTATION_LEN];
        entry[..COMPUTATION_ID_LEN].copy_from_slice(&id);
        entry[entry_offsets::NAME..entry_offsets::TYPE]
            .copy_from_slice(&r[NAME..NAME + COMPUTATION_NAME_LEN]);
        entry[entry_offsets::TYPE] = kind;
        entry[entry_offsets::QUORUM] = quorum as u8;
        entry[entry_offsets::COUNT] = count as u8;
        entry[entry_offsets::DEADLINE..].copy_from_slice(&deadline.to_le_bytes());
        self.members
            .push(&entry, acting_as, &participants, count, created);
        let listed = self.members.step(&self.hash, list & go, acting_as);
        let shown = list & ok;
        let mut area: [u8; members::LISTING_LEN] =
            out[LISTING_AT..].try_into().expect("the last area");
        cmov_bytes(&mut area, &listed.entries, shown);
        out[LISTING_AT..].copy_from_slice(&area);
        out[AREA_AT] = sel_u8(out[AREA_AT], 1, shown);
        out[ADDING_AT] = sel_u8(0, listed.adding, shown);
        out
    }
}

/// `a < b` for u64.
fn lt_u64(a: u64, b: u64) -> Choice {
    a.ct_lt(&b)
}

impl super::TrustedService for Rendezvous {
    const ID: super::ServiceId = super::ServiceId::Rendezvous;
    const REQUEST_LEN: usize = RENDEZVOUS_REQUEST_LEN;
    const RESPONSE_LEN: usize = RENDEZVOUS_RESPONSE_LEN;

    fn execute(&mut self, request: &[u8], caller: &super::Caller<'_>, now: u64) -> Vec<u8> {
        let acting_as: &[u8; KEY_LEN] = request[offsets::ACTING_AS..offsets::ID]
            .try_into()
            .expect("key");
        let proven = caller.keys.contains(acting_as);
        // A create needs a credit when tokens are required: without one it
        // is refused as an unproven request would be (the same work), and
        // answers NO_TOKENS.
        let is_create = request[0].ct_eq(&RendezvousOp::CREATE);
        let may_create = caller.may_write();
        caller.spend(proven & is_create & may_create);
        let authorized = proven & (may_create | !is_create);
        let mut out = self.execute_record(request, authorized, now);
        let lacks = proven & out[0].ct_eq(&RendezvousStatus::KeyNotProven.code());
        out[0] = sel_u8(out[0], RendezvousStatus::NoTokens.code(), lacks);
        out.to_vec()
    }

    fn tick(&mut self, now: u64) {
        self.now = self.now.max(now);
        self.members.tick(&self.hash);
    }
}

impl RendezvousConfig {
    /// Checks the limit (a power of two from 1 to 2^20) and provides for
    /// [`MEMBERS_PER_COMPUTATION`] members per computation.
    pub fn new(max_computations: u32) -> Result<Self, String> {
        if !max_computations.is_power_of_two() || max_computations > 1 << 20 {
            return Err(format!(
                "max_computations must be a power of two between 1 and 2^20, got {max_computations}"
            ));
        }
        Ok(Self {
            max_computations,
            max_members: (max_computations * MEMBERS_PER_COMPUTATION)
                .max(members::ENTRIES_PER_CREATE.next_power_of_two() as u32),
        })
    }
}

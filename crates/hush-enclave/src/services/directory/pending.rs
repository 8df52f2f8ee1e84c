//! Map writes the directory defers to the tick.
//!
//! Whether a verified identifier or a new device goes into `dir-keys`
//! (or a removed device comes out) is decided only after the account is
//! read, and a second map access per request just to write would cost
//! every request, look-ups included. So the write waits here, in enclave
//! memory, where every map read also looks (a write here is seen at once),
//! and each tick moves [`DRAIN_PER_TICK`] slots' worth into the map, one
//! map access per slot whether it holds a write or not (DESIGN.md rule 4).
//!
//! When all [`PENDING_SLOTS`] are taken, a request that needs one answers
//! BUSY and changes nothing; that takes more than [`PENDING_SLOTS`]
//! verifications and device changes within a few seconds, or more than
//! [`DRAIN_PER_TICK`] a second for long.

use super::{MAP_KEY_LEN, map_key};
use crate::cluster::snapshot::{Visit, visit_u32, visit_usize};
use crate::oblivious::ct::{eq_bytes, sel_u32};
use crate::oblivious::keyed_hash::KeyedHash;
use crate::oblivious::map::{Lookup, MapOp, ObliviousMap};
use subtle::{Choice, ConditionallySelectable};

/// Writes that can wait at once.
pub(crate) const PENDING_SLOTS: usize = 32;
/// Slots each tick moves into the map (one map access each, real or not).
pub(crate) const DRAIN_PER_TICK: usize = 16;

/// The key of the drain's dummy accesses: a digest no real key has (real
/// keys are keyed digests, this is a constant nobody can hit).
const DUMMY_KEY: [u8; 32] = [0xdd; 32];

#[derive(Clone, Copy, Default)]
struct Write {
    key: [u8; 32],
    value: u32,
    used: u32,
    remove: u32,
}

impl Write {
    /// `if c { *self = *other }`, in constant time.
    fn assign(&mut self, other: &Self, c: Choice) {
        for (a, b) in self.key.iter_mut().zip(other.key.iter()) {
            a.conditional_assign(b, c);
        }
        self.value.conditional_assign(&other.value, c);
        self.used.conditional_assign(&other.used, c);
        self.remove.conditional_assign(&other.remove, c);
    }
}

/// The waiting writes.
pub(crate) struct PendingWrites {
    slots: [Write; PENDING_SLOTS],
    cursor: usize,
}

impl Default for PendingWrites {
    fn default() -> Self {
        Self {
            slots: [Write::default(); PENDING_SLOTS],
            cursor: 0,
        }
    }
}

impl PendingWrites {
    /// Its state, for a snapshot.
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        for w in &mut self.slots {
            v.bytes(&mut w.key);
            visit_u32(v, &mut w.value);
            visit_u32(v, &mut w.used);
            visit_u32(v, &mut w.remove);
        }
        visit_usize(v, &mut self.cursor);
    }

    /// `l` (a map read of `key`) as it will be once the waiting writes are
    /// in: a waiting insert makes the key present with its value, a waiting
    /// removal absent.
    pub(crate) fn overlay(&self, key: &[u8; 32], mut l: Lookup) -> Lookup {
        for w in &self.slots {
            let hit = !w.used.ct_eq_zero() & eq_bytes(&w.key, key);
            let removed = hit & !w.remove.ct_eq_zero();
            l.found = Choice::conditional_select(&l.found, &!removed, hit);
            l.value = sel_u32(l.value, w.value, hit);
        }
        l
    }

    /// Whether a write of `key` waits.
    pub(crate) fn has(&self, key: &[u8; 32]) -> Choice {
        let mut hit = Choice::from(0);
        for w in &self.slots {
            hit |= !w.used.ct_eq_zero() & eq_bytes(&w.key, key);
        }
        hit
    }

    /// Whether a write could be queued now (a free slot, or one for `key`).
    pub(crate) fn room(&self, key: &[u8; 32]) -> Choice {
        let mut free = Choice::from(0);
        for w in &self.slots {
            free |= w.used.ct_eq_zero();
        }
        free | self.has(key)
    }

    /// Queues `key -> value` (or its removal) when `doit`, replacing a write
    /// of the same key. The caller checked [`PendingWrites::room`].
    pub(crate) fn push(&mut self, key: &[u8; 32], value: u32, remove: Choice, doit: Choice) {
        let existing = self.has(key);
        let new = Write {
            key: *key,
            value,
            used: 1,
            remove: remove.unwrap_u8() as u32,
        };
        let mut placed = Choice::from(0);
        for w in self.slots.iter_mut() {
            let same = !w.used.ct_eq_zero() & eq_bytes(&w.key, key);
            let free = w.used.ct_eq_zero();
            let here = doit & !placed & ((existing & same) | (!existing & free));
            w.assign(&new, here);
            placed |= here;
        }
    }

    /// Moves up to [`DRAIN_PER_TICK`] writes into `map`: one map access per
    /// slot visited, whatever it holds. A write that does not fit (its
    /// bucket and the map's stash full) stays for a later tick.
    pub(crate) fn drain(&mut self, map: &mut ObliviousMap<MAP_KEY_LEN>, hash: &KeyedHash) {
        for _ in 0..DRAIN_PER_TICK {
            let w = self.slots[self.cursor];
            let used = !w.used.ct_eq_zero();
            let remove = used & !w.remove.ct_eq_zero();
            let mut key = DUMMY_KEY;
            crate::oblivious::ct::cmov_bytes(&mut key, &w.key, used);
            let l = map.apply(
                hash,
                &map_key(&key),
                MapOp {
                    insert: used & !remove,
                    set: used & !remove,
                    remove,
                    value: w.value,
                },
            );
            let done = used & (remove | l.found | l.inserted);
            self.slots[self.cursor].assign(&Write::default(), done);
            self.cursor = (self.cursor + 1) % PENDING_SLOTS;
        }
    }
}

trait CtZero {
    fn ct_eq_zero(&self) -> Choice;
}

impl CtZero for u32 {
    fn ct_eq_zero(&self) -> Choice {
        subtle::ConstantTimeEq::ct_eq(self, &0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oram::DefaultFactory;

    fn k(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn writes_are_seen_at_once_and_reach_the_map_on_ticks() {
        let hash = KeyedHash::new([1; 32]);
        let mut map = ObliviousMap::<MAP_KEY_LEN>::new(&DefaultFactory, "t", 64);
        let mut p = PendingWrites::default();
        let yes = Choice::from(1);
        let absent = map.apply(&hash, &map_key(&k(1)), MapOp::get());
        assert!(!bool::from(p.overlay(&k(1), absent).found));
        p.push(&k(1), 7, Choice::from(0), yes);
        let l = p.overlay(&k(1), map.apply(&hash, &map_key(&k(1)), MapOp::get()));
        assert!(bool::from(l.found) && l.value == 7);
        // A dummy push changes nothing.
        p.push(&k(2), 9, Choice::from(0), Choice::from(0));
        assert!(!bool::from(p.has(&k(2))));
        for _ in 0..PENDING_SLOTS / DRAIN_PER_TICK {
            p.drain(&mut map, &hash);
        }
        assert!(!bool::from(p.has(&k(1))));
        let l = map.apply(&hash, &map_key(&k(1)), MapOp::get());
        assert!(bool::from(l.found) && l.value == 7);
        // A removal hides the key at once and leaves the map on a tick.
        p.push(&k(1), 0, yes, yes);
        assert!(!bool::from(
            p.overlay(&k(1), map.apply(&hash, &map_key(&k(1)), MapOp::get()))
                .found
        ));
        for _ in 0..PENDING_SLOTS / DRAIN_PER_TICK {
            p.drain(&mut map, &hash);
        }
        assert!(!bool::from(
            map.apply(&hash, &map_key(&k(1)), MapOp::get()).found
        ));
        // Full: every slot taken, no room for a new key, room for a queued one.
        for n in 0..PENDING_SLOTS as u8 {
            assert!(bool::from(p.room(&k(n + 10))));
            p.push(&k(n + 10), 1, Choice::from(0), yes);
        }
        assert!(!bool::from(p.room(&k(200))));
        assert!(bool::from(p.room(&k(10))));
    }
}

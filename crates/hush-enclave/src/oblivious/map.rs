//! An oblivious hash map from a 32-byte key to a u32 (the broker's
//! recipient key -> mailbox index; the directory's hashed identifiers and
//! keys -> account index).
//!
//! Buckets of [`super::blocks::BUCKET_RECORDS`] records live in an oblivious array, chosen
//! by a keyed hash; a small stash in enclave memory, always scanned whole,
//! absorbs bucket overflow. With the default sizing (4 entries per bucket
//! on average, 16 records per bucket) a bucket overflows with probability
//! about 1e-6, and the stash holds [`STASH_RECORDS`] such overflows, so the
//! map refuses an insert (the caller answers with a "full" status, never a
//! silent drop) only when its entry limit is really reached, in all but
//! negligible cases. Every operation ([`ObliviousMap::apply`]) is exactly
//! one bucket access plus one full stash scan, whatever it does.

use super::blocks::{MapBucket, MapRecord, RECORD_USED, RECORD_VALUE};
#[cfg(test)]
use super::ct::as_u32;
use super::keyed_hash::KeyedHash;
use crate::cluster::snapshot::{Visit, visit_array, visit_pod};
use crate::mask::{eq, eq_bytes, from_bit, from_choice, is, sel, to_choice};
use crate::oram::{ObliviousArray, OramFactory};
use rostl_primitives::traits::Cmov;
use subtle::Choice;

/// Records in the stash.
pub(crate) const STASH_RECORDS: usize = 16;
/// Average entries per bucket at the entry limit.
pub(crate) const ENTRIES_PER_BUCKET: u32 = 4;

/// The result of a map access.
#[derive(Clone, Copy)]
pub(crate) struct Lookup {
    /// The key was present.
    pub(crate) found: Choice,
    /// The key was absent and has been inserted.
    pub(crate) inserted: Choice,
    /// The value before the access when found; the candidate when inserted.
    pub(crate) value: u32,
}

/// What one access does; every combination costs the same.
#[derive(Clone, Copy)]
pub(crate) struct MapOp {
    /// Insert `value` when the key is absent.
    pub(crate) insert: Choice,
    /// Replace the value with `value` when the key is present.
    pub(crate) set: Choice,
    /// Remove the key when present (applied after `set`).
    pub(crate) remove: Choice,
    /// The value to insert or set.
    pub(crate) value: u32,
}

impl MapOp {
    /// Only look.
    pub(crate) fn get() -> Self {
        let no = Choice::from(0);
        Self {
            insert: no,
            set: no,
            remove: no,
            value: 0,
        }
    }
}

pub(crate) struct ObliviousMap<const K: usize = 32> {
    buckets: Box<dyn ObliviousArray<MapBucket<K>>>,
    stash: [MapRecord<K>; STASH_RECORDS],
    bucket_mask: u64,
}

impl<const K: usize> ObliviousMap<K> {
    /// Its state, for a snapshot: every bucket, then the stash.
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        visit_array(v, &mut *self.buckets);
        visit_pod(v, &mut self.stash);
    }

    /// Buckets for `max_entries` (a power of two, at least one).
    pub(crate) fn bucket_count(max_entries: u32) -> usize {
        (max_entries.div_ceil(ENTRIES_PER_BUCKET) as usize).next_power_of_two()
    }

    /// A map named `name` (its oblivious array's name) sized for
    /// `max_entries`.
    pub(crate) fn new(factory: &impl OramFactory, name: &'static str, max_entries: u32) -> Self {
        let n = Self::bucket_count(max_entries);
        Self {
            buckets: factory.array(name, n),
            stash: [MapRecord::<K>::default(); STASH_RECORDS],
            bucket_mask: (n as u64) - 1,
        }
    }

    /// Empties the map, writing every bucket (one pass over the array, on
    /// a public schedule: the caller's, not the contents').
    pub(crate) fn clear(&mut self) {
        for i in 0..self.buckets.len() {
            self.buckets.access(i, &mut |b: &mut MapBucket<K>| {
                *b = MapBucket::<K>::default()
            });
        }
        self.stash = [MapRecord::<K>::default(); STASH_RECORDS];
    }

    fn bucket_of(&self, hash: &KeyedHash, key: &[u8; K]) -> usize {
        (hash.bucket_hash(key) & self.bucket_mask) as usize
    }

    /// Looks `key` up; when absent and `insert` is set, inserts it with
    /// value `candidate`.
    pub(crate) fn lookup_or_insert(
        &mut self,
        hash: &KeyedHash,
        key: &[u8; K],
        insert: Choice,
        candidate: u32,
    ) -> Lookup {
        self.apply(
            hash,
            key,
            MapOp {
                insert,
                value: candidate,
                ..MapOp::get()
            },
        )
    }

    /// Removes `key` when `remove` is set.
    pub(crate) fn remove(&mut self, hash: &KeyedHash, key: &[u8; K], remove: Choice) {
        self.apply(
            hash,
            key,
            MapOp {
                remove,
                ..MapOp::get()
            },
        );
    }

    /// Looks `key` up and applies `op`: one stash scan, one bucket access,
    /// one stash scan, whatever `op` holds and whatever is found.
    pub(crate) fn apply(&mut self, hash: &KeyedHash, key: &[u8; K], op: MapOp) -> Lookup {
        let bucket = self.bucket_of(hash, key);
        debug_assert!(op.value <= RECORD_VALUE, "map values are array indices");
        let new = MapRecord::<K> {
            key: *key,
            entry: (op.value & RECORD_VALUE) | RECORD_USED,
        };
        let empty = MapRecord::<K>::default();
        let (insert, set, remove) = (
            from_choice(op.insert),
            from_choice(op.set),
            from_choice(op.remove),
        );
        // Search the stash first (enclave memory), then the bucket, which
        // is also where an insertion goes first.
        let mut found = 0u32;
        let mut value = 0u32;
        for r in &self.stash {
            let hit = holds(r, key);
            found |= hit;
            value = sel(value, r.entry & RECORD_VALUE, hit);
        }
        let mut placed = 0u32;
        let want = insert & !found;
        self.buckets.access(bucket, &mut |b: &mut MapBucket<K>| {
            for r in b.records.iter() {
                let hit = holds(r, key);
                found |= hit;
                value = sel(value, r.entry & RECORD_VALUE, hit);
            }
            let want = want & !found;
            for r in b.records.iter_mut() {
                change(r, key, &op, set, remove, &empty);
                let put = want & !placed & eq(r.entry, 0);
                r.cmov(&new, is(put));
                placed |= put;
            }
        });
        let want = insert & !found;
        for r in self.stash.iter_mut() {
            change(r, key, &op, set, remove, &empty);
            let put = want & !placed & eq(r.entry, 0);
            r.cmov(&new, is(put));
            placed |= put;
        }
        Lookup {
            found: to_choice(found),
            inserted: to_choice(placed),
            value: sel(value, op.value, placed),
        }
    }

    /// Records in use in the stash (for tests of overflow handling).
    #[cfg(test)]
    pub(crate) fn stash_len(&self) -> u32 {
        self.stash
            .iter()
            .map(|r| as_u32(Choice::from((r.entry >> 31) as u8)))
            .sum()
    }
}

/// The mask of "record `r` is in use and holds `key`".
#[inline(always)]
fn holds<const K: usize>(r: &MapRecord<K>, key: &[u8; K]) -> u32 {
    from_bit(r.entry >> 31) & eq_bytes(&r.key, key)
}

/// A set, then a remove, on record `r` when it holds `key` (masks `set`
/// and `remove`).
#[inline(always)]
fn change<const K: usize>(
    r: &mut MapRecord<K>,
    key: &[u8; K],
    op: &MapOp,
    set: u32,
    remove: u32,
    empty: &MapRecord<K>,
) {
    let hit = holds(r, key);
    let entry = (op.value & RECORD_VALUE) | RECORD_USED;
    r.entry = sel(r.entry, entry, hit & set);
    r.cmov(empty, is(hit & remove));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oram::DefaultFactory;
    use hush_wire::consts::KEY_LEN;
    use std::collections::HashMap;

    fn key(i: u32) -> [u8; KEY_LEN] {
        let mut k = [0u8; KEY_LEN];
        k[..4].copy_from_slice(&(i + 1).to_le_bytes());
        k
    }

    #[test]
    fn insert_lookup_remove_against_model_with_overflow_into_stash() {
        let hash = KeyedHash::new([5; 32]);
        // One bucket of 16 plus a 16-record stash: 32 keys fit, the 33rd not.
        let mut d = ObliviousMap::new(&DefaultFactory, "t", 4);
        let mut model: HashMap<u32, u32> = HashMap::new();
        for i in 0..32 {
            let l = d.lookup_or_insert(&hash, &key(i), Choice::from(1), 100 + i);
            assert!(bool::from(l.inserted) && !bool::from(l.found));
            model.insert(i, 100 + i);
        }
        assert_eq!(d.stash_len(), 16);
        let l = d.lookup_or_insert(&hash, &key(99), Choice::from(1), 7);
        assert!(!bool::from(l.found) && !bool::from(l.inserted));
        // Present keys are found with their index and not re-inserted.
        for (i, m) in &model {
            let l = d.lookup_or_insert(&hash, &key(*i), Choice::from(1), 555);
            assert!(bool::from(l.found) && !bool::from(l.inserted));
            assert_eq!(l.value, *m);
        }
        // Remove from bucket and stash; room comes back.
        for i in [0, 31] {
            d.remove(&hash, &key(i), Choice::from(1));
            let l = d.lookup_or_insert(&hash, &key(i), Choice::from(0), 0);
            assert!(!bool::from(l.found));
        }
        d.remove(&hash, &key(5), Choice::from(0)); // a dummy remove changes nothing
        assert!(bool::from(
            d.lookup_or_insert(&hash, &key(5), Choice::from(0), 0).found
        ));
        let l = d.lookup_or_insert(&hash, &key(99), Choice::from(1), 7);
        assert!(bool::from(l.inserted));
        assert_eq!(l.value, 7);
    }
}

#[cfg(test)]
mod model {
    use super::*;
    use crate::oram::DefaultFactory;
    use hush_wire::consts::KEY_LEN;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Any mix of inserts, sets and removes behaves like a HashMap
        /// (while it has room: 8 buckets x 16 + 16 in the stash).
        #[test]
        fn apply_behaves_like_a_hash_map(
            ops in proptest::collection::vec((0u8..24, any::<bool>(), any::<bool>(), any::<bool>(), 1u32..1000), 0..300)
        ) {
            let hash = KeyedHash::new([3; 32]);
            let mut m = ObliviousMap::new(&DefaultFactory, "t", 32);
            let mut model: HashMap<u8, u32> = HashMap::new();
            for (k, insert, set, remove, value) in ops {
                let mut key = [0u8; KEY_LEN];
                key[0] = k;
                key[1] = 1;
                let l = m.apply(&hash, &key, MapOp {
                    insert: Choice::from(insert as u8),
                    set: Choice::from(set as u8),
                    remove: Choice::from(remove as u8),
                    value,
                });
                let before = model.get(&k).copied();
                prop_assert_eq!(bool::from(l.found), before.is_some());
                match before {
                    Some(v) => {
                        prop_assert_eq!(l.value, v);
                        prop_assert!(!bool::from(l.inserted));
                        if set { model.insert(k, value); }
                        if remove { model.remove(&k); }
                    }
                    None => {
                        prop_assert_eq!(bool::from(l.inserted), insert);
                        if insert {
                            prop_assert_eq!(l.value, value);
                            model.insert(k, value);
                        }
                    }
                }
            }
            for k in 0u8..24 {
                let mut key = [0u8; KEY_LEN];
                key[0] = k;
                key[1] = 1;
                let l = m.apply(&hash, &key, MapOp::get());
                prop_assert_eq!(bool::from(l.found), model.contains_key(&k));
                if let Some(v) = model.get(&k) { prop_assert_eq!(l.value, *v); }
            }
        }
    }
}

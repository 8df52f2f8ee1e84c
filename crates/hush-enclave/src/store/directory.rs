//! The directory: an oblivious hash map from recipient key to mailbox index.
//!
//! Buckets of [`super::blocks::BUCKET_RECORDS`] records live in an oblivious array, chosen
//! by a keyed hash; a small stash in enclave memory, always scanned whole,
//! absorbs bucket overflow. With the default sizing (4 recipients per bucket
//! on average, 16 records per bucket) a bucket overflows with probability
//! about 1e-6, and the stash holds [`STASH_RECORDS`] such overflows, so the
//! directory refuses a recipient (TOO_MANY_RECIPIENTS, never a silent drop)
//! only when the recipient limit is really reached, in all but negligible
//! cases. Every lookup, insert and remove is exactly one bucket access plus
//! one full stash scan.

use super::blocks::{BucketBlock, DirRecord};
#[cfg(test)]
use super::ct::as_u32;
use super::ct::{cmov, eq_bytes, eq_u32, sel_u32};
use super::keyed_hash::KeyedHash;
use crate::oram::{ObliviousArray, OramFactory};
use hush_wire::consts::KEY_LEN;
use subtle::Choice;

/// Records in the stash.
pub(crate) const STASH_RECORDS: usize = 16;
/// Average recipients per bucket at the recipient limit.
pub(crate) const RECIPIENTS_PER_BUCKET: u32 = 4;

/// The result of a directory access.
#[derive(Clone, Copy)]
pub(crate) struct Lookup {
    /// The key was present.
    pub(crate) found: Choice,
    /// The key was absent and has been inserted.
    pub(crate) inserted: Choice,
    /// The mailbox index (meaningful when `found | inserted`).
    pub(crate) mailbox: u32,
}

pub(crate) struct Directory {
    buckets: Box<dyn ObliviousArray<BucketBlock>>,
    stash: [DirRecord; STASH_RECORDS],
    bucket_mask: u64,
}

impl Directory {
    /// Buckets for `max_recipients` (a power of two, at least one).
    pub(crate) fn bucket_count(max_recipients: u32) -> usize {
        (max_recipients.div_ceil(RECIPIENTS_PER_BUCKET) as usize).next_power_of_two()
    }

    pub(crate) fn new(factory: &impl OramFactory, max_recipients: u32) -> Self {
        let n = Self::bucket_count(max_recipients);
        Self {
            buckets: factory.array("directory", n),
            stash: [DirRecord::default(); STASH_RECORDS],
            bucket_mask: (n as u64) - 1,
        }
    }

    fn bucket_of(&self, hash: &KeyedHash, key: &[u8; KEY_LEN]) -> usize {
        (hash.bucket_hash(key) & self.bucket_mask) as usize
    }

    /// Looks `key` up; when absent and `insert` is set, inserts it with
    /// mailbox index `candidate`. One bucket access, one stash scan.
    pub(crate) fn lookup_or_insert(
        &mut self,
        hash: &KeyedHash,
        key: &[u8; KEY_LEN],
        insert: Choice,
        candidate: u32,
    ) -> Lookup {
        let bucket = self.bucket_of(hash, key);
        let new = DirRecord {
            key: *key,
            mailbox: candidate,
            used: 1,
            _pad: [0; 8],
        };
        // Search the stash first (enclave memory), then the bucket, which
        // is also where an insertion goes first.
        let mut found = Choice::from(0);
        let mut mailbox = 0u32;
        for r in &self.stash {
            let hit = Choice::from(r.used as u8) & eq_bytes(&r.key, key);
            found |= hit;
            mailbox = sel_u32(mailbox, r.mailbox, hit);
        }
        let mut placed = Choice::from(0);
        self.buckets.access(bucket, &mut |b: &mut BucketBlock| {
            for r in b.records.iter() {
                let hit = Choice::from(r.used as u8) & eq_bytes(&r.key, key);
                found |= hit;
                mailbox = sel_u32(mailbox, r.mailbox, hit);
            }
            let want = insert & !found;
            for r in b.records.iter_mut() {
                let put = want & !placed & eq_u32(r.used, 0);
                cmov(r, &new, put);
                placed |= put;
            }
        });
        let want = insert & !found;
        for r in self.stash.iter_mut() {
            let put = want & !placed & eq_u32(r.used, 0);
            cmov(r, &new, put);
            placed |= put;
        }
        let mailbox = sel_u32(mailbox, candidate, placed);
        Lookup {
            found,
            inserted: placed,
            mailbox,
        }
    }

    /// Removes `key` when `remove` is set. One bucket access, one stash scan.
    pub(crate) fn remove(&mut self, hash: &KeyedHash, key: &[u8; KEY_LEN], remove: Choice) {
        let bucket = self.bucket_of(hash, key);
        let empty = DirRecord::default();
        self.buckets.access(bucket, &mut |b: &mut BucketBlock| {
            for r in b.records.iter_mut() {
                let hit = Choice::from(r.used as u8) & eq_bytes(&r.key, key);
                cmov(r, &empty, hit & remove);
            }
        });
        for r in self.stash.iter_mut() {
            let hit = Choice::from(r.used as u8) & eq_bytes(&r.key, key);
            cmov(r, &empty, hit & remove);
        }
    }

    /// Records in use in the stash (for tests of overflow handling).
    #[cfg(test)]
    pub(crate) fn stash_len(&self) -> u32 {
        self.stash
            .iter()
            .map(|r| as_u32(Choice::from(r.used as u8)))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oram::RostlFactory;
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
        let mut d = Directory::new(&RostlFactory, 4);
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
            assert_eq!(l.mailbox, *m);
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
        assert_eq!(l.mailbox, 7);
    }
}

//! The tree of hush's Circuit ORAM, worked on in place.
//!
//! Circuit ORAM (Wang, Chan, Shi, CCS 2015) keeps blocks in a binary tree
//! of buckets; a block tagged with leaf `l` lives on the path from the root
//! to `l` or in a small stash. An access reads one path, and evictions move
//! blocks down paths chosen on a public schedule, at most one block carried
//! at a time, decided by two passes over the path's metadata.
//!
//! What this implementation does differently from a textbook one, for
//! large blocks (a message is 1 KiB, a mailbox 2,176 bytes):
//! - **Metadata apart from data.** Each slot's tag (leaf + 1, 0 = empty)
//!   and key live in a small array of their own, so the two planning
//!   passes of an eviction touch a few hundred bytes, not the blocks.
//! - **In place.** Paths are never copied out and back: the read scan and
//!   the eviction's move pass conditionally move blocks directly between
//!   the tree, the stash and one held block.
//! - **The read path is evicted first,** while its blocks are still in
//!   cache; then [`EXTRA_EVICTIONS`] paths in reverse-lexicographic order.
//! - **No start-up writes.** An all-zero slot is empty, so the tree is
//!   allocated zeroed (the kernel maps zero pages lazily) and never
//!   initialised.
//!
//! Every loop runs a public number of times (the path length, the stash
//! size, the bucket size) and every choice inside is a constant-time
//! selection, so what the host sees of an access (the paths touched, in
//! order, every slot of each read and written) depends only on the leaves,
//! which are uniformly random and independent of the index.

use super::{memory, moves};
use crate::mask::{eq, from_bool, gt, is, sel};
use crate::oram::Block;

/// Blocks per bucket.
pub(super) const Z: usize = 2;
/// Stash slots: one more than [`HIGH_WATER`]. Between accesses the stash
/// holds at most `HIGH_WATER` blocks (the drain sees to it), and an access
/// adds at most one (the block it read) before its evictions, into a slot
/// that was free. The largest occupancy seen after an access in 10^8
/// accesses was 6 (RELIABILITY.md). (Each slot is moved through in every
/// stash pass: 17 slots instead of 20 took 2% off a request.)
pub(super) const STASH: usize = HIGH_WATER + 1;
/// After an access, a stash holding more than this many blocks is drained
/// by extra evictions (on the next paths of the public schedule) down to
/// [`LOW_WATER`], so an insertion always finds a free slot and no block is
/// ever lost. A drain is visible to the host (more paths touched); the
/// measured tail puts its probability near 10^-12 per access
/// (RELIABILITY.md, docs/LEAKAGE.md).
pub(super) const HIGH_WATER: usize = 16;
/// Where a drain stops.
pub(super) const LOW_WATER: usize = 12;
/// Evictions after the read path's own, per access.
pub(super) const EXTRA_EVICTIONS: usize = 2;
/// "No level" in the eviction plan.
const NONE: u32 = u32::MAX;

/// A slot's metadata: `tag` is the block's leaf plus one (0: empty slot),
/// `key` its index.
#[derive(Clone, Copy, Default, Debug, bytemuck::Zeroable, bytemuck::Pod)]
#[repr(C)]
pub(super) struct Meta {
    pub(super) tag: u32,
    pub(super) key: u32,
}

impl Meta {
    /// `if m { *self = *other }`.
    #[inline(always)]
    fn assign(&mut self, other: &Meta, m: u32) {
        self.tag = sel(self.tag, other.tag, m);
        self.key = sel(self.key, other.key, m);
    }

    /// `if m { swap(self, other) }`.
    #[inline(always)]
    fn swap(&mut self, other: &mut Meta, m: u32) {
        let t = (self.tag ^ other.tag) & m;
        let k = (self.key ^ other.key) & m;
        self.tag ^= t;
        other.tag ^= t;
        self.key ^= k;
        other.key ^= k;
    }
}

/// The tree and stash of one oblivious array.
pub(super) struct Tree<T: Block> {
    /// Bucket levels (a one-bucket tree has one).
    levels: usize,
    /// `2^(levels-1)` leaves; leaf `l`'s bucket at depth `d` is
    /// `2^d - 1 + (l mod 2^d)`, so paths in counter order are in
    /// reverse-lexicographic order.
    leaves: u32,
    meta: Vec<Meta>,
    data: Vec<T>,
    stash_meta: [Meta; STASH],
    stash_data: Vec<T>,
    evict_counter: u32,
    drains: u64,
    #[cfg(test)]
    pub(super) trace: Vec<u32>,
}

impl<T: Block> Tree<T> {
    /// A tree for up to `blocks` blocks: `leaves` is the smallest power of
    /// two at least `blocks / 2` (so about `2 x blocks` slots).
    pub(super) fn new(blocks: usize) -> Self {
        assert!(blocks > 0 && blocks <= (u32::MAX / 4) as usize);
        let leaves = blocks.div_ceil(2).next_power_of_two() as u32;
        let levels = leaves.trailing_zeros() as usize + 1;
        let slots = (2 * leaves as usize - 1) * Z;
        let mut meta = bytemuck::zeroed_vec(slots);
        let mut data = bytemuck::zeroed_vec(slots);
        memory::advise_huge_pages(&mut meta);
        memory::advise_huge_pages(&mut data);
        Self {
            levels,
            leaves,
            meta,
            data,
            stash_meta: [Meta::default(); STASH],
            stash_data: bytemuck::zeroed_vec(STASH),
            evict_counter: 0,
            drains: 0,
            #[cfg(test)]
            trace: Vec::new(),
        }
    }

    /// The number of leaves (a power of two).
    pub(super) fn leaves(&self) -> u32 {
        self.leaves
    }

    /// The first slot of the bucket at `depth` on the path to `leaf`
    /// (public: the path is what the host sees anyway).
    #[inline(always)]
    fn bucket(&self, depth: usize, leaf: u32) -> usize {
        let first = (1usize << depth) - 1;
        (first + (leaf as usize & first)) * Z
    }

    /// Reads block `key` (tagged `leaf`, which may be stale garbage when
    /// the block was never written) into `f`, retags it `new_leaf`, and
    /// evicts. A block never written reads as zero.
    #[inline(always)]
    pub(super) fn access(&mut self, key: u32, leaf: u32, new_leaf: u32, f: &mut dyn FnMut(&mut T)) {
        debug_assert!(leaf < self.leaves && new_leaf < self.leaves);
        #[cfg(test)]
        self.trace.push(leaf);
        self.prefetch_path(leaf);
        let mut value = T::default();
        // Take the block out of the stash or the path, wherever it is.
        for i in 0..STASH {
            take_if(
                &mut value,
                &mut self.stash_meta[i],
                &self.stash_data[i],
                key,
            );
        }
        for depth in 0..self.levels {
            let b = self.bucket(depth, leaf);
            for s in b..b + Z {
                take_if(&mut value, &mut self.meta[s], &self.data[s], key);
            }
        }
        f(&mut value);
        // The block, under its new leaf, joins the stash's level of the
        // read path's eviction: it is carried down that path if it is the
        // stash's best candidate, and otherwise put in the first free stash
        // slot in the same pass (one pass over the stash instead of two).
        let fresh = Meta {
            tag: new_leaf + 1,
            key,
        };
        // Each eviction path is prefetched one eviction ahead, so its cache
        // misses overlap with the work on the path before it.
        self.prefetch_path(self.evict_counter);
        self.evict(leaf, Some((fresh, &value)));
        for e in 0..EXTRA_EVICTIONS {
            if e + 1 < EXTRA_EVICTIONS {
                self.prefetch_path((self.evict_counter + 1) & (self.leaves - 1));
            }
            self.evict_next();
        }
        self.drain_if_needed();
    }

    /// Drains a stash above [`HIGH_WATER`] down to [`LOW_WATER`] by extra
    /// evictions on the public schedule. Whether it runs is revealed on
    /// purpose, and is almost never true (see [`HIGH_WATER`]).
    #[inline(always)]
    pub(super) fn drain_if_needed(&mut self) {
        if self.occupancy() > HIGH_WATER {
            self.drains += 1;
            while self.occupancy() > LOW_WATER {
                self.evict_next();
            }
        }
    }

    /// Prefetches every slot of `path` (public: the path is what the host
    /// sees), so its cache misses overlap instead of queueing.
    #[inline(always)]
    fn prefetch_path(&self, path: u32) {
        for depth in 0..self.levels {
            let b = self.bucket(depth, path);
            memory::prefetch(&self.meta[b]);
            for s in b..b + Z {
                memory::prefetch(&self.data[s]);
            }
        }
    }

    /// An eviction on the next path of the public schedule.
    #[inline(always)]
    fn evict_next(&mut self) {
        let path = self.evict_counter;
        self.evict_counter = (self.evict_counter + 1) & (self.leaves - 1);
        self.evict(path, None);
    }

    /// Blocks in the stash, counted without branches (the count is only
    /// compared with the high-water mark).
    #[inline(always)]
    fn occupancy(&self) -> usize {
        self.stash_meta
            .iter()
            .map(|m| (!eq(m.tag, 0) & 1) as usize)
            .sum()
    }

    /// How many drains this tree has needed (tests and measurements).
    #[cfg(test)]
    pub(super) fn drains(&self) -> u64 {
        self.drains
    }

    /// The deepest depth on `path` where a block tagged `tag` may live,
    /// plus one (so the stash is 0 and depths are 1..=levels); 0 when the
    /// slot is empty.
    #[inline(always)]
    fn reach(&self, tag: u32, path: u32) -> u32 {
        let common = (tag.wrapping_sub(1) ^ path).trailing_zeros();
        let last = self.levels as u32 - 1;
        let d = sel(common, last, gt(common, last)) + 1;
        sel(d, 0, eq(tag, 0))
    }

    /// One eviction along `path`: plan on metadata (where can each level's
    /// deepest block go; which levels give and take one), then move along
    /// the path carrying at most one block.
    ///
    /// `incoming`, when given, is a block outside the stash that counts as
    /// one more stash slot (index [`STASH`]); if the plan does not carry it
    /// down, it takes the first free stash slot. Whether it is given is
    /// public (the read path's eviction, always).
    #[inline(always)]
    fn evict(&mut self, path: u32, incoming: Option<(Meta, &T)>) {
        // Levels: 0 is the stash, d + 1 is the bucket at depth d.
        const MAX_LEVELS: usize = 34;
        let levels = self.levels + 1;
        let mut deepest_src = [NONE; MAX_LEVELS];
        let mut deepest_slot = [0u32; MAX_LEVELS];
        let mut has_empty = [0u32; MAX_LEVELS];
        let mut target = [NONE; MAX_LEVELS];

        // Pass 1 (top down): for each level, the level above it holding the
        // block that can go deepest, if it can reach this level.
        let mut src = NONE;
        let mut goal = 0u32;
        for lvl in 0..levels {
            let reachable = !gt(lvl as u32, goal) & !eq(src, NONE);
            deepest_src[lvl] = sel(NONE, src, reachable);
            let mut best = 0u32;
            let mut best_slot = 0u32;
            let mut empty = 0u32;
            let (metas, first) = self.level_meta(lvl, path);
            for (j, m) in metas.iter().enumerate() {
                let r = self.reach(m.tag, path);
                empty |= eq(m.tag, 0);
                let better = gt(r, best);
                best = sel(best, r, better);
                best_slot = sel(best_slot, (first + j) as u32, better);
            }
            if lvl == 0
                && let Some((m, _)) = &incoming
            {
                let r = self.reach(m.tag, path);
                let better = gt(r, best);
                best = sel(best, r, better);
                best_slot = sel(best_slot, STASH as u32, better);
            }
            deepest_slot[lvl] = best_slot;
            // The stash is never a destination (a public fact: level 0).
            has_empty[lvl] = empty & from_bool(lvl != 0);
            let deeper = gt(best, goal);
            goal = sel(goal, best, deeper);
            src = sel(src, lvl as u32, deeper);
        }

        // Pass 2 (bottom up): which levels give a block, and to where.
        let mut dest = NONE;
        let mut src = NONE;
        for lvl in (0..levels).rev() {
            let is_src = eq(lvl as u32, src);
            target[lvl] = sel(NONE, dest, is_src);
            dest = sel(dest, NONE, is_src);
            src = sel(src, NONE, is_src);
            let wanted = (eq(dest, NONE) & has_empty[lvl]) | !eq(target[lvl], NONE);
            let take = wanted & !eq(deepest_src[lvl], NONE);
            src = sel(src, deepest_src[lvl], take);
            dest = sel(dest, lvl as u32, take);
        }

        // Pass 3 (top down): move. At a level that gives, the chosen block
        // is swapped with the held one (which may be arriving here); at a
        // level that only takes, the held block goes to the first empty
        // slot.
        let mut hold_meta = Meta::default();
        let mut hold = T::default();
        let mut hold_dest = NONE;
        // The stash only gives.
        let give = !eq(target[0], NONE);
        // The incoming block stays (goes into the stash) unless carried.
        let stays = match &incoming {
            Some(_) => !(give & eq(deepest_slot[0], STASH as u32)),
            None => 0,
        };
        let mut placed = !stays;
        for i in 0..STASH {
            let chosen = give & eq(i as u32, deepest_slot[0]);
            moves::cmov(&mut hold, &self.stash_data[i], chosen);
            hold_meta.assign(&self.stash_meta[i], chosen);
            self.stash_meta[i].tag = sel(self.stash_meta[i].tag, 0, chosen);
            if let Some((m, data)) = &incoming {
                // A chosen slot was full, so it is never the one placed in.
                let here = eq(self.stash_meta[i].tag, 0) & !chosen & !placed;
                moves::cmov(&mut self.stash_data[i], data, here);
                self.stash_meta[i].assign(m, here);
                placed |= here;
            }
        }
        // The drain keeps at most HIGH_WATER blocks between accesses, so
        // there is always room.
        debug_assert!(is(placed), "ORAM stash overflow");
        if let Some((m, data)) = &incoming {
            let carried = !stays;
            moves::cmov(&mut hold, data, carried);
            hold_meta.assign(m, carried);
        }
        hold_dest = sel(hold_dest, target[0], give);
        for depth in 0..self.levels {
            let lvl = depth + 1;
            let give = !eq(target[lvl], NONE);
            let drop = eq(lvl as u32, hold_dest) & !give;
            let b = self.bucket(depth, path);
            let mut dropped = 0u32;
            for s in b..b + Z {
                let chosen = give & eq(s as u32, deepest_slot[lvl]);
                let into_empty = drop & eq(self.meta[s].tag, 0) & !dropped;
                dropped |= into_empty;
                let swap = chosen | into_empty;
                moves::cxchg(&mut hold, &mut self.data[s], swap);
                hold_meta.swap(&mut self.meta[s], swap);
            }
            let arrived = eq(lvl as u32, hold_dest);
            hold_dest = sel(hold_dest, NONE, arrived);
            hold_dest = sel(hold_dest, target[lvl], give);
        }
        debug_assert!(hold_meta.tag == 0, "an eviction ended carrying a block");
    }

    /// The metadata of level `lvl` (0: the stash) of `path`, and the index
    /// of its first slot.
    #[inline(always)]
    fn level_meta(&self, lvl: usize, path: u32) -> (&[Meta], usize) {
        if lvl == 0 {
            (&self.stash_meta[..], 0)
        } else {
            let b = self.bucket(lvl - 1, path);
            (&self.meta[b..b + Z], b)
        }
    }

    /// How many stash slots hold a block (tests and measurements only: the
    /// count is secret and never leaves the enclave).
    #[cfg(test)]
    pub(super) fn stash_len(&self) -> usize {
        self.occupancy()
    }

    /// Fills free stash slots until the stash holds `n` blocks, with keys
    /// above any real index (tests of the drain).
    #[cfg(test)]
    pub(super) fn stuff_stash(&mut self, n: usize) {
        let mut held = self.occupancy();
        for (i, m) in self.stash_meta.iter_mut().enumerate() {
            if held < n && m.tag == 0 {
                *m = Meta {
                    tag: (i as u32 % self.leaves) + 1,
                    key: u32::MAX - i as u32,
                };
                held += 1;
            }
        }
        assert_eq!(held, n, "the stash has {} slots", STASH);
    }
}

/// If slot `meta` holds `key`, moves its block into `value` and empties it.
#[inline(always)]
fn take_if<T: Block>(value: &mut T, meta: &mut Meta, data: &T, key: u32) {
    let hit = !eq(meta.tag, 0) & eq(meta.key, key);
    moves::cmov(value, data, hit);
    meta.tag = sel(meta.tag, 0, hit);
}

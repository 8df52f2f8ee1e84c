//! hush's own ORAM: Circuit ORAM worked in place, tuned for large blocks.
//!
//! [`CircuitFactory`] makes [`ObliviousArray`]s from three parts:
//! - [`tree`]: the bucket tree and stash, with metadata kept apart from the
//!   blocks and paths moved in place;
//! - [`posmap`]: the recursive position map;
//! - [`rng`]: the leaves' randomness;
//!
//! and [`moves`] (constant-time block moves), all run in a copy of the
//! access compiled for AVX-512 where the CPU has it ([`simd`]).
//!
//! One access of an `n`-block array is one access of its position map
//! (recursively, down to a scanned vector of at most
//! [`posmap::LINEAR_MAX`] entries) and then, in the tree, one read of a
//! random path and three evictions: the read path (its blocks still in
//! cache), then the next two paths in reverse-lexicographic order. The host sees which paths are touched;
//! their leaves are uniform and independent of the indices.
//!
//! rostl's Circuit ORAM ([`super::RostlFactory`]) stays as the baseline
//! the benchmarks compare against.

mod blocks;
mod memory;
mod moves;
mod posmap;
mod rng;
mod simd;
#[cfg(test)]
mod tests;
mod tree;

use super::{Block, ObliviousArray, OramFactory};
use posmap::PositionMap;
use rng::LeafRng;
use tree::Tree;

/// Makes arrays on hush's own Circuit ORAM.
#[derive(Debug, Clone, Copy, Default)]
pub struct CircuitFactory;

/// One oblivious array: its tree, its position map, its randomness.
pub(super) struct CircuitArray<T: Block> {
    tree: Tree<T>,
    positions: PositionMap,
    rng: LeafRng,
    len: usize,
}

impl<T: Block> CircuitArray<T> {
    fn with_rng(len: usize, mut rng: LeafRng) -> Self {
        assert!(len > 0, "an oblivious array needs at least one block");
        Self {
            tree: Tree::new(len),
            positions: PositionMap::new(len, &mut rng),
            rng,
            len,
        }
    }

    /// One access: a fresh leaf for the block, its old one from the
    /// position map, then the tree (compiled for the widest vectors this
    /// CPU has, see [`simd`]).
    fn access_block(&mut self, index: usize, f: &mut dyn FnMut(&mut T)) {
        simd::run(
            #[inline(always)]
            || self.access_here(index, f),
        );
    }

    #[inline(always)]
    fn access_here(&mut self, index: usize, f: &mut dyn FnMut(&mut T)) {
        assert!(index < self.len, "oblivious array index out of range");
        let index = index as u32;
        let leaves = self.tree.leaves();
        let new_leaf = self.rng.below_pow2(leaves);
        let mask = self.rng.mask(index);
        let old_leaf = (self.positions.swap(index, new_leaf ^ mask) ^ mask) & (leaves - 1);
        self.tree.access(index, old_leaf, new_leaf, f);
    }

    /// Blocks in the stash (tests and measurements only).
    #[cfg(test)]
    pub(super) fn stash_len(&self) -> usize {
        self.tree.stash_len()
    }
}

impl<T: Block> ObliviousArray<T> for CircuitArray<T> {
    fn len(&self) -> usize {
        self.len
    }

    fn access(&mut self, index: usize, f: &mut dyn FnMut(&mut T)) {
        self.access_block(index, f);
    }
}

impl OramFactory for CircuitFactory {
    fn array<T: Block>(&self, _name: &'static str, len: usize) -> Box<dyn ObliviousArray<T>> {
        Box::new(CircuitArray::<T>::with_rng(len, LeafRng::new()))
    }
}

/// Makes arrays on hush's ORAM whose leaves come from a fixed seed, so two
/// runs touch the same paths: for instruction counting
/// (`scripts/trace-check.sh`), where any difference between two requests
/// must then come from the requests. Predictable leaves are NOT oblivious:
/// never use this outside measurements and tests.
pub struct SeededCircuitFactory([u8; 32]);

impl SeededCircuitFactory {
    /// Arrays whose leaves all derive from `seed`.
    pub fn new(seed: [u8; 32]) -> Self {
        Self(seed)
    }
}

impl OramFactory for SeededCircuitFactory {
    fn array<T: Block>(&self, name: &'static str, len: usize) -> Box<dyn ObliviousArray<T>> {
        // Derived from the array's name and length, not from the order of
        // creation (the store builds its arrays on two threads).
        let mut seed = self.0;
        for (i, b) in name.bytes().chain(len.to_le_bytes()).enumerate() {
            seed[i % 32] = seed[i % 32].rotate_left(3) ^ b;
        }
        Box::new(CircuitArray::<T>::with_rng(len, LeafRng::from_seed(seed)))
    }
}

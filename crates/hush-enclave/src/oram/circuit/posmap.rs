//! The position map: which leaf each block of an array is tagged with.
//!
//! Up to [`LINEAR_MAX`] entries it is a plain vector read and written
//! whole on every access (a linear scan touches every entry, so the index
//! stays hidden). Above that, entries are packed
//! [`LEAVES_PER_BLOCK`] to a block in a smaller oblivious array of the
//! same kind, recursively.
//!
//! Entries are stored XOR a keyed mask of their index, so the zero a
//! never-written entry holds stands for a leaf the host cannot predict:
//! the first access to a block reads a random path, like every other.

use super::CircuitArray;
use super::blocks::{LEAVES_PER_BLOCK, PositionBlock};
use super::rng::LeafRng;
use crate::mask::{LANES, swap_at};

/// The largest map kept as a scanned vector (chosen by measurement: the
/// vectorised scan of this many entries costs less than one small ORAM
/// access, about 1 us).
pub(super) const LINEAR_MAX: usize = 1024;

/// A position map for `entries` blocks.
pub(super) enum PositionMap {
    Linear(Vec<u32>),
    Recursive(Box<CircuitArray<PositionBlock>>),
}

impl PositionMap {
    pub(super) fn new(entries: usize, rng: &mut LeafRng) -> Self {
        if entries <= LINEAR_MAX {
            // Padded to whole lanes; the padding is never indexed.
            PositionMap::Linear(vec![0; entries.next_multiple_of(LANES)])
        } else {
            let blocks = entries.div_ceil(LEAVES_PER_BLOCK);
            PositionMap::Recursive(Box::new(CircuitArray::with_rng(blocks, rng.child())))
        }
    }

    /// Sets entry `index` to `new` and returns what it held, both as
    /// stored (XOR the caller's mask).
    #[inline(always)]
    pub(super) fn swap(&mut self, index: u32, new: u32) -> u32 {
        let mut old = 0u32;
        match self {
            PositionMap::Linear(entries) => old = swap_at(entries, index, new),
            PositionMap::Recursive(array) => {
                let block = index as usize / LEAVES_PER_BLOCK;
                let within = index % LEAVES_PER_BLOCK as u32;
                array.access_block(block, &mut |b: &mut PositionBlock| {
                    old = swap_at(&mut b.leaves, within, new);
                });
            }
        }
        old
    }
}

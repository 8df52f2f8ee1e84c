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
use super::ct::{eq, sel};
use super::rng::LeafRng;

/// The largest map kept as a scanned vector (chosen by measurement: a scan
/// of this many entries costs about as much as one small ORAM access).
pub(super) const LINEAR_MAX: usize = 256;

/// A position map for `entries` blocks.
pub(super) enum PositionMap {
    Linear(Vec<u32>),
    Recursive(Box<CircuitArray<PositionBlock>>),
}

impl PositionMap {
    pub(super) fn new(entries: usize, rng: &mut LeafRng) -> Self {
        if entries <= LINEAR_MAX {
            PositionMap::Linear(vec![0; entries])
        } else {
            let blocks = entries.div_ceil(LEAVES_PER_BLOCK);
            PositionMap::Recursive(Box::new(CircuitArray::with_rng(blocks, rng.child())))
        }
    }

    /// Sets entry `index` to `new` and returns what it held, both as
    /// stored (XOR the caller's mask).
    pub(super) fn swap(&mut self, index: u32, new: u32) -> u32 {
        let mut old = 0u32;
        match self {
            PositionMap::Linear(entries) => {
                for (j, e) in entries.iter_mut().enumerate() {
                    let hit = eq(j as u32, index);
                    old = sel(old, *e, hit);
                    *e = sel(*e, new, hit);
                }
            }
            PositionMap::Recursive(array) => {
                let block = index as usize / LEAVES_PER_BLOCK;
                let within = index % LEAVES_PER_BLOCK as u32;
                array.access_block(block, &mut |b: &mut PositionBlock| {
                    for (j, e) in b.leaves.iter_mut().enumerate() {
                        let hit = eq(j as u32, within);
                        old = sel(old, *e, hit);
                        *e = sel(*e, new, hit);
                    }
                });
            }
        }
        old
    }
}

//! The position-map block of hush's ORAM.
//!
//! Like the other `blocks` modules, this module exists for rostl's
//! `impl_cmov_for_pod!` macro, which gives a block constant-time
//! conditional moves and expands to `unsafe` pointer casts between byte
//! chunks of a `Pod` type; they are sound for any `bytemuck::Pod` type,
//! which this one is (checked by the derive).
#![allow(unsafe_code)]

use bytemuck::{Pod, Zeroable};
use rostl_primitives::traits::{_Cmovbase, Cmov};
use rostl_primitives::{cmov_body, cxchg_body, impl_cmov_for_pod};

/// Leaves per position-map block (one 64-byte cache line).
pub(super) const LEAVES_PER_BLOCK: usize = 16;

/// [`LEAVES_PER_BLOCK`] leaves of the array below, each stored XOR a keyed
/// mask of its index so that a never-written (zero) block holds random
/// leaves.
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug)]
#[repr(C, align(64))]
pub(super) struct PositionBlock {
    pub(super) leaves: [u32; LEAVES_PER_BLOCK],
}

impl_cmov_for_pod!(PositionBlock);

const _: () = assert!(std::mem::size_of::<PositionBlock>() == 64);

/// A 1 KiB block, the size of a message, for tests.
#[cfg(test)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq, Eq)]
#[repr(C, align(16))]
pub(super) struct WideBlock {
    pub(super) words: [u64; 128],
}

#[cfg(test)]
impl Default for WideBlock {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

#[cfg(test)]
impl_cmov_for_pod!(WideBlock);

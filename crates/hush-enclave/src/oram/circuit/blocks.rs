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

/// Leaves per position-map block (128 bytes; with [`super::posmap::LINEAR_MAX`]
/// chosen by measurement: at 2^20 the message array's map is two small
/// ORAMs and a scan of 1,024 instead of three ORAMs and a scan of 256).
pub(super) const LEAVES_PER_BLOCK: usize = 32;

/// [`LEAVES_PER_BLOCK`] leaves of the array below, each stored XOR a keyed
/// mask of its index so that a never-written (zero) block holds random
/// leaves.
#[derive(Clone, Copy, Pod, Zeroable, Debug)]
#[repr(C, align(64))]
pub(super) struct PositionBlock {
    pub(super) leaves: [u32; LEAVES_PER_BLOCK],
}

impl Default for PositionBlock {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

impl_cmov_for_pod!(PositionBlock);

const _: () = assert!(std::mem::size_of::<PositionBlock>() == LEAVES_PER_BLOCK * 4);

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

/// A block of `N` words, for measurements.
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
pub(super) struct Words<const N: usize> {
    pub(super) words: [u64; N],
}

#[cfg(test)]
impl<const N: usize> Default for Words<N> {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

// SAFETY: an array of u64 with no padding (N words of 8 bytes, align 16
// adds none for even N, the only sizes used).
#[cfg(test)]
unsafe impl<const N: usize> Zeroable for Words<N> {}
#[cfg(test)]
unsafe impl<const N: usize> Pod for Words<N> {}

#[cfg(test)]
impl<const N: usize> Cmov for Words<N> {
    #[inline]
    fn cmov(&mut self, other: &Self, choice: bool) {
        cmov_body!(self, other, choice);
    }
    #[inline]
    fn cxchg(&mut self, other: &mut Self, choice: bool) {
        cxchg_body!(self, other, choice);
    }
}

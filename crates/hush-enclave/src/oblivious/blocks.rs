//! The fixed-size blocks of the shared oblivious structures: map records
//! and buckets ([`super::map`]) and free-list blocks ([`super::free_list`]).
//!
//! Like `services::broker::blocks`, this module exists for rostl's
//! `impl_cmov_for_pod!` macro, which gives a block constant-time conditional
//! moves and expands to `unsafe` pointer casts between byte chunks of a
//! `Pod` type; they are sound for any `bytemuck::Pod` type, which every type
//! here is (checked by the derive).
#![allow(unsafe_code)]

use bytemuck::{Pod, Zeroable};
use rostl_primitives::traits::{_Cmovbase, Cmov};
use rostl_primitives::{cmov_body, cxchg_body, impl_cmov_for_pod};

/// Records per map bucket.
pub(crate) const BUCKET_RECORDS: usize = 16;
/// Indices per free-list block (256 bytes: fewer, larger blocks make a
/// smaller ORAM tree and position map, which measured 4.3 + 2.9 us per
/// request for the two free lists at 2^20 with 4 per block, 3.4 + 2.1 with
/// 64).
pub(crate) const INDICES_PER_BLOCK: usize = 64;

/// The bit of [`MapRecord::entry`] that marks a record in use.
pub(crate) const RECORD_USED: u32 = 1 << 31;
/// The bits of [`MapRecord::entry`] that hold the value (every value is an
/// index into an oblivious array, below 2^30).
pub(crate) const RECORD_VALUE: u32 = RECORD_USED - 1;

/// A map record: a `K`-byte key -> a value below 2^31 (`K` + 4 bytes,
/// unpadded: the bucket is the unit the ORAM moves, and every byte of it
/// costs). `entry` is 0 when the record is free, else the value with
/// [`RECORD_USED`] set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct MapRecord<const K: usize> {
    pub(crate) key: [u8; K],
    pub(crate) entry: u32,
}

/// A map bucket of [`BUCKET_RECORDS`] records.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
pub(crate) struct MapBucket<const K: usize> {
    pub(crate) records: [MapRecord<K>; BUCKET_RECORDS],
}

impl<const K: usize> Default for MapRecord<K> {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

impl<const K: usize> Default for MapBucket<K> {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

// SAFETY: all fields are plain integers and byte arrays; every bit pattern
// is valid and zero is a valid value.
unsafe impl<const K: usize> Zeroable for MapRecord<K> {}
unsafe impl<const K: usize> Zeroable for MapBucket<K> {}
// SAFETY: `repr(C)` with no padding for the key lengths used (a multiple
// of four, checked for each below), no pointers, `Copy + 'static`.
unsafe impl<const K: usize> Pod for MapRecord<K> {}
// SAFETY: an array of `Pod` records; `align(16)` adds no padding because
// 16 records of K + 4 bytes are a multiple of 16 for the lengths used.
unsafe impl<const K: usize> Pod for MapBucket<K> {}

// A record is moved word by word (it is 4-byte aligned and a whole number
// of words, `K` being a multiple of four; rostl's 8-byte moves need 8-byte
// alignment, which a 28- or 36-byte record in a bucket does not have).
impl<const K: usize> Cmov for MapRecord<K> {
    #[inline]
    fn cmov(&mut self, other: &Self, choice: bool) {
        let m = crate::mask::from_bool(choice);
        let dst: &mut [u32] = bytemuck::cast_slice_mut(std::slice::from_mut(self));
        let src: &[u32] = bytemuck::cast_slice(std::slice::from_ref(other));
        for (d, s) in dst.iter_mut().zip(src) {
            *d = crate::mask::sel(*d, *s, m);
        }
    }
    #[inline]
    fn cxchg(&mut self, other: &mut Self, choice: bool) {
        let m = crate::mask::from_bool(choice);
        let a: &mut [u32] = bytemuck::cast_slice_mut(std::slice::from_mut(self));
        let b: &mut [u32] = bytemuck::cast_slice_mut(std::slice::from_mut(other));
        for (x, y) in a.iter_mut().zip(b.iter_mut()) {
            let t = (*x ^ *y) & m;
            *x ^= t;
            *y ^= t;
        }
    }
}

impl<const K: usize> Cmov for MapBucket<K> {
    #[inline]
    fn cmov(&mut self, other: &Self, choice: bool) {
        cmov_body!(self, other, choice);
    }
    #[inline]
    fn cxchg(&mut self, other: &mut Self, choice: bool) {
        cxchg_body!(self, other, choice);
    }
}

/// [`INDICES_PER_BLOCK`] free-list entries, stored XOR their position so a
/// never-written (zero) block reads as the identity permutation.
#[derive(Clone, Copy, Pod, Zeroable, Debug)]
#[repr(C, align(16))]
pub(crate) struct IndexBlock {
    pub(crate) raw: [u32; INDICES_PER_BLOCK],
}

impl Default for IndexBlock {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

impl_cmov_for_pod!(IndexBlock);

/// Key length of the broker's map (recipient keys).
pub(crate) const KEY32: usize = 32;
/// Key length of the rendezvous map (keyed digests cut to 192 bits).
pub(crate) const KEY24: usize = 24;
/// Key length of the directory's map (keyed digests cut to 96 bits).
const KEY12: usize = 12;
const _: () = assert!(std::mem::size_of::<MapRecord<KEY32>>() == KEY32 + 4);
const _: () = assert!(std::mem::size_of::<MapBucket<KEY32>>() == 576);
const _: () = assert!(std::mem::size_of::<MapRecord<KEY24>>() == KEY24 + 4);
const _: () = assert!(std::mem::size_of::<MapBucket<KEY24>>() == 448);
const _: () = assert!(std::mem::size_of::<MapRecord<KEY12>>() == KEY12 + 4);
const _: () = assert!(std::mem::size_of::<MapBucket<KEY12>>() == 256);
const _: () = assert!(std::mem::size_of::<IndexBlock>() == 4 * INDICES_PER_BLOCK);

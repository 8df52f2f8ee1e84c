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
use hush_wire::consts::KEY_LEN;
use rostl_primitives::traits::{_Cmovbase, Cmov};
use rostl_primitives::{cmov_body, cxchg_body, impl_cmov_for_pod};

/// Records per map bucket.
pub(crate) const BUCKET_RECORDS: usize = 16;
/// Indices per free-list block.
pub(crate) const INDICES_PER_BLOCK: usize = 4;

/// A map record: a 32-byte key -> a u32 value.
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug, PartialEq, Eq)]
#[repr(C, align(16))]
pub(crate) struct MapRecord {
    pub(crate) key: [u8; KEY_LEN],
    pub(crate) value: u32,
    pub(crate) used: u32,
    pub(crate) _pad: [u8; 8],
}

/// A map bucket of [`BUCKET_RECORDS`] records.
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug)]
#[repr(C, align(16))]
pub(crate) struct MapBucket {
    pub(crate) records: [MapRecord; BUCKET_RECORDS],
}

/// [`INDICES_PER_BLOCK`] free-list entries, stored XOR their position so a
/// never-written (zero) block reads as the identity permutation.
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug)]
#[repr(C, align(16))]
pub(crate) struct IndexBlock {
    pub(crate) raw: [u32; INDICES_PER_BLOCK],
}

impl_cmov_for_pod!(MapRecord);
impl_cmov_for_pod!(MapBucket);
impl_cmov_for_pod!(IndexBlock);

const _: () = assert!(std::mem::size_of::<MapRecord>() == 48);
const _: () = assert!(std::mem::size_of::<MapBucket>() % 16 == 0);
const _: () = assert!(std::mem::size_of::<IndexBlock>() == 16);

//! The fixed-size blocks the directory keeps in its `private` and
//! `profiles` arrays: an account is split in two so that a request moves
//! only what it may need (see `super` for the access sequence).
//!
//! Like `services::broker::blocks`, this module exists for rostl's
//! `impl_cmov_for_pod!` macro, which gives a block constant-time conditional
//! moves and expands to `unsafe` pointer casts between byte chunks of a
//! `Pod` type; they are sound for any `bytemuck::Pod` type, which every type
//! here is (checked by the derive).
#![allow(unsafe_code)]

use bytemuck::{Pod, Zeroable};
use hush_wire::consts::{DEVICE_LEN, KEY_LEN, MAX_DEVICES};
use rostl_primitives::traits::{_Cmovbase, Cmov};
use rostl_primitives::{cmov_body, cxchg_body, impl_cmov_for_pod};

/// Bytes of a stored device record: the wire record without its mailbox
/// key, which the directory requires to be the device's signing key and
/// puts back when it answers (card 128 | identity signature 64).
pub(crate) const STORED_DEVICE_LEN: usize = DEVICE_LEN - KEY_LEN;
/// Where the mailbox key sits in a wire device record.
pub(crate) const MAILBOX_AT: usize = hush_wire::consts::CARD_LEN;

/// Identifiers (registered or waiting for their code) an account may hold.
pub(crate) const MAX_IDENTIFIERS: usize = 4;
/// Accounts an account may block in the directory.
pub(crate) const MAX_BLOCKED: usize = 16;
/// Bytes of a blocked account's tag (a prefix of its keyed digest).
pub(crate) const BLOCK_TAG_LEN: usize = 8;

/// An identifier slot is empty.
pub(crate) const SLOT_EMPTY: u32 = 0;
/// An identifier slot waits for its code.
pub(crate) const SLOT_PENDING: u32 = 1;
/// An identifier slot is verified (and in the map).
pub(crate) const SLOT_VERIFIED: u32 = 2;

/// One identifier of an account: its keyed digest and registration state.
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug, PartialEq, Eq)]
#[repr(C, align(16))]
pub(crate) struct IdSlot {
    pub(crate) digest: [u8; 32],
    pub(crate) expires: u64,
    pub(crate) code: u32,
    pub(crate) attempts: u32,
    pub(crate) state: u32,
    pub(crate) _pad: [u8; 12],
}

/// The part of an account only its owner's requests read: the identity
/// key, the look-up budget and the identifier slots (with their codes).
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(16))]
pub(crate) struct PrivateBlock {
    pub(crate) identity: [u8; KEY_LEN],
    pub(crate) allocated: u32,
    pub(crate) lookups: u32,
    pub(crate) lookup_window: u64,
    pub(crate) ids: [IdSlot; MAX_IDENTIFIERS],
}

/// The part of an account a look-up returns (and its owner edits): the
/// identity key, switches, how many identifiers are verified, the devices
/// (the first `device_count` slots, in wire layout) and the accounts it
/// blocks. All zero when free.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(16))]
pub(crate) struct ProfileBlock {
    pub(crate) identity: [u8; KEY_LEN],
    pub(crate) allocated: u32,
    pub(crate) flags: u32,
    pub(crate) device_count: u32,
    pub(crate) verified: u32,
    pub(crate) devices: [[u8; STORED_DEVICE_LEN]; MAX_DEVICES],
    /// Accounts (identity-key tags) whose look-ups answer "no user".
    pub(crate) blocked: [[u8; BLOCK_TAG_LEN]; MAX_BLOCKED],
    pub(crate) blocked_used: [u8; MAX_BLOCKED],
}

impl_cmov_for_pod!(IdSlot);
impl_cmov_for_pod!(PrivateBlock);
impl_cmov_for_pod!(ProfileBlock);

impl Default for PrivateBlock {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

impl Default for ProfileBlock {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

// Never print account contents.
impl std::fmt::Debug for PrivateBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateBlock(..)")
    }
}

impl std::fmt::Debug for ProfileBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProfileBlock(..)")
    }
}

const _: () = assert!(std::mem::size_of::<IdSlot>() == 64);
const _: () = assert!(std::mem::size_of::<PrivateBlock>() == 304);
const _: () = assert!(std::mem::size_of::<ProfileBlock>() == 1728);

/// A wire device record as stored (its mailbox key dropped).
pub(crate) fn stored(device: &[u8; DEVICE_LEN]) -> [u8; STORED_DEVICE_LEN] {
    let mut out = [0u8; STORED_DEVICE_LEN];
    out[..MAILBOX_AT].copy_from_slice(&device[..MAILBOX_AT]);
    out[MAILBOX_AT..].copy_from_slice(&device[MAILBOX_AT + KEY_LEN..]);
    out
}

/// A stored device record as the wire has it (the mailbox key is the
/// signing key). All zero stays all zero.
pub(crate) fn wire(device: &[u8; STORED_DEVICE_LEN]) -> [u8; DEVICE_LEN] {
    let mut out = [0u8; DEVICE_LEN];
    out[..MAILBOX_AT].copy_from_slice(&device[..MAILBOX_AT]);
    out[MAILBOX_AT..MAILBOX_AT + KEY_LEN].copy_from_slice(&device[..KEY_LEN]);
    out[MAILBOX_AT + KEY_LEN..].copy_from_slice(&device[MAILBOX_AT..]);
    out
}

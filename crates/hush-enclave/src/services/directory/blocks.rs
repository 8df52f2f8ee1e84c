//! The fixed-size blocks the directory keeps in its `private`, `profiles`
//! and `device-pages` arrays: an account is split so that a request moves
//! only what it may need, and so that slots most accounts never use (a
//! third device and more) are not reserved for every account (see `super`
//! for the layout and the access sequence).
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

/// Verified identifiers an account may hold.
pub(crate) const MAX_IDENTIFIERS: usize = 4;
/// Accounts an account may block in the directory.
pub(crate) const MAX_BLOCKED: usize = 16;
/// Bytes of a blocked account's tag (a prefix of its keyed digest, never
/// all zero: an all-zero tag is a free entry). A look-up by an account
/// whose tag collides with one of the target's 16 is refused by mistake
/// with probability below 2^-43.
pub(crate) const BLOCK_TAG_LEN: usize = 6;
/// Device slots in a profile. An account with more devices takes a page
/// of [`PAGE_DEVICES`] more from a shared, smaller array.
pub(crate) const INLINE_DEVICES: usize = 2;
/// Device slots in a page.
pub(crate) const PAGE_DEVICES: usize = MAX_DEVICES - INLINE_DEVICES;
/// Bytes of the identifier digest a registration slot keeps (96 bits of
/// a keyed digest: two identifiers an account registers at once collide
/// with probability 2^-96).
pub(crate) const SLOT_DIGEST_LEN: usize = 12;
/// Registrations an account may have waiting for their codes at once (a
/// further one replaces the first).
pub(crate) const WAITING_SLOTS: usize = 2;

/// The registration slot waits for its code (0: it is empty).
pub(crate) const SLOT_PENDING: u16 = 1;

/// A registration waiting for its code: the identifier's keyed digest, when
/// the code expires, the code and the wrong attempts so far.
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct IdSlot {
    pub(crate) digest: [u8; SLOT_DIGEST_LEN],
    pub(crate) code: u32,
    /// Enclave time in seconds (u32: until 2106).
    pub(crate) expires: u32,
    pub(crate) attempts: u16,
    pub(crate) state: u16,
}

/// The part of an account only its owner's requests read: the identity
/// key, the look-up budget and the day's tokens, how many identifiers are
/// verified (they are
/// in the map, which says whose they are) and the registrations waiting
/// for their codes.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(8))]
pub(crate) struct PrivateBlock {
    pub(crate) identity: [u8; KEY_LEN],
    pub(crate) allocated: u32,
    pub(crate) lookups: u32,
    pub(crate) lookup_window: u64,
    pub(crate) verified: u32,
    /// Tokens granted in the look-up window (a day).
    pub(crate) tokens: u32,
    pub(crate) waiting: [IdSlot; WAITING_SLOTS],
}

/// A stored device record (see [`stored`]); all zero is a free slot (a
/// device's signing key is never zero).
pub(crate) type StoredDevice = [u8; STORED_DEVICE_LEN];

/// The part of an account a look-up returns (and its owner edits):
/// switches, how many identifiers are verified, the first
/// [`INLINE_DEVICES`] device slots, which page holds the others (its index
/// plus one, 0 when none) and the accounts it blocks. All zero when free.
/// Device slots are a set: a device goes into the first free slot, inline
/// before the page; the identity key's device, made with the account and
/// never removed, stays in the first (so the first slot's key is the
/// account's identity key; a closed account keeps only that key).
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(8))]
pub(crate) struct ProfileBlock {
    pub(crate) allocated: u8,
    pub(crate) flags: u8,
    pub(crate) device_count: u8,
    pub(crate) verified: u8,
    pub(crate) page: u32,
    pub(crate) devices: [StoredDevice; INLINE_DEVICES],
    /// Accounts (identity-key tags) whose look-ups answer "no user".
    pub(crate) blocked: [[u8; BLOCK_TAG_LEN]; MAX_BLOCKED],
}

/// The device slots of an account with more than [`INLINE_DEVICES`]
/// devices.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(8))]
pub(crate) struct DevicePage {
    pub(crate) devices: [StoredDevice; PAGE_DEVICES],
}

impl_cmov_for_pod!(IdSlot);
impl_cmov_for_pod!(PrivateBlock);
impl_cmov_for_pod!(ProfileBlock);
impl_cmov_for_pod!(DevicePage);

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

impl Default for DevicePage {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

impl std::fmt::Debug for DevicePage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DevicePage(..)")
    }
}

const _: () = assert!(std::mem::size_of::<IdSlot>() == 24);
const _: () = assert!(std::mem::size_of::<PrivateBlock>() == 104);
const _: () = assert!(std::mem::size_of::<ProfileBlock>() == 488);
const _: () = assert!(std::mem::size_of::<DevicePage>() == 1152);

/// A wire device record as stored (its mailbox key dropped).
pub(crate) fn stored(device: &[u8; DEVICE_LEN]) -> StoredDevice {
    let mut out = [0u8; STORED_DEVICE_LEN];
    out[..MAILBOX_AT].copy_from_slice(&device[..MAILBOX_AT]);
    out[MAILBOX_AT..].copy_from_slice(&device[MAILBOX_AT + KEY_LEN..]);
    out
}

/// A stored device record as the wire has it (the mailbox key is the
/// signing key). All zero stays all zero.
pub(crate) fn wire(device: &StoredDevice) -> [u8; DEVICE_LEN] {
    let mut out = [0u8; DEVICE_LEN];
    out[..MAILBOX_AT].copy_from_slice(&device[..MAILBOX_AT]);
    out[MAILBOX_AT..MAILBOX_AT + KEY_LEN].copy_from_slice(&device[..KEY_LEN]);
    out[MAILBOX_AT + KEY_LEN..].copy_from_slice(&device[MAILBOX_AT..]);
    out
}

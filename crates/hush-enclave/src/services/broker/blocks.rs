//! The fixed-size blocks the broker keeps in oblivious arrays.
//!
//! This module exists for one reason: rostl's `impl_cmov_for_pod!` macro,
//! which gives a block constant-time conditional moves using AVX2/AVX-512
//! when available, expands to `unsafe` pointer casts between byte chunks of a
//! `Pod` type. Those casts are sound for any `bytemuck::Pod` type, which every
//! type here is (checked by the derive). The only other modules of
//! hush-enclave allowed `unsafe` are the other `blocks` modules, for the
//! same macro (`oblivious::blocks`, `services::directory::blocks`).
#![allow(unsafe_code)]

use bytemuck::{Pod, Zeroable};
use hush_wire::consts::{ID_LEN, KEY_LEN, MAILBOX_CAPACITY, MESSAGE_LEN};
use rostl_primitives::traits::{_Cmovbase, Cmov};
use rostl_primitives::{cmov_body, cxchg_body, impl_cmov_for_pod};

/// A message slot: the 1024-byte wire layout of a message; all zero when free.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(16))]
pub(crate) struct MessageBlock {
    pub(crate) bytes: [u8; MESSAGE_LEN],
}

/// One message in a mailbox, in 32 bytes: which, from whom (tag), when,
/// and where. Every byte here is moved by every mailbox access, so the
/// fields are as narrow as they can be (issue 15: from 48 bytes, the
/// mailbox block from 3,168 to 2,176).
#[derive(Clone, Copy, Pod, Zeroable, Default, Debug, PartialEq, Eq)]
#[repr(C, align(16))]
pub(crate) struct Entry {
    pub(crate) id: [u8; ID_LEN],
    /// The first [`ENTRY_TAG_LEN`] bytes of a keyed hash of the sender's
    /// key, so update/delete permission is decided before the message is
    /// read (a collision between two senders has probability 2^-64, and
    /// the key is secret, so one cannot be searched for offline).
    pub(crate) sender_tag: [u8; ENTRY_TAG_LEN],
    /// When it was stored or last updated, in Unix seconds (the message
    /// keeps the full 64-bit time; see [`entry_time`]).
    pub(crate) timestamp: u32,
    /// The message slot, and [`ENTRY_HIDDEN`] in the top bit.
    pub(crate) slot_and_flags: u32,
}

/// Bytes of the sender tag kept in an entry.
pub(crate) const ENTRY_TAG_LEN: usize = 8;
/// Entry flag (top bit of `slot_and_flags`): the message came from a
/// blocked or disallowed sender. The owner never sees it; its sender sees
/// it as any other. Slots stay below it (`MAX_CAPACITY` is 2^30).
pub(crate) const ENTRY_HIDDEN: u32 = 1 << 31;

impl Entry {
    /// The message slot.
    pub(crate) fn slot(&self) -> u32 {
        self.slot_and_flags & !ENTRY_HIDDEN
    }
}

/// An entry's 32-bit time for `now`: Unix seconds fit until 2106; a later
/// clock is held at the largest value (the host's clock is public, so this
/// branch-free clamp hides nothing it needs to).
pub(crate) fn entry_time(now: u64) -> u32 {
    now.min(u32::MAX as u64) as u32
}
/// Senders a mailbox's policy can name.
pub(crate) const POLICY_ENTRIES: usize = 16;
/// Bytes of a sender tag kept in a policy (a prefix of the keyed tag; a
/// collision between two senders has probability 2^-64).
pub(crate) const POLICY_TAG_LEN: usize = 8;
/// Policy entry kinds.
pub(crate) const POLICY_NONE: u8 = 0;
/// A blocked sender.
pub(crate) const POLICY_BLOCKED: u8 = 1;
/// An allowed sender.
pub(crate) const POLICY_ALLOWED: u8 = 2;
/// Mailbox policy mode bit: only allowed senders may write.
pub(crate) const MODE_ALLOWED_ONLY: u32 = 1;

/// A recipient's mailbox: the owner, up to 62 entries, oldest first
/// (entries are appended with the current time, and time never goes back,
/// so oldest-first is also timestamp order), and the owner's policy: who
/// is blocked or allowed, and whether only allowed senders may write. A
/// mailbox with a policy stays allocated when empty.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(16))]
pub(crate) struct MailboxBlock {
    pub(crate) owner: [u8; KEY_LEN],
    pub(crate) len: u32,
    pub(crate) allocated: u32,
    pub(crate) policy_mode: u32,
    pub(crate) _pad: u32,
    pub(crate) entries: [Entry; MAILBOX_CAPACITY],
    pub(crate) policy_tags: [[u8; POLICY_TAG_LEN]; POLICY_ENTRIES],
    pub(crate) policy_kinds: [u8; POLICY_ENTRIES],
}

impl_cmov_for_pod!(MessageBlock);
impl_cmov_for_pod!(Entry);
impl_cmov_for_pod!(MailboxBlock);

impl Default for MessageBlock {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

impl Default for MailboxBlock {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

// Never print stored content.
impl std::fmt::Debug for MessageBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageBlock(..)")
    }
}

impl std::fmt::Debug for MailboxBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailboxBlock(..)")
    }
}

const _: () = assert!(std::mem::size_of::<MessageBlock>() == MESSAGE_LEN);
const _: () = assert!(std::mem::size_of::<Entry>() == 32);
const _: () = assert!(std::mem::size_of::<MailboxBlock>() == 2176);
const _: () = assert!(super::config::MAX_CAPACITY <= ENTRY_HIDDEN);
const _: () = assert!(std::mem::size_of::<MailboxBlock>().is_multiple_of(16));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmov_moves_whole_block_only_when_chosen() {
        let mut a = MailboxBlock::default();
        let mut b = MailboxBlock {
            len: 7,
            ..MailboxBlock::default()
        };
        b.entries[61].slot_and_flags = 9;
        a.cmov(&b, false);
        assert_eq!(a.len, 0);
        a.cmov(&b, true);
        assert_eq!(a.len, 7);
        assert_eq!(a.entries[61].slot(), 9);
    }
}

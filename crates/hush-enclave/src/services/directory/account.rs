//! Constant-time edits of an account's blocks: devices and blocked
//! accounts in its profile, identifier slots in its private part. Every
//! function scans every slot.

use super::blocks::STORED_DEVICE_LEN as DEVICE_LEN;
use super::blocks::{
    BLOCK_TAG_LEN, IdSlot, MAX_IDENTIFIERS, PrivateBlock, ProfileBlock, SLOT_EMPTY, SLOT_PENDING,
    SLOT_VERIFIED,
};
use crate::oblivious::ct::{as_u32, cmov, cmov_bytes, eq_bytes, eq_u32, lt_u32, sel_u32};
use hush_wire::consts::{KEY_LEN, MAX_DEVICES};
use subtle::Choice;

/// Whether the account has a device with signing key `key`, and where.
pub(crate) fn find_device(a: &ProfileBlock, key: &[u8; KEY_LEN]) -> (Choice, u32) {
    let mut found = Choice::from(0);
    let mut at = 0u32;
    for (i, d) in a.devices.iter().enumerate() {
        let live = lt_u32(i as u32, a.device_count);
        let hit = live & eq_bytes(&d[..KEY_LEN], key) & !found;
        at = sel_u32(at, i as u32, hit);
        found |= hit;
    }
    (found, at)
}

/// Appends `device` when `add` (the caller checked there is room).
pub(crate) fn add_device(a: &mut ProfileBlock, device: &[u8; DEVICE_LEN], add: Choice) {
    let count = a.device_count;
    for (i, d) in a.devices.iter_mut().enumerate() {
        cmov_bytes(d, device, add & eq_u32(i as u32, count));
    }
    a.device_count = count + as_u32(add);
}

/// Removes the device at `at` when `remove`: the last device moves into
/// its place.
pub(crate) fn remove_device(a: &mut ProfileBlock, at: u32, remove: Choice) {
    let last_at = a.device_count.wrapping_sub(1);
    let mut last = [0u8; DEVICE_LEN];
    for (i, d) in a.devices.iter().enumerate() {
        cmov_bytes(&mut last, d, eq_u32(i as u32, last_at));
    }
    for (i, d) in a.devices.iter_mut().enumerate() {
        cmov_bytes(d, &last, remove & eq_u32(i as u32, at));
    }
    for (i, d) in a.devices.iter_mut().enumerate() {
        cmov_bytes(d, &[0u8; DEVICE_LEN], remove & eq_u32(i as u32, last_at));
    }
    a.device_count -= as_u32(remove);
}

/// Verified identifier slots.
pub(crate) fn verified_count(a: &PrivateBlock) -> u32 {
    a.ids
        .iter()
        .map(|s| as_u32(eq_u32(s.state, SLOT_VERIFIED)))
        .sum()
}

/// The slot holding `digest` (any state but empty), if any.
pub(crate) fn find_id(a: &PrivateBlock, digest: &[u8; 32]) -> (Choice, IdSlot, u32) {
    let mut found = Choice::from(0);
    let mut slot = IdSlot::default();
    let mut at = 0u32;
    for (i, s) in a.ids.iter().enumerate() {
        let hit = !eq_u32(s.state, SLOT_EMPTY) & eq_bytes(&s.digest, digest) & !found;
        cmov(&mut slot, s, hit);
        at = sel_u32(at, i as u32, hit);
        found |= hit;
    }
    (found, slot, at)
}

/// Where a new registration of `digest` goes: its own slot if it has one,
/// else the first empty slot, else the first slot still waiting for a
/// code (its registration is abandoned). None when all are verified.
pub(crate) fn slot_for_registration(a: &PrivateBlock, digest: &[u8; 32]) -> (Choice, u32) {
    let (own, _, own_at) = find_id(a, digest);
    let mut empty = Choice::from(0);
    let mut empty_at = 0u32;
    let mut pending = Choice::from(0);
    let mut pending_at = 0u32;
    for (i, s) in a.ids.iter().enumerate() {
        let e = eq_u32(s.state, SLOT_EMPTY) & !empty;
        empty_at = sel_u32(empty_at, i as u32, e);
        empty |= e;
        let p = eq_u32(s.state, SLOT_PENDING) & !pending;
        pending_at = sel_u32(pending_at, i as u32, p);
        pending |= p;
    }
    let mut at = sel_u32(pending_at, empty_at, empty);
    at = sel_u32(at, own_at, own);
    (own | empty | pending, at)
}

/// Writes `slot` at `at` when `write`.
pub(crate) fn put_id(a: &mut PrivateBlock, at: u32, slot: &IdSlot, write: Choice) {
    for (i, s) in a.ids.iter_mut().enumerate() {
        cmov(s, slot, write & eq_u32(i as u32, at));
    }
}

/// Whether the account blocks `tag`.
pub(crate) fn blocks(a: &ProfileBlock, tag: &[u8; BLOCK_TAG_LEN]) -> Choice {
    let mut hit = Choice::from(0);
    for (t, used) in a.blocked.iter().zip(a.blocked_used.iter()) {
        hit |= !eq_u32(*used as u32, 0) & eq_bytes(t, tag);
    }
    hit
}

/// Blocks (`block`) or unblocks (`unblock`) `tag`. Returns false when a
/// block needed a free entry and there was none (nothing changed).
pub(crate) fn set_blocked(
    a: &mut ProfileBlock,
    tag: &[u8; BLOCK_TAG_LEN],
    block: Choice,
    unblock: Choice,
) -> Choice {
    let present = blocks(a, tag);
    let mut free = Choice::from(0);
    let mut free_at = 0u32;
    for (i, used) in a.blocked_used.iter().enumerate() {
        let empty = eq_u32(*used as u32, 0) & !free;
        free_at = sel_u32(free_at, i as u32, empty);
        free |= empty;
    }
    let add = block & !present & free;
    for (i, (t, used)) in a
        .blocked
        .iter_mut()
        .zip(a.blocked_used.iter_mut())
        .enumerate()
    {
        let here = add & eq_u32(i as u32, free_at);
        cmov_bytes(t, tag, here);
        *used = subtle::ConditionallySelectable::conditional_select(&*used, &1, here);
        let drop = unblock & !eq_u32(*used as u32, 0) & eq_bytes(t, tag);
        cmov_bytes(t, &[0; BLOCK_TAG_LEN], drop);
        *used = subtle::ConditionallySelectable::conditional_select(&*used, &0, drop);
    }
    !block | present | free
}

const _: () = assert!(MAX_IDENTIFIERS <= 8 && MAX_DEVICES <= 8);

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(b: u8) -> [u8; DEVICE_LEN] {
        [b; DEVICE_LEN]
    }

    #[test]
    fn devices_add_find_and_remove_compactly() {
        let mut a = ProfileBlock::default();
        for b in 1..=4 {
            add_device(&mut a, &dev(b), Choice::from(1));
        }
        add_device(&mut a, &dev(9), Choice::from(0));
        assert_eq!(a.device_count, 4);
        let (found, at) = find_device(&a, &[3; KEY_LEN]);
        assert!(bool::from(found));
        assert_eq!(at, 2);
        assert!(!bool::from(find_device(&a, &[9; KEY_LEN]).0));
        remove_device(&mut a, at, Choice::from(1));
        assert_eq!(a.device_count, 3);
        assert_eq!(a.devices[2], dev(4));
        assert_eq!(a.devices[3], [0; DEVICE_LEN]);
        assert!(!bool::from(find_device(&a, &[3; KEY_LEN]).0));
        remove_device(&mut a, 0, Choice::from(0));
        assert_eq!(a.device_count, 3);
    }

    #[test]
    fn block_list_adds_removes_and_fills() {
        let mut a = ProfileBlock::default();
        let (yes, no) = (Choice::from(1), Choice::from(0));
        assert!(bool::from(set_blocked(&mut a, &[1; 8], yes, no)));
        assert!(bool::from(blocks(&a, &[1; 8])));
        assert!(!bool::from(blocks(&a, &[2; 8])));
        assert!(bool::from(set_blocked(&mut a, &[1; 8], yes, no)));
        assert_eq!(a.blocked_used.iter().filter(|u| **u == 1).count(), 1);
        set_blocked(&mut a, &[1; 8], no, yes);
        assert!(!bool::from(blocks(&a, &[1; 8])));
        for n in 0..16u8 {
            assert!(bool::from(set_blocked(&mut a, &[n + 10; 8], yes, no)));
        }
        assert!(!bool::from(set_blocked(&mut a, &[99; 8], yes, no)));
        assert!(!bool::from(blocks(&a, &[99; 8])));
    }

    #[test]
    fn registration_slots_prefer_own_then_empty_then_pending() {
        let mut a = PrivateBlock::default();
        let slot = |d: u8, state| IdSlot {
            digest: [d; 32],
            state,
            ..IdSlot::default()
        };
        put_id(&mut a, 1, &slot(1, SLOT_VERIFIED), Choice::from(1));
        assert_eq!(slot_for_registration(&a, &[2; 32]).1, 0);
        assert_eq!(slot_for_registration(&a, &[1; 32]).1, 1);
        put_id(&mut a, 0, &slot(2, SLOT_PENDING), Choice::from(1));
        put_id(&mut a, 2, &slot(3, SLOT_VERIFIED), Choice::from(1));
        put_id(&mut a, 3, &slot(4, SLOT_VERIFIED), Choice::from(1));
        assert_eq!(slot_for_registration(&a, &[5; 32]).1, 0);
        put_id(&mut a, 0, &slot(2, SLOT_VERIFIED), Choice::from(1));
        let (room, _) = slot_for_registration(&a, &[5; 32]);
        assert!(!bool::from(room));
        assert_eq!(verified_count(&a), 4);
    }
}

//! Constant-time edits of an account's blocks: device slots (in its
//! profile and its page) and blocked accounts in its profile. Every
//! function scans every slot.

use super::blocks::{
    BLOCK_TAG_LEN, IdSlot, MAX_IDENTIFIERS, PrivateBlock, ProfileBlock, SLOT_DIGEST_LEN,
    SLOT_PENDING, StoredDevice,
};
use crate::oblivious::ct::{cmov, cmov_bytes, eq_bytes, eq_u32, is_zero, sel_u32};
use hush_wire::consts::{KEY_LEN, MAX_DEVICES};
use subtle::Choice;

/// Whether some slot is free.
pub(crate) fn has_free_slot(slots: &[StoredDevice]) -> Choice {
    let mut free = Choice::from(0);
    for d in slots {
        free |= is_zero(&d[..KEY_LEN]);
    }
    free
}

/// Puts `device` in the first free slot when `add`; returns whether it
/// was placed.
pub(crate) fn add_device(slots: &mut [StoredDevice], device: &StoredDevice, add: Choice) -> Choice {
    let mut placed = Choice::from(0);
    for d in slots.iter_mut() {
        let here = add & !placed & is_zero(&d[..KEY_LEN]);
        cmov_bytes(d, device, here);
        placed |= here;
    }
    placed
}

/// Frees the slot of the device with signing key `key` when `remove`;
/// returns whether there was one.
pub(crate) fn remove_device(
    slots: &mut [StoredDevice],
    key: &[u8; KEY_LEN],
    remove: Choice,
) -> Choice {
    let mut hit = Choice::from(0);
    for d in slots.iter_mut() {
        let here = remove & !is_zero(&d[..KEY_LEN]) & eq_bytes(&d[..KEY_LEN], key);
        cmov_bytes(d, &[0u8; super::blocks::STORED_DEVICE_LEN], here);
        hit |= here;
    }
    hit
}

/// The devices of `slots` (inline slots first, then the page's), in slot
/// order, packed to the front of `out`.
pub(crate) fn packed(slots: &[StoredDevice], out: &mut [StoredDevice; MAX_DEVICES]) {
    let mut rank = 0u32;
    for d in slots {
        let used = !is_zero(&d[..KEY_LEN]);
        for (j, o) in out.iter_mut().enumerate() {
            cmov_bytes(o, d, used & crate::oblivious::ct::eq_u32(j as u32, rank));
        }
        rank += crate::oblivious::ct::as_u32(used);
    }
}

/// The waiting registration of `digest`, if any, and its slot.
pub(crate) fn find_waiting(
    a: &PrivateBlock,
    digest: &[u8; SLOT_DIGEST_LEN],
) -> (Choice, IdSlot, u32) {
    let mut found = Choice::from(0);
    let mut slot = IdSlot::default();
    let mut at = 0u32;
    for (i, s) in a.waiting.iter().enumerate() {
        let hit =
            eq_u32(s.state as u32, SLOT_PENDING as u32) & eq_bytes(&s.digest, digest) & !found;
        cmov(&mut slot, s, hit);
        at = sel_u32(at, i as u32, hit);
        found |= hit;
    }
    (found, slot, at)
}

/// Where a new registration of `digest` waits: its own slot if it has
/// one, else the first empty slot, else the first (whose registration is
/// abandoned).
pub(crate) fn slot_for_registration(a: &PrivateBlock, digest: &[u8; SLOT_DIGEST_LEN]) -> u32 {
    let (own, _, own_at) = find_waiting(a, digest);
    let mut empty = Choice::from(0);
    let mut empty_at = 0u32;
    for (i, s) in a.waiting.iter().enumerate() {
        let e = eq_u32(s.state as u32, 0) & !empty;
        empty_at = sel_u32(empty_at, i as u32, e);
        empty |= e;
    }
    sel_u32(sel_u32(0, empty_at, empty), own_at, own)
}

/// Writes `slot` at `at` when `write`.
pub(crate) fn put_waiting(a: &mut PrivateBlock, at: u32, slot: &IdSlot, write: Choice) {
    for (i, s) in a.waiting.iter_mut().enumerate() {
        cmov(s, slot, write & eq_u32(i as u32, at));
    }
}

/// A blocked account's tag from its keyed digest (never all zero).
pub(crate) fn block_tag(digest: &[u8; 32]) -> [u8; BLOCK_TAG_LEN] {
    let mut tag: [u8; BLOCK_TAG_LEN] = digest[..BLOCK_TAG_LEN].try_into().expect("tag prefix");
    tag[0] |= 1;
    tag
}

/// Whether the account blocks `tag`.
pub(crate) fn blocks(a: &ProfileBlock, tag: &[u8; BLOCK_TAG_LEN]) -> Choice {
    let mut hit = Choice::from(0);
    for t in a.blocked.iter() {
        hit |= !is_zero(t) & eq_bytes(t, tag);
    }
    hit
}

/// Blocks (`block`) or unblocks (`unblock`) `tag` (never all zero).
/// Returns false when a block needed a free entry and there was none
/// (nothing changed).
pub(crate) fn set_blocked(
    a: &mut ProfileBlock,
    tag: &[u8; BLOCK_TAG_LEN],
    block: Choice,
    unblock: Choice,
) -> Choice {
    let present = blocks(a, tag);
    let mut free = Choice::from(0);
    let add = block & !present;
    for t in a.blocked.iter_mut() {
        let empty = is_zero(t);
        let here = add & empty & !free;
        free |= empty;
        let drop = unblock & eq_bytes(t, tag);
        cmov_bytes(t, tag, here);
        cmov_bytes(t, &[0; BLOCK_TAG_LEN], drop);
    }
    !block | present | free
}

const _: () = assert!(MAX_IDENTIFIERS <= 8 && MAX_DEVICES <= 8);

#[cfg(test)]
mod tests {
    use super::super::blocks::{INLINE_DEVICES, PAGE_DEVICES, STORED_DEVICE_LEN};
    use super::*;

    fn dev(b: u8) -> StoredDevice {
        [b; STORED_DEVICE_LEN]
    }

    #[test]
    fn devices_fill_free_slots_and_pack_in_slot_order() {
        let (yes, no) = (Choice::from(1), Choice::from(0));
        let mut slots = [[0u8; STORED_DEVICE_LEN]; INLINE_DEVICES + PAGE_DEVICES];
        for b in 1..=4 {
            assert!(bool::from(add_device(&mut slots, &dev(b), yes)));
        }
        assert!(!bool::from(add_device(&mut slots, &dev(9), no)));
        assert!(bool::from(remove_device(&mut slots, &[2; KEY_LEN], yes)));
        assert!(!bool::from(remove_device(&mut slots, &[2; KEY_LEN], yes)));
        assert!(!bool::from(remove_device(&mut slots, &[3; KEY_LEN], no)));
        let mut out = [[0u8; STORED_DEVICE_LEN]; MAX_DEVICES];
        packed(&slots, &mut out);
        assert_eq!(&out[..3], &[dev(1), dev(3), dev(4)]);
        assert_eq!(out[3], [0; STORED_DEVICE_LEN]);
        // The freed slot is the next one filled.
        add_device(&mut slots, &dev(5), yes);
        assert_eq!(slots[1], dev(5));
        for b in 6..=9 {
            assert!(bool::from(add_device(&mut slots, &dev(b), yes)));
        }
        assert!(!bool::from(has_free_slot(&slots)));
        assert!(!bool::from(add_device(&mut slots, &dev(10), yes)));
    }

    #[test]
    fn registrations_wait_in_their_own_slot_then_an_empty_one_then_the_first() {
        let mut a = PrivateBlock::default();
        let slot = |d: u8| IdSlot {
            digest: [d; SLOT_DIGEST_LEN],
            state: SLOT_PENDING,
            ..IdSlot::default()
        };
        assert_eq!(slot_for_registration(&a, &[1; SLOT_DIGEST_LEN]), 0);
        put_waiting(&mut a, 0, &slot(1), Choice::from(1));
        assert_eq!(slot_for_registration(&a, &[2; SLOT_DIGEST_LEN]), 1);
        assert_eq!(slot_for_registration(&a, &[1; SLOT_DIGEST_LEN]), 0);
        put_waiting(&mut a, 1, &slot(2), Choice::from(1));
        assert_eq!(slot_for_registration(&a, &[2; SLOT_DIGEST_LEN]), 1);
        assert_eq!(slot_for_registration(&a, &[3; SLOT_DIGEST_LEN]), 0);
        put_waiting(&mut a, 0, &IdSlot::default(), Choice::from(1));
        assert!(!bool::from(find_waiting(&a, &[1; SLOT_DIGEST_LEN]).0));
        let (found, s, at) = find_waiting(&a, &[2; SLOT_DIGEST_LEN]);
        assert!(bool::from(found));
        assert_eq!((s, at), (slot(2), 1));
        assert_eq!(slot_for_registration(&a, &[3; SLOT_DIGEST_LEN]), 0);
    }

    #[test]
    fn block_list_adds_removes_and_fills() {
        let mut a = ProfileBlock::default();
        let (yes, no) = (Choice::from(1), Choice::from(0));
        let tag = |n: u8| block_tag(&[n; 32]);
        assert!(bool::from(set_blocked(&mut a, &tag(2), yes, no)));
        assert!(bool::from(blocks(&a, &tag(2))));
        assert!(!bool::from(blocks(&a, &tag(4))));
        assert!(!bool::from(blocks(&a, &[0; BLOCK_TAG_LEN])));
        assert!(bool::from(set_blocked(&mut a, &tag(2), yes, no)));
        assert_eq!(
            a.blocked
                .iter()
                .filter(|t| **t != [0; BLOCK_TAG_LEN])
                .count(),
            1
        );
        set_blocked(&mut a, &tag(2), no, yes);
        assert!(!bool::from(blocks(&a, &tag(2))));
        for n in 0..16u8 {
            assert!(bool::from(set_blocked(&mut a, &tag(2 * n + 10), yes, no)));
        }
        assert!(!bool::from(set_blocked(&mut a, &tag(99), yes, no)));
        assert!(!bool::from(blocks(&a, &tag(99))));
    }
}

//! Constant-time operations on one mailbox block: prune expired entries,
//! find an id, find the oldest entry the owner may see, remove at a
//! position, append, and list what the owner may see.
//!
//! Entries are kept oldest first. Every function touches every entry, and
//! loop bounds are the public mailbox capacity, never the secret length.

use super::blocks::{ENTRY_HIDDEN, Entry, MailboxBlock};
use crate::mask::{eq, eq_bytes, from_bit, from_choice, lt, lt_u64, sel, to_choice, wide};
use hush_wire::consts::{ID_LEN, LISTING_LEN, MAILBOX_CAPACITY};
use subtle::Choice;

const CAP: u32 = MAILBOX_CAPACITY as u32;

/// `if m { *dst = *src }` for one entry, as four masked 64-bit words.
#[inline(always)]
fn move_entry(dst: &mut Entry, src: &Entry, m: u32) {
    let m = wide(m);
    let d: &mut [u64; 4] = bytemuck::cast_mut(dst);
    let s: &[u64; 4] = bytemuck::cast_ref(src);
    for (d, s) in d.iter_mut().zip(s) {
        *d ^= (*d ^ *s) & m;
    }
}

/// An id as two words.
#[inline(always)]
fn id_words(id: &[u8; ID_LEN]) -> [u64; 2] {
    bytemuck::cast(*id)
}

/// The mask of "stored at `timestamp`, expired at `now`".
#[inline(always)]
fn expired_mask(timestamp: u64, now: u64, ttl: u64) -> u32 {
    !lt_u64(now, timestamp.saturating_add(ttl))
}

/// Whether a message stored at `timestamp` has expired at `now`.
#[inline]
pub(crate) fn expired(timestamp: u64, now: u64, ttl: u64) -> Choice {
    to_choice(expired_mask(timestamp, now, ttl))
}

/// Removes the expired entries. They form a prefix (entries are appended
/// with the current, never-decreasing time), so this is a shift left by
/// their count, done as a barrel shifter over every entry.
pub(crate) fn prune_expired(mb: &mut MailboxBlock, now: u64, ttl: u64) {
    let mut k = 0u32;
    for (i, e) in mb.entries.iter().enumerate() {
        k += lt(i as u32, mb.len) & expired_mask(e.timestamp as u64, now, ttl) & 1;
    }
    shift_left(&mut mb.entries, k);
    mb.len -= k;
}

/// Shifts entries left by `k` (0..=CAP), zero-filling the end.
fn shift_left(entries: &mut [Entry; MAILBOX_CAPACITY], k: u32) {
    let zero = Entry::default();
    let mut bit_index = 0;
    while (1usize << bit_index) <= MAILBOX_CAPACITY {
        let step = 1usize << bit_index;
        let bit = from_bit(k >> bit_index);
        for i in 0..MAILBOX_CAPACITY {
            let src = if i + step < MAILBOX_CAPACITY {
                entries[i + step]
            } else {
                zero
            };
            move_entry(&mut entries[i], &src, bit);
        }
        bit_index += 1;
    }
}

/// The position of the live entry with `id`, if any.
pub(crate) fn find(mb: &MailboxBlock, id: &[u8; ID_LEN]) -> (Choice, u32) {
    let mut found = 0u32;
    let mut pos = 0u32;
    for (i, e) in mb.entries.iter().enumerate() {
        let hit = lt(i as u32, mb.len) & eq_bytes(&e.id, id);
        found |= hit;
        pos = sel(pos, i as u32, hit);
    }
    (to_choice(found), pos)
}

/// The mask of "hidden from the owner".
#[inline(always)]
fn hidden_mask(e: &Entry) -> u32 {
    !eq(e.slot_and_flags & ENTRY_HIDDEN, 0)
}

/// Whether an entry is hidden from the owner.
#[inline]
pub(crate) fn hidden(e: &Entry) -> Choice {
    to_choice(hidden_mask(e))
}

/// The position of the oldest live entry the owner may see, if any.
pub(crate) fn first_visible(mb: &MailboxBlock) -> (Choice, u32) {
    let mut found = 0u32;
    let mut pos = 0u32;
    for (i, e) in mb.entries.iter().enumerate() {
        let hit = lt(i as u32, mb.len) & !hidden_mask(e) & !found;
        pos = sel(pos, i as u32, hit);
        found |= hit;
    }
    (to_choice(found), pos)
}

/// The entry at `pos` (a copy; zero when out of range).
pub(crate) fn entry_at(mb: &MailboxBlock, pos: u32) -> Entry {
    let mut out = Entry::default();
    for (i, e) in mb.entries.iter().enumerate() {
        move_entry(&mut out, e, eq(i as u32, pos));
    }
    out
}

/// Removes the entry at `pos` when `doit`, keeping order.
pub(crate) fn remove_at(mb: &mut MailboxBlock, pos: u32, doit: Choice) {
    let doit = from_choice(doit);
    let zero = Entry::default();
    for i in 0..MAILBOX_CAPACITY {
        let src = if i + 1 < MAILBOX_CAPACITY {
            mb.entries[i + 1]
        } else {
            zero
        };
        let shift = doit & !lt(i as u32, pos);
        move_entry(&mut mb.entries[i], &src, shift);
    }
    mb.len -= doit & 1;
}

/// Appends `entry` when `doit` (the caller checked `len < CAP`).
pub(crate) fn append(mb: &mut MailboxBlock, entry: &Entry, doit: Choice) {
    let doit = from_choice(doit);
    for (i, e) in mb.entries.iter_mut().enumerate() {
        move_entry(e, entry, doit & eq(i as u32, mb.len));
    }
    mb.len += doit & 1;
}

/// Whether the mailbox holds the maximum number of entries.
pub(crate) fn is_full(mb: &MailboxBlock) -> Choice {
    to_choice(eq(mb.len, CAP))
}

/// The ids the owner may see, oldest first, as the response listing (zero
/// beyond them), and how many there are.
///
/// Hidden entries are squeezed out by an order-preserving compaction: each
/// visible id moves left by the number of hidden entries before it, in
/// rounds of 1, 2, 4, ... positions (the bits of that distance, lowest
/// first), so two ids never meet. Every round touches every position.
pub(crate) fn listing(mb: &MailboxBlock) -> ([u8; LISTING_LEN], u32) {
    let mut ids = [[0u64; 2]; MAILBOX_CAPACITY];
    let mut valid = [0u32; MAILBOX_CAPACITY];
    let mut dist = [0u32; MAILBOX_CAPACITY];
    let mut hidden_before = 0u32;
    let mut count = 0u32;
    for (i, e) in mb.entries.iter().enumerate() {
        let live = lt(i as u32, mb.len);
        let hide = hidden_mask(e);
        let shown = live & !hide;
        let w = wide(shown);
        let id = id_words(&e.id);
        ids[i] = [id[0] & w, id[1] & w];
        valid[i] = shown;
        dist[i] = hidden_before;
        hidden_before += live & hide & 1;
        count += shown & 1;
    }
    let mut bit = 0;
    while (1usize << bit) < MAILBOX_CAPACITY {
        let step = 1usize << bit;
        for i in step..MAILBOX_CAPACITY {
            let t = i - step;
            let go = valid[i] & from_bit(dist[i] >> bit);
            let w = wide(go);
            let moving = ids[i];
            for (dst, src) in ids[t].iter_mut().zip(moving) {
                *dst ^= (*dst ^ src) & w;
            }
            for word in ids[i].iter_mut() {
                *word &= !w;
            }
            dist[t] = sel(dist[t], dist[i], go);
            valid[t] |= go;
            valid[i] &= !go;
        }
        bit += 1;
    }
    let mut out = [0u8; LISTING_LEN];
    for (i, id) in ids.iter().enumerate() {
        out[i * ID_LEN..(i + 1) * ID_LEN].copy_from_slice(bytemuck::bytes_of(id));
    }
    (out, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(n: u8, ts: u64) -> Entry {
        Entry {
            id: [n; ID_LEN],
            sender_tag: [n; 8],
            timestamp: ts as u32,
            slot_and_flags: n as u32,
        }
    }

    fn ids(mb: &MailboxBlock) -> Vec<u8> {
        mb.entries[..mb.len as usize]
            .iter()
            .map(|e| e.id[0])
            .collect()
    }

    proptest! {
        #[test]
        fn ops_match_a_vec(
            script in proptest::collection::vec((0u8..4, 1u8..80, 0u32..64), 0..150),
        ) {
            let ttl = 10;
            let mut now = 0u64;
            let mut mb = MailboxBlock::default();
            let mut model: Vec<(u8, u64)> = Vec::new();
            for (kind, n, arg) in script {
                match kind {
                    0 => {
                        let full = bool::from(is_full(&mb));
                        prop_assert_eq!(full, model.len() == MAILBOX_CAPACITY);
                        append(&mut mb, &entry(n, now), Choice::from(!full as u8));
                        if !full { model.push((n, now)); }
                    }
                    1 => {
                        let pos = arg % (CAP + 2);
                        let ok = (pos as usize) < model.len();
                        remove_at(&mut mb, pos, Choice::from(ok as u8));
                        if ok { model.remove(pos as usize); }
                    }
                    2 => {
                        now += (arg % 7) as u64;
                        prune_expired(&mut mb, now, ttl);
                        model.retain(|&(_, ts)| ts + ttl > now);
                    }
                    _ => {
                        let (found, pos) = find(&mb, &[n; ID_LEN]);
                        let want = model.iter().rposition(|&(m, _)| m == n);
                        prop_assert_eq!(bool::from(found), want.is_some());
                        if want.is_some() {
                            prop_assert_eq!(entry_at(&mb, pos).id[0], n);
                        }
                    }
                }
                prop_assert_eq!(ids(&mb), model.iter().map(|m| m.0).collect::<Vec<_>>());
                let (l, count) = listing(&mb);
                prop_assert_eq!(count as usize, model.len());
                for (i, (m, _)) in model.iter().enumerate() {
                    prop_assert_eq!(l[i * ID_LEN], *m);
                }
                prop_assert!(l[model.len() * ID_LEN..].iter().all(|&b| b == 0));
                prop_assert!(mb.entries[mb.len as usize..].iter().all(|e| *e == Entry::default()));
            }
        }
    }
}

#[cfg(test)]
mod hidden_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The listing and the oldest visible entry skip hidden entries,
        /// in order, wherever they are.
        #[test]
        fn listing_skips_hidden_entries(flags in proptest::collection::vec(any::<bool>(), 0..=MAILBOX_CAPACITY)) {
            let mut mb = MailboxBlock::default();
            for (i, hide) in flags.iter().enumerate() {
                let e = Entry {
                    id: [i as u8 + 1; ID_LEN],
                    slot_and_flags: if *hide { ENTRY_HIDDEN } else { 0 },
                    ..Entry::default()
                };
                append(&mut mb, &e, Choice::from(1));
            }
            let want: Vec<u8> = flags.iter().enumerate().filter(|(_, h)| !**h).map(|(i, _)| i as u8 + 1).collect();
            let (l, count) = listing(&mb);
            prop_assert_eq!(count as usize, want.len());
            for (i, id) in want.iter().enumerate() {
                prop_assert_eq!(&l[i * ID_LEN..(i + 1) * ID_LEN], &[*id; ID_LEN][..]);
            }
            prop_assert!(l[want.len() * ID_LEN..].iter().all(|&b| b == 0));
            let (found, pos) = first_visible(&mb);
            prop_assert_eq!(bool::from(found), !want.is_empty());
            if let Some(first) = want.first() {
                prop_assert_eq!(entry_at(&mb, pos).id[0], *first);
            }
        }
    }
}

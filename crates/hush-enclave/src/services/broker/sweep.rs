//! The expiry sweep: a fixed amount of work per tick, real or dummy.
//!
//! Two cursors walk the message slots and the mailboxes in order (public
//! positions, so the host learns nothing from them). A slot step clears an
//! expired message and returns its slot to the free list; a mailbox step
//! prunes expired entries and, when the mailbox is left empty, frees it and
//! removes it from the directory. Both steps make the same accesses whether
//! or not anything expired.

use super::blocks::{MailboxBlock, MessageBlock};
use super::mailbox::{expired, prune_expired};
use super::{MSG_PAYLOAD_AT, MSG_TIMESTAMP_AT, Store};
use crate::oblivious::ct::{cmov, eq_u32, is_zero, sel_u32};
use hush_wire::consts::{ID_LEN, KEY_LEN};
use subtle::Choice;

/// Slices one tick's sweep is cut into when the host asks for it in slices
/// ([`Store::tick_sliced`], [`Store::sweep_slice`]): at 2^20 a whole tick
/// is about 6 ms of accesses, which every request arriving meanwhile
/// waits behind; a slice is about a tenth of that.
pub const SWEEP_SLICES: u32 = 10;

impl Store {
    /// Advances the clock to `now` (never backwards) and runs one tick of
    /// the expiry sweep. When the slot cursor completes a pass over the
    /// store, the coarse occupancy figure is published (see
    /// [`Store::published_occupancy`]).
    pub fn tick(&mut self, now: u64) {
        self.advance_clock(now);
        self.finish_owed_slices();
        self.run_steps(
            self.config.sweep_slots_per_tick,
            self.config.sweep_mailboxes_per_tick,
        );
    }

    /// The same sweep as [`Store::tick`], in [`SWEEP_SLICES`] slices: the
    /// slices still owed from the last tick run now (so a host that never
    /// asks for slices gets whole ticks, one tick late), then the first
    /// slice of this tick; [`Store::sweep_slice`] runs the others. Never
    /// more than one tick's work per call of this, whatever the host does.
    pub fn tick_sliced(&mut self, now: u64) {
        self.advance_clock(now);
        self.finish_owed_slices();
        self.slices_owed = SWEEP_SLICES;
        self.sweep_slice();
    }

    /// Runs the next slice of the current tick's sweep, if one is owed.
    /// Whether it runs depends only on how often the host called this and
    /// [`Store::tick_sliced`].
    pub fn sweep_slice(&mut self) {
        if self.slices_owed > 0 {
            let slice = SWEEP_SLICES - self.slices_owed;
            self.slices_owed -= 1;
            self.run_slice(slice);
        }
    }

    fn finish_owed_slices(&mut self) {
        while self.slices_owed > 0 {
            self.sweep_slice();
        }
    }

    /// Slice `slice` of a tick: its share of the tick's slot and mailbox
    /// steps (the first slices take the remainder, so a tick of one step
    /// does it in its first slice). The shares are public: they depend on
    /// the configuration only.
    fn run_slice(&mut self, slice: u32) {
        let share = |per_tick: u32| {
            let bound =
                |s: u32| (u64::from(per_tick) * u64::from(s)).div_ceil(u64::from(SWEEP_SLICES));
            (bound(slice + 1) - bound(slice)) as u32
        };
        self.run_steps(
            share(self.config.sweep_slots_per_tick),
            share(self.config.sweep_mailboxes_per_tick),
        );
    }

    /// `slots` slot steps, then `mailboxes` mailbox steps.
    fn run_steps(&mut self, slots: u32, mailboxes: u32) {
        for _ in 0..slots {
            self.sweep_slot();
            if self.slot_cursor == 0 {
                self.publish_occupancy();
            }
        }
        for _ in 0..mailboxes {
            self.sweep_mailbox();
        }
    }

    fn sweep_slot(&mut self) {
        let (now, ttl) = (self.now, self.config.ttl_secs);
        let slot = self.slot_cursor;
        let mut freed = Choice::from(0);
        super::lock_messages(&self.messages).access(
            slot as usize,
            &mut |block: &mut MessageBlock| {
                let occupied = !is_zero(&block.bytes[..ID_LEN]);
                let ts = u64::from_le_bytes(
                    block.bytes[MSG_TIMESTAMP_AT..MSG_PAYLOAD_AT]
                        .try_into()
                        .expect("8 bytes"),
                );
                freed = occupied & expired(ts, now, ttl);
                cmov(block, &MessageBlock::default(), freed);
            },
        );
        self.free_slots.step(Choice::from(0), freed, slot);
        self.slot_cursor = (slot + 1) % self.config.capacity;
    }

    fn sweep_mailbox(&mut self) {
        let (now, ttl) = (self.now, self.config.ttl_secs);
        let index = self.mailbox_cursor;
        let mut freed = Choice::from(0);
        let mut owner = [0u8; KEY_LEN];
        self.mailboxes
            .access(index as usize, &mut |block: &mut MailboxBlock| {
                prune_expired(block, now, ttl);
                // A mailbox with a policy stays, empty or not.
                freed = !eq_u32(block.allocated, 0)
                    & eq_u32(block.len, 0)
                    & !super::policy::is_set(block);
                block.allocated = sel_u32(block.allocated, 0, freed);
                owner = block.owner;
            });
        self.directory.remove(&self.hash, &owner, freed);
        self.free_mailboxes.step(Choice::from(0), freed, index);
        self.mailbox_cursor = (index + 1) % self.config.max_recipients;
    }
}

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

impl Store {
    /// Advances the clock to `now` (never backwards) and runs one tick of
    /// the expiry sweep. When the slot cursor completes a pass over the
    /// store, the coarse occupancy figure is published (see
    /// [`Store::published_occupancy`]).
    pub fn tick(&mut self, now: u64) {
        self.advance_clock(now);
        for _ in 0..self.config.sweep_slots_per_tick {
            self.sweep_slot();
            if self.slot_cursor == 0 {
                self.publish_occupancy();
            }
        }
        for _ in 0..self.config.sweep_mailboxes_per_tick {
            self.sweep_mailbox();
        }
    }

    fn sweep_slot(&mut self) {
        let (now, ttl) = (self.now, self.config.ttl_secs);
        let slot = self.slot_cursor;
        let mut freed = Choice::from(0);
        self.messages
            .access(slot as usize, &mut |block: &mut MessageBlock| {
                let occupied = !is_zero(&block.bytes[..ID_LEN]);
                let ts = u64::from_le_bytes(
                    block.bytes[MSG_TIMESTAMP_AT..MSG_PAYLOAD_AT]
                        .try_into()
                        .expect("8 bytes"),
                );
                freed = occupied & expired(ts, now, ttl);
                cmov(block, &MessageBlock::default(), freed);
            });
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

//! A request's last access, to its message slot, as a step of its own.
//!
//! Everything a request decides comes from the directory, its mailbox and
//! the free lists; the message slot's access only carries the decision
//! out (write, update, read or clear) and fills the answer's message. So
//! [`Store::begin`](super::Store::begin) makes the first four accesses and
//! returns a [`MessageStep`], and the message array sits behind a lock of
//! its own ([`SharedMessages`]), so the next request's first accesses can
//! run on another enclave thread while this one's message step runs. The
//! enclave keeps the steps in the order their requests began
//! (`message_stage.rs`).
//!
//! What the host sees does not change with the split: every request makes
//! the same five accesses, and when its message access comes relative to
//! the next request's accesses depends on thread timing only.

use super::blocks::MessageBlock;
use super::{MSG_PAYLOAD_AT, MSG_TIMESTAMP_AT};
use crate::oblivious::ct::cmov;
use crate::oram::ObliviousArray;
use hush_wire::ResponseRecord;
use hush_wire::consts::{ID_LEN, MESSAGE_LEN};
use std::sync::{Arc, Mutex, MutexGuard};
use subtle::Choice;

/// The broker's message array, behind its own lock.
pub(crate) type SharedMessages = Arc<Mutex<Box<dyn ObliviousArray<MessageBlock>>>>;

/// Locks the message array. A panic while holding it is a bug; keep
/// serving rather than failing every later request.
pub(crate) fn lock_messages(
    messages: &Mutex<Box<dyn ObliviousArray<MessageBlock>>>,
) -> MutexGuard<'_, Box<dyn ObliviousArray<MessageBlock>>> {
    messages.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a request still has to do to its message slot, and its answer so
/// far (status, listing). Secret: it stays in enclave memory.
pub(crate) struct MessageStep {
    pub(super) slot: u32,
    pub(super) create: Choice,
    pub(super) update: Choice,
    pub(super) remove: Choice,
    pub(super) show: Choice,
    pub(super) expected_id: [u8; ID_LEN],
    /// The block a create writes; an update takes its time and payload.
    pub(super) created: MessageBlock,
    pub(super) response: ResponseRecord,
}

impl MessageStep {
    /// Makes the message slot's access and returns the finished answer.
    /// Same access whatever the step holds.
    pub(crate) fn run(self, messages: &mut dyn ObliviousArray<MessageBlock>) -> ResponseRecord {
        let Self {
            slot,
            create,
            update,
            remove,
            show,
            expected_id,
            created,
            mut response,
        } = self;
        let mut shown = MessageBlock::default();
        messages.access(slot as usize, &mut |block: &mut MessageBlock| {
            debug_assert!(
                !bool::from(update | remove | (show & !create))
                    || block.bytes[..ID_LEN] == expected_id,
                "mailbox entry points at a slot holding another message"
            );
            cmov(block, &created, create);
            let mut updated = *block;
            updated.bytes[MSG_TIMESTAMP_AT..].copy_from_slice(&created.bytes[MSG_TIMESTAMP_AT..]);
            cmov(block, &updated, update);
            cmov(&mut shown, block, show);
            cmov(block, &MessageBlock::default(), remove);
        });
        response
            .message_mut()
            .copy_from_slice(&shown.bytes[..MESSAGE_LEN]);
        response
    }
}

// `MSG_PAYLOAD_AT` is where the payload starts; an update replaces the
// time and the payload, which are contiguous up to the block's end.
const _: () = assert!(MSG_PAYLOAD_AT == MSG_TIMESTAMP_AT + 8);

//! Constant-time reading of a request record: which op, whether it is
//! well-formed, and which mailbox it names. A malformed record yields
//! `valid = 0` and then runs the same path as every other request.

use crate::oblivious::ct::{eq_bytes, is_zero};
use hush_wire::consts::KEY_LEN;
use hush_wire::{Op, PolicyAction, RequestRecord};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeLess};

/// One choice per op, all masked by validity: at most one is set.
#[derive(Clone, Copy)]
pub(crate) struct OpFlags {
    /// The record is well-formed (authorized or not).
    pub(crate) well_formed: Choice,
    pub(crate) create: Choice,
    pub(crate) read: Choice,
    pub(crate) read_next: Choice,
    pub(crate) update: Choice,
    pub(crate) delete: Choice,
    pub(crate) delete_next: Choice,
    pub(crate) list: Choice,
    pub(crate) policy: Choice,
}

impl OpFlags {
    /// Ops that act on the caller's own mailbox (and so return its listing).
    pub(crate) fn on_own_mailbox(&self) -> Choice {
        self.read | self.read_next | self.delete_next | self.list | self.policy
    }

    /// Ops that target one message by id.
    pub(crate) fn by_id(&self) -> Choice {
        self.read | self.update | self.delete
    }

    /// Ops that target the oldest message.
    pub(crate) fn oldest(&self) -> Choice {
        self.read_next | self.delete_next
    }

    /// Ops that remove a message.
    pub(crate) fn removes(&self) -> Choice {
        self.delete | self.delete_next
    }
}

/// Reads the op flags of a record, validating it in constant time with the
/// same rules as [`hush_wire::Request`]'s decoder. Every op flag is clear
/// unless the record is well-formed and `authorized`.
pub(crate) fn op_flags(rec: &RequestRecord, authorized: Choice) -> OpFlags {
    let code = rec.op_code();
    let is = |c: u8| code.ct_eq(&c);
    let create = is(Op::CREATE);
    let read = is(Op::READ);
    let read_next = is(Op::READ_NEXT);
    let update = is(Op::UPDATE);
    let delete = is(Op::DELETE);
    let delete_next = is(Op::DELETE_NEXT);
    let list = is(Op::LIST);
    let policy = is(Op::POLICY);
    let known = create | read | read_next | update | delete | delete_next | list | policy;
    // A policy request: one action byte; a subject (in the recipient
    // field) exactly for the actions about one sender.
    let action = rec.payload()[0];
    let action_ok = !action.ct_eq(&0) & !(PolicyAction::AllowedOnly as u8).ct_lt(&action);
    let has_subject = action.ct_lt(&(PolicyAction::AcceptFromAnyone as u8));
    let uses_id = create | read | update | delete;
    let uses_recipient = create | update | delete | (policy & has_subject);
    let uses_payload = create | update;
    let id_zero = is_zero(rec.id());
    let recipient_zero = is_zero(rec.recipient());
    let valid = known
        & is_zero(rec.reserved())
        & !is_zero(rec.acting_as())
        & Choice::conditional_select(&id_zero, &!id_zero, uses_id)
        & Choice::conditional_select(&recipient_zero, &!recipient_zero, uses_recipient)
        & (uses_payload
            | (policy & action_ok & is_zero(&rec.payload()[1..]))
            | (!policy & is_zero(rec.payload())));
    let well_formed = valid;
    let valid = valid & authorized;
    OpFlags {
        well_formed,
        create: create & valid,
        read: read & valid,
        read_next: read_next & valid,
        update: update & valid,
        delete: delete & valid,
        delete_next: delete_next & valid,
        list: list & valid,
        policy: policy & valid,
    }
}

/// The mailbox an op acts on: the named recipient for create, update and
/// delete; the caller's own otherwise.
pub(crate) fn mailbox_key(rec: &RequestRecord, flags: &OpFlags) -> [u8; KEY_LEN] {
    let named = flags.create | flags.update | flags.delete;
    let mut key = *rec.acting_as();
    super::ct::cmov_bytes(&mut key, rec.recipient(), named);
    key
}

/// Whether the caller acts as the mailbox owner.
pub(crate) fn caller_is_owner(rec: &RequestRecord, key: &[u8; KEY_LEN]) -> Choice {
    eq_bytes(rec.acting_as(), key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // The constant-time validator agrees with the typed decoder.
        #[test]
        fn agrees_with_typed_decoder(
            code in 0u8..10,
            action in 0u8..7,
            reserved_nonzero: bool,
            id_zero: bool, acting_zero: bool, recipient_zero: bool, payload_zero: bool,
        ) {
            let mut b = [0u8; hush_wire::consts::REQUEST_LEN];
            b[0] = code;
            if reserved_nonzero { b[5] = 1; }
            if !id_zero { b[8..24].fill(1); }
            if !acting_zero { b[24..56].fill(2); }
            if !recipient_zero { b[56..88].fill(3); }
            if !payload_zero { b[100] = 4; }
            b[88] = action;
            let rec = RequestRecord::from_bytes(&b).unwrap();
            let f = op_flags(&rec, Choice::from(1));
            let valid = f.create | f.read | f.read_next | f.update | f.delete | f.delete_next | f.list | f.policy;
            prop_assert_eq!(bool::from(valid), rec.decode().is_ok());
        }
    }
}

//! A mailbox's policy: who may write to it. Blocked senders, and senders
//! not allowed while the mailbox accepts only allowed ones, still have
//! their messages stored as usual, so nothing they see changes; the entry
//! is marked hidden and the owner never sees it (it leaves with the TTL).
//!
//! The policy lives in the mailbox block, which every request accesses
//! anyway: checking it costs no ORAM access. Every function scans every
//! policy entry.

use super::blocks::{
    MODE_ALLOWED_ONLY, MailboxBlock, POLICY_ALLOWED, POLICY_BLOCKED, POLICY_ENTRIES, POLICY_NONE,
    POLICY_TAG_LEN,
};
use crate::oblivious::ct::{cmov_bytes, eq_bytes, eq_u32, sel_u8, sel_u32};
use hush_wire::PolicyAction;
use subtle::{Choice, ConstantTimeEq};

/// A sender tag as a policy keeps it.
pub(crate) type PolicyTag = [u8; POLICY_TAG_LEN];

/// The policy's kind for `tag` (POLICY_NONE if not named).
fn kind_of(mb: &MailboxBlock, tag: &PolicyTag) -> u8 {
    let mut kind = POLICY_NONE;
    for (t, k) in mb.policy_tags.iter().zip(mb.policy_kinds.iter()) {
        let hit = !k.ct_eq(&POLICY_NONE) & eq_bytes(t, tag);
        kind = sel_u8(kind, *k, hit);
    }
    kind
}

/// Whether a message from `tag` is hidden from the owner.
pub(crate) fn hides(mb: &MailboxBlock, tag: &PolicyTag) -> Choice {
    let kind = kind_of(mb, tag);
    let allowed_only = !eq_u32(mb.policy_mode & MODE_ALLOWED_ONLY, 0);
    kind.ct_eq(&POLICY_BLOCKED) | (allowed_only & !kind.ct_eq(&POLICY_ALLOWED))
}

/// Whether the mailbox has any policy (then it stays allocated).
pub(crate) fn is_set(mb: &MailboxBlock) -> Choice {
    let mut any = !eq_u32(mb.policy_mode, 0);
    for k in &mb.policy_kinds {
        any |= !k.ct_eq(&POLICY_NONE);
    }
    any
}

/// Applies `action` (a raw code, valid when the request is well-formed)
/// about `tag` when `doit`. Returns false when the policy is full and the
/// action needed a new entry (then nothing changed).
pub(crate) fn apply(mb: &mut MailboxBlock, action: u8, tag: &PolicyTag, doit: Choice) -> Choice {
    let block = action.ct_eq(&(PolicyAction::Block as u8));
    let allow = action.ct_eq(&(PolicyAction::Allow as u8));
    let forget = action.ct_eq(&(PolicyAction::Forget as u8));
    let anyone = action.ct_eq(&(PolicyAction::AcceptFromAnyone as u8));
    let only = action.ct_eq(&(PolicyAction::AllowedOnly as u8));
    let new_kind = sel_u8(
        sel_u8(POLICY_NONE, POLICY_BLOCKED, block),
        POLICY_ALLOWED,
        allow,
    );
    let names = block | allow;

    // Where the tag is, or the first free entry.
    let mut present = Choice::from(0);
    let mut at = 0u32;
    let mut free = Choice::from(0);
    let mut free_at = 0u32;
    for (i, (t, k)) in mb
        .policy_tags
        .iter()
        .zip(mb.policy_kinds.iter())
        .enumerate()
    {
        let used = !k.ct_eq(&POLICY_NONE);
        let hit = used & eq_bytes(t, tag) & !present;
        at = sel_u32(at, i as u32, hit);
        present |= hit;
        let empty = !used & !free;
        free_at = sel_u32(free_at, i as u32, empty);
        free |= empty;
    }
    let room = present | free;
    let slot = sel_u32(free_at, at, present);
    let write = doit & ((names & room) | (forget & present));
    let kind = sel_u8(new_kind, POLICY_NONE, forget);
    let mut stored_tag = *tag;
    cmov_bytes(&mut stored_tag, &[0u8; POLICY_TAG_LEN], forget);
    for (i, (t, k)) in mb
        .policy_tags
        .iter_mut()
        .zip(mb.policy_kinds.iter_mut())
        .enumerate()
    {
        let here = write & eq_u32(i as u32, slot);
        cmov_bytes(t, &stored_tag, here);
        *k = sel_u8(*k, kind, here);
    }
    let mode = sel_u32(
        mb.policy_mode,
        mb.policy_mode | MODE_ALLOWED_ONLY,
        doit & only,
    );
    mb.policy_mode = sel_u32(mode, mode & !MODE_ALLOWED_ONLY, doit & anyone);
    !names | room
}

const _: () = assert!(POLICY_ENTRIES <= u8::MAX as usize);

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(n: u8) -> PolicyTag {
        [n; POLICY_TAG_LEN]
    }

    #[test]
    fn block_allow_forget_and_modes() {
        let mut mb = MailboxBlock::default();
        let yes = Choice::from(1);
        assert!(!bool::from(hides(&mb, &tag(1))));
        assert!(!bool::from(is_set(&mb)));
        assert!(bool::from(apply(
            &mut mb,
            PolicyAction::Block as u8,
            &tag(1),
            yes
        )));
        assert!(bool::from(hides(&mb, &tag(1))));
        assert!(!bool::from(hides(&mb, &tag(2))));
        assert!(bool::from(is_set(&mb)));
        // Allowed-only: only allowed senders get through; blocked stays blocked.
        apply(&mut mb, PolicyAction::AllowedOnly as u8, &tag(0), yes);
        apply(&mut mb, PolicyAction::Allow as u8, &tag(3), yes);
        assert!(bool::from(hides(&mb, &tag(2))));
        assert!(!bool::from(hides(&mb, &tag(3))));
        assert!(bool::from(hides(&mb, &tag(1))));
        // Re-blocking an allowed sender changes its entry, not the count.
        apply(&mut mb, PolicyAction::Block as u8, &tag(3), yes);
        assert!(bool::from(hides(&mb, &tag(3))));
        apply(&mut mb, PolicyAction::AcceptFromAnyone as u8, &tag(0), yes);
        assert!(!bool::from(hides(&mb, &tag(2))));
        apply(&mut mb, PolicyAction::Forget as u8, &tag(1), yes);
        apply(&mut mb, PolicyAction::Forget as u8, &tag(3), yes);
        assert!(!bool::from(hides(&mb, &tag(1))));
        assert!(!bool::from(is_set(&mb)));
        // A dummy apply changes nothing.
        apply(&mut mb, PolicyAction::Block as u8, &tag(9), Choice::from(0));
        assert!(!bool::from(is_set(&mb)));
        // 16 entries fit; the 17th does not, and changes nothing.
        for n in 1..=16 {
            assert!(bool::from(apply(
                &mut mb,
                PolicyAction::Block as u8,
                &tag(n),
                yes
            )));
        }
        assert!(!bool::from(apply(
            &mut mb,
            PolicyAction::Block as u8,
            &tag(17),
            yes
        )));
        assert!(!bool::from(hides(&mb, &tag(17))));
        // Forgetting an absent sender is fine.
        assert!(bool::from(apply(
            &mut mb,
            PolicyAction::Forget as u8,
            &tag(40),
            yes
        )));
    }
}

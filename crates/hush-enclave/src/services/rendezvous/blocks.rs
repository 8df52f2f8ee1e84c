//! The fixed-size block the rendezvous service keeps in its `computations`
//! array.
//!
//! Like the other `blocks` modules, this one exists for rostl's
//! `impl_cmov_for_pod!` macro, which gives a block constant-time
//! conditional moves and expands to `unsafe` pointer casts between byte
//! chunks of a `Pod` type; they are sound for any `bytemuck::Pod` type,
//! which every type here is (checked by the derive).
#![allow(unsafe_code)]

use bytemuck::{Pod, Zeroable};
use hush_wire::consts::{
    COMPUTATION_ID_LEN, COMPUTATION_NAME_LEN, KEY_LEN, LISTED_COMPUTATION_LEN, MATCH_KEY_LEN,
    MATCH_MESSAGE_LEN, MAX_LISTED, MAX_PARTICIPANTS,
};
use rostl_primitives::traits::{_Cmovbase, Cmov};
use rostl_primitives::{cmov_body, cxchg_body, impl_cmov_for_pod};

/// One computation: who, what, the submissions (one slot per participant)
/// and, once released, the locked set and result. All zero when free.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(16))]
pub(crate) struct ComputationBlock {
    pub(crate) id: [u8; COMPUTATION_ID_LEN],
    pub(crate) convener: [u8; KEY_LEN],
    pub(crate) name: [u8; COMPUTATION_NAME_LEN],
    pub(crate) used: u32,
    pub(crate) kind: u32,
    pub(crate) quorum: u32,
    pub(crate) count: u32,
    pub(crate) closed: u32,
    pub(crate) locked: u32,
    pub(crate) deadline: u64,
    pub(crate) participants: [[u8; KEY_LEN]; MAX_PARTICIPANTS],
    pub(crate) submitted: [u32; MAX_PARTICIPANTS],
    pub(crate) values: [i64; MAX_PARTICIPANTS],
    pub(crate) keys: [[u8; MATCH_KEY_LEN]; MAX_PARTICIPANTS],
    pub(crate) messages: [[u8; MATCH_MESSAGE_LEN]; MAX_PARTICIPANTS],
    /// The submissions behind the released result (1 each), fixed at the
    /// first release.
    pub(crate) in_result: [u32; MAX_PARTICIPANTS],
    pub(crate) result_value: i64,
    pub(crate) result_slot: u32,
    pub(crate) _pad: u32,
}

impl_cmov_for_pod!(ComputationBlock);

impl Default for ComputationBlock {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

// Never print submissions.
impl std::fmt::Debug for ComputationBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ComputationBlock(..)")
    }
}

const _: () = assert!(std::mem::size_of::<ComputationBlock>() == 1536);

/// One member's computations: a ring of its [`MAX_LISTED`] most recent
/// list entries (the wire's [`hush_wire::rendezvous::ListedComputation`]
/// layout), `appended` counting every entry ever added.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(16))]
pub(crate) struct MemberListBlock {
    pub(crate) entries: [[u8; LISTED_COMPUTATION_LEN]; MAX_LISTED],
    pub(crate) appended: u32,
    pub(crate) _pad: [u32; 3],
}

impl_cmov_for_pod!(MemberListBlock);

impl Default for MemberListBlock {
    fn default() -> Self {
        Zeroable::zeroed()
    }
}

// Never print whom a member meets.
impl std::fmt::Debug for MemberListBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemberListBlock(..)")
    }
}

const _: () = assert!(std::mem::size_of::<MemberListBlock>() == 1040);

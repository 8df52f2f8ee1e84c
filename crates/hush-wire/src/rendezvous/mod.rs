//! The rendezvous service's wire types: quorum computations (average,
//! minimum, maximum) and key matching, in the fixed-size request and
//! response records of `hush.v1.Rendezvous`.
//!
//! | record | layout | bytes |
//! |---|---|---|
//! | [`RendezvousRequest`] | op 1 \| reserved 7 \| acting-as 32 \| computation id 16 \| type 1 \| quorum 1 \| participant count 1 \| reserved 5 \| deadline 8 \| name 32 \| 8 participants 32 each \| value i64 8 \| match key 32 \| message 96 | 496 |
//! | [`RendezvousResponse`] | status 1 \| type 1 \| quorum 1 \| submissions 1 \| released 1 \| area 1 \| reserved 2 \| computation id 16 \| value 8 \| identity 32 \| 8 x (participant 32 \| message 96), or for a list 16 x [`ListedComputation`] 64 | 1088 |
//!
//! A computation id is the enclave's epoch (8 bytes, new at every start)
//! and 8 random bytes: a client holding an id from an earlier epoch is told
//! its computation is gone, never given another's answer.

mod listing;
mod request;
mod response;

pub use listing::{ListedComputation, Role, entry_offsets};
pub use request::{
    ComputationId, ComputationType, MatchKey, MatchMessage, RendezvousOp, RendezvousRequest,
    Submission, offsets,
};
pub use response::{ADDING_AT, AREA_AT, LISTING_AT, RendezvousResponse, RendezvousStatus};

//! One computation in a list answer: what a member may know of a
//! computation it convenes or takes part in, as it was created.
//!
//! `id 16 | name 32 | type 1 | role 1 | quorum 1 | participant count 1 |
//! order 4 (u32) | deadline 8 (u64, 0 none)` = [`LISTED_COMPUTATION_LEN`]
//! bytes; an unused entry is all zeros.

use super::{ComputationId, ComputationType};
use crate::WireError;
use crate::consts::{COMPUTATION_ID_LEN, COMPUTATION_NAME_LEN, LISTED_COMPUTATION_LEN};

/// How the listing member is involved in a computation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Role {
    /// It created the computation.
    pub convener: bool,
    /// It is one of the participants.
    pub participant: bool,
}

impl Role {
    /// Bit of the convener in the role byte.
    pub const CONVENER: u8 = 1;
    /// Bit of a participant in the role byte.
    pub const PARTICIPANT: u8 = 2;

    /// The role byte.
    pub fn code(self) -> u8 {
        (self.convener as u8) * Self::CONVENER + (self.participant as u8) * Self::PARTICIPANT
    }

    /// Parses a role byte (at least one bit, no others).
    pub fn from_code(c: u8) -> Result<Self, WireError> {
        if c == 0 || c & !(Self::CONVENER | Self::PARTICIPANT) != 0 {
            return Err(WireError::InvalidRequest("unknown role in a listing"));
        }
        Ok(Self {
            convener: c & Self::CONVENER != 0,
            participant: c & Self::PARTICIPANT != 0,
        })
    }

    /// `convener`, `participant` or `convener, participant`.
    pub fn describe(self) -> &'static str {
        match (self.convener, self.participant) {
            (true, true) => "convener, participant",
            (true, false) => "convener",
            _ => "participant",
        }
    }
}

/// A computation as a list answer shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedComputation {
    /// Its id.
    pub id: ComputationId,
    /// The name its convener gave it.
    pub name: String,
    /// What it computes.
    pub kind: ComputationType,
    /// How the listing member is involved.
    pub role: Role,
    /// Submissions needed before a result.
    pub quorum: u8,
    /// How many participants it has.
    pub participants: u8,
    /// Position in the member's list: a later computation has a larger one.
    pub order: u32,
    /// No submissions after this time (seconds since the epoch).
    pub deadline: Option<u64>,
}

/// Byte offsets of an entry's fields (the id is at 0).
pub mod entry_offsets {
    use super::*;
    /// Name.
    pub const NAME: usize = COMPUTATION_ID_LEN;
    /// Type code.
    pub const TYPE: usize = NAME + COMPUTATION_NAME_LEN;
    /// Role bits.
    pub const ROLE: usize = TYPE + 1;
    /// Quorum.
    pub const QUORUM: usize = ROLE + 1;
    /// Participant count.
    pub const COUNT: usize = QUORUM + 1;
    /// Order (u32).
    pub const ORDER: usize = COUNT + 1;
    /// Deadline (u64).
    pub const DEADLINE: usize = ORDER + 4;
    const _: () = assert!(DEADLINE + 8 == LISTED_COMPUTATION_LEN);
}
use entry_offsets::{
    COUNT as COUNT_AT, DEADLINE as DEADLINE_AT, NAME as NAME_AT, ORDER as ORDER_AT,
    QUORUM as QUORUM_AT, ROLE as ROLE_AT, TYPE as TYPE_AT,
};

impl ListedComputation {
    /// The entry's bytes.
    pub fn encode_into(&self, out: &mut [u8]) {
        out[..LISTED_COMPUTATION_LEN].fill(0);
        out[..NAME_AT].copy_from_slice(&self.id.0);
        let n = self.name.len().min(COMPUTATION_NAME_LEN);
        out[NAME_AT..NAME_AT + n].copy_from_slice(&self.name.as_bytes()[..n]);
        out[TYPE_AT] = self.kind as u8;
        out[ROLE_AT] = self.role.code();
        out[QUORUM_AT] = self.quorum;
        out[COUNT_AT] = self.participants;
        out[ORDER_AT..DEADLINE_AT].copy_from_slice(&self.order.to_le_bytes());
        out[DEADLINE_AT..LISTED_COMPUTATION_LEN]
            .copy_from_slice(&self.deadline.unwrap_or(0).to_le_bytes());
    }

    /// Parses an entry; `None` for an unused (all-zero) one.
    pub fn decode(b: &[u8]) -> Result<Option<Self>, WireError> {
        let b = &b[..LISTED_COMPUTATION_LEN];
        if b.iter().all(|&x| x == 0) {
            return Ok(None);
        }
        let name_bytes = &b[NAME_AT..TYPE_AT];
        let len = name_bytes
            .iter()
            .position(|&x| x == 0)
            .unwrap_or(COMPUTATION_NAME_LEN);
        if name_bytes[len..].iter().any(|&x| x != 0) {
            return Err(WireError::InvalidRequest("a listed name is zero-padded"));
        }
        let name = std::str::from_utf8(&name_bytes[..len])
            .map_err(|_| WireError::InvalidRequest("a listed name is UTF-8"))?
            .to_owned();
        let deadline = u64::from_le_bytes(b[DEADLINE_AT..].try_into().expect("8 bytes"));
        Ok(Some(Self {
            id: ComputationId(b[..NAME_AT].try_into().expect("16 bytes")),
            name,
            kind: ComputationType::from_code(b[TYPE_AT])?,
            role: Role::from_code(b[ROLE_AT])?,
            quorum: b[QUORUM_AT],
            participants: b[COUNT_AT],
            order: u32::from_le_bytes(b[ORDER_AT..DEADLINE_AT].try_into().expect("4 bytes")),
            deadline: (deadline != 0).then_some(deadline),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_bad_ones_are_refused() {
        let e = ListedComputation {
            id: ComputationId([4; 16]),
            name: "salaries".into(),
            kind: ComputationType::Maximum,
            role: Role {
                convener: true,
                participant: true,
            },
            quorum: 2,
            participants: 3,
            order: 7,
            deadline: Some(1_900_000_000),
        };
        let mut b = [0u8; LISTED_COMPUTATION_LEN];
        e.encode_into(&mut b);
        assert_eq!(ListedComputation::decode(&b).unwrap(), Some(e));
        assert_eq!(
            ListedComputation::decode(&[0; LISTED_COMPUTATION_LEN]).unwrap(),
            None
        );
        let mut bad = b;
        bad[ROLE_AT] = 4;
        assert!(ListedComputation::decode(&bad).is_err());
        let mut bad = b;
        bad[TYPE_AT] = 9;
        assert!(ListedComputation::decode(&bad).is_err());
        let mut bad = b;
        bad[TYPE_AT - 1] = b'x';
        assert!(ListedComputation::decode(&bad).is_err(), "name not padded");
    }
}

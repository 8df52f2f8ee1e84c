//! Rendezvous responses: status codes and the fixed-size answer record.

use super::{ComputationId, ComputationType, ListedComputation, MatchMessage};
use crate::consts::{
    COMPUTATION_ID_LEN, KEY_LEN, LISTED_COMPUTATION_LEN, MATCH_MESSAGE_LEN, MAX_LISTED,
    MAX_PARTICIPANTS, RENDEZVOUS_RESPONSE_LEN,
};
use crate::{FixedCodec, PublicKey, WireError};

/// The outcome of a rendezvous operation, inside the encrypted response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RendezvousStatus {
    /// Done.
    Ok = 0,
    /// No such computation.
    NotFound = 1,
    /// The caller is not one of the computation's participants.
    NotParticipant = 2,
    /// A number for a key-matching computation, or a key for a number one.
    WrongType = 3,
    /// The result was released, so the submissions behind it are fixed.
    Locked = 4,
    /// The computation is closed (by its convener, or past its deadline).
    Closed = 5,
    /// Only the computation's convener may do this.
    NotConvener = 6,
    /// Fewer than the quorum have submitted: no result yet.
    NoQuorum = 7,
    /// The request was malformed.
    InvalidRequest = 8,
    /// The request acts as a key this session has not proven.
    KeyNotProven = 9,
    /// The service holds as many computations as it can.
    Full = 10,
    /// The computation belongs to an earlier run of the enclave: it is gone.
    EpochChanged = 11,
    /// The caller's key has not been submitted by a quorum: nothing released.
    NoMatch = 12,
    /// Too many new computations at once: nothing was done; try again in
    /// a few seconds.
    Busy = 13,
    /// The service requires tokens for creates and this session has no
    /// credits left: redeem a Privacy Pass token and retry.
    NoTokens = 14,
}

impl RendezvousStatus {
    /// Every status, in code order.
    pub const ALL: [Self; 15] = [
        Self::Ok,
        Self::NotFound,
        Self::NotParticipant,
        Self::WrongType,
        Self::Locked,
        Self::Closed,
        Self::NotConvener,
        Self::NoQuorum,
        Self::InvalidRequest,
        Self::KeyNotProven,
        Self::Full,
        Self::EpochChanged,
        Self::NoMatch,
        Self::Busy,
        Self::NoTokens,
    ];

    /// The wire code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Parses a wire code.
    pub fn from_code(code: u8) -> Result<Self, WireError> {
        Self::ALL
            .get(code as usize)
            .copied()
            .ok_or(WireError::UnknownStatus(code))
    }

    /// A short explanation a user can act on.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NotFound => "not found: no such computation",
            Self::NotParticipant => {
                "not a participant: only the computation's participants may do this"
            }
            Self::WrongType => {
                "wrong type: a number for an average, minimum or maximum; a key and a message for key matching"
            }
            Self::Locked => {
                "locked: the result was released, so the submissions behind it are fixed"
            }
            Self::Closed => "closed: the computation takes no more submissions",
            Self::NotConvener => "not the convener: only who created the computation may close it",
            Self::NoQuorum => "no quorum yet: fewer participants than the quorum have submitted",
            Self::InvalidRequest => "invalid request: the request was malformed",
            Self::KeyNotProven => {
                "key not proven: this session has not proven possession of the key the request acts as"
            }
            Self::Full => "full: the server holds its maximum number of computations",
            Self::EpochChanged => {
                "gone: the server restarted since this computation was created; its submissions are lost (create it again)"
            }
            Self::NoMatch => "no match: fewer participants than the quorum submitted your key",
            Self::Busy => {
                "busy: too many computations are being created at once; nothing was done, try again in a few seconds"
            }
            Self::NoTokens => {
                "no tokens: this service requires a Privacy Pass token for creates and the session has no credits left; redeem a token (hush tokens add FILE) and retry"
            }
        }
    }
}

impl std::fmt::Display for RendezvousStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// The answer to a rendezvous request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RendezvousResponse {
    /// Outcome.
    pub status: RendezvousStatus,
    /// The computation's type (when one is described).
    pub kind: Option<ComputationType>,
    /// Its quorum.
    pub quorum: u8,
    /// Submissions so far (or behind the locked result).
    pub submissions: u8,
    /// Whether the result has been released (and so is locked).
    pub released: bool,
    /// Its id (create answers with the new id).
    pub id: Option<ComputationId>,
    /// An average's value.
    pub value: i64,
    /// The minimum's or maximum's submitter.
    pub identity: Option<PublicKey>,
    /// Key matching: every participant whose key matched, with its message.
    pub matches: Vec<(PublicKey, MatchMessage)>,
    /// A list answer: the caller's most recent computations (at most
    /// [`MAX_LISTED`]), in no particular order (see
    /// [`ListedComputation::order`]).
    pub listing: Vec<ListedComputation>,
    /// A list answer: the caller's computations created but not yet in
    /// the list (they join it within seconds).
    pub adding: u8,
}

/// What the answer's last area holds (byte 5).
mod area {
    /// Key matches (or nothing).
    pub const MATCHES: u8 = 0;
    /// A list of computations.
    pub const LISTING: u8 = 1;
}

const ID_AT: usize = 8;
const VALUE_AT: usize = ID_AT + COMPUTATION_ID_LEN;
const IDENTITY_AT: usize = VALUE_AT + 8;
const MATCHES_AT: usize = IDENTITY_AT + KEY_LEN;
const MATCH_LEN: usize = KEY_LEN + MATCH_MESSAGE_LEN;
const _: () = assert!(MATCHES_AT + MAX_PARTICIPANTS * MATCH_LEN == RENDEZVOUS_RESPONSE_LEN);
/// Where a list answer's entries start (the same area as the matches).
pub const LISTING_AT: usize = MATCHES_AT;
/// Byte that says what the last area holds.
pub const AREA_AT: usize = 5;
/// Byte of a list answer's count of computations still being added.
pub const ADDING_AT: usize = 6;
const _: () = assert!(LISTING_AT + MAX_LISTED * LISTED_COMPUTATION_LEN == RENDEZVOUS_RESPONSE_LEN);

impl FixedCodec for RendezvousResponse {
    const LEN: usize = RENDEZVOUS_RESPONSE_LEN;
    const NAME: &'static str = "rendezvous response";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[0] = self.status.code();
        out[1] = self.kind.map_or(0, |k| k as u8);
        out[2] = self.quorum;
        out[3] = self.submissions;
        out[4] = self.released as u8;
        out[ADDING_AT] = self.adding;
        if let Some(id) = &self.id {
            out[ID_AT..VALUE_AT].copy_from_slice(&id.0);
        }
        out[VALUE_AT..IDENTITY_AT].copy_from_slice(&self.value.to_le_bytes());
        if let Some(k) = &self.identity {
            out[IDENTITY_AT..MATCHES_AT].copy_from_slice(k.as_bytes());
        }
        if self.listing.is_empty() {
            for (i, (k, m)) in self.matches.iter().take(MAX_PARTICIPANTS).enumerate() {
                let at = MATCHES_AT + i * MATCH_LEN;
                out[at..at + KEY_LEN].copy_from_slice(k.as_bytes());
                out[at + KEY_LEN..at + MATCH_LEN].copy_from_slice(&m.field());
            }
        } else {
            out[AREA_AT] = area::LISTING;
            for (i, e) in self.listing.iter().take(MAX_LISTED).enumerate() {
                e.encode_into(&mut out[LISTING_AT + i * LISTED_COMPUTATION_LEN..]);
            }
        }
    }

    fn decode_exact(b: &[u8]) -> Result<Self, WireError> {
        let status = RendezvousStatus::from_code(b[0])?;
        let kind = match b[1] {
            0 => None,
            c => Some(ComputationType::from_code(c)?),
        };
        if b[4] > 1 || b[AREA_AT] > area::LISTING || b[7] != 0 {
            return Err(WireError::NonZeroReserved("rendezvous response"));
        }
        let id_bytes: [u8; COMPUTATION_ID_LEN] = b[ID_AT..VALUE_AT].try_into().expect("16");
        let key = &b[IDENTITY_AT..MATCHES_AT];
        let identity = if key.iter().all(|&x| x == 0) {
            None
        } else {
            Some(PublicKey::decode(key)?)
        };
        let mut matches = Vec::new();
        let mut listing = Vec::new();
        if b[AREA_AT] == area::LISTING {
            for i in 0..MAX_LISTED {
                let at = LISTING_AT + i * LISTED_COMPUTATION_LEN;
                listing.extend(ListedComputation::decode(
                    &b[at..at + LISTED_COMPUTATION_LEN],
                )?);
            }
        }
        for i in 0..MAX_PARTICIPANTS * (b[AREA_AT] == area::MATCHES) as usize {
            let at = MATCHES_AT + i * MATCH_LEN;
            let k = &b[at..at + KEY_LEN];
            let m = &b[at + KEY_LEN..at + MATCH_LEN];
            if k.iter().all(|&x| x == 0) {
                if m.iter().any(|&x| x != 0) {
                    return Err(WireError::NonZeroReserved("rendezvous response matches"));
                }
                continue;
            }
            matches.push((PublicKey::decode(k)?, MatchMessage::from_field(m)?));
        }
        Ok(Self {
            status,
            kind,
            quorum: b[2],
            submissions: b[3],
            released: b[4] == 1,
            id: (id_bytes != [0; COMPUTATION_ID_LEN]).then_some(ComputationId(id_bytes)),
            value: i64::from_le_bytes(b[VALUE_AT..IDENTITY_AT].try_into().expect("8")),
            identity,
            matches,
            listing,
            adding: b[ADDING_AT],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_round_trip() {
        for s in RendezvousStatus::ALL {
            assert_eq!(RendezvousStatus::from_code(s.code()).unwrap(), s);
        }
        let k = PublicKey::new([3; 32]).unwrap();
        let r = RendezvousResponse {
            status: RendezvousStatus::Ok,
            kind: Some(ComputationType::KeyMatch),
            quorum: 2,
            submissions: 3,
            released: true,
            id: Some(ComputationId([1; 16])),
            value: -7,
            identity: Some(k),
            matches: vec![(k, MatchMessage::new(b"hi").unwrap())],
            listing: vec![],
            adding: 0,
        };
        let b = r.encode();
        assert_eq!(b.len(), RENDEZVOUS_RESPONSE_LEN);
        assert_eq!(RendezvousResponse::decode(&b).unwrap(), r);
        let listed = ListedComputation {
            id: ComputationId([2; 16]),
            name: "n".into(),
            kind: ComputationType::Average,
            role: super::super::Role {
                convener: false,
                participant: true,
            },
            quorum: 1,
            participants: 1,
            order: 0,
            deadline: None,
        };
        let list = RendezvousResponse {
            status: RendezvousStatus::Ok,
            kind: None,
            quorum: 0,
            submissions: 0,
            released: false,
            id: None,
            value: 0,
            identity: None,
            matches: vec![],
            listing: vec![listed.clone(), listed],
            adding: 3,
        };
        let mut b = list.encode();
        assert_eq!(RendezvousResponse::decode(&b).unwrap(), list);
        b[AREA_AT] = 2;
        assert!(RendezvousResponse::decode(&b).is_err());
    }

    #[test]
    fn matches_with_gaps_are_accepted_and_packed() {
        // The rendezvous service writes each match at its participant's
        // position, so an answer may have empty entries between matches.
        let k = PublicKey::new([5; 32]).unwrap();
        let r = RendezvousResponse {
            status: RendezvousStatus::Ok,
            kind: Some(ComputationType::KeyMatch),
            quorum: 2,
            submissions: 2,
            released: true,
            id: Some(ComputationId([1; 16])),
            value: 0,
            identity: None,
            matches: vec![(k, MatchMessage::new(b"x").unwrap())],
            listing: vec![],
            adding: 0,
        };
        let packed = r.encode();
        let mut gapped = vec![0u8; RENDEZVOUS_RESPONSE_LEN];
        gapped[..MATCHES_AT].copy_from_slice(&packed[..MATCHES_AT]);
        let third = MATCHES_AT + 2 * MATCH_LEN;
        gapped[third..third + MATCH_LEN]
            .copy_from_slice(&packed[MATCHES_AT..MATCHES_AT + MATCH_LEN]);
        let decoded = RendezvousResponse::decode(&gapped).unwrap();
        assert_eq!(decoded, r);
        assert_eq!(decoded.encode(), packed);
        // A message under an empty key is still refused.
        gapped[MATCHES_AT + KEY_LEN] = 1;
        assert!(RendezvousResponse::decode(&gapped).is_err());
    }
}

//! Rendezvous requests: the typed form and its fixed-size record.

use crate::codec::Cursor;
use crate::consts::{
    COMPUTATION_ID_LEN, COMPUTATION_NAME_LEN, KEY_LEN, MATCH_KEY_LEN, MATCH_MESSAGE_LEN,
    MAX_PARTICIPANTS, OP_LEN, RENDEZVOUS_REQUEST_LEN, REQUEST_RESERVED_LEN,
};
use crate::{FixedCodec, PublicKey, WireError};

/// A computation's id: the enclave's epoch, then 8 random bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ComputationId(pub [u8; COMPUTATION_ID_LEN]);

impl ComputationId {
    /// The epoch of the enclave that made it.
    pub fn epoch(&self) -> u64 {
        u64::from_le_bytes(self.0[..8].try_into().expect("8 bytes"))
    }

    /// Lower-case hex, as shown to users.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 32 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        crate::ids::parse_hex::<COMPUTATION_ID_LEN>(s).map(Self)
    }
}

impl std::fmt::Debug for ComputationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ComputationId({})", self.to_hex())
    }
}

/// What a computation computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ComputationType {
    /// The average of the submitted numbers (i64, rounded towards zero).
    Average = 1,
    /// Who submitted the lowest number (the first such participant).
    Minimum = 2,
    /// Who submitted the highest number (the first such participant).
    Maximum = 3,
    /// Messages of everyone who submitted the same key, once a quorum did.
    KeyMatch = 4,
}

impl ComputationType {
    /// Parses a type code.
    pub fn from_code(c: u8) -> Result<Self, WireError> {
        Ok(match c {
            1 => Self::Average,
            2 => Self::Minimum,
            3 => Self::Maximum,
            4 => Self::KeyMatch,
            _ => return Err(WireError::InvalidRequest("unknown computation type")),
        })
    }

    /// The name users type (`average`, `min`, `max`, `match`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Average => "average",
            Self::Minimum => "min",
            Self::Maximum => "max",
            Self::KeyMatch => "match",
        }
    }
}

/// A key-matching key: 1 to 32 bytes of UTF-8 without NUL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MatchKey(String);

impl MatchKey {
    /// Checks the limits.
    pub fn new(s: &str) -> Result<Self, WireError> {
        if s.is_empty() || s.len() > MATCH_KEY_LEN || s.contains('\0') {
            return Err(WireError::InvalidRequest(
                "a match key is 1 to 32 bytes of text",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn field(&self) -> [u8; MATCH_KEY_LEN] {
        let mut f = [0u8; MATCH_KEY_LEN];
        f[..self.0.len()].copy_from_slice(self.0.as_bytes());
        f
    }

    fn from_field(f: &[u8]) -> Result<Self, WireError> {
        let len = f.iter().position(|&b| b == 0).unwrap_or(f.len());
        if f[len..].iter().any(|&b| b != 0) {
            return Err(WireError::InvalidRequest("a match key is zero-padded"));
        }
        let s = std::str::from_utf8(&f[..len])
            .map_err(|_| WireError::InvalidRequest("a match key is UTF-8"))?;
        Self::new(s)
    }
}

/// A key-matching message: at most 95 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchMessage(Vec<u8>);

impl MatchMessage {
    /// Longest message.
    pub const MAX: usize = MATCH_MESSAGE_LEN - 1;

    /// Checks the length.
    pub fn new(m: &[u8]) -> Result<Self, WireError> {
        if m.len() > Self::MAX {
            return Err(WireError::ContentTooLong {
                len: m.len(),
                max: Self::MAX,
            });
        }
        Ok(Self(m.to_vec()))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The field: length | bytes | zeros.
    pub fn field(&self) -> [u8; MATCH_MESSAGE_LEN] {
        let mut f = [0u8; MATCH_MESSAGE_LEN];
        f[0] = self.0.len() as u8;
        f[1..1 + self.0.len()].copy_from_slice(&self.0);
        f
    }

    /// Parses a field.
    pub fn from_field(f: &[u8]) -> Result<Self, WireError> {
        let len = f[0] as usize;
        if len > Self::MAX || f[1 + len..].iter().any(|&b| b != 0) {
            return Err(WireError::InvalidRequest("malformed match message"));
        }
        Ok(Self(f[1..1 + len].to_vec()))
    }
}

/// What a participant submits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submission {
    /// A number, for average, minimum and maximum.
    Number(i64),
    /// A key and a message, for key matching.
    Match {
        /// The key.
        key: MatchKey,
        /// The message released to those who submitted the same key.
        message: MatchMessage,
    },
}

/// A rendezvous operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RendezvousOp {
    /// Creates a computation (the caller is its convener).
    Create {
        /// Its name (1 to 32 bytes), shown to participants.
        name: String,
        /// What it computes.
        kind: ComputationType,
        /// Who may submit and see the result (1 to 8 keys, each once).
        participants: Vec<PublicKey>,
        /// Submissions needed before a result (1 to the participant count).
        quorum: u8,
        /// No submissions after this time (seconds since the epoch).
        deadline: Option<u64>,
    },
    /// Submits (or replaces, until the result locks) the caller's value.
    Submit {
        /// The computation.
        id: ComputationId,
        /// The value.
        submission: Submission,
    },
    /// The result, for a participant, once a quorum submitted; the first
    /// release locks it.
    Result {
        /// The computation.
        id: ComputationId,
    },
    /// Closes the computation to submissions (convener only).
    Close {
        /// The computation.
        id: ComputationId,
    },
    /// The caller's most recent computations, as convener or participant.
    List,
}

impl RendezvousOp {
    /// Op code of create.
    pub const CREATE: u8 = 1;
    /// Op code of submit.
    pub const SUBMIT: u8 = 2;
    /// Op code of result.
    pub const RESULT: u8 = 3;
    /// Op code of close.
    pub const CLOSE: u8 = 4;
    /// Op code of list.
    pub const LIST: u8 = 5;

    fn code(&self) -> u8 {
        match self {
            Self::Create { .. } => Self::CREATE,
            Self::Submit { .. } => Self::SUBMIT,
            Self::Result { .. } => Self::RESULT,
            Self::Close { .. } => Self::CLOSE,
            Self::List => Self::LIST,
        }
    }
}

/// A rendezvous request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RendezvousRequest {
    /// The key it acts as.
    pub acting_as: PublicKey,
    /// What to do.
    pub op: RendezvousOp,
}

/// Byte offsets of the record's fields.
pub mod offsets {
    use super::*;
    /// Acting-as key.
    pub const ACTING_AS: usize = OP_LEN + REQUEST_RESERVED_LEN;
    /// Computation id.
    pub const ID: usize = ACTING_AS + KEY_LEN;
    /// Type code.
    pub const TYPE: usize = ID + COMPUTATION_ID_LEN;
    /// Quorum.
    pub const QUORUM: usize = TYPE + 1;
    /// Participant count.
    pub const COUNT: usize = QUORUM + 1;
    /// Deadline (u64; zero for none).
    pub const DEADLINE: usize = COUNT + 1 + 5;
    /// Name.
    pub const NAME: usize = DEADLINE + 8;
    /// Participants.
    pub const PARTICIPANTS: usize = NAME + COMPUTATION_NAME_LEN;
    /// Value (i64).
    pub const VALUE: usize = PARTICIPANTS + MAX_PARTICIPANTS * KEY_LEN;
    /// Match key.
    pub const MATCH_KEY: usize = VALUE + 8;
    /// Match message.
    pub const MESSAGE: usize = MATCH_KEY + MATCH_KEY_LEN;
    const _: () = assert!(MESSAGE + MATCH_MESSAGE_LEN == RENDEZVOUS_REQUEST_LEN);
}

fn name_field(name: &str) -> Result<[u8; COMPUTATION_NAME_LEN], WireError> {
    if name.is_empty() || name.len() > COMPUTATION_NAME_LEN || name.chars().any(char::is_control) {
        return Err(WireError::InvalidRequest(
            "a computation's name is 1 to 32 bytes of text",
        ));
    }
    let mut f = [0u8; COMPUTATION_NAME_LEN];
    f[..name.len()].copy_from_slice(name.as_bytes());
    Ok(f)
}

impl RendezvousRequest {
    /// Checks the typed request's limits (what `encode` cannot express).
    pub fn check(&self) -> Result<(), WireError> {
        if let RendezvousOp::Create {
            name,
            participants,
            quorum,
            ..
        } = &self.op
        {
            name_field(name)?;
            if participants.is_empty() || participants.len() > MAX_PARTICIPANTS {
                return Err(WireError::InvalidRequest(
                    "a computation has 1 to 8 participants",
                ));
            }
            let mut seen = std::collections::HashSet::new();
            if !participants.iter().all(|p| seen.insert(*p)) {
                return Err(WireError::InvalidRequest("each participant once"));
            }
            if *quorum == 0 || *quorum as usize > participants.len() {
                return Err(WireError::InvalidRequest(
                    "the quorum is 1 to the number of participants",
                ));
            }
        }
        Ok(())
    }
}

impl FixedCodec for RendezvousRequest {
    const LEN: usize = RENDEZVOUS_REQUEST_LEN;
    const NAME: &'static str = "rendezvous request";

    fn encode_into(&self, out: &mut [u8]) {
        use offsets::*;
        out.fill(0);
        out[0] = self.op.code();
        out[ACTING_AS..ID].copy_from_slice(self.acting_as.as_bytes());
        match &self.op {
            RendezvousOp::Create {
                name,
                kind,
                participants,
                quorum,
                deadline,
            } => {
                out[TYPE] = *kind as u8;
                out[QUORUM] = *quorum;
                out[COUNT] = participants.len() as u8;
                out[DEADLINE..NAME].copy_from_slice(&deadline.unwrap_or(0).to_le_bytes());
                let n = name.len().min(COMPUTATION_NAME_LEN);
                out[NAME..NAME + n].copy_from_slice(&name.as_bytes()[..n]);
                for (i, p) in participants.iter().take(MAX_PARTICIPANTS).enumerate() {
                    let at = PARTICIPANTS + i * KEY_LEN;
                    out[at..at + KEY_LEN].copy_from_slice(p.as_bytes());
                }
            }
            RendezvousOp::Submit { id, submission } => {
                out[ID..TYPE].copy_from_slice(&id.0);
                match submission {
                    Submission::Number(v) => {
                        out[TYPE] = ComputationType::Average as u8;
                        out[VALUE..MATCH_KEY].copy_from_slice(&v.to_le_bytes());
                    }
                    Submission::Match { key, message } => {
                        out[TYPE] = ComputationType::KeyMatch as u8;
                        out[MATCH_KEY..MESSAGE].copy_from_slice(&key.field());
                        out[MESSAGE..].copy_from_slice(&message.field());
                    }
                }
            }
            RendezvousOp::Result { id } | RendezvousOp::Close { id } => {
                out[ID..TYPE].copy_from_slice(&id.0)
            }
            RendezvousOp::List => {}
        }
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        use offsets::*;
        let zero = |f: &[u8], what: &'static str| {
            if f.iter().any(|&b| b != 0) {
                Err(WireError::InvalidRequest(what))
            } else {
                Ok(())
            }
        };
        if bytes[1..ACTING_AS].iter().any(|&b| b != 0)
            || bytes[COUNT + 1..DEADLINE].iter().any(|&b| b != 0)
        {
            return Err(WireError::NonZeroReserved("rendezvous request"));
        }
        let acting_as = PublicKey::decode(&bytes[ACTING_AS..ID])?;
        let id = ComputationId(bytes[ID..TYPE].try_into().expect("16 bytes"));
        let mut r = Cursor::new(&bytes[PARTICIPANTS..VALUE]);
        let op = match bytes[0] {
            RendezvousOp::CREATE => {
                zero(&bytes[ID..TYPE], "create carries no id")?;
                zero(&bytes[VALUE..], "create carries no submission")?;
                let count = bytes[COUNT] as usize;
                if count == 0 || count > MAX_PARTICIPANTS {
                    return Err(WireError::InvalidRequest(
                        "a computation has 1 to 8 participants",
                    ));
                }
                let mut participants = Vec::with_capacity(count);
                for i in 0..MAX_PARTICIPANTS {
                    let k = r.take(KEY_LEN);
                    if i < count {
                        participants.push(PublicKey::decode(k)?);
                    } else {
                        zero(k, "unused participant slots are zero")?;
                    }
                }
                let name_bytes = &bytes[NAME..PARTICIPANTS];
                let len = name_bytes
                    .iter()
                    .position(|&b| b == 0)
                    .unwrap_or(COMPUTATION_NAME_LEN);
                zero(&name_bytes[len..], "a computation's name is zero-padded")?;
                let name = std::str::from_utf8(&name_bytes[..len])
                    .map_err(|_| WireError::InvalidRequest("a computation's name is UTF-8"))?
                    .to_owned();
                let deadline = u64::from_le_bytes(bytes[DEADLINE..NAME].try_into().expect("8"));
                let req = Self {
                    acting_as,
                    op: RendezvousOp::Create {
                        name,
                        kind: ComputationType::from_code(bytes[TYPE])?,
                        participants,
                        quorum: bytes[QUORUM],
                        deadline: (deadline != 0).then_some(deadline),
                    },
                };
                req.check()?;
                return Ok(req);
            }
            RendezvousOp::SUBMIT => {
                zero(&bytes[QUORUM..DEADLINE], "submit carries no quorum")?;
                zero(
                    &bytes[DEADLINE..VALUE],
                    "submit carries no computation fields",
                )?;
                let submission = match ComputationType::from_code(bytes[TYPE])? {
                    ComputationType::KeyMatch => {
                        zero(
                            &bytes[VALUE..MATCH_KEY],
                            "a key submission carries no number",
                        )?;
                        Submission::Match {
                            key: MatchKey::from_field(&bytes[MATCH_KEY..MESSAGE])?,
                            message: MatchMessage::from_field(&bytes[MESSAGE..])?,
                        }
                    }
                    ComputationType::Average => {
                        zero(&bytes[MATCH_KEY..], "a number submission carries no key")?;
                        Submission::Number(i64::from_le_bytes(
                            bytes[VALUE..MATCH_KEY].try_into().expect("8"),
                        ))
                    }
                    _ => {
                        return Err(WireError::InvalidRequest(
                            "a submission is a number or a key",
                        ));
                    }
                };
                RendezvousOp::Submit { id, submission }
            }
            op @ (RendezvousOp::RESULT | RendezvousOp::CLOSE) => {
                zero(&bytes[TYPE..], "this op carries only an id")?;
                if op == RendezvousOp::RESULT {
                    RendezvousOp::Result { id }
                } else {
                    RendezvousOp::Close { id }
                }
            }
            RendezvousOp::LIST => {
                zero(&bytes[ID..], "list carries only the acting-as key")?;
                RendezvousOp::List
            }
            other => return Err(WireError::UnknownOp(other)),
        };
        Ok(Self { acting_as, op })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> PublicKey {
        PublicKey::new([b; 32]).unwrap()
    }

    #[test]
    fn every_op_round_trips_and_limits_hold() {
        let id = ComputationId([5; 16]);
        let ops = [
            RendezvousOp::Create {
                name: "salaries".into(),
                kind: ComputationType::Average,
                participants: vec![key(1), key(2), key(3)],
                quorum: 2,
                deadline: Some(1_900_000_000),
            },
            RendezvousOp::Create {
                name: "vin".into(),
                kind: ComputationType::KeyMatch,
                participants: vec![key(1)],
                quorum: 1,
                deadline: None,
            },
            RendezvousOp::Submit {
                id,
                submission: Submission::Number(-42),
            },
            RendezvousOp::Submit {
                id,
                submission: Submission::Match {
                    key: MatchKey::new("WVW123").unwrap(),
                    message: MatchMessage::new(b"claim 7").unwrap(),
                },
            },
            RendezvousOp::Result { id },
            RendezvousOp::Close { id },
            RendezvousOp::List,
        ];
        for op in ops {
            let r = RendezvousRequest {
                acting_as: key(9),
                op,
            };
            let b = r.encode();
            assert_eq!(b.len(), RENDEZVOUS_REQUEST_LEN);
            assert_eq!(RendezvousRequest::decode(&b).unwrap(), r);
        }
        let bad_quorum = RendezvousRequest {
            acting_as: key(9),
            op: RendezvousOp::Create {
                name: "x".into(),
                kind: ComputationType::Maximum,
                participants: vec![key(1)],
                quorum: 2,
                deadline: None,
            },
        };
        assert!(bad_quorum.check().is_err());
        assert!(RendezvousRequest::decode(&bad_quorum.encode()).is_err());
        assert!(MatchKey::new("").is_err());
        assert!(MatchKey::new(&"k".repeat(33)).is_err());
        assert!(MatchMessage::new(&[0; 96]).is_err());
        assert_eq!(ComputationId([7; 16]).epoch(), u64::from_le_bytes([7; 8]));
    }
}

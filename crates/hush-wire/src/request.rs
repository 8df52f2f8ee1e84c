//! Requests: the typed form clients build and the fixed-size record that
//! travels (inside an encrypted frame) to the trusted core.

use crate::codec::{CursorMut, check_len};
use crate::consts::{ID_LEN, KEY_LEN, PAYLOAD_LEN, REQUEST_LEN, REQUEST_RESERVED_LEN};
use crate::{FixedCodec, MessageId, Payload, PublicKey, WireError};

/// A broker operation with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Store a message for `recipient`, acting as its sender.
    Create {
        /// Client-chosen id.
        id: MessageId,
        /// Whose mailbox receives it.
        recipient: PublicKey,
        /// Content.
        payload: Payload,
    },
    /// Read message `id` from the caller's own mailbox.
    Read {
        /// Which message.
        id: MessageId,
    },
    /// Read the oldest message in the caller's mailbox.
    ReadNext,
    /// Replace the payload of `id` (sender or recipient), refreshing its time.
    Update {
        /// Which message.
        id: MessageId,
        /// The recipient the message was sent to.
        recipient: PublicKey,
        /// New content.
        payload: Payload,
    },
    /// Remove message `id` (sender or recipient).
    Delete {
        /// Which message.
        id: MessageId,
        /// The recipient the message was sent to.
        recipient: PublicKey,
    },
    /// Remove the oldest message in the caller's mailbox.
    DeleteNext,
    /// List the ids in the caller's mailbox, oldest first.
    List,
    /// Set who may write to the caller's mailbox (see [`PolicyAction`]).
    /// Messages from a blocked or disallowed sender are stored as usual,
    /// so the sender sees exactly what it would otherwise, but the owner
    /// never sees them; they leave with the TTL.
    Policy {
        /// What to change.
        action: PolicyAction,
        /// The sender key it is about (block, allow, forget); None for
        /// the accept-from-anyone switch.
        subject: Option<PublicKey>,
    },
}

/// A change to a mailbox's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PolicyAction {
    /// Hide every later message from the subject.
    Block = 1,
    /// Let the subject write while the mailbox accepts only allowed senders.
    Allow = 2,
    /// Drop the subject from the policy.
    Forget = 3,
    /// Accept messages from anyone not blocked (the default).
    AcceptFromAnyone = 4,
    /// Accept messages only from allowed senders.
    AllowedOnly = 5,
}

impl PolicyAction {
    /// Parses an action code.
    pub fn from_code(code: u8) -> Result<Self, WireError> {
        Ok(match code {
            1 => Self::Block,
            2 => Self::Allow,
            3 => Self::Forget,
            4 => Self::AcceptFromAnyone,
            5 => Self::AllowedOnly,
            _ => return Err(WireError::InvalidRequest("unknown policy action")),
        })
    }

    /// Whether the action is about one sender (and so names one).
    pub fn has_subject(self) -> bool {
        matches!(self, Self::Block | Self::Allow | Self::Forget)
    }
}

impl Op {
    /// Op code of create.
    pub const CREATE: u8 = 1;
    /// Op code of read.
    pub const READ: u8 = 2;
    /// Op code of read-next.
    pub const READ_NEXT: u8 = 3;
    /// Op code of update.
    pub const UPDATE: u8 = 4;
    /// Op code of delete.
    pub const DELETE: u8 = 5;
    /// Op code of delete-next.
    pub const DELETE_NEXT: u8 = 6;
    /// Op code of list.
    pub const LIST: u8 = 7;
    /// Op code of policy.
    pub const POLICY: u8 = 8;

    /// The wire op code.
    pub fn code(&self) -> u8 {
        match self {
            Op::Create { .. } => Self::CREATE,
            Op::Read { .. } => Self::READ,
            Op::ReadNext => Self::READ_NEXT,
            Op::Update { .. } => Self::UPDATE,
            Op::Delete { .. } => Self::DELETE,
            Op::DeleteNext => Self::DELETE_NEXT,
            Op::List => Self::LIST,
            Op::Policy { .. } => Self::POLICY,
        }
    }

    /// Whether the op carries a message id.
    pub fn code_uses_id(code: u8) -> bool {
        matches!(
            code,
            Self::CREATE | Self::READ | Self::UPDATE | Self::DELETE
        )
    }

    /// Whether the op names a recipient (otherwise it acts on the caller's
    /// mailbox). Policy carries its subject in the recipient field.
    pub fn code_uses_recipient(code: u8) -> bool {
        matches!(code, Self::CREATE | Self::UPDATE | Self::DELETE)
    }

    /// Whether the op carries a payload (policy: one action byte).
    pub fn code_uses_payload(code: u8) -> bool {
        matches!(code, Self::CREATE | Self::UPDATE)
    }
}

/// A request: an op and the key the caller acts as. The session layer checks
/// that the caller proved possession of `acting_as`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The key the caller acts as (sender for create, recipient for reads).
    pub acting_as: PublicKey,
    /// What to do.
    pub op: Op,
}

impl FixedCodec for Request {
    const LEN: usize = REQUEST_LEN;
    const NAME: &'static str = "request";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        let mut w = CursorMut::new(out);
        w.put(&[self.op.code()]);
        w.put(&[0u8; REQUEST_RESERVED_LEN]);
        let id_field = w.field(ID_LEN);
        w.put(self.acting_as.as_bytes());
        let recipient_field = w.field(KEY_LEN);
        let payload_field = w.field(PAYLOAD_LEN);
        match &self.op {
            Op::Create {
                id,
                recipient,
                payload,
            }
            | Op::Update {
                id,
                recipient,
                payload,
            } => {
                id_field.copy_from_slice(id.as_bytes());
                recipient_field.copy_from_slice(recipient.as_bytes());
                payload_field.copy_from_slice(payload.as_bytes());
            }
            Op::Delete { id, recipient } => {
                id_field.copy_from_slice(id.as_bytes());
                recipient_field.copy_from_slice(recipient.as_bytes());
            }
            Op::Read { id } => id_field.copy_from_slice(id.as_bytes()),
            Op::ReadNext | Op::DeleteNext | Op::List => {}
            Op::Policy { action, subject } => {
                if let Some(k) = subject {
                    recipient_field.copy_from_slice(k.as_bytes());
                }
                payload_field[0] = *action as u8;
            }
        }
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let record = RequestRecord::from_bytes(bytes)?;
        let code = record.op_code();
        if !(Op::CREATE..=Op::POLICY).contains(&code) {
            return Err(WireError::UnknownOp(code));
        }
        if record.reserved().iter().any(|&b| b != 0) {
            return Err(WireError::NonZeroReserved("request"));
        }
        let acting_as = PublicKey::new(*record.acting_as())?;
        let unused_must_be_zero = |used: bool, field: &[u8], what: &'static str| {
            if !used && field.iter().any(|&b| b != 0) {
                Err(WireError::InvalidRequest(what))
            } else {
                Ok(())
            }
        };
        unused_must_be_zero(
            Op::code_uses_id(code),
            record.id(),
            "this op takes no message id",
        )?;
        if code == Op::POLICY {
            let action = PolicyAction::from_code(record.payload()[0])?;
            unused_must_be_zero(
                false,
                &record.payload()[1..],
                "policy carries one action byte",
            )?;
            let subject = if action.has_subject() {
                Some(PublicKey::new(*record.recipient())?)
            } else {
                unused_must_be_zero(
                    false,
                    record.recipient(),
                    "this policy action names no sender",
                )?;
                None
            };
            return Ok(Self {
                acting_as,
                op: Op::Policy { action, subject },
            });
        }
        unused_must_be_zero(
            Op::code_uses_recipient(code),
            record.recipient(),
            "this op takes no recipient",
        )?;
        unused_must_be_zero(
            Op::code_uses_payload(code),
            record.payload(),
            "this op takes no payload",
        )?;
        let id = || MessageId::new(*record.id());
        let recipient = || PublicKey::new(*record.recipient());
        let payload = || Payload::from_raw(*record.payload());
        let op = match code {
            Op::CREATE => Op::Create {
                id: id()?,
                recipient: recipient()?,
                payload: payload(),
            },
            Op::READ => Op::Read { id: id()? },
            Op::READ_NEXT => Op::ReadNext,
            Op::UPDATE => Op::Update {
                id: id()?,
                recipient: recipient()?,
                payload: payload(),
            },
            Op::DELETE => Op::Delete {
                id: id()?,
                recipient: recipient()?,
            },
            Op::DELETE_NEXT => Op::DeleteNext,
            Op::LIST => Op::List,
            other => return Err(WireError::UnknownOp(other)),
        };
        Ok(Self { acting_as, op })
    }
}

/// The encoded request exactly as it travels: [`REQUEST_LEN`] bytes. The
/// trusted core reads its fields without branching on them and validates
/// them in constant time, so a malformed record costs the same work as any
/// other (DESIGN.md rule 1).
#[derive(Clone, PartialEq, Eq)]
pub struct RequestRecord(Box<[u8; REQUEST_LEN]>);

impl RequestRecord {
    /// Wraps exactly [`REQUEST_LEN`] bytes; only the length is checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        check_len("request record", REQUEST_LEN, bytes)?;
        let mut b = Box::new([0u8; REQUEST_LEN]);
        b.copy_from_slice(bytes);
        Ok(Self(b))
    }

    /// Encodes a typed request.
    pub fn encode(request: &Request) -> Self {
        let mut b = Box::new([0u8; REQUEST_LEN]);
        request.encode_into(&mut b[..]);
        Self(b)
    }

    /// The whole record.
    pub fn as_bytes(&self) -> &[u8; REQUEST_LEN] {
        &self.0
    }

    /// Raw op code (not validated).
    pub fn op_code(&self) -> u8 {
        self.0[0]
    }

    /// Raw reserved bytes.
    pub fn reserved(&self) -> &[u8; REQUEST_RESERVED_LEN] {
        self.field(1)
    }

    /// Raw id field.
    pub fn id(&self) -> &[u8; ID_LEN] {
        self.field(8)
    }

    /// Raw acting-as key field.
    pub fn acting_as(&self) -> &[u8; KEY_LEN] {
        self.field(8 + ID_LEN)
    }

    /// Raw recipient field.
    pub fn recipient(&self) -> &[u8; KEY_LEN] {
        self.field(8 + ID_LEN + KEY_LEN)
    }

    /// Raw payload field.
    pub fn payload(&self) -> &[u8; PAYLOAD_LEN] {
        self.field(8 + ID_LEN + 2 * KEY_LEN)
    }

    fn field<const N: usize>(&self, at: usize) -> &[u8; N] {
        self.0[at..at + N].try_into().expect("fixed layout")
    }

    /// Parses into a typed request (variable time; for clients and tests).
    pub fn decode(&self) -> Result<Request, WireError> {
        Request::decode(&self.0[..])
    }
}

impl std::fmt::Debug for RequestRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestRecord(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::tests::{arb_id, arb_key, arb_payload};
    use proptest::prelude::*;

    fn arb_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (arb_id(), arb_key(), arb_payload()).prop_map(|(id, recipient, payload)| Op::Create {
                id,
                recipient,
                payload
            }),
            arb_id().prop_map(|id| Op::Read { id }),
            Just(Op::ReadNext),
            (arb_id(), arb_key(), arb_payload()).prop_map(|(id, recipient, payload)| Op::Update {
                id,
                recipient,
                payload
            }),
            (arb_id(), arb_key()).prop_map(|(id, recipient)| Op::Delete { id, recipient }),
            Just(Op::DeleteNext),
            Just(Op::List),
            arb_key().prop_map(|k| Op::Policy {
                action: PolicyAction::Block,
                subject: Some(k)
            }),
            Just(Op::Policy {
                action: PolicyAction::AllowedOnly,
                subject: None
            }),
        ]
    }

    proptest! {
        #[test]
        fn round_trip_fixed_size(acting_as in arb_key(), op in arb_op()) {
            let req = Request { acting_as, op };
            let rec = RequestRecord::encode(&req);
            prop_assert_eq!(rec.as_bytes().len(), REQUEST_LEN);
            prop_assert_eq!(rec.decode().unwrap(), req);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
            let _ = Request::decode(&bytes);
        }
    }

    #[test]
    fn rejects_malformed() {
        let key = PublicKey::new([3; KEY_LEN]).unwrap();
        let id = MessageId::new([4; ID_LEN]).unwrap();
        let good = RequestRecord::encode(&Request {
            acting_as: key,
            op: Op::Read { id },
        });
        let mutate = |at: usize, v: u8| {
            let mut b = good.as_bytes().to_vec();
            b[at] = v;
            Request::decode(&b)
        };
        assert_eq!(mutate(0, 0), Err(WireError::UnknownOp(0)));
        assert_eq!(mutate(0, 9), Err(WireError::UnknownOp(9)));
        assert_eq!(mutate(3, 1), Err(WireError::NonZeroReserved("request")));
        // read carries no payload
        assert!(matches!(
            mutate(REQUEST_LEN - 1, 1),
            Err(WireError::InvalidRequest(_))
        ));
        // zero id
        let mut b = good.as_bytes().to_vec();
        b[8..24].fill(0);
        assert_eq!(Request::decode(&b), Err(WireError::ZeroId));
        // zero acting-as key
        let mut b = good.as_bytes().to_vec();
        b[24..56].fill(0);
        assert_eq!(Request::decode(&b), Err(WireError::ZeroKey));
        assert!(RequestRecord::from_bytes(&[0; REQUEST_LEN - 1]).is_err());
        assert!(RequestRecord::from_bytes(&[0; REQUEST_LEN + 1]).is_err());
    }
}

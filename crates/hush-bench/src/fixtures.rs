//! Deterministic keys, ids and request records for measurement set-ups.

use hush_wire::consts::{ID_LEN, KEY_LEN};
use hush_wire::{MessageId, Op, PublicKey, Request, RequestRecord};

/// The key whose 32 bytes are all `n` (`n` must not be 0).
pub fn key(n: u8) -> PublicKey {
    PublicKey::new([n; KEY_LEN]).expect("a nonzero fill byte")
}

/// Message id number `n` (never all zero).
pub fn id(n: u64) -> MessageId {
    let mut b = [0x77u8; ID_LEN];
    b[..8].copy_from_slice(&n.to_le_bytes());
    MessageId::new(b).expect("not all zero")
}

/// A device record for the account whose key is [`key`]`(n)`: its own
/// key, as the directory's first device.
pub fn device(n: u8) -> hush_wire::directory::DeviceRecord {
    hush_wire::directory::DeviceRecord {
        card: hush_wire::Card {
            signing_key: key(n),
            encryption_key: [n; 32],
            signature: hush_wire::Signature([1; 64]),
        },
        mailbox: key(n),
        signature: hush_wire::Signature([2; 64]),
    }
}

/// The record of `op` acting as `acting_as`.
pub fn rec(acting_as: PublicKey, op: Op) -> RequestRecord {
    RequestRecord::encode(&Request { acting_as, op })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_and_records_decode() {
        assert_ne!(id(1), id(2));
        let r = rec(key(1), Op::Read { id: id(7) });
        let back = r.decode().unwrap();
        assert_eq!(back.acting_as, key(1));
        assert!(matches!(back.op, Op::Read { id: got } if got == id(7)));
    }
}

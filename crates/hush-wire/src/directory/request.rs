//! Directory requests: the typed form and its fixed-size record.

use super::{DeviceRecord, Identifier};
use crate::codec::{Cursor, CursorMut};
use crate::consts::{
    CODE_DIGITS, DEVICE_LEN, DIRECTORY_REQUEST_LEN, IDENTIFIER_LEN, KEY_LEN, OP_LEN,
    REQUEST_RESERVED_LEN,
};
use crate::{FixedCodec, PublicKey, WireError};

/// An account's switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountFlags {
    /// Others may find the account by its identifiers.
    pub discoverable: bool,
    /// Anyone may message the account (not only its contacts); enforced by
    /// the broker.
    pub accept_from_anyone: bool,
}

impl AccountFlags {
    /// Bit of `discoverable`.
    pub const DISCOVERABLE: u8 = 1;
    /// Bit of `accept_from_anyone`.
    pub const ACCEPT_FROM_ANYONE: u8 = 2;

    /// The flags byte.
    pub fn bits(self) -> u8 {
        let mut b = 0;
        if self.discoverable {
            b |= Self::DISCOVERABLE;
        }
        if self.accept_from_anyone {
            b |= Self::ACCEPT_FROM_ANYONE;
        }
        b
    }

    /// Parses a flags byte, refusing unknown bits.
    pub fn from_bits(b: u8) -> Result<Self, WireError> {
        if b & !(Self::DISCOVERABLE | Self::ACCEPT_FROM_ANYONE) != 0 {
            return Err(WireError::InvalidRequest("unknown account flag bits"));
        }
        Ok(Self {
            discoverable: b & Self::DISCOVERABLE != 0,
            accept_from_anyone: b & Self::ACCEPT_FROM_ANYONE != 0,
        })
    }
}

impl Default for AccountFlags {
    /// New accounts are discoverable and accept messages from anyone.
    fn default() -> Self {
        Self {
            discoverable: true,
            accept_from_anyone: true,
        }
    }
}

/// A six-digit verification code.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerificationCode(u32);

impl VerificationCode {
    /// Codes are below this.
    pub const LIMIT: u32 = 10u32.pow(CODE_DIGITS as u32);

    /// Wraps a number below [`Self::LIMIT`].
    pub fn new(n: u32) -> Result<Self, WireError> {
        if n < Self::LIMIT {
            Ok(Self(n))
        } else {
            Err(WireError::InvalidRequest(
                "a verification code has six digits",
            ))
        }
    }

    /// Parses the six digits a user types (spaces ignored).
    pub fn parse(s: &str) -> Result<Self, WireError> {
        let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != CODE_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WireError::InvalidRequest(
                "a verification code is six digits, as sent to you",
            ));
        }
        Self::new(digits.parse().expect("six digits"))
    }

    /// The number.
    pub fn value(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl std::fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerificationCode(..)")
    }
}

/// A directory operation with its arguments. Every op acts as
/// [`DirectoryRequest::acting_as`], a key the session has proven.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectoryOp {
    /// Starts registering `identifier` for the account whose identity key
    /// is the caller (made, with `device` as its first device and `flags`,
    /// if the key has none). A code is sent to the identifier.
    Register {
        /// The email address or phone number.
        identifier: Identifier,
        /// The first device (ignored when the account exists).
        device: DeviceRecord,
        /// The account's switches (ignored when the account exists).
        flags: AccountFlags,
    },
    /// Completes a registration with the code sent to `identifier`.
    Verify {
        /// The identifier being registered.
        identifier: Identifier,
        /// The code it received.
        code: VerificationCode,
    },
    /// Finds the account registered under `identifier`.
    Lookup {
        /// Who to find.
        identifier: Identifier,
    },
    /// Adds a device (caller: the identity key).
    AddDevice {
        /// The new device, signed by the identity key.
        device: DeviceRecord,
    },
    /// Removes the device with this signing key (caller: the identity key).
    RemoveDevice {
        /// The device's signing key.
        device: PublicKey,
    },
    /// Sets the account's switches (caller: the identity key).
    SetFlags {
        /// The new switches.
        flags: AccountFlags,
    },
    /// The caller's own account (caller: the identity key or a device).
    Show,
    /// Blocks the account with this identity key: its look-ups of any of
    /// this account's identifiers answer "no user" (caller: the identity
    /// key). Messages are blocked in the broker, per mailbox.
    Block {
        /// The other account's identity key.
        account: PublicKey,
    },
    /// Unblocks it.
    Unblock {
        /// The other account's identity key.
        account: PublicKey,
    },
    /// Removes `identifier` (verified or waiting for its code) from the
    /// caller's account (caller: the identity key): look-ups of it find
    /// nobody from then on, and another account may register it.
    RemoveIdentifier {
        /// The email address or phone number.
        identifier: Identifier,
    },
    /// Closes (unregisters) the caller's account (caller: the identity
    /// key), which must have no verified identifier left: its devices are
    /// dropped, senders who knew it are told it is gone, and it takes no
    /// more changes.
    Close,
    /// Grants this session the next batch of the caller's account's tokens
    /// for the day ([`crate::tokens::TOKENS_PER_ISSUE`]), which the token
    /// service then issues blindly (caller: the identity key or a device
    /// of an account with a verified identifier). Answered "rate limited"
    /// when the day's tokens are used up.
    Tokens,
    /// The current devices of the account with this identity key, for a
    /// sender who knows the key (a contact): answered "no user" when there
    /// is no such account. Any proven key may ask; the account need not be
    /// discoverable (the key is the capability, as a card is), and an
    /// account that blocks the caller answers as any other (a blocked
    /// sender is not told; the broker hides its messages).
    Devices {
        /// The account's identity key.
        account: PublicKey,
    },
}

impl DirectoryOp {
    /// Op code of register.
    pub const REGISTER: u8 = 1;
    /// Op code of verify.
    pub const VERIFY: u8 = 2;
    /// Op code of look-up.
    pub const LOOKUP: u8 = 3;
    /// Op code of add-device.
    pub const ADD_DEVICE: u8 = 4;
    /// Op code of remove-device.
    pub const REMOVE_DEVICE: u8 = 5;
    /// Op code of set-flags.
    pub const SET_FLAGS: u8 = 6;
    /// Op code of show.
    pub const SHOW: u8 = 7;
    /// Op code of block.
    pub const BLOCK: u8 = 8;
    /// Op code of unblock.
    pub const UNBLOCK: u8 = 9;
    /// Op code of devices.
    pub const DEVICES: u8 = 10;
    /// Op code of remove-identifier.
    pub const REMOVE_IDENTIFIER: u8 = 11;
    /// Op code of close.
    pub const CLOSE: u8 = 12;
    /// Op code of tokens.
    pub const TOKENS: u8 = 13;

    /// The wire op code.
    pub fn code(&self) -> u8 {
        match self {
            DirectoryOp::Register { .. } => Self::REGISTER,
            DirectoryOp::Verify { .. } => Self::VERIFY,
            DirectoryOp::Lookup { .. } => Self::LOOKUP,
            DirectoryOp::AddDevice { .. } => Self::ADD_DEVICE,
            DirectoryOp::RemoveDevice { .. } => Self::REMOVE_DEVICE,
            DirectoryOp::SetFlags { .. } => Self::SET_FLAGS,
            DirectoryOp::Show => Self::SHOW,
            DirectoryOp::Block { .. } => Self::BLOCK,
            DirectoryOp::Unblock { .. } => Self::UNBLOCK,
            DirectoryOp::Devices { .. } => Self::DEVICES,
            DirectoryOp::RemoveIdentifier { .. } => Self::REMOVE_IDENTIFIER,
            DirectoryOp::Close => Self::CLOSE,
            DirectoryOp::Tokens => Self::TOKENS,
        }
    }
}

/// A directory request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryRequest {
    /// The key the request acts as.
    pub acting_as: PublicKey,
    /// What to do.
    pub op: DirectoryOp,
}

/// Byte offsets of the record's fields, for the enclave's fixed-layout reads.
pub mod offsets {
    use super::*;
    /// The op code.
    pub const OP: usize = 0;
    /// The acting-as key.
    pub const ACTING_AS: usize = OP_LEN + REQUEST_RESERVED_LEN;
    /// The identifier field.
    pub const IDENTIFIER: usize = ACTING_AS + KEY_LEN;
    /// The code (u32 LE).
    pub const CODE: usize = IDENTIFIER + IDENTIFIER_LEN;
    /// The flags byte.
    pub const FLAGS: usize = CODE + 4;
    /// The device record.
    pub const DEVICE: usize = FLAGS + 4;
    const _: () = assert!(DEVICE + DEVICE_LEN == DIRECTORY_REQUEST_LEN);
}

impl FixedCodec for DirectoryRequest {
    const LEN: usize = DIRECTORY_REQUEST_LEN;
    const NAME: &'static str = "directory request";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[offsets::OP] = self.op.code();
        out[offsets::ACTING_AS..offsets::IDENTIFIER].copy_from_slice(self.acting_as.as_bytes());
        let mut identifier = None;
        let mut code = 0u32;
        let mut flags = 0u8;
        let mut device = [0u8; DEVICE_LEN];
        match &self.op {
            DirectoryOp::Register {
                identifier: i,
                device: d,
                flags: f,
            } => {
                identifier = Some(i);
                d.encode_into(&mut device);
                flags = f.bits();
            }
            DirectoryOp::Verify {
                identifier: i,
                code: c,
            } => {
                identifier = Some(i);
                code = c.value();
            }
            DirectoryOp::Lookup { identifier: i }
            | DirectoryOp::RemoveIdentifier { identifier: i } => identifier = Some(i),
            DirectoryOp::AddDevice { device: d } => d.encode_into(&mut device),
            DirectoryOp::RemoveDevice { device: k }
            | DirectoryOp::Block { account: k }
            | DirectoryOp::Unblock { account: k }
            | DirectoryOp::Devices { account: k } => {
                device[..KEY_LEN].copy_from_slice(k.as_bytes())
            }
            DirectoryOp::SetFlags { flags: f } => flags = f.bits(),
            DirectoryOp::Show | DirectoryOp::Close | DirectoryOp::Tokens => {}
        }
        if let Some(i) = identifier {
            out[offsets::IDENTIFIER..offsets::CODE].copy_from_slice(&i.encode());
        }
        out[offsets::CODE..offsets::FLAGS].copy_from_slice(&code.to_le_bytes());
        out[offsets::FLAGS] = flags;
        let mut w = CursorMut::new(&mut out[offsets::DEVICE..]);
        w.put(&device);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Cursor::new(bytes);
        let op = r.take(OP_LEN)[0];
        if r.take(REQUEST_RESERVED_LEN).iter().any(|&b| b != 0)
            || bytes[offsets::FLAGS + 1..offsets::DEVICE]
                .iter()
                .any(|&b| b != 0)
        {
            return Err(WireError::NonZeroReserved("directory request"));
        }
        let acting_as = PublicKey::decode(r.take(KEY_LEN))?;
        let id_field = r.take(IDENTIFIER_LEN);
        let code = u32::from_le_bytes(r.take_array::<4>());
        let flags = r.take(4)[0];
        let device = r.take(DEVICE_LEN);
        let unused = |field: &[u8], what: &'static str| {
            if field.iter().any(|&b| b != 0) {
                Err(WireError::InvalidRequest(what))
            } else {
                Ok(())
            }
        };
        let op = match op {
            DirectoryOp::REGISTER => {
                unused(&code.to_le_bytes(), "register carries no code")?;
                DirectoryOp::Register {
                    identifier: Identifier::decode(id_field)?,
                    device: DeviceRecord::decode(device)?,
                    flags: AccountFlags::from_bits(flags)?,
                }
            }
            DirectoryOp::VERIFY => {
                unused(&[flags], "verify carries no flags")?;
                unused(device, "verify carries no device")?;
                DirectoryOp::Verify {
                    identifier: Identifier::decode(id_field)?,
                    code: VerificationCode::new(code)?,
                }
            }
            DirectoryOp::LOOKUP | DirectoryOp::REMOVE_IDENTIFIER => {
                unused(&code.to_le_bytes(), "this op carries no code")?;
                unused(&[flags], "this op carries no flags")?;
                unused(device, "this op carries no device")?;
                let identifier = Identifier::decode(id_field)?;
                if op == DirectoryOp::LOOKUP {
                    DirectoryOp::Lookup { identifier }
                } else {
                    DirectoryOp::RemoveIdentifier { identifier }
                }
            }
            DirectoryOp::ADD_DEVICE
            | DirectoryOp::REMOVE_DEVICE
            | DirectoryOp::SET_FLAGS
            | DirectoryOp::SHOW
            | DirectoryOp::BLOCK
            | DirectoryOp::UNBLOCK
            | DirectoryOp::DEVICES
            | DirectoryOp::CLOSE
            | DirectoryOp::TOKENS => {
                unused(id_field, "this op carries no identifier")?;
                unused(&code.to_le_bytes(), "this op carries no code")?;
                match op {
                    DirectoryOp::ADD_DEVICE => {
                        unused(&[flags], "add-device carries no flags")?;
                        DirectoryOp::AddDevice {
                            device: DeviceRecord::decode(device)?,
                        }
                    }
                    DirectoryOp::REMOVE_DEVICE
                    | DirectoryOp::BLOCK
                    | DirectoryOp::UNBLOCK
                    | DirectoryOp::DEVICES => {
                        unused(&[flags], "this op carries no flags")?;
                        unused(&device[KEY_LEN..], "this op carries only a key")?;
                        let k = PublicKey::decode(&device[..KEY_LEN])?;
                        match op {
                            DirectoryOp::REMOVE_DEVICE => DirectoryOp::RemoveDevice { device: k },
                            DirectoryOp::BLOCK => DirectoryOp::Block { account: k },
                            DirectoryOp::UNBLOCK => DirectoryOp::Unblock { account: k },
                            _ => DirectoryOp::Devices { account: k },
                        }
                    }
                    DirectoryOp::SET_FLAGS => {
                        unused(device, "set-flags carries no device")?;
                        DirectoryOp::SetFlags {
                            flags: AccountFlags::from_bits(flags)?,
                        }
                    }
                    _ => {
                        unused(&[flags], "this op carries no flags")?;
                        unused(device, "this op carries no device")?;
                        match op {
                            DirectoryOp::SHOW => DirectoryOp::Show,
                            DirectoryOp::CLOSE => DirectoryOp::Close,
                            _ => DirectoryOp::Tokens,
                        }
                    }
                }
            }
            other => return Err(WireError::UnknownOp(other)),
        };
        Ok(Self { acting_as, op })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Signature;

    fn key(b: u8) -> PublicKey {
        PublicKey::new([b; KEY_LEN]).unwrap()
    }

    fn device(b: u8) -> DeviceRecord {
        DeviceRecord {
            card: crate::Card {
                signing_key: key(b),
                encryption_key: [b + 1; 32],
                signature: Signature([b + 4; 64]),
            },
            mailbox: key(b + 2),
            signature: Signature([b + 3; 64]),
        }
    }

    #[test]
    fn every_op_round_trips_in_one_size() {
        let id = Identifier::email("alice@example.org").unwrap();
        let ops = [
            DirectoryOp::Register {
                identifier: id.clone(),
                device: device(4),
                flags: AccountFlags::default(),
            },
            DirectoryOp::Verify {
                identifier: id.clone(),
                code: VerificationCode::parse("012 345").unwrap(),
            },
            DirectoryOp::Lookup {
                identifier: Identifier::phone("+41446681800").unwrap(),
            },
            DirectoryOp::AddDevice { device: device(9) },
            DirectoryOp::RemoveDevice { device: key(9) },
            DirectoryOp::SetFlags {
                flags: AccountFlags {
                    discoverable: false,
                    accept_from_anyone: true,
                },
            },
            DirectoryOp::Show,
            DirectoryOp::Block { account: key(5) },
            DirectoryOp::Unblock { account: key(5) },
            DirectoryOp::Devices { account: key(6) },
            DirectoryOp::RemoveIdentifier {
                identifier: Identifier::email("bob@example.org").unwrap(),
            },
            DirectoryOp::Close,
            DirectoryOp::Tokens,
        ];
        for op in ops {
            let r = DirectoryRequest {
                acting_as: key(1),
                op,
            };
            let bytes = r.encode();
            assert_eq!(bytes.len(), DIRECTORY_REQUEST_LEN);
            assert_eq!(DirectoryRequest::decode(&bytes).unwrap(), r);
        }
    }

    #[test]
    fn stray_fields_and_unknown_ops_are_refused() {
        let r = DirectoryRequest {
            acting_as: key(1),
            op: DirectoryOp::Show,
        };
        let good = r.encode();
        for at in [
            1,
            offsets::IDENTIFIER,
            offsets::CODE,
            offsets::FLAGS,
            offsets::FLAGS + 1,
            offsets::DEVICE,
        ] {
            let mut b = good.clone();
            b[at] = 1;
            assert!(DirectoryRequest::decode(&b).is_err(), "byte {at}");
        }
        let mut b = good.clone();
        b[0] = 14;
        assert_eq!(DirectoryRequest::decode(&b), Err(WireError::UnknownOp(14)));
        assert!(VerificationCode::parse("12345").is_err());
        assert!(VerificationCode::parse("12345a").is_err());
        assert!(VerificationCode::new(1_000_000).is_err());
        assert_eq!(VerificationCode::new(42).unwrap().to_string(), "000042");
    }
}

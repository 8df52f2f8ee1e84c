//! The directory service's wire types: identifiers, device records, and the
//! fixed-size request and response records of `hush.v1.Directory`.
//!
//! | record | layout | bytes |
//! |---|---|---|
//! | [`Identifier`] | kind 1 \| length 1 \| normalised bytes, zero-padded | 128 |
//! | [`DeviceRecord`] | device card 128 (signing key 32 \| encryption key 32 \| its signature 64) \| mailbox key 32 \| identity key's signature 64 | 224 |
//! | [`DirectoryRequest`] | op 1 \| reserved 7 \| acting-as 32 \| identifier 128 \| code 4 \| flags 1 \| reserved 3 \| device 224 | 400 |
//! | [`DirectoryResponse`] | status 1 \| flags 1 \| devices 1 \| verified identifiers 1 \| reserved 4 \| identity key 32 \| 8 devices | 1832 |
//!
//! Every request of every op is one record of the same size, and every
//! answer one record of the same size, whatever happened.

mod device;
mod identifier;
mod request;
mod response;

pub use device::DeviceRecord;
pub use identifier::{Identifier, IdentifierKind};
pub use request::offsets;
pub use request::{AccountFlags, DirectoryOp, DirectoryRequest, VerificationCode};
pub use response::{DirectoryResponse, DirectoryStatus};

//! The directory service's wire types: identifiers, device records, and the
//! fixed-size request and response records of `hush.v1.Directory`.
//!
//! | record | layout | bytes |
//! |---|---|---|
//! | [`Identifier`] | kind 1 \| length 1 \| normalised bytes, zero-padded | 128 |
//! | [`DeviceRecord`] | signing key 32 \| encryption key 32 \| mailbox key 32 \| signature 64 | 160 |
//! | [`DirectoryRequest`] | op 1 \| reserved 7 \| acting-as 32 \| identifier 128 \| code 4 \| flags 1 \| reserved 3 \| device 160 | 336 |
//! | [`DirectoryResponse`] | status 1 \| flags 1 \| devices 1 \| verified identifiers 1 \| reserved 4 \| identity key 32 \| 8 devices | 1320 |
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

//! openraft's types for hush: the log carries the enclaves' sealed entries
//! (opaque here), and applying one yields the sealed answer for the client
//! whose request this node proposed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::io::Cursor;

openraft::declare_raft_types!(
    /// hush's raft types.
    pub TypeConfig:
        D = LogData,
        R = Applied,
);

/// A sealed log entry (`hush_enclave::cluster::SEALED_ENTRY_LEN` bytes),
/// base64 in the peers' JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogData(pub Vec<u8>);

impl Serialize for LogData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for LogData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        B64.decode(text)
            .map(LogData)
            .map_err(serde::de::Error::custom)
    }
}

/// What applying an entry gave this node: the sealed answer for its own
/// client, if it proposed the entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Applied {
    /// The sealed answer.
    pub reply: Option<LogData>,
}

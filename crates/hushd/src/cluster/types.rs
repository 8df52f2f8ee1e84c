//! openraft's types for hush: a raft entry carries a batch of the
//! enclaves' sealed entries (opaque here, one per request or tick, all of
//! one size), and applying it yields, for each, the sealed answer for the
//! client whose request this node proposed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::io::Cursor;

openraft::declare_raft_types!(
    /// hush's raft types.
    pub TypeConfig:
        D = LogData,
        R = Applied,
        Node = Member,
);

/// What the cluster's configuration records of a member: where its peers
/// reach it (as it announced itself; each node dials its peers at the
/// addresses of its own `--peers`, see [`super::network`]) and where
/// clients reach it, so that a follower's "not the leader" can name the
/// leader's client address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Its peer address (`HOST:PORT`).
    pub peer: String,
    /// Its client address (`HOST:PORT`, hushd's `--listen`).
    pub client: String,
}

impl std::fmt::Display for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peers at {}, clients at {}", self.peer, self.client)
    }
}

/// Sealed bytes from an enclave (an entry or an answer): bytes in the
/// peers' binary encoding, base64 in JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed(pub Vec<u8>);

impl Serialize for Sealed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&B64.encode(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Sealed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            B64.decode(text)
                .map(Sealed)
                .map_err(serde::de::Error::custom)
        } else {
            d.deserialize_byte_buf(BytesVisitor)
        }
    }
}

struct BytesVisitor;

impl<'de> serde::de::Visitor<'de> for BytesVisitor {
    type Value = Sealed;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sealed bytes")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Sealed, E> {
        Ok(Sealed(v.to_vec()))
    }

    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Sealed, E> {
        Ok(Sealed(v))
    }
}

/// A raft entry's data: the leader's sealed entries
/// (`hush_enclave::cluster::SEALED_ENTRY_LEN` bytes each) proposed
/// together, in their chain's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogData(pub Vec<Sealed>);

/// What applying a raft entry gave this node: for each sealed entry in it,
/// the sealed answer for its own client, if it proposed that entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Applied {
    /// The sealed answers, one per sealed entry.
    pub replies: Vec<Option<Sealed>>,
}

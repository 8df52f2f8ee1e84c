//! Group messages: what travels inside an [`crate::EnvelopeKind::Group`]
//! envelope. Groups are kept by the clients (Rossby's option 2): a group
//! message is sealed separately to every device of every member, and a
//! membership change is a control envelope carrying the whole new state.
//!
//! | part | layout | bytes |
//! |---|---|---|
//! | [`GroupId`] | random | 16 |
//! | [`GroupUpdate`] | name length 1 \| name (UTF-8, at most 64) \| member count 1 \| identity keys 32 each (at most 20) | 2 + name + 32 x members |

use crate::{PublicKey, WireError};

/// Length of a group id.
pub const GROUP_ID_LEN: usize = 16;
/// Longest group name, in bytes.
pub const MAX_GROUP_NAME: usize = 64;
/// Most members a group has (its update fits one envelope).
pub const MAX_GROUP_MEMBERS: usize = 20;

/// A group's id, chosen at random by its creator.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupId(pub [u8; GROUP_ID_LEN]);

impl GroupId {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 32 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        crate::ids::parse_hex::<GROUP_ID_LEN>(s).map(Self)
    }
}

impl std::fmt::Debug for GroupId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GroupId({})", self.to_hex())
    }
}

/// A group's whole state as a member announces it: its name and members
/// (their identity keys). Sent on creation and on every change, to old and
/// new members alike; a member left out has been removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupUpdate {
    /// The group's name.
    pub name: String,
    /// The members' identity keys.
    pub members: Vec<PublicKey>,
}

impl GroupUpdate {
    /// Checks the limits.
    pub fn new(name: &str, members: Vec<PublicKey>) -> Result<Self, WireError> {
        if name.is_empty() || name.len() > MAX_GROUP_NAME || name.chars().any(char::is_control) {
            return Err(WireError::InvalidRequest(
                "a group name is 1 to 64 bytes of text without control characters",
            ));
        }
        if members.is_empty() || members.len() > MAX_GROUP_MEMBERS {
            return Err(WireError::InvalidRequest("a group has 1 to 20 members"));
        }
        let mut seen = std::collections::HashSet::new();
        if !members.iter().all(|m| seen.insert(*m)) {
            return Err(WireError::InvalidRequest("a group lists each member once"));
        }
        Ok(Self {
            name: name.to_owned(),
            members,
        })
    }

    /// The encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.name.len() + 32 * self.members.len());
        out.push(self.name.len() as u8);
        out.extend_from_slice(self.name.as_bytes());
        out.push(self.members.len() as u8);
        for m in &self.members {
            out.extend_from_slice(m.as_bytes());
        }
        out
    }

    /// Parses an update, refusing anything malformed or trailing.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let bad = || WireError::InvalidRequest("malformed group update");
        let (&name_len, rest) = bytes.split_first().ok_or_else(bad)?;
        let name_len = name_len as usize;
        if rest.len() < name_len + 1 {
            return Err(bad());
        }
        let name = std::str::from_utf8(&rest[..name_len]).map_err(|_| bad())?;
        let count = rest[name_len] as usize;
        let keys = &rest[name_len + 1..];
        if keys.len() != 32 * count {
            return Err(bad());
        }
        let members = keys
            .chunks(32)
            .map(|k| PublicKey::new(k.try_into().expect("32 bytes")))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(name, members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_round_trip_and_bad_ones_are_refused() {
        let k = |b| PublicKey::new([b; 32]).unwrap();
        let u = GroupUpdate::new("friends", vec![k(1), k(2), k(3)]).unwrap();
        assert_eq!(GroupUpdate::decode(&u.encode()).unwrap(), u);
        let max = GroupUpdate::new(&"g".repeat(64), (1..=20).map(k).collect()).unwrap();
        assert!(max.encode().len() < crate::consts::MAX_ENVELOPE_CONTENT_LEN - GROUP_ID_LEN);
        assert!(GroupUpdate::new("", vec![k(1)]).is_err());
        assert!(GroupUpdate::new("x", vec![]).is_err());
        assert!(GroupUpdate::new("x", vec![k(1), k(1)]).is_err());
        assert!(GroupUpdate::new("a\nb", vec![k(1)]).is_err());
        let mut b = u.encode();
        b.push(0);
        assert!(GroupUpdate::decode(&b).is_err());
        assert!(GroupUpdate::decode(&[5, b'a']).is_err());
        assert!(GroupUpdate::decode(&[]).is_err());
    }
}

//! Which messages this machine has told their senders it read:
//! `$HUSH_HOME/receipts/NAME.json`, for each identity, the ids read per
//! sending device (the latest [`crate::status::MAX_RECEIPT_IDS`]).

use crate::identity::{KeystoreError, valid_name};
use crate::status::MAX_RECEIPT_IDS;
use hush_wire::{MessageId, PublicKey};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The read state of one identity.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadState {
    read: BTreeMap<String, Vec<String>>,
}

impl ReadState {
    /// Records that `id` from `sender` was read; false if it was already.
    pub fn mark(&mut self, sender: &PublicKey, id: &MessageId) -> bool {
        let ids = self.read.entry(sender.to_hex()).or_default();
        let hex = id.to_hex();
        if ids.contains(&hex) {
            return false;
        }
        ids.push(hex);
        let over = ids.len().saturating_sub(MAX_RECEIPT_IDS);
        ids.drain(..over);
        true
    }

    /// The ids read from `sender`, oldest first.
    pub fn ids(&self, sender: &PublicKey) -> Vec<MessageId> {
        self.read
            .get(&sender.to_hex())
            .map(|ids| {
                ids.iter()
                    .filter_map(|h| MessageId::from_hex(h).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The receipts folder.
#[derive(Debug, Clone)]
pub struct ReadStates {
    dir: PathBuf,
}

impl ReadStates {
    /// The read states under `home`.
    pub fn open(home: &Path) -> Self {
        Self {
            dir: home.join("receipts"),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, KeystoreError> {
        if !valid_name(name) {
            return Err(KeystoreError::BadName(name.to_owned()));
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Identity `name`'s read state (empty when none or unreadable: the
    /// worst case is a receipt sent twice).
    pub fn load(&self, name: &str) -> Result<ReadState, KeystoreError> {
        let path = self.path(name)?;
        let read = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Ok(ReadState { read })
    }

    /// Saves it.
    pub fn save(&self, name: &str, state: &ReadState) -> Result<(), KeystoreError> {
        let path = self.path(name)?;
        let io = |source| KeystoreError::Io {
            path: path.clone(),
            source,
        };
        crate::private_file::create_dir_all(&self.dir).map_err(io)?;
        crate::private_file::replace(
            &path,
            serde_json::to_string(&state.read)
                .expect("serialisable")
                .as_bytes(),
        )
        .map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_once_and_keeps_the_latest() {
        let dir = tempfile::tempdir().unwrap();
        let states = ReadStates::open(dir.path());
        let mut s = states.load("bob").unwrap();
        let k = PublicKey::new([1; 32]).unwrap();
        let ids: Vec<MessageId> = (0..MAX_RECEIPT_IDS + 2)
            .map(|_| crate::new_message_id())
            .collect();
        assert!(s.mark(&k, &ids[0]));
        assert!(!s.mark(&k, &ids[0]));
        for id in &ids[1..] {
            s.mark(&k, id);
        }
        assert_eq!(s.ids(&k), ids[2..].to_vec());
        states.save("bob", &s).unwrap();
        assert_eq!(states.load("bob").unwrap(), s);
    }
}

//! The names an identity gave the computations it convened:
//! `$HUSH_HOME/computations/NAME.json`, a map from a computation's name to
//! its id and type. Names are scoped to their convener; a participant
//! finds a computation by the name its convener gave it in the service's
//! list of its computations, or by its id.

use crate::identity::{KeystoreError, valid_name};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A computation an identity convened, as remembered here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownComputation {
    /// Its id (32 hex digits).
    pub id: String,
    /// Its type (`average`, `min`, `max`, `match`).
    #[serde(rename = "type")]
    pub kind: String,
}

/// An identity's computations, by name.
pub type ComputationBook = BTreeMap<String, KnownComputation>;

/// The computations folder.
#[derive(Debug, Clone)]
pub struct LocalComputations {
    dir: PathBuf,
}

impl LocalComputations {
    /// The computations under `home`.
    pub fn open(home: &Path) -> Self {
        Self {
            dir: home.join("computations"),
        }
    }

    fn path(&self, identity: &str) -> Result<PathBuf, KeystoreError> {
        if !valid_name(identity) {
            return Err(KeystoreError::BadName(identity.to_owned()));
        }
        Ok(self.dir.join(format!("{identity}.json")))
    }

    /// What `identity` remembers (empty if nothing); a damaged file is an
    /// error, never silently replaced.
    pub fn load(&self, identity: &str) -> Result<ComputationBook, KeystoreError> {
        Ok(crate::json_file::load(&self.path(identity)?)?.unwrap_or_default())
    }

    /// Remembers `name` for `identity`.
    pub fn remember(
        &self,
        identity: &str,
        name: &str,
        known: KnownComputation,
    ) -> Result<(), KeystoreError> {
        let mut book = self.load(identity)?;
        book.insert(name.to_owned(), known);
        crate::json_file::save(&self.path(identity)?, &book)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_per_identity_and_damage_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let c = LocalComputations::open(dir.path());
        assert!(c.load("alice").unwrap().is_empty());
        let k = KnownComputation {
            id: "ab".repeat(16),
            kind: "average".into(),
        };
        c.remember("alice", "salary", k.clone()).unwrap();
        assert_eq!(c.load("alice").unwrap().get("salary"), Some(&k));
        assert!(c.load("bob").unwrap().is_empty(), "scoped to its convener");
        std::fs::write(dir.path().join("computations/bob.json"), "[").unwrap();
        assert!(c.load("bob").is_err());
        assert!(c.remember("bob", "x", k).is_err(), "never overwritten");
        assert!(c.load("../x").is_err());
    }
}

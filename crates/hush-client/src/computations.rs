//! The names of an identity's computations:
//! `$HUSH_HOME/computations/NAME.json`, a map from a computation's name to
//! its id and type. Names are scoped to their convener; a participant
//! finds a computation by the name its convener gave it in the service's
//! list of its computations, or by its id. The names a participant found
//! that way are kept too (marked `seen`), so that once the service has
//! forgotten a computation (a restart), naming it is answered "gone"
//! rather than "no such name".

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
    /// Someone else's computation, whose name this identity found in the
    /// service's list; `false` for one it convened.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seen: bool,
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

    /// Remembers the names `identity` found in a listing of the service:
    /// its own names stay as they are; a seen name now naming another
    /// computation is updated. Writes only when something changed.
    pub fn remember_seen<'a>(
        &self,
        identity: &str,
        found: impl IntoIterator<Item = (&'a str, KnownComputation)>,
    ) -> Result<(), KeystoreError> {
        let mut book = self.load(identity)?;
        let mut changed = false;
        for (name, mut known) in found {
            known.seen = true;
            match book.get(name) {
                Some(k) if !k.seen || *k == known => {}
                _ => {
                    book.insert(name.to_owned(), known);
                    changed = true;
                }
            }
        }
        if changed {
            crate::json_file::save(&self.path(identity)?, &book)?;
        }
        Ok(())
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
            seen: false,
        };
        c.remember("alice", "salary", k.clone()).unwrap();
        assert_eq!(c.load("alice").unwrap().get("salary"), Some(&k));
        assert!(c.load("bob").unwrap().is_empty(), "scoped to its convener");
        std::fs::write(dir.path().join("computations/bob.json"), "[").unwrap();
        assert!(c.load("bob").is_err());
        assert!(c.remember("bob", "x", k).is_err(), "never overwritten");
        assert!(c.load("../x").is_err());
    }

    #[test]
    fn seen_names_never_replace_ones_own() {
        let dir = tempfile::tempdir().unwrap();
        let c = LocalComputations::open(dir.path());
        let own = KnownComputation {
            id: "ab".repeat(16),
            kind: "average".into(),
            seen: false,
        };
        c.remember("alice", "salary", own.clone()).unwrap();
        let other = |id: &str| KnownComputation {
            id: id.repeat(16),
            kind: "min".into(),
            seen: false,
        };
        c.remember_seen("alice", [("salary", other("cd")), ("race", other("ef"))])
            .unwrap();
        let book = c.load("alice").unwrap();
        assert_eq!(book["salary"], own);
        assert!(book["race"].seen && book["race"].id == "ef".repeat(16));
        // A seen name that now names another computation follows it.
        c.remember_seen("alice", [("race", other("01"))]).unwrap();
        assert_eq!(c.load("alice").unwrap()["race"].id, "01".repeat(16));
        // Files from before `seen` existed read as one's own.
        std::fs::write(
            dir.path().join("computations/bob.json"),
            r#"{"x":{"id":"00000000000000000000000000000000","type":"max"}}"#,
        )
        .unwrap();
        assert!(!c.load("bob").unwrap()["x"].seen);
    }
}

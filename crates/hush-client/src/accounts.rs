//! What this machine remembers about its accounts, beside the identities:
//! `$HUSH_HOME/accounts/NAME.json` for each local identity that registered
//! an account or was linked to one as a device. The directory is the
//! truth about an account; this file only remembers which account an
//! identity belongs to and which identifiers wait for their code.

use crate::identity::{KeystoreError, valid_name};
use hush_wire::PublicKey;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One identity's account memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalAccount {
    /// The account's identity key (hex): this identity's own key, or the
    /// key of the identity it was linked to as a device.
    pub identity_key: String,
    /// Identifiers registered and waiting for their code, newest last.
    #[serde(default)]
    pub pending: Vec<String>,
    /// Identifiers verified.
    #[serde(default)]
    pub verified: Vec<String>,
}

impl LocalAccount {
    /// The identity key.
    pub fn identity(&self) -> Result<PublicKey, hush_wire::WireError> {
        PublicKey::from_hex(&self.identity_key)
    }
}

/// The accounts folder.
#[derive(Debug, Clone)]
pub struct LocalAccounts {
    dir: PathBuf,
}

impl LocalAccounts {
    /// The accounts under `home`.
    pub fn open(home: &Path) -> Self {
        Self {
            dir: home.join("accounts"),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, KeystoreError> {
        if !valid_name(name) {
            return Err(KeystoreError::BadName(name.to_owned()));
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// What identity `name` remembers, if anything.
    pub fn load(&self, name: &str) -> Result<Option<LocalAccount>, KeystoreError> {
        crate::json_file::load(&self.path(name)?)
    }

    /// Saves identity `name`'s memory.
    pub fn save(&self, name: &str, account: &LocalAccount) -> Result<(), KeystoreError> {
        crate::json_file::save(&self.path(name)?, account)
    }

    /// Forgets identity `name`'s account.
    pub fn remove(&self, name: &str) -> Result<(), KeystoreError> {
        let path = self.path(name)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(KeystoreError::Io { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_reports_damage() {
        let dir = tempfile::tempdir().unwrap();
        let a = LocalAccounts::open(dir.path());
        assert_eq!(a.load("alice").unwrap(), None);
        let acc = LocalAccount {
            identity_key: "11".repeat(32),
            pending: vec!["alice@example.org".into()],
            verified: vec![],
        };
        a.save("alice", &acc).unwrap();
        assert_eq!(a.load("alice").unwrap(), Some(acc));
        std::fs::write(dir.path().join("accounts/bob.json"), "{").unwrap();
        assert!(a.load("bob").is_err());
        assert!(a.load("../x").is_err());
        a.remove("alice").unwrap();
        assert_eq!(a.load("alice").unwrap(), None);
    }
}

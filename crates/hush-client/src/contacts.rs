//! Contacts: other people's cards, by a name of your choosing, kept beside
//! the identities, one card per file in the one-line text form: an
//! identity's own in `$HUSH_HOME/contacts/@IDENTITY/NAME.card` (its
//! account's, when the account's identity is on this machine), and those
//! shared by every identity of the home in `$HUSH_HOME/contacts/NAME.card`
//! (where every contact was before contacts were per identity). A scoped
//! view ([`Contacts::of`]) reads the identity's own first, then the shared
//! ones, and writes its own. Every card is checked when added and again when
//! loaded; a damaged file is reported, never silently used, and never
//! hides the others.
//!
//! A contact found in the directory also has `NAME.devices`: the account's
//! identity key and every device record, one hex line each, every one
//! re-checked against the identity key when loaded. The identity key is
//! what the contact is trusted as; the devices are refreshed from the
//! directory at every send (the CLI's `current_devices`), and messages go
//! to each device the account lists then.

use crate::directory::{Account, VerifiedDevice};
use crate::e2e::VerifiedCard;
use crate::identity::{KeystoreError, display_name, error_chain, named_files, valid_display_name};
use hush_wire::directory::DeviceRecord;
use hush_wire::{FixedCodec, PublicKey};
use std::path::{Path, PathBuf};

/// File name extension of a contact.
const EXTENSION: &str = "card";
/// File name extension of a contact's devices.
const DEVICES_EXTENSION: &str = "devices";

/// The contacts folder, shared or seen from one identity.
#[derive(Debug, Clone)]
pub struct Contacts {
    /// The home's shared contacts.
    dir: PathBuf,
    /// The identity's own contacts, when scoped.
    own: Option<PathBuf>,
}

/// One contact.
#[derive(Debug, Clone)]
pub struct Contact {
    /// Its name.
    pub name: String,
    /// Its card (signature checked).
    pub card: VerifiedCard,
    /// Shared by every identity of the home (not an identity's own).
    pub shared: bool,
}

/// A contact file that could not be used.
#[derive(Debug, Clone)]
pub struct BadContact {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

impl Contacts {
    /// The contacts under `home` (the identity directory).
    pub fn open(home: &Path) -> Self {
        Self {
            dir: home.join("contacts"),
            own: None,
        }
    }

    /// The contacts as identity `owner` sees them: its own, then the
    /// shared ones; what it adds is its own.
    pub fn of(&self, owner: &str) -> Self {
        Self {
            dir: self.dir.clone(),
            own: Some(self.dir.join(format!("@{owner}"))),
        }
    }

    /// The contacts identity `name` of `home` uses: those of its account's
    /// identity when that identity is in the same home (an account's
    /// devices on one machine share them), else its own.
    pub fn for_identity(home: &Path, name: &str) -> Result<Self, KeystoreError> {
        let mut owner = name.to_owned();
        if let Some(local) = crate::accounts::LocalAccounts::open(home).load(name)? {
            let identity = local.identity().map_err(|e| KeystoreError::BadContact {
                path: home.join("accounts"),
                reason: e.to_string(),
            })?;
            let (ids, _) = crate::Keystore::open(home).list_public()?;
            if let Some(i) = ids.iter().find(|i| i.public == identity) {
                owner = i.name.clone();
            }
        }
        Ok(Self::open(home).of(&owner))
    }

    /// Whose contacts these are (None: the shared ones).
    pub fn owner(&self) -> Option<&str> {
        self.own.as_ref()?.file_name()?.to_str()?.strip_prefix('@')
    }

    /// The identities that have contacts of their own here.
    pub fn owners(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return vec![];
        };
        let mut out: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str()?.strip_prefix('@').map(str::to_owned))
            .collect();
        out.sort();
        out
    }

    /// Moves every shared contact into `owner`'s own (a home with one
    /// identity: they were its all along). A name it has already stays
    /// shared. Returns how many moved.
    pub fn migrate_to(&self, owner: &str) -> Result<usize, KeystoreError> {
        let own = self.dir.join(format!("@{owner}"));
        let mut moved = 0;
        for (name, path) in named_files(&self.dir, EXTENSION)? {
            let to = own.join(format!("{name}.{EXTENSION}"));
            if to.exists() {
                continue;
            }
            let io = |source| KeystoreError::Io {
                path: to.clone(),
                source,
            };
            crate::private_file::create_dir_all(&own).map_err(io)?;
            let devices = path.with_extension(DEVICES_EXTENSION);
            if devices.exists() {
                std::fs::rename(&devices, to.with_extension(DEVICES_EXTENSION)).map_err(io)?;
            }
            std::fs::rename(&path, &to).map_err(io)?;
            moved += 1;
        }
        Ok(moved)
    }

    fn checked(name: &str) -> Result<String, KeystoreError> {
        let name = display_name(name);
        if !valid_display_name(&name) {
            return Err(KeystoreError::BadDisplayName(name));
        }
        Ok(name)
    }

    /// Where contact `name` is: the identity's own file if it has one,
    /// else the shared one (which may not exist).
    fn path(&self, name: &str) -> Result<PathBuf, KeystoreError> {
        let name = Self::checked(name)?;
        let file = format!("{name}.{EXTENSION}");
        if let Some(own) = &self.own
            && own.join(&file).exists()
        {
            return Ok(own.join(file));
        }
        Ok(self.dir.join(file))
    }

    /// Where a new contact `name` goes.
    fn new_path(&self, name: &str) -> Result<PathBuf, KeystoreError> {
        let name = Self::checked(name)?;
        Ok(self
            .own
            .as_ref()
            .unwrap_or(&self.dir)
            .join(format!("{name}.{EXTENSION}")))
    }

    /// Adds `card` as `name`; refuses a name already in use.
    pub fn add(&self, name: &str, card: &VerifiedCard) -> Result<(), KeystoreError> {
        let path = self.new_path(name)?;
        if path.exists() || self.path(name)?.exists() {
            return Err(KeystoreError::ContactExists(name.to_owned()));
        }
        let io = |source| KeystoreError::Io {
            path: path.clone(),
            source,
        };
        crate::private_file::create_dir_all(path.parent().unwrap_or(&self.dir)).map_err(io)?;
        crate::private_file::replace(&path, format!("{}\n", card.to_text()).as_bytes()).map_err(io)
    }

    /// Loads contact `name`.
    pub fn load(&self, name: &str) -> Result<Contact, KeystoreError> {
        let path = self.path(name)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeystoreError::MissingContact(name.to_owned()));
            }
            Err(source) => return Err(KeystoreError::Io { path, source }),
        };
        let card = VerifiedCard::from_text(&text).map_err(|e| KeystoreError::BadContact {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(Contact {
            name: display_name(name),
            card,
            shared: path.parent() == Some(self.dir.as_path()),
        })
    }

    /// Adds an account found in the directory as `name`: its identity's
    /// card, and its devices.
    pub fn add_account(&self, name: &str, account: &Account) -> Result<(), KeystoreError> {
        let identity_card = account
            .devices
            .iter()
            .find(|d| d.key() == account.identity)
            .map(|d| d.card().clone())
            .ok_or_else(|| KeystoreError::BadContact {
                path: self.dir.join(name),
                reason: "the account lists no device for its identity key".into(),
            })?;
        self.add(name, &identity_card)?;
        self.set_devices(name, account)
    }

    /// Replaces the devices kept for contact `name`.
    pub fn set_devices(&self, name: &str, account: &Account) -> Result<(), KeystoreError> {
        let path = self.path(name)?.with_extension(DEVICES_EXTENSION);
        let mut text = format!("{}\n", account.identity.to_hex());
        for d in &account.devices {
            text.push_str(&hex::encode(d.record().encode()));
            text.push('\n');
        }
        crate::private_file::replace(&path, text.as_bytes())
            .map_err(|source| KeystoreError::Io { path, source })
    }

    /// The devices of contact `name`, checked against its identity key;
    /// None for a contact added by card only (its one device is the card).
    pub fn devices(&self, name: &str) -> Result<Option<Vec<VerifiedDevice>>, KeystoreError> {
        let path = self.path(name)?.with_extension(DEVICES_EXTENSION);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(KeystoreError::Io { path, source }),
        };
        let bad = |reason: String| KeystoreError::BadContact {
            path: path.clone(),
            reason,
        };
        let mut lines = text.lines();
        let identity = lines
            .next()
            .and_then(|l| PublicKey::from_hex(l.trim()).ok())
            .ok_or_else(|| bad("the first line is not an identity key".into()))?;
        let mut devices = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let bytes = hex::decode(line.trim()).map_err(|e| bad(e.to_string()))?;
            let record = DeviceRecord::decode(&bytes).map_err(|e| bad(e.to_string()))?;
            devices
                .push(VerifiedDevice::verify(&identity, record).map_err(|e| bad(e.to_string()))?);
        }
        Ok(Some(devices))
    }

    /// The identity key of contact `name`'s account: the one its devices
    /// are signed by, or its card's key for a contact added by card.
    pub fn account_identity(&self, name: &str) -> Result<PublicKey, KeystoreError> {
        let path = self.path(name)?.with_extension(DEVICES_EXTENSION);
        match std::fs::read_to_string(&path) {
            Ok(t) => t
                .lines()
                .next()
                .and_then(|l| PublicKey::from_hex(l.trim()).ok())
                .ok_or(KeystoreError::BadContact {
                    path,
                    reason: "the first line is not an identity key".into(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(self.load(name)?.card.signing_key())
            }
            Err(source) => Err(KeystoreError::Io { path, source }),
        }
    }

    /// Removes contact `name`.
    pub fn remove(&self, name: &str) -> Result<(), KeystoreError> {
        let path = self.path(name)?;
        let _ = std::fs::remove_file(path.with_extension(DEVICES_EXTENSION));
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(KeystoreError::MissingContact(name.to_owned()))
            }
            Err(source) => Err(KeystoreError::Io { path, source }),
        }
    }

    /// Every usable contact by name, and every file that is not one.
    pub fn list(&self) -> Result<(Vec<Contact>, Vec<BadContact>), KeystoreError> {
        let mut names = match &self.own {
            Some(own) => named_files(own, EXTENSION)?,
            None => vec![],
        };
        for (name, path) in named_files(&self.dir, EXTENSION)? {
            if !names.iter().any(|(n, _)| *n == name) {
                names.push((name, path));
            }
        }
        names.sort();
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for (name, path) in names {
            match self.load(&name) {
                Ok(c) => good.push(c),
                Err(e) => bad.push(BadContact {
                    path,
                    reason: error_chain(&e),
                }),
            }
        }
        Ok((good, bad))
    }

    /// The contact whose card names `key`, if any.
    pub fn find_key(&self, key: &PublicKey) -> Option<Contact> {
        let (good, _) = self.list().ok()?;
        good.into_iter().find(|c| c.card.signing_key() == *key)
    }

    /// The contact one of whose devices is `key` (or whose card is), if any.
    pub fn find_device(&self, key: &PublicKey) -> Option<Contact> {
        let (good, _) = self.list().ok()?;
        good.into_iter().find(|c| {
            c.card.signing_key() == *key
                || self
                    .devices(&c.name)
                    .ok()
                    .flatten()
                    .is_some_and(|ds| ds.iter().any(|d| d.key() == *key))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Identity;
    use crate::e2e::card_for;

    #[test]
    fn add_list_find_remove_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        let c = Contacts::open(dir.path());
        assert!(c.list().unwrap().0.is_empty());
        let bob = Identity::generate("bob");
        c.add("bob", &card_for(&bob)).unwrap();
        assert!(matches!(
            c.add("bob", &card_for(&bob)),
            Err(KeystoreError::ContactExists(_))
        ));
        assert!(matches!(
            c.add("../x", &card_for(&bob)),
            Err(KeystoreError::BadDisplayName(_))
        ));
        assert_eq!(c.load("bob").unwrap().card.signing_key(), bob.public());
        assert_eq!(c.find_key(&bob.public()).unwrap().name, "bob");
        // A damaged card is reported and does not hide the good ones.
        let carol = Identity::generate("carol");
        c.add("carol", &card_for(&carol)).unwrap();
        let path = dir.path().join("contacts/carol.card");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.replace_range(20..21, if &text[20..21] == "0" { "1" } else { "0" });
        std::fs::write(&path, text).unwrap();
        std::fs::create_dir(dir.path().join("contacts/dir.card")).unwrap();
        let (good, bad) = c.list().unwrap();
        assert_eq!(good.len(), 1);
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert!(matches!(
            c.load("carol"),
            Err(KeystoreError::BadContact { .. })
        ));
        c.remove("bob").unwrap();
        assert!(matches!(
            c.remove("bob"),
            Err(KeystoreError::MissingContact(_))
        ));
    }
}

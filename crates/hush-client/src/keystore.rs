//! Named identities kept in a config directory (`$HUSH_HOME`, else
//! `$XDG_CONFIG_HOME/hush`, else `~/.config/hush`), one file per identity,
//! readable only by its owner. A file may hold its secret in the clear
//! (hex) or protected by a passphrase ([`crate::passphrase`], the age
//! format); the public key is always in the clear, so listing needs no
//! passphrase.

use crate::identity::{Identity, SECRET_LEN, valid_name};
use hush_wire::PublicKey;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

use crate::passphrase::{self, PassphraseSource};

/// Keystore failures.
#[derive(Debug, Error)]
pub enum KeystoreError {
    /// Bad identity name.
    #[error("invalid identity name {0:?}: use 1 to 32 letters, digits, '-' or '_'")]
    BadName(String),
    /// Bad contact or group name.
    #[error(
        "invalid name {0:?}: use 1 to 32 letters or digits of any script, '-', '_', '.' or single spaces (no control, direction-changing or invisible characters)"
    )]
    BadDisplayName(String),
    /// Name already taken.
    #[error("an identity named {0:?} already exists")]
    Exists(String),
    /// No such identity.
    #[error("no identity named {0:?} (create it with `hush id new {0}`)")]
    Missing(String),
    /// Neither a known identity nor a contact.
    #[error(
        "{0:?} is neither one of your identities nor a contact (add their card with `hush contact add NAME CARD`)"
    )]
    UnknownRecipient(String),
    /// A public key with no card: nothing to encrypt to.
    #[error(
        "no card for key {0}: messages are end-to-end encrypted, so the recipient's card is needed (`hush contact add NAME CARD`; they print it with `hush id card`)"
    )]
    NoCard(String),
    /// Contact name already taken.
    #[error(
        "a contact named {0:?} already exists (remove it first with `hush contact remove {0}`)"
    )]
    ContactExists(String),
    /// The name is taken by an identity.
    #[error("{0:?} is already the name of one of your identities; choose another contact name")]
    NameIsIdentity(String),
    /// No such contact.
    #[error("no contact named {0:?} (see `hush contact list`)")]
    MissingContact(String),
    /// A damaged contact file.
    #[error("contact file {path} is unusable: {reason}")]
    BadContact {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A damaged account or group file.
    #[error("{path} is unusable: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A corrupt identity file.
    #[error("identity file {0} is corrupt")]
    Corrupt(PathBuf),
    /// A protected identity and no passphrase to open it.
    #[error(
        "identity {0:?} is protected by a passphrase: run hush in a terminal to be asked, or set HUSH_PASSPHRASE"
    )]
    Locked(String),
    /// The passphrase did not open the identity.
    #[error("wrong passphrase for identity {0:?}")]
    WrongPassphrase(String),
    /// A protected secret hush will not open as it is.
    #[error("cannot open the protected secret in {path}: {reason}")]
    Protected {
        /// The identity file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A protected secret that is damaged.
    #[error("the protected secret in {path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// File system error (its cause follows in the error chain).
    #[error("cannot use {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The files `NAME.ext` in `dir`, as (NAME, path), sorted; none if `dir`
/// does not exist.
pub(crate) fn named_files(dir: &Path, ext: &str) -> Result<Vec<(String, PathBuf)>, KeystoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(KeystoreError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let suffix = format!(".{ext}");
    let mut names: Vec<(String, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(&suffix)?
                .to_owned();
            Some((name, path))
        })
        .collect();
    names.sort();
    Ok(names)
}

/// An error and its causes, as one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// An identity file's contents: the secret as hex, or (protected) as an
/// armored age file. Both are wiped when the struct is dropped, whether
/// it was written or read.
#[derive(Serialize, Deserialize)]
struct IdentityFile {
    name: String,
    public: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_age: Option<String>,
}

impl Drop for IdentityFile {
    fn drop(&mut self) {
        self.secret.zeroize();
        self.secret_age.zeroize();
    }
}

/// What listing shows of an identity: no secret is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityInfo {
    /// Its name.
    pub name: String,
    /// Its public key.
    pub public: PublicKey,
    /// Whether its secret is protected by a passphrase.
    pub protected: bool,
}

/// An identity file that could not be read.
#[derive(Debug, Clone)]
pub struct BadIdentity {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// The directory of identities.
#[derive(Clone)]
pub struct Keystore {
    dir: PathBuf,
    passphrase: Option<PassphraseSource>,
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keystore({})", self.dir.display())
    }
}

impl Keystore {
    /// The default directory (see module docs).
    pub fn default_dir() -> PathBuf {
        if let Some(d) = std::env::var_os("HUSH_HOME") {
            return PathBuf::from(d);
        }
        if let Some(d) = std::env::var_os("XDG_CONFIG_HOME") {
            return PathBuf::from(d).join("hush");
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".config").join("hush")
    }

    /// The keystore in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            passphrase: None,
        }
    }

    /// Asks `source` for the passphrase of protected identities.
    pub fn with_passphrase_source(mut self, source: PassphraseSource) -> Self {
        self.passphrase = Some(source);
        self
    }

    /// Where identities are kept.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> Result<PathBuf, KeystoreError> {
        if !valid_name(name) {
            return Err(KeystoreError::BadName(name.to_owned()));
        }
        Ok(self.dir.join("identities").join(format!("{name}.json")))
    }

    /// Creates and saves a new identity, its secret in the clear (the file
    /// is readable only by its owner).
    pub fn create(&self, name: &str) -> Result<Identity, KeystoreError> {
        self.create_with(name, None)
    }

    /// Creates and saves a new identity whose secret is protected by
    /// `passphrase`.
    pub fn create_protected(
        &self,
        name: &str,
        passphrase: &str,
    ) -> Result<Identity, KeystoreError> {
        self.create_with(name, Some(passphrase))
    }

    fn create_with(&self, name: &str, passphrase: Option<&str>) -> Result<Identity, KeystoreError> {
        let path = self.path(name)?;
        if path.exists() {
            return Err(KeystoreError::Exists(name.to_owned()));
        }
        let id = Identity::generate(name);
        let io = |source| KeystoreError::Io {
            path: path.clone(),
            source,
        };
        let parent = path.parent().expect("has a parent");
        crate::private_file::create_dir_all(parent).map_err(io)?;
        crate::private_file::create_new(&path, file_for(&id, passphrase).as_bytes()).map_err(io)?;
        Ok(id)
    }

    /// Protects identity `name` with `passphrase` (asking for its old one
    /// through the passphrase source if it is protected already).
    pub fn protect(&self, name: &str, passphrase: &str) -> Result<(), KeystoreError> {
        let id = self.load(name)?;
        self.rewrite(&id, Some(passphrase))
    }

    /// Stores identity `name`'s secret in the clear again.
    pub fn unprotect(&self, name: &str) -> Result<(), KeystoreError> {
        let id = self.load(name)?;
        self.rewrite(&id, None)
    }

    fn rewrite(&self, id: &Identity, passphrase: Option<&str>) -> Result<(), KeystoreError> {
        let path = self.path(id.name())?;
        replace_private(&path, file_for(id, passphrase).as_bytes())
            .map_err(|source| KeystoreError::Io { path, source })
    }

    fn read_file(&self, name: &str) -> Result<(PathBuf, IdentityFile), KeystoreError> {
        let path = self.path(name)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => Zeroizing::new(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeystoreError::Missing(name.to_owned()));
            }
            Err(source) => return Err(KeystoreError::Io { path, source }),
        };
        let file: IdentityFile =
            serde_json::from_str(&text).map_err(|_| KeystoreError::Corrupt(path.clone()))?;
        if PublicKey::from_hex(&file.public).is_err()
            || file.secret.is_some() == file.secret_age.is_some()
        {
            return Err(KeystoreError::Corrupt(path));
        }
        Ok((path, file))
    }

    /// Loads identity `name` (asking for its passphrase if it is protected).
    pub fn load(&self, name: &str) -> Result<Identity, KeystoreError> {
        let (path, file) = self.read_file(name)?;
        let mut seed = Zeroizing::new([0u8; SECRET_LEN]);
        match (&file.secret, &file.secret_age) {
            (Some(hex_secret), _) => {
                if hex::decode_to_slice(hex_secret, &mut seed[..]).is_err() {
                    return Err(KeystoreError::Corrupt(path));
                }
            }
            (None, Some(armored)) => {
                let passphrase = self
                    .passphrase
                    .as_ref()
                    .and_then(|ask| ask(name))
                    .ok_or_else(|| KeystoreError::Locked(name.to_owned()))?;
                let secret = passphrase::open(armored, &passphrase).map_err(|e| match e {
                    passphrase::ProtectError::WrongPassphrase => {
                        KeystoreError::WrongPassphrase(name.to_owned())
                    }
                    passphrase::ProtectError::Damaged(reason) => KeystoreError::Damaged {
                        path: path.clone(),
                        reason,
                    },
                    e @ passphrase::ProtectError::TooMuchWork(_) => KeystoreError::Protected {
                        path: path.clone(),
                        reason: e.to_string(),
                    },
                })?;
                if secret.len() != SECRET_LEN {
                    return Err(KeystoreError::Corrupt(path));
                }
                seed.copy_from_slice(&secret);
            }
            (None, None) => return Err(KeystoreError::Corrupt(path)),
        }
        let id = Identity::from_secret(name, *seed);
        if id.public().to_hex() != file.public {
            return Err(KeystoreError::Corrupt(path));
        }
        Ok(id)
    }

    /// Every identity's name and public key, without reading any secret,
    /// and every file in the folder that is not a usable identity. One bad
    /// file never hides the others.
    pub fn list_public(&self) -> Result<(Vec<IdentityInfo>, Vec<BadIdentity>), KeystoreError> {
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for (name, path) in self.names()? {
            match self.read_file(&name) {
                Ok((_, file)) => good.push(IdentityInfo {
                    name,
                    public: PublicKey::from_hex(&file.public).expect("checked when read"),
                    protected: file.secret_age.is_some(),
                }),
                Err(e) => bad.push(BadIdentity {
                    path,
                    reason: error_chain(&e),
                }),
            }
        }
        Ok((good, bad))
    }

    fn names(&self) -> Result<Vec<(String, PathBuf)>, KeystoreError> {
        named_files(&self.dir.join("identities"), "json")
    }

    /// Every identity, by name, secrets loaded (protected ones through the
    /// passphrase source).
    pub fn list(&self) -> Result<Vec<Identity>, KeystoreError> {
        self.names()?.iter().map(|(n, _)| self.load(n)).collect()
    }

    /// A recipient: a known identity's name, or a public key in hex.
    pub fn resolve(&self, name_or_key: &str) -> Result<PublicKey, KeystoreError> {
        if let Ok(k) = PublicKey::from_hex(name_or_key) {
            return Ok(k);
        }
        match self.load(name_or_key) {
            Ok(id) => Ok(id.public()),
            Err(KeystoreError::Missing(_) | KeystoreError::BadName(_)) => {
                Err(KeystoreError::UnknownRecipient(name_or_key.to_owned()))
            }
            Err(e) => Err(e),
        }
    }
}

/// The file for `id`: its secret in hex, or sealed under `passphrase`.
fn file_for(id: &Identity, passphrase: Option<&str>) -> Zeroizing<String> {
    let (secret, secret_age) = match passphrase {
        None => (Some(hex::encode(&id.seed()[..])), None),
        Some(p) => (None, Some(passphrase::seal(&id.seed()[..], p))),
    };
    let file = IdentityFile {
        name: id.name().to_owned(),
        public: id.public().to_hex(),
        secret,
        secret_age,
    };
    Zeroizing::new(serde_json::to_string_pretty(&file).expect("serializable"))
}

/// Replaces `path` with `data` atomically, owner-only.
fn replace_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    crate::private_file::replace(path, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn create_load_list_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open(dir.path());
        let alice = ks.create("alice").unwrap();
        assert!(matches!(ks.create("alice"), Err(KeystoreError::Exists(_))));
        assert!(matches!(
            ks.create("../evil"),
            Err(KeystoreError::BadName(_))
        ));
        assert_eq!(ks.load("alice").unwrap().public(), alice.public());
        ks.create("bob").unwrap();
        let names: Vec<_> = ks
            .list()
            .unwrap()
            .iter()
            .map(|i| i.name().to_owned())
            .collect();
        assert_eq!(names, ["alice", "bob"]);
        assert_eq!(ks.resolve("alice").unwrap(), alice.public());
        assert_eq!(
            ks.resolve(&alice.public().to_hex()).unwrap(),
            alice.public()
        );
        assert!(matches!(
            ks.resolve("carol"),
            Err(KeystoreError::UnknownRecipient(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("identities/alice.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("identities/bob.json"), "{}").unwrap();
        assert!(matches!(ks.load("bob"), Err(KeystoreError::Corrupt(_))));
    }

    #[test]
    fn passphrase_protected_identities() {
        let dir = tempfile::tempdir().unwrap();
        let plain = Keystore::open(dir.path());
        let alice = plain.create_protected("alice", "s3cret").unwrap();
        let text = std::fs::read_to_string(dir.path().join("identities/alice.json")).unwrap();
        assert!(
            !text.contains(&hex::encode(&alice.seed()[..])),
            "no secret in the clear"
        );
        assert!(text.contains("BEGIN AGE ENCRYPTED FILE"));
        // Listing needs no passphrase.
        let (infos, bad) = plain.list_public().unwrap();
        assert!(bad.is_empty());
        assert_eq!(infos[0].public, alice.public());
        assert!(infos[0].protected);
        assert!(matches!(plain.load("alice"), Err(KeystoreError::Locked(_))));
        let with = |p: &'static str| {
            Keystore::open(dir.path())
                .with_passphrase_source(Arc::new(move |_| Some(Zeroizing::new(p.to_owned()))))
        };
        assert!(matches!(
            with("nope").load("alice"),
            Err(KeystoreError::WrongPassphrase(_))
        ));
        assert_eq!(
            with("s3cret").load("alice").unwrap().public(),
            alice.public()
        );
        // Unprotect, and protect again under a new passphrase.
        with("s3cret").unprotect("alice").unwrap();
        assert_eq!(plain.load("alice").unwrap().public(), alice.public());
        plain.protect("alice", "n3w").unwrap();
        assert!(matches!(
            with("s3cret").load("alice"),
            Err(KeystoreError::WrongPassphrase(_))
        ));
        assert_eq!(with("n3w").load("alice").unwrap().public(), alice.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("identities/alice.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "rewritten files stay private");
        }
    }

    #[test]
    fn one_bad_file_does_not_hide_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open(dir.path());
        ks.create("alice").unwrap();
        std::fs::write(dir.path().join("identities/broken.json"), "{").unwrap();
        std::fs::create_dir(dir.path().join("identities/folder.json")).unwrap();
        let (good, bad) = ks.list_public().unwrap();
        assert_eq!(good.len(), 1);
        assert_eq!(bad.len(), 2, "{bad:?}");
    }

    #[test]
    fn a_secret_that_is_not_the_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open(dir.path());
        let alice = ks.create("alice").unwrap();
        let path = dir.path().join("identities/alice.json");
        let good = std::fs::read_to_string(&path).unwrap();
        let secret = hex::encode(&alice.seed()[..]);
        let bad_secrets = [
            "zz".repeat(SECRET_LEN), // not hex
            secret[2..].to_owned(),  // a byte short
            format!("{secret}00"),   // a byte long
            "11".repeat(SECRET_LEN), // another key's secret
        ];
        for bad in bad_secrets {
            std::fs::write(&path, good.replace(&secret, &bad)).unwrap();
            assert!(
                matches!(ks.load("alice"), Err(KeystoreError::Corrupt(_))),
                "{bad} accepted"
            );
        }
        std::fs::write(&path, good.replace(&secret, &secret.to_uppercase())).unwrap();
        assert_eq!(ks.load("alice").unwrap().public(), alice.public());
    }
}

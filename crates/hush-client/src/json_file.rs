//! The small JSON files the client keeps beside the identities (accounts,
//! groups): read as `None` when missing, reported (never silently used)
//! when damaged.

use crate::identity::KeystoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;

/// The value in `path`, `None` if there is no such file.
pub(crate) fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, KeystoreError> {
    match std::fs::read_to_string(path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| KeystoreError::BadFile {
                path: path.to_owned(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(KeystoreError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes `value` to `path` (pretty-printed), making its folder.
pub(crate) fn save<T: Serialize>(path: &Path, value: &T) -> Result<(), KeystoreError> {
    let io = |source| KeystoreError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        crate::private_file::create_dir_all(dir).map_err(io)?;
    }
    let text = serde_json::to_string_pretty(value).expect("serialisable");
    crate::private_file::replace(path, (text + "\n").as_bytes()).map_err(io)
}

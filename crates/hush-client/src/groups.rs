//! Groups, as this machine keeps them: `$HUSH_HOME/groups/NAME.json`, one
//! file per group, with the group's id, the identity it belongs to here,
//! and its members' identity keys. The state changes when a member's
//! update arrives (see [`hush_wire::group`]).

use crate::identity::{KeystoreError, display_name, named_files, valid_display_name};
use hush_wire::PublicKey;
use hush_wire::group::GroupId;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalGroup {
    /// The group's id (hex).
    pub id: String,
    /// The group's name, as its members call it.
    pub name: String,
    /// The local identity that is a member.
    pub me: String,
    /// Members' identity keys (hex), this account's included.
    pub members: Vec<String>,
    /// This account was removed: nothing more is sent to or shown from it.
    #[serde(default)]
    pub left: bool,
}

impl LocalGroup {
    /// The group id.
    pub fn group_id(&self) -> Option<GroupId> {
        GroupId::from_hex(&self.id)
    }

    /// The members' keys (unreadable ones skipped).
    pub fn member_keys(&self) -> Vec<PublicKey> {
        self.members
            .iter()
            .filter_map(|m| PublicKey::from_hex(m).ok())
            .collect()
    }
}

/// The groups folder.
#[derive(Debug, Clone)]
pub struct Groups {
    dir: PathBuf,
}

impl Groups {
    /// The groups under `home`.
    pub fn open(home: &Path) -> Self {
        Self {
            dir: home.join("groups"),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, KeystoreError> {
        let name = display_name(name);
        if !valid_display_name(&name) {
            return Err(KeystoreError::BadDisplayName(name));
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Group `name`, if any.
    pub fn load(&self, name: &str) -> Result<Option<LocalGroup>, KeystoreError> {
        crate::json_file::load(&self.path(name)?)
    }

    /// Saves group `name`.
    pub fn save(&self, name: &str, group: &LocalGroup) -> Result<(), KeystoreError> {
        crate::json_file::save(&self.path(name)?, group)
    }

    /// Every group, by local name (unreadable files skipped).
    pub fn list(&self) -> Result<Vec<(String, LocalGroup)>, KeystoreError> {
        let mut out = Vec::new();
        for (name, _) in named_files(&self.dir, "json")? {
            if let Ok(Some(g)) = self.load(&name) {
                out.push((name, g));
            }
        }
        Ok(out)
    }

    /// The local name of the group with `id` held by identity `me`.
    pub fn find(
        &self,
        id: &GroupId,
        me: &str,
    ) -> Result<Option<(String, LocalGroup)>, KeystoreError> {
        Ok(self
            .list()?
            .into_iter()
            .find(|(_, g)| g.id == id.to_hex() && g.me == me))
    }

    /// A local name for a new group called `wanted`: itself if free and
    /// valid, else with a numeric suffix.
    pub fn free_name(&self, wanted: &str) -> String {
        let base: String = display_name(wanted)
            .chars()
            .map(|c| {
                let ok = c.is_alphanumeric()
                    || unicode_normalization::char::is_combining_mark(c)
                    || c == '-'
                    || c == '_';
                if ok { c } else { '-' }
            })
            .take(24)
            .collect();
        let base = if base.is_empty() {
            "group".to_owned()
        } else {
            base
        };
        for n in 0.. {
            let name = if n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            if matches!(self.load(&name), Ok(None)) {
                return name;
            }
        }
        unreachable!()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_kept_and_found() {
        let dir = tempfile::tempdir().unwrap();
        let g = Groups::open(dir.path());
        let group = LocalGroup {
            id: "ab".repeat(16),
            name: "friends".into(),
            me: "alice".into(),
            members: vec!["11".repeat(32)],
            left: false,
        };
        g.save("friends", &group).unwrap();
        assert_eq!(g.load("friends").unwrap(), Some(group.clone()));
        let id = group.group_id().unwrap();
        assert_eq!(g.find(&id, "alice").unwrap().unwrap().0, "friends");
        assert!(g.find(&id, "bob").unwrap().is_none());
        assert_eq!(g.free_name("friends"), "friends-1");
        assert_eq!(g.free_name("my group!"), "my-group-");
        assert_eq!(g.member_keys_len(), 1);
    }

    impl Groups {
        fn member_keys_len(&self) -> usize {
            self.load("friends").unwrap().unwrap().member_keys().len()
        }
    }
}

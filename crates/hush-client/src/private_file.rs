//! Files in the identity directory (`$HUSH_HOME`): identities, contacts,
//! cards, accounts, groups, computations, read state. Together they say
//! who a user talks to, so they are made readable by their owner only:
//! folders 0700, files 0600 (on Unix; elsewhere the platform's defaults).

use std::path::Path;

/// Creates `dir` and any missing parents, each readable by the owner only.
pub(crate) fn create_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `path` (which must not exist) holding `data`, owner-only.
pub(crate) fn create_new(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data)
}

/// Replaces `path` with `data` atomically (an owner-only temporary file,
/// then a rename), so a crash leaves the old file or the new one, never
/// half.
pub(crate) fn replace(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    create_new(&tmp, data)?;
    std::fs::rename(&tmp, path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_the_owners_only() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("hush/contacts");
        create_dir_all(&dir).unwrap();
        assert_eq!(mode(&home.path().join("hush")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("bob.card");
        replace(&file, b"one").unwrap();
        assert_eq!(mode(&file), 0o600);
        replace(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        assert_eq!(mode(&file), 0o600);
        assert!(
            create_new(&file, b"three").is_err(),
            "create_new never overwrites"
        );
    }
}

//! Stored objects in a local directory: one file per object, named by
//! the storage id the enclave gave it.

use super::{BlobStore, check_size};
use hush_wire::media::BlobId;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};
use tonic::Status;

/// Blobs in a local directory.
pub struct BlobDir {
    dir: PathBuf,
    quota: u64,
    used: AtomicU64,
}

impl BlobDir {
    /// Opens (creating) `dir`, counting what it holds against `quota` bytes.
    pub fn open(dir: PathBuf, quota: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let mut used = 0;
        for e in std::fs::read_dir(&dir)? {
            let e = e?;
            if e.file_type()?.is_file() {
                used += e.metadata()?.len();
            }
        }
        Ok(Self {
            dir,
            quota,
            used: AtomicU64::new(used),
        })
    }

    fn path(&self, id: &BlobId) -> PathBuf {
        self.dir.join(id.to_hex())
    }

    /// Bytes held.
    pub fn used_now(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Stores a blob.
    pub fn put_now(&self, id: &BlobId, data: &[u8]) -> Result<(), Status> {
        check_size(data)?;
        let len = data.len() as u64;
        let prev = self.used.fetch_add(len, Ordering::Relaxed);
        if prev + len > self.quota {
            self.used.fetch_sub(len, Ordering::Relaxed);
            return Err(Status::resource_exhausted(
                "the server's blob storage is full; retry later",
            ));
        }
        let path = self.path(id);
        let tmp = self.dir.join(format!(".{}.part", id.to_hex()));
        let result = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            std::io::Write::write_all(&mut f, data)?;
            f.sync_all()?;
            // Never replace a blob: an id is used once.
            std::fs::hard_link(&tmp, &path)?;
            std::fs::remove_file(&tmp)
        })();
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                self.used.fetch_sub(len, Ordering::Relaxed);
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Err(Status::already_exists(
                        "a blob with this id exists; use a new random id",
                    ))
                } else {
                    tracing::warn!("cannot store a blob: {e}");
                    Err(Status::internal("cannot store the blob"))
                }
            }
        }
    }

    /// Fetches a blob.
    pub fn get_now(&self, id: &BlobId) -> Result<Vec<u8>, Status> {
        match std::fs::read(self.path(id)) {
            Ok(d) => Ok(d),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Status::not_found(
                "no such blob: it expired, or was never stored",
            )),
            Err(e) => {
                tracing::warn!("cannot read a blob: {e}");
                Err(Status::internal("cannot read the blob"))
            }
        }
    }

    /// Deletes an object (gone already: nothing to do).
    pub fn delete_now(&self, id: &BlobId) {
        let path = self.path(id);
        if let Ok(meta) = std::fs::metadata(&path)
            && std::fs::remove_file(&path).is_ok()
        {
            self.used.fetch_sub(meta.len(), Ordering::Relaxed);
        }
    }

    /// Deletes blobs stored more than `ttl` ago. Returns how many.
    pub fn expire_now(&self, ttl: Duration) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let now = SystemTime::now();
        let mut n = 0;
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            let old = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|age| age >= ttl);
            if meta.is_file() && old && std::fs::remove_file(e.path()).is_ok() {
                self.used.fetch_sub(meta.len(), Ordering::Relaxed);
                n += 1;
            }
        }
        n
    }
}

#[tonic::async_trait]
impl BlobStore for BlobDir {
    async fn put(&self, id: BlobId, data: Vec<u8>) -> Result<(), Status> {
        tokio::task::block_in_place(|| self.put_now(&id, &data))
    }

    async fn get(&self, id: BlobId) -> Result<Vec<u8>, Status> {
        tokio::task::block_in_place(|| self.get_now(&id))
    }

    async fn delete(&self, id: BlobId) {
        tokio::task::block_in_place(|| self.delete_now(&id))
    }

    async fn expire(&self, ttl: Duration) -> usize {
        tokio::task::block_in_place(|| self.expire_now(ttl))
    }

    fn used(&self) -> u64 {
        self.used_now()
    }

    fn describe(&self) -> String {
        format!("{} (at most {} MiB)", self.dir.display(), self.quota >> 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_stored_once_fetched_and_expired() {
        let dir = tempfile::tempdir().unwrap();
        let object = (1 << 16) + hush_wire::blob_transfer::STORED_OVERHEAD;
        let quota = 3 * object as u64;
        let store = BlobDir::open(dir.path().join("b"), quota).unwrap();
        let id = BlobId([1; 16]);
        let data = vec![7u8; object];
        store.put_now(&id, &data).unwrap();
        assert_eq!(store.get_now(&id).unwrap(), data);
        assert_eq!(
            store.put_now(&id, &data).unwrap_err().code(),
            tonic::Code::AlreadyExists
        );
        assert_eq!(
            store
                .put_now(&BlobId([2; 16]), &[0; 100])
                .unwrap_err()
                .code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            store.get_now(&BlobId([3; 16])).unwrap_err().code(),
            tonic::Code::NotFound
        );
        // The quota counts what is stored.
        store.put_now(&BlobId([4; 16]), &data).unwrap();
        store.put_now(&BlobId([5; 16]), &data).unwrap();
        assert_eq!(
            store.put_now(&BlobId([6; 16]), &data).unwrap_err().code(),
            tonic::Code::ResourceExhausted
        );
        assert_eq!(store.used_now(), quota);
        // Deleting frees room; reopening counts what is left.
        store.delete_now(&BlobId([5; 16]));
        store.delete_now(&BlobId([5; 16]));
        assert_eq!(store.used_now(), quota - object as u64);
        store.put_now(&BlobId([5; 16]), &data).unwrap();
        // Reopening counts them again; expiry removes them and frees room.
        let store = BlobDir::open(dir.path().join("b"), quota).unwrap();
        assert_eq!(store.used_now(), quota);
        assert_eq!(store.expire_now(Duration::from_secs(3600)), 0);
        assert_eq!(store.expire_now(Duration::ZERO), 3);
        assert_eq!(store.used_now(), 0);
        assert_eq!(
            store.get_now(&id).unwrap_err().code(),
            tonic::Code::NotFound
        );
    }
}

//! The gRPC `hush.v1.Blobs` service and where blobs live: encrypted,
//! padded files the clients store for their attachments. Nothing here is
//! trusted or secret: the host holds ciphertext of a few fixed sizes, and
//! learns a blob's size class, id and when it is stored and fetched (see
//! docs/LEAKAGE.md). Blobs expire with the message TTL.
//!
//! The embedded default keeps them in a local directory, one file per blob
//! named by its id.

use hush_wire::grpc::v1::blobs_server::Blobs;
use hush_wire::grpc::v1::{GetBlobRequest, GetBlobResponse, PutBlobRequest, PutBlobResponse};
use hush_wire::media::{BLOB_CLASSES, BlobId};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};
use tonic::{Request, Response, Status};

/// Largest gRPC message the blob service takes or gives: the largest blob
/// and some framing.
pub const MAX_BLOB_MESSAGE: usize = BLOB_CLASSES[BLOB_CLASSES.len() - 1] + 1024;

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
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Stores a blob.
    pub fn put(&self, id: &BlobId, data: &[u8]) -> Result<(), Status> {
        if !BLOB_CLASSES.contains(&data.len()) {
            return Err(Status::invalid_argument(format!(
                "a blob is exactly one of {BLOB_CLASSES:?} bytes, got {}",
                data.len()
            )));
        }
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
    pub fn get(&self, id: &BlobId) -> Result<Vec<u8>, Status> {
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

    /// Deletes blobs stored more than `ttl` ago. Returns how many.
    pub fn expire(&self, ttl: Duration) -> usize {
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

/// The service.
#[derive(Clone)]
pub struct BlobService {
    store: Arc<BlobDir>,
}

impl BlobService {
    /// Serves `store`.
    pub fn new(store: Arc<BlobDir>) -> Self {
        Self { store }
    }
}

fn blob_id(b: &[u8]) -> Result<BlobId, Status> {
    BlobId::from_bytes(b).map_err(|_| Status::invalid_argument("a blob id is 16 bytes"))
}

fn count(op: &'static str, r: &Result<impl Sized, Status>) {
    let outcome = match r {
        Ok(_) => "ok",
        Err(s) => match s.code() {
            tonic::Code::NotFound => "not_found",
            tonic::Code::AlreadyExists => "exists",
            tonic::Code::InvalidArgument => "invalid",
            tonic::Code::ResourceExhausted => "full",
            _ => "error",
        },
    };
    metrics::counter!("hush_blob_requests_total", "op" => op, "outcome" => outcome).increment(1);
}

#[tonic::async_trait]
impl Blobs for BlobService {
    async fn put(&self, req: Request<PutBlobRequest>) -> Result<Response<PutBlobResponse>, Status> {
        let req = req.into_inner();
        let id = blob_id(&req.id)?;
        let store = self.store.clone();
        let r = tokio::task::spawn_blocking(move || store.put(&id, &req.data))
            .await
            .map_err(|_| Status::internal("blob task failed"))?;
        count("put", &r);
        metrics::gauge!("hush_blob_bytes").set(self.store.used() as f64);
        r.map(|()| Response::new(PutBlobResponse {}))
    }

    async fn get(&self, req: Request<GetBlobRequest>) -> Result<Response<GetBlobResponse>, Status> {
        let id = blob_id(&req.into_inner().id)?;
        let store = self.store.clone();
        let r = tokio::task::spawn_blocking(move || store.get(&id))
            .await
            .map_err(|_| Status::internal("blob task failed"))?;
        count("get", &r);
        r.map(|data| Response::new(GetBlobResponse { data }))
    }
}

/// Expires blobs once a minute until `stop`.
pub async fn expire_loop(
    store: Arc<BlobDir>,
    ttl: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        let s = store.clone();
        let _ = tokio::task::spawn_blocking(move || s.expire(ttl)).await;
        metrics::gauge!("hush_blob_bytes").set(store.used() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_stored_once_fetched_and_expired() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobDir::open(dir.path().join("b"), 3 << 16).unwrap();
        let id = BlobId([1; 16]);
        let data = vec![7u8; 1 << 16];
        store.put(&id, &data).unwrap();
        assert_eq!(store.get(&id).unwrap(), data);
        assert_eq!(
            store.put(&id, &data).unwrap_err().code(),
            tonic::Code::AlreadyExists
        );
        assert_eq!(
            store.put(&BlobId([2; 16]), &[0; 100]).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            store.get(&BlobId([3; 16])).unwrap_err().code(),
            tonic::Code::NotFound
        );
        // The quota counts what is stored.
        store.put(&BlobId([4; 16]), &data).unwrap();
        store.put(&BlobId([5; 16]), &data).unwrap();
        assert_eq!(
            store.put(&BlobId([6; 16]), &data).unwrap_err().code(),
            tonic::Code::ResourceExhausted
        );
        assert_eq!(store.used(), 3 << 16);
        // Reopening counts them again; expiry removes them and frees room.
        let store = BlobDir::open(dir.path().join("b"), 3 << 16).unwrap();
        assert_eq!(store.used(), 3 << 16);
        assert_eq!(store.expire(Duration::from_secs(3600)), 0);
        assert_eq!(store.expire(Duration::ZERO), 3);
        assert_eq!(store.used(), 0);
        assert_eq!(store.get(&id).unwrap_err().code(), tonic::Code::NotFound);
    }
}

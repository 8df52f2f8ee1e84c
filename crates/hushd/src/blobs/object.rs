//! Blobs in an S3-compatible object store, through `object_store` (feature
//! `s3`). The same code serves any `ObjectStore`; tests drive it with the
//! crate's in-memory store.

use super::{BlobStore, check_size};
use futures::TryStreamExt;
use hush_wire::media::BlobId;
use object_store::path::Path;
use object_store::{ObjectStore, PutMode, PutOptions, PutPayload};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tonic::Status;

/// Blobs as objects named `PREFIX/ID` in a bucket.
pub struct ObjectBlobs {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    quota: u64,
    used: AtomicU64,
    name: String,
}

impl ObjectBlobs {
    /// Blobs under `prefix` in `store`, at most `quota` bytes, counting what
    /// is there already.
    pub async fn open(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        quota: u64,
        name: String,
    ) -> object_store::Result<Self> {
        let prefix = prefix.trim_matches('/').to_owned();
        let used: u64 = store
            .list(Some(&Path::from(prefix.as_str())))
            .map_ok(|m| m.size)
            .try_fold(0u64, |a, b| async move { Ok(a + b) })
            .await?;
        Ok(Self {
            store,
            prefix,
            quota,
            used: AtomicU64::new(used),
            name,
        })
    }

    /// An S3-compatible bucket: credentials and region from the usual AWS_*
    /// environment variables; `endpoint` for other S3-compatible services.
    pub async fn s3(
        bucket: &str,
        endpoint: Option<&str>,
        prefix: &str,
        quota: u64,
    ) -> anyhow::Result<Self> {
        let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(e) = endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        let store = b.build()?;
        let name = format!("s3://{bucket}/{prefix}");
        Ok(Self::open(Arc::new(store), prefix, quota, name).await?)
    }

    fn path(&self, id: &BlobId) -> Path {
        Path::from(format!("{}/{}", self.prefix, id.to_hex()))
    }
}

#[tonic::async_trait]
impl BlobStore for ObjectBlobs {
    async fn put(&self, id: BlobId, data: Vec<u8>) -> Result<(), Status> {
        check_size(&data)?;
        let len = data.len() as u64;
        if self.used.fetch_add(len, Ordering::Relaxed) + len > self.quota {
            self.used.fetch_sub(len, Ordering::Relaxed);
            return Err(Status::resource_exhausted(
                "the server's blob storage is full; retry later",
            ));
        }
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(&self.path(&id), PutPayload::from(data), opts)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                self.used.fetch_sub(len, Ordering::Relaxed);
                match e {
                    object_store::Error::AlreadyExists { .. } => Err(Status::already_exists(
                        "a blob with this id exists; use a new random id",
                    )),
                    e => {
                        tracing::warn!("cannot store a blob: {e}");
                        Err(Status::internal("cannot store the blob"))
                    }
                }
            }
        }
    }

    async fn get(&self, id: BlobId) -> Result<Vec<u8>, Status> {
        match self.store.get(&self.path(&id)).await {
            Ok(r) => r.bytes().await.map(|b| b.to_vec()).map_err(|e| {
                tracing::warn!("cannot read a blob: {e}");
                Status::internal("cannot read the blob")
            }),
            Err(object_store::Error::NotFound { .. }) => Err(Status::not_found(
                "no such blob: it expired, or was never stored",
            )),
            Err(e) => {
                tracing::warn!("cannot read a blob: {e}");
                Err(Status::internal("cannot read the blob"))
            }
        }
    }

    async fn delete(&self, id: BlobId) {
        let path = self.path(&id);
        if let Ok(meta) = self.store.head(&path).await
            && self.store.delete(&path).await.is_ok()
        {
            self.used.fetch_sub(meta.size, Ordering::Relaxed);
        }
    }

    async fn expire(&self, ttl: Duration) -> usize {
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(ttl).unwrap_or_default();
        let old: Vec<_> = match self
            .store
            .list(Some(&Path::from(self.prefix.as_str())))
            .try_filter(|m| std::future::ready(m.last_modified <= cutoff))
            .try_collect()
            .await
        {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("cannot list blobs: {e}");
                return 0;
            }
        };
        let mut n = 0;
        for m in old {
            if self.store.delete(&m.location).await.is_ok() {
                self.used.fetch_sub(m.size, Ordering::Relaxed);
                n += 1;
            }
        }
        n
    }

    fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    fn describe(&self) -> String {
        format!("{} (at most {} MiB)", self.name, self.quota >> 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_object_store_backend_keeps_the_same_rules() {
        let mem = Arc::new(object_store::memory::InMemory::new());
        let object = (1 << 16) + hush_wire::blob_transfer::STORED_OVERHEAD;
        let quota = 2 * object as u64;
        let s = ObjectBlobs::open(mem.clone(), "blobs", quota, "memory".into())
            .await
            .unwrap();
        let id = BlobId([1; 16]);
        let data = vec![7u8; object];
        s.put(id, data.clone()).await.unwrap();
        assert_eq!(s.get(id).await.unwrap(), data);
        assert_eq!(
            s.put(id, data.clone()).await.unwrap_err().code(),
            tonic::Code::AlreadyExists
        );
        assert_eq!(
            s.put(BlobId([2; 16]), vec![0; 10])
                .await
                .unwrap_err()
                .code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            s.get(BlobId([3; 16])).await.unwrap_err().code(),
            tonic::Code::NotFound
        );
        s.put(BlobId([4; 16]), data.clone()).await.unwrap();
        assert_eq!(
            s.put(BlobId([5; 16]), data.clone())
                .await
                .unwrap_err()
                .code(),
            tonic::Code::ResourceExhausted
        );
        let again = ObjectBlobs::open(mem, "blobs", quota, "memory".into())
            .await
            .unwrap();
        assert_eq!(again.used(), quota);
        assert_eq!(again.expire(Duration::from_secs(3600)).await, 0);
        assert_eq!(again.expire(Duration::ZERO).await, 2);
        assert_eq!(
            again.get(id).await.unwrap_err().code(),
            tonic::Code::NotFound
        );
    }
}

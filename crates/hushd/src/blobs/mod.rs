//! The gRPC `hush.v1.Blobs` service and where stored objects live.
//!
//! Blobs travel inside the session: an upload's sealed request and body go
//! to the enclave, which keeps the blob in its mix and later hands this
//! host objects to store (sealed under its storage key, named by its own
//! random storage ids: [`store_writes`], after each tick). A download's
//! sealed request makes the enclave name one stored object to fetch; this
//! host fetches it, deletes it (the enclave writes it again with its next
//! mix) and hands it back, and returns the enclave's sealed answer and
//! body. Nothing here is trusted or secret: the host learns a request's
//! size class, and which objects are written, read and deleted (see
//! docs/LEAKAGE.md). Objects expire `ttl` after they are written.
//!
//! The embedded default keeps them in a local directory, one file per
//! object ([`dir`]); with the `s3` feature, an S3-compatible store through
//! `object_store` ([`object`]).

mod dir;
#[cfg(feature = "s3")]
pub mod object;

pub use dir::BlobDir;

use crate::rpc;
use hush_enclave::{BlobStep, EnclaveApi, StoredObject};
use hush_wire::blob_transfer::STORED_OVERHEAD;
use hush_wire::grpc::v1::blobs_server::Blobs;
use hush_wire::grpc::v1::{
    DownloadBlobRequest, DownloadBlobResponse, UploadBlobRequest, UploadBlobResponse,
};
use hush_wire::media::{BLOB_CLASSES, BlobId};
use std::sync::Arc;
use std::time::Duration;
use tonic::{Request, Response, Status};

/// Largest gRPC message the blob service takes or gives: the largest blob
/// and some framing.
pub const MAX_BLOB_MESSAGE: usize = BLOB_CLASSES[BLOB_CLASSES.len() - 1] + 1024;

/// Where stored objects live: a local directory ([`BlobDir`], the default)
/// or, with the `s3` feature, any S3-compatible object store
/// ([`object::ObjectBlobs`]). Objects are named by 16-byte storage ids.
#[tonic::async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores an object of a valid size under a new id.
    async fn put(&self, id: BlobId, data: Vec<u8>) -> Result<(), Status>;
    /// Fetches an object.
    async fn get(&self, id: BlobId) -> Result<Vec<u8>, Status>;
    /// Deletes an object, if it is there.
    async fn delete(&self, id: BlobId);
    /// Deletes objects stored more than `ttl` ago; returns how many.
    async fn expire(&self, ttl: Duration) -> usize;
    /// Bytes held (for the gauge).
    fn used(&self) -> u64;
    /// Where objects go, for the start-up banner.
    fn describe(&self) -> String;
}

/// Checks an object's size: a blob class and the enclave's sealing.
pub fn check_size(data: &[u8]) -> Result<(), Status> {
    if BLOB_CLASSES
        .iter()
        .any(|c| c + STORED_OVERHEAD == data.len())
    {
        Ok(())
    } else {
        Err(Status::invalid_argument(format!(
            "a stored object is a blob class {BLOB_CLASSES:?} plus {STORED_OVERHEAD} bytes, got {}",
            data.len()
        )))
    }
}

/// The service.
#[derive(Clone)]
pub struct BlobService {
    enclave: Arc<dyn EnclaveApi>,
    store: Arc<dyn BlobStore>,
}

impl BlobService {
    /// Serves the enclave's blobs, kept in `store`.
    pub fn new(enclave: Arc<dyn EnclaveApi>, store: Arc<dyn BlobStore>) -> Self {
        Self { enclave, store }
    }

    /// An upload: the enclave's sealed answer.
    pub async fn upload(&self, req: UploadBlobRequest) -> Result<UploadBlobResponse, Status> {
        let id = rpc::session_id(&req.session_id)?;
        let enclave = self.enclave.clone();
        let mut body = req.body;
        let sealed = rpc::call("blob_upload", move || {
            enclave.blob_upload(&id, &req.sealed, &mut body)
        })
        .await?;
        Ok(UploadBlobResponse { sealed })
    }

    /// A download: fetches (and deletes) the object the enclave names,
    /// then returns the enclave's sealed answer and body.
    pub async fn download(&self, req: DownloadBlobRequest) -> Result<DownloadBlobResponse, Status> {
        let id = rpc::session_id(&req.session_id)?;
        let enclave = self.enclave.clone();
        let step = rpc::call("blob_download", move || {
            enclave.blob_download_begin(&id, &req.sealed)
        })
        .await?;
        let plan = match step {
            BlobStep::Answered { answer, body } => {
                return Ok(DownloadBlobResponse {
                    sealed: answer,
                    body,
                });
            }
            BlobStep::Fetch(plan) => plan,
        };
        let object = match plan.read {
            Some(name) => {
                let name = BlobId(name.0);
                let object = match self.store.get(name).await {
                    Ok(o) => Some(o),
                    Err(e) => {
                        tracing::warn!("a stored object the enclave asked for: {}", e.message());
                        None
                    }
                };
                self.store.delete(name).await;
                metrics::gauge!("hush_blob_bytes").set(self.store.used() as f64);
                object
            }
            None => None,
        };
        let enclave = self.enclave.clone();
        let (sealed, body) = rpc::call("blob_download_finish", move || {
            enclave.blob_download_finish(plan.ticket, object.as_deref())
        })
        .await?;
        Ok(DownloadBlobResponse { sealed, body })
    }
}

/// Stores the objects the enclave wrote (its mixes). A store that refuses
/// one (full, failing) loses that blob: counted, and logged without ids.
pub async fn store_writes(store: Arc<dyn BlobStore>, writes: Vec<StoredObject>) {
    for w in writes {
        let r = store.put(BlobId(w.id.0), w.bytes).await;
        let outcome = match &r {
            Ok(()) => "ok",
            Err(s) if s.code() == tonic::Code::ResourceExhausted => "full",
            Err(_) => "error",
        };
        metrics::counter!("hush_blob_objects_written_total", "outcome" => outcome).increment(1);
        if let Err(e) = r {
            tracing::warn!(
                "an attachment was lost: the store refused its object: {}",
                e.message()
            );
        }
    }
    metrics::gauge!("hush_blob_bytes").set(store.used() as f64);
}

#[tonic::async_trait]
impl Blobs for BlobService {
    async fn upload(
        &self,
        req: Request<UploadBlobRequest>,
    ) -> Result<Response<UploadBlobResponse>, Status> {
        BlobService::upload(self, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn download(
        &self,
        req: Request<DownloadBlobRequest>,
    ) -> Result<Response<DownloadBlobResponse>, Status> {
        BlobService::download(self, req.into_inner())
            .await
            .map(Response::new)
    }
}

/// Expires blobs once a minute until `stop`.
pub async fn expire_loop(
    store: Arc<dyn BlobStore>,
    ttl: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        store.expire(ttl).await;
        metrics::gauge!("hush_blob_bytes").set(store.used() as f64);
    }
}

//! The gRPC `hush.v1.Blobs` service and where blobs live: encrypted,
//! padded files the clients store for their attachments. Nothing here is
//! trusted or secret: the host holds ciphertext of a few fixed sizes, and
//! learns a blob's size class, id and when it is stored and fetched (see
//! docs/LEAKAGE.md). Blobs expire with the message TTL.
//!
//! The embedded default keeps them in a local directory, one file per blob
//! named by its id ([`dir`]); with the `s3` feature, an S3-compatible store
//! through `object_store` ([`object`]).

mod dir;
#[cfg(feature = "s3")]
pub mod object;

pub use dir::BlobDir;

use hush_wire::grpc::v1::blobs_server::Blobs;
use hush_wire::grpc::v1::{GetBlobRequest, GetBlobResponse, PutBlobRequest, PutBlobResponse};
use hush_wire::media::{BLOB_CLASSES, BlobId};
use std::sync::Arc;
use std::time::Duration;
use tonic::{Request, Response, Status};

/// Largest gRPC message the blob service takes or gives: the largest blob
/// and some framing.
pub const MAX_BLOB_MESSAGE: usize = BLOB_CLASSES[BLOB_CLASSES.len() - 1] + 1024;

/// Where blobs live: a local directory ([`BlobDir`], the default) or, with
/// the `s3` feature, any S3-compatible object store ([`object::ObjectBlobs`]).
#[tonic::async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores a blob of a valid size class under a new id.
    async fn put(&self, id: BlobId, data: Vec<u8>) -> Result<(), Status>;
    /// Fetches a blob.
    async fn get(&self, id: BlobId) -> Result<Vec<u8>, Status>;
    /// Deletes blobs stored more than `ttl` ago; returns how many.
    async fn expire(&self, ttl: Duration) -> usize;
    /// Bytes held (for the gauge).
    fn used(&self) -> u64;
    /// Where blobs go, for the start-up banner.
    fn describe(&self) -> String;
}

/// Checks a blob's size against the classes.
pub fn check_size(data: &[u8]) -> Result<(), Status> {
    if BLOB_CLASSES.contains(&data.len()) {
        Ok(())
    } else {
        Err(Status::invalid_argument(format!(
            "a blob is exactly one of {BLOB_CLASSES:?} bytes, got {}",
            data.len()
        )))
    }
}

/// The service.
#[derive(Clone)]
pub struct BlobService {
    store: Arc<dyn BlobStore>,
}

impl BlobService {
    /// Serves `store`.
    pub fn new(store: Arc<dyn BlobStore>) -> Self {
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
        let r = self.store.put(id, req.data).await;
        count("put", &r);
        metrics::gauge!("hush_blob_bytes").set(self.store.used() as f64);
        r.map(|()| Response::new(PutBlobResponse {}))
    }

    async fn get(&self, req: Request<GetBlobRequest>) -> Result<Response<GetBlobResponse>, Status> {
        let id = blob_id(&req.into_inner().id)?;
        let r = self.store.get(id).await;
        count("get", &r);
        r.map(|data| Response::new(GetBlobResponse { data }))
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

//! The gRPC `hush.v1.Broker` service: hands sealed bytes to the enclave and
//! sealed bytes back. It never sees plaintext; its logs and metrics name
//! only the RPC and the public outcome (ok, or which framing error).

use crate::enclave_thread::EnclaveThread;
use hush_enclave::{EnclaveApi, SessionError};
use hush_wire::SessionId;
use hush_wire::grpc::v1::broker_server::Broker;
use hush_wire::grpc::v1::{Frame, HandshakeRequest, HandshakeResponse};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

/// Largest gRPC message hushd accepts (requests are at most 1 KiB).
pub const MAX_REQUEST_MESSAGE: usize = 8 * 1024;
/// Largest gRPC message hushd sends (a handshake reply with evidence).
pub const MAX_RESPONSE_MESSAGE: usize = 64 * 1024;

/// The service.
#[derive(Clone)]
pub struct BrokerService {
    enclave: Arc<dyn EnclaveApi>,
    thread: EnclaveThread,
}

impl BrokerService {
    /// Serves `enclave`: queries on the enclave thread, handshakes and key
    /// proofs (public-key work) on the blocking pool.
    pub fn new(enclave: Arc<dyn EnclaveApi>, thread: EnclaveThread) -> Self {
        Self { enclave, thread }
    }
}

fn to_status(e: &SessionError) -> Status {
    match e {
        SessionError::UnknownSession => Status::unauthenticated(e.to_string()),
        SessionError::Internal => Status::internal(e.to_string()),
        _ => Status::invalid_argument(e.to_string()),
    }
}

fn outcome(e: &SessionError) -> &'static str {
    match e {
        SessionError::BadHandshake(_) => "bad_handshake",
        SessionError::UnknownSession => "unknown_session",
        SessionError::FrameLength { .. } => "bad_length",
        SessionError::BadFrame => "bad_frame",
        SessionError::Replay => "replay",
        SessionError::Internal => "internal",
    }
}

/// Runs public-key enclave work (handshakes, key proofs) on the blocking
/// pool and records its metrics.
async fn call<T: Send + 'static>(
    rpc: &'static str,
    work: impl FnOnce() -> Result<T, SessionError> + Send + 'static,
) -> Result<T, Status> {
    let start = Instant::now();
    let result = tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Status::internal("enclave task failed"))?;
    record(rpc, start, result)
}

/// Runs a query on the enclave thread and records its metrics.
async fn query_on(
    thread: &EnclaveThread,
    rpc: &'static str,
    id: SessionId,
    sealed: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let start = Instant::now();
    let result = thread
        .run(move |e| e.query(&id, &sealed))
        .await
        .ok_or_else(|| Status::unavailable("the enclave is shutting down"))?;
    record(rpc, start, result)
}

fn record<T>(
    rpc: &'static str,
    start: Instant,
    result: Result<T, SessionError>,
) -> Result<T, Status> {
    let label = match &result {
        Ok(_) => "ok",
        Err(e) => outcome(e),
    };
    metrics::counter!("hush_requests_total", "rpc" => rpc, "outcome" => label).increment(1);
    metrics::histogram!("hush_request_duration_seconds", "rpc" => rpc)
        .record(start.elapsed().as_secs_f64());
    result.map_err(|e| {
        tracing::debug!(rpc, outcome = label, "request refused");
        to_status(&e)
    })
}

fn session_id(bytes: &[u8]) -> Result<SessionId, Status> {
    SessionId::from_bytes(bytes)
        .map_err(|_| Status::invalid_argument("session id must be 16 bytes"))
}

type FrameStream = Pin<Box<dyn Stream<Item = Result<Frame, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl Broker for BrokerService {
    async fn handshake(
        &self,
        req: Request<HandshakeRequest>,
    ) -> Result<Response<HandshakeResponse>, Status> {
        let enclave = self.enclave.clone();
        let msg = req.into_inner().message;
        let reply = call("handshake", move || enclave.handshake(&msg)).await?;
        Ok(Response::new(HandshakeResponse {
            session_id: reply.session.0.to_vec(),
            message: reply.message,
        }))
    }

    async fn prove_keys(&self, req: Request<Frame>) -> Result<Response<Frame>, Status> {
        let enclave = self.enclave.clone();
        let frame = req.into_inner();
        let id = session_id(&frame.session_id)?;
        let sealed = call("prove_keys", move || enclave.prove_keys(&id, &frame.sealed)).await?;
        Ok(Response::new(Frame {
            session_id: id.0.to_vec(),
            sealed,
        }))
    }

    async fn query(&self, req: Request<Frame>) -> Result<Response<Frame>, Status> {
        let frame = req.into_inner();
        let id = session_id(&frame.session_id)?;
        let sealed = query_on(&self.thread, "query", id, frame.sealed).await?;
        Ok(Response::new(Frame {
            session_id: id.0.to_vec(),
            sealed,
        }))
    }

    type QueryStreamStream = FrameStream;

    async fn query_stream(
        &self,
        req: Request<Streaming<Frame>>,
    ) -> Result<Response<Self::QueryStreamStream>, Status> {
        // Answered in order as frames arrive; an error ends the stream.
        let inbound = req.into_inner();
        let thread = self.thread.clone();
        let outbound = inbound.then(move |frame| {
            let thread = thread.clone();
            async move {
                let frame = frame?;
                let id = session_id(&frame.session_id)?;
                let sealed = query_on(&thread, "query_stream", id, frame.sealed).await?;
                Ok(Frame {
                    session_id: id.0.to_vec(),
                    sealed,
                })
            }
        });
        Ok(Response::new(Box::pin(outbound)))
    }
}

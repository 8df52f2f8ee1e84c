//! The gRPC `hush.v1.Broker` service: hands sealed bytes to the enclave and
//! sealed bytes back. It never sees plaintext; its logs and metrics name
//! only the RPC and the public outcome (ok, or which framing error).

use crate::enclave_thread::EnclaveThread;
use crate::handshake_limit::HandshakeLimiter;
use crate::rpc::{answer_frame, call, session_id};
use hush_enclave::{EnclaveApi, ServiceId};
use hush_wire::grpc::v1::broker_server::Broker;
use hush_wire::grpc::v1::{Frame, HandshakeRequest, HandshakeResponse};
use std::pin::Pin;
use std::sync::Arc;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

/// The service.
#[derive(Clone)]
pub struct BrokerService {
    enclave: Arc<dyn EnclaveApi>,
    thread: EnclaveThread,
    handshakes: Arc<HandshakeLimiter>,
}

impl BrokerService {
    /// Serves `enclave`: queries on the enclave thread, handshakes and key
    /// proofs (public-key work) on the blocking pool.
    pub fn new(enclave: Arc<dyn EnclaveApi>, thread: EnclaveThread) -> Self {
        Self {
            enclave,
            thread,
            handshakes: Arc::new(HandshakeLimiter::new(0)),
        }
    }

    /// Limits handshakes per source address ([`HandshakeLimiter`]).
    pub fn with_handshake_limit(mut self, limiter: HandshakeLimiter) -> Self {
        self.handshakes = Arc::new(limiter);
        self
    }
}

type FrameStream = Pin<Box<dyn Stream<Item = Result<Frame, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl Broker for BrokerService {
    async fn handshake(
        &self,
        req: Request<HandshakeRequest>,
    ) -> Result<Response<HandshakeResponse>, Status> {
        let from = req.remote_addr().map(|a| a.ip());
        if let Err(wait) = self.handshakes.check(from, std::time::Instant::now()) {
            return Err(Status::resource_exhausted(format!(
                "too many handshakes from this address: try again in {} s",
                wait.as_secs_f64().ceil().max(1.0)
            )));
        }
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
        let answer = answer_frame(&self.thread, ServiceId::Broker, "query", frame).await?;
        Ok(Response::new(answer))
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
            async move { answer_frame(&thread, ServiceId::Broker, "query_stream", frame?).await }
        });
        Ok(Response::new(Box::pin(outbound)))
    }
}

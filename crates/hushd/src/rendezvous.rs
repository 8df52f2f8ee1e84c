//! The gRPC `hush.v1.Rendezvous` service: sealed rendezvous records in and
//! out over the broker's sessions, on their own enclave thread. Like the
//! other services it sees only session ids, sizes and timing.

use crate::enclave_thread::EnclaveThread;
use crate::rpc::answer_frame;
use hush_enclave::ServiceId;
use hush_wire::grpc::v1::Frame;
use hush_wire::grpc::v1::rendezvous_server::Rendezvous;
use tonic::{Request, Response, Status};

/// The service.
#[derive(Clone)]
pub struct RendezvousService {
    thread: EnclaveThread,
}

impl RendezvousService {
    /// Serves rendezvous requests on `thread`.
    pub fn new(thread: EnclaveThread) -> Self {
        Self { thread }
    }
}

#[tonic::async_trait]
impl Rendezvous for RendezvousService {
    async fn query(&self, req: Request<Frame>) -> Result<Response<Frame>, Status> {
        let answer = answer_frame(
            &self.thread,
            ServiceId::Rendezvous,
            "rendezvous_query",
            req.into_inner(),
        );
        Ok(Response::new(answer.await?))
    }
}

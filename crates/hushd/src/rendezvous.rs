//! The gRPC `hush.v1.Rendezvous` service: sealed rendezvous records in and
//! out over the broker's sessions, on their own enclave thread. Like the
//! other services it sees only session ids, sizes and timing.

use crate::enclave_thread::EnclaveThread;
use crate::rpc::{query_on, session_id};
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
        let frame = req.into_inner();
        let id = session_id(&frame.session_id)?;
        let sealed = query_on(
            &self.thread,
            ServiceId::Rendezvous,
            "rendezvous_query",
            id,
            frame.sealed,
        )
        .await?;
        Ok(Response::new(Frame {
            session_id: id.0.to_vec(),
            sealed,
        }))
    }
}

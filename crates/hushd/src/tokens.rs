//! The gRPC `hush.v1.Tokens` service: sealed token records in and out over
//! the broker's sessions, on their own enclave thread. Like the other
//! services it sees only session ids, sizes and timing: never a token,
//! nor whether it held.

use crate::enclave_thread::EnclaveThread;
use crate::rpc::answer_frame;
use hush_enclave::ServiceId;
use hush_wire::grpc::v1::Frame;
use hush_wire::grpc::v1::tokens_server::Tokens;
use tonic::{Request, Response, Status};

/// The service.
#[derive(Clone)]
pub struct TokensService {
    thread: EnclaveThread,
}

impl TokensService {
    /// Serves token redemptions on `thread`.
    pub fn new(thread: EnclaveThread) -> Self {
        Self { thread }
    }
}

#[tonic::async_trait]
impl Tokens for TokensService {
    async fn redeem(&self, req: Request<Frame>) -> Result<Response<Frame>, Status> {
        let answer = answer_frame(
            &self.thread,
            ServiceId::Tokens,
            "tokens_redeem",
            req.into_inner(),
        );
        Ok(Response::new(answer.await?))
    }
}

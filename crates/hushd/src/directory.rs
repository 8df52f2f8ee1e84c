//! The gRPC `hush.v1.Directory` service: sealed directory records in and
//! out, over the sessions the broker service opens. Like the broker, it
//! sees only session ids, sizes and timing; its requests run on their own
//! enclave thread, so the directory and the broker use both cores.

use crate::enclave_thread::EnclaveThread;
use crate::rpc::answer_frame;
use hush_enclave::ServiceId;
use hush_wire::grpc::v1::Frame;
use hush_wire::grpc::v1::directory_server::Directory;
use tonic::{Request, Response, Status};

/// The service.
#[derive(Clone)]
pub struct DirectoryService {
    thread: EnclaveThread,
}

impl DirectoryService {
    /// Serves directory requests on `thread`.
    pub fn new(thread: EnclaveThread) -> Self {
        Self { thread }
    }
}

#[tonic::async_trait]
impl Directory for DirectoryService {
    async fn query(&self, req: Request<Frame>) -> Result<Response<Frame>, Status> {
        let answer = answer_frame(
            &self.thread,
            ServiceId::Directory,
            "directory_query",
            req.into_inner(),
        );
        Ok(Response::new(answer.await?))
    }
}

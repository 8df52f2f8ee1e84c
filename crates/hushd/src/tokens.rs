//! The gRPC `hush.v1.Tokens` service: sealed token records in and out over
//! the broker's sessions, on their own enclave thread. Like the other
//! services it sees only session ids, sizes and timing: never a token,
//! nor whether it held, nor whether a record was a redemption or an
//! issuance.
//!
//! Every token record costs the enclave the same work, an issuance's
//! (about 600 µs, BENCHMARKS.md), whatever it holds; so that one session
//! cannot keep the token thread busy, the host limits the records per
//! session (`token_records_per_minute`): it sees every frame's session id
//! anyway, so the limit tells it nothing new.

use crate::enclave_thread::EnclaveThread;
use crate::rate_limit::RateLimiter;
use crate::rpc::answer_frame;
use hush_enclave::ServiceId;
use hush_wire::grpc::v1::Frame;
use hush_wire::grpc::v1::tokens_server::Tokens;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Token records a session may send per minute by default (a client
/// sends one per token it redeems and two or three per batch it fetches).
pub const DEFAULT_RECORDS_PER_MINUTE: u32 = 60;

/// The service.
#[derive(Clone)]
pub struct TokensService {
    thread: EnclaveThread,
    records: Arc<RateLimiter<Vec<u8>>>,
}

impl TokensService {
    /// Serves token records on `thread`, without a per-session limit.
    pub fn new(thread: EnclaveThread) -> Self {
        Self {
            thread,
            records: Arc::new(RateLimiter::new(0)),
        }
    }

    /// At most `per_minute` token records per session (bursts up to that
    /// many); 0: no limit.
    pub fn with_record_limit(mut self, per_minute: u32) -> Self {
        self.records = Arc::new(RateLimiter::new(per_minute));
        self
    }
}

#[tonic::async_trait]
impl Tokens for TokensService {
    async fn redeem(&self, req: Request<Frame>) -> Result<Response<Frame>, Status> {
        let session = req.get_ref().session_id.clone();
        if let Err(wait) = self.records.check(session, std::time::Instant::now()) {
            return Err(Status::resource_exhausted(format!(
                "too many token records on this session: try again in {} s",
                wait.as_secs_f64().ceil().max(1.0)
            )));
        }
        let answer = answer_frame(
            &self.thread,
            ServiceId::Tokens,
            "tokens_redeem",
            req.into_inner(),
        );
        Ok(Response::new(answer.await?))
    }
}

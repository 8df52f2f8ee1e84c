//! What every gRPC service of hushd shares: running enclave calls on the
//! right thread, mapping session errors to gRPC statuses, and recording
//! metrics that name only the RPC and its public outcome.

use crate::enclave_thread::EnclaveThread;
use hush_enclave::{ServiceId, SessionError};
use hush_wire::SessionId;
use hush_wire::grpc::v1::Frame;
use std::time::Instant;
use tonic::Status;

/// Largest gRPC message hushd accepts (requests are at most 1 KiB).
pub const MAX_REQUEST_MESSAGE: usize = 8 * 1024;
/// Largest gRPC message hushd sends (a handshake reply with evidence).
pub const MAX_RESPONSE_MESSAGE: usize = 64 * 1024;

pub(crate) fn to_status(e: &SessionError) -> Status {
    match e {
        SessionError::UnknownSession => Status::unauthenticated(e.to_string()),
        SessionError::Internal => Status::internal(e.to_string()),
        SessionError::Replicated => Status::failed_precondition(e.to_string()),
        SessionError::UnknownTicket => Status::internal(e.to_string()),
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
        SessionError::Replicated => "replicated",
        SessionError::UnknownTicket => "unknown_ticket",
    }
}

/// Runs public-key enclave work (handshakes, key proofs) on the blocking
/// pool and records its metrics.
pub(crate) async fn call<T: Send + 'static>(
    rpc: &'static str,
    work: impl FnOnce() -> Result<T, SessionError> + Send + 'static,
) -> Result<T, Status> {
    let start = Instant::now();
    let result = tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Status::internal("enclave task failed"))?;
    record(rpc, start, result)
}

/// Answers one gRPC `Frame` for `service` on `thread`: the same session
/// id back, with the sealed answer (every service's query, unary or
/// streamed, is this).
pub(crate) async fn answer_frame(
    thread: &EnclaveThread,
    service: ServiceId,
    rpc: &'static str,
    frame: Frame,
) -> Result<Frame, Status> {
    let id = session_id(&frame.session_id)?;
    let sealed = query_on(thread, service, rpc, id, frame.sealed).await?;
    Ok(Frame {
        session_id: id.0.to_vec(),
        sealed,
    })
}

/// Runs a request for `service` on its enclave thread and records its metrics.
pub(crate) async fn query_on(
    thread: &EnclaveThread,
    service: ServiceId,
    rpc: &'static str,
    id: SessionId,
    sealed: Vec<u8>,
) -> Result<Vec<u8>, Status> {
    let start = Instant::now();
    if let Some(node) = thread.cluster() {
        let result = node.submit(service, id, sealed).await;
        let label = match &result {
            Ok(_) => "ok",
            Err(s) if s.code() == tonic::Code::Unavailable => "not_committed",
            Err(s) if s.code() == tonic::Code::Unauthenticated => "unknown_session",
            Err(_) => "refused",
        };
        metrics::counter!("hush_requests_total", "rpc" => rpc, "outcome" => label).increment(1);
        metrics::histogram!("hush_request_duration_seconds", "rpc" => rpc)
            .record(start.elapsed().as_secs_f64());
        return result;
    }
    let result = match service {
        ServiceId::Broker => thread.query(id, sealed).await,
        _ => thread.run(move |e| e.call(service, &id, &sealed)).await,
    }
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

pub(crate) fn session_id(bytes: &[u8]) -> Result<SessionId, Status> {
    SessionId::from_bytes(bytes)
        .map_err(|_| Status::invalid_argument("session id must be 16 bytes"))
}

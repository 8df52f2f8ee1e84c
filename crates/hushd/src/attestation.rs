//! The published evidence: `hush.v1.Attestation/GetEvidence` over gRPC and
//! `GET /v1/evidence` (JSON) on the same port, so anyone can check a
//! server before trusting it. Both answer what every handshake carries;
//! nothing here is secret, and nothing changes until the enclave restarts.

use hush_enclave::PublishedEvidence;
use hush_wire::grpc::v1::attestation_server::Attestation;
use hush_wire::grpc::v1::{EvidenceRequest, EvidenceResponse};
use tonic::{Request, Response, Status};

/// The HTTP path of the JSON form.
pub const EVIDENCE_PATH: &str = "/v1/evidence";

/// The gRPC service.
#[derive(Clone)]
pub struct AttestationService {
    published: PublishedEvidence,
}

impl AttestationService {
    /// Publishes `published`.
    pub fn new(published: PublishedEvidence) -> Self {
        Self { published }
    }
}

#[tonic::async_trait]
impl Attestation for AttestationService {
    async fn get_evidence(
        &self,
        _: Request<EvidenceRequest>,
    ) -> Result<Response<EvidenceResponse>, Status> {
        metrics::counter!("hushd_rpc_total", "rpc" => "get_evidence", "outcome" => "ok")
            .increment(1);
        Ok(Response::new(EvidenceResponse {
            evidence: self.published.evidence.clone(),
            noise_static_key: self.published.noise_static_key.to_vec(),
            epoch: self.published.epoch,
        }))
    }
}

/// The JSON form: the evidence's fields for reading, and the encoded
/// evidence (hex) for verifying.
pub fn json(published: &PublishedEvidence) -> serde_json::Value {
    let decoded = hush_attest::Evidence::decode(&published.evidence).ok();
    serde_json::json!({
        "format": decoded.as_ref().map(|e| e.format.name()),
        "provider": decoded.as_ref().map(|e| e.provider.clone()),
        "measurement": decoded.as_ref().map(|e| e.measurement.to_hex()),
        "collateral_bytes": decoded.as_ref().map(|e| e.collateral.len()),
        "noise_static_key": hex::encode(published.noise_static_key),
        "epoch": format!("{:016x}", published.epoch),
        "evidence": hex::encode(&published.evidence),
    })
}

/// The HTTP route serving [`json`].
pub fn http_route(published: PublishedEvidence) -> axum::Router {
    let body = json(&published).to_string();
    axum::Router::new().route(
        EVIDENCE_PATH,
        axum::routing::get(move || {
            let body = body.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body,
                )
            }
        }),
    )
}

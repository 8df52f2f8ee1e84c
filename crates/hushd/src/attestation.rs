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

/// What a client will find checking `published` now, for the operator at
/// start: dev evidence proves nothing; hardware evidence must verify with
/// its collateral (a policy then judges its measurements).
pub fn self_check(published: &PublishedEvidence, now: u64) -> String {
    use hush_attest::{Evidence, Format};
    let e = match Evidence::decode(&published.evidence) {
        Ok(e) => e,
        Err(err) => return format!("WARNING: the evidence does not decode: {err}"),
    };
    let verified = match e.format {
        Format::Dev => {
            return "dev evidence: proves nothing; clients accept it only when told to".into();
        }
        _ if e.collateral.is_empty() => {
            return format!(
                "WARNING: {} evidence without collateral: clients cannot verify it (set --attestation-collateral)",
                e.format.name()
            );
        }
        Format::Tdx | Format::Sgx | Format::SevSnp => hush_attest::hardware_claims(&e, now, false),
    };
    match verified {
        Ok(c) => format!(
            "{} evidence verifies with its collateral (TCB {}, collateral issued {} days ago)",
            c.tee.name(),
            c.tcb_status,
            now.saturating_sub(c.collateral_issued) / 86_400
        ),
        Err(err) => format!("WARNING: clients will refuse this evidence: {err}"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn published(
        format: hush_attest::Format,
        quote: &[u8],
        collateral: &[u8],
    ) -> PublishedEvidence {
        let e = hush_attest::Evidence {
            format,
            provider: "test".into(),
            measurement: hush_attest::Measurement([0; 48]),
            report_data: hush_attest::ReportData([0; 64]),
            quote: quote.to_vec(),
            collateral: collateral.to_vec(),
        };
        PublishedEvidence {
            evidence: e.encode(),
            noise_static_key: [1; 32],
            epoch: 5,
        }
    }

    #[test]
    fn the_operator_learns_what_clients_will_find() {
        use hush_attest::Format;
        let quote = include_bytes!("../../hush-attest/testdata/tdx_quote");
        let collateral = include_bytes!("../../hush-attest/testdata/tdx_quote_collateral.json");
        let july_2025 = 1_751_328_000;
        let ok = self_check(&published(Format::Tdx, quote, collateral), july_2025);
        assert!(
            ok.starts_with("tdx evidence verifies") && ok.contains("UpToDate"),
            "{ok}"
        );
        let expired = self_check(
            &published(Format::Tdx, quote, collateral),
            july_2025 + 60 * 86_400,
        );
        assert!(
            expired.contains("WARNING") && expired.contains("expired"),
            "{expired}"
        );
        let none = self_check(&published(Format::Tdx, quote, &[]), july_2025);
        assert!(none.contains("--attestation-collateral"), "{none}");
        let dev = hush_attest::dev::produce(&[1; 32]).encode();
        let dev = PublishedEvidence {
            evidence: dev,
            noise_static_key: [1; 32],
            epoch: 1,
        };
        assert!(self_check(&dev, july_2025).contains("proves nothing"));
    }
}

//! HTTP/JSON beside gRPC, on the same port, for clients without gRPC:
//! every RPC as a `POST` of JSON whose byte fields are base64 (standard
//! alphabet, padded), answered by the very same service code, so the limits
//! and errors are gRPC's; and `GET /v1/health`, `/v1/evidence`,
//! `/v1/openapi.json`. The sealed frames inside are the same Noise frames
//! (docs/PROTOCOL.md): HTTP changes the envelope, not what the host sees.
//!
//! An error is `{"code": "INVALID_ARGUMENT", "error": "..."}` with the
//! HTTP status that matches the gRPC code.

use crate::blobs::{BlobService, MAX_BLOB_MESSAGE};
use crate::broker::BrokerService;
use crate::directory::DirectoryService;
use crate::rendezvous::RendezvousService;
use crate::rpc::MAX_REQUEST_MESSAGE;
use crate::tokens::TokensService;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hush_wire::grpc::v1::broker_server::Broker;
use hush_wire::grpc::v1::directory_server::Directory;
use hush_wire::grpc::v1::rendezvous_server::Rendezvous;
use hush_wire::grpc::v1::tokens_server::Tokens;
use hush_wire::grpc::v1::{DownloadBlobRequest, Frame, HandshakeRequest, UploadBlobRequest};
use serde::{Deserialize, Serialize};
use tonic::transport::server::TcpConnectInfo;
use tonic::{Code, Request, Status};

/// The OpenAPI description, checked in at `docs/openapi.json`.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");
/// Every path this module serves (the OpenAPI test checks each is there).
pub const PATHS: [&str; 11] = [
    "/v1/broker/handshake",
    "/v1/broker/prove-keys",
    "/v1/broker/query",
    "/v1/directory/query",
    "/v1/rendezvous/query",
    "/v1/tokens/redeem",
    "/v1/blobs/upload",
    "/v1/blobs/download",
    "/v1/health",
    "/v1/evidence",
    "/v1/openapi.json",
];
/// Largest JSON body of a frame request: base64 of gRPC's limit, and room.
const MAX_FRAME_BODY: usize = MAX_REQUEST_MESSAGE * 4 / 3 + 1024;
/// Largest JSON body of a blob upload.
const MAX_BLOB_BODY: usize = MAX_BLOB_MESSAGE * 4 / 3 + 1024;

/// The services the routes call.
#[derive(Clone)]
pub struct Services {
    /// `hush.v1.Broker`.
    pub broker: BrokerService,
    /// `hush.v1.Directory`.
    pub directory: DirectoryService,
    /// `hush.v1.Rendezvous`.
    pub rendezvous: RendezvousService,
    /// `hush.v1.Tokens`.
    pub tokens: TokensService,
    /// `hush.v1.Blobs`.
    pub blobs: BlobService,
    /// This node's cluster, if it runs in one (health reports its role).
    pub cluster: Option<std::sync::Arc<crate::cluster::Node>>,
}

/// A JSON answer.
struct Json<T>(T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

/// A JSON error with the HTTP status of its gRPC code.
struct HttpError(Status);

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = match self.0.code() {
            Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists => StatusCode::CONFLICT,
            Code::PermissionDenied => StatusCode::FORBIDDEN,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Code::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let code = format!("{:?}", self.0.code());
        let body = serde_json::json!({
            "code": screaming(&code),
            "error": self.0.message(),
        });
        (status, Json(body)).into_response()
    }
}

/// Adds the answers for what no route serves, with the `{code, error}`
/// body of every other error: an unknown path is 404 NOT_FOUND, a known
/// path with the wrong method 405 UNIMPLEMENTED. A gRPC call to an unknown
/// method gets gRPC's own UNIMPLEMENTED. Call it once every HTTP route is
/// in `router` (the method fallback covers the routes present).
pub fn with_fallbacks(router: axum::Router) -> axum::Router {
    router
        .method_not_allowed_fallback(wrong_method)
        .fallback(unknown_path)
}

async fn unknown_path(req: axum::extract::Request) -> Response {
    let path = req.uri().path().to_owned();
    let grpc = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"));
    if grpc {
        return Status::unimplemented(format!("no gRPC method {path}"))
            .into_http::<axum::body::Body>();
    }
    HttpError(Status::not_found(format!(
        "nothing is served at {path} (the paths are in /v1/openapi.json)"
    )))
    .into_response()
}

async fn wrong_method(req: axum::extract::Request) -> Response {
    let body = serde_json::json!({
        "code": "UNIMPLEMENTED",
        "error": format!(
            "{} is not served at {} (the methods are in /v1/openapi.json)",
            req.method(),
            req.uri().path()
        ),
    });
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// `InvalidArgument` -> `INVALID_ARGUMENT`, as gRPC spells codes.
fn screaming(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, HttpError> {
    serde_json::from_slice(body)
        .map_err(|e| HttpError(Status::invalid_argument(format!("bad JSON body: {e}"))))
}

fn bytes(field: &str, b64: &str) -> Result<Vec<u8>, HttpError> {
    B64.decode(b64).map_err(|_| {
        HttpError(Status::invalid_argument(format!(
            "{field} is not base64 (standard alphabet, padded)"
        )))
    })
}

/// A frame, as JSON.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct JsonFrame {
    session_id: String,
    sealed: String,
}

impl JsonFrame {
    fn into_frame(self) -> Result<Frame, HttpError> {
        Ok(Frame {
            session_id: bytes("session_id", &self.session_id)?,
            sealed: bytes("sealed", &self.sealed)?,
        })
    }

    fn from_frame(f: Frame) -> Json<Self> {
        Json(Self {
            session_id: B64.encode(f.session_id),
            sealed: B64.encode(f.sealed),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonHandshake {
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonUpload {
    session_id: String,
    sealed: String,
    body: String,
}

/// A route for one sealed-frame RPC: the JSON frame in, the service's
/// `method` on it, the JSON frame out.
macro_rules! frame_route {
    ($service:ident, $method:ident, $limit:expr) => {
        post(move |body: Bytes| async move {
            let f = parse::<JsonFrame>(&body)?.into_frame()?;
            let r = $service.$method(Request::new(f)).await.map_err(HttpError)?;
            Ok::<_, HttpError>(JsonFrame::from_frame(r.into_inner()))
        })
        .layer($limit)
    };
}

/// The routes, for the server to merge beside gRPC.
pub fn routes(s: Services) -> axum::Router {
    let frame_limit = DefaultBodyLimit::max(MAX_FRAME_BODY);
    let cluster = s.cluster.clone();
    let (b1, b2, b3, d, r, t, p, g) = (
        s.broker.clone(),
        s.broker.clone(),
        s.broker,
        s.directory,
        s.rendezvous,
        s.tokens,
        s.blobs.clone(),
        s.blobs,
    );
    axum::Router::new()
        .route(
            "/v1/broker/handshake",
            post(
                move |from: Option<Extension<TcpConnectInfo>>, body: Bytes| async move {
                    let h: JsonHandshake = parse(&body)?;
                    let req = HandshakeRequest {
                        message: bytes("message", &h.message)?,
                    };
                    // The connection's address, for the per-address limit.
                    let mut req = Request::new(req);
                    if let Some(Extension(info)) = from {
                        req.extensions_mut().insert(info);
                    }
                    let r = b1.handshake(req).await.map_err(HttpError)?.into_inner();
                    Ok::<_, HttpError>(Json(serde_json::json!({
                        "session_id": B64.encode(r.session_id),
                        "message": B64.encode(r.message),
                    })))
                },
            )
            .layer(frame_limit),
        )
        .route(
            "/v1/broker/prove-keys",
            frame_route!(b2, prove_keys, frame_limit),
        )
        .route("/v1/broker/query", frame_route!(b3, query, frame_limit))
        .route("/v1/directory/query", frame_route!(d, query, frame_limit))
        .route("/v1/rendezvous/query", frame_route!(r, query, frame_limit))
        .route("/v1/tokens/redeem", frame_route!(t, redeem, frame_limit))
        .route(
            "/v1/blobs/upload",
            post(move |body: Bytes| async move {
                let j: JsonUpload = parse(&body)?;
                let req = UploadBlobRequest {
                    session_id: bytes("session_id", &j.session_id)?,
                    sealed: bytes("sealed", &j.sealed)?,
                    body: bytes("body", &j.body)?,
                };
                let r = p.upload(req).await.map_err(HttpError)?;
                Ok::<_, HttpError>(Json(serde_json::json!({
                    "sealed": B64.encode(r.sealed),
                })))
            })
            .layer(DefaultBodyLimit::max(MAX_BLOB_BODY)),
        )
        .route(
            "/v1/blobs/download",
            post(move |body: Bytes| async move {
                let f = parse::<JsonFrame>(&body)?;
                let req = DownloadBlobRequest {
                    session_id: bytes("session_id", &f.session_id)?,
                    sealed: bytes("sealed", &f.sealed)?,
                };
                let r = g.download(req).await.map_err(HttpError)?;
                Ok::<_, HttpError>(Json(serde_json::json!({
                    "sealed": B64.encode(r.sealed),
                    "body": B64.encode(r.body),
                })))
            })
            .layer(frame_limit),
        )
        .route(
            "/v1/health",
            get(move || async move {
                Json(match &cluster {
                    None => serde_json::json!({"status": "SERVING"}),
                    Some(node) => serde_json::json!({
                        "status": "SERVING",
                        "node_id": node.id,
                        "role": node.role(),
                        "leader": node.leader_id(),
                        "voters": node.voters(),
                        "voter": node.is_voter(),
                    }),
                })
            }),
        )
        .route(
            "/v1/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_description_is_json_and_names_every_path() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
        let paths = doc["paths"].as_object().unwrap();
        for p in PATHS {
            assert!(paths.contains_key(p), "docs/openapi.json lacks {p}");
        }
        assert_eq!(
            paths.len(),
            PATHS.len(),
            "docs/openapi.json has paths hushd does not serve"
        );
        assert_eq!(screaming("InvalidArgument"), "INVALID_ARGUMENT");
        assert_eq!(screaming("NotFound"), "NOT_FOUND");
    }
}

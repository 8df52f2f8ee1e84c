//! The conformance suite (`hush-conformance`, crates/hush-conformance)
//! against hushd: every check passes, through the library and through the
//! binary as an implementer runs it. And the suite can fail: in front of
//! hushd, a proxy that answers a replayed frame from a cache (as a server
//! without replay protection would) fails the replay check and only the
//! checks it should.

mod common;

use common::{Hushd, conformance_bin};
use hush_conformance::{Target, run};
use hush_wire::grpc::v1::broker_client::BrokerClient;
use hush_wire::grpc::v1::broker_server::{Broker, BrokerServer};
use hush_wire::grpc::v1::{Frame, HandshakeRequest, HandshakeResponse};
use std::collections::HashMap;
use std::sync::Mutex;
use tonic::transport::Channel;
use tonic::{Request, Response, Status, Streaming};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hushd_passes_every_check() {
    let server = Hushd::start(&[]);
    let report = run(&Target {
        url: server.url.clone(),
        policy: hush_attest::Policy::dev(),
    })
    .await;
    let failed: Vec<_> = report.failures().collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(report.0.len() >= 20, "{} checks", report.0.len());

    // The binary, as an implementer runs it: one line per check, exit 0.
    let out = std::process::Command::new(conformance_bin())
        .args(["--allow-dev-attestation", &server.url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("ok    replay") && text.contains("0 failed"),
        "{text}"
    );
    // Without the dev flag, a dev server's attestation fails the checks.
    let out = std::process::Command::new(conformance_bin())
        .arg(&server.url)
        .env_remove("HUSH_ALLOW_DEV_ATTESTATION")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL  handshake"));
}

/// Forwards to hushd, answering a frame it has seen before from a cache.
struct Replaying {
    upstream: BrokerClient<Channel>,
    seen: Mutex<HashMap<Vec<u8>, Frame>>,
}

type Frames = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<Frame, Status>> + Send>>;

#[tonic::async_trait]
impl Broker for Replaying {
    async fn handshake(
        &self,
        req: Request<HandshakeRequest>,
    ) -> Result<Response<HandshakeResponse>, Status> {
        self.upstream.clone().handshake(req.into_inner()).await
    }

    async fn prove_keys(&self, req: Request<Frame>) -> Result<Response<Frame>, Status> {
        self.upstream.clone().prove_keys(req.into_inner()).await
    }

    async fn query(&self, req: Request<Frame>) -> Result<Response<Frame>, Status> {
        let frame = req.into_inner();
        if let Some(cached) = self.seen.lock().unwrap().get(&frame.sealed) {
            return Ok(Response::new(cached.clone()));
        }
        let answer = self
            .upstream
            .clone()
            .query(frame.clone())
            .await?
            .into_inner();
        self.seen
            .lock()
            .unwrap()
            .insert(frame.sealed, answer.clone());
        Ok(Response::new(answer))
    }

    type QueryStreamStream = Frames;

    async fn query_stream(&self, _: Request<Streaming<Frame>>) -> Result<Response<Frames>, Status> {
        Err(Status::unimplemented("not in this proxy"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_answers_replays_fails_the_replay_check() {
    let server = Hushd::start(&[]);
    let upstream = BrokerClient::connect(server.url.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxy = Replaying {
        upstream,
        seen: Mutex::new(HashMap::new()),
    };
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(BrokerServer::new(proxy))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let report = run(&Target {
        url: format!("http://{addr}"),
        policy: hush_attest::Policy::dev(),
    })
    .await;
    let outcome = |name: &str| {
        report
            .0
            .iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("no check {name}"))
            .result
            .clone()
    };
    let replay = outcome("replay").unwrap_err();
    assert!(replay.contains("replayed frame was answered"), "{replay}");
    assert!(
        outcome("nonce-window").is_err(),
        "a seen nonce is answered too"
    );
    // What the proxy passes through unchanged still conforms.
    for name in [
        "handshake",
        "key-proof",
        "store-read-delete",
        "response-shape",
    ] {
        assert!(outcome(name).is_ok(), "{name}: {:?}", outcome(name));
    }
}

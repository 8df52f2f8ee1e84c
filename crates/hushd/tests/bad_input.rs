//! Bad input over real gRPC: each case gets its error, and a well-behaved
//! client keeps working afterwards, with its stored messages intact.

mod common;

use common::{Hushd, client};
use hush_attest::Policy;
use hush_client::session::{ClientSession, Handshake};
use hush_client::{Identity, SealedPayload, new_message_id};
use hush_wire::consts::{KEY_PROOF_REQUEST_LEN, SEALED_REQUEST_LEN};
use hush_wire::grpc::v1::broker_client::BrokerClient;
use hush_wire::grpc::v1::{Frame, HandshakeRequest};
use hush_wire::{KeyProofStatus, Op, Payload, Request, RequestRecord, SessionId, Status};
use tonic::Code;
use tonic::transport::Channel;

struct Raw {
    grpc: BrokerClient<Channel>,
}

impl Raw {
    async fn new(url: &str) -> Self {
        let grpc = BrokerClient::connect(url.to_owned())
            .await
            .unwrap()
            .max_decoding_message_size(1 << 20);
        Self { grpc }
    }

    async fn session(&mut self) -> ClientSession {
        let hs = Handshake::start().unwrap();
        let r = self
            .grpc
            .handshake(HandshakeRequest {
                message: hs.message.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        hs.finish(
            SessionId::from_bytes(&r.session_id).unwrap(),
            &r.message,
            &Policy::dev(),
        )
        .unwrap()
    }

    async fn query(&mut self, session: &[u8], sealed: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
        self.grpc
            .query(Frame {
                session_id: session.to_vec(),
                sealed,
            })
            .await
            .map(|r| r.into_inner().sealed)
    }

    async fn prove(
        &mut self,
        s: &ClientSession,
        sealed: Vec<u8>,
    ) -> Result<Vec<u8>, tonic::Status> {
        self.grpc
            .prove_keys(Frame {
                session_id: s.id().0.to_vec(),
                sealed,
            })
            .await
            .map(|r| r.into_inner().sealed)
    }
}

/// A well-behaved client stores and finds a message, and finds `kept` too.
async fn still_works(url: &str, alice: &Identity, bob: &Identity, kept: hush_wire::MessageId) {
    let mut a = client(url, &[alice]).await;
    let id = new_message_id();
    a.create(
        alice.public(),
        id,
        bob.public(),
        SealedPayload::unencrypted(Payload::frame(b"still here").unwrap()),
    )
    .await
    .unwrap();
    let mut b = client(url, &[bob]).await;
    let ids = b.list(bob.public()).await.unwrap();
    assert!(
        ids.ids().contains(&id) && ids.ids().contains(&kept),
        "{:?}",
        ids
    );
}

#[tokio::test]
async fn hostile_frames_are_refused_and_nothing_is_lost() {
    let server = Hushd::start(&["--max-sessions", "64"]);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut a = client(&server.url, &[&alice]).await;
    let kept = new_message_id();
    a.create(
        alice.public(),
        kept,
        bob.public(),
        SealedPayload::unencrypted(Payload::frame(b"keep me").unwrap()),
    )
    .await
    .unwrap();

    let mut raw = Raw::new(&server.url).await;
    let s = raw.session().await;
    let sid = s.id().0.to_vec();

    // Garbage, truncated and wrong-size frames.
    for bad in [
        vec![],
        vec![0u8; 7],
        vec![0x41; SEALED_REQUEST_LEN],
        vec![1; SEALED_REQUEST_LEN - 1],
        vec![1; SEALED_REQUEST_LEN + 1],
    ] {
        let e = raw.query(&sid, bad).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    }
    // Wrong session ids.
    let (_, sealed) = s.seal_request(&RequestRecord::encode(&Request {
        acting_as: alice.public(),
        op: Op::List,
    }));
    assert_eq!(
        raw.query(&[1, 2, 3], sealed.clone())
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    assert_eq!(
        raw.query(&[7; 16], sealed.clone())
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    // A valid frame works once; its replay is refused.
    assert!(raw.query(&sid, sealed.clone()).await.is_ok());
    assert_eq!(
        raw.query(&sid, sealed).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    // Unknown op and all-zero keys inside a valid frame: INVALID_REQUEST.
    let mut bytes = RequestRecord::encode(&Request {
        acting_as: alice.public(),
        op: Op::List,
    })
    .as_bytes()
    .to_vec();
    bytes[0] = 42;
    let (n, sealed) = s.seal_request(&RequestRecord::from_bytes(&bytes).unwrap());
    let r = s
        .open_response(n, &raw.query(&sid, sealed).await.unwrap())
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(r.status, Status::InvalidRequest);
    let mut zero_key = RequestRecord::encode(&Request {
        acting_as: alice.public(),
        op: Op::List,
    })
    .as_bytes()
    .to_vec();
    zero_key[24..56].fill(0);
    let (n, sealed) = s.seal_request(&RequestRecord::from_bytes(&zero_key).unwrap());
    let r = s
        .open_response(n, &raw.query(&sid, sealed).await.unwrap())
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(r.status, Status::InvalidRequest);
    // Acting as a key this session never proved.
    let (n, sealed) = s.seal_request(&RequestRecord::encode(&Request {
        acting_as: bob.public(),
        op: Op::DeleteNext,
    }));
    let r = s
        .open_response(n, &raw.query(&sid, sealed).await.unwrap())
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(r.status, Status::KeyNotProven);
    // Invalid key proofs: a forged signature, garbage, wrong size.
    let kp = bob.keypair();
    let (n, genuine) = s.seal_key_proofs(&[&kp]);
    let other = raw.session().await;
    let (_, for_other) = other.seal_key_proofs(&[&kp]);
    assert_eq!(
        raw.prove(&s, for_other).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let answer = s
        .open_key_proof_response(n, &raw.prove(&s, genuine).await.unwrap())
        .unwrap();
    assert_eq!(
        answer.status,
        KeyProofStatus::Ok,
        "a genuine proof still works after the refusals"
    );
    let bad_sig = {
        let mut req = vec![0u8; KEY_PROOF_REQUEST_LEN];
        req[0] = 1;
        req[1..33].copy_from_slice(alice.public().as_bytes());
        req[33..97].fill(0x55);
        req
    };
    let (n, sealed) = seal_raw(&s, &bad_sig);
    let answer = s
        .open_key_proof_response(n, &raw.prove(&s, sealed).await.unwrap())
        .unwrap();
    assert_eq!(answer.status, KeyProofStatus::InvalidProof);
    assert_eq!(
        raw.prove(&s, vec![0; 10]).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    // Bad handshakes.
    for bad in [vec![], vec![0u8; 31], vec![0u8; 4096]] {
        let e = raw
            .grpc
            .handshake(HandshakeRequest { message: bad })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
    }
    // Oversized gRPC messages are refused by the size limit.
    let e = raw.query(&sid, vec![0u8; 64 * 1024]).await.unwrap_err();
    assert!(
        matches!(
            e.code(),
            Code::ResourceExhausted | Code::OutOfRange | Code::Internal
        ),
        "{e:?}"
    );

    still_works(&server.url, &alice, &bob, kept).await;
}

/// Seals arbitrary key-proof request bytes (to test the enclave's checks).
fn seal_raw(s: &ClientSession, plaintext: &[u8]) -> (u64, Vec<u8>) {
    s.seal_bytes(plaintext)
}

#[tokio::test]
async fn half_open_handshake_flood_is_bounded() {
    let server = Hushd::start(&["--max-sessions", "32"]);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut a = client(&server.url, &[&alice]).await;
    let kept = new_message_id();
    a.create(
        alice.public(),
        kept,
        bob.public(),
        SealedPayload::unencrypted(Payload::frame(b"keep me").unwrap()),
    )
    .await
    .unwrap();
    let mut raw = Raw::new(&server.url).await;
    for _ in 0..2000 {
        let hs = Handshake::start().unwrap();
        raw.grpc
            .handshake(HandshakeRequest {
                message: hs.message,
            })
            .await
            .unwrap();
    }
    // The working session survived the flood (proven sessions are evicted last).
    a.list(alice.public()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let metrics = common::http_get(server.metrics.as_ref().unwrap());
    let open: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("hush_sessions_open "))
        .expect("gauge")
        .trim()
        .parse()
        .unwrap();
    assert!(open <= 32.0, "session table bounded: {open}");
    still_works(&server.url, &alice, &bob, kept).await;
}

/// Directory frames over real gRPC: garbage and frames of the broker's
/// length are INVALID_ARGUMENT, an unknown session UNAUTHENTICATED, and the
/// directory keeps answering a well-formed request afterwards.
#[tokio::test]
async fn directory_bad_frames_are_refused_and_it_keeps_working() {
    use hush_wire::directory::{DirectoryOp, DirectoryRequest, DirectoryStatus};
    use hush_wire::grpc::v1::directory_client::DirectoryClient;
    let server = Hushd::start(&[]);
    let mut raw = Raw::new(&server.url).await;
    let s = raw.session().await;
    let mut dir = DirectoryClient::connect(server.url.clone()).await.unwrap();
    let send = |sealed: Vec<u8>, session: Vec<u8>| Frame {
        session_id: session,
        sealed,
    };
    let (_, broker_sized) = s.seal_bytes(&[0u8; hush_wire::consts::REQUEST_LEN]);
    let e = dir
        .query(send(broker_sized, s.id().0.to_vec()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e}");
    let e = dir
        .query(send(vec![7; 424], s.id().0.to_vec()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e}");
    let e = dir
        .query(send(vec![7; 424], vec![1; 16]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e}");
    // A request acting as a key this session never proved: answered, and
    // the answer (inside the sealed record) says so.
    let me = Identity::generate("me");
    let (nonce, sealed) = s.seal_directory_request(&DirectoryRequest {
        acting_as: me.public(),
        op: DirectoryOp::Show,
    });
    let r = dir.query(send(sealed, s.id().0.to_vec())).await.unwrap();
    let answer = s
        .open_directory_response(nonce, &r.into_inner().sealed)
        .unwrap();
    assert_eq!(answer.status, DirectoryStatus::KeyNotProven);
}

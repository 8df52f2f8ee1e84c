//! The broker's query stream over plain TCP (`hushd --tcp-listen`): the
//! same store and sessions as gRPC, lost sessions and connections are
//! recovered, and hostile bytes on the port get a refusal frame with the
//! status gRPC would give, and lose nothing.

mod common;

use common::{Hushd, client, metric};
use hush_attest::Policy;
use hush_client::session::Handshake;
use hush_client::{Identity, SealedPayload, new_message_id};
use hush_wire::consts::SEALED_REQUEST_LEN;
use hush_wire::grpc::v1::HandshakeRequest;
use hush_wire::grpc::v1::broker_client::BrokerClient;
use hush_wire::tcp::{
    MAX_TCP_REPLY_BODY_LEN, TCP_PREAMBLE, TCP_REQUEST_BODY_LEN, TcpRefusal, TcpReply, TcpRequest,
    body_len,
};
use hush_wire::{Payload, SessionId, Status};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn text(s: &str) -> SealedPayload {
    SealedPayload::unencrypted(Payload::frame(s.as_bytes()).unwrap())
}

async fn tcp_client(server: &Hushd, id: &Identity) -> hush_client::Client {
    let mut c = client(&server.url, &[id]).await;
    c.use_tcp(server.tcp.as_deref().expect("hushd serves TCP"))
        .unwrap();
    c
}

#[tokio::test]
async fn messages_go_over_tcp_into_the_same_store_as_grpc() {
    let server = Hushd::start(&["--tcp-listen", "127.0.0.1:0"]);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut a = tcp_client(&server, &alice).await;
    let over_tcp = new_message_id();
    a.create(alice.public(), over_tcp, bob.public(), text("over tcp"))
        .await
        .unwrap();
    let mut g = client(&server.url, &[&alice]).await;
    let over_grpc = new_message_id();
    g.create(alice.public(), over_grpc, bob.public(), text("over grpc"))
        .await
        .unwrap();

    let mut b = tcp_client(&server, &bob).await;
    let listing = b.list(bob.public()).await.unwrap();
    assert_eq!(listing.ids(), &[over_tcp, over_grpc]);
    let read = b.read(bob.public(), over_grpc).await.unwrap();
    assert_eq!(read.message.payload.unframe().unwrap(), b"over grpc");
    // Refusals from the store are ordinary responses, as on gRPC.
    let err = b.read(bob.public(), new_message_id()).await.unwrap_err();
    assert_eq!(err.status(), Some(Status::NotFound));

    let page = common::http_get(server.metrics.as_deref().unwrap());
    assert!(
        metric(
            &page,
            r#"hush_requests_total{rpc="query_tcp",outcome="ok"}"#
        ) >= 4.0,
        "{page}"
    );
    assert_eq!(metric(&page, "hush_tcp_connections"), 2.0, "{page}");
}

#[tokio::test]
async fn a_lost_session_is_restored_and_the_request_retried() {
    // One session at a time: bob's handshake evicts alice's session.
    let server = Hushd::start(&["--tcp-listen", "127.0.0.1:0", "--max-sessions", "1"]);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut a = tcp_client(&server, &alice).await;
    a.create(alice.public(), new_message_id(), bob.public(), text("one"))
        .await
        .unwrap();
    let before = a.session().id();
    let _b = client(&server.url, &[&bob]).await;
    let id = new_message_id();
    // Refused as an unknown session (and the connection closed); the
    // client opens a new session over gRPC and a new TCP connection.
    a.create(alice.public(), id, bob.public(), text("two"))
        .await
        .unwrap();
    assert_ne!(a.session().id(), before);
    let mut b = tcp_client(&server, &bob).await;
    assert!(b.list(bob.public()).await.unwrap().ids().contains(&id));
}

/// A raw connection that has sent the preamble.
fn raw(server: &Hushd) -> TcpStream {
    let mut s = TcpStream::connect(server.tcp.as_deref().unwrap()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&TCP_PREAMBLE).unwrap();
    s
}

/// The refusal the server sends, after which it closes the connection.
fn refusal(s: &mut TcpStream) -> TcpRefusal {
    let mut prefix = [0u8; 4];
    s.read_exact(&mut prefix).unwrap();
    let mut body = vec![0u8; body_len(prefix, MAX_TCP_REPLY_BODY_LEN).unwrap()];
    s.read_exact(&mut body).unwrap();
    let TcpReply::Refused(r) = TcpReply::decode(&body).unwrap() else {
        panic!("expected a refusal");
    };
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "the server closes after a refusal");
    r
}

#[tokio::test]
async fn hostile_tcp_input_is_refused_and_nothing_is_lost() {
    let server = Hushd::start(&["--tcp-listen", "127.0.0.1:0"]);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut a = tcp_client(&server, &alice).await;
    let kept = new_message_id();
    a.create(alice.public(), kept, bob.public(), text("kept"))
        .await
        .unwrap();

    // An HTTP/2 client on the wrong port.
    let mut s = TcpStream::connect(server.tcp.as_deref().unwrap()).unwrap();
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    let r = refusal(&mut s);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.reason.contains("--listen"), "{r:?}");

    // Length prefixes other than a request's: short, huge, zero.
    for len in [5u32, TCP_REQUEST_BODY_LEN as u32 + 1, u32::MAX, 0] {
        let mut s = raw(&server);
        s.write_all(&len.to_le_bytes()).unwrap();
        let r = refusal(&mut s);
        assert_eq!(r.code, 3, "{len}: {r:?}");
        assert!(r.reason.contains("1064"), "{r:?}");
    }

    // A well-formed frame for a session that does not exist.
    let mut s = raw(&server);
    let req = TcpRequest::new(SessionId([9; 16]), vec![0; SEALED_REQUEST_LEN]).unwrap();
    s.write_all(&req.to_frame()).unwrap();
    let r = refusal(&mut s);
    assert_eq!(r.code, 16, "unauthenticated, as on gRPC: {r:?}");

    // A real session, and bytes that are not sealed in it.
    let mut grpc = BrokerClient::connect(server.url.clone()).await.unwrap();
    let hs = Handshake::start().unwrap();
    let reply = grpc
        .handshake(HandshakeRequest {
            message: hs.message.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let id = SessionId::from_bytes(&reply.session_id).unwrap();
    hs.finish(id, &reply.message, &Policy::dev()).unwrap();
    let mut s = raw(&server);
    let req = TcpRequest::new(id, vec![0x5a; SEALED_REQUEST_LEN]).unwrap();
    s.write_all(&req.to_frame()).unwrap();
    let r = refusal(&mut s);
    assert_eq!(r.code, 3, "{r:?}");

    // Half a frame, then hang up.
    let mut s = raw(&server);
    s.write_all(&req.to_frame()[..100]).unwrap();
    drop(s);

    // Everyone else carries on, over TCP and gRPC, and nothing was lost.
    let mut b = tcp_client(&server, &bob).await;
    assert!(b.list(bob.public()).await.unwrap().ids().contains(&kept));
    let mut g = client(&server.url, &[&bob]).await;
    assert!(g.list(bob.public()).await.unwrap().ids().contains(&kept));
}

#[tokio::test]
async fn tcp_is_off_unless_asked_for() {
    let server = Hushd::start(&[]);
    assert_eq!(server.tcp, None, "no TCP line printed, nothing listening");
}

#[test]
fn the_cli_sends_and_reads_over_tcp() {
    let server = Hushd::start(&["--tcp-listen", "127.0.0.1:0"]);
    let tcp = server.tcp.clone().unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = |args: &[&str]| {
        let r = common::hush_env(
            home.path(),
            &server.url,
            args,
            &[("HUSH_ALLOW_DEV_ATTESTATION", "1"), ("HUSH_TCP", &tcp)],
        );
        assert!(r.ok, "{args:?}: {}", r.stderr);
        r.stdout
    };
    h(&["id", "new", "alice"]);
    h(&["id", "new", "bob"]);
    h(&["send", "--as", "alice", "--to", "bob", "hello over tcp"]);
    let inbox = h(&["inbox", "--as", "bob"]);
    assert!(inbox.contains("hello over tcp"), "{inbox}");
    let page = common::http_get(server.metrics.as_deref().unwrap());
    assert!(
        metric(
            &page,
            r#"hush_requests_total{rpc="query_tcp",outcome="ok"}"#
        ) >= 64.0,
        "a send and an inbox (a list and 62 reads) over TCP: {page}"
    );
    // A wrong address is a clear error, not a hang.
    let r = common::hush_env(
        home.path(),
        &server.url,
        &["inbox", "--as", "bob"],
        &[
            ("HUSH_ALLOW_DEV_ATTESTATION", "1"),
            ("HUSH_TCP", "127.0.0.1:1"),
        ],
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("tcp://127.0.0.1:1"), "{}", r.stderr);
}

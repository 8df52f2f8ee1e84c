//! The broker's query stream over plain TCP (`hush_wire::tcp`), for clients
//! that want less per-request work than gRPC's HTTP/2 (`--tcp-listen`).
//!
//! One task per connection: read the preamble, then read a request frame,
//! run it on the broker's enclave thread exactly as `broker.rs` runs a
//! `QueryStream` frame (`rpc::query_on`), write the answer, and so on, in
//! order. Like the gRPC services it handles sealed bytes only, and its
//! logs and metrics name only the public outcome. A refusal is written as
//! a refusal frame with the gRPC status code the same refusal has on gRPC,
//! and ends the connection.

use crate::enclave_thread::EnclaveThread;
use crate::rpc::query_on;
use crate::shutdown;
use hush_enclave::ServiceId;
use hush_wire::FixedCodec;
use hush_wire::consts::SEALED_RESPONSE_LEN;
use hush_wire::tcp::{
    TCP_LENGTH_LEN, TCP_PREAMBLE, TCP_PREAMBLE_LEN, TCP_REQUEST_BODY_LEN, TcpRefusal, TcpReply,
    TcpRequest, body_len,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// Connections served at once; one more is refused with RESOURCE_EXHAUSTED.
pub const MAX_TCP_CONNECTIONS: usize = 4096;
/// How long a connection may wait between requests before it is closed.
pub const TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// How long the rest of a frame (or the preamble) may take once started.
pub const TCP_FRAME_TIMEOUT: Duration = Duration::from_secs(10);
/// Read buffer per connection: a request frame with room to spare.
const READ_BUFFER: usize = 4096;
/// Pause after a failed accept (out of file descriptors, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// gRPC status codes of this module's own refusals.
const INVALID_ARGUMENT: u8 = 3;
const RESOURCE_EXHAUSTED: u8 = 8;
const INTERNAL: u8 = 13;
const UNAVAILABLE: u8 = 14;

/// Serves connections from `listener` until `stop` turns true, at most
/// [`MAX_TCP_CONNECTIONS`] at once.
pub async fn serve(listener: TcpListener, thread: EnclaveThread, stop: watch::Receiver<bool>) {
    serve_at_most(listener, thread, stop, MAX_TCP_CONNECTIONS).await
}

/// [`serve`] with at most `max_connections` at once.
async fn serve_at_most(
    listener: TcpListener,
    thread: EnclaveThread,
    stop: watch::Receiver<bool>,
    max_connections: usize,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => socket,
                Err(e) => {
                    tracing::warn!("TCP transport: cannot accept a connection: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = shutdown::wait(stop.clone()) => return,
        };
        // Small frames: without this every answer waits for a delayed ACK.
        let _ = socket.set_nodelay(true);
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            metrics::counter!("hush_tcp_connections_refused_total").increment(1);
            tokio::spawn(refuse(
                socket,
                TcpRefusal::new(
                    RESOURCE_EXHAUSTED,
                    "too many TCP connections; try again later",
                ),
            ));
            continue;
        };
        let (thread, stop) = (thread.clone(), stop.clone());
        tokio::spawn(async move {
            metrics::gauge!("hush_tcp_connections").increment(1.0);
            connection(socket, thread, stop).await;
            metrics::gauge!("hush_tcp_connections").decrement(1.0);
            drop(permit);
        });
    }
}

/// Writes `refusal` and closes the writing side (within
/// [`TCP_FRAME_TIMEOUT`]; a client that does not read loses it).
async fn refuse<W: AsyncWrite + Unpin>(mut write: W, refusal: TcpRefusal) {
    let frame = TcpReply::Refused(refusal).to_frame();
    let _ = tokio::time::timeout(TCP_FRAME_TIMEOUT, async {
        write.write_all(&frame).await?;
        write.shutdown().await
    })
    .await;
}

/// How a connection ended.
enum End {
    /// The client hung up between frames, or hushd is stopping.
    Closed,
    /// The socket failed or timed out: nothing more can be written.
    Broken,
    /// Refused: tell the client why, then close.
    Refused(TcpRefusal),
}

async fn connection(socket: TcpStream, thread: EnclaveThread, stop: watch::Receiver<bool>) {
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::with_capacity(READ_BUFFER, read);
    let end = frames(&mut read, &mut write, &thread, stop).await;
    if let End::Refused(refusal) = end {
        tracing::debug!(code = refusal.code, "TCP transport: request refused");
        refuse(write, refusal).await;
    }
}

/// Reads exactly `buf.len()` bytes within [`TCP_FRAME_TIMEOUT`].
async fn read_within<R: AsyncRead + Unpin>(read: &mut R, buf: &mut [u8]) -> Result<(), End> {
    match tokio::time::timeout(TCP_FRAME_TIMEOUT, read.read_exact(buf)).await {
        Ok(Ok(_)) => Ok(()),
        _ => Err(End::Broken),
    }
}

/// Waits for the next frame's first byte: false when the client hung up,
/// stayed idle too long, or hushd is stopping.
async fn next_frame_starts<R: AsyncRead + Unpin>(
    read: &mut BufReader<R>,
    stop: &watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        r = tokio::time::timeout(TCP_IDLE_TIMEOUT, read.fill_buf()) => {
            matches!(r, Ok(Ok(buf)) if !buf.is_empty())
        }
        _ = shutdown::wait(stop.clone()) => false,
    }
}

async fn frames<R: AsyncRead + Unpin, W: AsyncWriteExt + Unpin>(
    read: &mut BufReader<R>,
    write: &mut W,
    thread: &EnclaveThread,
    stop: watch::Receiver<bool>,
) -> End {
    let mut preamble = [0u8; TCP_PREAMBLE_LEN];
    if let Err(end) = read_within(read, &mut preamble).await {
        return end;
    }
    if preamble != TCP_PREAMBLE {
        return End::Refused(TcpRefusal::new(
            INVALID_ARGUMENT,
            "not a hush TCP client: a connection starts with \"hushtcp1\" (gRPC clients use hushd's --listen port)",
        ));
    }
    let mut body = vec![0u8; TCP_REQUEST_BODY_LEN];
    loop {
        if !next_frame_starts(read, &stop).await {
            return End::Closed;
        }
        let mut prefix = [0u8; TCP_LENGTH_LEN];
        if let Err(end) = read_within(read, &mut prefix).await {
            return end;
        }
        if body_len(prefix, TCP_REQUEST_BODY_LEN) != Ok(TCP_REQUEST_BODY_LEN) {
            return End::Refused(TcpRefusal::new(
                INVALID_ARGUMENT,
                &format!("a request frame's body is exactly {TCP_REQUEST_BODY_LEN} bytes"),
            ));
        }
        if let Err(end) = read_within(read, &mut body).await {
            return end;
        }
        let request = match TcpRequest::decode(&body) {
            Ok(r) => r,
            Err(e) => return End::Refused(TcpRefusal::new(INVALID_ARGUMENT, &e.to_string())),
        };
        let answer = query_on(
            thread,
            ServiceId::Broker,
            "query_tcp",
            request.session,
            request.sealed,
        )
        .await;
        let sealed = match answer {
            Ok(sealed) => sealed,
            Err(status) => {
                let code = match status.code() as i32 {
                    c @ 1..=16 => c as u8,
                    _ => UNAVAILABLE,
                };
                return End::Refused(TcpRefusal::new(code, status.message()));
            }
        };
        if sealed.len() != SEALED_RESPONSE_LEN {
            return End::Refused(TcpRefusal::new(
                INTERNAL,
                "the enclave's answer has the wrong size",
            ));
        }
        let frame = TcpReply::Answer(sealed).to_frame();
        match tokio::time::timeout(TCP_FRAME_TIMEOUT, write.write_all(&frame)).await {
            Ok(Ok(())) => {}
            _ => return End::Broken,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enclave_thread::test_enclave;
    use hush_wire::consts::SEALED_REQUEST_LEN;
    use hush_wire::tcp::MAX_TCP_REPLY_BODY_LEN;
    use hush_wire::{SessionId, WireError};

    /// Reads one reply frame.
    async fn reply(s: &mut TcpStream) -> Result<TcpReply, WireError> {
        let mut prefix = [0u8; TCP_LENGTH_LEN];
        s.read_exact(&mut prefix).await.unwrap();
        let mut body = vec![0u8; body_len(prefix, MAX_TCP_REPLY_BODY_LEN)?];
        s.read_exact(&mut body).await.unwrap();
        TcpReply::decode(&body)
    }

    async fn connect(addr: std::net::SocketAddr) -> TcpStream {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&TCP_PREAMBLE).await.unwrap();
        s
    }

    /// A frame for a session that does not exist: refused with 16 by a
    /// connection that is being served.
    fn stray_frame() -> Vec<u8> {
        TcpRequest::new(SessionId([3; 16]), vec![0; SEALED_REQUEST_LEN])
            .unwrap()
            .to_frame()
    }

    fn code(r: TcpReply) -> u8 {
        match r {
            TcpReply::Refused(r) => r.code,
            TcpReply::Answer(_) => panic!("an answer to a stray frame"),
        }
    }

    /// Reads until the server closes: what it sent before closing.
    async fn until_closed(s: &mut TcpStream) -> Vec<u8> {
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
        rest
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_frame_and_an_idle_connection_are_closed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let thread = EnclaveThread::spawn(test_enclave(), "enclave-tcp-test").unwrap();
        let (_stop_tx, stop) = watch::channel(false);
        tokio::spawn(serve(listener, thread, stop));

        // Half a frame, then nothing: closed after TCP_FRAME_TIMEOUT,
        // without a reply (the stream cannot be resynchronised).
        let mut stalled = connect(addr).await;
        stalled.write_all(&stray_frame()[..100]).await.unwrap();
        let start = tokio::time::Instant::now();
        assert!(until_closed(&mut stalled).await.is_empty());
        let waited = start.elapsed();
        assert!(
            waited >= TCP_FRAME_TIMEOUT && waited < TCP_IDLE_TIMEOUT,
            "{waited:?}"
        );

        // A connection that sends nothing after its preamble: closed after
        // TCP_IDLE_TIMEOUT.
        let mut idle = connect(addr).await;
        let start = tokio::time::Instant::now();
        assert!(until_closed(&mut idle).await.is_empty());
        assert!(start.elapsed() >= TCP_IDLE_TIMEOUT, "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn connections_over_the_limit_are_refused_until_one_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let thread = EnclaveThread::spawn(test_enclave(), "enclave-tcp-test").unwrap();
        let (stop_tx, stop) = watch::channel(false);
        let server = tokio::spawn(serve_at_most(listener, thread, stop, 1));

        let mut first = connect(addr).await;
        let mut second = connect(addr).await;
        let refused = tokio::time::timeout(Duration::from_secs(10), reply(&mut second))
            .await
            .expect("the second connection is refused at once")
            .unwrap();
        assert_eq!(code(refused), RESOURCE_EXHAUSTED);
        // The first is served meanwhile.
        first.write_all(&stray_frame()).await.unwrap();
        assert_eq!(code(reply(&mut first).await.unwrap()), 16);
        // That refusal ended the first connection: its slot comes back.
        drop(first);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mut next = connect(addr).await;
            next.write_all(&stray_frame()).await.unwrap();
            match code(reply(&mut next).await.unwrap()) {
                16 => break,
                c => assert_eq!(c, RESOURCE_EXHAUSTED),
            }
            assert!(std::time::Instant::now() < deadline, "the slot came back");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        stop_tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("serve returns once stopped")
            .unwrap();
    }
}

//! The client side of the broker's plain-TCP transport (`hush_wire::tcp`,
//! hushd's `--tcp-listen`): one connection, one request frame out and its
//! answer back, in the calling task (no background task, no HTTP/2).
//!
//! The session is still opened over gRPC (handshake, attestation, key
//! proofs); only the broker's sealed requests travel here. A refusal comes
//! back as the gRPC status the same refusal has on gRPC, so the caller
//! maps both transports' errors alike.

use crate::ClientError;
use hush_wire::tcp::{
    MAX_TCP_REPLY_BODY_LEN, TCP_LENGTH_LEN, TCP_PREAMBLE, TcpReply, TcpRequest, body_len,
};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Read buffer: an answer frame with room to spare.
const READ_BUFFER: usize = 4096;

/// What came back for one request.
pub(crate) enum Exchanged {
    /// The sealed response.
    Answer(Vec<u8>),
    /// The server refused the request (and closed the connection).
    Refused(tonic::Status),
}

/// The TCP transport to one server: its address and, once used, the open
/// connection.
pub(crate) struct TcpTransport {
    addr: String,
    conn: Option<BufReader<TcpStream>>,
}

impl TcpTransport {
    /// A transport to `addr` (`HOST:PORT`); nothing is dialled yet.
    pub(crate) fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            conn: None,
        }
    }

    /// The address, for error messages.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    fn unreachable(&self, reason: String) -> ClientError {
        ClientError::Unreachable {
            url: format!("tcp://{}", self.addr),
            reason,
        }
    }

    async fn dial(&self, connect_timeout: Duration) -> Result<BufReader<TcpStream>, ClientError> {
        let mut socket = tokio::time::timeout(connect_timeout, TcpStream::connect(&self.addr))
            .await
            .map_err(|_| self.unreachable("no connection in time".into()))?
            .map_err(|e| self.unreachable(e.to_string()))?;
        socket
            .set_nodelay(true)
            .map_err(|e| self.unreachable(e.to_string()))?;
        socket
            .write_all(&TCP_PREAMBLE)
            .await
            .map_err(|e| self.unreachable(e.to_string()))?;
        Ok(BufReader::with_capacity(READ_BUFFER, socket))
    }

    /// Sends `request` and waits up to `timeout` for its reply, dialling
    /// first if no connection is open. A broken connection is dropped (the
    /// next call dials again) and reported as unreachable.
    pub(crate) async fn exchange(
        &mut self,
        request: &TcpRequest,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Exchanged, ClientError> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => self.dial(connect_timeout).await?,
        };
        let frame = request.to_frame();
        let reply = tokio::time::timeout(timeout, async {
            conn.get_mut().write_all(&frame).await?;
            let mut prefix = [0u8; TCP_LENGTH_LEN];
            conn.read_exact(&mut prefix).await?;
            let len = body_len(prefix, MAX_TCP_REPLY_BODY_LEN)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            let mut body = vec![0u8; len];
            conn.read_exact(&mut body).await?;
            TcpReply::decode(&body)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
        .await
        .map_err(|_| self.unreachable("no answer in time".into()))?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                self.unreachable("the server closed the connection".into())
            }
            _ => self.unreachable(e.to_string()),
        })?;
        match reply {
            TcpReply::Answer(sealed) => {
                self.conn = Some(conn);
                Ok(Exchanged::Answer(sealed))
            }
            TcpReply::Refused(r) => Ok(Exchanged::Refused(tonic::Status::new(
                tonic::Code::from_i32(i32::from(r.code)),
                r.reason,
            ))),
        }
    }
}

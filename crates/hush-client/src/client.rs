//! [`Client`]: an attested session to a hush broker over gRPC, with typed
//! broker operations.
//!
//! Retries are safe: a request is re-sent with the same message id, so a
//! create whose first attempt did land is answered ALREADY_EXISTS, which the
//! client reports as success.

use crate::ClientError;
use crate::e2e::{self, SealedPayload, VerifiedCard};
use crate::error::Tried;
use crate::identity::Identity;
use crate::session::{ClientSession, Handshake};
use crate::tcp::{Exchanged, TcpTransport};
use hush_attest::Policy;
use hush_wire::consts::{DIRECTORY_RESPONSE_LEN, RENDEZVOUS_RESPONSE_LEN, RESPONSE_LEN};
use hush_wire::consts::{MAILBOX_CAPACITY, MAX_KEYS_PER_SESSION};
use hush_wire::directory::{DirectoryRequest, DirectoryResponse};
use hush_wire::grpc::v1::broker_client::BrokerClient;
use hush_wire::grpc::v1::directory_client::DirectoryClient;
use hush_wire::grpc::v1::rendezvous_client::RendezvousClient;
use hush_wire::grpc::v1::tokens_client::TokensClient;
use hush_wire::grpc::v1::{Frame, HandshakeRequest};
use hush_wire::rendezvous::{RendezvousRequest, RendezvousResponse};
use hush_wire::tcp::TcpRequest;
use hush_wire::{
    EnvelopePlaintext, FixedCodec, KeyProofStatus, MailboxListing, Message, MessageId, Op,
    PublicKey, Request, RequestRecord, Response, ResponseRecord, SessionId, Status,
};
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

/// Largest gRPC message the client accepts (the biggest legitimate one is a
/// handshake reply carrying hardware evidence).
pub const MAX_GRPC_MESSAGE: usize = 64 * 1024;
/// Requests [`Client::inbox`] makes, whatever the mailbox holds: one list
/// and one read per mailbox slot.
pub const INBOX_REQUESTS: usize = 1 + MAILBOX_CAPACITY;
/// How long dialling a server may take.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// How long one call may wait for its answer (a server that hangs, or a
/// cluster node cut off from the others, is then given up on: hushd
/// itself answers a request that cannot commit within 5 s).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Attempts per request when the session or connection is lost.
pub const DEFAULT_ATTEMPTS: u32 = 3;
/// With several servers (a cluster), a request tries each this many times,
/// about 150 ms apart: some 10 s for three, time for a few elections.
pub const CLUSTER_ROUNDS: u32 = 20;

/// The result of reading a message: the message and the caller's mailbox.
#[derive(Debug, Clone)]
pub struct Read {
    /// The message.
    pub message: Message,
    /// The caller's mailbox after the read, oldest first.
    pub listing: MailboxListing,
}

/// When a client gives up: a point in time and the budget it was set
/// from (for the error message).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: tokio::time::Instant,
    secs: u64,
}

impl Deadline {
    /// `within` from now.
    pub fn after(within: std::time::Duration) -> Self {
        Self {
            at: tokio::time::Instant::now() + within,
            secs: within.as_secs(),
        }
    }

    fn timed_out(&self, tried: &Tried) -> ClientError {
        ClientError::TimedOut {
            secs: self.secs,
            tried: tried.clone(),
        }
    }
}

/// Runs `fut` until `deadline` (if any); `None` when the deadline passed.
pub(crate) async fn until<T>(
    deadline: Option<Deadline>,
    fut: impl std::future::Future<Output = T>,
) -> Option<T> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d.at, fut).await.ok(),
        None => Some(fut.await),
    }
}

/// Why an attempt on a server failed, for [`Tried`].
fn reason(e: &ClientError) -> String {
    match e {
        ClientError::Unreachable { reason, .. } | ClientError::NoLeader { reason, .. } => {
            reason.clone()
        }
        e => e.to_string(),
    }
}

/// The client address a "not the leader: node N is at HOST:PORT" answer
/// names, if any.
fn leader_hint(reason: &str) -> Option<&str> {
    let (_, rest) = reason.split_once(" is at ")?;
    rest.split([';', ' ']).next().filter(|a| !a.is_empty())
}

/// A connected, attested client acting as one or more proven keys.
pub struct Client {
    url: String,
    /// Every server of a cluster (one for a single server); a request that
    /// finds no leader where it is sent fails over to the next.
    servers: Vec<String>,
    policy: Policy,
    pub(crate) keypairs: Vec<schnorrkel::Keypair>,
    channel: Channel,
    grpc: BrokerClient<Channel>,
    directory_grpc: DirectoryClient<Channel>,
    rendezvous_grpc: RendezvousClient<Channel>,
    tokens_grpc: TokensClient<Channel>,
    /// Privacy Pass tokens not yet redeemed (see `tokens.rs`): spent when
    /// a write answers NO_TOKENS; kept across reconnects.
    pub(crate) tokens: Vec<hush_wire::tokens::Token>,
    /// Where tokens come from when `tokens` is empty.
    pub(crate) token_file: Option<crate::tokens::TokenFile>,
    /// The directory's current token key, once learned.
    pub(crate) directory_token_key: Option<[u8; 32]>,
    /// What a token is worth on this server (0 until an answer says).
    pub(crate) credits_per_token: u32,
    session: ClientSession,
    attempts: u32,
    streaming: bool,
    stream: Option<QueryStream>,
    /// The broker's requests over plain TCP instead of gRPC, when set.
    tcp: Option<TcpTransport>,
    /// When to give up, if ever.
    deadline: Option<Deadline>,
    /// The servers tried for the current request, and why each failed.
    tried: Tried,
}

/// The services, all over the same session.
#[derive(Clone, Copy)]
pub(crate) enum Service {
    Broker,
    Directory,
    Rendezvous,
    Tokens,
}

/// An open `QueryStream` call: requests and responses in order.
struct QueryStream {
    tx: tokio::sync::mpsc::Sender<Frame>,
    rx: tonic::Streaming<Frame>,
}

/// Requests buffered on a stream.
const STREAM_BUFFER: usize = 16;

pub(crate) fn rpc_error(url: &str, s: tonic::Status) -> ClientError {
    match s.code() {
        Code::Unauthenticated => ClientError::SessionLost,
        Code::Unavailable
            if [
                "not the leader",
                "no leader",
                "not committed",
                "the request's entry",
            ]
            .iter()
            .any(|p| s.message().starts_with(p)) =>
        {
            ClientError::NoLeader {
                url: url.to_owned(),
                reason: s.message().to_owned(),
            }
        }
        Code::Unavailable => ClientError::Unreachable {
            url: url.to_owned(),
            reason: s.message().to_owned(),
        },
        // The connection broke mid-call (the server died): tonic reports
        // it as Unknown, with the transport error as the source.
        Code::DeadlineExceeded => ClientError::Unreachable {
            url: url.to_owned(),
            reason: format!("no answer in time ({})", s.message()),
        },
        Code::Unknown | Code::Cancelled if std::error::Error::source(&s).is_some() => {
            ClientError::Unreachable {
                url: url.to_owned(),
                reason: s.message().to_owned(),
            }
        }
        _ => ClientError::Rpc(format!("{:?}: {}", s.code(), s.message())),
    }
}

/// The URL to dial for `server`: `HOST:PORT` means `http://HOST:PORT`.
/// `https://` is refused: hushd speaks plain HTTP/2 and every frame is
/// already sealed inside the attested Noise channel, and this client is
/// built without TLS, so silently dialling plain HTTP/2 would mislead.
pub fn server_url(server: &str) -> Result<String, ClientError> {
    if let Some(rest) = server.strip_prefix("https://") {
        return Err(ClientError::Unreachable {
            url: server.to_owned(),
            reason: format!(
                "https is not supported: hushd speaks HTTP/2 and encrypts inside its attested channel; use http://{rest}"
            ),
        });
    }
    if server.contains("://") {
        Ok(server.to_owned())
    } else {
        Ok(format!("http://{server}"))
    }
}

/// The servers `server` names: one address, or a cluster's, separated by
/// commas (`127.0.0.1:7901,127.0.0.1:7902`).
pub fn server_list(server: &str) -> Result<Vec<String>, ClientError> {
    let list: Vec<String> = server
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(server_url)
        .collect::<Result<_, _>>()?;
    if list.is_empty() {
        return Err(ClientError::Unreachable {
            url: server.to_owned(),
            reason: "no server address given".into(),
        });
    }
    Ok(list)
}

/// A session proves at most [`MAX_KEYS_PER_SESSION`] keys.
fn check_key_count(keypairs: &[schnorrkel::Keypair]) -> Result<(), ClientError> {
    if keypairs.len() > MAX_KEYS_PER_SESSION {
        return Err(ClientError::TooManyKeys(keypairs.len()));
    }
    Ok(())
}

async fn dial(url: &str) -> Result<Channel, ClientError> {
    let unreachable = |reason: String| ClientError::Unreachable {
        url: url.to_owned(),
        reason,
    };
    Endpoint::from_shared(url.to_owned())
        .map_err(|e| unreachable(format!("invalid address: {e}")))?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .connect()
        .await
        .map_err(|e| unreachable(e.to_string()))
}

impl Client {
    /// Connects to `url` (e.g. `http://127.0.0.1:7878`, or `127.0.0.1:7878`), checks the server's
    /// attestation against `policy`, and proves possession of `keypairs`
    /// (1 to 4).
    pub async fn connect(
        url: &str,
        policy: Policy,
        keypairs: Vec<schnorrkel::Keypair>,
    ) -> Result<Self, ClientError> {
        Self::connect_by(url, policy, keypairs, None).await
    }

    /// Like [`Client::connect`], giving up at `deadline` (then, and for
    /// every later request of this client, with an error naming every
    /// server tried and why each failed).
    pub async fn connect_by(
        url: &str,
        policy: Policy,
        keypairs: Vec<schnorrkel::Keypair>,
        deadline: Option<Deadline>,
    ) -> Result<Self, ClientError> {
        check_key_count(&keypairs)?;
        let servers = server_list(url)?;
        let mut tried = Tried::default();
        let mut last = None;
        for url in &servers {
            let attempt = async {
                let channel = dial(url).await?;
                Self::over(channel, url, policy.clone(), keypairs.clone()).await
            };
            let Some(result) = until(deadline, attempt).await else {
                tried.note(url, "no answer before the deadline");
                return Err(deadline.expect("a deadline passed").timed_out(&tried));
            };
            match result {
                Ok(mut client) => {
                    client.servers = servers.clone();
                    client.deadline = deadline;
                    return Ok(client);
                }
                Err(e @ (ClientError::Unreachable { .. } | ClientError::NoLeader { .. })) => {
                    tried.note(url, reason(&e));
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        match servers.len() {
            1 => Err(last.expect("one server")),
            _ => Err(ClientError::NoServer(tried)),
        }
    }

    /// Gives up on every later request at `deadline`.
    pub fn set_deadline(&mut self, deadline: Option<Deadline>) {
        self.deadline = deadline;
    }

    /// Attempts per request: with several servers, enough to ride out
    /// elections ([`CLUSTER_ROUNDS`]).
    fn attempt_limit(&self) -> u32 {
        match self.servers.len() {
            0 | 1 => self.attempts,
            n => self.attempts.max(CLUSTER_ROUNDS * n as u32),
        }
    }

    /// Moves to another server of the cluster, with a new session: the
    /// one `hint` names (the leader, as a follower saw it) if it is in the
    /// list, else the next one that answers (a dead one is skipped).
    async fn fail_over(&mut self, hint: Option<String>) -> Result<(), ClientError> {
        let at = self
            .servers
            .iter()
            .position(|s| *s == self.url)
            .unwrap_or(0);
        let n = self.servers.len();
        let hinted = hint
            .and_then(|h| server_url(&h).ok())
            .filter(|h| self.servers.contains(h) && *h != self.url);
        let order: Vec<String> = hinted
            .into_iter()
            .chain((1..=n).map(|step| self.servers[(at + step) % n].clone()))
            .collect();
        let mut fresh = None;
        let mut last = None;
        for next in order {
            let attempt = async {
                let channel = dial(&next).await?;
                Self::over(channel, &next, self.policy.clone(), self.keypairs.clone()).await
            };
            let Some(result) = until(self.deadline, attempt).await else {
                self.tried.note(&next, "no answer before the deadline");
                return Err(self.timed_out());
            };
            match result {
                // One cluster's replicas share its epoch; another
                // cluster's answers would silently contradict this one's.
                Ok(c) if c.session.epoch() != self.session.epoch() => {
                    let e = ClientError::OtherCluster {
                        url: c.url.clone(),
                        theirs: c.session.epoch(),
                        previous: self.url.clone(),
                        ours: self.session.epoch(),
                    };
                    self.tried.note(&next, e.to_string());
                    last = Some(e);
                }
                Ok(c) => {
                    fresh = Some(c);
                    break;
                }
                Err(e) => {
                    self.tried.note(&next, reason(&e));
                    last = Some(e);
                }
            }
        }
        let Some(fresh) = fresh else {
            return Err(last.expect("at least one server"));
        };
        let servers = std::mem::take(&mut self.servers);
        let tried = std::mem::take(&mut self.tried);
        let (attempts, streaming, deadline) = (self.attempts, self.streaming, self.deadline);
        let tokens = std::mem::take(&mut self.tokens);
        let token_file = self.token_file.take();
        let (token_key, credits_per_token) = (self.directory_token_key, self.credits_per_token);
        *self = fresh;
        self.tokens = tokens;
        self.token_file = token_file;
        self.directory_token_key = token_key;
        self.credits_per_token = credits_per_token;
        self.servers = servers;
        self.attempts = attempts;
        self.streaming = streaming;
        self.deadline = deadline;
        self.tried = tried;
        Ok(())
    }

    /// When this client gives up, if ever.
    pub(crate) fn deadline(&self) -> Option<Deadline> {
        self.deadline
    }

    /// The error for a passed deadline, noting that the current server
    /// had not answered.
    pub(crate) fn gave_up(&mut self) -> ClientError {
        let url = self.url.clone();
        self.tried.note(&url, "no answer before the deadline");
        self.timed_out()
    }

    /// The error for a passed deadline.
    fn timed_out(&self) -> ClientError {
        match self.deadline {
            Some(d) => d.timed_out(&self.tried),
            None => ClientError::NoServer(self.tried.clone()),
        }
    }

    /// Like [`Client::connect`], over an existing channel (one HTTP/2
    /// connection can carry many clients' sessions). `url` names the
    /// server in error messages.
    pub async fn over(
        channel: Channel,
        url: &str,
        policy: Policy,
        keypairs: Vec<schnorrkel::Keypair>,
    ) -> Result<Self, ClientError> {
        check_key_count(&keypairs)?;
        let rendezvous_grpc = RendezvousClient::new(channel.clone())
            .max_decoding_message_size(MAX_GRPC_MESSAGE)
            .max_encoding_message_size(MAX_GRPC_MESSAGE);
        let tokens_grpc = TokensClient::new(channel.clone())
            .max_decoding_message_size(MAX_GRPC_MESSAGE)
            .max_encoding_message_size(MAX_GRPC_MESSAGE);
        let directory_grpc = DirectoryClient::new(channel.clone())
            .max_decoding_message_size(MAX_GRPC_MESSAGE)
            .max_encoding_message_size(MAX_GRPC_MESSAGE);
        let grpc = BrokerClient::new(channel.clone())
            .max_decoding_message_size(MAX_GRPC_MESSAGE)
            .max_encoding_message_size(MAX_GRPC_MESSAGE);
        let session = Self::establish(url, &grpc, &policy, &keypairs).await?;
        Ok(Self {
            url: url.to_owned(),
            servers: vec![url.to_owned()],
            policy,
            keypairs,
            channel,
            grpc,
            directory_grpc,
            rendezvous_grpc,
            tokens_grpc,
            tokens: Vec::new(),
            token_file: None,
            directory_token_key: None,
            credits_per_token: 0,
            session,
            attempts: DEFAULT_ATTEMPTS,
            streaming: false,
            stream: None,
            tcp: None,
            deadline: None,
            tried: Tried::default(),
        })
    }

    /// Handshake and key proofs; a session evicted between the two (a full
    /// session table under load) is retried with a new handshake.
    async fn establish(
        url: &str,
        grpc: &BrokerClient<Channel>,
        policy: &Policy,
        keypairs: &[schnorrkel::Keypair],
    ) -> Result<ClientSession, ClientError> {
        let mut attempt = 1;
        loop {
            match Self::establish_once(url, grpc, policy, keypairs).await {
                Err(ClientError::SessionLost) if attempt < DEFAULT_ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    }

    async fn establish_once(
        url: &str,
        grpc: &BrokerClient<Channel>,
        policy: &Policy,
        keypairs: &[schnorrkel::Keypair],
    ) -> Result<ClientSession, ClientError> {
        let mut grpc = grpc.clone();
        let hs = Handshake::start()?;
        let reply = grpc
            .handshake(HandshakeRequest {
                message: hs.message.clone(),
            })
            .await
            .map_err(|s| rpc_error(url, s))?
            .into_inner();
        let id = SessionId::from_bytes(&reply.session_id)?;
        let session = hs.finish(id, &reply.message, policy)?;
        if !keypairs.is_empty() {
            let refs: Vec<_> = keypairs.iter().collect();
            let (nonce, sealed) = session.seal_key_proofs(&refs);
            let frame = Frame {
                session_id: id.0.to_vec(),
                sealed,
            };
            let resp = grpc
                .prove_keys(frame)
                .await
                .map_err(|s| rpc_error(url, s))?
                .into_inner();
            let answer = session.open_key_proof_response(nonce, &resp.sealed)?;
            if answer.status != KeyProofStatus::Ok {
                return Err(ClientError::KeyProof(answer.status));
            }
        }
        Ok(session)
    }

    /// Starts a new session (after a server restart, or to rotate keys).
    pub async fn reconnect(&mut self) -> Result<(), ClientError> {
        self.stream = None;
        self.session = Self::establish(&self.url, &self.grpc, &self.policy, &self.keypairs).await?;
        Ok(())
    }

    /// Sends requests over one long-lived `QueryStream` call instead of a
    /// unary call each: less overhead per request, same semantics.
    pub fn use_stream(&mut self, on: bool) {
        self.streaming = on;
        if !on {
            self.stream = None;
        }
    }

    /// Sends the broker's requests as sealed frames over plain TCP to
    /// `addr` (`HOST:PORT`, hushd's `--tcp-listen`) instead of over gRPC:
    /// less work per request on both sides, same sessions and semantics.
    /// The session itself, the directory and rendezvous stay on gRPC. A
    /// cluster (several servers) is served over gRPC only.
    pub fn use_tcp(&mut self, addr: &str) -> Result<(), ClientError> {
        if self.servers.len() > 1 {
            return Err(ClientError::Protocol(
                "the TCP transport talks to one server; a cluster is served over gRPC",
            ));
        }
        self.tcp = Some(TcpTransport::new(addr));
        Ok(())
    }

    /// One broker request over the TCP transport.
    async fn tcp_exchange(&mut self, sealed: Vec<u8>) -> Result<Vec<u8>, ClientError> {
        let request = TcpRequest::new(self.session.id(), sealed)?;
        let tcp = self.tcp.as_mut().expect("TCP transport in use");
        match tcp
            .exchange(&request, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
            .await?
        {
            Exchanged::Answer(sealed) => Ok(sealed),
            Exchanged::Refused(status) => Err(rpc_error(&format!("tcp://{}", tcp.addr()), status)),
        }
    }

    async fn open_stream(&mut self) -> Result<QueryStream, ClientError> {
        let (tx, rx) = tokio::sync::mpsc::channel(STREAM_BUFFER);
        let out = tokio_stream::wrappers::ReceiverStream::new(rx);
        let rx = self
            .grpc
            .query_stream(out)
            .await
            .map_err(|s| rpc_error(&self.url, s))?
            .into_inner();
        Ok(QueryStream { tx, rx })
    }

    async fn send_frame(&mut self, frame: Frame) -> Result<Frame, ClientError> {
        if !self.streaming {
            return Ok(self
                .grpc
                .query(frame)
                .await
                .map_err(|s| rpc_error(&self.url, s))?
                .into_inner());
        }
        let mut stream = match self.stream.take() {
            Some(s) => s,
            None => self.open_stream().await?,
        };
        let url = self.url.clone();
        let closed = move || ClientError::Unreachable {
            url: url.clone(),
            reason: "the query stream closed".into(),
        };
        stream.tx.send(frame).await.map_err(|_| closed())?;
        let answer = stream
            .rx
            .message()
            .await
            .map_err(|s| rpc_error(&self.url, s))?
            .ok_or_else(closed)?;
        self.stream = Some(stream);
        Ok(answer)
    }

    /// The connection (HTTP/2 channel) this client talks over.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The server this client talks to now.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The current session.
    pub fn session(&self) -> &ClientSession {
        &self.session
    }

    /// Sets how many times a request is attempted when the session or the
    /// connection is lost (at least one).
    pub fn set_attempts(&mut self, attempts: u32) {
        self.attempts = attempts.max(1);
    }

    /// Sends one request, reconnecting and re-sending it unchanged when the
    /// session or connection is lost. Returns the response whatever its
    /// status; `retried` tells whether an earlier attempt may have landed.
    pub async fn execute(&mut self, request: &Request) -> Result<(Response, bool), ClientError> {
        let record = RequestRecord::encode(request);
        let (r, retried) = self
            .service_call(Service::Broker, record.as_bytes(), RESPONSE_LEN)
            .await?;
        Ok((ResponseRecord::from_bytes(&r)?.decode()?, retried))
    }

    /// One sealed exchange with a service (the broker's over its stream
    /// when streaming is on).
    async fn service_once(
        &mut self,
        service: Service,
        plaintext: &[u8],
        response_len: usize,
    ) -> Result<Vec<u8>, ClientError> {
        let (nonce, sealed) = self.session.seal_bytes(plaintext);
        if let (Service::Broker, Some(_)) = (service, &self.tcp) {
            let answer = self.tcp_exchange(sealed).await?;
            return self.session.open_bytes(nonce, &answer, response_len);
        }
        let frame = Frame {
            session_id: self.session.id().0.to_vec(),
            sealed,
        };
        let url = self.url.clone();
        let grpc = |r: Result<tonic::Response<Frame>, tonic::Status>| {
            r.map(tonic::Response::into_inner)
                .map_err(|s| rpc_error(&url, s))
        };
        let resp = match service {
            Service::Broker => self.send_frame(frame).await?,
            Service::Directory => grpc(self.directory_grpc.query(frame).await)?,
            Service::Rendezvous => grpc(self.rendezvous_grpc.query(frame).await)?,
            Service::Tokens => grpc(self.tokens_grpc.redeem(frame).await)?,
        };
        self.session.open_bytes(nonce, &resp.sealed, response_len)
    }

    /// Sends one record to `service` over the session, reconnecting and
    /// re-sending it unchanged when the session or connection is lost.
    /// Returns the response record, and whether an earlier attempt may
    /// have landed.
    pub(crate) async fn service_call(
        &mut self,
        service: Service,
        plaintext: &[u8],
        response_len: usize,
    ) -> Result<(Vec<u8>, bool), ClientError> {
        let mut retried = false;
        let mut attempt = 1;
        let cluster = self.servers.len() > 1;
        self.tried = Tried::default();
        loop {
            let Some(outcome) = until(
                self.deadline,
                self.service_once(service, plaintext, response_len),
            )
            .await
            else {
                let url = self.url.clone();
                self.tried.note(&url, "no answer before the deadline");
                return Err(self.timed_out());
            };
            match outcome {
                Ok(r) => return Ok((r, retried)),
                Err(
                    e @ (ClientError::SessionLost
                    | ClientError::Unreachable { .. }
                    | ClientError::NoLeader { .. }),
                ) => {
                    let url = self.url.clone();
                    self.tried.note(&url, reason(&e));
                    if attempt >= self.attempt_limit() {
                        return Err(if cluster {
                            ClientError::NoServer(self.tried.clone())
                        } else {
                            e
                        });
                    }
                    tracing::info!(
                        "{e}; reconnecting (attempt {} of {})",
                        attempt + 1,
                        self.attempt_limit()
                    );
                    retried = true;
                    attempt += 1;
                    let again = if cluster {
                        let hint = leader_hint(&reason(&e)).map(str::to_owned);
                        self.fail_over(hint).await
                    } else {
                        self.reconnect().await
                    };
                    let pause = match again {
                        Err(e @ ClientError::TimedOut { .. }) => return Err(e),
                        Err(e) if attempt >= self.attempt_limit() => {
                            return Err(if cluster {
                                ClientError::NoServer(self.tried.clone())
                            } else {
                                e
                            });
                        }
                        Err(_) => 200,
                        // Give an election time between servers.
                        Ok(()) if cluster => 150,
                        Ok(()) => 0,
                    };
                    if pause > 0
                        && until(
                            self.deadline,
                            tokio::time::sleep(std::time::Duration::from_millis(pause)),
                        )
                        .await
                        .is_none()
                    {
                        return Err(self.timed_out());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends one directory request (see [`Client::service_call`]).
    /// [`Client::directory`] has the typed ops.
    pub async fn execute_directory(
        &mut self,
        request: &DirectoryRequest,
    ) -> Result<(DirectoryResponse, bool), ClientError> {
        let (r, retried) = self
            .service_call(
                Service::Directory,
                &request.encode(),
                DIRECTORY_RESPONSE_LEN,
            )
            .await?;
        Ok((DirectoryResponse::decode(&r)?, retried))
    }

    /// Sends one rendezvous request (see [`Client::service_call`]).
    /// [`Client::rendezvous`] has the typed ops.
    pub async fn execute_rendezvous(
        &mut self,
        request: &RendezvousRequest,
    ) -> Result<(RendezvousResponse, bool), ClientError> {
        let (r, retried) = self
            .service_call(
                Service::Rendezvous,
                &request.encode(),
                RENDEZVOUS_RESPONSE_LEN,
            )
            .await?;
        Ok((RendezvousResponse::decode(&r)?, retried))
    }

    async fn run(&mut self, acting_as: PublicKey, op: Op) -> Result<(Response, bool), ClientError> {
        self.execute(&Request { acting_as, op }).await
    }

    /// Seals `plaintext` end to end for `to` and stores it as message `id`
    /// from `me`: one create request.
    pub async fn send(
        &mut self,
        me: &Identity,
        to: &VerifiedCard,
        id: MessageId,
        plaintext: &EnvelopePlaintext,
    ) -> Result<(), ClientError> {
        let sealed = e2e::seal(me, to, &id, &me.public(), plaintext)?;
        self.create(me.public(), id, to.signing_key(), sealed).await
    }

    /// Stores a message for `recipient`, acting as `sender`. A retry that
    /// finds its own earlier attempt stored counts as success.
    pub async fn create(
        &mut self,
        sender: PublicKey,
        id: MessageId,
        recipient: PublicKey,
        payload: SealedPayload,
    ) -> Result<(), ClientError> {
        let op = Op::Create {
            id,
            recipient,
            payload: payload.into_payload(),
        };
        let (mut r, mut retried) = self.run(sender, op.clone()).await?;
        if r.status == Status::NoTokens {
            // Tokens are required and this session has no credit: redeem
            // one of the stock and send the create again (nothing was
            // stored).
            self.redeem_from_stock().await?;
            (r, retried) = self.run(sender, op).await?;
        }
        match r.status {
            Status::Ok => Ok(()),
            Status::AlreadyExists if retried => Ok(()),
            s => Err(ClientError::Status(s)),
        }
    }

    /// Reads message `id` from `recipient`'s mailbox.
    pub async fn read(&mut self, recipient: PublicKey, id: MessageId) -> Result<Read, ClientError> {
        let (r, _) = self.run(recipient, Op::Read { id }).await?;
        Self::read_result(r)
    }

    /// Reads the oldest message of `recipient`'s mailbox (None when empty).
    pub async fn read_next(&mut self, recipient: PublicKey) -> Result<Option<Read>, ClientError> {
        let (r, _) = self.run(recipient, Op::ReadNext).await?;
        match r.status {
            Status::NotFound => Ok(None),
            _ => Self::read_result(r).map(Some),
        }
    }

    fn read_result(r: Response) -> Result<Read, ClientError> {
        match (r.status, r.message) {
            (Status::Ok, Some(message)) => Ok(Read {
                message,
                listing: r.listing,
            }),
            (Status::Ok, None) => Err(ClientError::Protocol(
                "a successful read carried no message",
            )),
            (s, _) => Err(ClientError::Status(s)),
        }
    }

    /// Every message in `owner`'s mailbox, oldest first, with a fixed
    /// shape: one list request, then exactly [`MAILBOX_CAPACITY`] read
    /// requests, for the listed ids and then for random ids that match
    /// nothing. However many messages there are (0 to 62), the host sees
    /// [`INBOX_REQUESTS`] requests of one size, and the enclave makes every
    /// read look the same. A message deleted or expired between the list
    /// and its read is left out.
    pub async fn inbox(&mut self, owner: PublicKey) -> Result<Vec<Message>, ClientError> {
        let listed: Vec<MessageId> = self.list(owner).await?.ids().to_vec();
        let mut messages = Vec::with_capacity(listed.len());
        for slot in 0..MAILBOX_CAPACITY {
            let (id, real) = match listed.get(slot) {
                Some(id) => (*id, true),
                None => (crate::new_message_id(), false),
            };
            let (r, _) = self.run(owner, Op::Read { id }).await?;
            match (r.status, r.message) {
                (Status::Ok, Some(m)) if real => messages.push(m),
                (Status::Ok | Status::NotFound, _) => {}
                (s, _) => return Err(ClientError::Status(s)),
            }
        }
        Ok(messages)
    }

    /// Lists `owner`'s mailbox, oldest first.
    pub async fn list(&mut self, owner: PublicKey) -> Result<MailboxListing, ClientError> {
        let (r, _) = self.run(owner, Op::List).await?;
        match r.status {
            Status::Ok => Ok(r.listing),
            s => Err(ClientError::Status(s)),
        }
    }

    /// Replaces the payload of `id` (sent to `recipient`), acting as its
    /// sender or recipient. Returns the updated message.
    pub async fn update(
        &mut self,
        acting_as: PublicKey,
        id: MessageId,
        recipient: PublicKey,
        payload: SealedPayload,
    ) -> Result<Message, ClientError> {
        let (r, _) = self
            .run(
                acting_as,
                Op::Update {
                    id,
                    recipient,
                    payload: payload.into_payload(),
                },
            )
            .await?;
        match (r.status, r.message) {
            (Status::Ok, Some(m)) => Ok(m),
            (s, _) if s != Status::Ok => Err(ClientError::Status(s)),
            _ => Err(ClientError::Protocol(
                "a successful update carried no message",
            )),
        }
    }

    /// Deletes `id` (sent to `recipient`), acting as its sender or recipient.
    /// A retry that finds the message already gone counts as success.
    pub async fn delete(
        &mut self,
        acting_as: PublicKey,
        id: MessageId,
        recipient: PublicKey,
    ) -> Result<(), ClientError> {
        let (r, retried) = self.run(acting_as, Op::Delete { id, recipient }).await?;
        match r.status {
            Status::Ok => Ok(()),
            Status::NotFound if retried => Ok(()),
            s => Err(ClientError::Status(s)),
        }
    }

    /// Changes the policy of `owner`'s mailbox (block, allow or forget a
    /// sender, or who may write). Messages from a blocked or disallowed
    /// sender are stored as usual and hidden from `owner`; the sender sees
    /// no difference.
    pub async fn set_policy(
        &mut self,
        owner: PublicKey,
        action: hush_wire::PolicyAction,
        subject: Option<PublicKey>,
    ) -> Result<(), ClientError> {
        let (r, _) = self.run(owner, Op::Policy { action, subject }).await?;
        match r.status {
            Status::Ok => Ok(()),
            s => Err(ClientError::Status(s)),
        }
    }

    /// Deletes the oldest message of `recipient`'s mailbox; returns it.
    pub async fn delete_next(
        &mut self,
        recipient: PublicKey,
    ) -> Result<Option<Message>, ClientError> {
        let (r, _) = self.run(recipient, Op::DeleteNext).await?;
        match r.status {
            Status::Ok => Ok(r.message),
            Status::NotFound => Ok(None),
            s => Err(ClientError::Status(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_followers_leader_hint_is_its_client_address() {
        assert_eq!(
            leader_hint("not the leader: node 2 is at 127.0.0.1:7902; ask it"),
            Some("127.0.0.1:7902")
        );
        assert_eq!(
            leader_hint("not the leader: node 2 is; ask another server"),
            None
        );
        assert_eq!(leader_hint("no leader: the cluster is electing one"), None);
    }
    use crate::Identity;

    #[tokio::test]
    async fn more_keys_than_a_session_proves_is_an_error_before_any_network() {
        let keys: Vec<_> = (0..5)
            .map(|i| Identity::generate(&format!("k{i}")).keypair())
            .collect();
        // Port 1 would be unreachable: the key count is checked first.
        let err = Client::connect("http://127.0.0.1:1", Policy::dev(), keys)
            .await
            .err()
            .unwrap();
        assert!(matches!(err, ClientError::TooManyKeys(5)), "{err}");
        assert!(err.to_string().contains("at most 4"), "{err}");
    }
}

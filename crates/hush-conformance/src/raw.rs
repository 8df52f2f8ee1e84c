//! A client that sends exactly what it is told: sealed frames, good or bad,
//! straight to the broker's gRPC methods, and answers opened with the
//! session's keys.

use anyhow::{Context, Result, bail};
use hush_attest::Policy;
use hush_client::session::{ClientSession, Handshake};
use hush_wire::grpc::v1::attestation_client::AttestationClient;
use hush_wire::grpc::v1::broker_client::BrokerClient;
use hush_wire::grpc::v1::{EvidenceRequest, EvidenceResponse, Frame, HandshakeRequest};
use hush_wire::{KeyProofResponse, Request, RequestRecord, Response, SessionId};
use tonic::transport::Channel;

/// Raw access to one server.
pub struct Raw {
    broker: BrokerClient<Channel>,
    attestation: AttestationClient<Channel>,
    policy: Policy,
}

impl Raw {
    /// Connects (no session yet).
    pub async fn connect(url: &str, policy: &Policy) -> Result<Self> {
        let channel = tonic::transport::Endpoint::from_shared(url.to_owned())
            .with_context(|| format!("{url} is not a URL"))?
            .connect()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        Ok(Self {
            broker: BrokerClient::new(channel.clone()).max_decoding_message_size(1 << 20),
            attestation: AttestationClient::new(channel),
            policy: policy.clone(),
        })
    }

    /// The raw handshake answer to `message`.
    pub async fn handshake_raw(
        &mut self,
        message: Vec<u8>,
    ) -> Result<hush_wire::grpc::v1::HandshakeResponse, tonic::Status> {
        self.broker
            .handshake(HandshakeRequest { message })
            .await
            .map(|r| r.into_inner())
    }

    /// A new attested session.
    pub async fn session(&mut self) -> Result<ClientSession> {
        let hs = Handshake::start()?;
        let r = self.handshake_raw(hs.message.clone()).await?;
        let id = SessionId::from_bytes(&r.session_id).context("the session id is not 16 bytes")?;
        Ok(hs.finish(id, &r.message, &self.policy)?)
    }

    /// The published evidence.
    pub async fn evidence(&mut self) -> Result<EvidenceResponse> {
        Ok(self
            .attestation
            .get_evidence(EvidenceRequest {})
            .await?
            .into_inner())
    }

    /// `Broker.Query` with any bytes, under any session id.
    pub async fn query_as(
        &mut self,
        session: &[u8],
        sealed: Vec<u8>,
    ) -> Result<Vec<u8>, tonic::Status> {
        self.broker
            .query(Frame {
                session_id: session.to_vec(),
                sealed,
            })
            .await
            .map(|r| r.into_inner().sealed)
    }

    /// `Broker.Query` with any bytes in session `s`.
    pub async fn query(
        &mut self,
        s: &ClientSession,
        sealed: Vec<u8>,
    ) -> Result<Vec<u8>, tonic::Status> {
        self.query_as(&s.id().0, sealed).await
    }

    /// `Broker.ProveKeys` with any bytes in session `s`.
    pub async fn prove(
        &mut self,
        s: &ClientSession,
        sealed: Vec<u8>,
    ) -> Result<Vec<u8>, tonic::Status> {
        self.broker
            .prove_keys(Frame {
                session_id: s.id().0.to_vec(),
                sealed,
            })
            .await
            .map(|r| r.into_inner().sealed)
    }

    /// A key-proof request of any plaintext, and its opened answer.
    pub async fn prove_plain(
        &mut self,
        s: &ClientSession,
        plain: &[u8],
    ) -> Result<KeyProofResponse> {
        let (nonce, sealed) = s.seal_bytes(plain);
        let answer = self.prove(s, sealed).await?;
        Ok(s.open_key_proof_response(nonce, &answer)?)
    }

    /// Proves `keys` in `s`; fails unless the server says ok.
    pub async fn prove_ok(
        &mut self,
        s: &ClientSession,
        keys: &[&schnorrkel::Keypair],
    ) -> Result<KeyProofResponse> {
        let (nonce, sealed) = s.seal_key_proofs(keys);
        let r = s.open_key_proof_response(nonce, &self.prove(s, sealed).await?)?;
        if r.status != hush_wire::KeyProofStatus::Ok {
            bail!("a genuine key proof was answered {:?}", r.status);
        }
        Ok(r)
    }

    /// One broker request record of any bytes, and its decoded answer.
    pub async fn request_record(
        &mut self,
        s: &ClientSession,
        record: &RequestRecord,
    ) -> Result<Response> {
        let (nonce, sealed) = s.seal_request(record);
        let answer = self.query(s, sealed).await?;
        let opened = s.open_response(nonce, &answer)?;
        Ok(opened.decode()?)
    }

    /// One broker request, and its decoded answer.
    pub async fn request(&mut self, s: &ClientSession, request: &Request) -> Result<Response> {
        self.request_record(s, &RequestRecord::encode(request))
            .await
    }
}

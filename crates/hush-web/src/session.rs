//! A session in the browser: the handshake, then sealed requests as JSON
//! bodies for hushd's HTTP/JSON API, and their answers opened into JSON
//! text. The page only moves bodies; every byte it sends is sealed here.

use crate::WebError;
use crate::identity::{WebContact, WebIdentity};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hush_attest::{Policy, Verified};
use hush_client::session::{ClientSession, Handshake};
use hush_client::{Identity, e2e};
use hush_wire::{
    EnvelopeKind, EnvelopePlaintext, KeyProofStatus, MessageId, Op, PublicKey, Request,
    RequestRecord, Response, SessionId, Status,
};
use serde_json::{Value, json};
use wasm_bindgen::prelude::wasm_bindgen;

/// The first half of a handshake: its body for `POST /v1/broker/handshake`.
#[wasm_bindgen]
pub struct PendingHandshake(Option<Handshake>);

#[wasm_bindgen]
impl PendingHandshake {
    /// Starts a hybrid Noise NXhfs handshake (X25519 and ML-KEM-768).
    pub fn start() -> Result<PendingHandshake, WebError> {
        Ok(Self(Some(Handshake::start().map_err(WebError::new)?)))
    }

    /// The JSON body to POST to `/v1/broker/handshake`.
    pub fn body(&self) -> Result<String, WebError> {
        let hs = self.0.as_ref().ok_or_else(used)?;
        Ok(json!({ "message": B64.encode(&hs.message) }).to_string())
    }

    /// Reads hushd's answer (the JSON text), checks its attestation and
    /// returns the session. Dev attestation is accepted only when
    /// `allow_dev` is set, as with the CLI's `--dev`.
    pub fn finish(&mut self, answer: &str, allow_dev: bool) -> Result<Session, WebError> {
        let hs = self.0.take().ok_or_else(used)?;
        let answer = parse_answer(answer)?;
        let id = SessionId::from_bytes(&field(&answer, "session_id")?).map_err(WebError::new)?;
        let policy = if allow_dev {
            Policy::dev()
        } else {
            Policy::default()
        };
        let session = hs
            .finish(id, &field(&answer, "message")?, &policy)
            .map_err(WebError::new)?;
        Ok(Session(session))
    }
}

fn used() -> WebError {
    WebError::new("this handshake was already finished; start a new one")
}

/// Parses hushd's JSON answer; an HTTP error body (`{"code", "error"}`)
/// becomes that error.
fn parse_answer(text: &str) -> Result<Value, WebError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| WebError::new(format!("hushd's answer is not JSON: {e}")))?;
    if let (Some(code), Some(error)) = (v["code"].as_str(), v["error"].as_str()) {
        return Err(WebError::new(format!(
            "hushd refused the request ({code}): {error}"
        )));
    }
    Ok(v)
}

/// A base64 field of an answer.
fn field(v: &Value, name: &str) -> Result<Vec<u8>, WebError> {
    let text = v[name]
        .as_str()
        .ok_or_else(|| WebError::new(format!("hushd's answer has no {name}")))?;
    B64.decode(text)
        .map_err(|_| WebError::new(format!("hushd's answer's {name} is not base64")))
}

/// What an [`Outgoing`] request asks, so its answer can be opened.
pub(crate) enum Asked {
    KeyProofs,
    Send,
    List,
    Read(Identity),
    Delete,
    /// A token record: a redemption, or an issuance (with its blinds).
    Tokens(Option<Box<hush_client::token_issuance::PendingIssue>>),
    /// A directory grant of tokens.
    Grant,
}

/// A sealed request: the JSON body to POST, and what is needed to open
/// its answer.
#[wasm_bindgen]
pub struct Outgoing {
    nonce: u64,
    body: String,
    path: &'static str,
    asked: Asked,
}

#[wasm_bindgen]
impl Outgoing {
    /// The JSON body to POST.
    #[wasm_bindgen(getter)]
    pub fn body(&self) -> String {
        self.body.clone()
    }

    /// The path to POST it to (`/v1/broker/prove-keys`,
    /// `/v1/broker/query`, `/v1/directory/query` or `/v1/tokens/redeem`).
    #[wasm_bindgen(getter)]
    pub fn path(&self) -> String {
        self.path.to_owned()
    }
}

/// An established, attested session.
#[wasm_bindgen]
pub struct Session(ClientSession);

#[wasm_bindgen]
impl Session {
    /// What the attestation established, for the page to show.
    #[wasm_bindgen(getter)]
    pub fn attestation(&self) -> String {
        match self.0.attestation() {
            Verified::Dev => {
                "DEV attestation: nothing about the server is verified (local development only)"
                    .into()
            }
            Verified::Hardware(c) => format!("verified {} hardware attestation", c.tee.name()),
        }
    }

    /// The enclave's epoch (hex), new at every start of the enclave.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> String {
        format!("{:016x}", self.0.epoch())
    }

    /// The Noise protocol the session ran: hybrid post-quantum, X25519
    /// and ML-KEM-768 (its keys need both).
    #[wasm_bindgen(getter)]
    pub fn channel(&self) -> String {
        self.0.protocol().into()
    }

    pub(crate) fn client(&self) -> &ClientSession {
        &self.0
    }

    pub(crate) fn outgoing(
        &self,
        path: &'static str,
        nonce: u64,
        sealed: Vec<u8>,
        asked: Asked,
    ) -> Outgoing {
        let body = json!({
            "session_id": B64.encode(self.0.id().0),
            "sealed": B64.encode(sealed),
        })
        .to_string();
        Outgoing {
            nonce,
            body,
            path,
            asked,
        }
    }

    fn request(&self, acting_as: PublicKey, op: Op, asked: Asked) -> Outgoing {
        let record = RequestRecord::encode(&Request { acting_as, op });
        let (nonce, sealed) = self.0.seal_request(&record);
        self.outgoing("/v1/broker/query", nonce, sealed, asked)
    }

    /// Proves the session holds `me`'s key (needed before acting as it).
    #[wasm_bindgen(js_name = proveKey)]
    pub fn prove_key(&self, me: &WebIdentity) -> Outgoing {
        let keypair = me.0.keypair();
        let (nonce, sealed) = self.0.seal_key_proofs(&[&keypair]);
        self.outgoing("/v1/broker/prove-keys", nonce, sealed, Asked::KeyProofs)
    }

    /// Seals `text` end to end for `to` and asks to store it, from `me`.
    pub fn send(
        &self,
        me: &WebIdentity,
        to: &WebContact,
        text: &str,
    ) -> Result<Outgoing, WebError> {
        let plaintext =
            EnvelopePlaintext::new(EnvelopeKind::Text, text.as_bytes()).map_err(WebError::new)?;
        let id = hush_client::new_message_id();
        let payload =
            e2e::seal(&me.0, &to.0, &id, &me.0.public(), &plaintext).map_err(WebError::new)?;
        Ok(self.request(
            me.0.public(),
            Op::Create {
                id,
                recipient: to.0.signing_key(),
                payload: payload.into_payload(),
            },
            Asked::Send,
        ))
    }

    /// Lists `me`'s mailbox.
    pub fn list(&self, me: &WebIdentity) -> Outgoing {
        self.request(me.0.public(), Op::List, Asked::List)
    }

    /// Reads message `id` (hex) of `me`'s mailbox; its answer is opened
    /// end to end as `me`.
    pub fn read(&self, me: &WebIdentity, id: &str) -> Result<Outgoing, WebError> {
        let id = MessageId::from_hex(id).map_err(WebError::new)?;
        Ok(self.request(me.0.public(), Op::Read { id }, Asked::Read(me.0.clone())))
    }

    /// Deletes message `id` (hex) of `me`'s mailbox.
    pub fn delete(&self, me: &WebIdentity, id: &str) -> Result<Outgoing, WebError> {
        let id = MessageId::from_hex(id).map_err(WebError::new)?;
        Ok(self.request(
            me.0.public(),
            Op::Delete {
                id,
                recipient: me.0.public(),
            },
            Asked::Delete,
        ))
    }

    /// Opens hushd's answer (JSON text) to `out`. Returns JSON text:
    /// `{"status": "Ok" | ..., "detail": "..."}`, with `ids` for a list
    /// and `message` (`id`, `from`, `kind`, `text`, `time`) for a read.
    pub fn open(&self, out: &Outgoing, answer: &str) -> Result<String, WebError> {
        let sealed = field(&parse_answer(answer)?, "sealed")?;
        match &out.asked {
            Asked::Tokens(pending) => {
                let v = crate::tokens::open_token(self, out.nonce, &sealed, pending.as_deref())?;
                return Ok(v.to_string());
            }
            Asked::Grant => {
                return Ok(crate::tokens::open_grant(self, out.nonce, &sealed)?.to_string());
            }
            _ => {}
        }
        if let Asked::KeyProofs = out.asked {
            let r = self
                .0
                .open_key_proof_response(out.nonce, &sealed)
                .map_err(WebError::new)?;
            let ok = r.status == KeyProofStatus::Ok;
            return Ok(json!({
                "status": if ok { "Ok" } else { "Refused" },
                "detail": format!("{:?}", r.status),
            })
            .to_string());
        }
        let r: Response = self
            .0
            .open_response(out.nonce, &sealed)
            .and_then(|r| Ok(r.decode()?))
            .map_err(WebError::new)?;
        let mut v = json!({
            "status": format!("{:?}", r.status),
            "detail": r.status.describe(),
        });
        match &out.asked {
            Asked::List if r.status == Status::Ok => {
                let ids: Vec<String> = r.listing.ids().iter().map(|i| i.to_hex()).collect();
                v["ids"] = json!(ids);
            }
            Asked::Read(me) => {
                if let (Status::Ok, Some(m)) = (r.status, &r.message) {
                    let opened = e2e::open(me, m).map_err(WebError::new)?;
                    v["message"] = json!({
                        "id": m.id.to_hex(),
                        "from": opened.author.to_hex(),
                        "kind": opened.kind.name(),
                        "text": String::from_utf8_lossy(&opened.content),
                        "time": m.timestamp.0,
                    });
                }
            }
            _ => {}
        }
        Ok(v.to_string())
    }
}

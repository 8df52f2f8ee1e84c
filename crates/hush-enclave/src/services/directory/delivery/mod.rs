//! Verification codes that leave the enclave encrypted to their provider.
//!
//! Before, the host received each code in the clear to hand to its mail or
//! SMS sender, so an operator could read a code and register someone
//! else's identifier to its own key. Now, when the enclave is configured
//! with a provider for a kind of identifier ([`DeliveryConfig`]), it
//! speaks TLS to that provider itself: rustls runs here, checks the
//! provider's certificate against the configured roots (Mozilla's by
//! default) and its name, and the host only carries the TLS records
//! between a TCP connection and [`Deliveries::io`]. Inside the TLS
//! stream the enclave speaks SMTP ([`smtp`], for email, implicit TLS as
//! on port 465) or makes one HTTPS POST ([`https`], to the operator's SMS
//! webhook). Codes of a kind with no provider never leave the enclave
//! unless the enclave runs with dev attestation (the host's dev senders).
//!
//! What the host still sees: that a delivery happens, to which provider,
//! when (on the outbox's batch schedule), and the sizes of the TLS
//! records, which follow the identifier's length. Errors it gets name the
//! step and the provider's reply code, never the identifier or the code.

pub mod https;
pub mod smtp;

use super::outbox::Verification;
use hush_wire::directory::{Identifier, IdentifierKind};
use rustls::pki_types::{CertificateDer, ServerName};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;
use zeroize::Zeroizing;

/// Deliveries not finished this long after they were made are dropped (a
/// follower's, which never sends, or one the host stopped pumping).
pub const DELIVERY_TIMEOUT_SECS: u64 = 120;
/// Largest number of deliveries under way (the oldest is dropped beyond).
pub const MAX_DELIVERIES: usize = 1024;
/// Largest plaintext a provider may send us before we give up on it.
const MAX_REPLY: usize = 64 * 1024;

/// One provider.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Its host name (or IP address): where the host connects, and the
    /// name its certificate must carry.
    pub host: String,
    /// Its TCP port.
    pub port: u16,
    /// For a webhook, the request path (`/send`); unused for SMTP.
    pub path: String,
    /// Credentials (SMTP AUTH PLAIN, or HTTP Basic for a webhook).
    pub user: Option<String>,
    /// The password that goes with `user`.
    pub password: Option<String>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Endpoint({}:{}{})", self.host, self.port, self.path)
    }
}

/// Where codes go, when the enclave delivers them itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// The SMTP server for email addresses (implicit TLS).
    pub email: Option<Endpoint>,
    /// The HTTPS webhook for phone numbers.
    pub sms: Option<Endpoint>,
    /// The From address of emailed codes.
    pub mail_from: String,
    /// Trusted roots (DER); empty: Mozilla's (webpki-roots).
    pub roots: Vec<Vec<u8>>,
}

/// A delivery the host must carry: connect to `host:port` and pump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStart {
    /// Names the delivery in [`Deliveries::io`].
    pub id: u64,
    /// Where to connect.
    pub host: String,
    /// Which port.
    pub port: u16,
}

/// What one round of [`Deliveries::io`] gives the host.
#[derive(Debug, Default)]
pub struct DeliveryIo {
    /// TLS records to send to the provider.
    pub outgoing: Vec<u8>,
    /// Set once the delivery is over: delivered, or why not (no secret in
    /// it). The host then closes the connection.
    pub finished: Option<Result<(), String>>,
}

/// Why a delivery could not go on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeliveryError {
    /// No delivery with that id (finished, dropped, or never made).
    #[error("no such delivery")]
    Unknown,
}

/// A protocol spoken inside the TLS stream: fed the provider's plaintext,
/// it returns plaintext to send, until it is done.
pub(crate) trait Dialogue: Send {
    /// The provider sent `received` (everything since the last call is
    /// appended to what is buffered). Returns what to send now, and
    /// whether the dialogue is over (and how).
    /// Called on every round once TLS is up, first with whatever came
    /// (possibly nothing: a dialogue that speaks first sends then).
    /// What to send is zeroized when dropped: it may hold the code.
    fn advance(&mut self, received: &[u8]) -> (Zeroizing<Vec<u8>>, Option<Result<(), String>>);
}

struct Delivery {
    conn: rustls::ClientConnection,
    dialogue: Box<dyn Dialogue>,
    made_at: u64,
    finished: bool,
}

/// Deliveries under way.
pub struct Deliveries {
    config: DeliveryConfig,
    tls: Arc<rustls::ClientConfig>,
    under_way: BTreeMap<u64, Delivery>,
    starts: Vec<DeliveryStart>,
    next: u64,
}

impl std::fmt::Debug for Deliveries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Deliveries({} under way)", self.under_way.len())
    }
}

/// Why a delivery configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryConfigError {
    /// A root certificate did not parse.
    #[error("a trusted root certificate does not parse: {0}")]
    Root(String),
    /// A provider's host is not a valid DNS name or IP address.
    #[error("{0:?} is not a host name or IP address a certificate can carry")]
    Host(String),
}

impl Deliveries {
    /// Deliveries to `config`'s providers.
    pub fn new(config: DeliveryConfig) -> Result<Self, DeliveryConfigError> {
        let mut roots = rustls::RootCertStore::empty();
        if config.roots.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        } else {
            for der in &config.roots {
                roots
                    .add(CertificateDer::from(der.clone()))
                    .map_err(|e| DeliveryConfigError::Root(e.to_string()))?;
            }
        }
        for e in [&config.email, &config.sms].into_iter().flatten() {
            ServerName::try_from(e.host.clone())
                .map_err(|_| DeliveryConfigError::Host(e.host.clone()))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| DeliveryConfigError::Root(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            config,
            tls: Arc::new(tls),
            under_way: BTreeMap::new(),
            starts: Vec::new(),
            next: 0,
        })
    }

    /// Whether codes for `kind` go out through the enclave.
    pub fn handles(&self, kind: IdentifierKind) -> bool {
        match kind {
            IdentifierKind::Email => self.config.email.is_some(),
            IdentifierKind::Phone => self.config.sms.is_some(),
            // Usernames get no code (the directory never queues one).
            IdentifierKind::Username => false,
        }
    }

    /// Makes a delivery of `v` (its identifier's kind must be handled).
    /// Returns false if it cannot (a malformed identifier).
    pub fn start(&mut self, v: &Verification, now: u64) -> bool {
        let Ok(identifier) = Identifier::decode(&v.identifier) else {
            return false;
        };
        let code = Zeroizing::new(format!("{:06}", v.code));
        let (endpoint, dialogue): (&Endpoint, Box<dyn Dialogue>) = match identifier.kind() {
            IdentifierKind::Email => {
                let Some(e) = &self.config.email else {
                    return false;
                };
                let Some(d) =
                    smtp::Smtp::new(e, &self.config.mail_from, identifier.as_str(), &code)
                else {
                    return false;
                };
                (e, Box::new(d))
            }
            IdentifierKind::Phone => {
                let Some(e) = &self.config.sms else {
                    return false;
                };
                (
                    e,
                    Box::new(https::Webhook::new(e, identifier.as_str(), &code)),
                )
            }
            IdentifierKind::Username => return false,
        };
        let Ok(name) = ServerName::try_from(endpoint.host.clone()) else {
            return false;
        };
        let Ok(conn) = rustls::ClientConnection::new(self.tls.clone(), name) else {
            return false;
        };
        let id = self.next;
        self.next += 1;
        self.starts.push(DeliveryStart {
            id,
            host: endpoint.host.clone(),
            port: endpoint.port,
        });
        self.under_way.insert(
            id,
            Delivery {
                conn,
                dialogue,
                made_at: now,
                finished: false,
            },
        );
        while self.under_way.len() > MAX_DELIVERIES {
            self.under_way.pop_first();
        }
        true
    }

    /// The deliveries made since the last call, for the host to connect.
    pub fn take_starts(&mut self) -> Vec<DeliveryStart> {
        std::mem::take(&mut self.starts)
    }

    /// Drops deliveries older than [`DELIVERY_TIMEOUT_SECS`].
    pub fn expire(&mut self, now: u64) {
        self.under_way
            .retain(|_, d| d.made_at + DELIVERY_TIMEOUT_SECS >= now);
    }

    /// Deliveries under way.
    pub fn len(&self) -> usize {
        self.under_way.len()
    }

    /// Whether none is under way.
    pub fn is_empty(&self) -> bool {
        self.under_way.is_empty()
    }

    /// One round of delivery `id`: `incoming` is what the provider sent
    /// since the last round (empty for the first). Returns the TLS records
    /// to send and, once it is over, how it ended (the delivery is then
    /// forgotten).
    pub fn io(&mut self, id: u64, incoming: &[u8]) -> Result<DeliveryIo, DeliveryError> {
        let d = self.under_way.get_mut(&id).ok_or(DeliveryError::Unknown)?;
        let mut out = DeliveryIo::default();
        let result = d.round(incoming, &mut out.outgoing);
        if let Some(r) = result {
            out.finished = Some(r);
            self.under_way.remove(&id);
        }
        Ok(out)
    }
}

/// Where released codes go: those of a kind the enclave has a provider
/// for become deliveries; the others are returned for the host's senders
/// only if `host_may_read` (dev attestation), and dropped otherwise, so
/// with hardware attestation no code ever reaches the host.
pub fn route(
    released: Vec<Verification>,
    mut deliveries: Option<&mut Deliveries>,
    host_may_read: bool,
    now: u64,
) -> Vec<Verification> {
    let mut for_host = Vec::new();
    for v in released {
        let kind = Identifier::decode(&v.identifier).map(|i| i.kind());
        match (deliveries.as_deref_mut(), kind) {
            (Some(d), Ok(kind)) if d.handles(kind) => {
                d.start(&v, now);
            }
            _ if host_may_read => for_host.push(v),
            _ => {}
        }
    }
    for_host
}

impl Delivery {
    /// Feeds `incoming` to TLS and the dialogue; writes TLS records to
    /// `outgoing`. Some(..) once over.
    fn round(&mut self, incoming: &[u8], outgoing: &mut Vec<u8>) -> Option<Result<(), String>> {
        let mut rest = incoming;
        while !rest.is_empty() {
            match self.conn.read_tls(&mut rest) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Some(Err(format!("TLS: {e}"))),
            }
            if let Err(e) = self.conn.process_new_packets() {
                // Tell the provider why, then stop.
                let _ = self.conn.write_tls(outgoing);
                return Some(Err(format!("TLS with the provider failed: {e}")));
            }
        }
        let mut plain = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.conn.reader().read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    plain.extend_from_slice(&buf[..n]);
                    if plain.len() > MAX_REPLY {
                        return Some(Err("the provider sent too much".into()));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    if !self.finished {
                        return Some(Err("the provider closed the connection early".into()));
                    }
                    break;
                }
                Err(e) => return Some(Err(format!("TLS: {e}"))),
            }
        }
        let mut ended = None;
        if !self.conn.is_handshaking() && !self.finished {
            let (send, done) = self.dialogue.advance(&plain);
            if !send.is_empty() && self.conn.writer().write_all(&send).is_err() {
                return Some(Err("TLS: cannot write".into()));
            }
            if let Some(r) = done {
                self.finished = true;
                self.conn.send_close_notify();
                ended = Some(r);
            }
        }
        while self.conn.wants_write() {
            if self.conn.write_tls(outgoing).is_err() {
                return Some(Err("TLS: cannot write".into()));
            }
        }
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(id: &Identifier) -> Verification {
        Verification {
            identifier: id.encode(),
            code: 424_242,
        }
    }

    #[test]
    fn codes_reach_the_host_only_in_dev_and_only_without_a_provider() {
        let email = Identifier::email("alice@example.org").unwrap();
        let phone = Identifier::phone("+41446681800").unwrap();
        let mut d = Deliveries::new(DeliveryConfig {
            email: Some(Endpoint {
                host: "mail.example.org".into(),
                port: 465,
                path: String::new(),
                user: None,
                password: None,
            }),
            sms: None,
            mail_from: "noreply@example.org".into(),
            roots: Vec::new(),
        })
        .unwrap();
        let both = || vec![code(&email), code(&phone)];
        // Hardware attestation: the email is delivered by the enclave, the
        // phone number (no provider) is dropped: nothing for the host.
        assert!(route(both(), Some(&mut d), false, 1_000).is_empty());
        let starts = d.take_starts();
        assert_eq!(starts.len(), 1);
        assert_eq!(
            (starts[0].host.as_str(), starts[0].port),
            ("mail.example.org", 465)
        );
        assert!(route(both(), None, false, 1_000).is_empty());
        // Dev: what the enclave has no provider for goes to the host.
        let to_host = route(both(), Some(&mut d), true, 1_000);
        assert_eq!(to_host.len(), 1);
        assert_eq!(Identifier::decode(&to_host[0].identifier).unwrap(), phone);
        assert_eq!(route(both(), None, true, 1_000).len(), 2);
        // Deliveries the host never carries are dropped in time.
        assert_eq!(d.len(), 2);
        d.expire(1_000 + DELIVERY_TIMEOUT_SECS + 1);
        assert!(d.is_empty());
        assert!(matches!(d.io(0, b""), Err(DeliveryError::Unknown)));
    }
}

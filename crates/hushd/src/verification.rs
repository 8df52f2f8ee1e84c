//! Delivering verification codes: the directory hands the host an
//! identifier and a code on each tick, and a sender delivers them.
//!
//! These senders are the host's, so the host learns both identifier and
//! code: for development (dev attestation) only. With an smtps:// or
//! https:// provider the enclave delivers the code over its own TLS
//! instead (`delivery.rs`), and hardware attestation refuses anything
//! else. Codes are never logged.
//!
//! - dev (the default for both kinds): appends `identifier code` lines to
//!   a file, for local development and tests. UNSAFE outside development:
//!   whoever reads the file can register that identifier to any key;
//! - email: SMTP through `lettre` (`smtp_url`, e.g. `smtp://host:25` or
//!   `smtps://user:password@host`, and `mail_from`);
//! - SMS: a POST of `{"to": "+41...", "code": "123456", "text": "..."}`
//!   (JSON) to the operator's HTTP(S) webhook (`sms_webhook`), which
//!   hands it to an SMS provider.

use anyhow::{Context, Result};
use hush_enclave::Verification;
use hush_wire::directory::{Identifier, VerificationCode};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Delivers codes. Called from the blocking pool.
pub trait CodeSender: Send + Sync + 'static {
    /// Sends `code` to `identifier`.
    fn send(&self, identifier: &Identifier, code: VerificationCode) -> Result<()>;
    /// Where codes go, for the start-up banner.
    fn describe(&self) -> String;
}

/// A kind whose codes the enclave delivers over its own TLS
/// (`delivery.rs`): the host never holds one of them to send.
pub struct EnclaveTls(pub String);

impl CodeSender for EnclaveTls {
    fn send(&self, _: &Identifier, _: VerificationCode) -> Result<()> {
        anyhow::bail!("codes of this kind are delivered by the enclave, never by the host")
    }

    fn describe(&self) -> String {
        format!("sent by the enclave over its own TLS to {}", self.0)
    }
}

/// A kind with no provider under hardware attestation: its codes stay in
/// the enclave, so identifiers of that kind cannot be verified.
pub struct NoProvider(pub &'static str);

impl CodeSender for NoProvider {
    fn send(&self, _: &Identifier, _: VerificationCode) -> Result<()> {
        anyhow::bail!("no provider for this kind of identifier")
    }

    fn describe(&self) -> String {
        format!(
            "NOT SENT for {}: no TLS provider is configured, and with hardware attestation the host never gets a code",
            self.0
        )
    }
}

/// Appends `identifier code` lines to a file.
pub struct DevFileSender {
    path: PathBuf,
}

impl DevFileSender {
    /// Codes go to `path` (created if missing, appended to).
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl CodeSender for DevFileSender {
    fn send(&self, identifier: &Identifier, code: VerificationCode) -> Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        // Whoever reads the codes can verify those identifiers: a file it
        // creates is readable by hushd's user only.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options
            .open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        writeln!(f, "{identifier} {code}")
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "appended to {} (dev sender, UNSAFE outside development: whoever reads the file can verify those identifiers)",
            self.path.display()
        )
    }
}

/// Sends codes by email over SMTP.
pub struct SmtpSender {
    transport: lettre::SmtpTransport,
    from: lettre::message::Mailbox,
    url: String,
}

impl SmtpSender {
    /// Connects lazily to `url` (`smtp://` plain or STARTTLS on request,
    /// `smtps://` TLS), sending as `from`.
    pub fn new(url: &str, from: &str) -> Result<Self> {
        let transport = lettre::SmtpTransport::from_url(url)
            .with_context(|| format!("invalid smtp_url {url:?} (like smtp://mail.example.org:25 or smtps://user:password@host)"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().with_context(|| {
            format!("invalid mail_from {from:?} (like hush <noreply@example.org>)")
        })?;
        // Never print credentials.
        let url = match url.split_once('@') {
            Some((scheme_user, host)) => {
                let scheme = scheme_user.split("://").next().unwrap_or("smtp");
                format!("{scheme}://…@{host}")
            }
            None => url.to_owned(),
        };
        Ok(Self {
            transport,
            from,
            url,
        })
    }
}

impl CodeSender for SmtpSender {
    fn send(&self, identifier: &Identifier, code: VerificationCode) -> Result<()> {
        use lettre::Transport;
        let to: lettre::message::Mailbox = identifier
            .as_str()
            .parse()
            .context("the address does not parse as a mailbox")?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("Your hush code: {code}"))
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(format!(
                "Your hush verification code is {code}.\n\nIt expires in 15 minutes. If you did not ask for it, ignore this mail.\n"
            ))
            .context("cannot build the mail")?;
        self.transport
            .send(&message)
            .context("the SMTP server refused the mail")?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("mailed through {}", self.url)
    }
}

/// Sends codes by SMS through the operator's HTTP webhook.
pub struct WebhookSender {
    url: String,
    agent: ureq::Agent,
}

impl WebhookSender {
    /// Posts to `url`.
    pub fn new(url: &str) -> Result<Self> {
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "invalid sms_webhook {url:?}: an http:// or https:// URL"
        );
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(20)))
            .build()
            .into();
        Ok(Self {
            url: url.to_owned(),
            agent,
        })
    }
}

impl CodeSender for WebhookSender {
    fn send(&self, identifier: &Identifier, code: VerificationCode) -> Result<()> {
        let body = serde_json::json!({
            "to": identifier.as_str(),
            "code": code.to_string(),
            "text": format!("Your hush code is {code}. It expires in 15 minutes."),
        });
        self.agent
            .post(&self.url)
            .header("content-type", "application/json")
            .send(body.to_string())
            .context("the SMS webhook refused the code")?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("posted to {}", self.url)
    }
}

/// Emails to one sender, phone numbers to another.
pub struct ByKind {
    /// For email addresses.
    pub email: Arc<dyn CodeSender>,
    /// For phone numbers.
    pub phone: Arc<dyn CodeSender>,
}

impl CodeSender for ByKind {
    fn send(&self, identifier: &Identifier, code: VerificationCode) -> Result<()> {
        match identifier.kind() {
            hush_wire::directory::IdentifierKind::Email => self.email.send(identifier, code),
            hush_wire::directory::IdentifierKind::Phone => self.phone.send(identifier, code),
            hush_wire::directory::IdentifierKind::Username => {
                anyhow::bail!("usernames get no code (the directory never queues one)")
            }
        }
    }

    fn describe(&self) -> String {
        format!(
            "for email {}, for phones {}",
            self.email.describe(),
            self.phone.describe()
        )
    }
}

/// Delivers what the enclave produced, one by one, off the async workers.
pub async fn deliver(sender: Arc<dyn CodeSender>, batch: Vec<Verification>) {
    if batch.is_empty() {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || {
        for v in batch {
            let outcome = match Identifier::decode(&v.identifier) {
                Err(_) => "bad_identifier",
                Ok(id) => match VerificationCode::new(v.code) {
                    Err(_) => "bad_code",
                    Ok(code) => match sender.send(&id, code) {
                        Ok(()) => "ok",
                        Err(e) => {
                            tracing::warn!(kind = ?id.kind(), "cannot deliver a verification code: {e:#}");
                            "failed"
                        }
                    },
                },
            };
            metrics::counter!("hush_verification_codes_total", "outcome" => outcome).increment(1);
        }
    })
    .await;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_dev_codes_file_is_readable_by_hushds_user_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("codes.txt");
        let sender = DevFileSender::new(path.clone());
        let id = Identifier::email("alice@example.org").unwrap();
        sender
            .send(&id, VerificationCode::new(123_456).unwrap())
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("alice@example.org "), "{text}");
    }
}

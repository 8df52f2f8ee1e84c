//! Carrying the enclave's own TLS to verification-code providers.
//!
//! For an smtps:// `smtp_url` or an https:// `sms_webhook`, the enclave
//! makes each code's delivery itself (hush-enclave's
//! `services/directory/delivery`): it runs TLS, checks the provider's
//! certificate, and speaks SMTP or HTTP inside. This host only opens the
//! TCP connection to the provider and moves bytes both ways: it never sees
//! a code, an identifier or a credential, only TLS records and the
//! outcome. Logs name the provider and the step that failed, nothing else.

use hush_enclave::{DeliveryStart, EnclaveApi};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long one delivery may take, connection included.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// Carries delivery `start` to its end, and counts how it ended.
pub async fn carry(enclave: Arc<dyn EnclaveApi>, start: DeliveryStart) {
    let provider = format!("{}:{}", start.host, start.port);
    let outcome = match tokio::time::timeout(DELIVERY_TIMEOUT, run(&enclave, &start)).await {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::warn!("a verification code was not delivered to {provider}: {e:#}");
            "failed"
        }
        Err(_) => {
            tracing::warn!(
                "a verification code was not delivered to {provider}: no answer within {} s",
                DELIVERY_TIMEOUT.as_secs()
            );
            "timeout"
        }
    };
    metrics::counter!("hush_verification_codes_total", "outcome" => outcome, "by" => "enclave")
        .increment(1);
}

async fn run(enclave: &Arc<dyn EnclaveApi>, start: &DeliveryStart) -> anyhow::Result<()> {
    let mut stream = tokio::net::TcpStream::connect((start.host.as_str(), start.port)).await?;
    let mut incoming = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let (e, id, bytes) = (enclave.clone(), start.id, std::mem::take(&mut incoming));
        let io = tokio::task::spawn_blocking(move || e.delivery_io(id, &bytes)).await??;
        if !io.outgoing.is_empty() {
            stream.write_all(&io.outgoing).await?;
        }
        if let Some(done) = io.finished {
            let _ = stream.shutdown().await;
            return done.map_err(anyhow::Error::msg);
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            anyhow::bail!("the provider closed the connection");
        }
        incoming.extend_from_slice(&buf[..n]);
    }
}

//! The HTTP/JSON API's statuses (PROTOCOL section 10): refusals come with
//! a JSON body `{code, error}`. Skipped (passing) for a URL that is not
//! plain `http://`.

use crate::Target;
use anyhow::{Context, Result, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 exchange: (status, body).
async fn exchange(
    t: &Target,
    method: &str,
    path: &str,
    body: &str,
) -> Result<Option<(u16, String)>> {
    let Some(host) = t.url.strip_prefix("http://") else {
        return Ok(None);
    };
    let host = host.trim_end_matches('/');
    let mut s = tokio::net::TcpStream::connect(host)
        .await
        .with_context(|| format!("cannot reach {host}"))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("not an HTTP answer")?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok(Some((status, body)))
}

/// The `{code, error}` object in a body (chunked or not).
fn error_body(body: &str) -> Result<serde_json::Value> {
    let start = body.find('{').context("no JSON object in the body")?;
    let end = body.rfind('}').context("no JSON object in the body")?;
    let v: serde_json::Value = serde_json::from_str(&body[start..=end])?;
    ensure!(
        v["code"].is_string() && v["error"].is_string(),
        "the body is not {{code, error}}: {v}"
    );
    Ok(v)
}

async fn expect(t: &Target, method: &str, path: &str, body: &str, want: u16) -> Result<()> {
    let Some((status, text)) = exchange(t, method, path, body).await? else {
        return Ok(());
    };
    ensure!(
        status == want,
        "{method} {path}: HTTP {status} (want {want})"
    );
    error_body(&text)?;
    Ok(())
}

pub async fn unknown_session(t: &Target) -> Result<()> {
    let body = serde_json::json!({
        "session_id": B64.encode([7u8; 16]),
        "sealed": B64.encode([0u8; hush_wire::consts::SEALED_REQUEST_LEN]),
    })
    .to_string();
    expect(t, "POST", "/v1/broker/query", &body, 401).await
}

pub async fn not_found(t: &Target) -> Result<()> {
    expect(t, "GET", "/v1/no-such-thing", "", 404).await
}

pub async fn wrong_method(t: &Target) -> Result<()> {
    expect(t, "GET", "/v1/broker/query", "", 405).await
}

//! The handshake and the published evidence.

use crate::{Raw, Target};
use anyhow::{Result, ensure};
use hush_client::session::Handshake;
use hush_wire::consts::HANDSHAKE_INIT_LEN;

/// The most evidence a handshake may carry (PROTOCOL section 1).
const MAX_EVIDENCE: usize = 60 * 1024;

pub async fn handshake(t: &Target) -> Result<()> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    let hs = Handshake::start()?;
    let r = raw.handshake_raw(hs.message.clone()).await?;
    ensure!(
        r.session_id.len() == 16,
        "the session id is {} bytes",
        r.session_id.len()
    );
    // finish() reads epoch | evidence, verifies the evidence under the
    // policy and checks that it binds the static key the handshake showed.
    let s = hs.finish(
        hush_wire::SessionId::from_bytes(&r.session_id)?,
        &r.message,
        &t.policy,
    )?;
    let len = s.evidence().encode().len();
    ensure!(
        len <= MAX_EVIDENCE,
        "the evidence is {len} bytes (at most {MAX_EVIDENCE})"
    );
    Ok(())
}

pub async fn evidence(t: &Target) -> Result<()> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    let s = raw.session().await?;
    let published = raw.evidence().await?;
    ensure!(
        published.noise_static_key == s.server_key(),
        "GetEvidence names another static key than the handshake"
    );
    ensure!(
        published.epoch == s.epoch(),
        "GetEvidence says epoch {}, the handshake {}",
        published.epoch,
        s.epoch()
    );
    let e = hush_attest::Evidence::decode(&published.evidence)?;
    ensure!(
        e.report_data == s.evidence().report_data && e.format == s.evidence().format,
        "GetEvidence's evidence is not the handshake's"
    );
    Ok(())
}

pub async fn bad_handshakes(t: &Target) -> Result<()> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    // A right-length message whose ML-KEM-768 key has every coefficient
    // at 4,095 (at or above q = 3,329: FIPS 203's modulus check).
    let mut malformed_kem = vec![0u8; HANDSHAKE_INIT_LEN];
    malformed_kem[32..32 + 1152].fill(0xff);
    for bad in [
        vec![],
        vec![0u8; 31],
        vec![0u8; 32],
        vec![0u8; HANDSHAKE_INIT_LEN - 1],
        vec![0u8; 4096],
        malformed_kem,
    ] {
        let n = bad.len();
        match raw.handshake_raw(bad).await {
            Err(e) if e.code() == tonic::Code::InvalidArgument => {}
            Err(e) => anyhow::bail!(
                "a {n}-byte first message: {:?} (want INVALID_ARGUMENT)",
                e.code()
            ),
            Ok(_) => anyhow::bail!("a bad {n}-byte first message was answered"),
        }
    }
    Ok(())
}

//! Sealed frames (PROTOCOL section 1.2): sizes, authentication, replay and
//! the nonce window, unknown sessions, and the answer's shape.

use crate::{Raw, Target};
use anyhow::{Result, bail, ensure};
use hush_client::Identity;
use hush_client::session::ClientSession;
use hush_wire::consts::{AEAD_TAG_LEN, NONCE_LEN, RESPONSE_LEN, SEALED_REQUEST_LEN};
use hush_wire::{Op, Request, RequestRecord};
use tonic::Code;

/// A session with one proven key, and a list request's record for it.
async fn ready(t: &Target) -> Result<(Raw, ClientSession, RequestRecord)> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    let s = raw.session().await?;
    let me = Identity::generate("me");
    raw.prove_ok(&s, &[&me.keypair()]).await?;
    let list = RequestRecord::encode(&Request {
        acting_as: me.public(),
        op: Op::List,
    });
    Ok((raw, s, list))
}

/// Sends `frame`; `Ok(true)` if answered, `Ok(false)` if refused with
/// INVALID_ARGUMENT, an error otherwise.
async fn accepted(raw: &mut Raw, s: &ClientSession, frame: Vec<u8>) -> Result<bool> {
    match raw.query(s, frame).await {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Code::InvalidArgument => Ok(false),
        Err(e) => bail!(
            "{:?}: {} (want an answer or INVALID_ARGUMENT)",
            e.code(),
            e.message()
        ),
    }
}

pub async fn replay(t: &Target) -> Result<()> {
    let (mut raw, s, list) = ready(t).await?;
    let (_, frame) = s.seal_request(&list);
    ensure!(
        accepted(&mut raw, &s, frame.clone()).await?,
        "a fresh frame was refused"
    );
    ensure!(
        !accepted(&mut raw, &s, frame).await?,
        "a replayed frame was answered"
    );
    Ok(())
}

pub async fn window(t: &Target) -> Result<()> {
    let (mut raw, s, list) = ready(t).await?;
    // Frames under nonces 1..=200 (the key proof took 0), sent out of order.
    let frames: Vec<Vec<u8>> = (0..200).map(|_| s.seal_request(&list).1).collect();
    let at = |n: u64| frames[(n - 1) as usize].clone();
    for (nonce, want, why) in [
        (200, true, "the highest so far"),
        (73, true, "127 below the highest"),
        (72, false, "128 below the highest"),
        (73, false, "seen already"),
        (199, true, "unseen, just below the highest"),
    ] {
        let got = accepted(&mut raw, &s, at(nonce)).await?;
        ensure!(
            got == want,
            "nonce {nonce} ({why}) was {}",
            if got { "accepted" } else { "refused" }
        );
    }
    Ok(())
}

pub async fn nonce_max(t: &Target) -> Result<()> {
    let (mut raw, s, list) = ready(t).await?;
    // The highest nonce with a ciphertext of the right size: refused
    // whatever the ciphertext (no client can seal under it).
    let (_, mut frame) = s.seal_request(&list);
    frame[..NONCE_LEN].copy_from_slice(&u64::MAX.to_le_bytes());
    ensure!(
        !accepted(&mut raw, &s, frame).await?,
        "nonce 2^64-1 was answered"
    );
    Ok(())
}

pub async fn tampered(t: &Target) -> Result<()> {
    let (mut raw, s, list) = ready(t).await?;
    let (_, mut frame) = s.seal_request(&list);
    frame[NONCE_LEN + 100] ^= 1;
    ensure!(
        !accepted(&mut raw, &s, frame).await?,
        "a tampered frame was answered"
    );
    let (_, good) = s.seal_request(&list);
    ensure!(
        accepted(&mut raw, &s, good).await?,
        "the session stopped working after a tampered frame"
    );
    Ok(())
}

pub async fn sizes(t: &Target) -> Result<()> {
    let (mut raw, s, _) = ready(t).await?;
    for len in [0, 7, SEALED_REQUEST_LEN - 1, SEALED_REQUEST_LEN + 1] {
        ensure!(
            !accepted(&mut raw, &s, vec![1u8; len]).await?,
            "a {len}-byte frame was answered"
        );
    }
    Ok(())
}

pub async fn unknown_session(t: &Target) -> Result<()> {
    let (mut raw, s, list) = ready(t).await?;
    let (_, frame) = s.seal_request(&list);
    match raw.query_as(&[7u8; 16], frame.clone()).await {
        Err(e) if e.code() == Code::Unauthenticated => {}
        other => bail!(
            "an unknown session id: {:?} (want UNAUTHENTICATED)",
            other.map(|_| "answered").map_err(|e| e.code())
        ),
    }
    match raw.query_as(&[1, 2, 3], frame).await {
        Err(e) if e.code() == Code::InvalidArgument => Ok(()),
        other => bail!(
            "a 3-byte session id: {:?} (want INVALID_ARGUMENT)",
            other.map(|_| "answered").map_err(|e| e.code())
        ),
    }
}

pub async fn response_shape(t: &Target) -> Result<()> {
    let (mut raw, s, list) = ready(t).await?;
    let (nonce, frame) = s.seal_request(&list);
    let answer = raw.query(&s, frame).await?;
    let want = NONCE_LEN + RESPONSE_LEN + AEAD_TAG_LEN;
    ensure!(
        answer.len() == want,
        "the answer is {} bytes (want {want})",
        answer.len()
    );
    ensure!(
        answer[..NONCE_LEN] == nonce.to_le_bytes(),
        "the answer carries another nonce than its request's"
    );
    // Opens under k2 with that nonce (open_response checks both).
    s.open_response(nonce, &answer)?;
    Ok(())
}

//! Key proofs (PROTOCOL section 1.3): all or nothing, at most four keys,
//! malformed before invalid.

use crate::{Raw, Target};
use anyhow::{Result, bail, ensure};
use hush_client::Identity;
use hush_wire::consts::KEY_PROOF_REQUEST_LEN;
use hush_wire::{FixedCodec, KeyProofRequest, KeyProofStatus, Op, Request, Status};

fn people(n: usize) -> Vec<Identity> {
    (0..n)
        .map(|i| Identity::generate(&format!("p{i}")))
        .collect()
}

pub async fn genuine(t: &Target) -> Result<()> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    let s = raw.session().await?;
    let [a] = people(1).try_into().expect("one");
    let r = raw.prove_ok(&s, &[&a.keypair()]).await?;
    ensure!(
        r.keys_proven == 1,
        "keys proven {} after one key",
        r.keys_proven
    );
    let r = raw.prove_ok(&s, &[&a.keypair()]).await?;
    ensure!(
        r.keys_proven == 1,
        "keys proven {} after the same key twice",
        r.keys_proven
    );
    let listed = raw
        .request(
            &s,
            &Request {
                acting_as: a.public(),
                op: Op::List,
            },
        )
        .await?;
    ensure!(
        listed.status == Status::Ok,
        "a proven key's list: {:?}",
        listed.status
    );
    Ok(())
}

pub async fn all_or_nothing(t: &Target) -> Result<()> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    let s = raw.session().await?;
    let other = raw.session().await?;
    let [a, b] = people(2).try_into().expect("two");
    // a's proof is genuine; b's signs another session's hash.
    let request = KeyProofRequest {
        proofs: vec![s.key_proof(&a.keypair()), other.key_proof(&b.keypair())],
    };
    let r = raw.prove_plain(&s, &request.encode()).await?;
    ensure!(
        r.status == KeyProofStatus::InvalidProof,
        "answered {:?} (want invalid proof)",
        r.status
    );
    let listed = raw
        .request(
            &s,
            &Request {
                acting_as: a.public(),
                op: Op::List,
            },
        )
        .await?;
    ensure!(
        listed.status == Status::KeyNotProven,
        "the genuine key of a refused request was added (its list: {:?})",
        listed.status
    );
    Ok(())
}

pub async fn malformed(t: &Target) -> Result<()> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    let s = raw.session().await?;
    let [a] = people(1).try_into().expect("one");
    let one = KeyProofRequest {
        proofs: vec![s.key_proof(&a.keypair())],
    }
    .encode();
    let mut zero_count = one.clone();
    zero_count[0] = 0;
    let mut five = one.clone();
    five[0] = 5;
    let mut stray = one.clone();
    stray[KEY_PROOF_REQUEST_LEN - 1] = 1;
    // Malformed wins over invalid: a bad signature in a bad layout.
    let mut both = stray.clone();
    both[40] ^= 1;
    for (what, plain) in [
        ("count 0", zero_count),
        ("count 5", five),
        ("a nonzero unused slot", stray),
        ("a bad layout and signature", both),
    ] {
        let r = raw.prove_plain(&s, &plain).await?;
        ensure!(
            r.status == KeyProofStatus::Malformed,
            "{what}: {:?} (want malformed)",
            r.status
        );
    }
    Ok(())
}

pub async fn limit(t: &Target) -> Result<()> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    let s = raw.session().await?;
    let p = people(5);
    let four: Vec<_> = p[..4].iter().map(|i| i.keypair()).collect();
    let r = raw.prove_ok(&s, &four.iter().collect::<Vec<_>>()).await?;
    ensure!(
        r.keys_proven == 4,
        "keys proven {} after four",
        r.keys_proven
    );
    let (nonce, sealed) = s.seal_key_proofs(&[&p[4].keypair()]);
    let r = s.open_key_proof_response(nonce, &raw.prove(&s, sealed).await?)?;
    ensure!(
        r.status == KeyProofStatus::TooManyKeys && r.keys_proven == 4,
        "a fifth key: {:?}, {} proven (want too many, 4)",
        r.status,
        r.keys_proven
    );
    let r = raw.prove_ok(&s, &[&four[0]]).await?;
    ensure!(
        r.keys_proven == 4,
        "proving one of the four again: {} proven",
        r.keys_proven
    );
    Ok(())
}

pub async fn wrong_size(t: &Target) -> Result<()> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    let s = raw.session().await?;
    match raw.prove(&s, vec![0u8; 10]).await {
        Err(e) if e.code() == tonic::Code::InvalidArgument => Ok(()),
        Err(e) => bail!("{:?} (want INVALID_ARGUMENT)", e.code()),
        Ok(_) => bail!("a 10-byte key-proof frame was answered"),
    }
}

//! `hush-bench handshake`: what the hybrid (post-quantum) session
//! handshake costs against the classical one it replaced (issue 37).
//!
//! Both patterns run the same way, in one process, alternating rounds so
//! drift cancels out: the client writes message 1, the enclave's side reads
//! it and writes message 2 carrying the same payload (the epoch and dev
//! evidence, as hushd sends), the client reads it; each side then enters
//! transport mode. Times are per side, so the enclave's share (what a
//! handshake costs the server) is apart from the client's. Attestation
//! checks are the same work for both patterns and are left out.
//!
//! - classical: `Noise_NX_25519_ChaChaPoly_BLAKE2s` (snow's own resolver,
//!   what hush ran before);
//! - hybrid: `Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s` (hush-noise).

use anyhow::{Result, ensure};
use clap::Parser;
use std::time::{Duration, Instant};

/// Arguments.
#[derive(Parser, Clone)]
pub struct HandshakeArgs {
    /// Handshakes per round and pattern.
    #[arg(long, default_value_t = 2000)]
    handshakes: usize,
    /// Rounds (medians are over rounds).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

/// The pattern hush ran before the hybrid one.
const CLASSICAL: &str = "Noise_NX_25519_ChaChaPoly_BLAKE2s";

#[derive(Clone, Copy, PartialEq)]
enum Pattern {
    Classical,
    Hybrid,
}

impl Pattern {
    fn builder(self) -> snow::Builder<'static> {
        match self {
            Pattern::Classical => snow::Builder::new(CLASSICAL.parse().expect("a pattern")),
            Pattern::Hybrid => hush_noise::builder(hush_noise::SESSION),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Pattern::Classical => "classical NX (X25519)",
            Pattern::Hybrid => "hybrid NXhfs (X25519 + ML-KEM-768)",
        }
    }
}

/// One round's totals.
#[derive(Default, Clone, Copy)]
struct Round {
    client_start: Duration,
    enclave: Duration,
    client_finish: Duration,
    m1: usize,
    m2: usize,
}

fn round(pattern: Pattern, n: usize, payload: &[u8], static_key: &[u8]) -> Result<Round> {
    let mut r = Round::default();
    let (mut m1, mut m2, mut scratch) = (vec![0u8; 65_535], vec![0u8; 65_535], vec![0u8; 65_535]);
    for _ in 0..n {
        let t = Instant::now();
        let mut client = pattern.builder().build_initiator()?;
        let l1 = client.write_message(&[], &mut m1)?;
        r.client_start += t.elapsed();

        let t = Instant::now();
        let mut enclave = pattern
            .builder()
            .local_private_key(static_key)?
            .build_responder()?;
        enclave.read_message(&m1[..l1], &mut scratch)?;
        let l2 = enclave.write_message(payload, &mut m2)?;
        let enclave = enclave.into_stateless_transport_mode()?;
        r.enclave += t.elapsed();

        let t = Instant::now();
        let got = client.read_message(&m2[..l2], &mut scratch)?;
        let client = client.into_stateless_transport_mode()?;
        r.client_finish += t.elapsed();

        ensure!(got == payload.len(), "the payload came through");
        std::hint::black_box((client, enclave));
        (r.m1, r.m2) = (l1, l2);
    }
    Ok(r)
}

/// ML-KEM-768's three operations alone (as `hush-noise` runs them), in
/// microseconds each: key generation, encapsulation, decapsulation.
fn mlkem_ops(n: usize) -> (f64, f64, f64) {
    use hush_noise::mlkem::{CIPHERTEXT_LEN, MlKem};
    use snow::resolvers::{CryptoResolver, DefaultResolver};
    use snow::types::Kem;
    let (mut keygen, mut encaps, mut decaps) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut ss, mut ct) = ([0u8; 32], vec![0u8; CIPHERTEXT_LEN]);
    let server = MlKem::new();
    for _ in 0..n {
        let t = Instant::now();
        let mut client = MlKem::new();
        client.generate(&mut *DefaultResolver.resolve_rng().expect("snow's random source"));
        keygen += t.elapsed();
        let t = Instant::now();
        server
            .encapsulate(client.pubkey(), &mut ss, &mut ct)
            .expect("a valid key");
        encaps += t.elapsed();
        let t = Instant::now();
        client
            .decapsulate(&ct, &mut ss)
            .expect("a right-size ciphertext");
        decaps += t.elapsed();
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    (us(keygen), us(encaps), us(decaps))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the comparison and prints a table.
pub fn run(a: HandshakeArgs) -> Result<()> {
    let kp = hush_noise::builder(hush_noise::SESSION).generate_keypair()?;
    let public: [u8; 32] = kp.public.as_slice().try_into()?;
    let mut payload = hush_attest::epoch_of(&public).to_le_bytes().to_vec();
    payload.extend(hush_attest::dev::produce(&public).encode());
    let patterns = [Pattern::Classical, Pattern::Hybrid];
    let mut rounds: Vec<Vec<Round>> = vec![Vec::new(); 2];
    let mut kem: Vec<(f64, f64, f64)> = Vec::new();
    // One unmeasured round of each first (caches, allocator).
    for p in patterns {
        round(p, a.handshakes.min(100), &payload, &kp.private)?;
    }
    for i in 0..a.rounds {
        // Alternate which goes first.
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for j in order {
            rounds[j].push(round(patterns[j], a.handshakes, &payload, &kp.private)?);
        }
        kem.push(mlkem_ops(a.handshakes));
    }
    let per = |rs: &[Round], f: fn(&Round) -> Duration| {
        median(
            rs.iter()
                .map(|r| f(r).as_secs_f64() * 1e6 / a.handshakes as f64)
                .collect(),
        )
    };
    println!(
        "handshakes: {} per round, {} rounds, medians over rounds (payload {} bytes: epoch and dev evidence)",
        a.handshakes,
        a.rounds,
        payload.len()
    );
    println!(
        "{:<38} {:>9} {:>9} {:>12} {:>12} {:>13} {:>10}",
        "pattern", "msg 1 B", "msg 2 B", "client us", "enclave us", "handshake/s", "total us"
    );
    let mut totals = Vec::new();
    for (j, p) in patterns.iter().enumerate() {
        let rs = &rounds[j];
        let client = per(rs, |r| r.client_start) + per(rs, |r| r.client_finish);
        let enclave = per(rs, |r| r.enclave);
        let total = median(
            rs.iter()
                .map(|r| {
                    (r.client_start + r.enclave + r.client_finish).as_secs_f64() * 1e6
                        / a.handshakes as f64
                })
                .collect(),
        );
        totals.push((client, enclave, total));
        println!(
            "{:<38} {:>9} {:>9} {:>12.1} {:>12.1} {:>13.0} {:>10.1}",
            p.name(),
            rs[0].m1,
            rs[0].m2,
            client,
            enclave,
            1e6 / enclave,
            total
        );
    }
    let (c0, e0, t0) = totals[0];
    let (c1, e1, t1) = totals[1];
    println!(
        "hybrid / classical: client {:.2}x, enclave {:.2}x, total {:.2}x",
        c1 / c0,
        e1 / e0,
        t1 / t0
    );
    println!(
        "ML-KEM-768 alone (hush-noise on libcrux-ml-kem), us: key generation {:.1} (client), encapsulation {:.1} (enclave), decapsulation {:.1} (client)",
        median(kem.iter().map(|k| k.0).collect()),
        median(kem.iter().map(|k| k.1).collect()),
        median(kem.iter().map(|k| k.2).collect())
    );
    Ok(())
}

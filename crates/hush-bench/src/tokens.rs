//! `hush-bench tokens`: what requiring tokens costs (issue 34). Two
//! enclaves in one process, one requiring tokens and one not, the same
//! broker creates through each (sealed, opened, executed: the whole
//! in-enclave path), alternating rounds so drift cancels out. With tokens
//! on, the session redeems a token whenever a create answers NO_TOKENS, so
//! the figure includes the redemptions, amortised over `credits_per_token`
//! creates. Also: one redemption alone, and the enclave's memory with one
//! and with two issuer keys' spent sets against none.
//!
//! Tokens are minted here with a test issuer key: an RSA-PSS signature of
//! the token input, which is what a blind signature unblinds to (the
//! enclave cannot tell, and need not).

use anyhow::{Result, bail};
use clap::Parser;
use hush_client::Identity;
use hush_client::session::{ClientSession, Handshake};
use hush_enclave::{
    AttestationMode, BlobConfig, EnclaveApi, EnclaveConfig, InProcessEnclave, IssuerKey, ServiceId,
    StoreConfig, TokenConfig,
};
use hush_wire::tokens::{
    TOKEN_RESPONSE_LEN, TOKEN_TYPE_BLIND_RSA, Token, TokenChallenge, TokenKind, TokenRequest,
    TokenResponse, TokenStatus,
};
use hush_wire::{
    FixedCodec, MessageId, Op, Payload, Request, RequestRecord, ResponseRecord, Status,
};
use rsa::pkcs8::EncodePublicKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use sha2::{Digest, Sha256, Sha384};
use std::time::Instant;

/// Arguments.
#[derive(Parser, Clone)]
pub struct TokensArgs {
    /// Store capacity, as a power of two.
    #[arg(long, default_value_t = 16)]
    log2: u32,
    /// Creates per round and enclave.
    #[arg(long, default_value_t = 5000)]
    creates: usize,
    /// Rounds (medians are over rounds).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Make the enclave that requires tokens first.
    #[arg(long)]
    on_first: bool,
    /// Credits one token is worth.
    #[arg(long, default_value_t = hush_enclave::services::tokens::DEFAULT_CREDITS_PER_TOKEN)]
    credits_per_token: u32,
    /// Tokens the directory of the enclave requiring tokens issues per
    /// account per day (0: none; 32: the packaged configuration), so its
    /// token records carry the issuance's work too.
    #[arg(long, default_value_t = 32)]
    directory_tokens_per_day: u32,
    /// Directory accounts of the replicas whose memory is measured (the
    /// directory's spent sets are sized for two days of every account's
    /// tokens, at most `spent_tokens_per_key`).
    #[arg(long, default_value_t = 65536)]
    accounts: u32,
}

/// A test issuer: mints type-2 tokens for hush's challenge.
struct Issuer {
    signer: rsa::pss::SigningKey<Sha384>,
    spki: Vec<u8>,
    key_id: [u8; 32],
    challenge_digest: [u8; 32],
}

impl Issuer {
    fn new(challenge: &TokenChallenge) -> Result<Self> {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)?;
        let spki = private.to_public_key().to_public_key_der()?.into_vec();
        Ok(Self {
            key_id: Sha256::digest(&spki).into(),
            challenge_digest: Sha256::digest(challenge.to_bytes()).into(),
            signer: rsa::pss::SigningKey::<Sha384>::new_with_salt_len(private, 48),
            spki,
        })
    }

    fn mint(&self) -> Token {
        let nonce: [u8; 32] = rand::random();
        let mut input = Vec::with_capacity(98);
        input.extend_from_slice(&TOKEN_TYPE_BLIND_RSA.to_be_bytes());
        input.extend_from_slice(&nonce);
        input.extend_from_slice(&self.challenge_digest);
        input.extend_from_slice(&self.key_id);
        let sig = self
            .signer
            .sign_with_rng(&mut rsa::rand_core::OsRng, &input)
            .to_bytes();
        Token {
            kind: TokenKind::BlindRsa,
            nonce,
            challenge_digest: self.challenge_digest,
            key_id: self.key_id,
            authenticator: sig.to_vec(),
        }
    }
}

fn enclave(log2: u32, tokens: TokenConfig) -> Result<InProcessEnclave> {
    Ok(InProcessEnclave::start(
        config(log2, 16, tokens)?,
        1_800_000_000,
    )?)
}

/// The resident memory a replica of this configuration gains when it
/// installs a snapshot (every array written whole), KiB.
fn installed_kib(log2: u32, accounts: u32, tokens: TokenConfig) -> Result<i64> {
    let secret = hush_enclave::cluster::ClusterSecret::generate();
    let source = InProcessEnclave::start_replica(
        config(log2, accounts, tokens.clone())?,
        1_800_000_000,
        &secret,
    )?;
    let sealed = source.snapshot()?.sealed;
    drop(source);
    let before = rss_kib()?;
    let target =
        InProcessEnclave::start_replica(config(log2, accounts, tokens)?, 1_800_000_000, &secret)?;
    target.install_snapshot(&sealed)?;
    let grown = rss_kib()? - before;
    drop(target);
    Ok(grown)
}

fn config(log2: u32, accounts: u32, tokens: TokenConfig) -> Result<EnclaveConfig> {
    Ok(EnclaveConfig {
        store: StoreConfig::new(1 << log2, 86_400)?,
        directory: hush_enclave::DirectoryConfig::new(accounts)?,
        rendezvous: hush_enclave::RendezvousConfig::new(16).map_err(anyhow::Error::msg)?,
        blobs: BlobConfig::new(16, 86_400),
        max_sessions: 8,
        session_idle_secs: 86_400,
        attestation: AttestationMode::Dev,
        collateral: None,
        peer_policy: None,
        tokens,
        delivery: None,
    })
}

fn session(e: &InProcessEnclave, who: &Identity) -> Result<ClientSession> {
    let hs = Handshake::start()?;
    let reply = e.handshake(&hs.message)?;
    let s = hs.finish(reply.session, &reply.message, &hush_attest::Policy::dev())?;
    let kp = who.keypair();
    let (_, sealed) = s.seal_key_proofs(&[&kp]);
    e.prove_keys(&s.id(), &sealed)?;
    Ok(s)
}

fn redeem(e: &InProcessEnclave, s: &ClientSession, token: &Token) -> Result<TokenResponse> {
    let (nonce, sealed) = s.seal_bytes(&TokenRequest::Redeem(token.clone()).encode());
    let answer = e.call(ServiceId::Tokens, &s.id(), &sealed)?;
    Ok(TokenResponse::decode(&s.open_bytes(
        nonce,
        &answer,
        TOKEN_RESPONSE_LEN,
    )?)?)
}

fn create(e: &InProcessEnclave, s: &ClientSession, request: &Request) -> Result<Status> {
    let (nonce, sealed) = s.seal_bytes(RequestRecord::encode(request).as_bytes());
    let answer = e.call(ServiceId::Broker, &s.id(), &sealed)?;
    let plain = s.open_bytes(nonce, &answer, hush_wire::consts::RESPONSE_LEN)?;
    Ok(ResponseRecord::from_bytes(&plain)?.decode()?.status)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs the benchmark and prints Markdown tables.
pub fn run(args: TokensArgs) -> Result<()> {
    let challenge = TokenChallenge {
        kind: TokenKind::BlindRsa,
        issuer_name: "issuer.bench.test".into(),
        origin: hush_enclave::services::tokens::DEFAULT_ORIGIN.into(),
    };
    let issuer = Issuer::new(&challenge)?;
    let on_config = TokenConfig {
        require: true,
        issuer_name: challenge.issuer_name.clone(),
        origin: challenge.origin.clone(),
        keys: vec![IssuerKey::from_spki_der(&issuer.spki)?],
        credits_per_token: args.credits_per_token,
        directory_tokens_per_day: args.directory_tokens_per_day,
        ..TokenConfig::default()
    };
    // Which enclave is made first is a flag: the first gets its memory
    // first, which this VM shows as a few percent (BENCHMARKS.md).
    let (off, on) = if args.on_first {
        let on = enclave(args.log2, on_config.clone())?;
        (enclave(args.log2, TokenConfig::default())?, on)
    } else {
        let off = enclave(args.log2, TokenConfig::default())?;
        (off, enclave(args.log2, on_config.clone())?)
    };
    // Memory: a replica's resident memory once a snapshot is installed in
    // it (which writes every block of every array, as a full spent set
    // would), for no key, one key and two keys.
    let two_keys = TokenConfig {
        keys: vec![
            IssuerKey::from_spki_der(&issuer.spki)?,
            IssuerKey::from_spki_der(&Issuer::new(&challenge)?.spki)?,
        ],
        ..on_config.clone()
    };
    let one_key = TokenConfig {
        directory_tokens_per_day: 0,
        ..on_config.clone()
    };
    let two_keys = TokenConfig {
        directory_tokens_per_day: 0,
        ..two_keys
    };
    let directory_only = TokenConfig {
        keys: Vec::new(),
        issuer_name: String::new(),
        directory_tokens_per_day: args.directory_tokens_per_day.max(8),
        ..on_config.clone()
    };
    let resident = [
        installed_kib(args.log2, args.accounts, TokenConfig::default())?,
        installed_kib(args.log2, args.accounts, one_key)?,
        installed_kib(args.log2, args.accounts, two_keys)?,
        installed_kib(args.log2, args.accounts, directory_only.clone())?,
    ];
    let issuance = directory_costs(&issuer, &directory_only, args.rounds.max(5) * 10)?;
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let (s_off, s_on) = (session(&off, &alice)?, session(&on, &alice)?);
    // Enough tokens for every round, minted before timing.
    let per_round = args.creates.div_ceil(args.credits_per_token as usize) + 1;
    let mut stock: Vec<Token> = (0..per_round * (args.rounds + 1))
        .map(|_| issuer.mint())
        .collect();
    let requests: Vec<Request> = (0..args.creates)
        .map(|i| {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            Request {
                acting_as: alice.public(),
                op: Op::Create {
                    id: MessageId::new(id).expect("non-zero"),
                    recipient: bob.public(),
                    payload: Payload::frame(b"benchmark").expect("fits"),
                },
            }
        })
        .collect();
    let (mut t_off, mut t_on, mut t_redeem) = (Vec::new(), Vec::new(), Vec::new());
    let mut redeemed = 0usize;
    // Round 0 warms both enclaves (their trees are mapped lazily) and is
    // not counted; then the order alternates round by round.
    for round in 0..=args.rounds {
        let mut off_s = 0f64;
        let mut on_s = 0f64;
        let mut redeem_time = 0f64;
        let redeemed_before = redeemed;
        for pass in 0..2 {
            if (pass + round) % 2 == 0 {
                let t = Instant::now();
                for r in &requests {
                    create(&off, &s_off, r)?;
                }
                off_s = t.elapsed().as_secs_f64();
                continue;
            }
            let t = Instant::now();
            for r in &requests {
                if create(&on, &s_on, r)? == Status::NoTokens {
                    let token = stock.pop().expect("minted enough");
                    let tr = Instant::now();
                    let a = redeem(&on, &s_on, &token)?;
                    redeem_time += tr.elapsed().as_secs_f64();
                    redeemed += 1;
                    if a.status != TokenStatus::Ok {
                        bail!("a minted token was refused: {}", a.status);
                    }
                    if create(&on, &s_on, r)? == Status::NoTokens {
                        bail!("a create still had no credit after a redemption");
                    }
                }
            }
            on_s = t.elapsed().as_secs_f64();
        }
        if round > 0 {
            t_off.push(off_s / args.creates as f64);
            t_on.push(on_s / args.creates as f64);
            t_redeem.push(redeem_time / (redeemed - redeemed_before).max(1) as f64);
        }
    }
    let (off_us, on_us) = (median(t_off) * 1e6, median(t_on) * 1e6);
    let redeem_us = median(t_redeem) * 1e6;
    println!(
        "broker creates at 2^{}, {} per round, median of {} rounds; {} tokens redeemed in all",
        args.log2, args.creates, args.rounds, redeemed
    );
    println!();
    println!("| tokens | µs per create (redemptions included) | against off |");
    println!("|---|---|---|");
    println!("| off | {off_us:.1} | 1.00x |");
    println!(
        "| required, {} credits a token | {on_us:.1} | {:.3}x |",
        args.credits_per_token,
        on_us / off_us
    );
    println!();
    println!("one redemption (one key, through the session): {redeem_us:.0} µs");
    println!();
    println!(
        "| replica (store 2^{}, spent sets of {} tokens a key), every block written | resident | the spent sets' share |",
        args.log2,
        hush_enclave::services::tokens::DEFAULT_SPENT_PER_KEY
    );
    println!("|---|---|---|");
    let mib = |k: i64| k as f64 / 1024.0;
    println!("| tokens off | {:.1} MiB | |", mib(resident[0]));
    println!(
        "| one issuer key | {:.1} MiB | {:.1} MiB |",
        mib(resident[1]),
        mib(resident[1] - resident[0])
    );
    println!(
        "| two issuer keys (a rotation) | {:.1} MiB | {:.1} MiB |",
        mib(resident[2]),
        mib(resident[2] - resident[0])
    );
    println!(
        "| the directory's tokens ({} a day, {} accounts): two days' sets | {:.1} MiB | {:.1} MiB |",
        directory_only.directory_tokens_per_day,
        args.accounts,
        mib(resident[3]),
        mib(resident[3] - resident[0])
    );
    println!();
    println!(
        "| the directory's tokens, in the token service alone (median of {}) | µs |",
        issuance.rounds
    );
    println!("|---|---|");
    println!(
        "| client: blind a batch of {} | {:.0} |",
        hush_wire::tokens::TOKENS_PER_ISSUE,
        issuance.blind_us
    );
    println!(
        "| enclave: issue a batch of {} (every token record does this work) | {:.0} |",
        hush_wire::tokens::TOKENS_PER_ISSUE,
        issuance.issue_us
    );
    println!(
        "| client: check the proof, finalize {} tokens | {:.0} |",
        hush_wire::tokens::TOKENS_PER_ISSUE,
        issuance.finish_us
    );
    println!(
        "| enclave: redeem a type-5 token (directory) | {:.0} |",
        issuance.redeem_voprf_us
    );
    println!(
        "| enclave: redeem a type-2 token (external issuer; the directory issuing too) | {:.0} |",
        issuance.redeem_rsa_us
    );
    Ok(())
}

/// The directory's tokens' costs, measured on the token service alone.
struct Issuance {
    rounds: usize,
    blind_us: f64,
    issue_us: f64,
    finish_us: f64,
    redeem_voprf_us: f64,
    redeem_rsa_us: f64,
}

fn directory_costs(issuer: &Issuer, directory: &TokenConfig, rounds: usize) -> Result<Issuance> {
    use hush_client::token_issuance::PendingIssue;
    use hush_enclave::services::tokens::{CreditCounts, Credits, Tokens};
    use hush_wire::tokens::IssueRequest;
    let with_rsa = TokenConfig {
        keys: vec![IssuerKey::from_spki_der(&issuer.spki)?],
        issuer_name: "issuer.bench.test".into(),
        ..directory.clone()
    };
    let mut t = Tokens::new(with_rsa, &hush_enclave::oram::DefaultFactory);
    let now = 1_800_000_000;
    let credits = Credits::new(CreditCounts {
        allowed: u32::MAX,
        ..CreditCounts::default()
    });
    let probe = TokenRequest::Issue(IssueRequest {
        key_id: [0; 32],
        blinded: [[0; 32]; hush_wire::tokens::TOKENS_PER_ISSUE],
    });
    let answer = TokenResponse::decode(&t.handle(&probe.encode(), &credits, now))?;
    let key = answer
        .key
        .ok_or_else(|| anyhow::anyhow!("the directory issues no tokens"))?;
    let (mut blind, mut issue, mut finish, mut voprf, mut rsa) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut tokens = Vec::new();
    for _ in 0..rounds {
        let t0 = Instant::now();
        let (pending, request) = PendingIssue::new(key);
        blind.push(t0.elapsed().as_secs_f64());
        let record = TokenRequest::Issue(request).encode();
        let t0 = Instant::now();
        let answer = t.handle(&record, &credits, now);
        issue.push(t0.elapsed().as_secs_f64());
        let issued = TokenResponse::decode(&answer)?
            .issued
            .ok_or_else(|| anyhow::anyhow!("nothing issued"))?;
        let t0 = Instant::now();
        let batch = pending.finish(&issued)?;
        finish.push(t0.elapsed().as_secs_f64());
        tokens.extend(batch);
    }
    for token in tokens.iter().take(rounds) {
        let record = TokenRequest::Redeem(token.clone()).encode();
        let t0 = Instant::now();
        let a = TokenResponse::decode(&t.handle(&record, &credits, now))?;
        voprf.push(t0.elapsed().as_secs_f64());
        if a.status != TokenStatus::Ok {
            bail!("a directory token was refused: {}", a.status);
        }
        let record = TokenRequest::Redeem(issuer.mint()).encode();
        let t0 = Instant::now();
        let a = TokenResponse::decode(&t.handle(&record, &credits, now))?;
        rsa.push(t0.elapsed().as_secs_f64());
        if a.status != TokenStatus::Ok {
            bail!("a minted token was refused: {}", a.status);
        }
    }
    Ok(Issuance {
        rounds,
        blind_us: median(blind) * 1e6,
        issue_us: median(issue) * 1e6,
        finish_us: median(finish) * 1e6,
        redeem_voprf_us: median(voprf) * 1e6,
        redeem_rsa_us: median(rsa) * 1e6,
    })
}

/// This process's resident memory (VmRSS), KiB.
fn rss_kib() -> Result<i64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/self/status"))
}

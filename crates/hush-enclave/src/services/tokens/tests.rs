//! The token service against tokens issued by an implementation hush did
//! not write: Cloudflare's @cloudflare/privacypass-ts 0.8.1 (Apache-2.0),
//! run by `tests/data/privacypass/generate.mjs`, whose output is committed
//! as `cloudflare-tokens.json` (a fresh issuer key, four tokens of it, and
//! one token of a second key of the same issuer).

use super::*;
use crate::oram::{DefaultFactory, RecordingFactory};
use hush_wire::FixedCodec;
use hush_wire::tokens::{TOKEN_LEN, TokenResponse};

/// The fixture's fields (`crate::fixtures`).
struct Fixture {
    issuer_name: String,
    origin: String,
    challenge: Vec<u8>,
    public_key: Vec<u8>,
    tokens: Vec<Vec<u8>>,
    rotated_public_key: Vec<u8>,
    rotated_tokens: Vec<Vec<u8>>,
}

fn fixture() -> Fixture {
    use crate::fixtures::{privacypass, privacypass_bytes};
    let one = |n: &str| privacypass_bytes(n).remove(0);
    Fixture {
        issuer_name: privacypass("issuer_name").remove(0),
        origin: privacypass("origin").remove(0),
        challenge: one("challenge"),
        public_key: one("public_key"),
        tokens: privacypass_bytes("tokens"),
        rotated_public_key: one("rotated_public_key"),
        rotated_tokens: privacypass_bytes("rotated_tokens"),
    }
}

fn config(f: &Fixture, keys: &[&[u8]]) -> TokenConfig {
    TokenConfig {
        require: true,
        issuer_name: f.issuer_name.clone(),
        origin: f.origin.clone(),
        keys: keys
            .iter()
            .map(|k| IssuerKey::from_spki_der(k).expect("the issuer's key"))
            .collect(),
        credits_per_token: 5,
        spent_per_key: 64,
        ..TokenConfig::default()
    }
}

fn record(token: &[u8]) -> Vec<u8> {
    let mut r = vec![0u8; TOKEN_REQUEST_LEN];
    r[..token.len()].copy_from_slice(token);
    r
}

fn redeem(t: &mut Tokens, token: &[u8], credits: &Credits) -> TokenResponse {
    TokenResponse::decode(&t.redeem(&record(token), credits)).expect("a well-formed answer")
}

#[test]
fn the_challenge_is_the_one_the_issuer_signed_for() {
    let f = fixture();
    let c = config(&f, &[&f.public_key]);
    assert_eq!(c.challenge().to_bytes(), f.challenge);
    assert_eq!(f.tokens.len(), 4);
    assert!(f.tokens.iter().all(|t| t.len() == TOKEN_LEN));
}

#[test]
fn tokens_of_an_independent_issuer_redeem_once() {
    let f = fixture();
    let mut t = Tokens::new(config(&f, &[&f.public_key]), &DefaultFactory);
    let credits = Credits::default();
    for (i, token) in f.tokens.iter().enumerate() {
        let a = redeem(&mut t, token, &credits);
        assert_eq!(a.status, TokenStatus::Ok, "token {i}");
        assert_eq!(a.credits, 5 * (i as u32 + 1));
        assert_eq!(a.credits_per_token, 5);
    }
    // A second redemption, in this session or another, is refused and
    // grants nothing.
    let other = Credits::default();
    for token in &f.tokens {
        assert_eq!(redeem(&mut t, token, &other).status, TokenStatus::Spent);
    }
    assert_eq!(other.left(), 0);
    assert_eq!(credits.left(), 20);
}

#[test]
fn keys_rotate_and_only_configured_keys_count() {
    let f = fixture();
    let credits = Credits::default();
    // Only the first key: the second key's token is not trusted.
    let mut t = Tokens::new(config(&f, &[&f.public_key]), &DefaultFactory);
    assert_eq!(
        redeem(&mut t, &f.rotated_tokens[0], &credits).status,
        TokenStatus::Invalid
    );
    // Both (a rotation in progress): both keys' tokens count.
    let mut t = Tokens::new(
        config(&f, &[&f.rotated_public_key, &f.public_key]),
        &DefaultFactory,
    );
    assert_eq!(
        redeem(&mut t, &f.rotated_tokens[0], &credits).status,
        TokenStatus::Ok
    );
    assert_eq!(
        redeem(&mut t, &f.tokens[0], &credits).status,
        TokenStatus::Ok
    );
    assert_eq!(
        redeem(&mut t, &f.rotated_tokens[0], &credits).status,
        TokenStatus::Spent
    );
    assert_eq!(credits.left(), 10);
}

#[test]
fn forged_and_foreign_tokens_are_refused() {
    let f = fixture();
    let credits = Credits::default();
    let mut t = Tokens::new(config(&f, &[&f.public_key]), &DefaultFactory);
    let good = &f.tokens[0];
    // Any bit of the signed input or the signature.
    for at in [2, 40, 70, TOKEN_INPUT_LEN, TOKEN_LEN - 1] {
        let mut bad = good.clone();
        bad[at] ^= 1;
        assert_eq!(
            redeem(&mut t, &bad, &credits).status,
            TokenStatus::Invalid,
            "byte {at}"
        );
    }
    // Another token type, and bytes after the token.
    let mut bad = good.clone();
    bad[1] = 1;
    assert_eq!(
        redeem(&mut t, &bad, &credits).status,
        TokenStatus::InvalidRequest
    );
    let mut r = record(good);
    r[TOKEN_LEN] = 1;
    let a = TokenResponse::decode(&t.redeem(&r, &credits)).unwrap();
    assert_eq!(a.status, TokenStatus::InvalidRequest);
    // Tokens for another origin of the same issuer.
    let mut other = config(&f, &[&f.public_key]);
    other.origin = "elsewhere".into();
    let mut t2 = Tokens::new(other, &DefaultFactory);
    assert_eq!(redeem(&mut t2, good, &credits).status, TokenStatus::Invalid);
    assert_eq!(credits.left(), 0, "nothing refused granted anything");
    // The good token still redeems: refusals recorded nothing.
    assert_eq!(redeem(&mut t, good, &credits).status, TokenStatus::Ok);
}

#[test]
fn a_full_spent_set_refuses_without_granting() {
    let f = fixture();
    let mut c = config(&f, &[&f.public_key]);
    c.spent_per_key = 2;
    let mut t = Tokens::new(c, &DefaultFactory);
    let credits = Credits::default();
    assert_eq!(
        redeem(&mut t, &f.tokens[0], &credits).status,
        TokenStatus::Ok
    );
    assert_eq!(
        redeem(&mut t, &f.tokens[1], &credits).status,
        TokenStatus::Ok
    );
    assert_eq!(
        redeem(&mut t, &f.tokens[2], &credits).status,
        TokenStatus::Full
    );
    assert_eq!(
        redeem(&mut t, &f.tokens[0], &credits).status,
        TokenStatus::Spent
    );
    assert_eq!(credits.left(), 10);
}

/// What the host sees of a redemption (every oblivious access, in order,
/// and the answer's length) is the same for a good token, a spent one, a
/// forged one, one of the other key, and garbage.
#[test]
fn every_redemption_looks_the_same_to_the_host() {
    let f = fixture();
    let factory = RecordingFactory::new(DefaultFactory);
    let transcript = factory.transcript();
    let mut t = Tokens::new(
        config(&f, &[&f.public_key, &f.rotated_public_key]),
        &factory,
    );
    transcript.take();
    let credits = Credits::default();
    let mut forged = f.tokens[1].clone();
    forged[TOKEN_LEN - 1] ^= 1;
    let cases: [(&str, Vec<u8>); 6] = [
        ("good", f.tokens[0].clone()),
        ("spent", f.tokens[0].clone()),
        ("forged", forged),
        ("other key", f.rotated_tokens[0].clone()),
        ("garbage", vec![0xee; TOKEN_LEN]),
        ("empty", Vec::new()),
    ];
    let mut seen = Vec::new();
    for (name, token) in &cases {
        let answer = t.redeem(&record(token), &credits);
        seen.push((*name, transcript.take(), answer.len()));
    }
    let first = &seen[0];
    assert_eq!(first.1.len(), 2, "one access per key's spent map");
    for s in &seen[1..] {
        assert_eq!((&s.1, s.2), (&first.1, first.2), "{} against good", s.0);
    }
}

#[test]
fn configurations_that_cannot_work_are_refused() {
    let f = fixture();
    let mut c = config(&f, &[]);
    assert_eq!(c.validate(), Err(TokenConfigError::NoKeys));
    c.require = false;
    assert_eq!(
        c.validate(),
        Ok(()),
        "no keys, nothing required: the dev default"
    );
    let c = config(&f, &[&f.public_key, &f.public_key]);
    assert!(matches!(
        c.validate(),
        Err(TokenConfigError::DuplicateKey(_))
    ));
    let c = config(&f, &[&f.public_key, &f.rotated_public_key, &f.public_key]);
    assert_eq!(c.validate(), Err(TokenConfigError::TooManyKeys(3)));
    let mut c = config(&f, &[&f.public_key]);
    c.issuer_name.clear();
    assert_eq!(c.validate(), Err(TokenConfigError::NoIssuerName));
    let mut c = config(&f, &[&f.public_key]);
    c.credits_per_token = 0;
    assert_eq!(c.validate(), Err(TokenConfigError::ZeroCredits));
}

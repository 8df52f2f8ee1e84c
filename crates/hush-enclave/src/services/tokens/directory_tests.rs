//! The directory's own tokens (type 5): issued blindly against a session's
//! allowance, a batch at a time, redeemed once, for two epochs of the key;
//! what the host sees of it; and what the issuer cannot match. The client
//! side is hush-client's (`token_issuance`), as a real client runs it.

use super::*;
use crate::oram::{DefaultFactory, RecordingFactory};
use hush_client::token_issuance::PendingIssue;
use hush_wire::FixedCodec;
use hush_wire::tokens::{IssueRequest, Token, TokenRequest, TokenResponse};
use sha2::Sha512;
use voprf::{Group, Ristretto255};

const T0: u64 = 1_800_000_000;

fn config() -> TokenConfig {
    TokenConfig {
        require: true,
        credits_per_token: 5,
        spent_per_key: 64,
        directory_tokens_per_day: 32,
        ..TokenConfig::default()
    }
}

fn call(t: &mut Tokens, r: &TokenRequest, c: &Credits, now: u64) -> TokenResponse {
    TokenResponse::decode(&t.handle(&r.encode(), c, now)).expect("a well-formed answer")
}

/// An issuance for no key: answered with the current key, issuing nothing.
fn probe() -> TokenRequest {
    TokenRequest::Issue(IssueRequest {
        key_id: [0; 32],
        blinded: [[0; 32]; TOKENS_PER_ISSUE],
    })
}

/// Has a batch issued to a session with an allowance, as the client does.
fn issue(t: &mut Tokens, c: &Credits, now: u64) -> Vec<Token> {
    let key = call(t, &probe(), c, now).key.expect("the directory's key");
    let (pending, request) = PendingIssue::new(key);
    let a = call(t, &TokenRequest::Issue(request), c, now);
    assert_eq!(a.status, TokenStatus::Ok);
    pending
        .finish(a.issued.as_ref().expect("issued"))
        .expect("the proof holds")
}

fn redeem(t: &mut Tokens, token: &Token, c: &Credits, now: u64) -> TokenStatus {
    call(t, &TokenRequest::Redeem(token.clone()), c, now).status
}

#[test]
fn directory_tokens_are_issued_against_an_allowance_and_redeem_once() {
    let mut t = Tokens::new(config(), &DefaultFactory);
    let session = Credits::default();
    let p = call(&mut t, &probe(), &session, T0);
    assert_eq!(p.status, TokenStatus::KeyChanged);
    assert!(p.key.is_some() && p.issued.is_none());

    // The right key but no allowance from the directory: nothing.
    let (_, request) = PendingIssue::new(p.key.unwrap());
    let a = call(&mut t, &TokenRequest::Issue(request), &session, T0);
    assert_eq!((a.status, a.issued), (TokenStatus::NoAllowance, None));

    // The directory allows a batch, and no more.
    session.allow(Choice::from(1), TOKENS_PER_ISSUE as u32);
    let tokens = issue(&mut t, &session, T0);
    assert_eq!(tokens.len(), TOKENS_PER_ISSUE);
    assert_eq!(session.allowance(), 0);
    let (_, again) = PendingIssue::new(p.key.unwrap());
    let a = call(&mut t, &TokenRequest::Issue(again), &session, T0);
    assert_eq!(a.status, TokenStatus::NoAllowance);

    // Redeemed in another session (as they would be): each once.
    let writer = Credits::default();
    for (i, token) in tokens.iter().enumerate() {
        assert_eq!(redeem(&mut t, token, &writer, T0), TokenStatus::Ok, "{i}");
        assert_eq!(writer.left(), 5 * (i as u32 + 1));
    }
    for token in &tokens {
        assert_eq!(redeem(&mut t, token, &writer, T0), TokenStatus::Spent);
    }
    let mut forged = tokens[0].clone();
    forged.authenticator[0] ^= 1;
    forged.nonce = [7; 32];
    assert_eq!(redeem(&mut t, &forged, &writer, T0), TokenStatus::Invalid);
    let mut moved = tokens[1].clone();
    moved.nonce[0] ^= 1;
    assert_eq!(redeem(&mut t, &moved, &writer, T0), TokenStatus::Invalid);
    assert_eq!(
        writer.left(),
        5 * TOKENS_PER_ISSUE as u32,
        "refusals granted nothing"
    );
    assert_eq!(session.left(), 0, "issuance grants no credits");
}

#[test]
fn directory_tokens_live_two_epochs_and_old_spent_sets_go() {
    let mut t = Tokens::new(config(), &DefaultFactory);
    let session = Credits::default();
    session.allow(Choice::from(1), 2 * TOKENS_PER_ISSUE as u32);
    let tokens = issue(&mut t, &session, T0);
    let old_key = call(&mut t, &probe(), &session, T0).key.unwrap();
    let writer = Credits::default();
    let next = T0 + EPOCH_SECS;
    assert_eq!(redeem(&mut t, &tokens[0], &writer, next), TokenStatus::Ok);
    assert_eq!(
        redeem(&mut t, &tokens[0], &writer, next),
        TokenStatus::Spent
    );
    let later = T0 + 2 * EPOCH_SECS;
    assert_eq!(
        redeem(&mut t, &tokens[1], &writer, later),
        TokenStatus::Invalid,
        "two epochs on, the key is gone"
    );
    let p = call(&mut t, &probe(), &session, later);
    assert_ne!(p.key.unwrap(), old_key, "a new epoch, a new key");
    // A batch built for the old key is not issued and costs nothing.
    let (_, stale) = PendingIssue::new(old_key);
    let a = call(&mut t, &TokenRequest::Issue(stale), &session, later);
    assert_eq!(a.status, TokenStatus::KeyChanged);
    assert_eq!(a.key, p.key, "the answer names the current key");
    assert_eq!(session.allowance(), TOKENS_PER_ISSUE as u32);
    let fresh = issue(&mut t, &session, later);
    assert_eq!(redeem(&mut t, &fresh[0], &writer, later), TokenStatus::Ok);
    // The cleared epoch's set counts from zero again.
    let counts: Vec<u32> = t.epochs.iter().map(|e| e.count).collect();
    assert!(counts.contains(&1) && counts.contains(&0), "{counts:?}");
}

#[test]
fn without_directory_issuance_nothing_is_issued() {
    let mut t = Tokens::new(
        TokenConfig {
            directory_tokens_per_day: 0,
            ..config()
        },
        &DefaultFactory,
    );
    let session = Credits::default();
    session.allow(Choice::from(1), 8);
    let p = call(&mut t, &probe(), &session, T0);
    assert_eq!(
        (p.status, p.key, p.issued),
        (TokenStatus::KeyChanged, None, None)
    );
}

/// What the host sees of a token record (every oblivious access, in
/// order, and the answer's length) is the same for an issuance that goes
/// through, one without an allowance, one for a stale key, a redemption of
/// a directory token, a spent one, and garbage.
#[test]
fn issuance_and_redemption_look_the_same_to_the_host() {
    let factory = RecordingFactory::new(DefaultFactory);
    let transcript = factory.transcript();
    let mut t = Tokens::new(config(), &factory);
    t.rotate(T0);
    transcript.take();
    let session = Credits::default();
    let key = call(&mut t, &probe(), &session, T0).key.unwrap();
    transcript.take();
    session.allow(Choice::from(1), TOKENS_PER_ISSUE as u32);
    let (pending, ok) = PendingIssue::new(key);
    let mut seen = Vec::new();
    let mut run = |name: &'static str, record: Vec<u8>, t: &mut Tokens| {
        let answer = t.handle(&record, &session, T0);
        seen.push((name, transcript.take(), answer.len()));
        answer
    };
    let answer = run("issue", TokenRequest::Issue(ok).encode(), &mut t);
    let tokens = pending
        .finish(
            TokenResponse::decode(&answer)
                .unwrap()
                .issued
                .as_ref()
                .unwrap(),
        )
        .unwrap();
    let (_, none_left) = PendingIssue::new(key);
    run(
        "no allowance",
        TokenRequest::Issue(none_left).encode(),
        &mut t,
    );
    run("stale key", probe().encode(), &mut t);
    let good = TokenRequest::Redeem(tokens[0].clone()).encode();
    run("redeem", good.clone(), &mut t);
    run("spent", good, &mut t);
    run("garbage", vec![0xee; TOKEN_REQUEST_LEN], &mut t);
    let first = &seen[0];
    assert_eq!(first.1.len(), 2, "one access per epoch's spent map");
    for s in &seen[1..] {
        assert_eq!((&s.1, s.2), (&first.1, first.2), "{} against issue", s.0);
    }
}

/// RFC 9497's Finalize: what a token's authenticator is, given the
/// unblinded element.
fn finalize(input: &[u8], element: &[u8]) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update((input.len() as u16).to_be_bytes());
    h.update(input);
    h.update((element.len() as u16).to_be_bytes());
    h.update(element);
    h.update(b"Finalize");
    h.finalize().into()
}

/// The issuer (the enclave, or whoever took its key) records everything
/// it sees when it issues: the blinded elements and what it answered. It
/// then sees the tokens redeemed, and tries what it can without the
/// clients' blinds: every element it saw, taken as a token's unblinded
/// element, and every token's bytes, looked for in what it saw. Nothing
/// matches. The same attack does match a client that does not blind (the
/// control: it shows the attack would find a link if there were one).
#[test]
fn the_issuer_cannot_match_issuances_to_redemptions() {
    let mut t = Tokens::new(config(), &DefaultFactory);
    let key = call(&mut t, &probe(), &Credits::default(), T0).key.unwrap();
    let mut view: Vec<Vec<u8>> = Vec::new();
    let mut elements: Vec<[u8; 32]> = vec![key];
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let client = Credits::default();
        client.allow(Choice::from(1), TOKENS_PER_ISSUE as u32);
        let (pending, request) = PendingIssue::new(key);
        let record = TokenRequest::Issue(request).encode();
        let answer = t.handle(&record, &client, T0);
        let issued = TokenResponse::decode(&answer).unwrap().issued.unwrap();
        let TokenRequest::Issue(request) = TokenRequest::decode(&record).unwrap() else {
            unreachable!()
        };
        elements.extend(request.blinded);
        elements.extend(issued.evaluated);
        tokens.extend(pending.finish(&issued).unwrap());
        view.push(record);
        view.push(answer.to_vec());
    }
    assert_eq!(elements.len(), 1 + 2 * 3 * TOKENS_PER_ISSUE);
    for token in &tokens {
        let input = token.input();
        for e in &elements {
            assert_ne!(finalize(&input, &e[..])[..], token.authenticator[..]);
        }
        for v in &view {
            for w in token.nonce.windows(8).chain(token.authenticator.windows(8)) {
                assert!(!v.windows(8).any(|x| x == w), "token bytes in the view");
            }
        }
    }

    // The control: a client that sends H(input) unblinded is found.
    let input = tokens[0].input();
    let dst: [&[u8]; 5] = [
        b"HashToGroup-",
        b"OPRFV1-",
        &[1],
        b"-",
        b"ristretto255-SHA512",
    ];
    let h = <Ristretto255 as Group>::hash_to_curve::<Sha512>(&[&input], &dst).unwrap();
    let mut naive = [[0u8; 32]; TOKENS_PER_ISSUE];
    for e in naive.iter_mut() {
        e.copy_from_slice(&<Ristretto255 as Group>::serialize_elem(h));
    }
    let client = Credits::default();
    client.allow(Choice::from(1), TOKENS_PER_ISSUE as u32);
    let record = TokenRequest::Issue(IssueRequest {
        key_id: hush_client::token_issuance::key_id(&key),
        blinded: naive,
    });
    let answer = call(&mut t, &record, &client, T0);
    let evaluated = answer.issued.unwrap().evaluated[0];
    let authenticator = finalize(&input, &evaluated);
    assert!(
        t.epoch_keys
            .iter()
            .flatten()
            .any(|k| bool::from(k.check(&input, &authenticator))),
        "unblinded, the evaluated element is the token's"
    );
}

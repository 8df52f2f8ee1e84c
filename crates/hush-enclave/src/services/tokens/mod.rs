//! The token service: a session redeems Privacy Pass tokens (RFC 9578
//! type 2, blind RSA) for credits, and writes spend them when the enclave
//! requires tokens (`require_tokens`): a message create, an attachment
//! upload, a computation create each cost one credit.
//!
//! Tokens are issued blindly by an issuer that authenticates its users its
//! own way (the app's operator, or hush's directory): the issuer sees
//! blinded messages, the enclave sees unblinded tokens, and nothing links
//! the two. The enclave trusts at most [`MAX_ISSUER_KEYS`] issuer keys at
//! once (the current one and the one before), and remembers the tokens of
//! each key it has seen spent in an oblivious map of its own, so that a
//! token is redeemed once; when the operator rotates the issuer's key, the
//! retired key's map goes with it (the set cannot grow without limit).
//!
//! # What the host sees
//!
//! A redemption is a request to this service, whatever it holds: one
//! signature check per configured key (see [`verify`]), one access to
//! every key's spent map (a real insertion only into the token's key's
//! map, only for a good token), one sealed answer of
//! [`TOKEN_RESPONSE_LEN`] bytes. A good token, a spent one and a forged
//! one cost the same and answer in the same shape. A write refused for
//! want of credits makes the same accesses as one that goes ahead (the
//! services fold the check into their existing authorization). The host
//! learns that a session presented a token, as it learns that it proved a
//! key: never whether it held, whose it was, or how many credits a
//! session has.
//!
//! Credits live with the session (two counters that only grow, so that a
//! replica's answer merges with `fetch_max` as look-ups do) and are lost
//! when it closes; spent tokens are replicated state, so a token spent on
//! one leader stays spent on the next.

mod config;
#[cfg(test)]
mod tests;
pub mod verify;

pub use config::{
    DEFAULT_CREDITS_PER_TOKEN, DEFAULT_ORIGIN, DEFAULT_SPENT_PER_KEY, MAX_ISSUER_KEYS,
    MAX_SPENT_PER_KEY, TokenConfig, TokenConfigError,
};
pub use verify::{IssuerKey, KeyError};

use crate::cluster::snapshot::{Visit, visit_u32};
use crate::oblivious::HASH_KEY_LEN;
use crate::oblivious::ct::{as_u32, eq_bytes, is_zero, lt_u32, sel_u8, sel_u32};
use crate::oblivious::keyed_hash::KeyedHash;
use crate::oblivious::map::{MapOp, ObliviousMap};
use crate::oram::OramFactory;
use hush_wire::tokens::{
    TOKEN_DIGEST_LEN, TOKEN_INPUT_LEN, TOKEN_LEN, TOKEN_REQUEST_LEN, TOKEN_RESPONSE_LEN,
    TOKEN_TYPE_BLIND_RSA, TokenStatus,
};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU32, Ordering};
use subtle::Choice;

/// Bytes of a spent token's keyed digest the map keeps (as the directory:
/// 96 bits make an accidental collision among 2^26 tokens less likely
/// than 2^-45, and the digest is keyed, so nobody can aim for one).
const SPENT_KEY_LEN: usize = 12;
/// Domain of a spent token's keyed digest.
const DOMAIN_SPENT: &[u8] = b"hush.tokens.spent.v1";

/// A session's credits: granted by tokens, used by writes. Both only grow.
#[derive(Debug, Default)]
pub struct Credits {
    granted: AtomicU32,
    used: AtomicU32,
}

impl Credits {
    /// Credits with these counts (a replica's copy of a session's).
    pub fn new(granted: u32, used: u32) -> Self {
        Self {
            granted: AtomicU32::new(granted),
            used: AtomicU32::new(used),
        }
    }

    /// Both counters (granted, used).
    pub fn counts(&self) -> (u32, u32) {
        (
            self.granted.load(Ordering::Relaxed),
            self.used.load(Ordering::Relaxed),
        )
    }

    /// Takes the larger of each counter (a replica's answer).
    pub fn merge(&self, granted: u32, used: u32) {
        self.granted.fetch_max(granted, Ordering::Relaxed);
        self.used.fetch_max(used, Ordering::Relaxed);
    }

    /// Credits left.
    pub fn left(&self) -> u32 {
        let (granted, used) = self.counts();
        granted.saturating_sub(used)
    }

    /// Whether a credit is left (constant time).
    pub(crate) fn has_credit(&self) -> Choice {
        let (granted, used) = self.counts();
        lt_u32(used, granted)
    }

    /// Uses one credit when `c`.
    pub(crate) fn spend(&self, c: Choice) {
        self.used.fetch_add(as_u32(c), Ordering::Relaxed);
    }

    /// Grants `n` credits when `c`.
    pub(crate) fn grant(&self, c: Choice, n: u32) {
        let add = sel_u32(0, n, c);
        let _ = self
            .granted
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |g| {
                Some(g.saturating_add(add))
            });
    }
}

/// One trusted issuer key and the tokens of it seen spent.
struct KeySlot {
    key: IssuerKey,
    spent: ObliviousMap<SPENT_KEY_LEN>,
    /// Tokens recorded (secret: sealed in snapshots, never shown).
    count: u32,
}

/// The trusted token service.
pub struct Tokens {
    config: TokenConfig,
    /// SHA-256 of the challenge tokens must carry.
    challenge_digest: [u8; TOKEN_DIGEST_LEN],
    slots: Vec<KeySlot>,
    hash: KeyedHash,
}

impl Tokens {
    /// A token service whose digests are keyed with `secret` (a replica's
    /// comes from the cluster secret, so every replica agrees).
    pub fn with_secret(
        config: TokenConfig,
        factory: &impl OramFactory,
        secret: [u8; HASH_KEY_LEN],
    ) -> Self {
        let slots = config
            .keys
            .iter()
            .map(|key| KeySlot {
                key: key.clone(),
                spent: ObliviousMap::new(factory, "spent-tokens", config.spent_per_key),
                count: 0,
            })
            .collect();
        Self {
            challenge_digest: Sha256::digest(config.challenge().to_bytes()).into(),
            config,
            slots,
            hash: KeyedHash::new(secret),
        }
    }

    /// A token service with a fresh random secret.
    pub fn new(config: TokenConfig, factory: &impl OramFactory) -> Self {
        let mut secret = [0u8; HASH_KEY_LEN];
        rand::Rng::fill(&mut rand::rng(), &mut secret[..]);
        let t = Self::with_secret(config, factory, secret);
        zeroize::Zeroize::zeroize(&mut secret);
        t
    }

    /// Its configuration.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// Its replicated state, for a snapshot: each key's spent map and count.
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        for slot in &mut self.slots {
            slot.spent.visit(v);
            visit_u32(v, &mut slot.count);
        }
    }

    /// Redeems one request record (exactly [`TOKEN_REQUEST_LEN`] bytes) for
    /// `credits`, with the same work whatever it holds.
    pub fn redeem(&mut self, request: &[u8], credits: &Credits) -> [u8; TOKEN_RESPONSE_LEN] {
        assert_eq!(
            request.len(),
            TOKEN_REQUEST_LEN,
            "the session layer checks the length"
        );
        let input: &[u8; TOKEN_INPUT_LEN] = request[..TOKEN_INPUT_LEN].try_into().expect("length");
        let signature = request[TOKEN_INPUT_LEN..TOKEN_LEN]
            .try_into()
            .expect("length");
        let key_id = &input[66..98];
        let well_formed = eq_bytes(&input[..2], &TOKEN_TYPE_BLIND_RSA.to_be_bytes())
            & is_zero(&request[TOKEN_LEN..]);
        let right_challenge = eq_bytes(&input[34..66], &self.challenge_digest);

        // Every key checks the signature; the token's key id picks which
        // verdict counts.
        let mut which = [Choice::from(0); MAX_ISSUER_KEYS];
        let mut signed = Choice::from(0);
        for (i, slot) in self.slots.iter().enumerate() {
            which[i] = eq_bytes(key_id, slot.key.id());
            signed |= which[i] & slot.key.verify(input, signature);
        }
        let valid = well_formed & right_challenge & signed;

        // Every key's spent map is accessed; only the token's key's takes
        // the token, and only a valid one with room.
        let digest = self.hash.digest(DOMAIN_SPENT, &input[2..34]);
        let spent_key: [u8; SPENT_KEY_LEN] = digest[..SPENT_KEY_LEN].try_into().expect("prefix");
        let mut spent = Choice::from(0);
        let mut inserted = Choice::from(0);
        let mut full = Choice::from(0);
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let mine = which[i] & valid;
            let room = lt_u32(slot.count, self.config.spent_per_key);
            let r = slot.spent.apply(
                &self.hash,
                &spent_key,
                MapOp {
                    insert: mine & room,
                    ..MapOp::get()
                },
            );
            spent |= mine & r.found;
            inserted |= mine & r.inserted;
            // No room by count, or (in all but negligible cases never) in
            // the map's buckets and stash.
            full |= mine & !r.found & !r.inserted;
            slot.count += as_u32(mine & r.inserted);
        }
        credits.grant(inserted, self.config.credits_per_token);

        let mut status = TokenStatus::Ok.code();
        status = sel_u8(status, TokenStatus::Full.code(), full);
        status = sel_u8(status, TokenStatus::Spent.code(), spent);
        status = sel_u8(status, TokenStatus::Invalid.code(), !valid);
        status = sel_u8(status, TokenStatus::InvalidRequest.code(), !well_formed);
        // The layout of hush_wire::tokens::TokenResponse, written without
        // going through the enum (whose parse would branch on the status).
        let mut out = [0u8; TOKEN_RESPONSE_LEN];
        out[0] = status;
        out[4..8].copy_from_slice(&credits.left().to_le_bytes());
        out[8..12].copy_from_slice(&self.config.credits_per_token.to_le_bytes());
        out
    }
}

impl super::TrustedService for Tokens {
    const ID: super::ServiceId = super::ServiceId::Tokens;
    const REQUEST_LEN: usize = TOKEN_REQUEST_LEN;
    const RESPONSE_LEN: usize = TOKEN_RESPONSE_LEN;

    fn execute(&mut self, request: &[u8], caller: &super::Caller<'_>, _now: u64) -> Vec<u8> {
        self.redeem(request, caller.credits).to_vec()
    }

    /// Nothing on the clock: spent sets change only with redemptions and
    /// with the configuration's keys.
    fn tick(&mut self, _now: u64) {}
}

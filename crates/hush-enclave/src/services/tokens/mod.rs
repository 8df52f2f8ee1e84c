//! The token service: a session redeems Privacy Pass tokens (RFC 9578
//! type 2, blind RSA) for credits, and writes spend them when the enclave
//! requires tokens (`require_tokens`): a message create, an attachment
//! upload, a computation create each cost one credit.
//!
//! Tokens are issued blindly, by an issuer that authenticates its users its
//! own way (type 2: the app's operator), or by this service itself for
//! hush's directory (type 5, [`directory_key`]): the directory grants a
//! session of a verified account an allowance of tokens for the day
//! (`DirectoryOp::Tokens`), and this service evaluates the session's
//! blinded elements, [`TOKENS_PER_ISSUE`] at a time. The issuer sees
//! blinded messages, the redeemer sees unblinded tokens, and nothing links
//! the two. The enclave trusts at most [`MAX_ISSUER_KEYS`] issuer keys at
//! once (the current one and the one before), and remembers the tokens of
//! each key it has seen spent in an oblivious map of its own, so that a
//! token is redeemed once; when the operator rotates the issuer's key, the
//! retired key's map goes with it (the set cannot grow without limit).
//!
//! # What the host sees
//!
//! A redemption and an issuance are requests to this service, whatever
//! they hold, and each makes the same work: one signature check per
//! configured key (see [`verify`]), one VOPRF evaluation per directory
//! epoch key, one access to every key's spent map (a real insertion only
//! into the token's key's map, only for a good token), one batch
//! evaluation of [`TOKENS_PER_ISSUE`] elements with its proof (real only
//! for an issuance with an allowance), and one sealed answer of
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
pub mod directory_key;
#[cfg(test)]
mod directory_tests;
#[cfg(test)]
mod tests;
pub mod verify;

pub use config::{
    DEFAULT_CREDITS_PER_TOKEN, DEFAULT_DIRECTORY_TOKENS_PER_DAY, DEFAULT_ORIGIN,
    DEFAULT_SPENT_PER_KEY, MAX_DIRECTORY_TOKENS_PER_DAY, MAX_ISSUER_KEYS, MAX_SPENT_PER_KEY,
    TokenConfig, TokenConfigError,
};
pub use directory_key::{EPOCH_SECS, epoch_of};
pub use verify::{IssuerKey, KeyError};

use crate::cluster::snapshot::{Visit, visit_u32, visit_u64};
use crate::oblivious::HASH_KEY_LEN;
use crate::oblivious::ct::{as_u32, cmov_bytes, eq_bytes, is_zero, lt_u32, sel_u8, sel_u32};
use crate::oblivious::keyed_hash::KeyedHash;
use crate::oblivious::map::{MapOp, ObliviousMap};
use crate::oram::OramFactory;
use directory_key::EpochKey;
use hush_wire::tokens::{
    ELEMENT_LEN, TOKEN_DIGEST_LEN, TOKEN_INPUT_LEN, TOKEN_LEN, TOKEN_RECORD_ISSUE,
    TOKEN_REQUEST_LEN, TOKEN_RESPONSE_LEN, TOKEN_TYPE_BLIND_RSA, TOKEN_TYPE_VOPRF,
    TOKENS_PER_ISSUE, TokenStatus, VOPRF_AUTHENTICATOR_LEN, VOPRF_TOKEN_LEN, issue_offsets,
    response_offsets,
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

/// A session's counters: credits granted by tokens and used by writes,
/// and tokens the directory allowed it and the service issued it. All
/// only grow.
#[derive(Debug, Default)]
pub struct Credits {
    granted: AtomicU32,
    used: AtomicU32,
    allowed: AtomicU32,
    issued: AtomicU32,
}

/// A copy of a session's [`Credits`] (carried in log entries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreditCounts {
    /// Credits granted by redeemed tokens.
    pub granted: u32,
    /// Credits used by writes.
    pub used: u32,
    /// Tokens the directory allowed the session.
    pub allowed: u32,
    /// Tokens issued to the session.
    pub issued: u32,
}

impl Credits {
    /// Credits with these counts (a replica's copy of a session's).
    pub fn new(c: CreditCounts) -> Self {
        Self {
            granted: AtomicU32::new(c.granted),
            used: AtomicU32::new(c.used),
            allowed: AtomicU32::new(c.allowed),
            issued: AtomicU32::new(c.issued),
        }
    }

    /// The counters.
    pub fn counts(&self) -> CreditCounts {
        CreditCounts {
            granted: self.granted.load(Ordering::Relaxed),
            used: self.used.load(Ordering::Relaxed),
            allowed: self.allowed.load(Ordering::Relaxed),
            issued: self.issued.load(Ordering::Relaxed),
        }
    }

    /// Takes the larger of each counter (a replica's answer).
    pub fn merge(&self, c: CreditCounts) {
        self.granted.fetch_max(c.granted, Ordering::Relaxed);
        self.used.fetch_max(c.used, Ordering::Relaxed);
        self.allowed.fetch_max(c.allowed, Ordering::Relaxed);
        self.issued.fetch_max(c.issued, Ordering::Relaxed);
    }

    /// Credits left.
    pub fn left(&self) -> u32 {
        let c = self.counts();
        c.granted.saturating_sub(c.used)
    }

    /// Tokens the session may still be issued.
    pub fn allowance(&self) -> u32 {
        let c = self.counts();
        c.allowed.saturating_sub(c.issued)
    }

    /// Whether a credit is left (constant time).
    pub(crate) fn has_credit(&self) -> Choice {
        let c = self.counts();
        lt_u32(c.used, c.granted)
    }

    /// Uses one credit when `c`.
    pub(crate) fn spend(&self, c: Choice) {
        self.used.fetch_add(as_u32(c), Ordering::Relaxed);
    }

    /// Grants `n` credits when `c`.
    pub(crate) fn grant(&self, c: Choice, n: u32) {
        add_when(&self.granted, c, n);
    }

    /// Allows the session `n` more tokens when `c` (the directory).
    pub(crate) fn allow(&self, c: Choice, n: u32) {
        add_when(&self.allowed, c, n);
    }

    /// Whether a batch may be issued (constant time).
    fn may_issue(&self) -> Choice {
        let c = self.counts();
        !lt_u32(c.allowed.saturating_sub(c.issued), TOKENS_PER_ISSUE as u32)
    }

    /// Records a batch issued when `c`.
    fn issue(&self, c: Choice) {
        add_when(&self.issued, c, TOKENS_PER_ISSUE as u32);
    }
}

fn add_when(counter: &AtomicU32, c: Choice, n: u32) {
    let add = sel_u32(0, n, c);
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |g| {
        Some(g.saturating_add(add))
    });
}

/// One trusted issuer key and the tokens of it seen spent.
struct KeySlot {
    key: IssuerKey,
    spent: ObliviousMap<SPENT_KEY_LEN>,
    /// Tokens recorded (secret: sealed in snapshots, never shown).
    count: u32,
}

/// The spent type-5 tokens of one epoch of the directory's key. Two
/// slots, one per parity of the epoch: the current epoch's and the one
/// before; when the epoch moves on, the slot of the epoch two before is
/// cleared for the next (the set cannot grow without limit).
struct EpochSlot {
    /// Its epoch ([`NO_EPOCH`]: none yet).
    epoch: u64,
    spent: ObliviousMap<SPENT_KEY_LEN>,
    count: u32,
}

/// An epoch slot that holds no epoch.
const NO_EPOCH: u64 = u64::MAX;

/// Bytes of an answer's issued part (the proof and the elements).
const ISSUED_BODY_LEN: usize = response_offsets::END - response_offsets::PROOF;

/// What the redemption half decided.
struct Redemption {
    status: u8,
    /// A valid, new token was recorded in its key's spent map.
    recorded: Choice,
}

/// What the issuance half decided, and what it would show.
struct Issuance {
    status: u8,
    /// A batch is issued (the record is an issuance that holds).
    issuing: Choice,
    /// The current directory key (zero when the directory issues none).
    key: [u8; ELEMENT_LEN],
    /// The proof and the evaluated elements.
    body: [u8; ISSUED_BODY_LEN],
}

/// The trusted token service.
pub struct Tokens {
    config: TokenConfig,
    /// SHA-256 of the challenge external issuers' tokens must carry.
    challenge_digest: [u8; TOKEN_DIGEST_LEN],
    /// SHA-256 of the challenge the directory's tokens carry.
    directory_digest: [u8; TOKEN_DIGEST_LEN],
    slots: Vec<KeySlot>,
    /// The directory's epochs (empty when it issues no tokens).
    epochs: Vec<EpochSlot>,
    /// The epochs' keys, derived from the secret (not replicated state: a
    /// function of it and of the epochs).
    epoch_keys: Vec<Option<EpochKey>>,
    hash: KeyedHash,
    now: u64,
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
        let epochs: Vec<EpochSlot> = if config.directory_issues() {
            (0..2)
                .map(|_| EpochSlot {
                    epoch: NO_EPOCH,
                    spent: ObliviousMap::new(factory, "spent-tokens", config.spent_per_epoch()),
                    count: 0,
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            challenge_digest: Sha256::digest(config.challenge().to_bytes()).into(),
            directory_digest: Sha256::digest(config.directory_challenge().to_bytes()).into(),
            config,
            slots,
            epoch_keys: epochs.iter().map(|_| None).collect(),
            epochs,
            hash: KeyedHash::new(secret),
            now: 0,
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

    /// Its replicated state, for a snapshot: each key's spent map and
    /// count, each epoch's, and the time.
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        for slot in &mut self.slots {
            slot.spent.visit(v);
            visit_u32(v, &mut slot.count);
        }
        for slot in &mut self.epochs {
            visit_u64(v, &mut slot.epoch);
            slot.spent.visit(v);
            visit_u32(v, &mut slot.count);
        }
        visit_u64(v, &mut self.now);
    }

    /// Moves the directory's epochs on to the one of `now` (public: the
    /// time and the epoch length are). A slot whose epoch is neither the
    /// current one nor the one before is cleared for the one it now holds.
    fn rotate(&mut self, now: u64) {
        self.now = self.now.max(now);
        let current = epoch_of(self.now);
        for (parity, slot) in self.epochs.iter_mut().enumerate() {
            let wanted = if current % 2 == parity as u64 {
                current
            } else if current == 0 {
                NO_EPOCH
            } else {
                current - 1
            };
            if slot.epoch != wanted {
                // A slot that never held an epoch holds nothing (tokens
                // are only recorded under a key): no pass needed.
                if slot.epoch != NO_EPOCH {
                    slot.spent.clear();
                }
                slot.count = 0;
                slot.epoch = wanted;
            }
            let key = &mut self.epoch_keys[parity];
            if wanted != NO_EPOCH && key.as_ref().is_none_or(|k| k.epoch != wanted) {
                *key = Some(EpochKey::derive(&self.hash, wanted));
            }
        }
    }

    /// The current epoch's key (None when the directory issues no tokens).
    fn current_key(&self) -> Option<&EpochKey> {
        let current = epoch_of(self.now);
        self.epoch_keys
            .iter()
            .flatten()
            .find(|k| k.epoch == current)
    }

    /// Redeems one request record (exactly [`TOKEN_REQUEST_LEN`] bytes) for
    /// `credits`, or issues a batch of tokens against its allowance, with
    /// the same work whatever it holds.
    pub fn redeem(&mut self, request: &[u8], credits: &Credits) -> [u8; TOKEN_RESPONSE_LEN] {
        self.handle(request, credits, self.now)
    }

    /// [`Self::redeem`] at enclave time `now`.
    pub fn handle(
        &mut self,
        request: &[u8],
        credits: &Credits,
        now: u64,
    ) -> [u8; TOKEN_RESPONSE_LEN] {
        assert_eq!(
            request.len(),
            TOKEN_REQUEST_LEN,
            "the session layer checks the length"
        );
        self.rotate(now);
        // Both halves run for every record; the record's first two bytes
        // pick whose outcome counts.
        let redemption = self.redemption(request);
        let issuance = self.issuance(request, credits);
        let issue_record = eq_bytes(&request[..2], &TOKEN_RECORD_ISSUE.to_be_bytes());
        credits.issue(issuance.issuing);
        credits.grant(
            redemption.recorded & !issue_record,
            self.config.credits_per_token,
        );
        let status = sel_u8(redemption.status, issuance.status, issue_record);
        self.answer(status, credits, &issuance)
    }

    /// The redemption half: the token checked by every key, and every
    /// spent map accessed once (the token recorded in its key's map when
    /// it is valid and new).
    fn redemption(&mut self, request: &[u8]) -> Redemption {
        let input: &[u8; TOKEN_INPUT_LEN] = request[..TOKEN_INPUT_LEN].try_into().expect("length");
        let signature = request[TOKEN_INPUT_LEN..TOKEN_LEN]
            .try_into()
            .expect("length");
        let authenticator: &[u8; VOPRF_AUTHENTICATOR_LEN] = request
            [TOKEN_INPUT_LEN..VOPRF_TOKEN_LEN]
            .try_into()
            .expect("length");
        let key_id = &input[66..98];
        let rsa = eq_bytes(&input[..2], &TOKEN_TYPE_BLIND_RSA.to_be_bytes());
        let voprf = eq_bytes(&input[..2], &TOKEN_TYPE_VOPRF.to_be_bytes());
        let well_formed =
            (rsa & is_zero(&request[TOKEN_LEN..])) | (voprf & is_zero(&request[VOPRF_TOKEN_LEN..]));
        let mut expected_digest = self.challenge_digest;
        cmov_bytes(&mut expected_digest, &self.directory_digest, voprf);
        let right_challenge = eq_bytes(&input[34..66], &expected_digest);

        // Every key checks the token; the token's type and key id pick
        // which verdict counts.
        let mut which = [Choice::from(0); MAX_ISSUER_KEYS];
        let mut signed = Choice::from(0);
        for (i, slot) in self.slots.iter().enumerate() {
            which[i] = rsa & eq_bytes(key_id, slot.key.id());
            signed |= which[i] & slot.key.verify(input, signature);
        }
        let mut which_epoch = [Choice::from(0); 2];
        for (i, key) in self.epoch_keys.iter().enumerate() {
            if let Some(key) = key {
                which_epoch[i] = voprf & eq_bytes(key_id, &key.id);
                signed |= which_epoch[i] & key.check(input, authenticator);
            }
        }
        let valid = well_formed & right_challenge & signed;

        // Every spent map is accessed; only the token's key's takes the
        // token, and only a valid one with room.
        let digest = self.hash.digest(DOMAIN_SPENT, &input[2..34]);
        let spent_key: [u8; SPENT_KEY_LEN] = digest[..SPENT_KEY_LEN].try_into().expect("prefix");
        let mut spent = Choice::from(0);
        let mut recorded = Choice::from(0);
        let mut full = Choice::from(0);
        let (key_limit, epoch_limit) = (self.config.spent_per_key, self.config.spent_per_epoch());
        let maps = self
            .slots
            .iter_mut()
            .zip(which)
            .map(|(s, w)| (&mut s.spent, &mut s.count, w, key_limit))
            .chain(
                self.epochs
                    .iter_mut()
                    .zip(which_epoch)
                    .map(|(s, w)| (&mut s.spent, &mut s.count, w, epoch_limit)),
            );
        for (map, count, which, limit) in maps {
            let mine = which & valid;
            let room = lt_u32(*count, limit);
            let r = map.apply(
                &self.hash,
                &spent_key,
                MapOp {
                    insert: mine & room,
                    ..MapOp::get()
                },
            );
            spent |= mine & r.found;
            recorded |= mine & r.inserted;
            // No room by count, or (in all but negligible cases never) in
            // the map's buckets and stash.
            full |= mine & !r.found & !r.inserted;
            *count += as_u32(mine & r.inserted);
        }

        let mut status = TokenStatus::Ok.code();
        status = sel_u8(status, TokenStatus::Full.code(), full);
        status = sel_u8(status, TokenStatus::Spent.code(), spent);
        status = sel_u8(status, TokenStatus::Invalid.code(), !valid);
        status = sel_u8(status, TokenStatus::InvalidRequest.code(), !well_formed);
        Redemption { status, recorded }
    }

    /// The issuance half: the current key evaluates the record's elements
    /// every time; the result counts only for an issuance record with the
    /// current key's id and an allowance.
    fn issuance(&self, request: &[u8], credits: &Credits) -> Issuance {
        let shape = eq_bytes(&request[..2], &TOKEN_RECORD_ISSUE.to_be_bytes())
            & is_zero(&request[2..issue_offsets::KEY_ID])
            & is_zero(&request[issue_offsets::END..]);
        let mut out = Issuance {
            status: 0,
            issuing: Choice::from(0),
            key: [0u8; ELEMENT_LEN],
            body: [0u8; ISSUED_BODY_LEN],
        };
        let (mut elements_ok, mut right_key) = (Choice::from(0), Choice::from(0));
        if let Some(key) = self.current_key() {
            let (evaluated, proof, ok) =
                key.issue(&request[issue_offsets::BLINDED..issue_offsets::END]);
            elements_ok = ok;
            right_key = eq_bytes(
                &request[issue_offsets::KEY_ID..issue_offsets::BLINDED],
                &key.id,
            );
            out.key = key.public;
            use response_offsets as at;
            out.body[..at::EVALUATED - at::PROOF].copy_from_slice(&proof);
            for (i, e) in evaluated.iter().enumerate() {
                let from = at::EVALUATED - at::PROOF + i * ELEMENT_LEN;
                out.body[from..from + ELEMENT_LEN].copy_from_slice(e);
            }
        }
        let allowed = credits.may_issue();
        out.issuing = shape & elements_ok & right_key & allowed;
        let mut status = TokenStatus::Ok.code();
        status = sel_u8(status, TokenStatus::NoAllowance.code(), !allowed);
        status = sel_u8(status, TokenStatus::KeyChanged.code(), !right_key);
        status = sel_u8(
            status,
            TokenStatus::InvalidRequest.code(),
            !shape | (right_key & !elements_ok),
        );
        out.status = status;
        out
    }

    /// The answer: the layout of `hush_wire::tokens::TokenResponse`,
    /// written without going through its types (whose parse would
    /// branch); the proof and elements only when a batch was issued.
    fn answer(
        &self,
        status: u8,
        credits: &Credits,
        issuance: &Issuance,
    ) -> [u8; TOKEN_RESPONSE_LEN] {
        use response_offsets as at;
        let mut out = [0u8; TOKEN_RESPONSE_LEN];
        out[at::STATUS] = status;
        out[at::ISSUED] = sel_u8(0, TOKENS_PER_ISSUE as u8, issuance.issuing);
        out[at::CREDITS..at::CREDITS + 4].copy_from_slice(&credits.left().to_le_bytes());
        out[at::CREDITS_PER_TOKEN..at::CREDITS_PER_TOKEN + 4]
            .copy_from_slice(&self.config.credits_per_token.to_le_bytes());
        out[at::ALLOWANCE..at::ALLOWANCE + 4].copy_from_slice(&credits.allowance().to_le_bytes());
        out[at::KEY..at::PROOF].copy_from_slice(&issuance.key);
        let mut shown = [0u8; ISSUED_BODY_LEN];
        cmov_bytes(&mut shown, &issuance.body, issuance.issuing);
        out[at::PROOF..at::END].copy_from_slice(&shown);
        out
    }
}

impl super::TrustedService for Tokens {
    const ID: super::ServiceId = super::ServiceId::Tokens;
    const REQUEST_LEN: usize = TOKEN_REQUEST_LEN;
    const RESPONSE_LEN: usize = TOKEN_RESPONSE_LEN;

    fn execute(&mut self, request: &[u8], caller: &super::Caller<'_>, now: u64) -> Vec<u8> {
        self.handle(request, caller.credits, now).to_vec()
    }

    /// On the clock: the directory's key epochs move on (a public
    /// schedule; a new epoch clears the spent set of the one two before).
    fn tick(&mut self, now: u64) {
        self.rotate(now);
    }
}

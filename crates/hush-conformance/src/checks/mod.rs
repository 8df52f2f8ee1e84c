//! The checks, one rule each, grouped by what they exercise.

mod broker;
mod frames;
mod http;
mod key_proofs;
mod session;

use crate::Target;
use std::future::Future;
use std::pin::Pin;

/// What a check returns: `Err` says what the server did instead.
pub type Checked<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + 'a>>;

/// One check.
pub struct Check {
    /// Its stable name.
    pub name: &'static str,
    /// The rule, in a few words.
    pub rule: &'static str,
    /// Runs it.
    pub run: for<'a> fn(&'a Target) -> Checked<'a>,
}

macro_rules! check {
    ($name:literal, $rule:literal, $f:path) => {
        Check {
            name: $name,
            rule: $rule,
            run: |t| Box::pin($f(t)),
        }
    };
}

/// Every check, in the order run.
pub const ALL: &[Check] = &[
    check!(
        "handshake",
        "NXhfs message 2 carries the epoch and evidence binding the static key; a 16-byte session id",
        session::handshake
    ),
    check!(
        "evidence",
        "GetEvidence publishes the handshake's key, epoch and evidence",
        session::evidence
    ),
    check!(
        "bad-handshakes",
        "a first message of the wrong length (a classical 32-byte NX one too) or with a malformed ML-KEM key is INVALID_ARGUMENT",
        session::bad_handshakes
    ),
    check!(
        "key-proof",
        "a genuine proof is ok; proving a key again does not count twice",
        key_proofs::genuine
    ),
    check!(
        "key-proof-all-or-nothing",
        "one bad signature refuses the whole request and adds no key",
        key_proofs::all_or_nothing
    ),
    check!(
        "key-proof-malformed",
        "count 0 or 5, or a nonzero unused slot, is malformed (3) before any signature",
        key_proofs::malformed
    ),
    check!(
        "key-proof-limit",
        "a fifth key is too many (2) and the four stay",
        key_proofs::limit
    ),
    check!(
        "key-proof-size",
        "a key-proof frame of the wrong size is INVALID_ARGUMENT",
        key_proofs::wrong_size
    ),
    check!("replay", "a frame is accepted once", frames::replay),
    check!(
        "nonce-window",
        "below the highest nonce, only the last 127 unseen ones are accepted",
        frames::window
    ),
    check!(
        "nonce-max",
        "nonce 2^64-1 is never accepted",
        frames::nonce_max
    ),
    check!(
        "tampered-frame",
        "a changed ciphertext is INVALID_ARGUMENT, and the session goes on",
        frames::tampered
    ),
    check!(
        "frame-sizes",
        "a request frame is exactly 1048 bytes",
        frames::sizes
    ),
    check!(
        "unknown-session",
        "an unknown session id is UNAUTHENTICATED, a malformed one INVALID_ARGUMENT",
        frames::unknown_session
    ),
    check!(
        "response-shape",
        "an answer is 2048 bytes sealed under the request's nonce in the other direction",
        frames::response_shape
    ),
    check!(
        "unproven-key",
        "acting as a key the session did not prove is status 7",
        broker::unproven_key
    ),
    check!(
        "invalid-request",
        "an unknown op or an all-zero key is status 6",
        broker::invalid_request
    ),
    check!(
        "store-read-delete",
        "create, read back exactly, already exists, delete, not found",
        broker::store_read_delete
    ),
    check!(
        "mailbox-capacity",
        "62 messages fit a mailbox, the 63rd is mailbox full; the listing is oldest first",
        broker::capacity
    ),
    check!(
        "http-unknown-session",
        "HTTP: an unknown session is 401 with a JSON {code, error}",
        http::unknown_session
    ),
    check!(
        "http-not-found",
        "HTTP: an unknown path is 404 with a JSON {code, error}",
        http::not_found
    ),
    check!(
        "http-wrong-method",
        "HTTP: a GET of a POST route is 405 with a JSON {code, error}",
        http::wrong_method
    ),
];

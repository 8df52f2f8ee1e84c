//! The bounded session table.
//!
//! At most `max_sessions` sessions. A session idle for longer than the idle
//! timeout (by the enclave's clock) expires. When a new handshake finds the
//! table full:
//!
//! - if at least half the table is half-open (no key-proof request made
//!   yet), the oldest half-open session goes: a flood of handshakes
//!   displaces only itself, never a session that went on to prove keys;
//! - otherwise the least recently used session that never presented a
//!   token goes, whatever else it did: sessions that proved keys and were
//!   then abandoned cannot lock new clients out (a newcomer's session is
//!   the most recently used one), and clients arriving together do not
//!   evict each other;
//! - and only when every session presented a token, the least recently
//!   used one. With `require_tokens`, whoever writes has presented a
//!   token, and tokens are what a flood lacks: a flood can displace
//!   sessions that never presented one (at most half the table), never one
//!   that did.
//!
//! Every input to the choice is something the host already sees: when each
//! session last sent a frame that opened, and whether it has sent a
//! key-proof frame or a token frame that opened. Whether its proofs or
//! tokens *held* is secret and plays no part (the host would otherwise
//! learn it from who is evicted).

use super::proven_keys::ProvenKeys;
use super::replay::ReplayWindow;
use hush_wire::SessionId;
use snow::StatelessTransportState;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Tie-breaker for sessions last used in the same second.
static NEXT_SESSION: AtomicU64 = AtomicU64::new(0);

/// One session.
pub struct Session {
    /// Transport keys.
    pub transport: StatelessTransportState,
    /// What key proofs sign.
    pub handshake_hash: Vec<u8>,
    /// Keys proven so far.
    pub keys: Mutex<ProvenKeys>,
    /// Nonces seen.
    pub replay: Mutex<ReplayWindow>,
    /// Directory look-ups made (its per-session limit).
    pub lookups: AtomicU32,
    /// Token credits (granted by redeemed tokens, used by writes).
    pub credits: crate::services::Credits,
    last_used: AtomicU64,
    /// A key-proof frame opened (whatever its proofs' fate: public).
    keyed: AtomicBool,
    /// A token frame opened (whatever the token's fate: public).
    tokened: AtomicBool,
    /// Insertion order, to break ties between sessions used in the same second.
    created: u64,
}

impl Session {
    /// A new session, last used at `now`.
    pub fn new(transport: StatelessTransportState, handshake_hash: Vec<u8>, now: u64) -> Self {
        Self {
            transport,
            handshake_hash,
            keys: Mutex::new(ProvenKeys::default()),
            replay: Mutex::new(ReplayWindow::default()),
            lookups: AtomicU32::new(0),
            credits: crate::services::Credits::default(),
            last_used: AtomicU64::new(now),
            keyed: AtomicBool::new(false),
            tokened: AtomicBool::new(false),
            created: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Marks the session used at `now`.
    pub fn touch(&self, now: u64) {
        self.last_used.fetch_max(now, Ordering::Relaxed);
    }

    /// Records that the session sent a key-proof frame that opened. Called
    /// whether or not its proofs held, so eviction cannot tell.
    pub fn mark_keyed(&self) {
        self.keyed.store(true, Ordering::Relaxed);
    }

    /// Records that the session sent a token frame that opened, whatever
    /// the token held.
    pub fn mark_tokened(&self) {
        self.tokened.store(true, Ordering::Relaxed);
    }

    /// Whether the host forwarded a token frame for this session (public:
    /// it did so itself), whatever the tokens held.
    pub fn sent_token(&self) -> bool {
        self.tokened.load(Ordering::Relaxed)
    }

    /// Whether the host forwarded a key-proof frame for this session
    /// (public: it did so itself), whatever the proofs held.
    pub fn sent_key_proof(&self) -> bool {
        self.keyed.load(Ordering::Relaxed)
    }
}

/// The table.
pub struct SessionTable {
    max_sessions: usize,
    idle_timeout_secs: u64,
    sessions: HashMap<SessionId, Arc<Session>>,
}

impl SessionTable {
    /// An empty table.
    pub fn new(max_sessions: usize, idle_timeout_secs: u64) -> Self {
        Self {
            max_sessions: max_sessions.max(1),
            idle_timeout_secs,
            sessions: HashMap::new(),
        }
    }

    /// Sessions open.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Adds a session, evicting one if the table is full.
    pub fn insert(&mut self, id: SessionId, session: Arc<Session>) {
        if self.sessions.len() >= self.max_sessions {
            let half_open = self
                .sessions
                .values()
                .filter(|s| !s.sent_key_proof())
                .count();
            let victim = if 2 * half_open >= self.max_sessions {
                self.oldest(|s| !s.sent_key_proof())
            } else {
                self.oldest(|s| !s.sent_token())
                    .or_else(|| self.oldest(|_| true))
            };
            if let Some(v) = victim {
                self.sessions.remove(&v);
            }
        }
        self.sessions.insert(id, session);
    }

    fn oldest(&self, pick: impl Fn(&Session) -> bool) -> Option<SessionId> {
        self.sessions
            .iter()
            .filter(|(_, s)| pick(s))
            .min_by_key(|(_, s)| (s.last_used.load(Ordering::Relaxed), s.created))
            .map(|(id, _)| *id)
    }

    /// The live session `id`, if any (an idle-expired one is removed).
    pub fn get(&mut self, id: &SessionId, now: u64) -> Option<Arc<Session>> {
        let s = self.sessions.get(id)?;
        if self.expired(s, now) {
            self.sessions.remove(id);
            return None;
        }
        Some(s.clone())
    }

    fn expired(&self, s: &Session, now: u64) -> bool {
        now.saturating_sub(s.last_used.load(Ordering::Relaxed)) > self.idle_timeout_secs
    }

    /// Drops every idle-expired session.
    pub fn expire(&mut self, now: u64) {
        let timeout = self.idle_timeout_secs;
        self.sessions
            .retain(|_, s| now.saturating_sub(s.last_used.load(Ordering::Relaxed)) <= timeout);
    }
}

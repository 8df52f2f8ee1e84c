//! The reference store: the broker's semantics written plainly with a
//! `HashMap`, with no obliviousness at all.
//!
//! It is the oracle of the model-based tests and the "price of
//! obliviousness" baseline of the benchmarks. It must never serve requests:
//! its memory accesses and timing reveal everything.
//!
//! It behaves exactly as [`crate::Store`] configured with
//! [`crate::StoreConfig::with_full_sweep`]: each tick reclaims every expired
//! slot and frees every empty mailbox. (With slower sweeps the real store
//! reclaims the same things, only later.)

use crate::StoreConfig;
use hush_wire::consts::MAILBOX_CAPACITY;
use hush_wire::{
    FixedCodec, MailboxListing, Message, MessageId, Op, Payload, PolicyAction, PublicKey,
    RequestRecord, Response, ResponseRecord, Status, Timestamp,
};
use std::collections::HashMap;

/// A plain, non-oblivious implementation of the store's semantics.
pub struct ReferenceStore {
    config: StoreConfig,
    now: u64,
    /// Mailboxes; a key stays until a tick finds it empty and without a
    /// policy.
    mailboxes: HashMap<PublicKey, Mailbox>,
    /// Messages holding a slot: live ones plus expired ones not yet swept.
    used_slots: u32,
}

/// One mailbox: messages oldest first, each with whether it is hidden from
/// the owner, and the owner's policy.
#[derive(Default)]
struct Mailbox {
    messages: Vec<(Message, bool)>,
    /// Senders named by the policy: true when blocked, false when allowed.
    named: Vec<(PublicKey, bool)>,
    allowed_only: bool,
}

/// Senders a policy can name (as the real store).
const POLICY_ENTRIES: usize = 16;

impl Mailbox {
    fn has_policy(&self) -> bool {
        self.allowed_only || !self.named.is_empty()
    }

    fn hides(&self, sender: &PublicKey) -> bool {
        match self.named.iter().find(|(k, _)| k == sender) {
            Some((_, blocked)) => *blocked,
            None => self.allowed_only,
        }
    }

    fn visible(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(|(_, h)| !h).map(|(m, _)| m)
    }
}

impl ReferenceStore {
    /// An empty store with the given limits (sweep rates are ignored).
    pub fn new(config: StoreConfig) -> Self {
        Self {
            config,
            now: 0,
            mailboxes: HashMap::new(),
            used_slots: 0,
        }
    }

    fn expired(&self, m: &Message) -> bool {
        m.timestamp.0.saturating_add(self.config.ttl_secs) <= self.now
    }

    /// The mailbox of `key` with expired messages dropped (their slots stay
    /// used until the next tick).
    fn live_mailbox(&mut self, key: &PublicKey) -> Option<&mut Mailbox> {
        let (now, ttl) = (self.now, self.config.ttl_secs);
        let mb = self.mailboxes.get_mut(key)?;
        mb.messages
            .retain(|(m, _)| m.timestamp.0.saturating_add(ttl) > now);
        Some(mb)
    }

    /// Advances time and reclaims everything expired.
    pub fn tick(&mut self, now: u64) {
        self.now = self.now.max(now);
        let now = self.now;
        let ttl = self.config.ttl_secs;
        for mb in self.mailboxes.values_mut() {
            mb.messages
                .retain(|(m, _)| m.timestamp.0.saturating_add(ttl) > now);
        }
        self.mailboxes
            .retain(|_, mb| !mb.messages.is_empty() || mb.has_policy());
        self.used_slots = self
            .mailboxes
            .values()
            .map(|mb| mb.messages.len() as u32)
            .sum();
    }

    /// Executes one request record.
    pub fn execute(&mut self, record: &RequestRecord, now: u64) -> ResponseRecord {
        self.now = self.now.max(now);
        let response = match record.decode() {
            Ok(req) => self.apply(req.acting_as, req.op),
            Err(_) => Response {
                status: Status::InvalidRequest,
                message: None,
                listing: MailboxListing::default(),
            },
        };
        ResponseRecord::from_bytes(&response.encode()).expect("fixed length")
    }

    fn listing(&mut self, key: &PublicKey) -> MailboxListing {
        let ids = self
            .live_mailbox(key)
            .map(|mb| mb.visible().map(|m| m.id).collect());
        MailboxListing::new(ids.unwrap_or_default()).expect("at most 62")
    }

    fn apply(&mut self, caller: PublicKey, op: Op) -> Response {
        let reply = |status, message| Response {
            status,
            message,
            listing: MailboxListing::default(),
        };
        let now = Timestamp(self.now);
        let room = (self.mailboxes.len() as u32) < self.config.max_recipients;
        match op {
            Op::Create {
                id,
                recipient,
                payload,
            } => {
                let has_slot = self.used_slots < self.config.capacity;
                let status = match self.live_mailbox(&recipient) {
                    Some(mb) if mb.messages.iter().any(|(m, _)| m.id == id) => {
                        Status::AlreadyExists
                    }
                    Some(mb) if mb.messages.len() == MAILBOX_CAPACITY => Status::MailboxFull,
                    _ if !has_slot => Status::StoreFull,
                    None if !room => Status::TooManyRecipients,
                    _ => Status::Ok,
                };
                if status != Status::Ok {
                    return reply(status, None);
                }
                let m = Message {
                    id,
                    sender: caller,
                    recipient,
                    timestamp: now,
                    payload,
                };
                let mb = self.mailboxes.entry(recipient).or_default();
                let hidden = caller != recipient && mb.hides(&caller);
                mb.messages.push((m.clone(), hidden));
                self.used_slots += 1;
                reply(Status::Ok, Some(m))
            }
            Op::Read { id } => {
                let m = self
                    .live_mailbox(&caller)
                    .and_then(|mb| mb.visible().find(|m| m.id == id).cloned());
                self.own(caller, m)
            }
            Op::ReadNext => {
                let m = self
                    .live_mailbox(&caller)
                    .and_then(|mb| mb.visible().next().cloned());
                self.own(caller, m)
            }
            Op::Update {
                id,
                recipient,
                payload,
            } => {
                let m = self.take(&caller, &recipient, |mb| {
                    mb.messages.iter().position(|(m, _)| m.id == id)
                });
                let Some((mut m, hidden)) = m else {
                    return reply(Status::NotFound, None);
                };
                m.payload = payload;
                m.timestamp = now;
                self.mailboxes
                    .get_mut(&recipient)
                    .expect("present")
                    .messages
                    .push((m.clone(), hidden));
                reply(Status::Ok, Some(m))
            }
            Op::Delete { id, recipient } => {
                let m = self.take(&caller, &recipient, |mb| {
                    mb.messages.iter().position(|(m, _)| m.id == id)
                });
                if m.is_some() {
                    self.used_slots -= 1;
                }
                reply(
                    if m.is_some() {
                        Status::Ok
                    } else {
                        Status::NotFound
                    },
                    m.map(|(m, _)| m),
                )
            }
            Op::DeleteNext => {
                let m = self.take(&caller, &caller, |mb| {
                    mb.messages.iter().position(|(_, hidden)| !hidden)
                });
                if m.is_some() {
                    self.used_slots -= 1;
                }
                self.own(caller, m.map(|(m, _)| m))
            }
            Op::List => {
                let listing = self.listing(&caller);
                Response {
                    status: Status::Ok,
                    message: None,
                    listing,
                }
            }
            Op::Policy { action, subject } => {
                if self.live_mailbox(&caller).is_none() && !room {
                    return reply(Status::TooManyRecipients, None);
                }
                let mb = self.mailboxes.entry(caller).or_default();
                let status = match (action, subject) {
                    (PolicyAction::AcceptFromAnyone, _) => {
                        mb.allowed_only = false;
                        Status::Ok
                    }
                    (PolicyAction::AllowedOnly, _) => {
                        mb.allowed_only = true;
                        Status::Ok
                    }
                    (PolicyAction::Forget, Some(k)) => {
                        mb.named.retain(|(n, _)| *n != k);
                        Status::Ok
                    }
                    (a, Some(k)) => {
                        let blocked = a == PolicyAction::Block;
                        if let Some(e) = mb.named.iter_mut().find(|(n, _)| *n == k) {
                            e.1 = blocked;
                            Status::Ok
                        } else if mb.named.len() < POLICY_ENTRIES {
                            mb.named.push((k, blocked));
                            Status::Ok
                        } else {
                            Status::PolicyFull
                        }
                    }
                    (_, None) => Status::InvalidRequest,
                };
                Response {
                    status,
                    message: None,
                    listing: self.listing(&caller),
                }
            }
        }
    }

    /// Removes the message `find` picks from `recipient`'s mailbox if
    /// `caller` is its sender or recipient; with whether it was hidden.
    fn take(
        &mut self,
        caller: &PublicKey,
        recipient: &PublicKey,
        find: impl Fn(&Mailbox) -> Option<usize>,
    ) -> Option<(Message, bool)> {
        let mb = self.live_mailbox(recipient)?;
        let pos = find(mb)?;
        if caller != recipient && mb.messages[pos].0.sender != *caller {
            return None;
        }
        Some(mb.messages.remove(pos))
    }

    /// A response to an op on the caller's own mailbox.
    fn own(&mut self, caller: PublicKey, message: Option<Message>) -> Response {
        let status = if message.is_some() {
            Status::Ok
        } else {
            Status::NotFound
        };
        Response {
            status,
            message,
            listing: self.listing(&caller),
        }
    }

    /// Whether `id` is live in `recipient`'s mailbox (for tests).
    pub fn contains(&self, recipient: &PublicKey, id: &MessageId) -> bool {
        self.mailboxes.get(recipient).is_some_and(|mb| {
            mb.messages
                .iter()
                .any(|(m, _)| m.id == *id && !self.expired(m))
        })
    }

    /// An unused helper type check: payloads are compared whole.
    #[doc(hidden)]
    pub fn _payload_type(_: &Payload) {}
}

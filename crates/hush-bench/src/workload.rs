//! Request generators: the same deterministic sequence for every store.
//!
//! A client-side ledger of live messages lets reads, updates and deletes
//! target messages that exist, so every generated request should succeed;
//! the runner counts any that do not.

use hush_wire::consts::ID_LEN;
use hush_wire::{MessageId, Op, Payload, PublicKey, Request, RequestRecord};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Messages a generated recipient is kept below (the mailbox holds 62).
const PER_RECIPIENT_LIMIT: u16 = 56;

/// Kinds of batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Creates to random recipients.
    Create,
    /// Reads of live messages by their recipient.
    Read,
    /// Read-next by recipients with mail.
    ReadNext,
    /// Updates by the sender.
    Update,
    /// Deletes by the recipient.
    Delete,
    /// 30% create, 30% read, 10% read-next, 10% update, 20% delete.
    Mixed,
}

impl Kind {
    /// All kinds, in report order.
    pub const ALL: [Kind; 6] = [
        Kind::Create,
        Kind::Read,
        Kind::ReadNext,
        Kind::Update,
        Kind::Delete,
        Kind::Mixed,
    ];

    /// Name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Read => "read",
            Kind::ReadNext => "read-next",
            Kind::Update => "update",
            Kind::Delete => "delete",
            Kind::Mixed => "mixed",
        }
    }
}

struct Live {
    id: MessageId,
    sender: u32,
    recipient: u32,
}

/// The generator and its ledger.
pub struct Workload {
    rng: ChaCha8Rng,
    recipients: Vec<PublicKey>,
    senders: Vec<PublicKey>,
    load: Vec<u16>,
    live: Vec<Live>,
    next_id: u64,
}

fn key(tag: u8, n: u32) -> PublicKey {
    let mut b = [tag; 32];
    b[..4].copy_from_slice(&n.to_le_bytes());
    PublicKey::new(b).expect("non-zero")
}

impl Workload {
    /// `recipients` distinct recipients, 1024 senders.
    pub fn new(recipients: u32, seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            recipients: (0..recipients).map(|n| key(0xee, n)).collect(),
            senders: (0..1024).map(|n| key(0x5e, n)).collect(),
            load: vec![0; recipients as usize],
            live: Vec::new(),
            next_id: 1,
        }
    }

    /// Live messages in the ledger.
    pub fn live(&self) -> usize {
        self.live.len()
    }

    fn payload(&mut self) -> Payload {
        let mut content = [0u8; 200];
        self.rng.fill(&mut content[..]);
        Payload::frame(&content).expect("fits")
    }

    fn create(&mut self) -> RequestRecord {
        let recipient = loop {
            let r = self.rng.random_range(0..self.recipients.len() as u32);
            if self.load[r as usize] < PER_RECIPIENT_LIMIT {
                break r;
            }
        };
        let sender = self.rng.random_range(0..self.senders.len() as u32);
        let mut idb = [0u8; ID_LEN];
        idb[..8].copy_from_slice(&self.next_id.to_le_bytes());
        self.rng.fill(&mut idb[8..]);
        self.next_id += 1;
        let id = MessageId::new(idb).expect("non-zero");
        self.load[recipient as usize] += 1;
        self.live.push(Live {
            id,
            sender,
            recipient,
        });
        let payload = self.payload();
        let op = Op::Create {
            id,
            recipient: self.recipients[recipient as usize],
            payload,
        };
        RequestRecord::encode(&Request {
            acting_as: self.senders[sender as usize],
            op,
        })
    }

    fn pick(&mut self) -> usize {
        self.rng.random_range(0..self.live.len())
    }

    fn one(&mut self, kind: Kind) -> RequestRecord {
        if self.live.is_empty() && kind != Kind::Create {
            return self.create();
        }
        match kind {
            Kind::Create => self.create(),
            Kind::Read => {
                let i = self.pick();
                let l = &self.live[i];
                let req = Request {
                    acting_as: self.recipients[l.recipient as usize],
                    op: Op::Read { id: l.id },
                };
                RequestRecord::encode(&req)
            }
            Kind::ReadNext => {
                let i = self.pick();
                let l = &self.live[i];
                RequestRecord::encode(&Request {
                    acting_as: self.recipients[l.recipient as usize],
                    op: Op::ReadNext,
                })
            }
            Kind::Update => {
                let i = self.pick();
                let payload = self.payload();
                let l = &self.live[i];
                let op = Op::Update {
                    id: l.id,
                    recipient: self.recipients[l.recipient as usize],
                    payload,
                };
                RequestRecord::encode(&Request {
                    acting_as: self.senders[l.sender as usize],
                    op,
                })
            }
            Kind::Delete => {
                let i = self.pick();
                let l = self.live.swap_remove(i);
                self.load[l.recipient as usize] -= 1;
                let recipient = self.recipients[l.recipient as usize];
                RequestRecord::encode(&Request {
                    acting_as: recipient,
                    op: Op::Delete {
                        id: l.id,
                        recipient,
                    },
                })
            }
            Kind::Mixed => {
                let k = match self.rng.random_range(0..10) {
                    0..=2 => Kind::Create,
                    3..=5 => Kind::Read,
                    6 => Kind::ReadNext,
                    7 => Kind::Update,
                    _ => Kind::Delete,
                };
                self.one(k)
            }
        }
    }

    /// A batch of `n` requests of `kind`, updating the ledger as if they succeed.
    pub fn batch(&mut self, kind: Kind, n: usize) -> Vec<RequestRecord> {
        (0..n).map(|_| self.one(kind)).collect()
    }
}

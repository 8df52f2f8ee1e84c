//! A store like the seed broker's (MobileCoin's oblivious message broker),
//! on `mc-oblivious-map` 3.0.0: two bucketed cuckoo hash tables on
//! `PathORAM4096Z4` (1 KiB values): id -> message, recipient -> up to 62 ids.
//!
//! It follows the seed: create inserts with `vartime_write` (not oblivious),
//! reads and updates access the id map, deletes also edit the recipient's
//! id list. There is no expiry. It exists only to be measured against.

use crate::backend::BenchStore;
use aligned_cmov::A8Bytes;
use aligned_cmov::typenum::{U16, U32, U992, U1008, U1024};
use chacha20::ChaCha20Rng;
use hush_enclave::StoreConfig;
use hush_wire::consts::{ID_LEN, KEY_LEN, MAILBOX_CAPACITY, PAYLOAD_LEN};
use hush_wire::{
    FixedCodec, MailboxListing, Message, MessageId, Op, Payload, PublicKey, RequestRecord,
    Response, ResponseRecord, Status, Timestamp,
};
use mc_oblivious_map::CuckooHashTableCreator;
use mc_oblivious_ram::PathORAM4096Z4Creator;
use mc_oblivious_traits::{
    HeapORAMStorageCreator, OMAP_FOUND, OMAP_NOT_FOUND, OMAP_OVERFLOW, OMapCreator,
    ObliviousHashMap, rng_maker,
};
use rand_core::SeedableRng;

type Rng = ChaCha20Rng;
type OramCreator = PathORAM4096Z4Creator<Rng, HeapORAMStorageCreator>;
type MapCreator = CuckooHashTableCreator<U1024, Rng, OramCreator>;
type MessageMap = <MapCreator as OMapCreator<U16, U1008, Rng>>::Output;
type MailboxMap = <MapCreator as OMapCreator<U32, U992, Rng>>::Output;

/// Stash size used by the seed's maps.
const STASH: usize = 16;

/// The seed-like store.
pub struct McStore {
    messages: MessageMap,
    mailboxes: MailboxMap,
}

fn key_bytes<N: aligned_cmov::ArrayLength>(src: &[u8]) -> A8Bytes<N> {
    let mut k = A8Bytes::<N>::default();
    k.as_mut_slice().copy_from_slice(src);
    k
}

impl McStore {
    /// Maps sized for the store's capacity and recipient limit.
    pub fn new(config: StoreConfig) -> Self {
        let messages = <MapCreator as OMapCreator<U16, U1008, Rng>>::create(
            config.capacity as u64,
            STASH,
            rng_maker(Rng::from_seed([42; 32])),
        );
        let mailboxes = <MapCreator as OMapCreator<U32, U992, Rng>>::create(
            (config.max_recipients as u64).max(2),
            STASH,
            rng_maker(Rng::from_seed([43; 32])),
        );
        Self {
            messages,
            mailboxes,
        }
    }

    fn ids_of(list: &[u8]) -> Vec<MessageId> {
        list.chunks(ID_LEN)
            .filter_map(|c| MessageId::decode(c).ok())
            .collect()
    }

    fn listing(&mut self, owner: &PublicKey) -> MailboxListing {
        let mut out = A8Bytes::<U992>::default();
        self.mailboxes.read(&key_bytes(owner.as_bytes()), &mut out);
        MailboxListing::new(Self::ids_of(out.as_slice())).expect("at most 62")
    }

    fn read_message(&mut self, id: &MessageId) -> Option<Message> {
        let mut out = A8Bytes::<U1008>::default();
        let code = self.messages.read(&key_bytes(id.as_bytes()), &mut out);
        (code == OMAP_FOUND).then(|| decode_value(id, out.as_slice()))
    }

    fn apply(&mut self, caller: PublicKey, op: Op, now: u64) -> Response {
        let plain = |status, message| Response {
            status,
            message,
            listing: MailboxListing::default(),
        };
        match op {
            Op::Create {
                id,
                recipient,
                payload,
            } => {
                // Read the recipient's id list, append, write it back (an
                // insert when the recipient is new).
                let rkey = key_bytes(recipient.as_bytes());
                let mut list = A8Bytes::<U992>::default();
                self.mailboxes.read(&rkey, &mut list);
                let ids = Self::ids_of(list.as_slice());
                let exists = ids.contains(&id);
                let appended = !exists && ids.len() < MAILBOX_CAPACITY;
                if appended {
                    let at = ids.len() * ID_LEN;
                    list.as_mut_slice()[at..at + ID_LEN].copy_from_slice(id.as_bytes());
                }
                if self.mailboxes.vartime_write(&rkey, &list, 1.into()) == OMAP_OVERFLOW {
                    return plain(Status::TooManyRecipients, None);
                }
                if exists {
                    return plain(Status::AlreadyExists, None);
                }
                if !appended {
                    return plain(Status::MailboxFull, None);
                }
                let m = Message {
                    id,
                    sender: caller,
                    recipient,
                    timestamp: Timestamp(now),
                    payload,
                };
                let code = self.messages.vartime_write(
                    &key_bytes(id.as_bytes()),
                    &encode_value(&m),
                    0.into(),
                );
                match code {
                    OMAP_NOT_FOUND => plain(Status::Ok, Some(m)),
                    OMAP_FOUND => plain(Status::AlreadyExists, None),
                    _ => plain(Status::StoreFull, None),
                }
            }
            Op::Read { id } => {
                let m = self.read_message(&id).filter(|m| m.recipient == caller);
                let listing = self.listing(&caller);
                let status = if m.is_some() {
                    Status::Ok
                } else {
                    Status::NotFound
                };
                Response {
                    status,
                    message: m,
                    listing,
                }
            }
            Op::ReadNext => {
                let listing = self.listing(&caller);
                let first = listing
                    .ids()
                    .first()
                    .copied()
                    .unwrap_or(MessageId::new([1; ID_LEN]).expect("non-zero"));
                let m = self.read_message(&first).filter(|m| m.recipient == caller);
                let status = if m.is_some() {
                    Status::Ok
                } else {
                    Status::NotFound
                };
                Response {
                    status,
                    message: m,
                    listing,
                }
            }
            Op::Update {
                id,
                recipient,
                payload,
            } => {
                let mut updated = None;
                self.messages
                    .access(&key_bytes(id.as_bytes()), |code, value| {
                        if code != OMAP_FOUND {
                            return;
                        }
                        let mut m = decode_value(&id, value.as_slice());
                        if m.recipient == recipient && (caller == m.sender || caller == m.recipient)
                        {
                            m.payload = payload.clone();
                            m.timestamp = Timestamp(now);
                            *value = encode_value(&m);
                            updated = Some(m);
                        }
                    });
                let _ = self.listing(&recipient);
                plain(
                    if updated.is_some() {
                        Status::Ok
                    } else {
                        Status::NotFound
                    },
                    updated,
                )
            }
            Op::Delete { id, recipient } => self.delete(caller, id, recipient),
            Op::DeleteNext => {
                let listing = self.listing(&caller);
                match listing.ids().first() {
                    Some(first) => {
                        let mut r = self.delete(caller, *first, caller);
                        r.listing = self.listing(&caller);
                        r
                    }
                    None => Response {
                        status: Status::NotFound,
                        message: None,
                        listing,
                    },
                }
            }
            Op::List => Response {
                status: Status::Ok,
                message: None,
                listing: self.listing(&caller),
            },
            // The seed's broker has no sender policy (blocking came later,
            // from Rossby); the baseline workloads never send one.
            Op::Policy { .. } => plain(Status::InvalidRequest, None),
        }
    }

    fn delete(&mut self, caller: PublicKey, id: MessageId, recipient: PublicKey) -> Response {
        let mut removed = None;
        self.messages
            .access_and_remove(&key_bytes(id.as_bytes()), |code, value| {
                let m = decode_value(&id, value.as_slice());
                let ok = code == OMAP_FOUND
                    && m.recipient == recipient
                    && (caller == m.sender || caller == m.recipient);
                if ok {
                    removed = Some(m);
                }
                (ok as u8).into()
            });
        let found = removed.is_some();
        self.mailboxes
            .access(&key_bytes(recipient.as_bytes()), |_, list| {
                if !found {
                    return;
                }
                let ids: Vec<_> = Self::ids_of(list.as_slice())
                    .into_iter()
                    .filter(|i| *i != id)
                    .collect();
                let bytes = list.as_mut_slice();
                bytes.fill(0);
                for (n, i) in ids.iter().enumerate() {
                    bytes[n * ID_LEN..(n + 1) * ID_LEN].copy_from_slice(i.as_bytes());
                }
            });
        let status = if found { Status::Ok } else { Status::NotFound };
        Response {
            status,
            message: removed,
            listing: MailboxListing::default(),
        }
    }
}

fn encode_value(m: &Message) -> A8Bytes<U1008> {
    let mut v = A8Bytes::<U1008>::default();
    let s = v.as_mut_slice();
    s[..KEY_LEN].copy_from_slice(m.sender.as_bytes());
    s[KEY_LEN..2 * KEY_LEN].copy_from_slice(m.recipient.as_bytes());
    s[2 * KEY_LEN..2 * KEY_LEN + 8].copy_from_slice(&m.timestamp.0.to_le_bytes());
    s[2 * KEY_LEN + 8..].copy_from_slice(m.payload.as_bytes());
    v
}

fn decode_value(id: &MessageId, s: &[u8]) -> Message {
    let key = |b: &[u8]| {
        PublicKey::decode(b).unwrap_or(PublicKey::new([0xff; KEY_LEN]).expect("non-zero"))
    };
    let mut payload = [0u8; PAYLOAD_LEN];
    payload.copy_from_slice(&s[2 * KEY_LEN + 8..]);
    Message {
        id: *id,
        sender: key(&s[..KEY_LEN]),
        recipient: key(&s[KEY_LEN..2 * KEY_LEN]),
        timestamp: Timestamp(u64::from_le_bytes(
            s[2 * KEY_LEN..2 * KEY_LEN + 8].try_into().expect("8"),
        )),
        payload: Payload::from_raw(payload),
    }
}

impl BenchStore for McStore {
    fn name(&self) -> &'static str {
        "mc-oblivious"
    }

    fn execute(&mut self, record: &RequestRecord, now: u64) -> ResponseRecord {
        let response = match record.decode() {
            Ok(req) => self.apply(req.acting_as, req.op, now),
            Err(_) => Response {
                status: Status::InvalidRequest,
                message: None,
                listing: MailboxListing::default(),
            },
        };
        ResponseRecord::from_bytes(&response.encode()).expect("fixed length")
    }

    fn tick(&mut self, _now: u64) {}
}

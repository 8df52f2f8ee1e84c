//! Attachments the host cannot link: blobs go in and out through the
//! session channel, and the enclave stores them on the host in mixes.
//!
//! Before, a sender stored a blob on the host under its id and the
//! recipient fetched that id, both in the clear: the host learnt who sent
//! a file to whom. Now ([`hush_wire::blob_transfer`]):
//!
//! - **An upload** (the blob sealed under a one-time transfer key, inside
//!   the session) joins its class's *mix* in enclave memory, and a table
//!   entry (blob id, class) records it. Every upload adds one blob to the
//!   mix, whatever its outcome: a refused one (id taken, table full, key
//!   not proven) is written like the others and never found.
//! - **A mix is written** on a tick once it holds at least `mix` blobs
//!   (and no download of its class is half-way): its blobs are put in a
//!   random order by an oblivious sort that moves whole blobs, and each is
//!   sealed under the enclave's storage key and handed to the host under a
//!   fresh random storage id. The host sees `mix` or more objects of one
//!   class written at once, and which uploads and downloads came since the
//!   last mix; it cannot tell which object is which.
//! - **A download** names a blob id and class, inside the session. The
//!   enclave asks the host for one stored object of that class: the
//!   blob's, or, when the blob is in a mix (or is not there at all), a
//!   random stored one. Whichever object is read joins the mix and leaves
//!   the host's store (it is written again, under a new id, with the next
//!   mix). The answer is served from the mix by a selection over all of
//!   it, and always has the class's size. So the host sees one object of
//!   the class read per download: an object uploaded since any mix, or
//!   read by an earlier download, is one of its mix's.
//!
//! The anonymity set of an upload and a download, and of two downloads of
//! one blob, is the mix the blob was last written in: at least `mix`
//! uploads and downloads of that class (8 by default with hardware
//! attestation). Objects expire `ttl` after they were last written (each
//! download renews a blob), on the same rule the host applies to its
//! store. The table and the mixes live in enclave memory: a restart of the
//! enclave loses every blob, as it loses every message.

pub(crate) mod mix;
#[cfg(test)]
mod tests;

use crate::oblivious::ct::{eq_bytes, eq_u32, le_u64, sel_u8, sel_u32};
use crate::session::proven_keys::ProvenKeys;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, XChaCha20Poly1305, XNonce};
use hush_wire::blob_transfer::{
    BLOB_ANSWER_LEN, BLOB_REQUEST_LEN, BODY_AAD, BlobStatus, STORAGE_ID_LEN, STORED_OVERHEAD,
    TRANSFER_KEY_LEN, body_len, offsets,
};
use hush_wire::consts::KEY_LEN;
use hush_wire::media::{BLOB_CLASSES, BLOB_ID_LEN};
use mix::{Held, NO_SLOT, cmov_words, oblivious_sort};
use rand::Rng;
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

/// Number of size classes.
pub const CLASSES: usize = BLOB_CLASSES.len();
/// How long a download may wait between its two halves before it is
/// dropped (its object is then lost).
pub const READ_TIMEOUT_SECS: u64 = 60;
/// Default [`BlobConfig::mix`].
pub const DEFAULT_MIX: u32 = 8;
/// The least [`BlobConfig::mix`] an enclave with hardware attestation
/// takes (it raises a smaller one).
pub const MIN_ATTESTED_MIX: u32 = DEFAULT_MIX;
/// Length of a nonce of a stored object.
const STORAGE_NONCE_LEN: usize = 24;
/// Associated data of a stored object, before its storage id.
const STORAGE_AAD: &[u8] = b"hush.blob.stored.v1";

/// The blob service's limits (all public).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobConfig {
    /// Blobs the table holds (stored and mixing), at most.
    pub max_blobs: u32,
    /// Blobs a mix waits for before it is written: the anonymity set.
    pub mix: u32,
    /// Seconds an object lives after it was written.
    pub ttl_secs: u64,
    /// Bytes of attachments one proven key may upload per day (of the
    /// enclave's time), counted in the enclave.
    pub per_key_daily_bytes: u64,
}

/// Default [`BlobConfig::per_key_daily_bytes`]: 256 MiB.
pub const DEFAULT_PER_KEY_DAILY_BYTES: u64 = 256 << 20;
/// Seconds in a quota day.
const DAY: u64 = 86_400;

impl BlobConfig {
    /// `max_blobs` blobs living `ttl_secs`, mixes of [`DEFAULT_MIX`].
    pub fn new(max_blobs: u32, ttl_secs: u64) -> Self {
        Self {
            max_blobs: max_blobs.max(1),
            mix: DEFAULT_MIX,
            ttl_secs,
            per_key_daily_bytes: DEFAULT_PER_KEY_DAILY_BYTES,
        }
    }

    /// Blobs of one class a mix holds at most: twice the mix size, so a
    /// tick that comes late finds room (beyond, requests answer BUSY).
    pub fn mix_bound(&self) -> usize {
        2 * self.mix.max(1) as usize
    }
}

/// The host's name for a stored object.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StorageId(pub [u8; STORAGE_ID_LEN]);

impl StorageId {
    /// Lower-case hex (the object's file name on the host).
    pub fn to_hex(&self) -> String {
        hex_lower(&self.0)
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl std::fmt::Debug for StorageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StorageId({})", self.to_hex())
    }
}

/// An object for the host to store.
pub struct StoredObject {
    /// Its name.
    pub id: StorageId,
    /// Its bytes: nonce 24 | sealed blob | tag 16 (its class + 40).
    pub bytes: Vec<u8>,
}

/// A download half-way: the host fetches `read` (if any) and calls
/// [`Blobs::download_finish`] with the ticket.
#[derive(Debug)]
pub struct ReadPlan {
    /// Names the download to finish.
    pub ticket: u64,
    /// The object to fetch from the store and delete there (none: the
    /// store holds no object of the class, or the mix is full).
    pub read: Option<StorageId>,
}

/// Where an entry's blob is.
const STORED: u32 = 0;
const MIXING: u32 = 1;
const READING: u32 = 2;

#[derive(Clone, Copy, Default)]
struct Entry {
    used: u32,
    class: u32,
    state: u32,
    blob: [u8; BLOB_ID_LEN],
    storage: [u8; STORAGE_ID_LEN],
    written_at: u64,
}

impl ConditionallySelectable for Entry {
    fn conditional_select(a: &Self, b: &Self, c: Choice) -> Self {
        let mut blob = a.blob;
        let mut storage = a.storage;
        for (x, y) in blob.iter_mut().zip(b.blob) {
            *x = u8::conditional_select(x, &y, c);
        }
        for (x, y) in storage.iter_mut().zip(b.storage) {
            *x = u8::conditional_select(x, &y, c);
        }
        Self {
            used: u32::conditional_select(&a.used, &b.used, c),
            class: u32::conditional_select(&a.class, &b.class, c),
            state: u32::conditional_select(&a.state, &b.state, c),
            blob,
            storage,
            written_at: u64::conditional_select(&a.written_at, &b.written_at, c),
        }
    }
}

/// One key's uploads today. The table has one entry per blob the service
/// tracks, so it fills only as fast as the blob table can.
#[derive(Clone, Copy, Default)]
struct Allowance {
    key: [u8; KEY_LEN],
    day: u64,
    bytes: u64,
}

struct Reading {
    class: usize,
    /// The slot whose object the host fetches ([`NO_SLOT`]: none).
    read_slot: u32,
    /// The blob asked for.
    blob: [u8; BLOB_ID_LEN],
    started: u64,
}

/// The blob service.
pub struct Blobs {
    config: BlobConfig,
    table: Vec<Entry>,
    allowances: Vec<Allowance>,
    mixes: [Vec<Held>; CLASSES],
    writes: Vec<StoredObject>,
    storage_key: Zeroizing<[u8; 32]>,
    reading: std::collections::BTreeMap<u64, Reading>,
    next_ticket: u64,
    now: u64,
}

/// A finished download: the sealed answer record and the body.
pub struct Served {
    /// The answer record ([`BLOB_ANSWER_LEN`] bytes), to seal for the session.
    pub answer: [u8; BLOB_ANSWER_LEN],
    /// The body: the blob under the answer's transfer key (class + 16).
    pub body: Vec<u8>,
}

impl Blobs {
    /// An empty service with a fresh storage key.
    pub fn new(config: BlobConfig) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill(&mut key[..]);
        Self {
            config,
            table: vec![Entry::default(); config.max_blobs as usize],
            allowances: vec![Allowance::default(); config.max_blobs as usize],
            mixes: Default::default(),
            writes: Vec::new(),
            storage_key: key,
            reading: Default::default(),
            next_ticket: 0,
            now: 0,
        }
    }

    /// Its limits.
    pub fn config(&self) -> &BlobConfig {
        &self.config
    }

    /// Blobs of `class` waiting for their mix (public: the host counts the
    /// uploads and downloads since the last one).
    pub fn mixing(&self, class: usize) -> usize {
        self.mixes[class].len()
    }

    fn words_for(class: usize) -> Vec<u64> {
        vec![0u64; BLOB_CLASSES[class] / 8]
    }

    /// An upload: `request` is the opened [`BLOB_REQUEST_LEN`]-byte record,
    /// `body` the blob sealed under its transfer key. Returns the answer
    /// record. Same work whatever the outcome; the mix grows by one unless
    /// it is full (BUSY, public).
    pub fn upload(
        &mut self,
        request: &[u8],
        body: &mut [u8],
        keys: &ProvenKeys,
        may_write: Choice,
    ) -> [u8; BLOB_ANSWER_LEN] {
        debug_assert_eq!(request.len(), BLOB_REQUEST_LEN);
        let class = request[offsets::CLASS] as usize;
        let mut answer = [0u8; BLOB_ANSWER_LEN];
        if class >= CLASSES || body.len() != body_len(class) {
            // Public: the host routed the request and sized the body.
            answer[0] = BlobStatus::InvalidRequest.code();
            return answer;
        }
        if self.mixes[class].len() >= self.config.mix_bound() {
            answer[0] = BlobStatus::Busy.code();
            return answer;
        }
        let blob: [u8; BLOB_ID_LEN] = request[offsets::BLOB..offsets::ACTING_AS]
            .try_into()
            .expect("16");
        let acting_as: [u8; KEY_LEN] = request[offsets::ACTING_AS..offsets::TRANSFER_KEY]
            .try_into()
            .expect("32");
        let transfer: [u8; TRANSFER_KEY_LEN] = request[offsets::TRANSFER_KEY..offsets::RESERVED]
            .try_into()
            .expect("32");
        let well_formed = Choice::from((request[offsets::OP] == 1) as u8)
            & !crate::oblivious::ct::is_zero(&blob)
            & crate::oblivious::ct::is_zero(&request[offsets::CLASS + 1..offsets::BLOB])
            & crate::oblivious::ct::is_zero(&request[offsets::RESERVED..]);
        let authorized = keys.contains(&acting_as);

        // The blob: open the body in place (a bad tag leaves zeros).
        let (sealed, tag) = body.split_at_mut(BLOB_CLASSES[class]);
        let opened = ChaCha20Poly1305::new(Key::from_slice(&transfer))
            .decrypt_in_place_detached(
                Nonce::from_slice(&[0; 12]),
                BODY_AAD,
                sealed,
                chacha20poly1305::Tag::from_slice(tag),
            )
            .is_ok();
        let opened = Choice::from(opened as u8);
        let mut words = Self::words_for(class);
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
        for (d, s) in bytes.iter_mut().zip(sealed.iter()) {
            *d = u8::conditional_select(&0, s, opened);
        }
        zeroize::Zeroize::zeroize(sealed);

        // The table: is the id taken, and the first free entry.
        let mut exists = Choice::from(0);
        let mut free = Choice::from(0);
        let mut slot = 0u32;
        for (i, e) in self.table.iter().enumerate() {
            let used = !eq_u32(e.used, 0);
            exists |= used & eq_bytes(&e.blob, &blob);
            let take = !used & !free;
            slot = sel_u32(slot, i as u32, take);
            free |= take;
        }
        // The key's allowance today: its entry, or the first one not of
        // today (a new day, or a key not seen today). Every entry is
        // touched the same way whatever is found.
        // Days count from 1: an entry of day 0 was never used.
        let today = self.now / DAY + 1;
        let size = BLOB_CLASSES[class] as u64;
        let mut mine = Choice::from(0);
        let mut spare = Choice::from(0);
        let (mut mine_at, mut spare_at) = (0u32, 0u32);
        let mut used = 0u64;
        for (i, a) in self.allowances.iter().enumerate() {
            let current = subtle::ConstantTimeEq::ct_eq(&a.day, &today);
            let hit = current & eq_bytes(&a.key, &acting_as) & !mine;
            mine_at = sel_u32(mine_at, i as u32, hit);
            used = u64::conditional_select(&used, &a.bytes, hit);
            mine |= hit;
            let take = !current & !spare;
            spare_at = sel_u32(spare_at, i as u32, take);
            spare |= take;
        }
        let slot_at = sel_u32(spare_at, mine_at, mine);
        let has_allowance = mine | spare;
        let within = le_u64(used.saturating_add(size), self.config.per_key_daily_bytes);

        let mut status = BlobStatus::Ok.code();
        status = sel_u8(
            status,
            BlobStatus::QuotaExceeded.code(),
            !has_allowance | !within,
        );
        status = sel_u8(status, BlobStatus::Full.code(), !free);
        status = sel_u8(status, BlobStatus::AlreadyExists.code(), exists);
        status = sel_u8(status, BlobStatus::NoTokens.code(), !may_write);
        status = sel_u8(status, BlobStatus::KeyNotProven.code(), !authorized);
        status = sel_u8(
            status,
            BlobStatus::InvalidRequest.code(),
            !well_formed | !opened,
        );
        let ok = subtle::ConstantTimeEq::ct_eq(&status, &BlobStatus::Ok.code());
        let new = Entry {
            used: 1,
            class: class as u32,
            state: MIXING,
            blob,
            storage: [0; STORAGE_ID_LEN],
            written_at: 0,
        };
        for (i, e) in self.table.iter_mut().enumerate() {
            let here = ok & eq_u32(i as u32, slot);
            *e = Entry::conditional_select(e, &new, here);
        }
        let charged = Allowance {
            key: acting_as,
            day: today,
            bytes: used.saturating_add(size),
        };
        for (i, a) in self.allowances.iter_mut().enumerate() {
            let here = ok & eq_u32(i as u32, slot_at);
            a.day = u64::conditional_select(&a.day, &charged.day, here);
            a.bytes = u64::conditional_select(&a.bytes, &charged.bytes, here);
            for (d, s) in a.key.iter_mut().zip(charged.key) {
                *d = u8::conditional_select(d, &s, here);
            }
        }
        self.mixes[class].push(Held {
            slot: sel_u32(NO_SLOT, slot, ok),
            words,
        });
        answer[0] = status;
        answer
    }

    /// A download, first half: `request` is the opened record. Chooses the
    /// object the host must fetch: the blob's if it is stored, else a
    /// random stored object of the class.
    pub fn download_begin(&mut self, request: &[u8]) -> Result<ReadPlan, BlobStatus> {
        debug_assert_eq!(request.len(), BLOB_REQUEST_LEN);
        let class = request[offsets::CLASS] as usize;
        if class >= CLASSES {
            return Err(BlobStatus::InvalidRequest);
        }
        if self.mixes[class].len() >= self.config.mix_bound() {
            return Err(BlobStatus::Busy);
        }
        let blob: [u8; BLOB_ID_LEN] = request[offsets::BLOB..offsets::ACTING_AS]
            .try_into()
            .expect("16");
        // Stored objects of the class: the host holds them all anyway.
        let stored_of_class = |e: &Entry| {
            !eq_u32(e.used, 0) & eq_u32(e.class, class as u32) & eq_u32(e.state, STORED)
        };
        let count: u32 = self
            .table
            .iter()
            .map(|e| stored_of_class(e).unwrap_u8() as u32)
            .sum();
        let pick = if count == 0 {
            0
        } else {
            rand::rng().random_range(0..count)
        };
        let mut target = Choice::from(0);
        let mut target_slot = 0u32;
        let mut dummy_slot = 0u32;
        let mut seen = 0u32;
        for (i, e) in self.table.iter().enumerate() {
            let stored = stored_of_class(e);
            let hit = stored & eq_bytes(&e.blob, &blob);
            target_slot = sel_u32(target_slot, i as u32, hit);
            target |= hit;
            dummy_slot = sel_u32(dummy_slot, i as u32, stored & eq_u32(seen, pick));
            seen += stored.unwrap_u8() as u32;
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let mut read = None;
        let mut read_slot = NO_SLOT;
        if count > 0 {
            read_slot = sel_u32(dummy_slot, target_slot, target);
            let mut storage = [0u8; STORAGE_ID_LEN];
            for (i, e) in self.table.iter_mut().enumerate() {
                let here = eq_u32(i as u32, read_slot);
                for (d, s) in storage.iter_mut().zip(e.storage) {
                    *d = u8::conditional_select(d, &s, here);
                }
                e.state = sel_u32(e.state, READING, here);
            }
            read = Some(StorageId(storage));
        }
        self.reading.insert(
            ticket,
            Reading {
                class,
                read_slot,
                blob,
                started: self.now,
            },
        );
        Ok(ReadPlan { ticket, read })
    }

    /// A download, second half: `object` is what the host fetched for the
    /// plan (none if it had nothing). The object joins the mix; the answer
    /// is served from the mix.
    pub fn download_finish(&mut self, ticket: u64, object: Option<&[u8]>) -> Option<Served> {
        let r = self.reading.remove(&ticket)?;
        let class = r.class;
        if r.read_slot != NO_SLOT {
            let slot = r.read_slot;
            let mut storage = [0u8; STORAGE_ID_LEN];
            for (i, e) in self.table.iter().enumerate() {
                let here = eq_u32(i as u32, slot);
                for (d, s) in storage.iter_mut().zip(e.storage) {
                    *d = u8::conditional_select(d, &s, here);
                }
            }
            let mut words = Self::words_for(class);
            let opened = object.is_some_and(|o| self.open_stored(&storage, o, &mut words));
            // A missing or altered object (the host's doing) loses its blob.
            let opened = Choice::from(opened as u8);
            for (i, e) in self.table.iter_mut().enumerate() {
                let here = eq_u32(i as u32, slot);
                e.state = sel_u32(e.state, MIXING, here & opened);
                e.used = sel_u32(e.used, 0, here & !opened);
            }
            if opened.unwrap_u8() == 1 {
                // Public: the host knows whether it handed over the object.
                self.mixes[class].push(Held { slot, words });
            }
        }
        // Serve: the blob is in the mix now if it exists at all.
        let mut target_slot = NO_SLOT;
        let mut found = Choice::from(0);
        for (i, e) in self.table.iter().enumerate() {
            let hit = !eq_u32(e.used, 0)
                & eq_u32(e.class, class as u32)
                & eq_u32(e.state, MIXING)
                & eq_bytes(&e.blob, &r.blob);
            target_slot = sel_u32(target_slot, i as u32, hit);
            found |= hit;
        }
        let mut words = Self::words_for(class);
        for h in &self.mixes[class] {
            cmov_words(&mut words, &h.words, found & eq_u32(h.slot, target_slot));
        }
        let mut transfer = [0u8; TRANSFER_KEY_LEN];
        rand::rng().fill(&mut transfer[..]);
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
        let mut body = vec![0u8; body_len(class)];
        body[..bytes.len()].copy_from_slice(bytes);
        zeroize::Zeroize::zeroize(bytes);
        let (plain, tag_out) = body.split_at_mut(BLOB_CLASSES[class]);
        let tag = ChaCha20Poly1305::new(Key::from_slice(&transfer))
            .encrypt_in_place_detached(Nonce::from_slice(&[0; 12]), BODY_AAD, plain)
            .expect("a blob fits one AEAD message");
        tag_out.copy_from_slice(&tag);
        let mut answer = [0u8; BLOB_ANSWER_LEN];
        answer[0] = sel_u8(BlobStatus::NotFound.code(), BlobStatus::Ok.code(), found);
        answer[8..8 + TRANSFER_KEY_LEN].copy_from_slice(&transfer);
        Some(Served { answer, body })
    }

    fn open_stored(&self, id: &[u8; STORAGE_ID_LEN], object: &[u8], words: &mut [u64]) -> bool {
        let out: &mut [u8] = bytemuck::cast_slice_mut(words);
        if object.len() != out.len() + STORED_OVERHEAD {
            return false;
        }
        let (nonce, rest) = object.split_at(STORAGE_NONCE_LEN);
        let (sealed, tag) = rest.split_at(out.len());
        out.copy_from_slice(sealed);
        let ok = XChaCha20Poly1305::new(Key::from_slice(&self.storage_key[..]))
            .decrypt_in_place_detached(
                XNonce::from_slice(nonce),
                &[STORAGE_AAD, id].concat(),
                out,
                chacha20poly1305::Tag::from_slice(tag),
            )
            .is_ok();
        if !ok {
            out.fill(0);
        }
        ok
    }

    fn seal_stored(&self, id: &[u8; STORAGE_ID_LEN], words: &[u64]) -> Vec<u8> {
        let plain: &[u8] = bytemuck::cast_slice(words);
        let mut nonce = [0u8; STORAGE_NONCE_LEN];
        rand::rng().fill(&mut nonce[..]);
        let mut out = Vec::with_capacity(plain.len() + STORED_OVERHEAD);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let tag = XChaCha20Poly1305::new(Key::from_slice(&self.storage_key[..]))
            .encrypt_in_place_detached(
                XNonce::from_slice(&nonce),
                &[STORAGE_AAD, id].concat(),
                &mut out[STORAGE_NONCE_LEN..],
            )
            .expect("a blob fits one AEAD message");
        out.extend_from_slice(&tag);
        debug_assert_eq!(out.len(), plain.len() + STORED_OVERHEAD);
        out
    }

    /// On the tick at `now`: drops downloads left half-way too long,
    /// frees entries whose object expired, and writes every mix that is
    /// full enough and has no download half-way.
    pub fn tick(&mut self, now: u64) {
        self.now = self.now.max(now);
        let now = self.now;
        let stale: Vec<u64> = self
            .reading
            .iter()
            .filter(|(_, r)| r.started + READ_TIMEOUT_SECS < now)
            .map(|(t, _)| *t)
            .collect();
        for t in stale {
            let r = self.reading.remove(&t).expect("listed");
            for (i, e) in self.table.iter_mut().enumerate() {
                // Its object may be gone from the store: the blob is lost.
                let here = eq_u32(i as u32, r.read_slot) & eq_u32(e.state, READING);
                e.used = sel_u32(e.used, 0, here);
            }
        }
        let ttl = self.config.ttl_secs;
        for e in &mut self.table {
            let expired = !eq_u32(e.used, 0)
                & eq_u32(e.state, STORED)
                & le_u64(e.written_at.saturating_add(ttl), now);
            e.used = sel_u32(e.used, 0, expired);
        }
        for class in 0..CLASSES {
            let busy = self.reading.values().any(|r| r.class == class);
            if busy || self.mixes[class].len() < self.config.mix.max(1) as usize {
                continue;
            }
            self.write_mix(class, now);
        }
    }

    fn write_mix(&mut self, class: usize, now: u64) {
        let mut items = std::mem::take(&mut self.mixes[class]);
        let mut rng = rand::rng();
        let mut tags: Vec<u64> = items.iter().map(|_| rng.random()).collect();
        oblivious_sort(&mut items, &mut tags);
        for h in items {
            let mut id = [0u8; STORAGE_ID_LEN];
            rng.fill(&mut id[..]);
            let bytes = self.seal_stored(&id, &h.words);
            for (i, e) in self.table.iter_mut().enumerate() {
                let here = eq_u32(i as u32, h.slot) & eq_u32(e.state, MIXING);
                let mut written = *e;
                written.state = STORED;
                written.storage = id;
                written.written_at = now;
                *e = Entry::conditional_select(e, &written, here);
            }
            self.writes.push(StoredObject {
                id: StorageId(id),
                bytes,
            });
        }
    }

    /// Downloads half-way.
    pub fn reading_tickets(&self) -> impl Iterator<Item = u64> + '_ {
        self.reading.keys().copied()
    }

    /// The objects written since the last call, for the host to store.
    pub fn take_writes(&mut self) -> Vec<StoredObject> {
        std::mem::take(&mut self.writes)
    }
}

//! The blob service against a host that keeps objects in a map and writes
//! down everything it sees.

use super::*;
use hush_wire::FixedCodec;
use hush_wire::blob_transfer::{BlobAnswer, BlobOp, BlobRequest, TransferKey};
use hush_wire::media::BlobId;
use std::collections::HashMap;

const CLASS: usize = 0;
const T0: u64 = 1_000;

fn key(n: u8) -> [u8; 32] {
    [n; 32]
}

fn proven(n: u8) -> ProvenKeys {
    let mut bytes = [0u8; crate::session::proven_keys::PROVEN_KEYS_LEN];
    bytes[..32].copy_from_slice(&key(n));
    bytes[hush_wire::consts::MAX_KEYS_PER_SESSION * 32] = 1;
    ProvenKeys::from_bytes(&bytes).unwrap()
}

/// A blob of the class filled with `fill`.
fn blob(fill: u8) -> Vec<u8> {
    vec![fill; BLOB_CLASSES[CLASS]]
}

/// What the host does and sees.
struct Host {
    b: Blobs,
    store: HashMap<[u8; STORAGE_ID_LEN], Vec<u8>>,
    /// Storage ids in the order they were written.
    written: Vec<[u8; STORAGE_ID_LEN]>,
    now: u64,
}

impl Host {
    fn new(mix: u32) -> Self {
        let mut b = Blobs::new(BlobConfig {
            mix,
            ..BlobConfig::new(32, 600)
        });
        b.tick(T0);
        Self {
            b,
            store: HashMap::new(),
            written: Vec::new(),
            now: T0,
        }
    }

    fn upload(&mut self, who: u8, id: u8, content: &[u8]) -> BlobStatus {
        self.upload_proving(who, who, id, content)
    }

    /// An upload charged to `who` on a session that proved `prover`.
    fn upload_proving(&mut self, who: u8, prover: u8, id: u8, content: &[u8]) -> BlobStatus {
        let transfer = [id; 32];
        let req = BlobRequest {
            op: BlobOp::Upload,
            class: CLASS as u8,
            blob: BlobId([id; 16]),
            acting_as: Some(hush_wire::PublicKey::new(key(who)).unwrap()),
            transfer_key: TransferKey(transfer),
        };
        let mut body = content.to_vec();
        let tag = ChaCha20Poly1305::new(Key::from_slice(&transfer))
            .encrypt_in_place_detached(Nonce::from_slice(&[0; 12]), BODY_AAD, &mut body)
            .unwrap();
        body.extend_from_slice(&tag);
        let a = self
            .b
            .upload(&req.encode(), &mut body, &proven(prover), Choice::from(1));
        BlobAnswer::decode(&a).unwrap().status
    }

    /// A download; returns the status, the blob (if OK) and the object
    /// the host was asked to read.
    fn download(&mut self, id: u8) -> (BlobStatus, Option<Vec<u8>>, Option<[u8; 16]>) {
        let req = BlobRequest {
            op: BlobOp::Download,
            class: CLASS as u8,
            blob: BlobId([id; 16]),
            acting_as: None,
            transfer_key: TransferKey([0; 32]),
        };
        let plan = match self.b.download_begin(&req.encode()) {
            Ok(p) => p,
            Err(s) => return (s, None, None),
        };
        let object = plan
            .read
            .map(|s| self.store.remove(&s.0).expect("asked for a stored object"));
        let served = self
            .b
            .download_finish(plan.ticket, object.as_deref())
            .unwrap();
        assert_eq!(served.body.len(), body_len(CLASS), "one body length");
        let answer = BlobAnswer::decode(&served.answer).unwrap();
        let mut body = served.body;
        let (plain, tag) = body.split_at_mut(BLOB_CLASSES[CLASS]);
        ChaCha20Poly1305::new(Key::from_slice(&answer.transfer_key.0))
            .decrypt_in_place_detached(
                Nonce::from_slice(&[0; 12]),
                BODY_AAD,
                plain,
                chacha20poly1305::Tag::from_slice(tag),
            )
            .unwrap();
        let content = (answer.status == BlobStatus::Ok).then(|| plain.to_vec());
        (answer.status, content, plan.read.map(|s| s.0))
    }

    fn tick(&mut self) -> usize {
        self.now += 1;
        self.b.tick(self.now);
        let writes = self.b.take_writes();
        let n = writes.len();
        for w in writes {
            assert_eq!(w.bytes.len(), BLOB_CLASSES[CLASS] + STORED_OVERHEAD);
            self.written.push(w.id.0);
            self.store.insert(w.id.0, w.bytes);
        }
        n
    }
}

#[test]
fn an_uploaded_blob_is_downloaded_before_and_after_its_mix() {
    let mut h = Host::new(2);
    assert_eq!(h.upload(1, 1, &blob(0xaa)), BlobStatus::Ok);
    assert_eq!(h.tick(), 0, "one blob is not a mix of two");
    // Before its mix: served from the mix; the store has nothing to read.
    let (status, content, read) = h.download(1);
    assert_eq!((status, read), (BlobStatus::Ok, None));
    assert_eq!(content.unwrap(), blob(0xaa));
    assert_eq!(h.upload(2, 2, &blob(0xbb)), BlobStatus::Ok);
    assert_eq!(h.tick(), 2, "the mix is written");
    for (id, fill) in [(1, 0xaa), (2, 0xbb), (1, 0xaa)] {
        let (status, content, read) = h.download(id);
        assert_eq!(status, BlobStatus::Ok);
        assert_eq!(content.unwrap(), blob(fill));
        assert!(read.is_some(), "every download reads one stored object");
        h.tick();
    }
    // Unknown ids: the same read, the same body length, NOT_FOUND inside.
    let (status, content, read) = h.download(9);
    assert_eq!((status, content), (BlobStatus::NotFound, None));
    assert!(read.is_some());
}

#[test]
fn refused_uploads_still_join_the_mix_and_are_never_found() {
    let mut h = Host::new(4);
    assert_eq!(h.upload(1, 1, &blob(1)), BlobStatus::Ok);
    assert_eq!(h.upload(1, 1, &blob(2)), BlobStatus::AlreadyExists);
    // Key 3 is not the one the session proved.
    assert_eq!(
        h.upload_proving(3, 4, 5, &blob(5)),
        BlobStatus::KeyNotProven
    );
    // A body that does not open under its transfer key.
    let req = BlobRequest {
        op: BlobOp::Upload,
        class: CLASS as u8,
        blob: BlobId([7; 16]),
        acting_as: Some(hush_wire::PublicKey::new(key(1)).unwrap()),
        transfer_key: TransferKey([7; 32]),
    };
    let mut body = vec![0u8; body_len(CLASS)];
    let a =
        h.b.upload(&req.encode(), &mut body, &proven(1), Choice::from(1));
    assert_eq!(
        BlobAnswer::decode(&a).unwrap().status,
        BlobStatus::InvalidRequest
    );
    assert_eq!(h.b.mixing(CLASS), 4, "every upload joined the mix");
    assert_eq!(h.tick(), 4, "four objects written, whatever the outcomes");
    assert_eq!(h.download(1).1.unwrap(), blob(1), "the first upload won");
    assert_eq!(h.download(5).0, BlobStatus::NotFound);
    assert_eq!(h.download(7).0, BlobStatus::NotFound);
}

/// The order objects are written in does not follow the order blobs were
/// uploaded in: across runs, the first upload's object is written first,
/// second, third and fourth.
#[test]
fn a_mix_is_written_in_a_random_order() {
    let mut positions = std::collections::BTreeSet::new();
    for _ in 0..64 {
        let mut h = Host::new(4);
        for id in 1..=4u8 {
            assert_eq!(h.upload(id, id, &blob(id)), BlobStatus::Ok);
        }
        assert_eq!(h.tick(), 4);
        // Which object holds blob 1: download it and see what was read.
        let (status, _, read) = h.download(1);
        assert_eq!(status, BlobStatus::Ok);
        let at = h.written.iter().position(|w| Some(*w) == read).unwrap();
        positions.insert(at);
    }
    assert_eq!(
        positions.len(),
        4,
        "the first upload was written only at {positions:?}"
    );
}

/// What the host sees of a download (whether the store is asked for an
/// object, the body's length) is the same whether the blob is stored,
/// mixing, or unknown; which object it is asked for is any stored one.
#[test]
fn downloads_look_the_same_whatever_they_find() {
    let mut h = Host::new(2);
    for id in [1u8, 2, 4, 5] {
        h.upload(id, id, &blob(id));
    }
    h.tick();
    h.upload(3, 3, &blob(3)); // mixing, not stored
    let mut seen = Vec::new();
    for id in [1u8, 3, 9] {
        let (status, _, read) = h.download(id);
        seen.push((status, read.is_some()));
    }
    assert_eq!(
        seen,
        vec![
            (BlobStatus::Ok, true),
            (BlobStatus::Ok, true),
            (BlobStatus::NotFound, true)
        ]
    );
}

#[test]
fn a_full_mix_answers_busy_and_stored_objects_expire() {
    let mut h = Host::new(1);
    let bound = h.b.config().mix_bound();
    for id in 1..=bound as u8 {
        assert_eq!(h.upload(id, id, &blob(id)), BlobStatus::Ok);
    }
    assert_eq!(h.upload(50, 50, &blob(50)), BlobStatus::Busy);
    assert_eq!(h.download(1).0, BlobStatus::Busy);
    assert_eq!(h.tick(), bound);
    assert_eq!(h.download(1).0, BlobStatus::Ok);
    h.tick();
    // An hour on, everything written before has expired.
    h.now += 3_600;
    h.tick();
    assert_eq!(h.download(2).0, BlobStatus::NotFound);
}

#[test]
fn an_object_the_host_altered_or_withheld_is_lost_not_served() {
    let mut h = Host::new(1);
    h.upload(1, 1, &blob(1));
    h.tick();
    let req = BlobRequest {
        op: BlobOp::Download,
        class: CLASS as u8,
        blob: BlobId([1; 16]),
        acting_as: None,
        transfer_key: TransferKey([0; 32]),
    };
    let plan = h.b.download_begin(&req.encode()).unwrap();
    let mut object = h.store.remove(&plan.read.unwrap().0).unwrap();
    object[40] ^= 1;
    let served = h.b.download_finish(plan.ticket, Some(&object)).unwrap();
    assert_eq!(
        BlobAnswer::decode(&served.answer).unwrap().status,
        BlobStatus::NotFound
    );
    assert_eq!(h.download(1).0, BlobStatus::NotFound);
}

/// Each proven key may upload so many bytes a day, counted in the enclave:
/// beyond, its uploads are refused inside the sealed answer (and still
/// join the mix like any refused upload); another key, or the next day,
/// has its own allowance.
#[test]
fn each_key_has_a_daily_allowance() {
    let mut h = Host {
        b: Blobs::new(BlobConfig {
            mix: 64,
            per_key_daily_bytes: 2 * BLOB_CLASSES[CLASS] as u64,
            ..BlobConfig::new(32, 600)
        }),
        store: HashMap::new(),
        written: Vec::new(),
        now: T0,
    };
    h.b.tick(T0);
    assert_eq!(h.upload(1, 1, &blob(1)), BlobStatus::Ok);
    assert_eq!(h.upload(1, 2, &blob(2)), BlobStatus::Ok);
    assert_eq!(h.upload(1, 3, &blob(3)), BlobStatus::QuotaExceeded);
    assert_eq!(h.upload(2, 4, &blob(4)), BlobStatus::Ok, "another key");
    assert_eq!(
        h.b.mixing(CLASS),
        4,
        "the refused upload joined the mix too"
    );
    assert_eq!(h.download(3).0, BlobStatus::NotFound);
    h.now += 86_400;
    h.b.tick(h.now);
    assert_eq!(h.upload(1, 5, &blob(5)), BlobStatus::Ok, "a new day");
}

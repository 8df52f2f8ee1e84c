//! Every size of the wire format, named once.

/// Length of a message id.
pub const ID_LEN: usize = 16;
/// Length of a public key (a compressed Ristretto point).
pub const KEY_LEN: usize = 32;
/// Length of a timestamp (u64 seconds since the Unix epoch, little-endian).
pub const TIMESTAMP_LEN: usize = 8;
/// Length of a message payload.
pub const PAYLOAD_LEN: usize = 936;
/// Length of a whole message: id | sender | recipient | timestamp | payload.
pub const MESSAGE_LEN: usize = ID_LEN + 2 * KEY_LEN + TIMESTAMP_LEN + PAYLOAD_LEN;
/// Length of the framing header inside a payload (content length, u16 LE).
pub const PAYLOAD_FRAME_HEADER_LEN: usize = 2;
/// Largest content that fits in a framed payload.
pub const MAX_PAYLOAD_CONTENT_LEN: usize = PAYLOAD_LEN - PAYLOAD_FRAME_HEADER_LEN;
/// Messages in flight per recipient: a mailbox never holds more.
pub const MAILBOX_CAPACITY: usize = 62;

/// Length of the op code field of a request record.
pub const OP_LEN: usize = 1;
/// Reserved (zero) bytes after the op code of a request record.
pub const REQUEST_RESERVED_LEN: usize = 7;
/// Length of a request record.
pub const REQUEST_LEN: usize = OP_LEN + REQUEST_RESERVED_LEN + ID_LEN + 2 * KEY_LEN + PAYLOAD_LEN;

/// Length of the status field of a response record.
pub const STATUS_LEN: usize = 1;
/// Length of the listing count field of a response record.
pub const LISTING_COUNT_LEN: usize = 1;
/// Reserved (zero) bytes after the listing count of a response record.
pub const RESPONSE_RESERVED_LEN: usize = 6;
/// Length of the mailbox listing of a response record (always full size).
pub const LISTING_LEN: usize = MAILBOX_CAPACITY * ID_LEN;
/// Length of a response record.
pub const RESPONSE_LEN: usize =
    STATUS_LEN + LISTING_COUNT_LEN + RESPONSE_RESERVED_LEN + MESSAGE_LEN + LISTING_LEN;

const _: () = assert!(MESSAGE_LEN == 1024);
const _: () = assert!(REQUEST_LEN == 1024);
const _: () = assert!(RESPONSE_LEN == 2024);
const _: () = assert!(MAILBOX_CAPACITY <= u8::MAX as usize);

/// Length of a session id.
pub const SESSION_ID_LEN: usize = 16;
/// Length of the explicit Noise nonce at the front of a sealed frame.
pub const NONCE_LEN: usize = 8;
/// Length of the AEAD tag (ChaChaPoly) of a sealed frame.
pub const AEAD_TAG_LEN: usize = 16;
/// Length of a sealed request frame: nonce | encrypted request record | tag.
pub const SEALED_REQUEST_LEN: usize = NONCE_LEN + REQUEST_LEN + AEAD_TAG_LEN;
/// Length of a sealed response frame.
pub const SEALED_RESPONSE_LEN: usize = NONCE_LEN + RESPONSE_LEN + AEAD_TAG_LEN;
/// Length of an ML-KEM-768 encapsulation key (the `e1` of a hybrid handshake).
pub const KEM_PUBLIC_KEY_LEN: usize = 1184;
/// Length of an ML-KEM-768 ciphertext (the `ekem1` of a hybrid handshake,
/// before its AEAD tag).
pub const KEM_CIPHERTEXT_LEN: usize = 1088;
/// Length of the client's first handshake message: its ephemeral X25519
/// key and its ephemeral ML-KEM-768 encapsulation key, both in the clear.
pub const HANDSHAKE_INIT_LEN: usize = 32 + KEM_PUBLIC_KEY_LEN;
/// Length of the services' epoch at the front of the enclave's handshake
/// payload (little-endian u64; the evidence follows).
pub const SERVICE_EPOCH_LEN: usize = 8;
/// Keys one session may prove.
pub const MAX_KEYS_PER_SESSION: usize = 4;
/// Length of an sr25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of a key-proof request: count 1 | 4 x (key 32 | signature 64).
pub const KEY_PROOF_REQUEST_LEN: usize = 1 + MAX_KEYS_PER_SESSION * (KEY_LEN + SIGNATURE_LEN);
/// Length of a key-proof response: status 1 | keys proven 1.
pub const KEY_PROOF_RESPONSE_LEN: usize = 2;
/// Length of a sealed key-proof request.
pub const SEALED_KEY_PROOF_REQUEST_LEN: usize = NONCE_LEN + KEY_PROOF_REQUEST_LEN + AEAD_TAG_LEN;
/// Length of a sealed key-proof response.
pub const SEALED_KEY_PROOF_RESPONSE_LEN: usize = NONCE_LEN + KEY_PROOF_RESPONSE_LEN + AEAD_TAG_LEN;
/// Signing context of key proofs (schnorrkel `signing_context`).
pub const KEY_PROOF_CONTEXT: &[u8] = b"hush.key-proof.v1";
/// The Noise protocol every session uses (the name hashed into the
/// handshake): NX with hybrid forward secrecy, X25519 and ML-KEM-768
/// (FIPS 203). `hush-noise` builds it.
pub const NOISE_PARAMS: &str = "Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s";
/// The Noise protocol enclaves use between each other to join a cluster.
pub const PEER_NOISE_PARAMS: &str = "Noise_XXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s";

const _: () = assert!(SEALED_RESPONSE_LEN == 2048);

// End-to-end envelopes: the layout of a payload sealed by one client for
// another (crate::envelope). The broker never reads them.

/// Version byte of the current envelope layout.
pub const ENVELOPE_VERSION: u8 = 1;
/// Length of an X25519 public key (an identity's encryption key).
pub const ENCRYPTION_KEY_LEN: usize = 32;
/// Length of an HPKE encapsulated key (X25519).
pub const ENCAPPED_KEY_LEN: usize = 32;
/// Length of the envelope header: version 1 | author role 1 | author's
/// encryption key 32 | the author's signature of it 64 | encapsulated key 32.
pub const ENVELOPE_HEADER_LEN: usize =
    1 + 1 + ENCRYPTION_KEY_LEN + SIGNATURE_LEN + ENCAPPED_KEY_LEN;
/// Length of the ciphertext after the header (sealed plaintext and tag).
pub const ENVELOPE_CIPHERTEXT_LEN: usize = PAYLOAD_LEN - ENVELOPE_HEADER_LEN;
/// Length of the sealed plaintext: kind 1 | content length 2 | content | zeros.
pub const ENVELOPE_PLAINTEXT_LEN: usize = ENVELOPE_CIPHERTEXT_LEN - AEAD_TAG_LEN;
/// Length of the plaintext's kind and content-length fields.
pub const ENVELOPE_PLAINTEXT_HEADER_LEN: usize = 1 + 2;
/// Largest content an envelope carries.
pub const MAX_ENVELOPE_CONTENT_LEN: usize = ENVELOPE_PLAINTEXT_LEN - ENVELOPE_PLAINTEXT_HEADER_LEN;
/// Length of a contact card: signing key 32 | encryption key 32 | signature 64.
pub const CARD_LEN: usize = KEY_LEN + ENCRYPTION_KEY_LEN + SIGNATURE_LEN;
/// The text form of a card starts with this.
pub const CARD_PREFIX: &str = "hush-card-v1:";
/// Signing context of a card's signature (schnorrkel `signing_context`).
pub const CARD_CONTEXT: &[u8] = b"hush.card.v1";

const _: () = assert!(ENVELOPE_HEADER_LEN == 130);
const _: () = assert!(MAX_ENVELOPE_CONTENT_LEN == 787);

// The directory service (crate::directory): its own fixed records.

/// Devices an account may hold.
pub const MAX_DEVICES: usize = 8;
/// Length of an identifier field: kind 1 | length 1 | bytes 126.
pub const IDENTIFIER_LEN: usize = 128;
/// Longest normalised identifier (email address or E.164 number), in bytes.
pub const MAX_IDENTIFIER_BYTES: usize = IDENTIFIER_LEN - 2;
/// Length of a device record: the device's card 128 (signing key 32 |
/// encryption key 32 | its signature 64) | mailbox key 32 | the identity
/// key's signature 64.
pub const DEVICE_LEN: usize = CARD_LEN + KEY_LEN + SIGNATURE_LEN;
/// Signing context of a device record's signature.
pub const DEVICE_CONTEXT: &[u8] = b"hush.device.v1";
/// Length of a directory request record: op 1 | reserved 7 | acting-as key
/// 32 | identifier 128 | code 4 | flags 1 | reserved 3 | device 224.
pub const DIRECTORY_REQUEST_LEN: usize =
    OP_LEN + REQUEST_RESERVED_LEN + KEY_LEN + IDENTIFIER_LEN + 4 + 1 + 3 + DEVICE_LEN;
/// Length of a directory response record: status 1 | flags 1 | device count
/// 1 | verified identifiers 1 | tokens granted 1 | reserved 1 | tokens per
/// day 2 | identity key 32 | 8 devices.
pub const DIRECTORY_RESPONSE_LEN: usize = 8 + KEY_LEN + MAX_DEVICES * DEVICE_LEN;
/// Length of a sealed directory request.
pub const SEALED_DIRECTORY_REQUEST_LEN: usize = NONCE_LEN + DIRECTORY_REQUEST_LEN + AEAD_TAG_LEN;
/// Length of a sealed directory response.
pub const SEALED_DIRECTORY_RESPONSE_LEN: usize = NONCE_LEN + DIRECTORY_RESPONSE_LEN + AEAD_TAG_LEN;
/// Verification codes are this many decimal digits.
pub const CODE_DIGITS: usize = 6;

const _: () = assert!(DEVICE_LEN == 224);
const _: () = assert!(DIRECTORY_REQUEST_LEN == 400);
const _: () = assert!(DIRECTORY_RESPONSE_LEN == 1832);

// The rendezvous service (crate::rendezvous): quorum computations.

/// Participants a computation has at most.
pub const MAX_PARTICIPANTS: usize = 8;
/// Length of a computation id: the enclave's epoch 8 | random 8.
pub const COMPUTATION_ID_LEN: usize = 16;
/// Length of a computation's name field (UTF-8, zero-padded).
pub const COMPUTATION_NAME_LEN: usize = 32;
/// Length of a key-matching key field (UTF-8, zero-padded).
pub const MATCH_KEY_LEN: usize = 32;
/// Length of a key-matching message field (bytes, zero-padded; length in
/// its first byte).
pub const MATCH_MESSAGE_LEN: usize = 96;
/// Length of a rendezvous request record: op 1 | reserved 7 | acting-as
/// 32 | computation id 16 | type 1 | quorum 1 | participant count 1 |
/// reserved 5 | deadline 8 | name 32 | participants 8 x 32 | value 8 |
/// match key 32 | message 96.
pub const RENDEZVOUS_REQUEST_LEN: usize = OP_LEN
    + REQUEST_RESERVED_LEN
    + KEY_LEN
    + COMPUTATION_ID_LEN
    + 8
    + 8
    + COMPUTATION_NAME_LEN
    + MAX_PARTICIPANTS * KEY_LEN
    + 8
    + MATCH_KEY_LEN
    + MATCH_MESSAGE_LEN;
/// Length of a rendezvous response record: status 1 | type 1 | quorum 1 |
/// submissions 1 | released 1 | reserved 3 | computation id 16 | value 8 |
/// identity 32 | 8 x (participant 32 | message 96).
pub const RENDEZVOUS_RESPONSE_LEN: usize =
    8 + COMPUTATION_ID_LEN + 8 + KEY_LEN + MAX_PARTICIPANTS * (KEY_LEN + MATCH_MESSAGE_LEN);

/// Computations a rendezvous list answer holds (a member's most recent).
pub const MAX_LISTED: usize = 16;
/// Length of one listed computation: id 16 | name 32 | type 1 | role 1 |
/// quorum 1 | participant count 1 | order 4 | deadline 8.
pub const LISTED_COMPUTATION_LEN: usize = COMPUTATION_ID_LEN + COMPUTATION_NAME_LEN + 4 + 4 + 8;
const _: () = assert!(
    8 + COMPUTATION_ID_LEN + 8 + KEY_LEN + MAX_LISTED * LISTED_COMPUTATION_LEN
        == RENDEZVOUS_RESPONSE_LEN
);

/// Length of a sealed rendezvous request.
pub const SEALED_RENDEZVOUS_REQUEST_LEN: usize = NONCE_LEN + RENDEZVOUS_REQUEST_LEN + AEAD_TAG_LEN;
/// Length of a sealed rendezvous response.
pub const SEALED_RENDEZVOUS_RESPONSE_LEN: usize =
    NONCE_LEN + RENDEZVOUS_RESPONSE_LEN + AEAD_TAG_LEN;

const _: () = assert!(RENDEZVOUS_REQUEST_LEN == 496);
const _: () = assert!(RENDEZVOUS_RESPONSE_LEN == 1088);

//! docs/PROTOCOL.md's sizes table must match the code: every row names a
//! constant and its value, and every constant listed here has a row.

use hush_wire::blob_transfer::{
    BLOB_ANSWER_LEN, BLOB_REQUEST_LEN, SEALED_BLOB_ANSWER_LEN, SEALED_BLOB_REQUEST_LEN,
    STORED_OVERHEAD,
};
use hush_wire::consts::*;
use hush_wire::tcp::{TCP_ANSWER_BODY_LEN, TCP_REQUEST_BODY_LEN};
use hush_wire::tokens::{TOKEN_LEN, TOKEN_REQUEST_LEN, TOKEN_RESPONSE_LEN};

#[test]
fn the_documented_sizes_are_the_real_ones() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/PROTOCOL.md"
    ))
    .expect("docs/PROTOCOL.md");
    let table = doc.split("## Sizes").nth(1).expect("a Sizes section");
    let documented: Vec<(String, usize)> = table
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let value = cells.get(2)?.parse().ok()?;
            Some((cells[1].to_owned(), value))
        })
        .collect();
    let real = [
        ("MESSAGE_LEN", MESSAGE_LEN),
        ("PAYLOAD_LEN", PAYLOAD_LEN),
        ("REQUEST_LEN", REQUEST_LEN),
        ("RESPONSE_LEN", RESPONSE_LEN),
        ("LISTING_LEN", LISTING_LEN),
        ("MAILBOX_CAPACITY", MAILBOX_CAPACITY),
        ("SEALED_REQUEST_LEN", SEALED_REQUEST_LEN),
        ("SEALED_RESPONSE_LEN", SEALED_RESPONSE_LEN),
        ("TCP_REQUEST_BODY_LEN", TCP_REQUEST_BODY_LEN),
        ("TCP_ANSWER_BODY_LEN", TCP_ANSWER_BODY_LEN),
        ("BLOB_REQUEST_LEN", BLOB_REQUEST_LEN),
        ("SEALED_BLOB_REQUEST_LEN", SEALED_BLOB_REQUEST_LEN),
        ("BLOB_ANSWER_LEN", BLOB_ANSWER_LEN),
        ("SEALED_BLOB_ANSWER_LEN", SEALED_BLOB_ANSWER_LEN),
        ("STORED_OVERHEAD", STORED_OVERHEAD),
        ("KEY_PROOF_REQUEST_LEN", KEY_PROOF_REQUEST_LEN),
        ("SEALED_KEY_PROOF_REQUEST_LEN", SEALED_KEY_PROOF_REQUEST_LEN),
        (
            "SEALED_KEY_PROOF_RESPONSE_LEN",
            SEALED_KEY_PROOF_RESPONSE_LEN,
        ),
        ("HANDSHAKE_INIT_LEN", HANDSHAKE_INIT_LEN),
        ("ENVELOPE_HEADER_LEN", ENVELOPE_HEADER_LEN),
        ("ENVELOPE_PLAINTEXT_LEN", ENVELOPE_PLAINTEXT_LEN),
        ("MAX_ENVELOPE_CONTENT_LEN", MAX_ENVELOPE_CONTENT_LEN),
        ("CARD_LEN", CARD_LEN),
        ("IDENTIFIER_LEN", IDENTIFIER_LEN),
        ("DEVICE_LEN", DEVICE_LEN),
        ("DIRECTORY_REQUEST_LEN", DIRECTORY_REQUEST_LEN),
        ("DIRECTORY_RESPONSE_LEN", DIRECTORY_RESPONSE_LEN),
        ("SEALED_DIRECTORY_REQUEST_LEN", SEALED_DIRECTORY_REQUEST_LEN),
        (
            "SEALED_DIRECTORY_RESPONSE_LEN",
            SEALED_DIRECTORY_RESPONSE_LEN,
        ),
        ("RENDEZVOUS_REQUEST_LEN", RENDEZVOUS_REQUEST_LEN),
        ("RENDEZVOUS_RESPONSE_LEN", RENDEZVOUS_RESPONSE_LEN),
        (
            "SEALED_RENDEZVOUS_REQUEST_LEN",
            SEALED_RENDEZVOUS_REQUEST_LEN,
        ),
        (
            "SEALED_RENDEZVOUS_RESPONSE_LEN",
            SEALED_RENDEZVOUS_RESPONSE_LEN,
        ),
        ("TOKEN_LEN", TOKEN_LEN),
        ("TOKEN_REQUEST_LEN", TOKEN_REQUEST_LEN),
        ("TOKEN_RESPONSE_LEN", TOKEN_RESPONSE_LEN),
    ];
    assert_eq!(
        documented.len(),
        real.len(),
        "one row per constant: {documented:?}"
    );
    for (name, value) in real {
        let row = documented.iter().find(|(n, _)| n == name);
        assert_eq!(
            row.map(|(_, v)| *v),
            Some(value),
            "docs/PROTOCOL.md row for {name}"
        );
    }
}

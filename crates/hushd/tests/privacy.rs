//! The privacy promise, checked from outside a real hushd: what the
//! operator could read in the broker's memory, and how many requests a
//! user action makes.

mod common;

use common::{Hushd, client, http_get, hush, metric};
use hush_client::{Identity, SealedPayload, e2e, new_message_id};
use hush_wire::consts::MAILBOX_CAPACITY;
use hush_wire::{EnvelopeKind, EnvelopePlaintext, MessageId, Payload, PublicKey};

/// A fresh random marker no process has seen before.
fn marker(tag: &str) -> String {
    format!("{tag}-{}", hex::encode(rand::random::<[u8; 16]>()))
}

/// Alice and bob, each with an identity in a HUSH_HOME of their own, as on
/// two machines.
struct TwoUsers {
    url: String,
    alice_home: tempfile::TempDir,
    bob_home: tempfile::TempDir,
}

impl TwoUsers {
    fn new(server: &Hushd) -> Self {
        let users = Self {
            url: server.url.clone(),
            alice_home: tempfile::tempdir().unwrap(),
            bob_home: tempfile::tempdir().unwrap(),
        };
        assert!(users.alice(&["id", "new", "alice"]).ok);
        assert!(users.bob(&["id", "new", "bob"]).ok);
        users
    }

    fn alice(&self, args: &[&str]) -> common::Run {
        hush(self.alice_home.path(), &self.url, args)
    }

    fn bob(&self, args: &[&str]) -> common::Run {
        hush(self.bob_home.path(), &self.url, args)
    }
}

/// A library user (a fresh identity) sends `text` to `to` unencrypted, on
/// purpose.
fn send_unencrypted(url: &str, to: PublicKey, text: &[u8]) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let carol = Identity::generate("carol");
        let mut c = client(url, &[&carol]).await;
        let payload = SealedPayload::unencrypted(Payload::frame(text).unwrap());
        c.create(carol.public(), new_message_id(), to, payload)
            .await
            .unwrap();
    });
}

/// Two users on separate machines (separate HUSH_HOMEs): bob hands alice
/// his card, alice sends a fresh random marker with the CLI. The marker
/// is nowhere in hushd's memory, while the message's id (which the broker
/// stores in the clear) is: the scan does see stored messages. A payload
/// sent unencrypted on purpose is found: the scan would catch plaintext.
/// Bob gets the text back.
#[test]
fn the_broker_never_holds_the_plaintext() {
    let server = Hushd::start(&[]);
    let users = TwoUsers::new(&server);
    let (alice, bob) = (|a: &[&str]| users.alice(a), |a: &[&str]| users.bob(a));
    let card = bob(&["id", "card", "bob"]);
    assert!(card.ok, "{}", card.stderr);
    let r = alice(&["contact", "add", "bob", card.stdout.trim()]);
    assert!(r.ok, "{}", r.stderr);

    let secret = marker("e2e-marker");
    let r = alice(&[
        "send",
        "--as",
        "alice",
        "--to",
        "bob",
        &secret,
        "--json",
        "--allow-dev-attestation",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let sent: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let id = MessageId::from_hex(sent["id"].as_str().unwrap()).unwrap();

    assert!(
        server.memory_contains(id.as_bytes()),
        "control: the stored message's id is in hushd's memory"
    );
    assert!(
        !server.memory_contains(secret.as_bytes()),
        "the text reached the broker in the clear"
    );

    // The control for the control: plaintext, sent as such, is found.
    let exposed = marker("plain-marker");
    send_unencrypted(
        &server.url,
        Identity::generate("dave").public(),
        exposed.as_bytes(),
    );
    assert!(
        server.memory_contains(exposed.as_bytes()),
        "the scan finds plaintext"
    );

    // Bob, who has no card for alice, still reads it and sees who wrote it.
    let r = bob(&["inbox", "--as", "bob", "--json", "--allow-dev-attestation"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains(&secret), "{}", r.stdout);
    let r = bob(&["read", "--as", "bob", "--json", "--allow-dev-attestation"]);
    let m: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(m["text"], secret.as_str());
    assert_eq!(m["kind"], "text");
}

/// The requests behind `hush inbox` are the same for an empty mailbox and
/// a full one (62 messages), as hushd's own metrics count them.
#[test]
fn inbox_makes_the_same_requests_whatever_the_mailbox_holds() {
    let server = Hushd::start(&[]);
    let metrics_url = server.metrics.clone().unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = |args: &[&str]| hush(home.path(), &server.url, args);
    assert!(h(&["id", "new", "empty"]).ok);
    assert!(h(&["id", "new", "full"]).ok);
    let full = hush_client::Keystore::open(home.path())
        .load("full")
        .unwrap();

    // Fill one mailbox to the brim, end-to-end encrypted.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sender = Identity::generate("sender");
        let mut c = client(&server.url, &[&sender]).await;
        let card = e2e::card_for(&full);
        for n in 0..MAILBOX_CAPACITY {
            let text =
                EnvelopePlaintext::new(EnvelopeKind::Text, format!("#{n}").as_bytes()).unwrap();
            c.send(&sender, &card, new_message_id(), &text)
                .await
                .unwrap();
        }
    });

    let series = [
        r#"hush_requests_total{rpc="handshake",outcome="ok"}"#,
        r#"hush_requests_total{rpc="prove_keys",outcome="ok"}"#,
        r#"hush_requests_total{rpc="query",outcome="ok"}"#,
    ];
    let counts = || {
        let page = http_get(&metrics_url);
        series.map(|s| metric(&page, s))
    };
    let requests_for = |who: &str| {
        let before = counts();
        let r = h(&["inbox", "--as", who, "--allow-dev-attestation"]);
        assert!(r.ok, "{}", r.stderr);
        let after = counts();
        let delta: Vec<f64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
        (delta, r.stdout)
    };
    let (empty, out) = requests_for("empty");
    assert!(out.contains("0 message(s)"), "{out}");
    let (full_delta, out) = requests_for("full");
    assert!(
        out.contains("62 message(s)") && out.contains("#61"),
        "{out}"
    );
    assert_eq!(
        empty, full_delta,
        "handshakes, key proofs and queries behind `hush inbox`"
    );
    assert_eq!(
        empty,
        vec![
            1.0,
            1.0,
            (hush_client::INBOX_REQUESTS + hush_client::status::batch_requests(0)) as f64
        ],
        "one handshake, one key proof, one list, 62 reads, and a padded batch of read receipts"
    );
}

/// Cards and contacts from the CLI: a bad or altered card is refused with
/// a clear reason, a key without a card cannot be written to, and a
/// message that does not open is reported and stays in the mailbox.
#[test]
fn cards_contacts_and_messages_that_do_not_open() {
    let server = Hushd::start(&[]);
    let users = TwoUsers::new(&server);
    let (alice, bob) = (|a: &[&str]| users.alice(a), |a: &[&str]| users.bob(a));
    let card = bob(&["id", "card", "bob"]).stdout.trim().to_owned();

    let r = alice(&["contact", "add", "bob", "hello"]);
    assert!(
        !r.ok && r.stderr.contains("not a contact card"),
        "{}",
        r.stderr
    );
    // One hex digit of the signature changed.
    let mut altered = card.clone();
    let at = altered.len() - 3;
    let digit = if &altered[at..at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    altered.replace_range(at..at + 1, digit);
    let r = alice(&["contact", "add", "bob", &altered]);
    assert!(
        !r.ok && r.stderr.contains("not signed by its own key"),
        "{}",
        r.stderr
    );
    let r = alice(&["contact", "add", "alice", &card]);
    assert!(
        !r.ok && r.stderr.contains("one of your identities"),
        "{}",
        r.stderr
    );
    assert!(alice(&["contact", "add", "bob", &card]).ok);
    let r = alice(&["contact", "add", "bob", &card]);
    assert!(!r.ok && r.stderr.contains("already exists"), "{}", r.stderr);
    let r = alice(&["contact", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(list[0]["name"], "bob");

    // A bare key with no card: nothing to encrypt to.
    let stranger = Identity::generate("stranger").public().to_hex();
    let r = alice(&[
        "send",
        "--as",
        "alice",
        "--to",
        &stranger,
        "x",
        "--allow-dev-attestation",
    ]);
    assert!(
        !r.ok && r.stderr.contains("no card for key"),
        "{}",
        r.stderr
    );
    // By key, a contact's card is found.
    let bob_key = bob(&["id", "show", "bob"]).stdout.trim().to_owned();
    let r = alice(&[
        "send",
        "--as",
        "alice",
        "--to",
        &bob_key,
        "first draft",
        "--json",
        "--allow-dev-attestation",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let sent: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let sent_id = sent["id"].as_str().unwrap().to_owned();
    // The sender rewrites it, sealed for bob again.
    let r = alice(&[
        "update",
        "--as",
        "alice",
        "--to",
        "bob",
        &sent_id,
        "by key",
        "--json",
        "--allow-dev-attestation",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let updated: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(updated["text"], "by key");

    // A payload that is not an envelope (sent raw by a library user).
    let bob_id = hush_client::Keystore::open(users.bob_home.path())
        .load("bob")
        .unwrap();
    send_unencrypted(&server.url, bob_id.public(), b"raw");
    let r = bob(&["inbox", "--as", "bob", "--allow-dev-attestation"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("2 message(s)") && r.stdout.contains("by key"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("cannot open: the payload is not an end-to-end envelope"),
        "{}",
        r.stdout
    );
    // Reading the oldest (alice's) works; deleting it, the raw one is next.
    assert!(
        bob(&["read", "--as", "bob", "--allow-dev-attestation"])
            .stdout
            .contains("by key")
    );
    let r = bob(&["inbox", "--as", "bob", "--json", "--allow-dev-attestation"]);
    let inbox: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(inbox.as_array().unwrap().len(), 2, "one JSON array");
    assert!(
        inbox[1]["error"]
            .as_str()
            .unwrap()
            .contains("not an end-to-end envelope")
    );
    let id = inbox[0]["id"].as_str().unwrap().to_owned();
    assert!(bob(&["delete", "--as", "bob", &id, "--allow-dev-attestation"]).ok);
    let r = bob(&["read", "--as", "bob", "--allow-dev-attestation"]);
    assert!(
        !r.ok && r.stderr.contains("still in your mailbox"),
        "{}",
        r.stderr
    );
    let r = bob(&["inbox", "--as", "bob", "--allow-dev-attestation"]);
    assert!(
        r.stdout.contains("1 message(s)"),
        "nothing lost: {}",
        r.stdout
    );

    assert!(alice(&["contact", "remove", "bob"]).ok);
    let r = alice(&[
        "send",
        "--as",
        "alice",
        "--to",
        "bob",
        "x",
        "--allow-dev-attestation",
    ]);
    assert!(!r.ok && r.stderr.contains("nor a contact"), "{}", r.stderr);
}

/// An identity protected by a passphrase: listed without it, refused
/// without it or with a wrong one (clearly), usable with it.
#[test]
fn passphrase_protected_identities_from_the_cli() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str], pass: Option<&str>| {
        let env: Vec<(&str, &str)> = pass.map(|p| ("HUSH_PASSPHRASE", p)).into_iter().collect();
        common::hush_env(home.path(), &server.url, args, &env)
    };
    assert!(run(&["id", "new", "alice", "--passphrase"], Some("open sesame")).ok);
    assert!(run(&["id", "new", "bob"], None).ok);
    let r = run(&["id", "list"], None);
    assert!(r.ok && r.stdout.contains("(passphrase)"), "{}", r.stdout);
    let file = std::fs::read_to_string(home.path().join("identities/alice.json")).unwrap();
    assert!(file.contains("BEGIN AGE ENCRYPTED FILE") && !file.contains("\"secret\""));

    let send = [
        "send",
        "--as",
        "alice",
        "--to",
        "bob",
        "hi",
        "--allow-dev-attestation",
    ];
    let r = run(&send, None);
    assert!(
        !r.ok && r.stderr.contains("HUSH_PASSPHRASE"),
        "{}",
        r.stderr
    );
    let r = run(&send, Some("wrong"));
    assert!(
        !r.ok && r.stderr.contains("wrong passphrase"),
        "{}",
        r.stderr
    );
    let r = run(&send, Some("open sesame"));
    assert!(r.ok, "{}", r.stderr);
    let r = run(&["inbox", "--as", "bob", "--allow-dev-attestation"], None);
    assert!(
        r.stdout.contains("from alice") && r.stdout.contains("hi"),
        "{}",
        r.stdout
    );

    assert!(run(&["id", "unprotect", "alice"], Some("open sesame")).ok);
    assert!(run(&send, None).ok, "unprotected again");
}

/// Safety numbers: alice and bob, each holding the other's card, see the
/// same number; a card swapped for mallory's gives alice another one.
#[test]
fn safety_numbers_match_on_both_sides() {
    let server = Hushd::start(&[]);
    let users = TwoUsers::new(&server);
    let card = |r: common::Run| r.stdout.trim().to_owned();
    let alice_card = card(users.alice(&["id", "card", "alice"]));
    let bob_card = card(users.bob(&["id", "card", "bob"]));
    assert!(users.alice(&["contact", "add", "bob", &bob_card]).ok);
    assert!(users.bob(&["contact", "add", "alice", &alice_card]).ok);
    let number = |r: common::Run| {
        assert!(r.ok, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v["safety_number"].as_str().unwrap().to_owned()
    };
    let at_alice = number(users.alice(&["safety-number", "--as", "alice", "bob", "--json"]));
    let at_bob = number(users.bob(&["safety-number", "--as", "bob", "alice", "--json"]));
    assert_eq!(at_alice.len(), 60);
    assert_eq!(at_alice, at_bob, "the same number on both sides");
    let r = users.alice(&["safety-number", "--as", "alice", "bob"]);
    assert_eq!(
        r.stdout.lines().next().unwrap().split(' ').count(),
        12,
        "{}",
        r.stdout
    );

    // Mallory's card, saved under bob's name on alice's side.
    assert!(users.alice(&["contact", "remove", "bob"]).ok);
    let mallory = e2e::card_for(&Identity::generate("mallory")).to_text();
    assert!(users.alice(&["contact", "add", "bob", &mallory]).ok);
    let swapped = number(users.alice(&["safety-number", "--as", "alice", "bob", "--json"]));
    assert_ne!(swapped, at_bob, "a swapped card shows");
}

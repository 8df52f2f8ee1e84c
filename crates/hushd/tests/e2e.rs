//! End-to-end: a real hushd on loopback, driven by the client library and
//! by the `hush` CLI.

mod common;

use common::{Hushd, client, hush};
use hush_client::e2e::{self, card_for};
use hush_client::{ClientError, Identity, SealedPayload, new_message_id};
use hush_wire::consts::MAILBOX_CAPACITY;
use hush_wire::{EnvelopeKind, EnvelopePlaintext, Message, MessageId, Payload, PublicKey, Status};

/// An unencrypted payload, for tests of the broker's limits and retries.
fn text(s: &str) -> SealedPayload {
    SealedPayload::unencrypted(Payload::frame(s.as_bytes()).unwrap())
}

fn envelope(s: &str) -> EnvelopePlaintext {
    EnvelopePlaintext::new(EnvelopeKind::Text, s.as_bytes()).unwrap()
}

/// `author` seals `s` for message `id` from `sender` to `to`.
fn sealed(
    author: &Identity,
    to: &Identity,
    id: MessageId,
    sender: PublicKey,
    s: &str,
) -> SealedPayload {
    e2e::seal(author, &card_for(to), &id, &sender, &envelope(s)).unwrap()
}

/// What `me` reads in `m`, decrypted.
fn opened(me: &Identity, m: &Message) -> String {
    String::from_utf8(e2e::open(me, m).unwrap().content).unwrap()
}

#[tokio::test]
async fn three_identities_full_cycle() {
    let server = Hushd::start(&[]);
    let (alice, bob, carol) = (
        Identity::generate("alice"),
        Identity::generate("bob"),
        Identity::generate("carol"),
    );
    let mut a = client(&server.url, &[&alice]).await;
    let mut b = client(&server.url, &[&bob]).await;
    let mut c = client(&server.url, &[&carol]).await;

    let (to_bob_1, to_bob_2, to_carol) = (new_message_id(), new_message_id(), new_message_id());
    a.send(&alice, &card_for(&bob), to_bob_1, &envelope("bob one"))
        .await
        .unwrap();
    a.send(&alice, &card_for(&bob), to_bob_2, &envelope("bob two"))
        .await
        .unwrap();
    a.send(&alice, &card_for(&carol), to_carol, &envelope("carol one"))
        .await
        .unwrap();

    // Bob reads oldest first, with his listing.
    let r = b.read_next(bob.public()).await.unwrap().unwrap();
    assert_eq!(r.message.id, to_bob_1);
    assert_eq!(opened(&bob, &r.message), "bob one");
    assert_eq!(r.listing.ids(), &[to_bob_1, to_bob_2]);
    // Carol cannot open bob's message even if she gets the bytes.
    assert!(e2e::open(&carol, &r.message).is_err());
    // Bob updates his second message, then deletes the first.
    let m = b
        .update(
            bob.public(),
            to_bob_2,
            bob.public(),
            sealed(&bob, &bob, to_bob_2, alice.public(), "bob two, edited"),
        )
        .await
        .unwrap();
    let rewritten = e2e::open(&bob, &m).unwrap();
    assert_eq!(rewritten.content, b"bob two, edited");
    assert_eq!(
        rewritten.author,
        bob.public(),
        "the envelope says bob rewrote it"
    );
    b.delete(bob.public(), to_bob_1, bob.public())
        .await
        .unwrap();
    assert_eq!(b.list(bob.public()).await.unwrap().ids(), &[to_bob_2]);
    // Alice (the sender) can update and delete too; a stranger cannot.
    let err = c
        .delete(carol.public(), to_bob_2, bob.public())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(Status::NotFound));
    a.update(
        alice.public(),
        to_bob_2,
        bob.public(),
        sealed(&alice, &bob, to_bob_2, alice.public(), "from alice"),
    )
    .await
    .unwrap();
    let m = b.read(bob.public(), to_bob_2).await.unwrap().message;
    assert_eq!(opened(&bob, &m), "from alice");
    // Nobody reads someone else's mailbox.
    let err = c.read(carol.public(), to_bob_2).await.unwrap_err();
    assert_eq!(err.status(), Some(Status::NotFound));
    // Carol's mailbox is untouched by all of it.
    let inbox = c.inbox(carol.public()).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        (inbox[0].id, opened(&carol, &inbox[0])),
        (to_carol, "carol one".into())
    );
    a.delete(alice.public(), to_bob_2, bob.public())
        .await
        .unwrap();
    assert!(b.read_next(bob.public()).await.unwrap().is_none());
    assert!(b.inbox(bob.public()).await.unwrap().is_empty());
    assert!(server.stop(), "hushd exits cleanly on SIGTERM");
}

#[tokio::test]
async fn mailbox_full_and_idempotent_retry() {
    let server = Hushd::start(&[]);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut a = client(&server.url, &[&alice]).await;
    let first = new_message_id();
    for n in 0..MAILBOX_CAPACITY {
        let id = if n == 0 { first } else { new_message_id() };
        a.create(alice.public(), id, bob.public(), text(&format!("#{n}")))
            .await
            .unwrap();
    }
    let err = a
        .create(
            alice.public(),
            new_message_id(),
            bob.public(),
            text("one too many"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(Status::MailboxFull));
    assert!(err.to_string().contains("mailbox full"), "{err}");
    // Re-sending an existing id is answered "already exists" and stores nothing.
    let err = a
        .create(alice.public(), first, bob.public(), text("again"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(Status::AlreadyExists));
    let mut b = client(&server.url, &[&bob]).await;
    assert_eq!(
        b.list(bob.public()).await.unwrap().ids().len(),
        MAILBOX_CAPACITY
    );
    assert_eq!(
        b.read(bob.public(), first)
            .await
            .unwrap()
            .message
            .payload
            .unframe()
            .unwrap(),
        b"#0"
    );
}

#[tokio::test]
async fn messages_expire_after_the_ttl() {
    let server = Hushd::start(&["--ttl", "2s"]);
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut a = client(&server.url, &[&alice]).await;
    let mut b = client(&server.url, &[&bob]).await;
    let id = new_message_id();
    a.create(alice.public(), id, bob.public(), text("short-lived"))
        .await
        .unwrap();
    assert!(b.read(bob.public(), id).await.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    let err = b.read(bob.public(), id).await.unwrap_err();
    assert_eq!(err.status(), Some(Status::NotFound));
    assert!(b.list(bob.public()).await.unwrap().ids().is_empty());
}

#[tokio::test]
async fn restart_loses_messages_and_clients_reconnect() {
    let server = Hushd::start(&[]);
    let addr = server.listen_addr();
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut a = client(&server.url, &[&alice]).await;
    a.create(
        alice.public(),
        new_message_id(),
        bob.public(),
        text("lost on restart"),
    )
    .await
    .unwrap();
    let old_session = a.session().id();
    assert!(server.stop());
    // Same address, new process: new enclave keys, empty store.
    let server = Hushd::start_on(&addr, &[]);
    let mut b = client(&server.url, &[&bob]).await;
    assert!(
        b.list(bob.public()).await.unwrap().ids().is_empty(),
        "documented: the broker is in-memory"
    );
    // Alice's old session is gone; the client re-handshakes and retries.
    let id = new_message_id();
    a.create(alice.public(), id, bob.public(), text("after restart"))
        .await
        .unwrap();
    assert_ne!(a.session().id(), old_session);
    assert_eq!(b.list(bob.public()).await.unwrap().ids(), &[id]);
}

#[tokio::test]
async fn unreachable_server_is_a_clear_error() {
    let alice = Identity::generate("alice");
    let err = hush_client::Client::connect(
        "http://127.0.0.1:1",
        hush_attest::Policy::dev(),
        vec![alice.keypair()],
    )
    .await
    .err()
    .expect("nothing listens on port 1");
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err}");
}

#[test]
fn cli_quickstart_send_inbox_read_update_delete() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let h = |args: &[&str]| hush(home.path(), &server.url, args);
    for name in ["alice", "bob", "carol"] {
        let r = h(&["id", "new", name]);
        assert!(r.ok, "{}", r.stderr);
    }
    let r = h(&["id", "list"]);
    assert!(r.stdout.contains("alice") && r.stdout.contains("carol"));
    // Without the dev flag the server's dev attestation is refused, with a hint.
    let r = h(&["send", "--as", "alice", "--to", "bob", "hi"]);
    assert!(
        !r.ok && r.stderr.contains("attestation") && r.stderr.contains("--allow-dev-attestation"),
        "{}",
        r.stderr
    );
    let r = h(&[
        "send",
        "--as",
        "alice",
        "--to",
        "bob",
        "hello bob",
        "--allow-dev-attestation",
        "--json",
    ]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stderr.contains("DEV attestation"), "warned on every use");
    let sent: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let id = sent["id"].as_str().unwrap().to_owned();
    h(&[
        "send",
        "--as",
        "alice",
        "--to",
        "carol",
        "hello carol",
        "--allow-dev-attestation",
    ]);

    let r = h(&["inbox", "--as", "bob", "--allow-dev-attestation"]);
    assert!(
        r.ok && r.stdout.contains("hello bob") && r.stdout.contains("from alice"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let r = h(&[
        "update",
        "--as",
        "bob",
        &id,
        "edited",
        "--allow-dev-attestation",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let r = h(&[
        "read",
        "--as",
        "bob",
        &id,
        "--json",
        "--allow-dev-attestation",
    ]);
    let m: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(m["text"], "edited");
    assert_eq!(m["from_name"], "alice");
    let r = h(&["delete", "--as", "bob", &id, "--allow-dev-attestation"]);
    assert!(r.ok, "{}", r.stderr);
    let r = h(&["read", "--as", "bob", &id, "--allow-dev-attestation"]);
    assert!(!r.ok && r.stderr.contains("not found"), "{}", r.stderr);
    let r = h(&["inbox", "--as", "carol", "--allow-dev-attestation"]);
    assert!(
        r.stdout.contains("hello carol"),
        "carol untouched: {}",
        r.stdout
    );
    // Clear errors for user mistakes.
    assert!(
        h(&["send", "--as", "nobody", "--to", "bob", "x"])
            .stderr
            .contains("no identity named")
    );
    assert!(
        h(&["send", "--as", "alice", "--to", "zed", "x"])
            .stderr
            .contains("neither one of your identities")
    );
    let long = "x".repeat(935);
    assert!(
        h(&[
            "send",
            "--as",
            "alice",
            "--to",
            "bob",
            &long,
            "--allow-dev-attestation"
        ])
        .stderr
        .contains("too long")
    );
    let r = hush(
        home.path(),
        "http://127.0.0.1:1",
        &["inbox", "--as", "bob", "--allow-dev-attestation"],
    );
    assert!(!r.ok && r.stderr.contains("cannot reach"), "{}", r.stderr);
}

#[test]
fn metrics_and_health_are_served() {
    let server = Hushd::start(&[]);
    let url = server.metrics.clone().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let alice = Identity::generate("alice");
        let mut a = client(&server.url, &[&alice]).await;
        a.list(alice.public()).await.unwrap();
    });
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let body = common::http_get(&url);
    assert!(
        body.contains("hush_requests_total{rpc=\"query\",outcome=\"ok\"}"),
        "{body}"
    );
    assert!(body.contains("hush_sessions_open"), "{body}");
    assert!(
        body.contains("hush_request_duration_seconds_bucket"),
        "{body}"
    );
}

#[test]
fn bad_configuration_fails_with_a_clear_error() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_hushd"))
            .args(["--listen", "127.0.0.1:0", "--metrics-listen", "off"])
            .args(args)
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap()
    };
    let out = run(&["--attestation", "tsm", "--tsm-path", "/nonexistent/tsm"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("TSM attestation") && err.contains("--attestation dev"),
        "{err}"
    );
    let out = run(&["--capacity", "1000"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("power of two"));
}

/// Mistakes a user makes often get an answer that says what to do.
#[test]
fn cli_mistakes_get_actionable_answers() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let h = |args: &[&str]| hush(home.path(), &server.url, args);
    assert!(h(&["id", "new", "alice"]).ok);
    assert!(h(&["id", "new", "bob"]).ok);
    let dev = "--allow-dev-attestation";
    // A server given without a scheme is dialled over http.
    let bare = server.listen_addr();
    let r = h(&[
        "send", "--as", "alice", "--to", "bob", "hi", "--server", &bare, dev,
    ]);
    assert!(r.ok, "{}", r.stderr);
    // https is refused rather than silently dialled as plain HTTP/2.
    let https = format!("https://{bare}");
    let r = h(&["inbox", "--as", "bob", "--server", &https, dev]);
    assert!(
        !r.ok && r.stderr.contains("https is not supported"),
        "{}",
        r.stderr
    );
    // Re-sending with the same --id is a safe retry, not an error.
    let id = "0123456789abcdef0123456789abcdef";
    let send = [
        "send", "--as", "alice", "--to", "bob", "once", "--id", id, dev,
    ];
    assert!(h(&send).ok);
    let r = h(&send);
    assert!(
        r.ok && r.stdout.contains("already stored"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let r = h(&["inbox", "--as", "bob", dev]);
    assert!(
        r.stdout.contains("2 message(s)"),
        "stored once: {}",
        r.stdout
    );
    // The sender deleting without --to looked in its own mailbox.
    let r = h(&["delete", "--as", "alice", id, dev]);
    assert!(
        !r.ok && r.stderr.contains("name its recipient with --to"),
        "{}",
        r.stderr
    );
    assert!(h(&["delete", "--as", "alice", "--to", "bob", id, dev]).ok);
    // A damaged identity file and a folder named like one: listing warns
    // and goes on; using the folder says why once.
    let ids = home.path().join("identities");
    std::fs::write(ids.join("broken.json"), "{").unwrap();
    std::fs::create_dir(ids.join("folder.json")).unwrap();
    let r = h(&["id", "list"]);
    assert!(
        r.ok && r.stdout.contains("alice") && r.stdout.contains("bob"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("broken.json") && r.stderr.contains("folder.json"),
        "{}",
        r.stderr
    );
    let r = h(&["send", "--as", "folder", "--to", "bob", "x", dev]);
    assert!(
        !r.ok && r.stderr.matches("Is a directory").count() == 1,
        "{}",
        r.stderr
    );
    let r = h(&["inbox", "--as", "bob", dev]);
    assert!(
        r.stdout.contains("from alice"),
        "names still resolve: {}",
        r.stdout
    );
    // JSON for scripts: an empty inbox is an empty array, errors are JSON.
    let r = h(&["inbox", "--as", "alice", "--json", dev]);
    assert_eq!(r.stdout.trim(), "[]");
    let r = h(&["inbox", "--as", "nobody", "--json", dev]);
    let err: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert!(!r.ok && err["error"].as_str().unwrap().contains("no identity named"));
}

/// With the broker in two stages (`--broker-threads 2`), clients sending,
/// reading and deleting at once, through the slots each other's deletes
/// free, get every message back exactly as sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_in_two_stages_keeps_every_message() {
    let server = Hushd::start(&["--broker-threads", "2"]);
    const PEOPLE: usize = 4;
    const ROUNDS: usize = 25;
    let people: Vec<Identity> = (0..PEOPLE)
        .map(|n| Identity::generate(&format!("p{n}")))
        .collect();
    let mut tasks = Vec::new();
    for n in 0..PEOPLE {
        let (me, next) = (people[n].clone(), people[(n + 1) % PEOPLE].clone());
        let url = server.url.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = client(&url, &[&me]).await;
            let mut sent = Vec::new();
            for round in 0..ROUNDS {
                let id = new_message_id();
                c.send(
                    &me,
                    &card_for(&next),
                    id,
                    &envelope(&format!("{n}:{round}")),
                )
                .await
                .unwrap();
                sent.push(id);
                // Delete every other one at once, so slots are freed and
                // taken again while other requests are under way.
                if round % 2 == 1 {
                    c.delete(me.public(), id, next.public()).await.unwrap();
                    sent.pop();
                }
            }
            sent
        }));
    }
    let mut sent = Vec::new();
    for t in tasks {
        sent.push(t.await.unwrap());
    }
    for n in 0..PEOPLE {
        let me = &people[(n + 1) % PEOPLE];
        let mut c = client(&server.url, &[me]).await;
        let inbox = c.inbox(me.public()).await.unwrap();
        let got: Vec<(MessageId, String)> = inbox.iter().map(|m| (m.id, opened(me, m))).collect();
        let want: Vec<(MessageId, String)> = sent[n]
            .iter()
            .enumerate()
            .map(|(k, id)| (*id, format!("{n}:{}", 2 * k)))
            .collect();
        assert_eq!(got, want, "what p{} reads", (n + 1) % PEOPLE);
    }
    assert!(server.stop(), "hushd exits cleanly on SIGTERM");
}

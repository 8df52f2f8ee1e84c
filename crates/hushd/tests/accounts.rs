//! Accounts, devices and the directory, end to end: real hushd, real CLI,
//! users on separate machines (separate HUSH_HOMEs), codes read from the
//! dev sender's file as a user would read their mail.

mod common;

use common::{Hushd, Run, http_get, hush, metric};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Server {
    hushd: Hushd,
    codes: PathBuf,
    blobs: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let codes = dir.path().join("codes.txt");
        let blobs = dir.path().join("blobs");
        let hushd = Hushd::start(&[
            "--verification-file",
            codes.to_str().unwrap(),
            "--blob-dir",
            blobs.to_str().unwrap(),
        ]);
        Self {
            hushd,
            codes,
            blobs,
            _dir: dir,
        }
    }

    /// The latest code sent to `identifier` (codes leave on the next tick).
    fn code_for(&self, identifier: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&self.codes).unwrap_or_default();
            if let Some(code) = text
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix(&format!("{identifier} ")))
            {
                return code.trim().to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no code for {identifier} in {text:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The `n`th code sent to `identifier` (1 the first), waiting for it.
    fn nth_code_for(&self, identifier: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&self.codes).unwrap_or_default();
            let prefix = format!("{identifier} ");
            let codes: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&prefix))
                .collect();
            if let Some(code) = codes.get(n - 1) {
                return code.trim().to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no code {n} for {identifier} in {text:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn codes_sent(&self) -> usize {
        std::fs::read_to_string(&self.codes)
            .unwrap_or_default()
            .lines()
            .count()
    }
}

struct User {
    home: tempfile::TempDir,
    url: String,
}

impl User {
    fn new(server: &Server, name: &str) -> Self {
        let u = Self {
            home: tempfile::tempdir().unwrap(),
            url: server.hushd.url.clone(),
        };
        u.ok(&["id", "new", name]);
        u
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut all = vec!["--allow-dev-attestation"];
        all.extend_from_slice(args);
        hush(self.home.path(), &self.url, &all)
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert!(r.ok, "hush {args:?} failed: {}{}", r.stdout, r.stderr);
        r.stdout
    }

    fn fails(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert!(!r.ok, "hush {args:?} should fail: {}", r.stdout);
        r.stderr
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    fn sign_up(&self, server: &Server, name: &str, email: &str) {
        self.ok(&["account", "register", "--as", name, "--email", email]);
        let code = server.code_for(&email.to_lowercase());
        self.ok(&["account", "verify", "--as", name, &code]);
    }

    fn home(&self) -> &Path {
        self.home.path()
    }
}

/// The messages people wrote (statuses, receipts and typing, left out).
fn texts(inbox: &serde_json::Value) -> Vec<String> {
    inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !matches!(m["kind"].as_str(), Some("receipt" | "typing")))
        .map(|m| match m["kind"].as_str().unwrap() {
            "text" => m["text"].as_str().unwrap().to_owned(),
            kind => format!("[{kind}]"),
        })
        .collect()
}

/// Alice (two devices) and bob (one) register by email and find each other
/// by look-up; each message reaches every device, alice's other one too;
/// safety numbers match on both sides.
#[test]
fn two_accounts_find_each_other_and_reach_every_device() {
    let server = Server::start();
    let alice = User::new(&server, "alice");
    let bob = User::new(&server, "bob");
    alice.sign_up(&server, "alice", "Alice@Example.org");
    bob.sign_up(&server, "bob", "bob@example.org");
    let shown = alice.json(&["account", "show", "--as", "alice"]);
    assert_eq!(shown["verified_identifiers"], 1);
    assert_eq!(shown["devices"].as_array().unwrap().len(), 1);

    // Alice links her phone: a new local identity, signed by hers.
    let out = alice.ok(&["device", "add", "--as", "alice", "alice-phone"]);
    assert!(out.contains("linked device alice-phone"), "{out}");
    let devices = alice.json(&["device", "list", "--as", "alice-phone"]);
    assert_eq!(devices.as_array().unwrap().len(), 2);

    // They find each other by email (any case). Bob's home holds one
    // identity, so a look-up acts as it without --as; alice has two, and
    // is asked which.
    bob.ok(&["contact", "add", "alice", "--email", "ALICE@example.org"]);
    let which = alice.fails(&["contact", "add", "bob", "--email", "bob@example.org"]);
    assert!(
        which.contains("add --as NAME") && which.contains("alice, alice-phone"),
        "{which}"
    );
    alice.ok(&[
        "contact",
        "add",
        "bob",
        "--email",
        "bob@example.org",
        "--as",
        "alice",
    ]);

    // Bob writes once; both of alice's devices get it.
    let sent = bob.json(&["send", "--as", "bob", "--to", "alice", "hello alice"]);
    assert_eq!(sent["devices"], 2);
    assert_eq!(sent["requests"], 4, "padded to the first bucket");
    for device in ["alice", "alice-phone"] {
        let inbox = alice.json(&["inbox", "--as", device]);
        assert_eq!(texts(&inbox), ["hello alice"], "{device}");
        assert_eq!(inbox[0]["from_name"], "bob");
    }

    // The longest text (787 bytes) reaches both of a contact's devices
    // when the sender has no other device to copy it to (it was refused
    // as "too long to copy to your other devices").
    let long = "x".repeat(787);
    let sent = bob.json(&["send", "--as", "bob", "--to", "alice", &long]);
    assert_eq!(sent["devices"], 2);

    // Alice answers from her phone: bob gets it, and her other device
    // (alice) gets a copy of what she sent.
    let sent = alice.json(&["send", "--as", "alice-phone", "--to", "bob", "hi bob"]);
    assert_eq!(
        (sent["devices"].clone(), sent["own_devices"].clone()),
        (1.into(), 1.into())
    );
    let inbox = bob.json(&["inbox", "--as", "bob"]);
    assert_eq!(texts(&inbox), ["hi bob"]);
    assert_eq!(inbox[0]["from_name"], "alice", "a device of alice is alice");
    let mine = alice.ok(&["inbox", "--as", "alice"]);
    assert!(mine.contains("(you, to bob) hi bob"), "{mine}");

    // Safety numbers are computed from identity keys, the same both sides.
    let a = alice.json(&["safety-number", "--as", "alice", "bob"]);
    let b = bob.json(&["safety-number", "--as", "bob", "alice"]);
    assert_eq!(a["safety_number"], b["safety_number"]);

    // The host saw directory requests, counted under their own RPC.
    let page = http_get(server.hushd.metrics.as_ref().unwrap());
    assert!(
        metric(
            &page,
            r#"hush_requests_total{rpc="directory_query",outcome="ok"}"#
        ) >= 8.0
    );
    assert_eq!(server.codes_sent(), 2);
}

/// Every mistake gets an answer that says what to do, and loses nothing.
#[test]
fn directory_mistakes_are_explained() {
    let server = Server::start();
    let alice = User::new(&server, "alice");
    let carol = User::new(&server, "carol");
    alice.sign_up(&server, "alice", "alice@example.org");

    // An identifier already registered is answered as a free one (nobody
    // can test an address for an account); the code goes to the address,
    // and only its owner, who has the code, hears that it is taken.
    let taken = carol.ok(&[
        "account",
        "register",
        "--as",
        "carol",
        "--email",
        "alice@example.org",
    ]);
    let free = carol.ok(&[
        "account",
        "register",
        "--as",
        "carol",
        "--email",
        "dave@example.org",
    ]);
    assert_eq!(
        taken.replace("alice@", "X@"),
        free.replace("dave@", "X@"),
        "the same answer"
    );
    let e = carol.fails(&[
        "account",
        "verify",
        "--as",
        "carol",
        "--email",
        "alice@example.org",
        "000000",
    ]);
    assert!(e.contains("wrong code"), "{e}");
    // (alice's sign-up code is in the file too: wait for the second one.)
    let owners = server.nth_code_for("alice@example.org", 2);
    let e = carol.fails(&[
        "account",
        "verify",
        "--as",
        "carol",
        "--email",
        "alice@example.org",
        &owners,
    ]);
    assert!(
        e.contains("already registered") && e.contains("link"),
        "{e}"
    );
    // Malformed identifiers are refused before anything is sent.
    let e = carol.fails(&[
        "account",
        "register",
        "--as",
        "carol",
        "--email",
        "carol-at-example",
    ]);
    assert!(e.contains("email address"), "{e}");
    let e = carol.fails(&[
        "account",
        "register",
        "--as",
        "carol",
        "--phone",
        "0791234567",
    ]);
    assert!(e.contains("E.164"), "{e}");
    // A wrong code, then the right one still works.
    carol.ok(&[
        "account",
        "register",
        "--as",
        "carol",
        "--phone",
        "+41791234567",
    ]);
    let code = server.code_for("+41791234567");
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let e = carol.fails(&["account", "verify", "--as", "carol", &wrong]);
    assert!(e.contains("wrong code"), "{e}");
    let e = carol.fails(&["account", "verify", "--as", "carol", "12345"]);
    assert!(e.contains("six digits"), "{e}");
    carol.ok(&["account", "verify", "--as", "carol", &code]);

    // Not discoverable: a look-up answers like nobody.
    alice.ok(&["account", "discoverable", "--as", "alice", "off"]);
    let hidden = carol.fails(&[
        "contact",
        "add",
        "a",
        "--email",
        "alice@example.org",
        "--as",
        "carol",
    ]);
    let nobody = carol.fails(&[
        "contact",
        "add",
        "n",
        "--email",
        "nobody@example.org",
        "--as",
        "carol",
    ]);
    assert!(hidden.contains("no user"), "{hidden}");
    assert_eq!(
        hidden.replace("alice@example.org", "ID"),
        nobody.replace("nobody@example.org", "ID")
    );
    alice.ok(&["account", "discoverable", "--as", "alice", "on"]);
    carol.ok(&[
        "contact",
        "add",
        "a",
        "--email",
        "alice@example.org",
        "--as",
        "carol",
    ]);

    // A look-up without a verified account.
    let dave = User::new(&server, "dave");
    let e = dave.fails(&[
        "contact",
        "add",
        "a",
        "--email",
        "alice@example.org",
        "--as",
        "dave",
    ]);
    assert!(e.contains("not registered"), "{e}");
    // Only the identity key changes the account.
    alice.ok(&["device", "add", "--as", "alice", "alice-laptop"]);
    let e = alice.fails(&["device", "add", "--as", "alice-laptop", "alice-tablet"]);
    assert!(e.contains("identity key"), "{e}");
    let e = alice.fails(&["device", "remove", "--as", "alice", "ffff"]);
    assert!(
        e.contains("neither one of your identities nor a public key"),
        "{e}"
    );
    alice.ok(&["device", "remove", "--as", "alice", "alice-laptop"]);
    let e = alice.fails(&["device", "remove", "--as", "alice", "alice-laptop"]);
    assert!(e.contains("unknown device"), "{e}");
    // Verify with nothing pending.
    let e = dave.fails(&["account", "verify", "--as", "dave", "123456"]);
    assert!(e.contains("registered nothing yet"), "{e}");
    assert!(dave.home().exists());
}

/// Carol blocks alice: alice's next message never reaches carol, and
/// nothing alice sees differs (her send's answer, her update and delete of
/// that message). Unblocked, alice's later messages show again. With
/// accept-from-anyone off, only contacts get through.
#[test]
fn blocking_is_invisible_to_the_blocked() {
    let server = Server::start();
    let alice = User::new(&server, "alice");
    let carol = User::new(&server, "carol");
    let dave = User::new(&server, "dave");
    alice.sign_up(&server, "alice", "alice@example.org");
    carol.sign_up(&server, "carol", "carol@example.org");
    dave.sign_up(&server, "dave", "dave@example.org");
    alice.ok(&[
        "contact",
        "add",
        "carol",
        "--email",
        "carol@example.org",
        "--as",
        "alice",
    ]);
    dave.ok(&[
        "contact",
        "add",
        "carol",
        "--email",
        "carol@example.org",
        "--as",
        "dave",
    ]);
    carol.ok(&[
        "contact",
        "add",
        "alice",
        "--email",
        "alice@example.org",
        "--as",
        "carol",
    ]);

    let before = alice.json(&["send", "--as", "alice", "--to", "carol", "before the block"]);
    let blocked = carol.json(&["block", "--as", "carol", "alice"]);
    assert_eq!(blocked["directory"], true);
    // Alice's look-up of carol now answers like nobody's.
    let e = alice.fails(&[
        "contact",
        "add",
        "c2",
        "--email",
        "carol@example.org",
        "--as",
        "alice",
    ]);
    assert!(e.contains("no user"), "{e}");
    let after = alice.json(&["send", "--as", "alice", "--to", "carol", "after the block"]);
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("id");
        v
    };
    assert_eq!(strip(before), strip(after.clone()));
    // Alice can still update and delete what she sent, as always.
    let id = after["id"].as_str().unwrap();
    alice.ok(&["update", "--as", "alice", "--to", "carol", id, "edited"]);
    let inbox = carol.json(&["inbox", "--as", "carol"]);
    assert_eq!(texts(&inbox), ["before the block"]);
    alice.ok(&["delete", "--as", "alice", "--to", "carol", id]);

    carol.ok(&["unblock", "--as", "carol", "alice"]);
    alice.ok(&[
        "contact",
        "add",
        "c2",
        "--email",
        "carol@example.org",
        "--as",
        "alice",
    ]);
    alice.ok(&[
        "send",
        "--as",
        "alice",
        "--to",
        "carol",
        "after the unblock",
    ]);
    let inbox = carol.json(&["inbox", "--as", "carol"]);
    assert_eq!(texts(&inbox), ["before the block", "after the unblock"]);

    // Only contacts: dave (not carol's contact) is hidden, alice is not.
    carol.ok(&["policy", "--as", "carol", "--accept-from-anyone", "off"]);
    let shown = carol.json(&["account", "show", "--as", "carol"]);
    assert_eq!(shown["accept_from_anyone"], false);
    dave.ok(&["send", "--as", "dave", "--to", "carol", "from a stranger"]);
    alice.ok(&["send", "--as", "alice", "--to", "carol", "from a contact"]);
    let inbox = carol.json(&["inbox", "--as", "carol"]);
    assert_eq!(
        texts(&inbox),
        ["before the block", "after the unblock", "from a contact"]
    );
}

/// Alice, bob and carol form a group: every member's every device gets
/// each group message; a removed member gets nothing more; carol blocks
/// alice and stops seeing alice's group messages while bob still does.
#[test]
fn a_group_of_three() {
    let server = Server::start();
    let users: Vec<(User, &str)> = ["alice", "bob", "carol"]
        .into_iter()
        .map(|n| (User::new(&server, n), n))
        .collect();
    for (u, n) in &users {
        u.sign_up(&server, n, &format!("{n}@example.org"));
    }
    users[0]
        .0
        .ok(&["device", "add", "--as", "alice", "alice-phone"]);
    for (u, me) in &users {
        for (_, other) in &users {
            if other != me {
                let email = format!("{other}@example.org");
                u.ok(&["contact", "add", other, "--email", &email, "--as", me]);
            }
        }
    }
    let (alice, bob, carol) = (&users[0].0, &users[1].0, &users[2].0);
    let made = alice.json(&[
        "group",
        "create",
        "friends",
        "--as",
        "alice",
        "--members",
        "bob,carol",
    ]);
    assert_eq!(made["copies"], 3, "bob, carol and alice's phone");
    // `group list --as` lists one identity's groups, and names a missing one.
    let mine = |who: &str| alice.json(&["group", "list", "--as", who]);
    assert_eq!(mine("alice").as_array().unwrap().len(), 1);
    assert_eq!(mine("alice-phone").as_array().unwrap().len(), 0);
    let e = alice.fails(&["group", "list", "--as", "nobody"]);
    assert!(e.contains("no identity named \"nobody\""), "{e}");
    let inbox = bob.json(&["inbox", "--as", "bob"]);
    assert_eq!(inbox[0]["group"], "friends");
    assert_eq!(inbox[0]["group_kind"], "control");
    let listed = bob.json(&["group", "list"]);
    assert_eq!(listed[0]["members"].as_array().unwrap().len(), 3);

    let sent = bob.json(&["group", "send", "friends", "--as", "bob", "hello friends"]);
    assert_eq!(sent["copies"], 3, "alice's two devices and carol");
    for (u, device) in [(alice, "alice"), (alice, "alice-phone"), (carol, "carol")] {
        let inbox = u.json(&["inbox", "--as", device]);
        let texts: Vec<_> = inbox
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["group_kind"] == "text")
            .map(|m| {
                (
                    m["group"].clone(),
                    m["text"].clone(),
                    m["from_name"].clone(),
                )
            })
            .collect();
        assert_eq!(
            texts,
            [("friends".into(), "hello friends".into(), "bob".into())],
            "{device}"
        );
    }

    // Carol blocks alice: alice's group message reaches bob, not carol,
    // and alice's answer is what it always is.
    carol.ok(&["block", "--as", "carol", "alice"]);
    let sent = alice.json(&["group", "send", "friends", "--as", "alice", "from alice"]);
    assert_eq!(sent["copies"], 3);
    let got = |u: &User, me: &str| -> Vec<String> {
        u.json(&["inbox", "--as", me])
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["group_kind"] == "text")
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(got(bob, "bob"), ["from alice"]);
    assert_eq!(got(carol, "carol"), ["hello friends"]);

    // Alice removes carol: carol learns she is out, and gets nothing more.
    // (Unblocked first: what arrived while blocked stays hidden.)
    carol.ok(&["unblock", "--as", "carol", "alice"]);
    alice.ok(&["group", "remove", "friends", "--as", "alice", "carol"]);
    let _ = carol.json(&["inbox", "--as", "carol"]);
    let listed = carol.json(&["group", "list"]);
    assert_eq!(listed[0]["left"], true);
    // Bob's client learns of the change when it reads his inbox.
    let _ = bob.json(&["inbox", "--as", "bob"]);
    let sent = bob.json(&["group", "send", "friends", "--as", "bob", "just us"]);
    assert_eq!(sent["copies"], 2);
    let e = carol.fails(&["group", "send", "friends", "--as", "carol", "hey"]);
    assert!(e.contains("no longer a member"), "{e}");
    // A group text's limit (README): 770 bytes go, 771 are refused by name.
    let longest = "x".repeat(770);
    let sent = bob.json(&["group", "send", "friends", "--as", "bob", &longest]);
    assert_eq!(sent["copies"], 2);
    let e = bob.fails(&[
        "group",
        "send",
        "friends",
        "--as",
        "bob",
        &format!("{longest}x"),
    ]);
    assert!(e.contains("at most 770 bytes"), "{e}");
}

/// The objects in a blob store once it holds `n` (waiting up to 10 s for
/// the enclave's mix to be written).
fn stored_objects(dir: &std::path::Path, n: usize) -> Vec<std::fs::DirEntry> {
    let start = std::time::Instant::now();
    loop {
        let stored: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        if stored.len() == n {
            return stored;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "the store holds {} objects, not {n}",
            stored.len()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A picture goes through: encrypted on alice's side, handed to the
/// enclave in her session, stored by the enclave as a padded, sealed
/// object on the host (which holds no byte of the picture, and no name
/// the message carries), opened by bob. An altered object, a missing or
/// too big file get a clear error. A location too.
#[test]
fn a_picture_and_a_location_go_through() {
    let server = Server::start();
    let alice = User::new(&server, "alice");
    let bob = User::new(&server, "bob");
    alice.sign_up(&server, "alice", "alice@example.org");
    bob.sign_up(&server, "bob", "bob@example.org");
    alice.ok(&[
        "contact",
        "add",
        "bob",
        "--email",
        "bob@example.org",
        "--as",
        "alice",
    ]);
    let picture: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let path = alice.home().join("cat.png");
    std::fs::write(&path, &picture).unwrap();
    let sent = alice.json(&[
        "send",
        "--as",
        "alice",
        "--to",
        "bob",
        "--file",
        path.to_str().unwrap(),
    ]);
    let id = sent["id"].as_str().unwrap().to_owned();

    // The host holds one object of a size class (once the enclave's next
    // mix is written: every second with dev attestation), none of the
    // picture, and not under the attachment's blob id.
    let stored = stored_objects(&server.blobs, 1);
    let blob = std::fs::read(stored[0].path()).unwrap();
    assert_eq!(
        blob.len(),
        (1 << 18) + hush_wire::blob_transfer::STORED_OVERHEAD,
        "100 kB is padded to 256 KiB, sealed by the enclave"
    );
    assert!(
        !blob
            .windows(64)
            .any(|w| picture.windows(64).next() == Some(w))
    );

    let inbox = bob.json(&["inbox", "--as", "bob"]);
    assert_eq!(inbox[0]["kind"], "attachment");
    assert_eq!(inbox[0]["attachment"]["name"], "cat.png");
    assert_eq!(inbox[0]["attachment"]["media_type"], "image/png");
    let blob_id = inbox[0]["attachment"]["blob"].as_str().unwrap().to_owned();
    assert_ne!(stored[0].file_name().to_str().unwrap(), blob_id);
    let out = bob.home().join("got.png");
    bob.ok(&[
        "download",
        "--as",
        "bob",
        &id,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&out).unwrap(), picture);
    let e = bob.fails(&[
        "download",
        "--as",
        "bob",
        &id,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(e.contains("--force"), "{e}");

    // The download moved the object: the one uploaded is gone, and the
    // next mix wrote it again under another name.
    let after = stored_objects(&server.blobs, 1);
    assert_ne!(after[0].file_name(), stored[0].file_name());

    // An object the host altered is refused by the enclave: gone.
    let mut bad = std::fs::read(after[0].path()).unwrap();
    bad[1000] ^= 1;
    std::fs::write(after[0].path(), &bad).unwrap();
    let e = bob.fails(&[
        "download",
        "--as",
        "bob",
        &id,
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert!(e.contains("gone"), "{e}");
    // Too big, and not there at all.
    let big = alice.home().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(17 << 20)
        .unwrap();
    let e = alice.fails(&[
        "send",
        "--as",
        "alice",
        "--to",
        "bob",
        "--file",
        big.to_str().unwrap(),
    ]);
    assert!(e.contains("at most"), "{e}");
    let e = alice.fails(&[
        "send",
        "--as",
        "alice",
        "--to",
        "bob",
        "--file",
        "/nonexistent/x.png",
    ]);
    assert!(e.contains("cannot read"), "{e}");

    alice.ok(&[
        "send",
        "--as",
        "alice",
        "--to",
        "bob",
        "--location",
        "47.3769,8.5417",
        "Zurich HB",
    ]);
    let inbox = bob.json(&["inbox", "--as", "bob"]);
    let loc = &inbox.as_array().unwrap().last().unwrap()["location"];
    assert_eq!(loc["label"], "Zurich HB");
    assert_eq!(loc["latitude"], 47.3769);
    let e = alice.fails(&["send", "--as", "alice", "--to", "bob", "--location", "91,0"]);
    assert!(e.contains("latitude"), "{e}");
}

/// Reading sends the sender a read receipt naming what was read (once per
/// message, and never to strangers); `--no-receipts` sends none; typing
/// shows as a fresh indicator. The mailbox keeps one of each per sender.
#[test]
fn receipts_and_typing() {
    let server = Server::start();
    let alice = User::new(&server, "alice");
    let bob = User::new(&server, "bob");
    alice.sign_up(&server, "alice", "alice@example.org");
    bob.sign_up(&server, "bob", "bob@example.org");
    alice.ok(&[
        "contact",
        "add",
        "bob",
        "--email",
        "bob@example.org",
        "--as",
        "alice",
    ]);
    bob.ok(&[
        "contact",
        "add",
        "alice",
        "--email",
        "alice@example.org",
        "--as",
        "bob",
    ]);
    let statuses = |inbox: &serde_json::Value, kind: &str| -> Vec<serde_json::Value> {
        inbox
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == kind)
            .cloned()
            .collect()
    };

    let one = bob.json(&["send", "--as", "bob", "--to", "alice", "one"]);
    alice.ok(&["inbox", "--as", "alice", "--no-receipts"]);
    assert!(statuses(&bob.json(&["inbox", "--as", "bob"]), "receipt").is_empty());
    alice.ok(&["inbox", "--as", "alice"]);
    let two = bob.json(&["send", "--as", "bob", "--to", "alice", "two"]);
    alice.ok(&["inbox", "--as", "alice"]);
    let inbox = bob.json(&["inbox", "--as", "bob"]);
    let receipts = statuses(&inbox, "receipt");
    assert_eq!(
        receipts.len(),
        1,
        "one receipt message per sender, rewritten"
    );
    assert_eq!(
        receipts[0]["read"],
        serde_json::json!([one["id"], two["id"]])
    );
    assert_eq!(receipts[0]["from_name"], "alice");

    alice.ok(&["typing", "--as", "alice", "--to", "bob"]);
    alice.ok(&["typing", "--as", "alice", "--to", "bob"]);
    let inbox = bob.json(&["inbox", "--as", "bob"]);
    let typing = statuses(&inbox, "typing");
    assert_eq!(typing.len(), 1);
    assert_eq!(typing[0]["fresh"], true);
    let text = bob.ok(&["inbox", "--as", "bob"]);
    assert!(
        text.contains("[typing…]") && text.contains("[read receipt: read 2 of your messages]"),
        "{text}"
    );
}

/// `group create --members` takes the identities of the home, as
/// `send --to` does (README's demos run several people in one home), and
/// names them in what it prints.
#[test]
fn a_group_of_identities_in_one_home() {
    let server = Server::start();
    let home = User::new(&server, "alice");
    home.ok(&["id", "new", "bob"]);
    home.ok(&["id", "new", "carol"]);
    let made = home.json(&[
        "group",
        "create",
        "trio",
        "--as",
        "alice",
        "--members",
        "bob,carol",
    ]);
    assert_eq!(made["copies"], 2, "{made}");
    home.ok(&["group", "send", "trio", "--as", "alice", "hello, both"]);
    for who in ["bob", "carol"] {
        let inbox = home.json(&["inbox", "--as", who]);
        // (The home holds alice's copy of the group, so the others' copies
        // get names of their own.)
        let got: Vec<_> = inbox
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["group_kind"].as_str(), m["text"].as_str()))
            .collect();
        assert_eq!(
            got,
            [(Some("control"), None), (Some("text"), Some("hello, both"))],
            "{who}: {inbox}"
        );
    }
    let shown = home.ok(&["group", "list", "--as", "bob"]);
    assert!(
        shown.contains("alice") && shown.contains("carol"),
        "{shown}"
    );
    let e = home.fails(&["group", "create", "x", "--as", "alice", "--members", "dave"]);
    assert!(e.contains("neither a contact nor an identity"), "{e}");
}

/// A contact's devices follow its account (issue 32): bob's sends reach
/// the devices alice's account lists at the moment he sends. An unlinked
/// phone reads nothing new; a device linked later receives. A look-up that
/// finds another identity under a contact's name is refused with both
/// safety numbers, unless accepted with --replace.
#[test]
fn devices_follow_the_account() {
    let server = Server::start();
    let alice = User::new(&server, "alice");
    let bob = User::new(&server, "bob");
    let carol = User::new(&server, "carol");
    alice.sign_up(&server, "alice", "alice@example.org");
    bob.sign_up(&server, "bob", "bob@example.org");
    carol.sign_up(&server, "carol", "carol@example.org");
    alice.ok(&["device", "add", "--as", "alice", "alice-phone"]);
    bob.ok(&["contact", "add", "alice", "--email", "alice@example.org"]);
    let sent = bob.json(&["send", "--as", "bob", "--to", "alice", "one"]);
    assert_eq!(sent["devices"], 2);

    // The phone is stolen: alice unlinks it. Bob's very next send skips it.
    alice.ok(&["device", "remove", "--as", "alice", "alice-phone"]);
    let r = bob.run(&["send", "--as", "bob", "--to", "alice", "two"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr.contains("0 linked, 1 unlinked (now 1)"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.starts_with("sent "), "{}", r.stdout);
    assert_eq!(
        texts(&alice.json(&["inbox", "--as", "alice"])),
        ["one", "two"]
    );
    assert_eq!(
        texts(&alice.json(&["inbox", "--as", "alice-phone"])),
        ["one"]
    );

    // A new tablet receives from the next send on.
    alice.ok(&["device", "add", "--as", "alice", "alice-tab"]);
    let sent = bob.json(&["send", "--as", "bob", "--to", "alice", "three"]);
    assert_eq!(sent["devices"], 2);
    assert_eq!(
        texts(&alice.json(&["inbox", "--as", "alice-tab"])),
        ["three"]
    );
    assert_eq!(
        texts(&alice.json(&["inbox", "--as", "alice-phone"])),
        ["one"]
    );

    // Looking alice up again refreshes; a name that now finds another
    // identity is refused, with both safety numbers.
    let out = bob.ok(&["contact", "add", "alice", "--email", "alice@example.org"]);
    assert!(out.contains("devices were refreshed (2)"), "{out}");
    let e = bob.fails(&["contact", "add", "alice", "--email", "carol@example.org"]);
    assert!(
        e.contains("identity key changed")
            && e.contains("safety number before:")
            && e.contains("--replace"),
        "{e}"
    );
    let sent = bob.json(&["send", "--as", "bob", "--to", "alice", "four"]);
    assert_eq!(sent["devices"], 2, "nothing changed");
    bob.ok(&[
        "contact",
        "add",
        "alice",
        "--email",
        "carol@example.org",
        "--replace",
    ]);
    bob.ok(&["send", "--as", "bob", "--to", "alice", "for carol"]);
    assert_eq!(
        texts(&carol.json(&["inbox", "--as", "carol"])),
        ["for carol"]
    );

    // An account that blocks bob's looks the same to him: his send goes
    // through as before (the broker hides it from carol).
    carol.ok(&["contact", "add", "bob", "--email", "bob@example.org"]);
    carol.ok(&["block", "--as", "carol", "bob"]);
    let r = bob.run(&["send", "--as", "bob", "--to", "alice", "blocked?"]);
    assert!(
        r.ok && !r.stderr.contains("devices changed"),
        "{}",
        r.stderr
    );
    assert_eq!(
        texts(&carol.json(&["inbox", "--as", "carol"])),
        ["for carol"]
    );
}

/// Issue 32's scene, with three HUSH_HOMEs: alice unlinks her phone and
/// links a laptop that has its own home, with `device link` there and
/// `device approve` on her identity's machine; the laptop gets her
/// contacts and groups; bob's next send reaches exactly alice's current
/// devices; the phone reads nothing new; a swapped identity key is
/// reported.
#[test]
fn linking_a_device_on_another_machine() {
    let server = Server::start();
    let alice = User::new(&server, "alice");
    let bob = User::new(&server, "bob");
    alice.sign_up(&server, "alice", "alice@example.org");
    bob.sign_up(&server, "bob", "bob@example.org");
    alice.ok(&["device", "add", "--as", "alice", "alice-phone"]);
    alice.ok(&[
        "contact",
        "add",
        "bob",
        "--email",
        "bob@example.org",
        "--as",
        "alice",
    ]);
    alice.ok(&[
        "group",
        "create",
        "pair",
        "--as",
        "alice",
        "--members",
        "bob",
    ]);
    bob.ok(&["contact", "add", "alice", "--email", "alice@example.org"]);
    bob.ok(&["send", "--as", "bob", "--to", "alice", "before"]);
    alice.ok(&["device", "remove", "--as", "alice", "alice-phone"]);

    // The laptop: its own home, no identity yet.
    let laptop = tempfile::tempdir().unwrap();
    let mut waiting = std::process::Command::new(common::hush_bin())
        .args([
            "--allow-dev-attestation",
            "device",
            "link",
            "--as",
            "alice-laptop",
            "--wait",
            "60",
        ])
        .env("HUSH_HOME", laptop.path())
        .env("HUSH_SERVER", &server.hushd.url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(waiting.stdout.take().unwrap());
    let mut link = String::new();
    std::io::BufRead::read_line(&mut out, &mut link).unwrap();
    let link = link.trim().to_owned();
    assert!(
        link.starts_with("hush-link-v1:") && link.len() == 13 + 256,
        "{link}"
    );

    // A link is refused by anyone but the account's identity, and when
    // it is not a link.
    let e = alice.fails(&["device", "approve", "--as", "alice-phone", &link]);
    assert!(
        e.contains("has no account") || e.contains("identity"),
        "{e}"
    );
    let e = alice.fails(&["device", "approve", "--as", "alice", "hush-link-v1:abcd"]);
    assert!(e.contains("256 hex digits"), "{e}");
    let approved = alice.ok(&["device", "approve", "--as", "alice", &link]);
    assert!(
        approved.contains("(2 devices); sent it 1 contacts and 1 groups"),
        "{approved}"
    );
    let status = waiting.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut waiting.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{err}");
    assert!(err.contains("linked alice-laptop to account"), "{err}");

    let on_laptop = |args: &[&str]| {
        let mut all = vec!["--allow-dev-attestation", "--json"];
        all.extend_from_slice(args);
        let r = common::hush(laptop.path(), &server.hushd.url, &all);
        assert!(r.ok, "{args:?}: {}", r.stderr);
        serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap()
    };
    let contacts = on_laptop(&["contact", "list"]);
    assert_eq!(contacts[0]["name"], "bob", "{contacts}");
    // The new identity's own, from the start.
    assert_eq!(contacts[0]["shared"], false, "{contacts}");
    assert!(
        laptop
            .path()
            .join("contacts/@alice-laptop/bob.card")
            .exists()
    );
    let groups = on_laptop(&["group", "list"]);
    assert_eq!(groups[0]["name"], "pair", "{groups}");
    assert_eq!(groups[0]["as"], "alice-laptop");
    let devices = on_laptop(&["device", "list", "--as", "alice-laptop"]);
    assert_eq!(devices.as_array().unwrap().len(), 2);

    // Bob's next send: exactly alice and her laptop.
    let r = bob.run(&["--json", "send", "--as", "bob", "--to", "alice", "after"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr.contains("1 linked, 1 unlinked (now 2)"),
        "{}",
        r.stderr
    );
    assert_eq!(
        texts(&alice.json(&["inbox", "--as", "alice"])),
        ["before", "after"]
    );
    // (The phone also holds the group's announcement, from before.)
    assert_eq!(
        texts(&alice.json(&["inbox", "--as", "alice-phone"])),
        ["[group]", "before"]
    );
    assert_eq!(
        texts(&on_laptop(&["inbox", "--as", "alice-laptop"])),
        ["after"]
    );
    // The laptop writes as alice: bob sees alice.
    on_laptop(&[
        "send",
        "--as",
        "alice-laptop",
        "--to",
        "bob",
        "from the laptop",
    ]);
    let inbox = bob.json(&["inbox", "--as", "bob"]);
    assert_eq!(inbox[0]["from_name"], "alice");

    // A look-up that now finds another key under alice's name is refused.
    let e = bob.fails(&["contact", "add", "alice", "--email", "bob@example.org"]);
    assert!(
        e.contains("identity key changed") && e.contains("safety number now"),
        "{e}"
    );
}

/// An account's lifecycle: a second identifier added and listed, one
/// removed (look-ups of it find nobody, another account may take it),
/// then the account closed: senders who knew it are told, and its
/// addresses are free again.
#[test]
fn an_account_from_register_to_unregister() {
    let server = Server::start();
    let alice = User::new(&server, "alice");
    let bob = User::new(&server, "bob");
    let carol = User::new(&server, "carol");
    alice.sign_up(&server, "alice", "alice@example.org");
    bob.sign_up(&server, "bob", "bob@example.org");
    carol.sign_up(&server, "carol", "carol@example.org");
    alice.ok(&[
        "account",
        "add-identifier",
        "--as",
        "alice",
        "--phone",
        "+41 44 668 18 00",
    ]);
    let code = server.code_for("+41446681800");
    alice.ok(&["account", "verify", "--as", "alice", &code]);
    let ids = alice.json(&["account", "identifiers", "--as", "alice"]);
    assert_eq!(
        ids["verified"],
        serde_json::json!(["alice@example.org", "+41446681800"])
    );
    assert_eq!(ids["verified_in_directory"], 2);

    bob.ok(&["contact", "add", "alice", "--phone", "+41446681800"]);
    let out = alice.ok(&[
        "account",
        "remove-identifier",
        "--as",
        "alice",
        "--email",
        "alice@example.org",
    ]);
    assert!(out.contains("(1 verified left)"), "{out}");
    let e = carol.fails(&["contact", "add", "alice", "--email", "alice@example.org"]);
    assert!(e.contains("no user"), "{e}");
    let e = alice.fails(&[
        "account",
        "remove-identifier",
        "--as",
        "alice",
        "--email",
        "alice@example.org",
    ]);
    assert!(e.contains("unknown identifier"), "{e}");
    bob.ok(&["send", "--as", "bob", "--to", "alice", "still here?"]);

    let e = alice.fails(&["account", "unregister", "--as", "alice"]);
    assert!(e.contains("--yes"), "{e}");
    let out = alice.ok(&["account", "unregister", "--as", "alice", "--yes"]);
    assert!(out.contains("closed alice's account"), "{out}");
    let e = bob.fails(&["send", "--as", "bob", "--to", "alice", "hello?"]);
    assert!(e.contains("lists no devices any more"), "{e}");
    let e = alice.fails(&["account", "show", "--as", "alice"]);
    assert!(e.contains("closed") || e.contains("no account"), "{e}");
    // The identity still works without an account: bob's earlier message
    // is there.
    assert_eq!(
        texts(&alice.json(&["inbox", "--as", "alice"])),
        ["still here?"]
    );
    // Its phone number is free: carol takes it.
    carol.ok(&[
        "account",
        "add-identifier",
        "--as",
        "carol",
        "--phone",
        "+41446681800",
    ]);
    let code = server.nth_code_for("+41446681800", 2);
    carol.ok(&["account", "verify", "--as", "carol", &code]);
}

/// Usernames through the CLI: set (reserve and confirm, a free
/// discriminator picked), shown with a link, found by name or by link,
/// refused when taken, changed, deleted; an account made by a username
/// alone can look others up.
#[test]
fn usernames_find_people_without_an_address() {
    let server = Server::start();
    let alice = User::new(&server, "alice");
    let bob = User::new(&server, "bob");
    let carol = User::new(&server, "carol");
    alice.sign_up(&server, "alice", "alice@example.org");
    bob.sign_up(&server, "bob", "bob@example.org");
    let set = alice.json(&["username", "set", "--as", "alice", "Alice"]);
    let name = set["username"].as_str().unwrap().to_owned();
    assert!(name.starts_with("alice.") && name.len() == 8, "{name}");
    let link = set["link"].as_str().unwrap().to_owned();
    assert_eq!(link, format!("hush-user:{name}"));
    assert!(
        alice
            .ok(&["username", "show", "--as", "alice"])
            .contains(&link)
    );
    assert_eq!(server.codes_sent(), 2, "no code for a username");

    // Found by name and by link; messages go through.
    bob.ok(&["contact", "add", "alice", &link]);
    bob.ok(&["contact", "add", "alice2", "--username", &name]);
    bob.ok(&["send", "--as", "bob", "--to", "alice", "found you"]);
    assert_eq!(
        texts(&alice.json(&["inbox", "--as", "alice"])),
        ["found you"]
    );

    // Taken: carol (no account yet) cannot have it; a username alone
    // makes her an account that may look others up.
    let digits = name.split('.').nth(1).unwrap();
    let e = carol.fails(&[
        "username",
        "set",
        "--as",
        "carol",
        "alice",
        "--discriminator",
        digits,
    ]);
    assert!(e.contains("is taken"), "{e}");
    let carols = carol.json(&["username", "set", "--as", "carol", "carol"]);
    assert!(carols["username"].as_str().unwrap().starts_with("carol."));
    carol.ok(&["contact", "add", "bob", "--email", "bob@example.org"]);

    // Changed: the old name finds nobody, the new one finds alice.
    let new = alice.json(&["username", "set", "--as", "alice", "alicia"])["username"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = bob.fails(&["contact", "add", "old", "--username", &name]);
    assert!(e.contains("no user"), "{e}");
    bob.ok(&["contact", "add", "alicia", "--username", &new]);
    let ids = alice.json(&["account", "identifiers", "--as", "alice"]);
    assert_eq!(
        ids["verified"],
        serde_json::json!(["alice@example.org", new])
    );
    // Deleted: nobody finds it.
    alice.ok(&["username", "delete", "--as", "alice"]);
    let e = bob.fails(&["contact", "add", "gone", "--username", &new]);
    assert!(e.contains("no user"), "{e}");
    let e = alice.fails(&["username", "show", "--as", "alice"]);
    assert!(e.contains("no username"), "{e}");
}

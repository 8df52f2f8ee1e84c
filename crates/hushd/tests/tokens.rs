//! Privacy Pass tokens end to end (issue 34): hushd requiring tokens from
//! an issuer hush did not write (Cloudflare's @cloudflare/privacypass-ts,
//! whose key and tokens are committed in
//! crates/hush-enclave/tests/data/privacypass), and the CLI spending them
//! by itself: without tokens a send, an attachment and a computation are
//! refused with an error that says what is missing; with tokens they go
//! through; a spent token is refused the second time, from another home.

mod common;

use base64::Engine;
use common::{Hushd, hush};

const FIXTURE: &str =
    include_str!("../../hush-enclave/tests/data/privacypass/cloudflare-tokens.json");

/// The fixture's base64 strings for `name` (a string or a list of them).
fn field(name: &str) -> Vec<String> {
    let start = FIXTURE.find(&format!("\"{name}\":")).expect("the field");
    let rest = &FIXTURE[start + name.len() + 3..];
    let end = if rest.trim_start().starts_with('[') {
        rest.find(']').expect("a list")
    } else {
        rest.find('\n').expect("a line")
    };
    rest[..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// hushd requiring tokens from the fixture's issuer, 2 credits a token.
fn server(dir: &std::path::Path) -> Hushd {
    let key = base64::engine::general_purpose::STANDARD
        .decode(&field("public_key")[0])
        .unwrap();
    let key_file = dir.join("issuer.der");
    std::fs::write(&key_file, key).unwrap();
    Hushd::start(&[
        "--require-tokens",
        "--token-issuer-name",
        &field("issuer_name")[0],
        "--token-issuer-keys",
        key_file.to_str().unwrap(),
        "--credits-per-token",
        "2",
    ])
}

#[test]
fn writes_need_tokens_and_the_cli_spends_them_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let url = server.url.clone();
    let home = dir.path().join("alice");
    let dev = ["--allow-dev-attestation"];
    let run = |home: &std::path::Path, args: &[&str]| hush(home, &url, &[&dev[..], args].concat());
    assert!(run(&home, &["id", "new", "alice"]).ok);
    assert!(run(&home, &["id", "new", "bob"]).ok);

    // No tokens: a send is refused, and says what to do.
    let r = run(&home, &["send", "--as", "alice", "--to", "bob", "hello"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("no tokens left"), "{}", r.stderr);
    assert!(r.stderr.contains("hush tokens add"), "{}", r.stderr);

    // Tokens from the issuer: the stock, then sends spend them (2 writes
    // a token: three sends take two tokens, each redeemed by itself).
    let tokens = field("tokens");
    let file = dir.path().join("tokens.txt");
    std::fs::write(&file, tokens[..3].join("\n") + "\n").unwrap();
    let r = run(&home, &["tokens", "add", file.to_str().unwrap()]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "added 3 tokens (3 in stock)");
    let r = run(&home, &["send", "--as", "alice", "--to", "bob", "one"]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        run(&home, &["tokens", "show"]).stdout.trim(),
        "2 tokens in stock"
    );
    let r = run(&home, &["inbox", "--as", "bob"]);
    assert!(r.stdout.contains("one"), "{}", r.stdout);

    // An attachment and a computation each spend a credit too.
    let picture = dir.path().join("p.bin");
    std::fs::write(&picture, vec![7u8; 3000]).unwrap();
    let r = run(
        &home,
        &[
            "send",
            "--as",
            "alice",
            "--to",
            "bob",
            "--file",
            picture.to_str().unwrap(),
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    let bob_key = run(&home, &["--json", "id", "show", "bob"]).stdout;
    let bob_key = bob_key
        .split('"')
        .find(|s| s.len() == 64)
        .expect("bob's key")
        .to_owned();
    let r = run(
        &home,
        &[
            "calc",
            "create",
            "--as",
            "alice",
            "poll",
            "--type",
            "max",
            "--participants",
            &bob_key,
            "--quorum",
            "1",
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    let left: usize = run(&home, &["--json", "tokens", "show"])
        .stdout
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .unwrap()
        .parse()
        .unwrap();
    // One token per run: a session's credits end with it (the file send
    // used both of its token's credits: the upload and the message).
    assert_eq!(left, 0);

    // The same tokens in another home: spent, refused, and said so.
    let other = dir.path().join("carol");
    assert!(run(&other, &["id", "new", "carol"]).ok);
    assert!(run(&other, &["tokens", "add", file.to_str().unwrap()]).ok);
    let r = run(&other, &["send", "--as", "carol", "--to", "carol", "hi"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("no tokens left"), "{}", r.stderr);
    assert!(
        r.stderr.contains("3 of the stock were refused"),
        "{}",
        r.stderr
    );
    // An unspent token (the fourth) works there.
    std::fs::write(&file, format!("{}\n", tokens[3])).unwrap();
    assert!(run(&other, &["tokens", "add", file.to_str().unwrap()]).ok);
    let r = run(&other, &["send", "--as", "carol", "--to", "carol", "hi"]);
    assert!(r.ok, "{}", r.stderr);
}

#[test]
fn a_bad_token_file_is_refused_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("h");
    let file = dir.path().join("t.txt");
    std::fs::write(&file, format!("{}\n", field("tokens")[0])).unwrap();
    let r = hush(
        &home,
        "http://127.0.0.1:9",
        &["tokens", "add", file.to_str().unwrap()],
    );
    assert!(r.ok, "{}", r.stderr);
    std::fs::write(&file, "not a token\n").unwrap();
    let r = hush(
        &home,
        "http://127.0.0.1:9",
        &["tokens", "add", file.to_str().unwrap()],
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("line 1"), "{}", r.stderr);
    let r = hush(&home, "http://127.0.0.1:9", &["tokens", "show"]);
    assert_eq!(r.stdout.trim(), "1 tokens in stock");
}

#[test]
fn hushd_refuses_a_requirement_it_cannot_check() {
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_hushd"))
        .args(["--require-tokens", "--check-config"])
        .output()
        .unwrap();
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("no issuer key is configured"), "{err}");
}

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

/// The fixture's base64 strings for `name` (a string or a list of them).
fn field(name: &str) -> Vec<String> {
    hush_enclave::fixtures::privacypass(name)
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
fn hushd_refuses_a_requirement_nobody_can_meet() {
    let check = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_hushd"))
            .args(args)
            .arg("--check-config")
            .output()
            .unwrap()
    };
    // The directory issues tokens by default: requiring them is enough.
    let r = check(&["--require-tokens"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // Neither the directory nor an external issuer: refused.
    let r = check(&["--require-tokens", "--directory-tokens-per-day", "0"]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("nobody issues them"), "{err}");
    // Whole batches.
    let r = check(&["--directory-tokens-per-day", "10"]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("multiple of 4"), "{err}");
}

/// The latest code the dev sender wrote for `identifier`.
fn code_for(codes: &std::path::Path, identifier: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(codes).unwrap_or_default();
        if let Some(code) = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(&format!("{identifier} ")))
        {
            return code.trim().to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "no code in {text:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// hush's directory as the issuer: an identity with a verified account
/// writes with tokens required and no token given to it (the CLI fetches
/// a batch of the day's tokens, blindly, when the stock runs out, and
/// keeps what it does not spend); one without an account is told how to
/// get some; and the account's day has a limit, which the error names.
#[test]
fn a_verified_account_gets_tokens_from_the_directory_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let codes = dir.path().join("codes.txt");
    let server = Hushd::start(&[
        "--require-tokens",
        "--directory-tokens-per-day",
        "8",
        "--credits-per-token",
        "1",
        "--verification-file",
        codes.to_str().unwrap(),
    ]);
    let url = server.url.clone();
    let dev = ["--allow-dev-attestation"];
    let run = |home: &std::path::Path, args: &[&str]| hush(home, &url, &[&dev[..], args].concat());
    let home = dir.path().join("alice");
    assert!(run(&home, &["id", "new", "alice"]).ok);
    assert!(run(&home, &["id", "new", "bob"]).ok);

    // Before the account is verified: no tokens, and the error says how.
    let r = run(&home, &["send", "--as", "alice", "--to", "bob", "early"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("no tokens left"), "{}", r.stderr);
    assert!(r.stderr.contains("verified account"), "{}", r.stderr);
    assert!(r.stderr.contains("hush tokens add"), "{}", r.stderr);

    let r = run(
        &home,
        &[
            "account",
            "register",
            "--as",
            "alice",
            "--email",
            "alice@example.org",
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    let code = code_for(&codes, "alice@example.org");
    assert!(run(&home, &["account", "verify", "--as", "alice", &code]).ok);

    // Verified: sends go through with nothing added; the batch's tokens
    // not spent stay in the stock for the next run.
    let r = run(&home, &["send", "--as", "alice", "--to", "bob", "one"]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        run(&home, &["tokens", "show"]).stdout.trim(),
        "3 tokens in stock"
    );
    let r = run(&home, &["inbox", "--as", "bob"]);
    assert!(r.stdout.contains("one"), "{}", r.stdout);

    // Fetched ahead: the second (and last) batch of the day.
    let r = run(&home, &["tokens", "fetch", "--as", "alice"]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "fetched 4 tokens (7 in stock)");
    let r = run(&home, &["tokens", "fetch", "--as", "alice"]);
    assert!(!r.ok);
    assert!(
        r.stderr
            .contains("no tokens left today; the limit is 8 tokens a day"),
        "{}",
        r.stderr
    );

    // A token is worth one write here: seven more sends use the stock up,
    // and the next is refused for the day.
    for i in 0..7 {
        let r = run(
            &home,
            &["send", "--as", "alice", "--to", "bob", &format!("m{i}")],
        );
        assert!(r.ok, "send {i}: {}", r.stderr);
    }
    let r = run(&home, &["send", "--as", "alice", "--to", "bob", "too many"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("no tokens left today"), "{}", r.stderr);
}

/// Every token record costs the enclave an issuance's work, so the host
/// limits the records one session sends (`--token-records-per-minute`):
/// past the burst, a session's next record is refused with
/// RESOURCE_EXHAUSTED before it reaches the enclave, and another session
/// is not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_cannot_keep_the_token_thread_busy() {
    use hush_client::{Client, Identity};
    let server = Hushd::start(&["--token-records-per-minute", "3"]);
    let me = Identity::generate("alice");
    let connect = || Client::connect(&server.url, hush_attest::Policy::dev(), vec![me.keypair()]);
    let mut c = connect().await.unwrap();
    let token = hush_wire::tokens::Token::from_bytes(
        &base64::engine::general_purpose::STANDARD
            .decode(&field("tokens")[0])
            .unwrap(),
    )
    .unwrap();
    for _ in 0..3 {
        // Not a key this server trusts: refused inside, but counted.
        let a = c.redeem_token(&token).await.unwrap();
        assert_eq!(a.status, hush_wire::tokens::TokenStatus::Invalid);
    }
    let e = c.redeem_token(&token).await.unwrap_err().to_string();
    assert!(e.contains("too many token records on this session"), "{e}");
    let mut other = connect().await.unwrap();
    assert!(other.redeem_token(&token).await.is_ok());
}

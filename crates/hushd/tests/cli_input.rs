//! Message text from standard input (`-`), for scripts: sent and read back,
//! a trailing newline dropped, and binary input refused with a pointer to
//! --file.

mod common;

use common::{Hushd, hush_bin, hush_env};
use std::io::Write;
use std::process::{Command, Stdio};

fn with_stdin(home: &std::path::Path, url: &str, args: &[&str], input: &[u8]) -> (bool, String) {
    let mut child = Command::new(hush_bin())
        .args(args)
        .env("HUSH_HOME", home)
        .env("HUSH_SERVER", url)
        .env("HUSH_ALLOW_DEV_ATTESTATION", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn text_comes_from_standard_input_with_a_dash() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let dev = [("HUSH_ALLOW_DEV_ATTESTATION", "1")];
    for who in ["alice", "bob"] {
        assert!(hush_env(home.path(), &server.url, &["id", "new", who], &dev).ok);
    }
    let (ok, err) = with_stdin(
        home.path(),
        &server.url,
        &["send", "--as", "alice", "--to", "bob", "-"],
        b"line one\nline two\n",
    );
    assert!(ok, "{err}");
    let r = hush_env(
        home.path(),
        &server.url,
        &["--json", "read", "--as", "bob"],
        &dev,
    );
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["text"], "line one\nline two", "{v}");
    let (ok, err) = with_stdin(
        home.path(),
        &server.url,
        &["send", "--as", "alice", "--to", "bob", "-"],
        &[0xff, 0xfe, 0x00],
    );
    assert!(!ok && err.contains("--file"), "{err}");
}

#[test]
fn received_control_characters_are_escaped_unless_raw() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let dev = [("HUSH_ALLOW_DEV_ATTESTATION", "1")];
    for who in ["alice", "bob"] {
        assert!(hush_env(home.path(), &server.url, &["id", "new", who], &dev).ok);
    }
    let evil = "hi\u{1b}]0;pwned\u{7}\nnext";
    let r = hush_env(
        home.path(),
        &server.url,
        &["send", "--as", "alice", "--to", "bob", evil],
        &dev,
    );
    assert!(r.ok, "{}", r.stderr);
    let shown = hush_env(home.path(), &server.url, &["read", "--as", "bob"], &dev);
    assert!(
        shown.ok && !shown.stdout.contains('\u{1b}'),
        "{:?}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains("\\u{1b}]0;pwned\\u{7}\\nnext"),
        "{:?}",
        shown.stdout
    );
    let raw = hush_env(
        home.path(),
        &server.url,
        &["read", "--as", "bob", "--raw"],
        &dev,
    );
    assert!(raw.ok && raw.stdout.contains(evil), "{:?}", raw.stdout);
}

/// A policy file with `allow_dev = true` warns on every use, as the flag
/// does (it used to accept dev evidence silently), unless --quiet.
#[test]
fn a_policy_that_allows_dev_evidence_warns() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let policy = home.path().join("dev-policy.toml");
    std::fs::write(&policy, "allow_dev = true\n").unwrap();
    let run = hush_env(
        home.path(),
        &server.url,
        &["--policy", policy.to_str().unwrap(), "server", "verify"],
        &[],
    );
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: accepting DEV attestation"),
        "{}",
        run.stderr
    );
    // --quiet (or HUSH_QUIET) silences it, and only it: errors still show.
    let args = ["--policy", policy.to_str().unwrap(), "server", "verify"];
    for (flag, env) in [(Some("--quiet"), None), (None, Some(("HUSH_QUIET", "1")))] {
        let mut all: Vec<&str> = flag.into_iter().collect();
        all.extend(args);
        let run = hush_env(home.path(), &server.url, &all, env.as_slice());
        assert!(
            run.ok && run.stderr.is_empty(),
            "{flag:?} {env:?}: {}",
            run.stderr
        );
    }
    let run = hush_env(
        home.path(),
        &server.url,
        &["-q", "inbox", "--as", "nobody"],
        &[],
    );
    assert!(!run.ok && run.stderr.contains("error:"), "{}", run.stderr);
    let run = hush_env(home.path(), &server.url, &args, &[("HUSH_QUIET", "maybe")]);
    assert!(
        !run.ok && run.stderr.contains("HUSH_QUIET"),
        "{}",
        run.stderr
    );
}

/// Contact and group names in any script: one name whichever way its
/// accents were typed (NFC), and names that could pass for others
/// (direction overrides, invisible characters) refused with what is
/// allowed.
#[test]
fn contact_and_group_names_in_any_script() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let dev = [("HUSH_ALLOW_DEV_ATTESTATION", "1")];
    let run = |args: &[&str]| hush_env(home.path(), &server.url, args, &dev);
    assert!(run(&["id", "new", "me"]).ok);
    assert!(run(&["id", "new", "zoe"]).ok);
    let card = run(&["id", "card", "zoe"]).stdout.trim().to_owned();
    // Added with a combining diaeresis, used with the precomposed letter.
    let r = run(&["contact", "add", "Zoe\u{308} Dupont", &card]);
    assert!(r.ok, "{}", r.stderr);
    let r = run(&["send", "--as", "me", "--to", "Zo\u{eb} Dupont", "salut"]);
    assert!(r.ok, "{}", r.stderr);
    let r = run(&["--json", "contact", "list"]);
    assert!(r.stdout.contains("Zo\u{eb} Dupont"), "{}", r.stdout);
    let r = run(&[
        "group",
        "create",
        "家族",
        "--as",
        "me",
        "--members",
        "Zoë Dupont",
    ]);
    assert!(r.ok, "{}", r.stderr);
    assert!(run(&["group", "send", "家族", "--as", "me", "hello"]).ok);
    for bad in ["invoice\u{202e}fdp", "a\u{200b}b", "a/b"] {
        let r = run(&["contact", "add", bad, &card]);
        assert!(
            !r.ok && r.stderr.contains("direction-changing"),
            "{bad:?}: {}",
            r.stderr
        );
    }
}

/// Contacts belong to an identity (issue 32): in a home with alice and
/// carol, each sees its own contacts and those added for every identity;
/// carol's "accept only from contacts" allows her own, not alice's. A
/// home with one identity moves its contacts from before into that
/// identity's own.
#[test]
fn contacts_belong_to_an_identity() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let dev = [("HUSH_ALLOW_DEV_ATTESTATION", "1")];
    let run = |args: &[&str]| hush_env(home.path(), &server.url, args, &dev);
    let others = tempfile::tempdir().unwrap();
    let card_of = |name: &str| {
        hush_env(others.path(), &server.url, &["id", "new", name], &dev);
        hush_env(others.path(), &server.url, &["id", "card", name], &dev)
            .stdout
            .trim()
            .to_owned()
    };
    for who in ["alice", "carol"] {
        assert!(run(&["id", "new", who]).ok);
    }
    assert!(run(&["contact", "add", "dave", &card_of("dave"), "--as", "alice"]).ok);
    assert!(run(&["contact", "add", "erin", &card_of("erin"), "--as", "carol"]).ok);
    let r = run(&["contact", "add", "frank", &card_of("frank")]);
    assert!(
        r.ok && r.stderr.contains("every identity here shares"),
        "{}",
        r.stderr
    );
    let names = |who: &str| {
        let r = run(&["--json", "contact", "list", "--as", who]);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["shared"].as_bool().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names("alice"),
        [("dave".into(), false), ("frank".into(), true)]
    );
    assert_eq!(
        names("carol"),
        [("erin".into(), false), ("frank".into(), true)]
    );
    // carol cannot send to alice's contact by name.
    let r = run(&["send", "--as", "carol", "--to", "dave", "hi"]);
    assert!(!r.ok, "{}", r.stdout);
    let r = run(&[
        "--json",
        "policy",
        "--as",
        "carol",
        "--accept-from-anyone",
        "off",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["allowed"], 2, "erin and frank, not dave: {v}");

    // A home from before: one identity, contacts in the shared folder.
    let old = tempfile::tempdir().unwrap();
    let before = |args: &[&str]| hush_env(old.path(), &server.url, args, &dev);
    assert!(before(&["id", "new", "gina"]).ok);
    let contacts = old.path().join("contacts");
    std::fs::create_dir_all(&contacts).unwrap();
    std::fs::write(contacts.join("hank.card"), format!("{}\n", card_of("hank"))).unwrap();
    let r = before(&["contact", "list"]);
    assert!(
        r.stderr.contains("moved 1 contact(s) into gina's own"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.starts_with("hank "), "{}", r.stdout);
    assert!(contacts.join("@gina/hank.card").exists());
    assert!(!contacts.join("hank.card").exists());
}

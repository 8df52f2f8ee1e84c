//! Verification codes leave hushd by email (SMTP, to a local SMTP sink the
//! test runs) and by SMS (an HTTP webhook, to a local HTTP sink), and a
//! user completes registration with the code the sink caught.

mod common;

use common::{Hushd, hush};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// A minimal SMTP server: accepts every mail and hands each one's
/// recipient and text to the channel.
fn smtp_sink() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let mut lines = BufReader::new(stream);
                let mut say = |s: &str| out.write_all(format!("{s}\r\n").as_bytes());
                say("220 sink ESMTP").unwrap();
                let (mut rcpt, mut data) = (String::new(), String::new());
                let mut line = String::new();
                while lines.read_line(&mut line).unwrap_or(0) > 0 {
                    let cmd = line.trim_end().to_owned();
                    line.clear();
                    let upper = cmd.to_ascii_uppercase();
                    if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        say("250 sink").unwrap();
                    } else if upper.starts_with("RCPT TO:") {
                        rcpt = cmd[8..].trim().trim_matches(['<', '>']).to_owned();
                        say("250 ok").unwrap();
                    } else if upper == "DATA" {
                        say("354 go on").unwrap();
                        loop {
                            let mut l = String::new();
                            if lines.read_line(&mut l).unwrap_or(0) == 0 || l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        say("250 queued").unwrap();
                        let _ = tx.send((rcpt.clone(), data.clone()));
                    } else if upper == "QUIT" {
                        let _ = say("221 bye");
                        break;
                    } else {
                        say("250 ok").unwrap();
                    }
                }
            });
        }
    });
    (url, rx)
}

/// A minimal HTTP server: answers 200 and hands each request's body over.
fn http_sink() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                    break;
                }
                if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .unwrap();
            let _ = tx.send(String::from_utf8(body).unwrap());
        }
    });
    (url, rx)
}

fn code_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_owned()
}

#[test]
fn codes_go_out_by_smtp_and_by_webhook() {
    let (smtp, mails) = smtp_sink();
    let (webhook, posts) = http_sink();
    let dir = tempfile::tempdir().unwrap();
    let dev_file = dir.path().join("codes.txt");
    let server = Hushd::start(&[
        "--smtp-url",
        &smtp,
        "--mail-from",
        "hush <noreply@example.org>",
        "--sms-webhook",
        &webhook,
        "--verification-file",
        dev_file.to_str().unwrap(),
    ]);
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--allow-dev-attestation"];
        all.extend_from_slice(args);
        let r = hush(home.path(), &server.url, &all);
        assert!(r.ok, "{args:?}: {}{}", r.stdout, r.stderr);
        r.stdout
    };
    run(&["id", "new", "alice"]);

    run(&[
        "account",
        "register",
        "--as",
        "alice",
        "--email",
        "Alice@Example.org",
    ]);
    let (to, mail) = mails.recv_timeout(Duration::from_secs(20)).expect("a mail");
    assert_eq!(to, "alice@example.org");
    assert!(mail.contains("Subject: Your hush code"), "{mail}");
    run(&["account", "verify", "--as", "alice", &code_in(&mail)]);

    run(&[
        "account",
        "register",
        "--as",
        "alice",
        "--phone",
        "+41 79 123 45 67",
    ]);
    let post = posts
        .recv_timeout(Duration::from_secs(20))
        .expect("a webhook call");
    let body: serde_json::Value = serde_json::from_str(&post).unwrap();
    assert_eq!(body["to"], "+41791234567");
    let code = body["code"].as_str().unwrap().to_owned();
    assert_eq!(code, code_in(body["text"].as_str().unwrap()));
    run(&["account", "verify", "--as", "alice", &code]);
    let shown: serde_json::Value =
        serde_json::from_str(&run(&["--json", "account", "show", "--as", "alice"])).unwrap();
    assert_eq!(shown["verified_identifiers"], 2);
    // Nothing went to the dev file.
    assert!(!dev_file.exists());
}

#[test]
fn bad_sender_settings_are_explained() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hushd"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "off",
            "--sms-webhook",
            "ftp://x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sms_webhook") && err.contains("http"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hushd"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "off",
            "--smtp-url",
            "smtp://x",
            "--mail-from",
            "not an address",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mail_from"), "{err}");
}

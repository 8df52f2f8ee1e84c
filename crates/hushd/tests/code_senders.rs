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

/// The raw bytes a TLS sink received on the wire (what the host relayed).
type Wire = std::sync::Arc<std::sync::Mutex<Vec<u8>>>;

/// A TCP stream that keeps a copy of every byte read from it.
struct Recording {
    inner: std::net::TcpStream,
    seen: Wire,
}

impl Read for Recording {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn tls_data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tls")
        .join(name)
}

/// A TLS server for the test certificate (localhost, 127.0.0.1): each
/// connection, after the handshake, is handed to `serve` as a line reader
/// over the decrypted stream; the raw bytes go to `wire`.
fn tls_sink<F>(serve: F) -> (u16, Wire)
where
    F: Fn(&mut BufReader<rustls::StreamOwned<rustls::ServerConnection, Recording>>)
        + Send
        + Sync
        + 'static,
{
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(tls_data("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(tls_data("server.key")).unwrap();
    let config = std::sync::Arc::new(
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let wire: Wire = Default::default();
    let (w, serve) = (wire.clone(), std::sync::Arc::new(serve));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (config, w, serve) = (config.clone(), w.clone(), serve.clone());
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                let conn = rustls::ServerConnection::new(config).unwrap();
                let tls = rustls::StreamOwned::new(
                    conn,
                    Recording {
                        inner: stream,
                        seen: w,
                    },
                );
                serve(&mut BufReader::new(tls));
            });
        }
    });
    (port, wire)
}

/// An SMTP server over implicit TLS: hands each mail's recipient and text
/// (and the AUTH line) over.
fn smtps_sink() -> (u16, Wire, mpsc::Receiver<(String, String, String)>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let (port, wire) = tls_sink(move |lines| {
        let say = |lines: &mut BufReader<_>, s: &str| {
            let w: &mut rustls::StreamOwned<rustls::ServerConnection, Recording> = lines.get_mut();
            let _ = w.write_all(format!("{s}\r\n").as_bytes());
            let _ = w.flush();
        };
        say(lines, "220 tls sink ESMTP");
        let (mut auth, mut rcpt, mut data) = (String::new(), String::new(), String::new());
        let mut line = String::new();
        while lines.read_line(&mut line).unwrap_or(0) > 0 {
            let cmd = line.trim_end().to_owned();
            line.clear();
            let upper = cmd.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                say(lines, "250-tls sink");
                say(lines, "250 AUTH PLAIN");
            } else if upper.starts_with("AUTH PLAIN") {
                auth = cmd[10..].trim().to_owned();
                say(lines, "235 ok");
            } else if upper.starts_with("RCPT TO:") {
                rcpt = cmd[8..].trim().trim_matches(['<', '>']).to_owned();
                say(lines, "250 ok");
            } else if upper == "DATA" {
                say(lines, "354 go on");
                loop {
                    let mut l = String::new();
                    if lines.read_line(&mut l).unwrap_or(0) == 0 || l == ".\r\n" {
                        break;
                    }
                    data.push_str(&l);
                }
                say(lines, "250 queued");
                let _ = tx
                    .lock()
                    .unwrap()
                    .send((rcpt.clone(), data.clone(), auth.clone()));
            } else if upper == "QUIT" {
                say(lines, "221 bye");
                break;
            } else {
                say(lines, "250 ok");
            }
        }
    });
    (port, wire, rx)
}

/// An HTTPS webhook: answers 204 and hands each request's body over.
fn https_sink() -> (u16, Wire, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let (port, wire) = tls_sink(move |reader| {
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
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let w = reader.get_mut();
        let _ = w.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
        let _ = w.flush();
        let _ = tx.lock().unwrap().send(String::from_utf8(body).unwrap());
    });
    (port, wire, rx)
}

/// With an smtps:// and an https:// provider, the enclave delivers each
/// code over TLS it runs itself, checking the provider's certificate: the
/// host relays TLS records that hold neither the code, nor the address,
/// nor the SMTP password, and no code reaches the dev file. A user
/// completes registration with the code the provider received. With
/// roots the provider's certificate does not chain to, nothing is sent.
#[test]
fn codes_leave_the_enclave_over_its_own_tls() {
    let (smtp_port, smtp_wire, mails) = smtps_sink();
    let (sms_port, sms_wire, posts) = https_sink();
    let dir = tempfile::tempdir().unwrap();
    let dev_file = dir.path().join("codes.txt");
    let smtp = format!("smtps://hush-mailer:s3cret-pw@127.0.0.1:{smtp_port}");
    let sms = format!("https://127.0.0.1:{sms_port}/sms");
    let ca = tls_data("ca.pem");
    let server = Hushd::start(&[
        "--smtp-url",
        &smtp,
        "--mail-from",
        "hush <noreply@example.org>",
        "--sms-webhook",
        &sms,
        "--tls-roots",
        ca.to_str().unwrap(),
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
        "alice@example.org",
    ]);
    let (to, mail, auth) = mails.recv_timeout(Duration::from_secs(20)).expect("a mail");
    assert_eq!(to, "alice@example.org");
    assert!(
        mail.contains("Subject: Your hush verification code"),
        "{mail}"
    );
    assert_eq!(
        auth, "AGh1c2gtbWFpbGVyAHMzY3JldC1wdw==",
        "AUTH PLAIN hush-mailer / s3cret-pw"
    );
    let code = code_in(&mail);
    run(&["account", "verify", "--as", "alice", &code]);

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
    let sms_code = body["code"].as_str().unwrap().to_owned();
    run(&["account", "verify", "--as", "alice", &sms_code]);
    let shown: serde_json::Value =
        serde_json::from_str(&run(&["--json", "account", "show", "--as", "alice"])).unwrap();
    assert_eq!(shown["verified_identifiers"], 2);

    // What the host carried: TLS records, holding none of the secrets.
    for (wire, secrets) in [
        (
            &smtp_wire,
            vec![code.as_str(), "alice@example.org", "s3cret-pw"],
        ),
        (&sms_wire, vec![sms_code.as_str(), "+41791234567"]),
    ] {
        let bytes = wire.lock().unwrap().clone();
        assert!(bytes.len() > 500, "the sink saw {} bytes", bytes.len());
        assert_eq!(bytes[0], 0x16, "a TLS handshake record first");
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{s:?} crossed the host in the clear"
            );
        }
    }
    assert!(!dev_file.exists(), "a code reached the host's dev file");
    // Nor does hushd's memory hold the texts the codes went out in (the
    // enclave zeroizes them once sent). The SMTP password, which is
    // configuration, is found, so the scan works. (With dev attestation
    // the enclave is in hushd's process; in a TEE its memory is not the
    // host's at all.)
    assert!(server.memory_contains(b"s3cret-pw"), "control");
    for text in [
        format!("verification code is {code}"),
        format!("\"code\":\"{sms_code}\""),
    ] {
        assert!(
            !server.memory_contains(text.as_bytes()),
            "{text:?} is still in hushd's memory"
        );
    }
    drop(server);

    // A provider whose certificate does not chain to the configured roots
    // gets nothing: the enclave refuses the handshake.
    let (port, wire, mails) = smtps_sink();
    let other = tls_data("other_ca.pem");
    let server = Hushd::start(&[
        "--smtp-url",
        &format!("smtps://127.0.0.1:{port}"),
        "--tls-roots",
        other.to_str().unwrap(),
        "--verification-file",
        dev_file.to_str().unwrap(),
    ]);
    let r = hush(
        home.path(),
        &server.url,
        &[
            "--allow-dev-attestation",
            "account",
            "register",
            "--as",
            "alice",
            "--email",
            "carol@example.org",
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(
        mails.recv_timeout(Duration::from_secs(5)).is_err(),
        "a mail went to an untrusted server"
    );
    assert!(!wire.lock().unwrap().is_empty(), "the enclave did try");
    assert!(!dev_file.exists(), "the code fell back to the host");
}

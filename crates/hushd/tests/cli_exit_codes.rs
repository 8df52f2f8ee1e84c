//! The CLI's exit codes tell scripts what kind of failure they hit
//! (README, "Exit codes"): 1 anything local, 2 a bad command line, 3 an
//! attestation refused, 4 no server reached, 5 the server refused the
//! request.

mod common;

use common::{Hushd, hush_env};

#[test]
fn each_kind_of_failure_has_its_exit_code() {
    let server = Hushd::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let dev = [("HUSH_ALLOW_DEV_ATTESTATION", "1")];
    let run = |url: &str, args: &[&str], env: &[(&str, &str)]| {
        let r = hush_env(home.path(), url, args, env);
        (r.code, r.stderr)
    };
    let url = server.url.as_str();
    assert_eq!(run(url, &["id", "new", "alice"], &dev).0, Some(0));
    assert_eq!(run(url, &["id", "new", "bob"], &dev).0, Some(0));
    assert_eq!(
        run(url, &["send", "--as", "alice", "--to", "bob", "hi"], &dev).0,
        Some(0)
    );

    // 1: local (an identity that does not exist).
    let (code, e) = run(url, &["send", "--as", "nobody", "--to", "bob", "hi"], &dev);
    assert_eq!(code, Some(1), "{e}");
    // 2: the command line (clap's).
    let (code, e) = run(url, &["sned"], &dev);
    assert_eq!(code, Some(2), "{e}");
    // 3: the server's dev evidence, without permission to accept it.
    let (code, e) = run(url, &["inbox", "--as", "bob"], &[]);
    assert_eq!(code, Some(3), "{e}");
    assert!(e.contains("attestation"), "{e}");
    // 4: nothing listens there.
    let (code, e) = run(
        "http://127.0.0.1:1",
        &["--timeout", "3", "inbox", "--as", "bob"],
        &dev,
    );
    assert_eq!(code, Some(4), "{e}");
    // 5: the server answered, and refused (no such message).
    let missing = "00112233445566778899aabbccddeeff";
    let (code, e) = run(url, &["read", "--as", "bob", missing], &dev);
    assert_eq!(code, Some(5), "{e}");
}

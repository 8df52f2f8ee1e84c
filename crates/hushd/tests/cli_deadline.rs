//! Issue 30: with a server list, after a majority loss, the CLI once
//! waited 727 s in silence. Every CLI call now ends within `--timeout`
//! (`HUSH_TIMEOUT`) with an error naming every server tried and why each
//! failed.

mod common;

use common::hush_env;
use std::time::{Duration, Instant};

#[test]
fn a_cli_call_ends_at_its_deadline_naming_every_server_tried() {
    let home = tempfile::tempdir().unwrap();
    // One server that refuses connections, one that accepts and never
    // answers (as a node frozen or cut off mid-call would).
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let servers = format!("{refused},{}", silent.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut kept = Vec::new();
        for conn in silent.incoming().take(8) {
            kept.push(conn);
        }
        kept
    });
    let id = hush_env(home.path(), &servers, &["id", "new", "me"], &[]);
    assert!(id.ok, "{}", id.stderr);
    for (args, env) in [
        (vec!["--timeout", "2", "inbox", "--as", "me"], vec![]),
        (vec!["inbox", "--as", "me"], vec![("HUSH_TIMEOUT", "2")]),
    ] {
        let start = Instant::now();
        let run = hush_env(
            home.path(),
            &servers,
            &args,
            &[&[("HUSH_ALLOW_DEV_ATTESTATION", "1")][..], &env[..]].concat(),
        );
        let took = start.elapsed();
        assert!(!run.ok);
        // Without a deadline this call tries each server again and again
        // (minutes); with one it stops at 2 s (the margin is for a loaded
        // machine, not a measurement).
        assert!(took < Duration::from_secs(20), "took {took:?}");
        let err = run.stderr;
        assert!(err.contains("no answer within 2 s"), "{err}");
        assert!(err.contains(&format!("http://{refused}")), "{err}");
        assert!(
            err.contains(&format!(
                "http://{}: no answer before the deadline",
                servers.split(',').nth(1).unwrap()
            )),
            "{err}"
        );
    }
    drop(held);
}

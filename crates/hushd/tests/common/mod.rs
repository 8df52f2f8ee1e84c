//! Helpers for end-to-end tests: a real `hushd` on a random loopback port,
//! and the `hush` CLI binary.

#![allow(dead_code)]

pub mod history;
pub mod proxy;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A free port below the ephemeral range, so that no outgoing connection
/// takes it between this check and hushd binding it.
pub fn free_port() -> u16 {
    loop {
        let port = 20_000 + rand::random::<u16>() % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A running hushd, killed on drop.
pub struct Hushd {
    child: Child,
    /// gRPC URL.
    pub url: String,
    /// Metrics URL (`.../metrics`).
    pub metrics: Option<String>,
    /// The TCP transport's address, when started with `--tcp-listen`.
    pub tcp: Option<String>,
}

impl Hushd {
    /// Starts hushd with `args` on random loopback ports.
    pub fn start(args: &[&str]) -> Self {
        Self::start_on("127.0.0.1:0", args)
    }

    /// Starts hushd listening on `listen`; returns once it serves (a
    /// cluster node: once it votes), or panics after 3 minutes.
    pub fn start_on(listen: &str, args: &[&str]) -> Self {
        Self::start_within(listen, args, Duration::from_secs(180))
    }

    /// Like [`Hushd::start_on`], giving up (and killing it) after `limit`.
    pub fn start_within(listen: &str, args: &[&str], limit: Duration) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hushd"))
            .args(["--listen", listen, "--metrics-listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("hushd starts");
        // Lines arrive through a thread that keeps draining stdout, so
        // hushd never blocks on a full pipe.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = std::time::Instant::now() + limit;
        let mut url = None;
        let mut metrics = None;
        let mut tcp = None;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("hushd {args:?} did not start within {limit:?}");
                }
            };
            if let Some(rest) = line.strip_prefix("hushd: oblivious message broker listening on ") {
                url = Some(rest.trim().to_owned());
            } else if let Some(rest) = line.strip_prefix("hushd: metrics on ") {
                metrics = Some(rest.trim().to_owned());
            } else if let Some(rest) = line.strip_prefix("hushd: broker query stream over TCP on ")
            {
                tcp = Some(rest.trim().to_owned());
            } else if line.starts_with("Try it") {
                break;
            }
        }
        Self {
            child,
            url: url.expect("hushd printed its address"),
            metrics,
            tcp,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether `needle` occurs anywhere in its readable memory (every
    /// mapping in /proc/PID/maps, read through /proc/PID/mem). Linux only.
    pub fn memory_contains(&self, needle: &[u8]) -> bool {
        use std::io::{Read, Seek, SeekFrom};
        let pid = self.pid();
        let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
        let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).expect("mem");
        let mut scanned = 0usize;
        for line in maps.lines() {
            let mut parts = line.split_whitespace();
            let (range, perms) = (parts.next().unwrap(), parts.next().unwrap());
            if !perms.starts_with('r') {
                continue;
            }
            let (lo, hi) = range.split_once('-').unwrap();
            let lo = u64::from_str_radix(lo, 16).unwrap();
            let hi = u64::from_str_radix(hi, 16).unwrap();
            // Read in chunks that overlap by the needle's length.
            const CHUNK: u64 = 1 << 22;
            let mut at = lo;
            while at < hi {
                let len = (CHUNK + needle.len() as u64).min(hi - at) as usize;
                let mut buf = vec![0u8; len];
                if mem.seek(SeekFrom::Start(at)).is_err() {
                    break;
                }
                match mem.read(&mut buf) {
                    Ok(n) if n > 0 => {
                        scanned += n;
                        if buf[..n].windows(needle.len()).any(|w| w == needle) {
                            return true;
                        }
                    }
                    // Guard pages and special mappings do not read.
                    _ => break,
                }
                at += CHUNK;
            }
        }
        assert!(
            scanned > 1 << 20,
            "read only {scanned} bytes of hushd's memory"
        );
        false
    }

    /// The port it listens on.
    pub fn listen_addr(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    /// Stops it with SIGTERM and waits; returns whether it exited cleanly.
    pub fn stop(mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Hushd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `hush` CLI binary of this source tree: cargo builds it once per
/// test process (a no-op when it is fresh), so a test never runs a stale
/// `hush` left in the target directory by an earlier build.
pub fn hush_bin() -> PathBuf {
    static BUILD: std::sync::Once = std::sync::Once::new();
    workspace_bin("hush-client", "hush", &BUILD)
}

/// The `hush-conformance` binary of this source tree, built as [`hush_bin`].
#[allow(dead_code)]
pub fn conformance_bin() -> PathBuf {
    static BUILD: std::sync::Once = std::sync::Once::new();
    workspace_bin("hush-conformance", "hush-conformance", &BUILD)
}

fn workspace_bin(package: &str, name: &str, once: &std::sync::Once) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_hushd"))
        .parent()
        .unwrap()
        .to_path_buf();
    once.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--locked", "-p", package, "--bin", name]);
        if dir.ends_with("release") {
            cmd.arg("--release");
        }
        assert!(
            cmd.status().expect("cargo runs").success(),
            "building {name}"
        );
    });
    dir.join(name)
}

/// Output of one CLI run.
pub struct Run {
    pub ok: bool,
    /// The exit code (None if a signal ended it).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the CLI against `url` with identities in `home`.
pub fn hush(home: &std::path::Path, url: &str, args: &[&str]) -> Run {
    hush_env(home, url, args, &[])
}

/// Like [`hush`], with extra environment variables.
pub fn hush_env(home: &std::path::Path, url: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(hush_bin())
        .args(args)
        .env("HUSH_HOME", home)
        .env("HUSH_SERVER", url)
        .env_remove("HUSH_ALLOW_DEV_ATTESTATION")
        .env_remove("HUSH_PASSPHRASE")
        .envs(env.iter().copied())
        .output()
        .expect("hush runs");
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A dev-attestation client acting as `ids`.
pub async fn client(url: &str, ids: &[&hush_client::Identity]) -> hush_client::Client {
    hush_client::Client::connect(
        url,
        hush_attest::Policy::dev(),
        ids.iter().map(|i| i.keypair()).collect(),
    )
    .await
    .expect("client connects")
}

/// The value of the metric line starting with `series` (e.g.
/// `hush_requests_total{rpc="query",outcome="ok"}`), 0 if absent.
pub fn metric(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// A plain HTTP/1.1 GET (for the metrics page).
pub fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

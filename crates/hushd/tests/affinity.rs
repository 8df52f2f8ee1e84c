//! Where a running hushd's threads may run (`enclave_cpu`): by default the
//! broker's enclave thread alone on the highest-numbered CPU and every
//! other thread on the rest; with "off", every thread anywhere; a CPU it
//! may not use is refused at start with a clear error.

mod common;

use common::Hushd;
use std::process::Command;
use std::time::{Duration, Instant};

/// "0-2,5" -> [0, 1, 2, 5].
fn cpu_list(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => out.extend(a.parse::<usize>().unwrap()..=b.parse().unwrap()),
            None => out.push(part.parse().unwrap()),
        }
    }
    out
}

fn allowed(status: &str) -> Vec<usize> {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list in /proc status");
    cpu_list(line)
}

/// Every thread of `pid`: (name, CPUs it may run on).
fn threads(pid: u32) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let dir = entry.unwrap().path();
        // A thread may end between the listing and the reads.
        let (Ok(name), Ok(status)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("status")),
        ) else {
            continue;
        };
        out.push((name.trim().to_owned(), allowed(&status)));
    }
    out
}

/// Waits until `check` holds for hushd's threads (the enclave thread pins
/// itself as it starts), then returns them.
fn settled(
    d: &Hushd,
    check: impl Fn(&[(String, Vec<usize>)]) -> bool,
) -> Vec<(String, Vec<usize>)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let t = threads(d.pid());
        if check(&t) || Instant::now() > deadline {
            return t;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_broker_enclave_thread_has_a_cpu_of_its_own_unless_off() {
    let mine = allowed(&std::fs::read_to_string("/proc/self/status").unwrap());
    let d = Hushd::start(&[]);
    let has = |t: &[(String, Vec<usize>)], name: &str| t.iter().any(|(n, _)| n == name);
    // A new thread names itself (and the enclave thread pins itself) once
    // it runs, so wait for every thread the test expects.
    let t = settled(&d, |t| {
        t.iter()
            .any(|(n, c)| n == "enclave-broker" && (mine.len() < 2 || c.len() == 1))
            && has(t, "enclave-directo")
            && (mine.len() < 2 || has(t, "enclave-slots"))
    });
    let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"enclave-broker"), "{names:?}");
    // comm is cut at 15 bytes.
    assert!(names.contains(&"enclave-directo"), "{names:?}");
    if mine.len() >= 2 {
        let top = *mine.iter().max().unwrap();
        let rest: Vec<usize> = mine.iter().copied().filter(|&c| c != top).collect();
        // With a CPU of its own, the broker has two threads by default.
        assert!(names.contains(&"enclave-slots"), "{names:?}");
        for (name, cpus) in &t {
            if name == "enclave-broker" {
                assert_eq!(cpus, &vec![top], "the broker's enclave thread");
            } else {
                assert_eq!(cpus, &rest, "thread {name} stays off the enclave's CPU");
            }
        }
    } else {
        // One CPU: nothing to reserve, so nothing is pinned.
        assert!(t.iter().all(|(_, c)| c == &mine), "{t:?}");
    }
    drop(d);

    let off = Hushd::start(&["--enclave-cpu", "off"]);
    let t = settled(&off, |t| {
        has(t, "enclave-broker") && has(t, "enclave-directo")
    });
    // Not pinned: one broker thread by default (its second would be
    // started before it).
    assert!(
        !t.iter().any(|(n, _)| n == "enclave-slots"),
        "one broker thread when not pinned: {t:?}"
    );
    for (name, cpus) in &t {
        assert_eq!(
            cpus, &mine,
            "with enclave_cpu off, thread {name} may run anywhere"
        );
    }
}

/// The broker's second thread (`--broker-threads 2`) runs with the other
/// threads, off the first one's CPU.
#[test]
fn the_broker_second_thread_stays_off_the_enclave_cpu() {
    let mine = allowed(&std::fs::read_to_string("/proc/self/status").unwrap());
    let d = Hushd::start(&["--broker-threads", "2"]);
    let t = settled(&d, |t| {
        t.iter().any(|(n, c)| n == "enclave-broker" && c.len() == 1)
            && t.iter().any(|(n, _)| n == "enclave-slots")
    });
    let cpus = |name: &str| {
        t.iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| panic!("no thread {name}: {t:?}"))
    };
    if mine.len() >= 2 {
        let top = *mine.iter().max().unwrap();
        let rest: Vec<usize> = mine.iter().copied().filter(|&c| c != top).collect();
        assert_eq!(cpus("enclave-broker"), vec![top]);
        assert_eq!(cpus("enclave-slots"), rest);
    } else {
        assert_eq!(cpus("enclave-slots"), mine);
    }
}

#[test]
fn a_cpu_hushd_may_not_use_is_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_hushd"))
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "off"])
        .args(["--enclave-cpu", "1000"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("enclave_cpu 1000 is not among the CPUs hushd may use"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

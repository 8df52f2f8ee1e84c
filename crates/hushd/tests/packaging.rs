//! The packaging files hold together: the container's command line and the
//! systemd unit's configuration pass `hushd --check-config`, and the unit
//! passes `systemd-analyze verify` (where systemd-analyze exists) with no
//! warning. (The container image itself is not built here: this machine
//! has no container engine running and no registry access.)

mod common;

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check_config(args: &[String]) {
    let out = Command::new(env!("CARGO_BIN_EXE_hushd"))
        .arg("--check-config")
        .args(args)
        .env_remove("HUSH_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hushd --check-config {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_container_command_line_is_a_valid_configuration() {
    let file = std::fs::read_to_string(repo().join("Containerfile")).unwrap();
    let cmd = file
        .lines()
        .find_map(|l| l.strip_prefix("CMD "))
        .expect("a CMD line");
    let args: Vec<String> = serde_json::from_str(cmd).expect("CMD in exec (JSON) form");
    assert!(
        args.iter().any(|a| a == "0.0.0.0:7878"),
        "listens beyond the container"
    );
    check_config(&args);
    assert!(file.contains("USER hush") && file.contains("VOLUME [\"/var/lib/hush\"]"));
    assert!(file.contains("target-cpu=x86-64-v3"), "a portable binary");
}

#[test]
fn the_systemd_unit_and_its_configuration_are_valid() {
    let packaging = repo().join("packaging");
    check_config(&[
        "--config".into(),
        packaging.join("hushd.toml").display().to_string(),
    ]);
    let unit = std::fs::read_to_string(packaging.join("hushd.service")).unwrap();
    for hardening in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
    ] {
        assert!(unit.contains(hardening), "{hardening}");
    }
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze not installed: unit syntax not verified");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hushd.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/hushd", env!("CARGO_BIN_EXE_hushd")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {stderr}"
    );
}

#[test]
fn completions_and_manual_pages_come_from_the_clis() {
    let run = |bin: &std::path::Path, args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let hushd = PathBuf::from(env!("CARGO_BIN_EXE_hushd"));
    assert!(run(&hushd, &["--completions", "zsh"]).starts_with("#compdef hushd"));
    assert!(run(&hushd, &["--completions", "bash"]).contains("--check-config"));
    let man = run(&hushd, &["--man"]);
    assert!(
        man.contains(".TH hushd 1") && man.contains("attestation\\-collateral"),
        "{man}"
    );
    let hush = common::hush_bin();
    let bash = run(&hush, &["completions", "bash"]);
    for sub in ["send", "inbox", "calc", "server"] {
        assert!(bash.contains(sub), "hush completions lack {sub}");
    }
    let man = run(&hush, &["man"]);
    assert!(
        man.contains(".TH hush 1") && man.contains("hush\\-send"),
        "{man}"
    );
}

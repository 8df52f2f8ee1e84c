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
    // Every page hush(1) refers to can be printed, and written.
    let send = run(&hush, &["man", "send"]);
    assert!(
        send.contains(".TH hush-send 1") && send.contains("\\-\\-to"),
        "{send}"
    );
    let create = run(&hush, &["man", "group", "create"]);
    assert!(create.contains(".TH hush-group-create 1"), "{create}");
    let missing = Command::new(&hush).args(["man", "sned"]).output().unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no command `hush sned`"));
    let dir = tempfile::tempdir().unwrap();
    run(&hush, &["man", "--out-dir", dir.path().to_str().unwrap()]);
    for page in [
        "hush.1",
        "hush-send.1",
        "hush-group-create.1",
        "hush-evidence-pin.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page} not written");
    }
    assert!(
        !dir.path().join("hush-help.1").exists(),
        "no page for `help`"
    );
}

#[test]
fn the_tee_image_configuration_is_valid_and_asks_for_tsm_evidence() {
    let file = repo().join("packaging/image/hushd.toml");
    check_config(&["--config".into(), file.display().to_string()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let config: toml::Table = text.parse().unwrap();
    // scripts/build-image.sh swaps exactly this line for the dev image.
    assert!(text.lines().any(|l| l == "attestation = \"tsm\""));
    assert_eq!(config["listen"].as_str(), Some("0.0.0.0:7878"));
    assert_eq!(config["demo"].as_str(), Some("off"));
    // Nothing the guest keeps may point at a disk the host could read.
    for key in ["blob_dir", "verification_file"] {
        let path = config[key].as_str().unwrap();
        assert!(
            path.starts_with("/run/hush") || path.starts_with("/var/lib/hush"),
            "{key} = {path}: outside the guest's in-memory directories"
        );
    }
}

/// The Gramine manifest template with Gramine's placeholders filled in as
/// `gramine-manifest` would (paths of an installed Gramine).
fn gramine_manifest() -> toml::Table {
    let template =
        std::fs::read_to_string(repo().join("packaging/gramine/hushd.manifest.template")).unwrap();
    let rendered = template
        .replace(
            "{{ gramine.libos }}",
            "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so",
        )
        .replace(
            "{{ gramine.runtimedir() }}",
            "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc",
        )
        .replace("{{ log_level }}", "error");
    assert!(
        !rendered.contains("{{"),
        "a placeholder this test does not know: {}",
        rendered.lines().find(|l| l.contains("{{")).unwrap()
    );
    rendered.parse().expect("the manifest is TOML")
}

#[test]
fn the_gramine_manifest_runs_hushd_with_its_configuration_and_trusts_exactly_its_files() {
    let m = gramine_manifest();
    let libos = &m["libos"];
    let loader = &m["loader"];
    let sgx = &m["sgx"];
    assert_eq!(libos["entrypoint"].as_str(), Some("/usr/bin/hushd"));
    let argv: Vec<&str> = loader["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(argv, ["/usr/bin/hushd", "--config", "/etc/hush/hushd.toml"]);
    assert_eq!(
        sgx["debug"].as_bool(),
        Some(false),
        "a debug enclave is readable by the host"
    );
    assert_eq!(sgx["remote_attestation"].as_str(), Some("dcap"));

    // Every file the enclave sees from the host is a trusted (measured)
    // file, and every trusted file is one it sees (or Gramine's own).
    let mut mounted = std::collections::BTreeSet::new();
    for mount in m["fs"]["mounts"].as_array().unwrap() {
        if mount.get("type").and_then(|t| t.as_str()) == Some("tmpfs") {
            continue;
        }
        let uri = mount["uri"].as_str().unwrap().to_string();
        // A directory is trusted as "file:DIR/" (everything under it).
        let dir = format!("{uri}/");
        mounted.insert(if uri.ends_with("/runtime/glibc") {
            dir
        } else {
            uri
        });
    }
    let trusted: std::collections::BTreeSet<String> = sgx["trusted_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let libos_uri = loader["entrypoint"]["uri"].as_str().unwrap().to_string();
    let mut expected = mounted.clone();
    expected.insert(libos_uri);
    assert_eq!(trusted, expected, "trusted files and mounted files differ");
    assert!(
        !sgx.as_table().unwrap().contains_key("allowed_files"),
        "an allowed (unmeasured) file would let the host change what hushd reads"
    );
    for mount in m["fs"]["mounts"].as_array().unwrap() {
        assert!(
            mount["path"].as_str() != Some("/etc/hush/hushd.toml")
                || mount["uri"].as_str() == Some("file:hushd.toml"),
            "the configuration comes from the measured hushd.toml"
        );
    }

    // The configuration it measures is a valid one that asks for Gramine's
    // evidence.
    let config = repo().join("packaging/gramine/hushd.toml");
    check_config(&["--config".into(), config.display().to_string()]);
    let config: toml::Table = std::fs::read_to_string(&config).unwrap().parse().unwrap();
    assert_eq!(config["attestation"].as_str(), Some("gramine"));
}

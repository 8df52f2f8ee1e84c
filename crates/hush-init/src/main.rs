//! hush-init: the first and only program the hushd image's kernel starts.
//!
//! The image (scripts/build-image.sh) is an appliance: a kernel, and an
//! initrd holding this program, `hushd`, its configuration and a few kernel
//! modules. No shell, no login, no other service. This program:
//!
//! 1. mounts /proc, /sys, /dev and /run;
//! 2. loads the modules listed in `/etc/hush/modules`, in order (a module
//!    whose device is absent, such as `sev-guest` outside an SEV-SNP
//!    guest, is reported and skipped);
//! 3. mounts configfs, where the TSM report interface hushd's
//!    `attestation = "tsm"` uses lives (`/sys/kernel/config/tsm/report`);
//! 4. brings up the loopback and the network interface with the address
//!    on the kernel command line (`hush.ip=ADDR/PREFIX`, `hush.if=NAME`,
//!    default `eth0`): the command line is part of the measurement;
//! 5. copies attestation collateral from QEMU's fw_cfg
//!    (`opt/hush/collateral`), if the host gave some, to
//!    `/run/hush/collateral`: collateral is public and clients verify it,
//!    so it comes from the host rather than from the measured image;
//! 6. runs `hushd --config /etc/hush/hushd.toml`, reaps orphans while it
//!    runs, and powers the machine off when it exits.

mod cmdline;
mod mounts;
mod netdev;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use nix::sys::reboot::{RebootMode, reboot};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{Pid, sync};

/// The hushd binary in the image.
const HUSHD: &str = "/usr/bin/hushd";
/// hushd's configuration in the image.
const HUSHD_CONFIG: &str = "/etc/hush/hushd.toml";
/// Kernel modules to load, one path per line, in dependency order.
const MODULES_LIST: &str = "/etc/hush/modules";
/// Where fw_cfg shows the collateral the host passed with
/// `-fw_cfg name=opt/hush/collateral,file=PATH`.
const FW_CFG_COLLATERAL: &str = "/sys/firmware/qemu_fw_cfg/by_name/opt/hush/collateral/raw";
/// hushd's run-time directory (a tmpfs).
const RUN_DIR: &str = "/run/hush";
/// Where hushd reads that collateral.
const COLLATERAL: &str = "/run/hush/collateral";

fn main() {
    match run() {
        Ok(code) => println!("hush-init: hushd exited ({code}); powering off"),
        Err(e) => eprintln!("hush-init: {e:#}; powering off"),
    }
    sync();
    // Nothing to do if this fails: PID 1 returning makes the kernel panic,
    // and the image's command line turns a panic into a reboot or stop.
    let _ = reboot(RebootMode::RB_POWER_OFF);
}

fn run() -> Result<String> {
    mounts::early().context("mounting /proc, /sys, /dev and /run")?;
    let list =
        std::fs::read_to_string(MODULES_LIST).with_context(|| format!("reading {MODULES_LIST}"))?;
    for module in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Err(e) = mounts::load_module(Path::new(module)) {
            println!("hush-init: module {module} not loaded: {e}");
        }
    }
    mounts::configfs().context("mounting configfs")?;

    let cmdline = std::fs::read_to_string("/proc/cmdline").context("reading /proc/cmdline")?;
    let net = cmdline::Network::parse(&cmdline)?;
    netdev::up_loopback().context("bringing up lo")?;
    if let Some(net) = &net {
        netdev::up_with_address(&net.interface, net.address, net.prefix)
            .with_context(|| format!("configuring {}", net.interface))?;
        println!(
            "hush-init: {} is {}/{}",
            net.interface, net.address, net.prefix
        );
    } else {
        println!("hush-init: no hush.ip= on the command line; loopback only");
    }

    // hushd's state (verification codes in dev mode, collateral) lives in
    // /run/hush, in memory like everything else in the guest.
    std::fs::create_dir_all(RUN_DIR).with_context(|| format!("creating {RUN_DIR}"))?;
    let mut hushd = Command::new(HUSHD);
    hushd.arg("--config").arg(HUSHD_CONFIG);
    if Path::new(FW_CFG_COLLATERAL).exists() {
        std::fs::copy(FW_CFG_COLLATERAL, COLLATERAL)
            .with_context(|| format!("copying {FW_CFG_COLLATERAL}"))?;
        hushd.arg("--attestation-collateral").arg(COLLATERAL);
        println!("hush-init: attestation collateral from fw_cfg");
    }
    let child = hushd.spawn().with_context(|| format!("starting {HUSHD}"))?;
    let hushd_pid = Pid::from_raw(i32::try_from(child.id())?);
    // As PID 1, collect every exited process, not only hushd.
    loop {
        match waitpid(None, None).context("waiting for hushd")? {
            WaitStatus::Exited(pid, code) if pid == hushd_pid => {
                return Ok(format!("status {code}"));
            }
            WaitStatus::Signaled(pid, signal, _) if pid == hushd_pid => {
                return Ok(format!("signal {signal:?}"));
            }
            _ => {}
        }
    }
}

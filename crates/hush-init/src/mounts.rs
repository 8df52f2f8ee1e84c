//! The file systems and kernel modules the image needs before hushd runs.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use nix::kmod::{ModuleInitFlags, finit_module};
use nix::mount::{MsFlags, mount};

/// Mount /proc, /sys, /dev (devtmpfs) and /run (tmpfs).
pub fn early() -> Result<()> {
    let hardened = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    one("proc", "/proc", "proc", hardened)?;
    one("sysfs", "/sys", "sysfs", hardened)?;
    one("devtmpfs", "/dev", "devtmpfs", MsFlags::MS_NOSUID)?;
    one("tmpfs", "/run", "tmpfs", hardened)?;
    Ok(())
}

/// Mount configfs (after its module is loaded) at /sys/kernel/config.
pub fn configfs() -> Result<()> {
    one(
        "configfs",
        "/sys/kernel/config",
        "configfs",
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
    )
}

fn one(source: &str, target: &str, fstype: &str, flags: MsFlags) -> Result<()> {
    std::fs::create_dir_all(target).with_context(|| format!("creating {target}"))?;
    mount(Some(source), target, Some(fstype), flags, None::<&str>)
        .with_context(|| format!("mounting {fstype} on {target}"))
}

/// Load one kernel module from a file (uncompressed `.ko`).
pub fn load_module(path: &Path) -> Result<()> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    match finit_module(&file, c"", ModuleInitFlags::empty()) {
        Ok(()) | Err(nix::errno::Errno::EEXIST) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

//! Keeps the load generator off the CPU hushd reserves for its broker's
//! enclave thread.
//!
//! hushd's default (`enclave_cpu = "auto"`) runs the broker's enclave
//! thread alone on the highest-numbered CPU and every other hushd thread on
//! the rest. Clients in a real deployment run on other machines; here they
//! share this one, and the scheduler put the load generator's threads on
//! the enclave's CPU too: about 870 preemptions of the enclave thread per
//! second, and about 5% of its CPU, in a load run at 2^16 (BENCHMARKS.md,
//! "The session's crypto off the enclave thread"). So once it has started
//! its hushd, `hush-bench load` moves all of its own threads to the CPUs
//! hushd leaves to its async workers, unless told `--clients-anywhere`.

use anyhow::{Context, Result};
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

/// The CPUs hushd leaves to everything but the broker's enclave thread,
/// for an `enclave_cpu` setting (`HUSH_ENCLAVE_CPU`, default "auto") and
/// the CPUs allowed; none when hushd does not pin (fewer than two CPUs, or
/// "off").
pub(crate) fn others(setting: Option<&str>, allowed: &[usize]) -> Result<Option<Vec<usize>>> {
    if allowed.len() < 2 {
        return Ok(None);
    }
    let enclave = match setting.unwrap_or("auto").trim() {
        "off" => return Ok(None),
        "auto" => *allowed.iter().max().expect("two or more CPUs"),
        n => n
            .parse()
            .with_context(|| format!("HUSH_ENCLAVE_CPU={n:?} is not auto, off or a CPU number"))?,
    };
    Ok(Some(
        allowed.iter().copied().filter(|&c| c != enclave).collect(),
    ))
}

/// The CPUs this process's calling thread may use.
fn allowed() -> Result<Vec<usize>> {
    let set = sched_getaffinity(Pid::from_raw(0)).context("reading this thread's CPUs")?;
    Ok((0..CpuSet::count())
        .filter(|&c| set.is_set(c).unwrap_or(false))
        .collect())
}

/// Moves every thread of this process (and so every thread they start
/// later) off the enclave's CPU, as hushd started with this process's
/// environment would pin it. Returns the CPUs kept, if any.
pub(crate) fn confine_off_the_enclave_cpu() -> Result<Option<Vec<usize>>> {
    let setting = std::env::var("HUSH_ENCLAVE_CPU").ok();
    let Some(cpus) = others(setting.as_deref(), &allowed()?)? else {
        return Ok(None);
    };
    let mut set = CpuSet::new();
    for &c in &cpus {
        set.set(c).context("a CPU number beyond the kernel's set")?;
    }
    for task in std::fs::read_dir("/proc/self/task").context("listing this process's threads")? {
        let tid: i32 = task?
            .file_name()
            .to_string_lossy()
            .parse()
            .context("a thread id in /proc/self/task")?;
        // A thread may have ended since the listing: nothing to move.
        match sched_setaffinity(Pid::from_raw(tid), &set) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(e) => return Err(e).context("moving a load-generator thread"),
        }
    }
    Ok(Some(cpus))
}

#[cfg(test)]
mod tests {
    use super::others;

    #[test]
    fn auto_leaves_every_cpu_but_the_highest() {
        assert_eq!(others(None, &[0, 1]).unwrap(), Some(vec![0]));
        assert_eq!(others(Some("auto"), &[0, 2, 3]).unwrap(), Some(vec![0, 2]));
    }

    #[test]
    fn off_one_cpu_and_a_named_cpu() {
        assert_eq!(others(Some("off"), &[0, 1]).unwrap(), None);
        assert_eq!(others(None, &[3]).unwrap(), None);
        assert_eq!(others(Some("0"), &[0, 1, 2]).unwrap(), Some(vec![1, 2]));
        assert!(others(Some("many"), &[0, 1]).is_err());
    }
}

//! Where hushd's threads run: the broker's enclave thread gets a CPU of its
//! own, and every other thread (the async workers, the other services'
//! enclave threads, the cluster) shares the rest.
//!
//! Why: the broker's enclave thread is what limits a loaded hushd. When an
//! async worker is woken on its CPU (Linux places a woken thread near its
//! waker), it preempts the ORAM mid-access and evicts its caches. Measured
//! at 2^16 with 16 clients on this 2-CPU machine (BENCHMARKS.md, "The
//! enclave thread's own CPU"), keeping the workers off the enclave's CPU
//! raised end-to-end throughput by about 10%; pinning the enclave thread
//! alone, with the workers free to land on its CPU, gained nothing.
//!
//! The choice depends only on the machine and the configuration, never on
//! a request, so it tells the host nothing it does not already know.

use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;
use std::fmt;

/// A CPU number, as the kernel counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cpu(pub usize);

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The `enclave_cpu` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnclaveCpu {
    /// The highest-numbered CPU hushd may use, when it may use two or more.
    Auto,
    /// No pinning: the kernel places every thread.
    Off,
    /// This CPU.
    Cpu(Cpu),
}

/// Why a CPU plan cannot be made or applied.
#[derive(Debug, thiserror::Error)]
pub enum AffinityError {
    /// The setting is not one of the accepted forms.
    #[error("enclave_cpu must be \"auto\", \"off\" or a CPU number, got {0:?}")]
    Setting(String),
    /// The requested CPU is not one hushd may run on.
    #[error(
        "enclave_cpu {cpu} is not among the CPUs hushd may use ({allowed}): pick one of them, or \"auto\""
    )]
    NotAllowed {
        /// The requested CPU.
        cpu: Cpu,
        /// The CPUs hushd may use, as a list.
        allowed: String,
    },
    /// A CPU of its own needs at least one more for everything else.
    #[error(
        "enclave_cpu {0} leaves no CPU for the other threads: hushd may use only that one (use \"off\")"
    )]
    OnlyOne(Cpu),
    /// The kernel refused to read or set an affinity.
    #[error("cannot {action} a thread's CPU affinity: {source}")]
    Kernel {
        /// "read" or "set".
        action: &'static str,
        /// The kernel's error.
        source: nix::Error,
    },
}

impl std::str::FromStr for EnclaveCpu {
    type Err = AffinityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "off" => Ok(Self::Off),
            n => n
                .parse()
                .map(|n| Self::Cpu(Cpu(n)))
                .map_err(|_| AffinityError::Setting(s.to_owned())),
        }
    }
}

/// Which CPU the broker's enclave thread has, and which the others share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuPlan {
    /// The broker's enclave thread's CPU; none: no pinning at all.
    pub enclave: Option<Cpu>,
    /// Every other thread's CPUs (all allowed CPUs when not pinning).
    pub others: Vec<Cpu>,
}

impl CpuPlan {
    /// The plan for `setting` given the CPUs the process may use.
    pub fn choose(setting: EnclaveCpu, allowed: &[Cpu]) -> Result<Self, AffinityError> {
        let unpinned = Self {
            enclave: None,
            others: allowed.to_vec(),
        };
        let cpu = match setting {
            EnclaveCpu::Off => return Ok(unpinned),
            EnclaveCpu::Auto => match allowed.iter().max() {
                Some(&cpu) if allowed.len() >= 2 => cpu,
                _ => return Ok(unpinned),
            },
            EnclaveCpu::Cpu(cpu) if !allowed.contains(&cpu) => {
                return Err(AffinityError::NotAllowed {
                    cpu,
                    allowed: list(allowed),
                });
            }
            EnclaveCpu::Cpu(cpu) if allowed.len() < 2 => return Err(AffinityError::OnlyOne(cpu)),
            EnclaveCpu::Cpu(cpu) => cpu,
        };
        Ok(Self {
            enclave: Some(cpu),
            others: allowed.iter().copied().filter(|&c| c != cpu).collect(),
        })
    }

    /// The plan for this process, from the CPUs its calling thread may use.
    pub fn for_this_process(setting: EnclaveCpu) -> Result<Self, AffinityError> {
        Self::choose(setting, &current_thread_cpus()?)
    }

    /// Confines the calling thread to `others`, so that every thread it
    /// starts afterwards (the async runtime's workers among them) inherits
    /// that. Does nothing when not pinning.
    pub fn confine_current_thread(&self) -> Result<(), AffinityError> {
        if self.enclave.is_none() {
            return Ok(());
        }
        set_current_thread(&self.others)
    }
}

/// Pins the calling thread to `cpu`.
pub fn pin_current_thread(cpu: Cpu) -> Result<(), AffinityError> {
    set_current_thread(&[cpu])
}

/// The CPUs the calling thread may run on, in ascending order.
pub fn current_thread_cpus() -> Result<Vec<Cpu>, AffinityError> {
    let set = sched_getaffinity(Pid::from_raw(0)).map_err(|source| AffinityError::Kernel {
        action: "read",
        source,
    })?;
    Ok((0..CpuSet::count())
        .filter(|&n| set.is_set(n).unwrap_or(false))
        .map(Cpu)
        .collect())
}

fn set_current_thread(cpus: &[Cpu]) -> Result<(), AffinityError> {
    let kernel = |source| AffinityError::Kernel {
        action: "set",
        source,
    };
    let mut set = CpuSet::new();
    for cpu in cpus {
        set.set(cpu.0).map_err(kernel)?;
    }
    // Pid 0: the calling thread, not the whole process.
    sched_setaffinity(Pid::from_raw(0), &set).map_err(kernel)
}

/// "0, 1, 2" for messages and logs.
pub fn list(cpus: &[Cpu]) -> String {
    cpus.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpus(ns: &[usize]) -> Vec<Cpu> {
        ns.iter().copied().map(Cpu).collect()
    }

    #[test]
    fn settings_parse_and_bad_ones_say_what_is_accepted() {
        assert_eq!("auto".parse::<EnclaveCpu>().unwrap(), EnclaveCpu::Auto);
        assert_eq!("off".parse::<EnclaveCpu>().unwrap(), EnclaveCpu::Off);
        assert_eq!("3".parse::<EnclaveCpu>().unwrap(), EnclaveCpu::Cpu(Cpu(3)));
        let e = "last".parse::<EnclaveCpu>().unwrap_err().to_string();
        assert!(e.contains("\"auto\", \"off\" or a CPU number"), "{e}");
        assert!("-1".parse::<EnclaveCpu>().is_err());
    }

    #[test]
    fn auto_reserves_the_highest_cpu_when_there_are_two_or_more() {
        let plan = CpuPlan::choose(EnclaveCpu::Auto, &cpus(&[0, 2, 5])).unwrap();
        assert_eq!(plan.enclave, Some(Cpu(5)));
        assert_eq!(plan.others, cpus(&[0, 2]));
        let one = CpuPlan::choose(EnclaveCpu::Auto, &cpus(&[3])).unwrap();
        assert_eq!(one.enclave, None);
        assert_eq!(one.others, cpus(&[3]));
    }

    #[test]
    fn off_pins_nothing_and_a_number_must_be_usable() {
        let off = CpuPlan::choose(EnclaveCpu::Off, &cpus(&[0, 1])).unwrap();
        assert_eq!((off.enclave, off.others), (None, cpus(&[0, 1])));
        let zero = CpuPlan::choose(EnclaveCpu::Cpu(Cpu(0)), &cpus(&[0, 1, 2])).unwrap();
        assert_eq!((zero.enclave, zero.others), (Some(Cpu(0)), cpus(&[1, 2])));
        let e = CpuPlan::choose(EnclaveCpu::Cpu(Cpu(7)), &cpus(&[0, 1]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("enclave_cpu 7 is not among the CPUs hushd may use (0, 1)"),
            "{e}"
        );
        let e = CpuPlan::choose(EnclaveCpu::Cpu(Cpu(1)), &cpus(&[1]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("leaves no CPU for the other threads"), "{e}");
    }

    #[test]
    fn this_thread_can_be_confined_and_pinned() {
        // On a thread of its own, so the test harness's threads keep theirs.
        std::thread::spawn(|| {
            let before = current_thread_cpus().unwrap();
            assert!(!before.is_empty());
            let plan = CpuPlan::choose(EnclaveCpu::Auto, &before).unwrap();
            plan.confine_current_thread().unwrap();
            assert_eq!(current_thread_cpus().unwrap(), plan.others);
            // A thread started now inherits the confinement.
            let child = std::thread::spawn(current_thread_cpus).join().unwrap();
            assert_eq!(child.unwrap(), plan.others);
            if let Some(cpu) = plan.enclave {
                pin_current_thread(cpu).unwrap();
                assert_eq!(current_thread_cpus().unwrap(), vec![cpu]);
            }
        })
        .join()
        .unwrap();
    }
}

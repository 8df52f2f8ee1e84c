//! The stores under test, behind one interface: request record in,
//! response record out.

use hush_bench::plain::PlainFactory;
use hush_enclave::oram::{CircuitFactory, RostlFactory};
use hush_enclave::reference::ReferenceStore;
use hush_enclave::{Store, StoreConfig};
use hush_wire::{RequestRecord, ResponseRecord};

/// A store the benchmark can drive.
pub trait BenchStore {
    /// Short name for tables.
    fn name(&self) -> &'static str;
    /// One request.
    fn execute(&mut self, record: &RequestRecord, now: u64) -> ResponseRecord;
    /// One clock tick (expiry sweep), where the store has one.
    fn tick(&mut self, now: u64);
}

/// Which store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// hush's oblivious store on its own ORAM (the default).
    Hush,
    /// The same store on rostl's Circuit ORAM (the store before issue 15).
    HushRostl,
    /// A plain HashMap store: the same semantics with no obliviousness.
    Hashmap,
    /// hush's store on plain arrays: its own cost with no ORAM under it
    /// (a measurement of where time goes; not oblivious).
    HushPlain,
    /// A store like the seed broker's, on mc-oblivious (feature `mc-oblivious`).
    Mc,
}

impl Backend {
    /// Builds the store for `config`.
    pub fn build(self, config: StoreConfig) -> anyhow::Result<Box<dyn BenchStore>> {
        Ok(match self {
            Backend::Hush => Box::new(HushStore(Store::new(config, &CircuitFactory), "hush")),
            Backend::HushRostl => {
                Box::new(HushStore(Store::new(config, &RostlFactory), "hush-rostl"))
            }
            Backend::Hashmap => Box::new(HashmapStore(ReferenceStore::new(config))),
            Backend::HushPlain => {
                Box::new(HushStore(Store::new(config, &PlainFactory), "hush-plain"))
            }
            #[cfg(feature = "mc-oblivious")]
            Backend::Mc => Box::new(crate::mc_baseline::McStore::new(config)),
            #[cfg(not(feature = "mc-oblivious"))]
            Backend::Mc => anyhow::bail!(
                "the mc-oblivious baseline is not built in: rebuild with `--features mc-oblivious`"
            ),
        })
    }
}

struct HushStore(Store, &'static str);

impl BenchStore for HushStore {
    fn name(&self) -> &'static str {
        self.1
    }
    fn execute(&mut self, record: &RequestRecord, now: u64) -> ResponseRecord {
        self.0.execute(record, now)
    }
    fn tick(&mut self, now: u64) {
        self.0.tick(now)
    }
}

struct HashmapStore(ReferenceStore);

impl BenchStore for HashmapStore {
    fn name(&self) -> &'static str {
        "hashmap"
    }
    fn execute(&mut self, record: &RequestRecord, now: u64) -> ResponseRecord {
        self.0.execute(record, now)
    }
    fn tick(&mut self, now: u64) {
        self.0.tick(now)
    }
}

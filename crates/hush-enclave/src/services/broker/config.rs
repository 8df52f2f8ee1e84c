//! Store limits, fixed at start.

use thiserror::Error;

/// Largest supported capacity (slot indices are u32).
pub const MAX_CAPACITY: u32 = 1 << 30;
/// Longest sweep period: expired slots and empty mailboxes are reclaimed
/// within the TTL plus at most this long.
pub const MAX_SWEEP_PERIOD_SECS: u64 = 3600;
/// Default ratio of store capacity to the recipient limit.
pub const DEFAULT_MESSAGES_PER_RECIPIENT: u32 = 8;

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// Capacity is not a power of two in range.
    #[error("capacity must be a power of two between 2 and {MAX_CAPACITY}, got {0}")]
    Capacity(u64),
    /// Recipient limit out of range.
    #[error("max recipients must be between 1 and the capacity ({capacity}), got {got}")]
    MaxRecipients {
        /// The value given.
        got: u32,
        /// The store capacity.
        capacity: u32,
    },
    /// TTL of zero.
    #[error("the time to live must be at least one second")]
    Ttl,
    /// Sweep rate of zero.
    #[error("sweep steps per tick must be at least one")]
    Sweep,
}

/// Limits of a store. Build with [`StoreConfig::new`], which derives the
/// recipient limit and the sweep rates, then adjust with the `with_*` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    /// Messages the store can hold (power of two).
    pub capacity: u32,
    /// Recipients with messages in flight the store can track.
    pub max_recipients: u32,
    /// Seconds a message lives after its last create or update.
    pub ttl_secs: u64,
    /// Message slots the expiry sweep visits per tick.
    pub sweep_slots_per_tick: u32,
    /// Mailboxes the expiry sweep visits per tick.
    pub sweep_mailboxes_per_tick: u32,
}

impl StoreConfig {
    /// A configuration with `capacity` slots and `ttl_secs`; the recipient
    /// limit is capacity / 8 and the sweeps cover the whole store once per
    /// min(TTL, 1 hour) at one tick per second.
    pub fn new(capacity: u32, ttl_secs: u64) -> Result<Self, ConfigError> {
        if !(2..=MAX_CAPACITY).contains(&capacity) || !capacity.is_power_of_two() {
            return Err(ConfigError::Capacity(capacity as u64));
        }
        if ttl_secs == 0 {
            return Err(ConfigError::Ttl);
        }
        let max_recipients = (capacity / DEFAULT_MESSAGES_PER_RECIPIENT).max(1);
        let mut c = Self {
            capacity,
            max_recipients,
            ttl_secs,
            sweep_slots_per_tick: 1,
            sweep_mailboxes_per_tick: 1,
        };
        c.derive_sweep();
        Ok(c)
    }

    fn derive_sweep(&mut self) {
        let period = self.ttl_secs.clamp(1, MAX_SWEEP_PERIOD_SECS);
        self.sweep_slots_per_tick = (self.capacity as u64).div_ceil(period) as u32;
        self.sweep_mailboxes_per_tick = (self.max_recipients as u64).div_ceil(period) as u32;
    }

    /// Sets the recipient limit (and re-derives the mailbox sweep rate).
    pub fn with_max_recipients(mut self, max_recipients: u32) -> Result<Self, ConfigError> {
        if max_recipients == 0 || max_recipients > self.capacity {
            return Err(ConfigError::MaxRecipients {
                got: max_recipients,
                capacity: self.capacity,
            });
        }
        self.max_recipients = max_recipients;
        self.derive_sweep();
        Ok(self)
    }

    /// Sets the sweep rates explicitly.
    pub fn with_sweep(mut self, slots: u32, mailboxes: u32) -> Result<Self, ConfigError> {
        if slots == 0 || mailboxes == 0 {
            return Err(ConfigError::Sweep);
        }
        self.sweep_slots_per_tick = slots.min(self.capacity);
        self.sweep_mailboxes_per_tick = mailboxes.min(self.max_recipients);
        Ok(self)
    }

    /// Sweep everything at every tick (for tests against the reference model).
    pub fn with_full_sweep(self) -> Self {
        let (s, m) = (self.capacity, self.max_recipients);
        self.with_sweep(s, m).expect("non-zero")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_derives() {
        assert_eq!(StoreConfig::new(3, 10), Err(ConfigError::Capacity(3)));
        assert_eq!(StoreConfig::new(0, 10), Err(ConfigError::Capacity(0)));
        assert_eq!(
            StoreConfig::new(1 << 31, 10),
            Err(ConfigError::Capacity(1 << 31))
        );
        assert_eq!(StoreConfig::new(64, 0), Err(ConfigError::Ttl));
        let c = StoreConfig::new(1 << 20, 86_400).unwrap();
        assert_eq!(c.max_recipients, 1 << 17);
        assert_eq!(c.sweep_slots_per_tick, 292); // 2^20 slots per hour
        let c = StoreConfig::new(64, 10).unwrap();
        assert_eq!(
            (
                c.max_recipients,
                c.sweep_slots_per_tick,
                c.sweep_mailboxes_per_tick
            ),
            (8, 7, 1)
        );
        assert!(c.with_max_recipients(0).is_err());
        assert!(c.with_max_recipients(65).is_err());
        assert!(c.with_sweep(0, 1).is_err());
    }
}

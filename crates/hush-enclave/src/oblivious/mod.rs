//! The oblivious building blocks every trusted service shares.
//!
//! - [`ct`]: constant-time selection and comparison, the only way trusted
//!   code chooses between values;
//! - [`map`]: an oblivious hash map from a 32-byte key to a u32, one bucket
//!   access and one stash scan per operation;
//! - [`free_list`]: an oblivious stack of free indices, one access per step;
//! - [`keyed_hash`]: hashes keyed with a secret made inside the enclave.
//!
//! Each service (`crate::services`) builds its own structures from these,
//! in its own oblivious arrays, so rule 1 of DESIGN.md holds per service.

mod blocks;
pub(crate) mod ct;
pub(crate) mod free_list;
pub(crate) mod keyed_hash;
pub(crate) mod map;

pub use keyed_hash::HASH_KEY_LEN;

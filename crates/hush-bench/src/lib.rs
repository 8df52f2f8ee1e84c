//! What hush-bench's measurement binaries (`hush-timing`, `hush-trace`)
//! share: fixed keys, ids and request records for set-ups that must be the
//! same in every run.

pub mod fixtures;
pub mod plain;

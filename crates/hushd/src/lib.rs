//! hushd: the untrusted host of the hush oblivious message broker.
//!
//! A request travels: `server.rs` (listeners, services) -> `broker.rs` (the
//! gRPC service, sealed bytes only) -> `enclave_thread.rs` (the one thread
//! that calls into the enclave) -> the enclave (`hush_enclave`: session
//! table, Noise, the oblivious store). `clock.rs` feeds the enclave the
//! time, `telemetry.rs` serves logs and metrics, `shutdown.rs` stops it all.

pub mod broker;
pub mod clock;
pub mod config;
pub mod enclave_thread;
pub mod server;
pub mod shutdown;
pub mod telemetry;

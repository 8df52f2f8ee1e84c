//! hushd: the untrusted host of the hush oblivious message broker.
//!
//! A request travels: `server.rs` (listeners, services) -> `broker.rs`,
//! `directory.rs` or `rendezvous.rs` (the gRPC services, sealed bytes only; `rpc.rs` what they
//! share; `tcp.rs` the broker's query stream over plain TCP) -> `enclave_thread.rs` (one thread per trusted service, calling
//! into the enclave) -> the enclave (`hush_enclave`: session table, Noise,
//! the services). `clock.rs` feeds the enclave the time and hands the
//! directory's verification codes to `verification.rs` (or, for smtps://
//! and https:// providers, carries the enclave's own TLS: `delivery.rs`),
//! `telemetry.rs`
//! serves logs and metrics, `shutdown.rs` stops it all. `blobs.rs` keeps
//! the clients' encrypted attachments, outside the enclave. `affinity.rs`
//! gives the broker's enclave thread a CPU of its own.

pub mod affinity;
pub mod attestation;
pub mod blobs;
pub mod broker;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod directory;
pub mod enclave_thread;
pub mod handshake_limit;
pub mod http;
pub mod rate_limit;
pub mod rendezvous;
pub mod rpc;
pub mod server;
pub mod shutdown;
pub mod tcp;
pub mod telemetry;
pub mod tokens;
pub mod verification;

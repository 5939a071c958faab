//! The integration tests, in one binary: one module per subject, each gated
//! on the crate features it needs (the package forwards them), so that
//! `cargo test --no-default-features` builds and runs the rest. The HTTP/2
//! tests need the package's own `http2` feature, which plain `cargo test`
//! leaves out (tests/Cargo.toml says why) and `--all-features` turns on.
//! One binary
//! links once: `cargo test` builds three (this one, `once` for what the
//! crate logs once per process, and the generated `twiml_vocabulary`).
//!
//! What would be process-wide state is per thread here: the allocator
//! counts, follows and scans per thread (`common::alloc`), and the logs are
//! captured per thread under one subscriber (`common::logs`).

#[path = "../common/mod.rs"]
mod common;

#[global_allocator]
static ALLOCATOR: common::alloc::Watching = common::alloc::Watching;

mod allocations;

#[cfg(all(feature = "axum", feature = "http-auth"))]
mod auth;
#[cfg(all(feature = "axum", feature = "jwt"))]
mod bearer;
#[cfg(all(feature = "axum", feature = "jwt"))]
mod bearer_secrets;
mod bearer_verifier;
#[cfg(feature = "axum")]
mod compose;
#[cfg(feature = "axum")]
mod diagnosis;
#[cfg(feature = "axum")]
mod documented;
#[cfg(all(feature = "axum", feature = "http-auth"))]
mod examples;
#[cfg(all(feature = "axum", feature = "http-auth"))]
mod hostile;
mod hyper;
mod internals;
#[cfg(feature = "axum")]
mod layer;
#[cfg(all(feature = "axum", feature = "http-auth"))]
mod multi_tenant;
#[cfg(feature = "axum")]
mod payloads;
#[cfg(feature = "axum")]
mod properties;
mod rejection_log;
#[cfg(feature = "axum")]
mod replay;
mod replay_log;
#[cfg(all(feature = "axum", feature = "http-auth"))]
mod secrets;
#[cfg(feature = "axum")]
mod signer;
mod soundness;
mod tcp;
#[cfg(feature = "axum")]
mod tenants;
mod tower_stack;
mod twiml_properties;

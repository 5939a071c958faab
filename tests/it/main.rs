//! The integration tests, in one binary: one module per subject, each gated
//! on the crate features it needs (the package forwards them), so that
//! `cargo test --no-default-features` builds and runs the rest. The tests
//! that hold process-wide state are binaries of their own: a global allocator
//! (`allocations`, `hostile`, `secrets`), a diagnosis logged once per process
//! (`diagnosis`), a payload's 422 logged once a second per process
//! (`payload_log`), a log captured while tokens go through (`bearer_secrets`).

#[path = "../common/mod.rs"]
mod common;

#[cfg(all(feature = "axum", feature = "http-auth"))]
mod auth;
#[cfg(all(feature = "axum", feature = "jwt"))]
mod bearer;
mod bearer_verifier;
#[cfg(feature = "axum")]
mod compose;
#[cfg(feature = "axum")]
mod documented;
#[cfg(all(feature = "axum", feature = "http-auth"))]
mod examples;
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
#[cfg(feature = "axum")]
mod signer;
mod soundness;
mod tcp;
#[cfg(feature = "axum")]
mod tenants;
mod tower_stack;
mod twiml_properties;

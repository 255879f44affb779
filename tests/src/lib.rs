//! # hall-e2e
//!
//! Helpers for the end-to-end hall scenarios in `tests/tests/`: the tests that run the real `central`
//! and `kiosk` binaries as separate processes on loopback and try to break DESIGN.md's invariants
//! with crashes and partitions. This crate sits beside the workspace, not in it: nothing ships with
//! it, and no other crate depends on it.
//!
//! - [`FaultProxy`] sits between devices and central and breaks connections on demand: black holes,
//!   resets, latency, cuts in the middle of a body, or a seeded mix of them ([`Mode`]).
//! - [`bin_path`], [`ChildGuard`] and [`wait_for_http`] find, run, reap and wait for the binaries.
#![warn(missing_docs)]

pub mod central_fixture;
pub mod fault;
pub mod http_wait;
pub mod process;
pub mod proxy;

pub use fault::{Fault, FaultDice, FaultMix, Mode};
pub use http_wait::{WaitForHttpError, wait_for_http};
pub use process::{ChildGuard, bin_path};
pub use proxy::{FaultProxy, ProxyStats};

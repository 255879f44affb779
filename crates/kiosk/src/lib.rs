//! # kiosk
//!
//! The hallkit device runtime: one binary, `kiosk`, whose config names a role — `kiosk`
//! (self-service terminal), `board` (hall display and voice) or `counter` (window terminal). See
//! docs/architecture.md.
//!
//! This crate holds the wiring and the flows, not protocol parsing or SQL:
//! - [`config`]: the device's TOML file;
//! - [`desk`]: issuing tickets, the path the touchscreen and `kiosk ticket` share;
//! - [`printing`]: printing committed tickets, and reprinting after a crash;
//! - [`counter`]: counter actions;
//! - [`agent`] and [`client`]: the sync agent and its HTTP client; [`backoff`]: its retry policy;
//! - [`demo`]: a whole simulated hall in one process;
//! - [`peripherals`]: `kiosk sim ...` and `kiosk doctor ...` for technicians;
//! - [`face`]: `kiosk face verify` and `kiosk face calibrate`;
//! - [`clock`]: injected time.
#![warn(missing_docs)]

pub mod agent;
pub mod announce;
pub mod backoff;
pub mod client;
pub mod clock;
pub mod config;
pub mod counter;
pub mod demo;
pub mod desk;
pub mod face;
pub mod peripherals;
pub mod printing;
pub mod window_devices;

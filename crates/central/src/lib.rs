//! # central
//!
//! The hallkit central service (see docs/architecture.md and docs/central.md): it owns the queues
//! of one or more halls, accepts device event batches, leases ticket numbers to kiosks, and tells
//! devices what changed through a cursor-based change feed and a live push stream.
//!
//! - [`Central`] is the service itself, usable in-process (the `kiosk demo` embeds one) or over
//!   HTTP through [`router`] / [`serve`].
//! - [`engine`] is the sans-IO queue engine, one per hall and business day; central logs every
//!   engine input in the same transaction as its results and replays the log on start-up, from
//!   each hall's last closed day ([`engine_log`], [`business_day`]).
//! - [`store`] is storage behind a trait, with SQLite as the default backend.
//!
//! Devices identify themselves with the `x-hallkit-device` header. Until provisioning adds signed
//! requests this is identification, not authentication.
#![warn(missing_docs)]

mod appointment;
mod business_day;
mod catalogue;
mod central;
pub mod citizen;
mod config;
pub mod engine;
pub mod engine_log;
mod error;
pub mod export;
mod feed;
mod http;
mod ingest;
mod lease;
pub mod openapi;
pub mod records;
mod report;
pub mod store;

pub use business_day::business_day;
pub use catalogue::parse_catalogue_toml;
pub use central::{Central, Replayed};
pub use config::{CentralConfig, Clock, DEFAULT_ROLLOVER, DEFAULT_UTC_OFFSET, SystemClock};
pub use error::CentralError;
pub use feed::{DEFAULT_FEED_LIMIT, MAX_FEED_LIMIT};
pub use http::{ApiFailure, Route, route_table, router, serve};
pub use report::day_stats;

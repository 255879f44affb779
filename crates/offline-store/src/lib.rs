//! # offline-store
//!
//! The device's local SQLite store (see docs/architecture.md). Being filled by the foundation issue.
#![warn(missing_docs)]

//! # kiosk
//!
//! The hallkit device runtime (see docs/architecture.md). Being filled by the foundation issue.
#![warn(missing_docs)]

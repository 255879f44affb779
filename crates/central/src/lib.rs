//! # central
//!
//! The hallkit central service (see docs/architecture.md). Being filled by the foundation issue.
#![warn(missing_docs)]

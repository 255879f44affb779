//! # hall-e2e
//!
//! Helpers for the end-to-end hall scenarios in `tests/tests/`. Being filled by the foundation issue.
#![warn(missing_docs)]

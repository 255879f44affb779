//! # hall-protocol
//!
//! The messages that hallkit devices (`kiosk`, board and counter roles) and the `central` service
//! exchange, and the small value types both sides need to agree on: identifiers, the hybrid logical
//! clock that orders tickets, printed ticket numbers, device events, number leases, the change feed
//! and statistics.
//!
//! This crate does no I/O. It sits between `kiosk` and `central` in docs/architecture.md: both depend
//! on it, and neither depends on the other's internals. Everything here serialises with serde to the
//! JSON that travels over HTTP; changing a serialised shape is a protocol change and needs a version
//! bump of [`api::PROTOCOL_VERSION`].
//!
//! Feature `openapi` derives `utoipa` schemas for every wire type, so central's `/openapi.json`
//! describes the very types that travel (devices build without it).
#![warn(missing_docs)]

pub mod api;
pub mod catalogue;
pub mod clock;
pub mod event;
pub mod feed;
pub mod hlc;
pub mod ids;
pub mod number;
pub mod stats;

pub use catalogue::{Application, ApplicationStatus, Appointment, Catalogue, Device, DeviceRole, EvaluationLevel, Hall, Priority, Service, Window};
pub use clock::{Clock, SystemClock};
pub use event::{CounterAction, DeviceEvent, EventBody, EventOutcome, TicketIssued};
pub use feed::{Change, ChangeBody, FeedPage};
pub use hlc::{Hlc, HlcClock, IssueKey};
pub use ids::{BusinessDay, DeviceId, HallId, IdError, ServiceCode, TicketId, WindowNo};
pub use number::TicketNumber;

//! # offline-store
//!
//! The device's local SQLite store: the one place where a kiosk, counter or board keeps what must
//! survive a power cut. In docs/architecture.md it sits under the `kiosk` crate: the citizen session
//! and the counter write business rows here, the sync agent reads the outbox and the feed cursor
//! here, and nothing in this crate knows about devices, screens or HTTP.
//!
//! What it guarantees (docs/offline-store.md has the details):
//! - **One transaction per business write.** A ticket, check-in, evaluation or counter action is
//!   stored together with its outbox event `(device_id, device_seq, hlc, at, kind, payload)`.
//!   `device_seq` starts at 1 and has no gaps; the HLC is persisted and never goes backwards.
//! - **Numbers are never reused.** A ticket's number comes from a lease central granted this kiosk
//!   (or the per-device fallback form `A-3-017`), and the lease's next number advances in the same
//!   transaction that stores the ticket. The file is in WAL mode with `synchronous=FULL`, so a ticket
//!   returned by [`Store::issue_ticket`] is on disk before it is printed.
//! - **Print after commit.** [`Store::unprinted_tickets`] lists committed tickets never marked
//!   printed, to be reprinted with the same number after a crash.
//! - **Exactly once in effect.** Events stay in the outbox until central acknowledges a high-water
//!   mark ([`Store::acknowledge`]); acknowledged rows are kept, marked, with central's outcome.
//! - **A store belongs to one device**, and a file from a newer schema is refused, not guessed at.
//!
//! [`Store`] is synchronous and `Send`: call it from blocking code (or `spawn_blocking`), one
//! writer at a time; several processes may share a file (writes take the SQLite write lock first).
#![warn(missing_docs)]

mod business_day;
mod codec;
mod counter;
mod error;
mod evaluation;
mod feed_cache;
mod lease;
mod outbox;
mod schema;
mod store;
mod ticket;

#[cfg(test)]
mod upgrade_tests;

pub use business_day::{business_day, business_day_start};
pub use error::StoreError;
pub use evaluation::MAX_COMMENT_CHARS;
pub use feed_cache::{CALLS_KEPT, FeedApplied, WindowState};
pub use lease::LeaseStatus;
pub use outbox::{AckApplied, OutboxEntry};
pub use schema::SCHEMA_VERSION;
pub use store::Store;
pub use ticket::{IssueRequest, IssuedTicket, TicketRecord};

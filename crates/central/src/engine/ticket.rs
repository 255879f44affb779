//! Tickets as the engine sees them: what a kiosk issued, and where the ticket is now.

use chrono::{DateTime, Utc};
use hall_protocol::{IssueKey, Priority, ServiceCode, TicketId, TicketNumber, WindowNo};
use serde::Serialize;

use super::queue::{Class, Place};

/// A ticket entering the engine, as issued by a kiosk (see [`hall_protocol::TicketIssued`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// Identity: issuing device and event sequence number.
    pub id: TicketId,
    /// Printed number; presentation only, never used for ordering.
    pub number: TicketNumber,
    /// The service queued for.
    pub service: ServiceCode,
    /// Priority class.
    pub priority: Priority,
    /// Issue order key (HLC + device): the ticket's place in its queue.
    pub key: IssueKey,
    /// Wall time of issue, for waiting-time statistics.
    pub issued_at: DateTime<Utc>,
}

impl NewTicket {
    /// The engine's input for a ticket a kiosk reported in its `ticket_issued` event.
    pub fn from_issued(issued: &hall_protocol::TicketIssued) -> Self {
        Self {
            id: issued.ticket_id.clone(),
            number: issued.number,
            service: issued.service.clone(),
            priority: issued.priority,
            key: IssueKey { hlc: issued.issued_hlc, device: issued.ticket_id.device.clone() },
            issued_at: issued.issued_at,
        }
    }
}

/// Where a ticket is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TicketStatus {
    /// In its service's queue.
    Waiting,
    /// Called to a window and current there (being served, or not yet arrived).
    Called {
        /// The window.
        window: WindowNo,
    },
    /// Served; never called again.
    Finished,
    /// Skipped too often and dropped as a no-show; never called again.
    NoShow,
}

/// A read-only view of one ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketView {
    /// Identity.
    pub id: TicketId,
    /// Printed number.
    pub number: TicketNumber,
    /// The service it is queued for now (changes on transfer).
    pub service: ServiceCode,
    /// Priority class.
    pub priority: Priority,
    /// Original issue key; a transfer keeps it.
    pub key: IssueKey,
    /// Wall time of issue.
    pub issued_at: DateTime<Utc>,
    /// Where it is now.
    pub status: TicketStatus,
    /// How many times it has been skipped (过号).
    pub skips: u32,
}

/// The engine's record of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TicketRecord {
    pub(crate) number: TicketNumber,
    pub(crate) service: ServiceCode,
    pub(crate) priority: Priority,
    pub(crate) key: IssueKey,
    pub(crate) issued_at: DateTime<Utc>,
    pub(crate) status: TicketStatus,
    pub(crate) skips: u32,
    /// Its place in its service's queue; meaningful while `status` is `Waiting`.
    pub(crate) place: Place,
}

impl TicketRecord {
    pub(crate) fn new(t: NewTicket) -> Self {
        let place = Place::at_issue(&t.key);
        Self { number: t.number, service: t.service, priority: t.priority, key: t.key, issued_at: t.issued_at, status: TicketStatus::Waiting, skips: 0, place }
    }

    pub(crate) fn class(&self) -> Class {
        Class::of(self.priority)
    }

    pub(crate) fn view(&self, id: &TicketId) -> TicketView {
        TicketView {
            id: id.clone(),
            number: self.number,
            service: self.service.clone(),
            priority: self.priority,
            key: self.key.clone(),
            issued_at: self.issued_at,
            status: self.status,
            skips: self.skips,
        }
    }
}

//! Device events: the outbox rows a device writes in the same transaction as its business rows, and
//! pushes to central in batches. Central applies each `(device_id, device_seq)` exactly once, in
//! sequence order per device, and remembers each event's [`EventOutcome`], so a replayed event gets
//! the same answer as the first time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalogue::{EvaluationLevel, Priority};
use crate::hlc::Hlc;
use crate::ids::{BusinessDay, DeviceId, HallId, ServiceCode, TicketId, WindowNo};
use crate::number::TicketNumber;

/// One outbox event.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEvent {
    /// The device that wrote it.
    pub device_id: DeviceId,
    /// Gap-free per-device sequence number, starting at 1.
    pub device_seq: u64,
    /// HLC timestamp when it was written.
    pub hlc: Hlc,
    /// Device wall time when it was written.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

/// What a device event says happened. Serialised as `{"kind": "...", "payload": {...}}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventBody {
    /// A kiosk issued a ticket.
    TicketIssued(TicketIssued),
    /// A kiosk checked in an appointment; the ticket it issued for it is a separate `ticket_issued`
    /// event with priority `appointment`.
    AppointmentCheckedIn {
        /// Booking code.
        appointment_id: String,
        /// The ticket issued for it.
        ticket_id: TicketId,
    },
    /// A citizen rated a service (好差评), at a counter's evaluator or at a kiosk.
    Evaluation {
        /// The ticket whose service was rated.
        ticket_id: TicketId,
        /// The level chosen.
        level: EvaluationLevel,
        /// Optional comment.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        comment: String,
    },
    /// Counter staff acted at a window.
    CounterAction {
        /// Hall.
        hall: HallId,
        /// Window.
        #[cfg_attr(feature = "openapi", schema(value_type = u16))]
        window: WindowNo,
        /// The action.
        action: CounterAction,
    },
}

impl EventBody {
    /// The `kind` string stored in the outbox and sent on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TicketIssued(_) => "ticket_issued",
            Self::AppointmentCheckedIn { .. } => "appointment_checked_in",
            Self::Evaluation { .. } => "evaluation",
            Self::CounterAction { .. } => "counter_action",
        }
    }
}

/// A ticket as issued by a kiosk.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketIssued {
    /// Identity: issuing device and the seq of this event.
    pub ticket_id: TicketId,
    /// Hall.
    pub hall: HallId,
    /// Service queued for.
    pub service: ServiceCode,
    /// Printed number.
    pub number: TicketNumber,
    /// Priority class.
    pub priority: Priority,
    /// Business day the number belongs to.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub business_day: BusinessDay,
    /// Issue order key's timestamp (the ticket's place in the queue).
    pub issued_hlc: Hlc,
    /// Wall time of issue.
    pub issued_at: DateTime<Utc>,
    /// The lease the number came from; `None` for fallback numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<u64>,
}

/// What counter staff can do at a window. Rules are in docs/queue-rules.md.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CounterAction {
    /// Call the next ticket by the window's profile (finishing the current one first, if any).
    CallNext,
    /// Announce the current ticket again.
    Recall,
    /// The called citizen did not come (过号): re-queue or drop, per the re-queue rule.
    Skip,
    /// Service of the current ticket is done.
    Finish,
    /// Stop calling at this window.
    Pause,
    /// Resume calling.
    Resume,
    /// Move the current ticket to another service's queue; it keeps its number and issue time.
    Transfer {
        /// Target service.
        to: ServiceCode,
    },
}

/// Central's answer to one event. Replaying an event returns the outcome stored the first time.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventOutcome {
    /// Recorded; nothing more to say.
    Applied,
    /// A ticket was called to the window.
    Called {
        /// Which ticket.
        ticket_id: TicketId,
        /// Its printed number.
        number: TicketNumber,
        /// Its service.
        service: ServiceCode,
        /// The window.
        #[cfg_attr(feature = "openapi", schema(value_type = u16))]
        window: WindowNo,
    },
    /// Nobody is waiting for any service in the window's profile.
    QueueEmpty,
    /// The event was valid but could not take effect (e.g. finish with no current ticket, a call that
    /// arrived too late to be meaningful, an evaluation of an unknown ticket). It is recorded and will
    /// not be retried.
    Rejected {
        /// Why, in words for staff.
        reason: String,
    },
}

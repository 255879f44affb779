//! What central records and answers beyond the protocol's own messages: stored tickets, calls and
//! evaluations, queue snapshots, and the bodies of the admin API.

use chrono::{DateTime, NaiveDate, Utc};
use hall_protocol::feed::WindowStatus;
use hall_protocol::{DeviceId, EvaluationLevel, HallId, Hlc, Priority, ServiceCode, TicketId, TicketNumber, WindowNo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a stored ticket is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TicketState {
    /// In a queue (issued, re-queued after a skip, or transferred).
    Waiting,
    /// Called to a window and not yet finished, skipped or transferred.
    Called,
    /// Served.
    Served,
    /// Dropped as a no-show.
    NoShow,
    /// Never called: its business day closed while it was still waiting or at a window, or it
    /// reached central only after its day had closed (a kiosk that was offline over the rollover).
    Expired,
}

impl TicketState {
    /// Name as stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Called => "called",
            Self::Served => "served",
            Self::NoShow => "no_show",
            Self::Expired => "expired",
        }
    }

    /// Parses [`TicketState::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "waiting" => Self::Waiting,
            "called" => Self::Called,
            "served" => Self::Served,
            "no_show" => Self::NoShow,
            "expired" => Self::Expired,
            _ => return None,
        })
    }
}

/// A ticket as central stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    /// Identity, `DEVICE/SEQ`.
    #[schema(value_type = String, example = "kiosk-1/42")]
    pub ticket_id: TicketId,
    /// Hall.
    #[schema(value_type = String)]
    pub hall: HallId,
    /// The service it is queued for now (changes on transfer).
    #[schema(value_type = String)]
    pub service: ServiceCode,
    /// The service it was issued for; its number belongs to that queue.
    #[schema(value_type = String)]
    pub issued_service: ServiceCode,
    /// Printed number.
    #[schema(value_type = String, example = "A012")]
    pub number: TicketNumber,
    /// Priority class.
    #[schema(value_type = hall_protocol::Priority)]
    pub priority: Priority,
    /// Business day.
    pub business_day: NaiveDate,
    /// Issue order timestamp.
    #[schema(value_type = hall_protocol::Hlc)]
    pub issued_hlc: Hlc,
    /// Wall time of issue (the kiosk's clock).
    pub issued_at: DateTime<Utc>,
    /// The lease its number came from; `None` for offline fallback numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<u64>,
    /// Where it is now.
    pub state: TicketState,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallEnd {
    /// Service finished.
    Served,
    /// Skipped (过号) and put back in the queue.
    Skipped,
    /// Skipped and dropped as a no-show.
    NoShow,
    /// Transferred to another service.
    Transferred,
    /// The business day closed while the ticket was still at the window (nobody pressed finish).
    Expired,
}

impl CallEnd {
    /// Name as stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Served => "served",
            Self::Skipped => "skipped",
            Self::NoShow => "no_show",
            Self::Transferred => "transferred",
            Self::Expired => "expired",
        }
    }

    /// Parses [`CallEnd::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "served" => Self::Served,
            "skipped" => Self::Skipped,
            "no_show" => Self::NoShow,
            "transferred" => Self::Transferred,
            "expired" => Self::Expired,
            _ => return None,
        })
    }
}

/// One call of a ticket to a window, from the first announcement to how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Call {
    /// Hall.
    #[schema(value_type = String)]
    pub hall: HallId,
    /// Window.
    #[schema(value_type = u16)]
    pub window: WindowNo,
    /// Ticket.
    #[schema(value_type = String)]
    pub ticket_id: TicketId,
    /// Its printed number.
    #[schema(value_type = String)]
    pub number: TicketNumber,
    /// The service it was called for.
    #[schema(value_type = String)]
    pub service: ServiceCode,
    /// The ticket's business day.
    pub business_day: NaiveDate,
    /// When it was first called (central's clock).
    pub called_at: DateTime<Utc>,
    /// How many times it was recalled.
    pub recalls: u32,
    /// When the call ended; `None` while the ticket is still at the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// How it ended; `None` while the ticket is still at the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CallEnd>,
    /// For a transfer, the service the ticket moved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub transferred_to: Option<ServiceCode>,
}

/// A citizen's rating of a service (好差评).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Evaluation {
    /// The ticket whose service was rated.
    #[schema(value_type = String)]
    pub ticket_id: TicketId,
    /// Hall.
    #[schema(value_type = String)]
    pub hall: HallId,
    /// The ticket's business day.
    pub business_day: NaiveDate,
    /// The window that served the ticket last, if it was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u16>)]
    pub window: Option<WindowNo>,
    /// Level.
    #[schema(value_type = hall_protocol::EvaluationLevel)]
    pub level: EvaluationLevel,
    /// Comment.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// The device it was given on.
    #[schema(value_type = String)]
    pub device_id: DeviceId,
    /// When (the device's clock).
    pub at: DateTime<Utc>,
}

/// A waiting ticket in a queue snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaitingTicket {
    /// Ticket.
    #[schema(value_type = String)]
    pub ticket_id: TicketId,
    /// Printed number.
    #[schema(value_type = String)]
    pub number: TicketNumber,
    /// Priority class.
    #[schema(value_type = hall_protocol::Priority)]
    pub priority: Priority,
}

/// One service's queue, in call order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceQueue {
    /// Service.
    #[schema(value_type = String)]
    pub service: ServiceCode,
    /// Waiting tickets, the next to be called first.
    pub waiting: Vec<WaitingTicket>,
}

/// One window as the queue engine sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WindowSnapshot {
    /// Window number.
    #[schema(value_type = u16)]
    pub window: WindowNo,
    /// State as boards show it.
    #[schema(value_type = hall_protocol::feed::WindowStatus)]
    pub state: WindowStatus,
    /// The ticket called there and not yet finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub current: Option<TicketId>,
    /// Its printed number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub number: Option<TicketNumber>,
    /// When the current ticket was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called_at: Option<DateTime<Utc>>,
    /// Services served, most preferred first.
    #[schema(value_type = Vec<String>)]
    pub profile: Vec<ServiceCode>,
}

/// A hall's queues and windows now (`GET /v1/queues/{hall}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueSnapshot {
    /// Hall.
    #[schema(value_type = String)]
    pub hall: HallId,
    /// Each service's waiting tickets in call order, by service code.
    pub services: Vec<ServiceQueue>,
    /// Windows, by number.
    pub windows: Vec<WindowSnapshot>,
}

/// A new appointment (`POST /v1/appointments`). The ID number and name are masked and digested
/// before anything is stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewAppointment {
    /// Booking code, e.g. `YY20261124-0007`.
    pub id: String,
    /// Hall.
    #[schema(value_type = String)]
    pub hall: HallId,
    /// Service booked.
    #[schema(value_type = String)]
    pub service: ServiceCode,
    /// Day.
    pub day: NaiveDate,
    /// Slot start, local time `HH:MM`.
    pub slot: String,
    /// Citizen's name (stored masked).
    pub name: String,
    /// Citizen's ID number (never stored; only its masked form and a keyed digest).
    pub id_number: String,
}

/// A new application (办件) (`POST /v1/applications`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewApplication {
    /// Application number, e.g. `SH2026112400017`.
    pub no: String,
    /// Hall.
    #[schema(value_type = String)]
    pub hall: HallId,
    /// Service.
    #[schema(value_type = String)]
    pub service: ServiceCode,
    /// Item name, e.g. 居住证签注.
    pub title: String,
    /// Applicant's name (stored masked).
    pub name: String,
    /// Applicant's ID number (never stored; only its masked form and a keyed digest).
    pub id_number: String,
    /// First status. Default 受理.
    #[serde(default = "accepted")]
    pub status: String,
    /// Note for the first status.
    #[serde(default)]
    pub note: String,
}

fn accepted() -> String {
    "受理".to_owned()
}

/// A new step in an application's history (`POST /v1/applications/{no}/status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusUpdate {
    /// Stage name, e.g. 审核, 办结, 制证, 已领取.
    pub status: String,
    /// Note.
    #[serde(default)]
    pub note: String,
}

/// A look-up by ID number, sent in a body so the number never appears in a URL or access log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IdNumberQuery {
    /// The ID number.
    pub id_number: String,
    /// For appointments: only this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<NaiveDate>,
}

/// What loading a catalogue changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogueReport {
    /// Halls added or changed.
    pub halls: usize,
    /// Services added or changed.
    pub services: usize,
    /// Windows added or changed.
    pub windows: usize,
    /// Devices added or changed.
    pub devices: usize,
    /// Entries that were already as given.
    pub unchanged: usize,
}

/// Shared `?day=&hall=` query of the day-report endpoints.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// Business day, `YYYY-MM-DD`.
    pub day: NaiveDate,
    /// Hall; all halls when omitted (for stats: required when central has more than one hall).
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub hall: Option<HallId>,
}

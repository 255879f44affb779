//! Schema mirrors of the `hall-protocol` wire types. `hall-protocol` does no I/O and carries no
//! OpenAPI dependency, so central describes its types here, field for field, for the generated
//! document. They are never used at run time; a test serialises real protocol values and checks
//! them against these schemas, so a change in `hall-protocol` that is not mirrored here fails it.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use utoipa::ToSchema;

/// Hybrid logical clock timestamp.
#[derive(ToSchema)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch.
    pub wall_ms: u64,
    /// Counter for events within the same millisecond.
    pub logical: u32,
}

/// Priority class of a ticket.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Ordinary.
    Normal,
    /// Elderly citizen.
    Elderly,
    /// Citizen with a disability.
    Disabled,
    /// Checked-in appointment.
    Appointment,
}

/// 好差评 level.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationLevel {
    /// 非常不满意
    VeryDissatisfied,
    /// 不满意
    Dissatisfied,
    /// 基本满意
    Fair,
    /// 满意
    Satisfied,
    /// 非常满意
    VerySatisfied,
}

/// A window's state.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowStatus {
    /// Open, nobody at it.
    Idle,
    /// Serving a called ticket.
    Serving,
    /// Not calling.
    Paused,
}

/// What a device does.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    /// Self-service kiosk.
    Kiosk,
    /// Hall board.
    Board,
    /// Counter terminal.
    Counter,
}

/// A service hall.
#[derive(ToSchema)]
pub struct Hall {
    /// Id, e.g. `xuhui`.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A service (事项 category).
#[derive(ToSchema)]
pub struct Service {
    /// Hall.
    pub hall: String,
    /// Code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Prefix letter A-Z.
    #[schema(min_length = 1, max_length = 1)]
    pub prefix: String,
    /// Materials to bring.
    #[serde(default)]
    pub materials: Vec<String>,
    /// Offered by kiosks now (default true).
    #[serde(default)]
    pub enabled: bool,
}

/// A counter window and its service profile.
#[derive(ToSchema)]
pub struct Window {
    /// Hall.
    pub hall: String,
    /// Number.
    pub no: u16,
    /// Display name.
    pub name: String,
    /// Services served, most preferred first.
    pub profile: Vec<String>,
}

/// A registered device.
#[derive(ToSchema)]
pub struct Device {
    /// Id.
    pub id: String,
    /// Hall.
    pub hall: String,
    /// Role.
    pub role: DeviceRole,
    /// For counters, the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u16>,
    /// Number used in offline fallback ticket numbers; assigned by central (send 0 or omit).
    #[serde(default)]
    pub device_no: u32,
    /// Revoked devices are refused.
    #[serde(default)]
    pub revoked: bool,
}

/// A hall's catalogue.
#[derive(ToSchema)]
pub struct Catalogue {
    /// Halls.
    #[serde(default)]
    pub halls: Vec<Hall>,
    /// Services.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Windows.
    #[serde(default)]
    pub windows: Vec<Window>,
    /// Devices.
    #[serde(default)]
    pub devices: Vec<Device>,
}

/// A booked appointment (masked personal data).
#[derive(ToSchema)]
pub struct Appointment {
    /// Booking code.
    pub id: String,
    /// Hall.
    pub hall: String,
    /// Service.
    pub service: String,
    /// Day.
    pub day: NaiveDate,
    /// Slot start `HH:MM`.
    pub slot: String,
    /// Masked name.
    pub name_masked: String,
    /// Masked ID number.
    pub id_masked: String,
    /// Ticket it was checked in with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// One step of an application's history.
#[derive(ToSchema)]
pub struct ApplicationStatus {
    /// When.
    pub at: DateTime<Utc>,
    /// Stage.
    pub status: String,
    /// Note.
    #[serde(default)]
    pub note: String,
}

/// An application (办件) and its progress.
#[derive(ToSchema)]
pub struct Application {
    /// Application number.
    pub no: String,
    /// Hall.
    pub hall: String,
    /// Service.
    pub service: String,
    /// Item name.
    pub title: String,
    /// Masked name.
    pub name_masked: String,
    /// Masked ID number.
    pub id_masked: String,
    /// History, oldest first.
    pub history: Vec<ApplicationStatus>,
}

/// A ticket as issued by a kiosk.
#[derive(ToSchema)]
pub struct TicketIssued {
    /// `DEVICE/SEQ` of the issuing event.
    pub ticket_id: String,
    /// Hall.
    pub hall: String,
    /// Service.
    pub service: String,
    /// Printed number, `A012` or fallback `A-3-017`.
    pub number: String,
    /// Priority.
    pub priority: Priority,
    /// Business day.
    pub business_day: NaiveDate,
    /// Issue order timestamp.
    pub issued_hlc: Hlc,
    /// Wall time of issue.
    pub issued_at: DateTime<Utc>,
    /// Lease the number came from; absent for fallback numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<u64>,
}

/// What counter staff did.
#[derive(ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CounterAction {
    /// Call the next ticket.
    CallNext,
    /// Announce the current ticket again.
    Recall,
    /// 过号.
    Skip,
    /// Service done.
    Finish,
    /// Stop calling.
    Pause,
    /// Resume calling.
    Resume,
    /// Move the current ticket to another service.
    Transfer {
        /// Target service.
        to: String,
    },
}

/// What a device event says happened.
#[derive(ToSchema)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum EventBody {
    /// A ticket was issued.
    TicketIssued(TicketIssued),
    /// An appointment was checked in.
    AppointmentCheckedIn {
        /// Booking code.
        appointment_id: String,
        /// Ticket issued for it.
        ticket_id: String,
    },
    /// A citizen rated a service.
    Evaluation {
        /// Ticket.
        ticket_id: String,
        /// Level.
        level: EvaluationLevel,
        /// Comment.
        #[serde(default)]
        comment: String,
    },
    /// Counter staff acted.
    CounterAction {
        /// Hall.
        hall: String,
        /// Window.
        window: u16,
        /// Action.
        action: CounterAction,
    },
}

/// One outbox event.
#[derive(ToSchema)]
pub struct DeviceEvent {
    /// Device.
    pub device_id: String,
    /// Gap-free per-device sequence number from 1.
    pub device_seq: u64,
    /// HLC when written.
    pub hlc: Hlc,
    /// Device wall time when written.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

/// Central's answer to one event.
#[derive(ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EventOutcome {
    /// Recorded.
    Applied,
    /// A ticket was called.
    Called {
        /// Ticket.
        ticket_id: String,
        /// Number.
        number: String,
        /// Service.
        service: String,
        /// Window.
        window: u16,
    },
    /// Nobody waiting.
    QueueEmpty,
    /// Valid but could not take effect; recorded, not retried.
    Rejected {
        /// Why.
        reason: String,
    },
}

/// A batch of one device's events.
#[derive(ToSchema)]
pub struct PushBatch {
    /// Sender.
    pub device_id: String,
    /// Events in increasing `device_seq`, no gaps.
    pub events: Vec<DeviceEvent>,
}

/// The outcome of one event of a batch.
#[derive(ToSchema)]
pub struct EventResult {
    /// Event.
    pub device_seq: u64,
    /// Applied before (a replay).
    pub duplicate: bool,
    /// What it did.
    #[serde(flatten)]
    pub outcome: EventOutcome,
}

/// Central's answer to a batch.
#[derive(ToSchema)]
pub struct PushAck {
    /// Highest `device_seq` applied.
    pub high_water: u64,
    /// One result per event.
    pub results: Vec<EventResult>,
    /// Central's clock.
    pub server_hlc: Hlc,
}

/// A kiosk asks for ticket numbers.
#[derive(ToSchema)]
pub struct LeaseRequest {
    /// Kiosk.
    pub device_id: String,
    /// Per-device request number; retrying with it returns the same lease.
    pub request_id: u64,
    /// Hall.
    pub hall: String,
    /// Queue.
    pub service: String,
    /// Day.
    pub business_day: NaiveDate,
    /// Numbers wanted (clamped to 1..=max_lease).
    pub size: u32,
}

/// A block of ticket numbers.
#[derive(ToSchema)]
pub struct Lease {
    /// Id.
    pub lease_id: u64,
    /// Holder.
    pub device_id: String,
    /// Hall.
    pub hall: String,
    /// Queue.
    pub service: String,
    /// Day.
    pub business_day: NaiveDate,
    /// First number.
    pub start: u32,
    /// Last number (inclusive).
    pub end: u32,
}

/// A call as boards show it.
#[derive(ToSchema)]
pub struct CallInfo {
    /// Hall.
    pub hall: String,
    /// Window.
    pub window: u16,
    /// Ticket.
    pub ticket_id: String,
    /// Number.
    pub number: String,
    /// Service.
    pub service: String,
    /// 0 for the first call, n for the n-th recall.
    pub recall: u32,
    /// When.
    pub at: DateTime<Utc>,
}

/// What changed.
#[derive(ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ChangeBody {
    /// A hall.
    Hall(Hall),
    /// A service.
    Service(Service),
    /// A window.
    Window(Window),
    /// A device.
    Device(Device),
    /// A lease (device-scoped).
    Lease(Lease),
    /// A call or recall.
    Called(CallInfo),
    /// A queue's length.
    QueueLength {
        /// Hall.
        hall: String,
        /// Service.
        service: String,
        /// Waiting now.
        waiting: u32,
    },
    /// A window's state.
    WindowState {
        /// Hall.
        hall: String,
        /// Window.
        window: u16,
        /// State.
        state: WindowStatus,
        /// Current ticket.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current: Option<String>,
    },
}

/// One change of the feed.
#[derive(ToSchema)]
pub struct Change {
    /// Position in the feed.
    pub cursor: u64,
    /// When recorded.
    pub at: DateTime<Utc>,
    /// Set when only this device should see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// What changed.
    #[serde(flatten)]
    pub body: ChangeBody,
}

/// A page of the feed.
#[derive(ToSchema)]
pub struct FeedPage {
    /// Changes, oldest first.
    pub changes: Vec<Change>,
    /// Cursor to ask from next.
    pub next_cursor: u64,
    /// More changes are waiting.
    pub more: bool,
    /// Central's clock.
    pub server_hlc: Hlc,
}

/// Liveness and version.
#[derive(ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Software version.
    pub version: String,
    /// Protocol version.
    pub protocol: u32,
    /// Central's clock.
    pub server_hlc: Hlc,
}

/// The body of every error answer.
#[derive(ToSchema)]
pub struct ApiError {
    /// Stable code, e.g. `unknown_device`, `sequence_gap`, `body_too_large`.
    pub error: String,
    /// What went wrong and what to do.
    pub message: String,
    /// With `sequence_gap`: the `device_seq` expected next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<u64>,
}

/// Summary of durations in seconds.
#[derive(ToSchema)]
pub struct Summary {
    /// How many.
    pub count: u64,
    /// Mean.
    pub mean_s: f64,
    /// Median (nearest rank).
    pub p50_s: f64,
    /// 90th percentile (nearest rank).
    pub p90_s: f64,
}

/// One service's day.
#[derive(ToSchema)]
pub struct ServiceStats {
    /// Service.
    pub service: String,
    /// Issued, including transfers in.
    pub issued: u64,
    /// Finished.
    pub served: u64,
    /// Dropped as no-shows.
    pub no_show: u64,
    /// Still waiting.
    pub waiting: u64,
    /// Never called: their business day closed first (not no-shows).
    pub expired: u64,
    /// Issue → first call.
    pub wait: Summary,
    /// Call → finish.
    pub service_time: Summary,
}

/// One window's day.
#[derive(ToSchema)]
pub struct WindowStats {
    /// Window.
    pub window: u16,
    /// Finished there.
    pub served: u64,
    /// Issue → call there.
    pub wait: Summary,
    /// Call → finish there.
    pub service_time: Summary,
}

/// A hall's business day.
#[derive(ToSchema)]
pub struct DayStats {
    /// Hall.
    pub hall: String,
    /// Day.
    pub day: NaiveDate,
    /// Per service.
    pub services: Vec<ServiceStats>,
    /// Per window.
    pub windows: Vec<WindowStats>,
    /// Evaluations per level, index 0 = level 1 (非常不满意) … 4 = level 5 (非常满意).
    #[schema(min_items = 5, max_items = 5)]
    pub evaluations: Vec<u64>,
}

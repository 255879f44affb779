//! The change feed: everything devices learn from central (catalogue, config, leases, calls, queue
//! lengths) is a numbered [`Change`]. Devices page through it with a cursor (`GET /v1/feed`) and
//! receive the same changes live on the push stream (`GET /v1/stream`, server-sent events whose `id`
//! is the cursor), so a device that reconnects resumes exactly where it stopped.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::Lease;
use crate::catalogue::{Device, Hall, Service, Window};
use crate::hlc::Hlc;
use crate::ids::{DeviceId, HallId, ServiceCode, TicketId, WindowNo};
use crate::number::TicketNumber;

/// One change, with its position in the feed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Position in the feed; strictly increasing, starting at 1.
    pub cursor: u64,
    /// When central recorded it.
    pub at: DateTime<Utc>,
    /// Set when only one device should see it (e.g. its own lease).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    /// What changed.
    #[serde(flatten)]
    pub body: ChangeBody,
}

/// What changed. Serialised as `{"type": "...", "data": {...}}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeBody {
    /// A hall was added or changed.
    Hall(Hall),
    /// A service was added or changed.
    Service(Service),
    /// A window was added or changed.
    Window(Window),
    /// A device was registered, changed or revoked.
    Device(Device),
    /// A number lease was granted (device-scoped).
    Lease(Lease),
    /// A ticket was called to a window (also sent again on recall, with `recall` > 0).
    Called(CallInfo),
    /// The number of tickets waiting in a queue changed.
    QueueLength {
        /// Hall.
        hall: HallId,
        /// Service.
        service: ServiceCode,
        /// Tickets now waiting.
        waiting: u32,
    },
    /// A window's state changed.
    WindowState {
        /// Hall.
        hall: HallId,
        /// Window.
        #[cfg_attr(feature = "openapi", schema(value_type = u16))]
        window: WindowNo,
        /// New state.
        state: WindowStatus,
        /// Ticket being served, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current: Option<TicketId>,
    },
}

/// A call, as the board shows and announces it: "请 A012 号到 3 号窗口办理".
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallInfo {
    /// Hall.
    pub hall: HallId,
    /// Window called to.
    #[cfg_attr(feature = "openapi", schema(value_type = u16))]
    pub window: WindowNo,
    /// Ticket called.
    pub ticket_id: TicketId,
    /// Its printed number.
    pub number: TicketNumber,
    /// Its service.
    pub service: ServiceCode,
    /// 0 for the first call, then 1, 2… for each recall.
    pub recall: u32,
    /// When central made the call.
    pub at: DateTime<Utc>,
}

/// A window's state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WindowStatus {
    /// Open, nobody at it.
    Idle,
    /// Serving a called ticket.
    Serving,
    /// Not calling.
    Paused,
}

/// One page of the feed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedPage {
    /// Changes after the requested cursor, oldest first.
    pub changes: Vec<Change>,
    /// The cursor to ask from next time (the last change's cursor, or the requested one if empty).
    pub next_cursor: u64,
    /// True when more changes are waiting beyond this page.
    pub more: bool,
    /// Central's clock, for the device's HLC.
    pub server_hlc: Hlc,
}

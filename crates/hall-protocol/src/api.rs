//! HTTP API shapes: paths, requests and responses of the central service. The full, generated
//! description is served by central at `/openapi.json`.

use serde::{Deserialize, Serialize};

use crate::event::{DeviceEvent, EventOutcome};
use crate::hlc::Hlc;
use crate::ids::{BusinessDay, DeviceId, HallId, ServiceCode};

/// Protocol version; sent in [`Health`] so devices can refuse to talk to an incompatible central.
pub const PROTOCOL_VERSION: u32 = 1;

/// The header that names the calling device. (Request signing and mTLS come with provisioning.)
pub const DEVICE_HEADER: &str = "x-hallkit-device";

/// Largest request body central accepts, in bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Most events central accepts in one batch.
pub const MAX_BATCH_EVENTS: usize = 2_000;

/// API paths.
pub mod paths {
    /// `GET`: liveness and version.
    pub const HEALTH: &str = "/v1/health";
    /// `POST` [`super::PushBatch`] → [`super::PushAck`].
    pub const EVENTS: &str = "/v1/events";
    /// `POST` [`super::LeaseRequest`] → [`super::Lease`].
    pub const LEASES: &str = "/v1/leases";
    /// `GET ?device=&after=&limit=` → [`crate::FeedPage`].
    pub const FEED: &str = "/v1/feed";
    /// `GET ?device=&after=`: server-sent events, one [`crate::Change`] each, `id` = cursor.
    pub const STREAM: &str = "/v1/stream";
    /// `GET ?hall=` → [`crate::Catalogue`].
    pub const CATALOGUE: &str = "/v1/catalogue";
    /// `GET ?day=&hall=` → [`crate::stats::DayStats`].
    pub const STATS: &str = "/v1/stats";
    /// The OpenAPI document.
    pub const OPENAPI: &str = "/openapi.json";
}

/// `GET /v1/health` answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `"ok"` when answered.
    pub status: String,
    /// Central's software version.
    pub version: String,
    /// [`PROTOCOL_VERSION`] of central.
    pub protocol: u32,
    /// Central's clock.
    pub server_hlc: Hlc,
}

/// A batch of outbox events from one device, in sequence order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushBatch {
    /// Sender; every event must carry the same id.
    pub device_id: DeviceId,
    /// Events, in increasing `device_seq` with no gaps. Events at or below central's high-water mark
    /// are duplicates: they are not applied again, and their stored outcome is returned.
    pub events: Vec<DeviceEvent>,
}

/// Central's answer to a [`PushBatch`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    /// Highest `device_seq` central has applied for this device; the device may delete outbox rows
    /// up to here.
    pub high_water: u64,
    /// One result per event in the batch, in order.
    pub results: Vec<EventResult>,
    /// Central's clock, for the device's HLC.
    pub server_hlc: Hlc,
}

/// The outcome of one event in a batch.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventResult {
    /// The event.
    pub device_seq: u64,
    /// True when this event had been applied before (a replay).
    pub duplicate: bool,
    /// What it did.
    #[serde(flatten)]
    pub outcome: EventOutcome,
}

/// A kiosk asks for a block of ticket numbers for one queue and business day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRequest {
    /// Asking kiosk.
    pub device_id: DeviceId,
    /// Per-device request number, persisted before sending: asking again with the same number
    /// returns the same lease, so a lost response does not burn a block.
    pub request_id: u64,
    /// Hall.
    pub hall: HallId,
    /// Queue.
    pub service: ServiceCode,
    /// Business day.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub business_day: BusinessDay,
    /// Numbers wanted; central may grant fewer.
    pub size: u32,
}

/// A block of ticket numbers leased to one kiosk: `start..=end` of one queue on one business day.
/// No other device is ever given a number in it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Central's id for it.
    pub lease_id: u64,
    /// Holder.
    pub device_id: DeviceId,
    /// Hall.
    pub hall: HallId,
    /// Queue.
    pub service: ServiceCode,
    /// Day.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub business_day: BusinessDay,
    /// First number.
    pub start: u32,
    /// Last number (inclusive).
    pub end: u32,
}

impl Lease {
    /// How many numbers the lease holds.
    pub fn len(&self) -> u32 {
        self.end.saturating_sub(self.start) + 1
    }
    /// Never true: a lease holds at least one number.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The error body of every 4xx and 5xx answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine-readable code, e.g. `unknown_device`, `sequence_gap`, `body_too_large`.
    pub error: String,
    /// What went wrong and what to do, for a person.
    pub message: String,
    /// With `sequence_gap`: the `device_seq` central expects next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<u64>,
}

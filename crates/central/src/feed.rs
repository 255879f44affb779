//! The change feed (`GET /v1/feed`): changes after a cursor, global ones plus those scoped to the
//! asking device.

use hall_protocol::{DeviceId, FeedPage};

use crate::central::Central;
use crate::error::CentralError;
use crate::ingest::active_device;

/// Default page size of `GET /v1/feed`.
pub const DEFAULT_FEED_LIMIT: usize = 500;
/// Largest page size of `GET /v1/feed`.
pub const MAX_FEED_LIMIT: usize = 5000;

impl Central {
    /// Up to `limit` (clamped to 1..=5000) changes after `after`: global ones, plus those scoped to
    /// `device` when given (which must then be a registered, unrevoked device).
    pub fn feed(&self, device: Option<&DeviceId>, after: u64, limit: usize) -> Result<FeedPage, CentralError> {
        let limit = limit.clamp(1, MAX_FEED_LIMIT);
        let mut changes = self.read(|tx| {
            if let Some(d) = device {
                active_device(tx, d)?;
            }
            Ok(tx.changes_after(after, device, limit + 1)?)
        })?;
        let more = changes.len() > limit;
        changes.truncate(limit);
        let next_cursor = changes.last().map_or(after, |c| c.cursor);
        Ok(FeedPage { changes, next_cursor, more, server_hlc: self.hlc_tick() })
    }
}

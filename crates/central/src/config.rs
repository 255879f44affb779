//! How a central service is configured, and the clock it reads.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{FixedOffset, NaiveTime};

use crate::engine::EngineConfig;

pub use hall_protocol::clock::{Clock, SystemClock};

/// Central's settings.
#[derive(Clone)]
pub struct CentralConfig {
    /// Call-type counter actions (call next, recall, skip, transfer) whose event time is older than
    /// this when central applies them are rejected: calling a citizen long after staff pressed the
    /// button would send them to a window that has moved on. Default 120 s.
    pub call_max_age: Duration,
    /// Most numbers granted in one lease. Default 100.
    pub max_lease: u32,
    /// Queue rules of new halls. Stored with the database the first time it is opened, and the
    /// stored rules win afterwards, so that replaying the engine input log gives the same queues.
    pub engine: EngineConfig,
    /// The clock. Default: the system clock.
    pub clock: Arc<dyn Clock>,
    /// Key for the digest of citizens' ID numbers. `None`: a random key generated when the
    /// database is created and kept in it. Set it (from a file outside the database) so that a
    /// copy of the database alone does not let anyone test guesses of ID numbers.
    pub id_digest_key: Option<Vec<u8>>,
    /// Capacity of the live change channel behind `/v1/stream`; a subscriber that falls further
    /// behind re-reads from the database. Default 4096.
    pub stream_buffer: usize,
    /// Interval of keep-alive comments on `/v1/stream`. Default 15 s.
    pub stream_keep_alive: Duration,
    /// The halls' local time, for business days. Default +08:00 (China has no daylight saving).
    pub utc_offset: FixedOffset,
    /// Local time at which a business day ends and the next begins: a moment before it belongs to
    /// the previous date. Default 04:00. Must match the devices' `[business_day]` settings.
    pub rollover: NaiveTime,
}

/// The default hall time, +08:00.
pub const DEFAULT_UTC_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

/// The default rollover, 04:00.
pub const DEFAULT_ROLLOVER: NaiveTime = match NaiveTime::from_hms_opt(4, 0, 0) {
    Some(time) => time,
    None => panic!("04:00 is a valid time"),
};

impl Default for CentralConfig {
    fn default() -> Self {
        Self {
            call_max_age: Duration::from_secs(120),
            max_lease: 100,
            engine: EngineConfig::default(),
            clock: Arc::new(SystemClock),
            id_digest_key: None,
            stream_buffer: 4096,
            stream_keep_alive: Duration::from_secs(15),
            utc_offset: DEFAULT_UTC_OFFSET,
            rollover: DEFAULT_ROLLOVER,
        }
    }
}

impl fmt::Debug for CentralConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the digest key.
        f.debug_struct("CentralConfig")
            .field("call_max_age", &self.call_max_age)
            .field("max_lease", &self.max_lease)
            .field("engine", &self.engine)
            .field("id_digest_key", &self.id_digest_key.as_ref().map(|_| "<set>"))
            .field("stream_buffer", &self.stream_buffer)
            .field("stream_keep_alive", &self.stream_keep_alive)
            .field("utc_offset", &self.utc_offset)
            .field("rollover", &self.rollover)
            .finish_non_exhaustive()
    }
}

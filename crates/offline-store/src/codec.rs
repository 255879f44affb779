//! How protocol values are spelled in SQLite columns, and the checked way back. Everything read
//! from the file goes through here, so a damaged row becomes [`StoreError::Corrupt`], not a panic.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use hall_protocol::Hlc;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StoreError;

/// Timestamps are RFC 3339 text with as many fractional digits as needed, so they round-trip exactly
/// and sort as text within one offset (always `Z`).
pub(crate) fn time_text(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn parse_time(what: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| StoreError::corrupt(what, format!("{s:?}: {e}")))
}

/// Business days are `YYYY-MM-DD`.
pub(crate) fn day_text(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_day(what: &str, s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::corrupt(what, format!("{s:?}: {e}")))
}

/// Any value with a `FromStr` (ids, numbers, priorities) read from a text column.
pub(crate) fn parse_text<T>(what: &str, s: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| StoreError::corrupt(what, format!("{s:?}: {e}")))
}

pub(crate) fn to_json<T: Serialize>(what: &'static str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|source| StoreError::Encode { what, source })
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::corrupt(what, e))
}

/// SQLite integers are signed; sequence numbers and ids are `u64` in the protocol.
pub(crate) fn to_i64(what: &'static str, v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::InvalidRequest(format!("{what} {v} is too large to store")))
}

pub(crate) fn to_u64(what: &str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::corrupt(what, format!("negative value {v}")))
}

pub(crate) fn to_u32(what: &str, v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::corrupt(what, format!("value {v} out of range")))
}

pub(crate) fn hlc_from(what: &str, wall_ms: i64, logical: i64) -> Result<Hlc, StoreError> {
    Ok(Hlc::new(to_u64(what, wall_ms)?, to_u32(what, logical)?))
}

/// Milliseconds since the epoch for the HLC; a wall clock before 1970 counts as 0 (the HLC then
/// simply keeps counting from its last value).
pub(crate) fn epoch_ms(t: &DateTime<Utc>) -> u64 {
    u64::try_from(t.timestamp_millis()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_exactly() {
        let t = DateTime::from_timestamp(1_790_000_000, 123_456_789).expect("valid");
        assert_eq!(parse_time("t", &time_text(&t)).expect("parses"), t);
        let whole = DateTime::from_timestamp(1_790_000_000, 0).expect("valid");
        assert_eq!(time_text(&whole), "2026-09-21T14:13:20Z");
    }

    #[test]
    fn bad_text_is_a_typed_error() {
        assert!(matches!(parse_time("t", "yesterday"), Err(StoreError::Corrupt { .. })));
        assert!(matches!(parse_day("d", "2026-13-01"), Err(StoreError::Corrupt { .. })));
        assert!(matches!(from_json::<Vec<u32>>("j", "{"), Err(StoreError::Corrupt { .. })));
        assert!(matches!(to_u32("n", -1), Err(StoreError::Corrupt { .. })));
        assert!(matches!(to_i64("n", u64::MAX), Err(StoreError::InvalidRequest(_))));
    }
}

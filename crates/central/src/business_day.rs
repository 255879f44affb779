//! Business days: which day an instant belongs to, and closing a hall's day when the clock (or a
//! ticket) says a new one has begun.
//!
//! A hall's day does not end at midnight but at a local rollover time (default 04:00, hall time
//! +08:00), so a ticket issued at 01:00 after a late session still belongs to the evening's day.
//! Each hall's queue engine holds one business day. Before central gives a hall's engine a ticket
//! or a counter action, it closes the engine's day if central's clock is in a later one: tickets
//! still waiting (or still at a window) expire instead of being called first the next morning.
//! `central serve` also closes days on a timer, so boards clear at the rollover rather than at the
//! first ticket of the morning. The rules are in docs/queue-rules.md ("Business days").

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use hall_protocol::HallId;

use crate::central::{Central, Writing};
use crate::engine::EngineEvent;
use crate::engine_log::EngineInput;
use crate::error::CentralError;
use crate::ingest::QueueLengths;

/// The business day `at` belongs to, in a hall whose local time is `utc_offset` and whose day
/// starts at local time `rollover`: local times before `rollover` belong to the previous date.
///
/// The same rule as the devices' (`offline_store::business_day`); both sides must agree, or a
/// kiosk's tickets would be taken for another day's.
pub fn business_day(at: DateTime<Utc>, utc_offset: FixedOffset, rollover: NaiveTime) -> NaiveDate {
    let local = at.with_timezone(&utc_offset).naive_local();
    // Shifting by the rollover turns "the day that starts at 04:00" into a plain calendar date.
    (local - (rollover - NaiveTime::MIN)).date()
}

/// How often `central serve` checks whether a hall's business day has ended.
pub(crate) const CLOSE_CHECK_INTERVAL: Duration = Duration::from_secs(60);

impl Writing<'_> {
    /// Makes sure `hall`'s engine is on business day `day` or later: if its day is earlier (or it
    /// never started one), logs and applies a `CloseDay` to `day`, logs the engine's services and
    /// windows again right after it (so start-up replay can begin at this `CloseDay`), and stores
    /// and feeds what the close changed. Queue lengths go to `lengths`, to be fed by the caller.
    /// Returns the number of tickets that expired, or `None` if the day was already open.
    pub(crate) fn open_day(&mut self, central: &Central, hall: &HallId, day: NaiveDate, lengths: &mut QueueLengths) -> Result<Option<usize>, CentralError> {
        let current = self.engine_day(hall);
        if current.is_some_and(|current| current >= day) {
            return Ok(None);
        }
        let events = self
            .engine_input(hall, EngineInput::CloseDay { next_day: day, at: self.now })?
            .map_err(|e| CentralError::Internal(format!("closing business day {current:?} of hall {hall} for {day}: {e}")))?;
        let mut carried = Vec::new();
        if let Some(engine) = self.engine(hall) {
            let names = self.tx.catalogue(Some(hall))?.windows;
            let name_of = |no| names.iter().find(|w| w.no == no).map(|w| w.name.clone()).unwrap_or_default();
            carried = EngineInput::carried_over(engine, name_of);
        }
        for input in &carried {
            self.tx.log_engine_input(hall, input)?;
        }
        let expired = events.iter().filter(|e| matches!(e, EngineEvent::Expired { .. })).count();
        match current {
            Some(previous) => tracing::info!(%hall, %previous, %day, expired, "business day closed"),
            None => tracing::info!(%hall, %day, "first business day started"),
        }
        central.engine_events(self, hall, events, lengths)?;
        Ok(Some(expired))
    }
}

impl Central {
    /// The business day `at` belongs to, by this central's `utc_offset` and `rollover`.
    pub fn business_day(&self, at: DateTime<Utc>) -> NaiveDate {
        business_day(at, self.config.utc_offset, self.config.rollover)
    }

    /// Closes the business day of every hall whose engine is on a day earlier than central's
    /// clock, as the first ticket or counter action of the new day would. Returns the halls closed
    /// with the number of tickets that expired in each. Halls that never started a day are left
    /// alone (they have nothing to expire). `central serve` calls this every minute.
    pub fn close_ended_days(&self) -> Result<Vec<(HallId, usize)>, CentralError> {
        // Most minutes nothing has ended: answer that without opening a write transaction.
        let today = self.business_day(self.now());
        if !self.any_engine(|e| e.day().is_some_and(|day| day < today))? {
            return Ok(Vec::new());
        }
        self.write(|w| {
            let today = self.business_day(w.now);
            let mut closed = Vec::new();
            let mut lengths = QueueLengths::default();
            for hall in w.engine_halls() {
                if w.engine_day(&hall).is_some_and(|day| day < today)
                    && let Some(expired) = w.open_day(self, &hall, today, &mut lengths)?
                {
                    closed.push((hall, expired));
                }
            }
            lengths.feed(w)?;
            Ok(closed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }
    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn local_times_before_the_rollover_belong_to_the_previous_day() {
        // 01:00 in Shanghai on the 25th is 17:00 UTC on the 24th.
        assert_eq!(business_day(utc("2026-11-24T17:00:00Z"), cst(), t(4, 0)), date(2026, 11, 24));
        // 04:00 Shanghai on the 25th = 20:00 UTC on the 24th starts the 25th.
        assert_eq!(business_day(utc("2026-11-24T19:59:59Z"), cst(), t(4, 0)), date(2026, 11, 24));
        assert_eq!(business_day(utc("2026-11-24T20:00:00Z"), cst(), t(4, 0)), date(2026, 11, 25));
        // 07:30 Shanghai is 23:30 UTC the day before: the local date counts, not the UTC one.
        assert_eq!(business_day(utc("2026-11-24T23:30:00Z"), cst(), t(4, 0)), date(2026, 11, 25));
    }

    #[test]
    fn midnight_rollover_negative_offsets_and_year_ends() {
        assert_eq!(business_day(utc("2026-11-24T15:59:59Z"), cst(), NaiveTime::MIN), date(2026, 11, 24));
        assert_eq!(business_day(utc("2026-11-24T16:00:00Z"), cst(), NaiveTime::MIN), date(2026, 11, 25));
        let west = FixedOffset::west_opt(5 * 3600).unwrap();
        // 02:00 local on 1 January = 07:00 UTC; with a 04:00 rollover it is still 31 December.
        assert_eq!(business_day(utc("2027-01-01T07:00:00Z"), west, t(4, 0)), date(2026, 12, 31));
    }
}

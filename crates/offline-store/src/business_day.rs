//! Which business day a moment belongs to.
//!
//! A hall's day does not end at midnight: it rolls over at a configured local time (e.g. 04:00), so
//! that a ticket issued at 01:00 after a late session still belongs to the day that started the
//! evening before, and its number does not restart in the middle of the night.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};

/// The business day `now` belongs to, in a hall whose local time is `utc_offset` and whose day
/// starts at local time `rollover`. Moments before `rollover` belong to the previous date.
///
/// A fixed offset is enough for China (no daylight saving); a hall elsewhere passes the offset in
/// force at `now`.
pub fn business_day(now: DateTime<Utc>, utc_offset: FixedOffset, rollover: NaiveTime) -> NaiveDate {
    let local = now.with_timezone(&utc_offset).naive_local();
    // Shifting by the rollover turns "the day that starts at 04:00" into a plain calendar date.
    (local - (rollover - NaiveTime::MIN)).date()
}

/// The first moment of `day` (its rollover time) as a UTC instant: every moment from here up to the
/// next day's rollover belongs to `day`.
pub fn business_day_start(day: NaiveDate, utc_offset: FixedOffset, rollover: NaiveTime) -> DateTime<Utc> {
    let local = day.and_time(rollover);
    (local - Duration::seconds(i64::from(utc_offset.local_minus_utc()))).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).expect("valid offset")
    }
    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
    }
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("valid timestamp").with_timezone(&Utc)
    }
    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn one_in_the_morning_belongs_to_the_previous_day() {
        // 01:00 in Shanghai on the 25th is 17:00 UTC on the 24th.
        assert_eq!(business_day(utc("2026-11-24T17:00:00Z"), cst(), t(4, 0)), date(2026, 11, 24));
    }

    #[test]
    fn rollover_moment_starts_the_new_day() {
        // 04:00 Shanghai on the 25th = 20:00 UTC on the 24th.
        assert_eq!(business_day(utc("2026-11-24T19:59:59Z"), cst(), t(4, 0)), date(2026, 11, 24));
        assert_eq!(business_day(utc("2026-11-24T20:00:00Z"), cst(), t(4, 0)), date(2026, 11, 25));
    }

    #[test]
    fn local_date_differs_from_utc_date() {
        // 09:00 Shanghai on the 25th is 01:00 UTC on the 25th; 07:30 Shanghai is 23:30 UTC the day before.
        assert_eq!(business_day(utc("2026-11-25T01:00:00Z"), cst(), t(4, 0)), date(2026, 11, 25));
        assert_eq!(business_day(utc("2026-11-24T23:30:00Z"), cst(), t(4, 0)), date(2026, 11, 25));
    }

    #[test]
    fn midnight_rollover_is_the_calendar_date() {
        assert_eq!(business_day(utc("2026-11-24T15:59:59Z"), cst(), NaiveTime::MIN), date(2026, 11, 24));
        assert_eq!(business_day(utc("2026-11-24T16:00:00Z"), cst(), NaiveTime::MIN), date(2026, 11, 25));
    }

    #[test]
    fn negative_offsets_and_year_boundaries() {
        let west = FixedOffset::west_opt(5 * 3600).expect("valid offset");
        // 02:00 local on 1 January = 07:00 UTC; with a 04:00 rollover it is still 31 December.
        assert_eq!(business_day(utc("2027-01-01T07:00:00Z"), west, t(4, 0)), date(2026, 12, 31));
    }

    #[test]
    fn day_start_is_the_inverse() {
        let start = business_day_start(date(2026, 11, 25), cst(), t(4, 0));
        assert_eq!(start, utc("2026-11-24T20:00:00Z"));
        assert_eq!(business_day(start, cst(), t(4, 0)), date(2026, 11, 25));
        assert_eq!(business_day(start - Duration::milliseconds(1), cst(), t(4, 0)), date(2026, 11, 24));
    }
}

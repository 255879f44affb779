//! The outbox: every business write appends its event here in the same transaction, with a
//! gap-free per-device sequence number and an HLC timestamp. The sync agent reads
//! [`Store::pending_events`], pushes them, and records central's [`PushAck`] with
//! [`Store::acknowledge`]. Acknowledged rows are kept (marked with `acked_at` and central's outcome)
//! so a device's history can be checked against central's.

use chrono::{DateTime, Utc};
use hall_protocol::api::PushAck;
use hall_protocol::{DeviceEvent, DeviceId, EventBody, EventOutcome, Hlc, HlcClock};
use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::codec::{epoch_ms, from_json, hlc_from, parse_time, time_text, to_i64, to_json, to_u64};
use crate::error::{Context, StoreError};
use crate::store::{Store, read_clock};

/// The identity and time of one event being written: its sequence number, HLC and wall time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) seq: u64,
    pub(crate) hlc: Hlc,
    pub(crate) at: DateTime<Utc>,
}

/// One write transaction that appends events. It holds the write lock from `begin` to `commit`, reads
/// the clock and the last sequence number inside it, and checks that every stamped sequence number
/// was appended, so the outbox cannot get a hole.
pub(crate) struct Writer<'c> {
    pub(crate) tx: Transaction<'c>,
    device: &'c DeviceId,
    clock: HlcClock,
    last_seq: u64,
    stamped: u64,
    appended: u64,
}

impl<'c> Writer<'c> {
    pub(crate) fn begin(store: &'c mut Store) -> Result<Self, StoreError> {
        let tx = store.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin write")?;
        let (clock, last_seq) = read_clock(&tx)?;
        Ok(Self { tx, device: &store.device, clock, last_seq, stamped: 0, appended: 0 })
    }

    pub(crate) fn device(&self) -> &DeviceId {
        self.device
    }

    /// Allocates the next sequence number and HLC timestamp. Must be followed by [`Writer::append`].
    pub(crate) fn stamp(&mut self, now: DateTime<Utc>) -> Stamp {
        self.last_seq += 1;
        self.stamped += 1;
        Stamp { seq: self.last_seq, hlc: self.clock.tick(epoch_ms(&now)), at: now }
    }

    /// Appends the event for `stamp`.
    pub(crate) fn append(&mut self, stamp: &Stamp, body: &EventBody) -> Result<(), StoreError> {
        let (kind, payload) = split_body(body)?;
        let seq = to_i64("device_seq", stamp.seq)?;
        let wall = to_i64("hlc", stamp.hlc.wall_ms)?;
        self.tx
            .prepare_cached("INSERT INTO outbox (device_seq, device_id, hlc_wall_ms, hlc_logical, at, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .and_then(|mut s| s.execute(params![seq, self.device.as_str(), wall, stamp.hlc.logical, time_text(&stamp.at), kind, payload]))
            .ctx("append outbox event")?;
        self.appended += 1;
        Ok(())
    }

    /// Commits business rows and events together. The clock needs no separate write: its newest
    /// value is the last event's HLC.
    pub(crate) fn commit(self) -> Result<(), StoreError> {
        if self.stamped != self.appended {
            // A stamped but unwritten event would leave a hole; dropping `tx` rolls everything back.
            return Err(StoreError::InvalidRequest(format!("internal: {} events stamped but {} written; nothing was stored", self.stamped, self.appended)));
        }
        self.tx.commit().ctx("commit write")
    }
}

/// The wire form of an event body is `{"kind": ..., "payload": ...}`; the outbox keeps the two parts
/// in their own columns so the table reads well and can be filtered by kind.
fn split_body(body: &EventBody) -> Result<(&'static str, String), StoreError> {
    // The hot path (a ticket) serialises its payload directly; other kinds go through a JSON value.
    if let EventBody::TicketIssued(t) = body {
        return Ok((body.kind(), to_json("ticket event", t)?));
    }
    let value = serde_json::to_value(body).map_err(|source| StoreError::Encode { what: "event", source })?;
    let payload = value.get("payload").cloned().unwrap_or(serde_json::Value::Null);
    Ok((body.kind(), to_json("event payload", &payload)?))
}

fn join_body(seq: u64, kind: &str, payload: &str) -> Result<EventBody, StoreError> {
    let what = || format!("outbox event {seq}");
    let payload: serde_json::Value = from_json(&what(), payload)?;
    let mut obj = serde_json::Map::new();
    obj.insert("kind".into(), serde_json::Value::String(kind.to_owned()));
    obj.insert("payload".into(), payload);
    serde_json::from_value(serde_json::Value::Object(obj)).map_err(|e| StoreError::corrupt(what(), e))
}

/// One outbox row with its delivery state, for history checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The event as pushed.
    pub event: DeviceEvent,
    /// When central's acknowledgement was recorded; `None` while pending.
    pub acked_at: Option<DateTime<Utc>>,
    /// Central's answer, if it sent one.
    pub outcome: Option<EventOutcome>,
}

/// What [`Store::acknowledge`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckApplied {
    /// The acknowledged high-water mark after this ack (never lower than before).
    pub high_water: u64,
    /// Events newly marked acknowledged by this ack.
    pub newly_acked: u64,
    /// Events still waiting to be pushed.
    pub depth: u64,
}

/// A `LIMIT` value: `usize::MAX` means no limit.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

const ENTRY_COLUMNS: &str = "device_seq, hlc_wall_ms, hlc_logical, at, kind, payload, acked_at, outcome";

impl Store {
    fn entry_from_row(&self, r: &Row<'_>) -> Result<OutboxEntry, StoreError> {
        let seq: i64 = r.get(0).ctx("read outbox row")?;
        let seq = to_u64("outbox device_seq", seq)?;
        let what = format!("outbox event {seq}");
        let hlc = hlc_from(&what, r.get(1).ctx("read outbox row")?, r.get(2).ctx("read outbox row")?)?;
        let at: String = r.get(3).ctx("read outbox row")?;
        let kind: String = r.get(4).ctx("read outbox row")?;
        let payload: String = r.get(5).ctx("read outbox row")?;
        let acked_at: Option<String> = r.get(6).ctx("read outbox row")?;
        let outcome: Option<String> = r.get(7).ctx("read outbox row")?;
        Ok(OutboxEntry {
            event: DeviceEvent { device_id: self.device.clone(), device_seq: seq, hlc, at: parse_time(&what, &at)?, body: join_body(seq, &kind, &payload)? },
            acked_at: acked_at.map(|s| parse_time(&what, &s)).transpose()?,
            outcome: outcome.map(|s| from_json(&what, &s)).transpose()?,
        })
    }

    fn entries(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).ctx("read outbox")?;
        let mut rows = stmt.query(params).ctx("read outbox")?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().ctx("read outbox")? {
            out.push(self.entry_from_row(r)?);
        }
        Ok(out)
    }

    /// Up to `limit` events not yet acknowledged by central, oldest first: the next batch to push.
    pub fn pending_events(&self, limit: usize) -> Result<Vec<DeviceEvent>, StoreError> {
        let sql =
            format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE device_seq > (SELECT acked_seq FROM device_state WHERE id = 1) ORDER BY device_seq LIMIT ?1");
        Ok(self.entries(&sql, [sql_limit(limit)])?.into_iter().map(|e| e.event).collect())
    }

    /// Up to `limit` outbox rows with `device_seq > after`, acknowledged or not, oldest first.
    pub fn history(&self, after: u64, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE device_seq > ?1 ORDER BY device_seq LIMIT ?2");
        self.entries(&sql, params![to_i64("device_seq", after)?, sql_limit(limit)])
    }

    /// Records central's answer to a push: the high-water mark (which never goes backwards) and each
    /// event's outcome (the first answer is kept). Rows stay in the outbox, stamped with the local
    /// time of the acknowledgement for diagnostics. Fails with [`StoreError::AckBeyondOutbox`] and
    /// changes nothing if central claims events this store never wrote.
    ///
    /// Central's clock (`ack.server_hlc`) is not merged here: pass it to [`Store::observe_hlc`].
    pub fn acknowledge(&mut self, ack: &PushAck) -> Result<AckApplied, StoreError> {
        let now = Utc::now();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin acknowledge")?;
        let (acked, last): (i64, i64) = tx
            .query_row("SELECT acked_seq, (SELECT COALESCE(MAX(device_seq), 0) FROM outbox) FROM device_state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("read acknowledged sequence")?;
        let (acked, last) = (to_u64("acked_seq", acked)?, to_u64("outbox device_seq", last)?);
        if ack.high_water > last {
            return Err(StoreError::AckBeyondOutbox { high_water: ack.high_water, last_seq: last });
        }
        let high_water = acked.max(ack.high_water);
        let newly = tx
            .execute(
                "UPDATE outbox SET acked_at = ?1 WHERE device_seq > ?2 AND device_seq <= ?3 AND acked_at IS NULL",
                params![time_text(&now), to_i64("seq", acked)?, to_i64("seq", high_water)?],
            )
            .ctx("mark events acknowledged")?;
        {
            let mut stmt = tx.prepare_cached("UPDATE outbox SET outcome = ?1 WHERE device_seq = ?2 AND outcome IS NULL").ctx("record outcome")?;
            for r in &ack.results {
                if r.device_seq == 0 || r.device_seq > ack.high_water {
                    // Not applied by central (yet): it will be pushed again and answered then.
                    tracing::debug!(seq = r.device_seq, high_water = ack.high_water, "ignoring outcome above the high-water mark");
                    continue;
                }
                stmt.execute(params![to_json("event outcome", &r.outcome)?, to_i64("seq", r.device_seq)?]).ctx("record outcome")?;
            }
        }
        tx.execute("UPDATE device_state SET acked_seq = ?1 WHERE id = 1", [to_i64("seq", high_water)?]).ctx("record high-water mark")?;
        tx.commit().ctx("commit acknowledge")?;
        Ok(AckApplied { high_water, newly_acked: newly as u64, depth: last - high_water })
    }

    /// Central's recorded answer to event `seq`, if any.
    pub fn outcome(&self, seq: u64) -> Result<Option<EventOutcome>, StoreError> {
        let s: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT outcome FROM outbox WHERE device_seq = ?1")
            .and_then(|mut st| st.query_row([to_i64("seq", seq).unwrap_or(-1)], |r| r.get(0)).optional())
            .ctx("read outcome")?;
        s.flatten().map(|s| from_json(&format!("outcome of event {seq}"), &s)).transpose()
    }

    /// Events written but not yet acknowledged.
    pub fn outbox_depth(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM outbox WHERE device_seq > (SELECT acked_seq FROM device_state WHERE id = 1)")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .ctx("count outbox")?;
        to_u64("outbox depth", n)
    }

    /// Central's acknowledged high-water mark (0 before the first ack).
    pub fn last_acked_seq(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row("SELECT acked_seq FROM device_state WHERE id = 1", [], |r| r.get(0)).ctx("read acked seq")?;
        to_u64("acked_seq", n)
    }

    /// The last sequence number written (0 before the first event).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row("SELECT COALESCE(MAX(device_seq), 0) FROM outbox", [], |r| r.get(0)).ctx("read last seq")?;
        to_u64("outbox device_seq", n)
    }

    /// Checks that the outbox holds every sequence number from 1 to the last one, and that the
    /// acknowledged mark is not beyond it.
    pub fn check_outbox_contiguous(&self) -> Result<(), StoreError> {
        let (count, max): (i64, i64) =
            self.conn.query_row("SELECT COUNT(*), COALESCE(MAX(device_seq), 0) FROM outbox", [], |r| Ok((r.get(0)?, r.get(1)?))).ctx("check outbox")?;
        let last = to_u64("outbox device_seq", max)?;
        if count != max {
            let first: i64 = self.conn.query_row("SELECT COALESCE(MIN(device_seq), 0) FROM outbox", [], |r| r.get(0)).ctx("check outbox")?;
            let missing: i64 = if first > 1 {
                1
            } else {
                self.conn
                    .query_row(
                        "SELECT COALESCE(MIN(o.device_seq) + 1, 0) FROM outbox o WHERE o.device_seq < ?1
                         AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.device_seq = o.device_seq + 1)",
                        [max],
                        |r| r.get(0),
                    )
                    .ctx("check outbox")?
            };
            return Err(StoreError::OutboxGap { missing: to_u64("outbox device_seq", missing)?, last });
        }
        let acked = self.last_acked_seq()?;
        if acked > last {
            return Err(StoreError::OutboxGap { missing: last + 1, last: acked });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hall_protocol::api::EventResult;
    use hall_protocol::{CounterAction, HallId};

    fn store() -> Store {
        Store::open_in_memory(DeviceId::new("counter-1").expect("id")).expect("opens")
    }
    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).expect("valid")
    }
    fn act(store: &mut Store, ms: i64) -> u64 {
        store.record_counter_action(&HallId::new("h").expect("id"), 3, &CounterAction::CallNext, at(ms)).expect("recorded")
    }
    fn ack(high_water: u64, results: &[(u64, EventOutcome)]) -> PushAck {
        PushAck {
            high_water,
            results: results.iter().map(|(s, o)| EventResult { device_seq: *s, duplicate: false, outcome: o.clone() }).collect(),
            server_hlc: Hlc::new(0, 0),
        }
    }

    #[test]
    fn sequence_starts_at_one_and_has_no_gaps() {
        let mut s = store();
        assert_eq!(s.last_seq().expect("seq"), 0);
        assert_eq!((1..=5).map(|i| act(&mut s, i)).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
        s.check_outbox_contiguous().expect("contiguous");
        let events = s.pending_events(10).expect("pending");
        assert_eq!(events.iter().map(|e| e.device_seq).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
        assert!(events.windows(2).all(|w| w[0].hlc < w[1].hlc), "HLC strictly increases");
        assert_eq!(events[0].device_id.as_str(), "counter-1");
        assert_eq!(s.pending_events(2).expect("pending").len(), 2);
    }

    #[test]
    fn acknowledge_moves_forward_only_and_keeps_rows() {
        let mut s = store();
        for i in 1..=5 {
            act(&mut s, i);
        }
        let a = s
            .acknowledge(&ack(3, &[(1, EventOutcome::Applied), (2, EventOutcome::QueueEmpty), (3, EventOutcome::Applied), (4, EventOutcome::Applied)]))
            .expect("ack");
        assert_eq!(a, AckApplied { high_water: 3, newly_acked: 3, depth: 2 });
        assert_eq!(s.last_acked_seq().expect("acked"), 3);
        assert_eq!(s.outbox_depth().expect("depth"), 2);
        assert_eq!(s.pending_events(10).expect("pending").iter().map(|e| e.device_seq).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(s.outcome(2).expect("outcome"), Some(EventOutcome::QueueEmpty));
        assert_eq!(s.outcome(4).expect("outcome"), None, "above the high-water mark: not applied yet");
        // An old ack arriving late does not move the mark back, nor overwrite the first outcome.
        let a = s.acknowledge(&ack(1, &[(2, EventOutcome::Applied)])).expect("late ack");
        assert_eq!(a.high_water, 3);
        assert_eq!(s.last_acked_seq().expect("acked"), 3);
        assert_eq!(s.outcome(2).expect("outcome"), Some(EventOutcome::QueueEmpty));
        // Acknowledged rows are kept with their ack time.
        let h = s.history(0, 10).expect("history");
        assert_eq!(h.len(), 5);
        assert!(h[0].acked_at.is_some() && h[2].acked_at.is_some());
        assert_eq!(h[4].acked_at, None);
        s.check_outbox_contiguous().expect("contiguous");
    }

    #[test]
    fn ack_beyond_the_outbox_is_refused() {
        let mut s = store();
        act(&mut s, 1);
        let err = s.acknowledge(&ack(9, &[])).expect_err("refused");
        assert!(matches!(err, StoreError::AckBeyondOutbox { high_water: 9, last_seq: 1 }));
        assert_eq!(s.last_acked_seq().expect("acked"), 0);
    }

    #[test]
    fn gaps_and_corrupt_payloads_are_typed_errors() {
        let mut s = store();
        for i in 1..=4 {
            act(&mut s, i);
        }
        s.conn.execute("UPDATE outbox SET payload = '{not json' WHERE device_seq = 2", []).expect("damage");
        assert!(matches!(s.pending_events(10), Err(StoreError::Corrupt { .. })));
        s.conn.execute("UPDATE outbox SET kind = 'no_such_kind', payload = '{}' WHERE device_seq = 2", []).expect("damage");
        assert!(matches!(s.pending_events(10), Err(StoreError::Corrupt { .. })));
        s.conn.execute("UPDATE outbox SET outcome = '[]' WHERE device_seq = 1", []).expect("damage");
        assert!(matches!(s.outcome(1), Err(StoreError::Corrupt { .. })));
        s.conn.execute("DELETE FROM counter_actions WHERE event_seq = 3", []).expect("delete row");
        s.conn.execute("DELETE FROM outbox WHERE device_seq = 3", []).expect("make a hole");
        assert!(matches!(s.check_outbox_contiguous(), Err(StoreError::OutboxGap { missing: 3, last: 4 })));
    }
}

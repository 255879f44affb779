//! Number leases: blocks of printed numbers that central grants this kiosk, per queue (hall and
//! service) per business day.
//!
//! Rules (docs/offline-store.md):
//! - a number is taken from the lowest-starting lease of the queue and day that still has numbers,
//!   and the lease's `next` is advanced in the same transaction that stores the ticket, so a number
//!   is never handed out twice, even across a crash; a crash before commit loses nothing, a crash
//!   after commit keeps the ticket (to be reprinted). Gaps are fine, reuse is not.
//! - a lease is stored once (idempotent by id); one that overlaps another lease of the same queue
//!   and day is refused, as using it could print a number twice.
//! - refill when the numbers left fall below half of the newest block.
//! - lease requests are persisted: the same request id is sent again until a lease for that queue and
//!   day arrives, so a lost answer does not burn a block at central.

use hall_protocol::api::{Lease, LeaseRequest};
use hall_protocol::{BusinessDay, DeviceId, HallId, ServiceCode};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::codec::{day_text, to_u32, to_u64};
use crate::error::{Context, StoreError};
use crate::store::Store;

/// How many numbers a queue has left on this kiosk for a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseStatus {
    /// Numbers not yet handed out, over all leases of the queue and day.
    pub left: u32,
    /// Size of the newest (highest-starting) lease; 0 when there is none.
    pub last_block_size: u32,
}

impl LeaseStatus {
    /// True when there is no lease, or fewer than half of the newest block's numbers are left.
    pub fn needs_refill(&self) -> bool {
        self.last_block_size == 0 || u64::from(self.left) * 2 < u64::from(self.last_block_size)
    }
}

/// Takes the next number of the lowest-starting lease with numbers left and advances it, in the
/// caller's transaction. `None` when the queue has no numbers left for the day.
pub(crate) fn take_number(conn: &Connection, hall: &HallId, service: &ServiceCode, day: &str) -> Result<Option<(u64, u32)>, StoreError> {
    // The lowest-starting lease is picked here rather than with `ORDER BY start_no LIMIT 1`: SQLite
    // re-prepares that statement on every run (the plan depends on the bound values), which cost
    // more than the whole rest of the transaction. A queue has one or two leases with numbers left.
    let mut best: Option<(i64, i64, i64)> = None;
    {
        let mut stmt = conn
            .prepare_cached("SELECT lease_id, next_no, start_no FROM leases WHERE hall = ?1 AND service = ?2 AND business_day = ?3 AND next_no <= end_no")
            .ctx("find a leased number")?;
        let mut rows = stmt.query(params![hall.as_str(), service.as_str(), day]).ctx("find a leased number")?;
        while let Some(r) = rows.next().ctx("find a leased number")? {
            let row: (i64, i64, i64) = (r.get(0).ctx("read lease")?, r.get(1).ctx("read lease")?, r.get(2).ctx("read lease")?);
            if best.is_none_or(|b| row.2 < b.2) {
                best = Some(row);
            }
        }
    }
    let found = best.map(|(id, n, _)| (id, n));
    let Some((id, n)) = found else { return Ok(None) };
    conn.prepare_cached("UPDATE leases SET next_no = ?2 WHERE lease_id = ?1").and_then(|mut s| s.execute(params![id, n + 1])).ctx("advance lease")?;
    Ok(Some((to_u64("lease id", id)?, to_u32("lease number", n)?)))
}

/// Counts one more ticket for the queue and day, in the caller's transaction, and, when
/// `fallback` is set, takes the next per-device fallback number. Returns this device's tickets for
/// the queue and day since central's last queue-length report (this one included) and the fallback
/// number (meaningful only with `fallback`).
pub(crate) fn count_ticket(conn: &Connection, hall: &HallId, service: &ServiceCode, day: &str, fallback: bool) -> Result<(u32, u32), StoreError> {
    // Upsert, then read back: `RETURNING` would build a temporary table on every run.
    conn.prepare_cached(
        "INSERT INTO queue_days (hall, service, business_day, issued, since_report, fallback_last) VALUES (?1, ?2, ?3, 1, 1, ?4)
         ON CONFLICT (hall, service, business_day) DO UPDATE
             SET issued = issued + 1, since_report = since_report + 1, fallback_last = fallback_last + excluded.fallback_last",
    )
    .and_then(|mut s| s.execute(params![hall.as_str(), service.as_str(), day, i64::from(fallback)]))
    .ctx("count ticket for its queue")?;
    let (since, fallback_last): (i64, i64) = conn
        .prepare_cached("SELECT since_report, fallback_last FROM queue_days WHERE hall = ?1 AND service = ?2 AND business_day = ?3")
        .and_then(|mut s| s.query_row(params![hall.as_str(), service.as_str(), day], |r| Ok((r.get(0)?, r.get(1)?))))
        .ctx("read queue counter")?;
    Ok((to_u32("tickets since report", since)?, to_u32("fallback counter", fallback_last)?))
}

pub(crate) fn status(conn: &Connection, hall: &HallId, service: &ServiceCode, day: &str) -> Result<LeaseStatus, StoreError> {
    let (left, last): (i64, i64) = conn
        .prepare_cached(
            "SELECT
                 (SELECT COALESCE(SUM(end_no - next_no + 1), 0) FROM leases WHERE hall = ?1 AND service = ?2 AND business_day = ?3),
                 (SELECT COALESCE((SELECT end_no - start_no + 1 FROM leases WHERE hall = ?1 AND service = ?2 AND business_day = ?3
                                   ORDER BY start_no DESC LIMIT 1), 0))",
        )
        .and_then(|mut s| s.query_row(params![hall.as_str(), service.as_str(), day], |r| Ok((r.get(0)?, r.get(1)?))))
        .ctx("read lease status")?;
    Ok(LeaseStatus { left: to_u32("numbers left", left)?, last_block_size: to_u32("lease size", last)? })
}

/// Stores `lease` in the caller's transaction (see [`Store::add_lease`] for the rules). Checks come
/// before any write, so a refused lease leaves the transaction untouched.
pub(crate) fn insert_lease(tx: &Connection, this: &DeviceId, lease: &Lease) -> Result<bool, StoreError> {
    if &lease.device_id != this {
        return Err(StoreError::LeaseForOtherDevice { lease_id: lease.lease_id, holder: lease.device_id.clone(), this: this.clone() });
    }
    let invalid = |reason: &str| StoreError::InvalidLease { lease_id: lease.lease_id, reason: reason.to_owned() };
    if lease.start == 0 {
        return Err(invalid("numbers start at 1"));
    }
    if lease.end < lease.start {
        return Err(invalid("its end is before its start"));
    }
    let id = i64::try_from(lease.lease_id).map_err(|_| invalid("its id is too large to store"))?;
    let day = day_text(&lease.business_day);
    let existing: Option<(String, String, String, i64, i64)> = tx
        .query_row("SELECT hall, service, business_day, start_no, end_no FROM leases WHERE lease_id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()
        .ctx("look up lease")?;
    let added = match existing {
        Some((hall, service, d, start, end)) => {
            let same =
                hall == lease.hall.as_str() && service == lease.service.as_str() && d == day && start == i64::from(lease.start) && end == i64::from(lease.end);
            if !same {
                return Err(StoreError::LeaseConflict {
                    lease_id: lease.lease_id,
                    reason: format!(
                        "stored {service} {d} {start}..={end} in hall {hall}, got {} {day} {}..={} in hall {}",
                        lease.service, lease.start, lease.end, lease.hall
                    ),
                });
            }
            false
        }
        None => {
            let other: Option<i64> = tx
                .query_row(
                    "SELECT lease_id FROM leases WHERE hall = ?1 AND service = ?2 AND business_day = ?3 AND start_no <= ?5 AND end_no >= ?4 LIMIT 1",
                    params![lease.hall.as_str(), lease.service.as_str(), day, lease.start, lease.end],
                    |r| r.get(0),
                )
                .optional()
                .ctx("check lease overlap")?;
            if let Some(other) = other {
                return Err(StoreError::LeaseOverlap { lease_id: lease.lease_id, other: to_u64("lease id", other)? });
            }
            tx.execute(
                "INSERT INTO leases (lease_id, hall, service, business_day, start_no, end_no, next_no) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)",
                params![id, lease.hall.as_str(), lease.service.as_str(), day, lease.start, lease.end],
            )
            .ctx("store lease")?;
            tracing::info!(lease = lease.lease_id, service = %lease.service, day = %day, start = lease.start, end = lease.end, "lease added");
            true
        }
    };
    tx.execute(
        "UPDATE lease_requests SET fulfilled_by = ?4 WHERE hall = ?1 AND service = ?2 AND business_day = ?3 AND fulfilled_by IS NULL",
        params![lease.hall.as_str(), lease.service.as_str(), day, id],
    )
    .ctx("resolve lease request")?;
    Ok(added)
}

impl Store {
    /// Stores a lease granted to this device. Idempotent by `lease_id`: returns `true` when it was
    /// new, `false` when the same lease was stored before. Resolves the queue's pending
    /// [`LeaseRequest`], so the next request gets a new id.
    ///
    /// Refused without storing anything: a lease for another device, an invalid range, the same id
    /// with different numbers, or a range overlapping another lease of the same queue and day.
    pub fn add_lease(&mut self, lease: &Lease) -> Result<bool, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin add lease")?;
        let added = insert_lease(&tx, &self.device, lease)?;
        tx.commit().ctx("commit lease")?;
        Ok(added)
    }

    /// Numbers left and the newest block's size for a queue and day.
    pub fn lease_status(&self, hall: &HallId, service: &ServiceCode, day: BusinessDay) -> Result<LeaseStatus, StoreError> {
        status(&self.conn, hall, service, &day_text(&day))
    }

    /// True when the queue has no lease for the day, or fewer than half of the newest block's numbers
    /// are left: time to ask central for more.
    pub fn needs_refill(&self, hall: &HallId, service: &ServiceCode, day: BusinessDay) -> Result<bool, StoreError> {
        Ok(self.lease_status(hall, service, day)?.needs_refill())
    }

    /// The lease request to send for a queue and day. The same request (same `request_id` and size)
    /// is returned until a lease for that queue and day has been added with [`Store::add_lease`]; then
    /// the next call persists a new request with a new id. Request ids are never reused.
    pub fn pending_lease_request(&mut self, hall: &HallId, service: &ServiceCode, day: BusinessDay, size: u32) -> Result<LeaseRequest, StoreError> {
        if size == 0 {
            return Err(StoreError::InvalidRequest("a lease request must ask for at least one number".into()));
        }
        let d = day_text(&day);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin lease request")?;
        let open: Option<(i64, i64)> = tx
            .query_row(
                "SELECT request_id, size FROM lease_requests WHERE hall = ?1 AND service = ?2 AND business_day = ?3 AND fulfilled_by IS NULL",
                params![hall.as_str(), service.as_str(), d],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ctx("look up lease request")?;
        let (id, size) = match open {
            Some((id, stored)) => (id, to_u32("lease request size", stored)?),
            None => {
                tx.execute(
                    "INSERT INTO lease_requests (hall, service, business_day, size) VALUES (?1, ?2, ?3, ?4)",
                    params![hall.as_str(), service.as_str(), d, size],
                )
                .ctx("store lease request")?;
                (tx.last_insert_rowid(), size)
            }
        };
        tx.commit().ctx("commit lease request")?;
        Ok(LeaseRequest {
            device_id: self.device.clone(),
            request_id: to_u64("lease request id", id)?,
            hall: hall.clone(),
            service: service.clone(),
            business_day: day,
            size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use hall_protocol::DeviceId;

    fn dev() -> DeviceId {
        DeviceId::new("kiosk-1").expect("id")
    }
    fn hall() -> HallId {
        HallId::new("xuhui").expect("id")
    }
    fn svc(s: &str) -> ServiceCode {
        ServiceCode::new(s).expect("code")
    }
    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }
    pub(crate) fn lease(id: u64, service: &str, d: u32, start: u32, end: u32) -> Lease {
        Lease { lease_id: id, device_id: dev(), hall: hall(), service: svc(service), business_day: day(d), start, end }
    }

    #[test]
    fn add_lease_is_idempotent_and_checked() {
        let mut s = Store::open_in_memory(dev()).expect("opens");
        assert!(s.add_lease(&lease(1, "a", 24, 1, 50)).expect("new"));
        assert!(!s.add_lease(&lease(1, "a", 24, 1, 50)).expect("again"));
        assert_eq!(s.lease_status(&hall(), &svc("a"), day(24)).expect("status"), LeaseStatus { left: 50, last_block_size: 50 });
        assert!(matches!(s.add_lease(&lease(1, "a", 24, 1, 60)), Err(StoreError::LeaseConflict { lease_id: 1, .. })));
        assert!(matches!(s.add_lease(&lease(2, "a", 24, 50, 60)), Err(StoreError::LeaseOverlap { lease_id: 2, other: 1 })));
        assert!(matches!(s.add_lease(&lease(3, "a", 24, 9, 8)), Err(StoreError::InvalidLease { .. })));
        assert!(matches!(s.add_lease(&lease(3, "a", 24, 0, 8)), Err(StoreError::InvalidLease { .. })));
        let mut other = lease(4, "a", 24, 100, 150);
        other.device_id = DeviceId::new("kiosk-2").expect("id");
        assert!(matches!(s.add_lease(&other), Err(StoreError::LeaseForOtherDevice { lease_id: 4, .. })));
        // Same numbers on another day or queue are a different block.
        assert!(s.add_lease(&lease(5, "a", 25, 1, 50)).expect("other day"));
        assert!(s.add_lease(&lease(6, "b", 24, 1, 50)).expect("other queue"));
        assert_eq!(s.lease_status(&hall(), &svc("a"), day(24)).expect("status").left, 50);
    }

    #[test]
    fn refill_at_half_use() {
        let mut s = Store::open_in_memory(dev()).expect("opens");
        assert!(s.needs_refill(&hall(), &svc("a"), day(24)).expect("no lease yet"));
        s.add_lease(&lease(1, "a", 24, 1, 10)).expect("added");
        let take = |s: &Store| take_number(&s.conn, &hall(), &svc("a"), "2026-11-24").expect("take");
        for n in 1..=5 {
            assert_eq!(take(&s), Some((1, n)));
        }
        // 5 of 10 left: not below half yet.
        assert!(!s.needs_refill(&hall(), &svc("a"), day(24)).expect("half left"));
        assert_eq!(take(&s), Some((1, 6)));
        assert!(s.needs_refill(&hall(), &svc("a"), day(24)).expect("below half"));
        // A new block: numbers continue from the old block first (lowest start), then the new one.
        s.add_lease(&lease(2, "a", 24, 41, 50)).expect("added");
        assert_eq!(s.lease_status(&hall(), &svc("a"), day(24)).expect("status"), LeaseStatus { left: 14, last_block_size: 10 });
        assert!(!s.needs_refill(&hall(), &svc("a"), day(24)).expect("refilled"));
        let got: Vec<_> = (0..14).map(|_| take(&s).expect("number").1).collect();
        assert_eq!(got, vec![7, 8, 9, 10, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
        assert_eq!(take(&s), None);
        assert_eq!(s.lease_status(&hall(), &svc("a"), day(24)).expect("status").left, 0);
    }

    #[test]
    fn lease_request_keeps_its_id_until_answered() {
        let mut s = Store::open_in_memory(dev()).expect("opens");
        let r1 = s.pending_lease_request(&hall(), &svc("a"), day(24), 50).expect("request");
        assert_eq!((r1.size, r1.device_id.as_str(), r1.business_day), (50, "kiosk-1", day(24)));
        // Answer lost: asking again gives the same request, even with another size.
        assert_eq!(s.pending_lease_request(&hall(), &svc("a"), day(24), 80).expect("again"), r1);
        // Another queue has its own request.
        let rb = s.pending_lease_request(&hall(), &svc("b"), day(24), 50).expect("other queue");
        assert_ne!(rb.request_id, r1.request_id);
        s.add_lease(&lease(1, "a", 24, 1, 50)).expect("answered");
        let r2 = s.pending_lease_request(&hall(), &svc("a"), day(24), 50).expect("next");
        assert!(r2.request_id > rb.request_id, "ids are never reused");
        assert_eq!(s.pending_lease_request(&hall(), &svc("b"), day(24), 50).expect("still open"), rb);
        assert!(matches!(s.pending_lease_request(&hall(), &svc("a"), day(24), 0), Err(StoreError::InvalidRequest(_))));
    }

    #[test]
    fn lease_request_survives_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let r1 = Store::open(&path, dev()).expect("opens").pending_lease_request(&hall(), &svc("a"), day(24), 50).expect("request");
        let mut s = Store::open(&path, dev()).expect("reopens");
        assert_eq!(s.pending_lease_request(&hall(), &svc("a"), day(24), 50).expect("same"), r1);
    }
}

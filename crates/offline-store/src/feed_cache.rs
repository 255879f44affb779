//! The local copy of what central publishes on the change feed: catalogue (halls, services, windows,
//! devices), this kiosk's leases, queue lengths, window states and recent calls. A page of changes
//! and the new cursor are stored in one transaction, so after a restart the device resumes the feed
//! exactly where it stopped and never applies a change twice.

use std::collections::BTreeSet;

use hall_protocol::feed::{CallInfo, WindowStatus};
use hall_protocol::{Change, ChangeBody, Device, DeviceId, Hall, HallId, Service, ServiceCode, TicketId, Window, WindowNo};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::codec::{from_json, to_i64, to_json, to_u32, to_u64};
use crate::error::{Context, StoreError};
use crate::lease::insert_lease;
use crate::outbox::sql_limit;
use crate::store::Store;

/// Calls kept per hall: enough for a board's history panel and a counter's recent list.
pub const CALLS_KEPT: usize = 200;

/// What [`Store::apply_changes`] did with a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedApplied {
    /// Changes stored.
    pub applied: usize,
    /// Changes at or below the stored cursor, already applied before (feed and push stream overlap).
    pub already_seen: usize,
    /// Changes not for this device (another device's lease) or of a kind this build does not know.
    pub ignored: usize,
    /// Changes refused with a reason (e.g. a lease that overlaps another); the cursor still moves past
    /// them so one bad change cannot stop the feed, and each is logged as an error.
    pub refused: Vec<(u64, String)>,
}

/// A window's live state, as last reported by central.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowState {
    /// Idle, serving or paused.
    pub state: WindowStatus,
    /// The ticket being served, if any.
    pub current: Option<TicketId>,
}

fn upsert(tx: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<(), StoreError> {
    tx.prepare_cached(sql).and_then(|mut s| s.execute(p)).ctx("store feed change")?;
    Ok(())
}

/// Applies one change; `Ok(false)` when it is not for this device.
fn apply_one(tx: &Connection, this: &DeviceId, local_seq: i64, change: &Change, halls_called: &mut BTreeSet<String>) -> Result<bool, StoreError> {
    let cursor = to_i64("feed cursor", change.cursor)?;
    match &change.body {
        ChangeBody::Hall(h) => upsert(
            tx,
            "INSERT INTO halls (id, data) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            params![h.id.as_str(), to_json("hall", h)?],
        )?,
        ChangeBody::Service(s) => upsert(
            tx,
            "INSERT INTO services (hall, code, data) VALUES (?1, ?2, ?3) ON CONFLICT (hall, code) DO UPDATE SET data = excluded.data",
            params![s.hall.as_str(), s.code.as_str(), to_json("service", s)?],
        )?,
        ChangeBody::Window(w) => upsert(
            tx,
            "INSERT INTO windows (hall, window_no, data) VALUES (?1, ?2, ?3) ON CONFLICT (hall, window_no) DO UPDATE SET data = excluded.data",
            params![w.hall.as_str(), w.no, to_json("window", w)?],
        )?,
        ChangeBody::Device(d) => upsert(
            tx,
            "INSERT INTO devices (id, data) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            params![d.id.as_str(), to_json("device", d)?],
        )?,
        ChangeBody::Lease(l) => {
            if &l.device_id != this {
                return Ok(false);
            }
            insert_lease(tx, this, l)?;
        }
        ChangeBody::Called(c) => {
            upsert(tx, "INSERT OR IGNORE INTO calls (cursor, hall, data) VALUES (?1, ?2, ?3)", params![cursor, c.hall.as_str(), to_json("call", c)?])?;
            halls_called.insert(c.hall.as_str().to_owned());
        }
        ChangeBody::QueueLength { hall, service, waiting } => {
            upsert(
                tx,
                "INSERT INTO queue_lengths (hall, service, waiting, local_seq, cursor) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (hall, service) DO UPDATE SET waiting = excluded.waiting, local_seq = excluded.local_seq, cursor = excluded.cursor",
                params![hall.as_str(), service.as_str(), waiting, local_seq, cursor],
            )?;
            // Central's count now covers every ticket this device issued so far.
            upsert(
                tx,
                "UPDATE queue_days SET since_report = 0 WHERE hall = ?1 AND service = ?2 AND since_report > 0",
                params![hall.as_str(), service.as_str()],
            )?;
        }
        ChangeBody::WindowState { hall, window, state, current } => upsert(
            tx,
            "INSERT INTO window_states (hall, window_no, data, cursor) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (hall, window_no) DO UPDATE SET data = excluded.data, cursor = excluded.cursor",
            params![hall.as_str(), window, to_json("window state", &WindowState { state: *state, current: current.clone() })?, cursor],
        )?,
        other => {
            tracing::debug!(cursor = change.cursor, change = ?other, "ignoring a change of a kind this build does not know");
            return Ok(false);
        }
    }
    Ok(true)
}

impl Store {
    /// Applies a page of feed changes (oldest first) and moves the cursor to `next_cursor`, in one
    /// transaction. Changes at or below the stored cursor are skipped, so the feed and the push stream
    /// may overlap. The cursor never moves backwards.
    ///
    /// A lease in the feed is stored as by [`Store::add_lease`]; one that breaks the lease rules is
    /// refused (listed in [`FeedApplied::refused`]) without stopping the rest of the page.
    pub fn apply_changes(&mut self, changes: &[Change], next_cursor: u64) -> Result<FeedApplied, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin apply feed")?;
        let (cursor, local_seq): (i64, i64) = tx
            .query_row("SELECT feed_cursor, (SELECT COALESCE(MAX(device_seq), 0) FROM outbox) FROM device_state WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .ctx("read feed cursor")?;
        let mut cursor = to_u64("feed cursor", cursor)?;
        let mut out = FeedApplied::default();
        let mut halls_called = BTreeSet::new();
        for change in changes {
            if change.cursor <= cursor {
                out.already_seen += 1;
                continue;
            }
            if change.device.as_ref().is_some_and(|d| d != &self.device) {
                out.ignored += 1;
            } else {
                match apply_one(&tx, &self.device, local_seq, change, &mut halls_called) {
                    Ok(true) => out.applied += 1,
                    Ok(false) => out.ignored += 1,
                    Err(e @ (StoreError::LeaseConflict { .. } | StoreError::LeaseOverlap { .. } | StoreError::InvalidLease { .. })) => {
                        tracing::error!(cursor = change.cursor, error = %e, "refused a change from central");
                        out.refused.push((change.cursor, e.to_string()));
                    }
                    Err(e) => return Err(e),
                }
            }
            cursor = change.cursor;
        }
        for hall in &halls_called {
            tx.execute(
                "DELETE FROM calls WHERE hall = ?1 AND cursor NOT IN (SELECT cursor FROM calls WHERE hall = ?1 ORDER BY cursor DESC LIMIT ?2)",
                params![hall, sql_limit(CALLS_KEPT)],
            )
            .ctx("trim old calls")?;
        }
        let cursor = cursor.max(next_cursor);
        tx.execute("UPDATE device_state SET feed_cursor = ?1 WHERE id = 1", [to_i64("feed cursor", cursor)?]).ctx("store feed cursor")?;
        tx.commit().ctx("commit feed page")?;
        Ok(out)
    }

    /// The feed cursor to ask from next (0 before the first page).
    pub fn feed_cursor(&self) -> Result<u64, StoreError> {
        let c: i64 = self.conn.query_row("SELECT feed_cursor FROM device_state WHERE id = 1", [], |r| r.get(0)).ctx("read feed cursor")?;
        to_u64("feed cursor", c)
    }

    fn json_rows<T: serde::de::DeserializeOwned>(&self, what: &str, sql: &str, p: impl rusqlite::Params) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).ctx("read feed cache")?;
        let mut rows = stmt.query(p).ctx("read feed cache")?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().ctx("read feed cache")? {
            let data: String = r.get(0).ctx("read feed cache")?;
            out.push(from_json(what, &data)?);
        }
        Ok(out)
    }

    /// A hall, if central has published it.
    pub fn hall(&self, id: &HallId) -> Result<Option<Hall>, StoreError> {
        Ok(self.json_rows("halls row", "SELECT data FROM halls WHERE id = ?1", [id.as_str()])?.into_iter().next())
    }

    /// The hall's services, by prefix letter.
    pub fn services(&self, hall: &HallId) -> Result<Vec<Service>, StoreError> {
        let mut v: Vec<Service> = self.json_rows("services row", "SELECT data FROM services WHERE hall = ?1", [hall.as_str()])?;
        if let Some(bad) = v.iter().find(|s| &s.hall != hall) {
            return Err(StoreError::corrupt("services row", format!("service {} filed under hall {hall} says hall {}", bad.code, bad.hall)));
        }
        v.sort_by(|a, b| (a.prefix, &a.code).cmp(&(b.prefix, &b.code)));
        Ok(v)
    }

    /// One service of the hall.
    pub fn service(&self, hall: &HallId, code: &ServiceCode) -> Result<Option<Service>, StoreError> {
        Ok(self.json_rows("services row", "SELECT data FROM services WHERE hall = ?1 AND code = ?2", [hall.as_str(), code.as_str()])?.into_iter().next())
    }

    /// The hall's windows, by number.
    pub fn windows(&self, hall: &HallId) -> Result<Vec<Window>, StoreError> {
        self.json_rows("windows row", "SELECT data FROM windows WHERE hall = ?1 ORDER BY window_no", [hall.as_str()])
    }

    /// A registered device (e.g. this kiosk, for its device number).
    pub fn device(&self, id: &DeviceId) -> Result<Option<Device>, StoreError> {
        Ok(self.json_rows("devices row", "SELECT data FROM devices WHERE id = ?1", [id.as_str()])?.into_iter().next())
    }

    /// Tickets waiting in a queue by central's last report (0 if none received yet).
    pub fn queue_length(&self, hall: &HallId, service: &ServiceCode) -> Result<u32, StoreError> {
        let n: Option<i64> = self
            .conn
            .prepare_cached("SELECT waiting FROM queue_lengths WHERE hall = ?1 AND service = ?2")
            .and_then(|mut s| s.query_row([hall.as_str(), service.as_str()], |r| r.get(0)).optional())
            .ctx("read queue length")?;
        n.map_or(Ok(0), |n| to_u32("queue length", n))
    }

    /// Every queue length central has reported for the hall, by service code.
    pub fn queue_lengths(&self, hall: &HallId) -> Result<Vec<(ServiceCode, u32)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT service, waiting FROM queue_lengths WHERE hall = ?1 ORDER BY service").ctx("read queue lengths")?;
        let mut rows = stmt.query([hall.as_str()]).ctx("read queue lengths")?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().ctx("read queue lengths")? {
            let code: String = r.get(0).ctx("read queue lengths")?;
            let n: i64 = r.get(1).ctx("read queue lengths")?;
            out.push((crate::codec::parse_text("queue_lengths row", &code)?, to_u32("queue length", n)?));
        }
        Ok(out)
    }

    /// Up to `limit` most recent calls in the hall, newest first (at most [`CALLS_KEPT`] are kept).
    pub fn recent_calls(&self, hall: &HallId, limit: usize) -> Result<Vec<CallInfo>, StoreError> {
        self.json_rows("calls row", "SELECT data FROM calls WHERE hall = ?1 ORDER BY cursor DESC LIMIT ?2", params![hall.as_str(), sql_limit(limit)])
    }

    /// A window's last reported state.
    pub fn window_state(&self, hall: &HallId, window: WindowNo) -> Result<Option<WindowState>, StoreError> {
        Ok(self
            .json_rows("window_states row", "SELECT data FROM window_states WHERE hall = ?1 AND window_no = ?2", params![hall.as_str(), window])?
            .into_iter()
            .next())
    }
}

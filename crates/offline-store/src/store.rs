//! Opening the store: pragmas, migrations, the device it belongs to, the persisted clock, settings
//! and health checks.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hall_protocol::{DeviceId, Hlc, HlcClock};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::codec::{epoch_ms, hlc_from, to_i64, to_u64};
use crate::error::{Context, StoreError};
use crate::schema::{self, SCHEMA_VERSION};

/// How long a writer waits for another process holding the write lock (e.g. `kiosk ticket` while
/// `kiosk run` is syncing) before giving up with a busy error.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection; comfortably more than the store has distinct queries.
const STATEMENT_CACHE: usize = 64;

/// One device's local store. See the crate documentation.
///
/// All writes take `&mut self` and run in one SQLite transaction each. Several `Store`s (or processes)
/// may open the same file: every write takes the write lock first (`BEGIN IMMEDIATE`) and reads the
/// clock and sequence inside it, so they never hand out the same sequence number or ticket number.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) device: DeviceId,
}

impl Store {
    /// Opens (creating if needed) the store file at `path` for `device_id`, upgrading an older schema.
    ///
    /// Fails with [`StoreError::SchemaTooNew`] for a file written by a newer build and
    /// [`StoreError::DeviceMismatch`] for a file that belongs to another device.
    pub fn open(path: &Path, device_id: DeviceId) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        Self::setup(conn, device_id, true)
    }

    /// An empty store in memory, for tests and simulations. Nothing survives the `Store`.
    pub fn open_in_memory(device_id: DeviceId) -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().ctx("open in-memory store")?;
        Self::setup(conn, device_id, false)
    }

    fn setup(mut conn: Connection, device: DeviceId, on_disk: bool) -> Result<Self, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT).ctx("set busy timeout")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        if on_disk {
            // WAL: readers (status, board) never block the writer. synchronous=FULL: a commit is on
            // disk before it returns, so a ticket is durable before it is printed (power cut safe).
            let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).ctx("enable WAL")?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::corrupt("journal_mode", format!("SQLite refused WAL mode (got {mode:?}); is the file on a network filesystem?")));
            }
        }
        conn.pragma_update(None, "synchronous", "FULL").ctx("set synchronous=FULL")?;
        conn.pragma_update(None, "foreign_keys", true).ctx("enable foreign keys")?;
        schema::migrate_to(&mut conn, SCHEMA_VERSION)?;

        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin device check")?;
        let stored: Option<String> = tx.query_row("SELECT device_id FROM device_state WHERE id = 1", [], |r| r.get(0)).optional().ctx("read device id")?;
        match stored {
            Some(s) if s == device.as_str() => {}
            Some(stored) => return Err(StoreError::DeviceMismatch { stored, given: device }),
            None => {
                tx.execute("INSERT INTO device_state (id, device_id) VALUES (1, ?1)", [device.as_str()]).ctx("record device id")?;
                tracing::info!(device = %device, "new device store");
            }
        }
        tx.commit().ctx("commit device check")?;
        Ok(Self { conn, device })
    }

    /// The device this store belongs to.
    pub fn device_id(&self) -> &DeviceId {
        &self.device
    }

    /// The schema version of the open file (always the current one after [`Store::open`]).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema::stored_version(&self.conn)
    }

    /// The newest HLC timestamp this device issued or observed (persisted).
    pub fn hlc(&self) -> Result<Hlc, StoreError> {
        read_clock(&self.conn).map(|(c, _)| c.last())
    }

    /// Merges a timestamp from central (feed page, push ack, health) at local time `now`, so the next
    /// local event sorts after everything central has seen. Persisted before it returns.
    pub fn observe_hlc(&mut self, remote: Hlc, now: DateTime<Utc>) -> Result<Hlc, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin observe clock")?;
        let (mut clock, _) = read_clock(&tx)?;
        let merged = clock.observe(remote, epoch_ms(&now));
        write_clock(&tx, &clock)?;
        tx.commit().ctx("commit observe clock")?;
        Ok(merged)
    }

    /// A setting (e.g. `device_no`, `last_central_contact`), if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn.prepare_cached("SELECT value FROM settings WHERE key = ?1").and_then(|mut s| s.query_row([key], |r| r.get(0)).optional()).ctx("read setting")
    }

    /// Sets (or replaces) a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .and_then(|mut s| s.execute([key, value]))
            .ctx("write setting")?;
        Ok(())
    }

    /// Removes a setting; true if it was set.
    pub fn remove_setting(&mut self, key: &str) -> Result<bool, StoreError> {
        let n = self.conn.execute("DELETE FROM settings WHERE key = ?1", [key]).ctx("remove setting")?;
        Ok(n > 0)
    }

    /// Runs `PRAGMA integrity_check` and fails unless SQLite answers `ok`.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check").ctx("integrity check")?;
        let rows: Vec<String> = stmt.query_map([], |r| r.get(0)).ctx("integrity check")?.collect::<Result<_, _>>().ctx("integrity check")?;
        if rows.len() == 1 && rows[0] == "ok" { Ok(()) } else { Err(StoreError::IntegrityCheck(rows.join("; "))) }
    }
}

/// Reads the persisted clock. The newest timestamp lives in one of two places: the last outbox row
/// (every event stamps one, so issuing a ticket need not rewrite `device_state` as well) or
/// `device_state` (timestamps observed from central). Call inside the write transaction that uses it.
pub(crate) fn read_clock(conn: &Connection) -> Result<(HlcClock, u64), StoreError> {
    let (dw, dl, seq, ow, ol): (i64, i64, i64, i64, i64) = conn
        .prepare_cached(
            "SELECT d.hlc_wall_ms, d.hlc_logical, COALESCE(o.device_seq, 0), COALESCE(o.hlc_wall_ms, 0), COALESCE(o.hlc_logical, 0)
             FROM device_state d LEFT JOIN (SELECT device_seq, hlc_wall_ms, hlc_logical FROM outbox ORDER BY device_seq DESC LIMIT 1) o
             WHERE d.id = 1",
        )
        .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))))
        .ctx("read clock and last sequence number")?;
    let last = hlc_from("device_state clock", dw, dl)?.max(hlc_from("outbox clock", ow, ol)?);
    Ok((HlcClock::resume(last), to_u64("outbox device_seq", seq)?))
}

pub(crate) fn write_clock(conn: &Connection, clock: &HlcClock) -> Result<(), StoreError> {
    let last = clock.last();
    let wall = to_i64("clock", last.wall_ms)?;
    conn.prepare_cached("UPDATE device_state SET hlc_wall_ms = ?1, hlc_logical = ?2 WHERE id = 1")
        .and_then(|mut s| s.execute(params![wall, last.logical]))
        .ctx("write clock")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(s: &str) -> DeviceId {
        DeviceId::new(s).expect("valid id")
    }

    #[test]
    fn file_store_uses_wal_and_full_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.db"), dev("kiosk-1")).expect("opens");
        let mode: String = store.conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).expect("mode");
        assert_eq!(mode, "wal");
        let sync: i64 = store.conn.pragma_query_value(None, "synchronous", |r| r.get(0)).expect("sync");
        assert_eq!(sync, 2, "synchronous=FULL");
        let fk: i64 = store.conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).expect("fk");
        assert_eq!(fk, 1);
        assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
        store.integrity_check().expect("ok");
    }

    #[test]
    fn a_store_belongs_to_one_device() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        drop(Store::open(&path, dev("kiosk-1")).expect("opens"));
        let err = Store::open(&path, dev("kiosk-2")).expect_err("other device refused");
        assert!(matches!(&err, StoreError::DeviceMismatch { stored, given } if stored == "kiosk-1" && given.as_str() == "kiosk-2"), "{err}");
        Store::open(&path, dev("kiosk-1")).expect("own device reopens");
    }

    #[test]
    fn newer_schema_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        drop(Store::open(&path, dev("kiosk-1")).expect("opens"));
        Connection::open(&path).expect("raw").pragma_update(None, "user_version", SCHEMA_VERSION + 5).expect("bump");
        let err = Store::open(&path, dev("kiosk-1")).expect_err("refused");
        assert!(matches!(err, StoreError::SchemaTooNew { .. }));
        assert!(err.to_string().contains("newer hallkit"), "{err}");
    }

    #[test]
    fn clock_is_persisted_and_merges_central() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let now = DateTime::from_timestamp_millis(1_000).expect("valid");
        {
            let mut store = Store::open(&path, dev("kiosk-1")).expect("opens");
            assert_eq!(store.hlc().expect("hlc"), Hlc::default());
            // Central is ahead of our wall clock: we move past it.
            let merged = store.observe_hlc(Hlc::new(5_000, 7), now).expect("observe");
            assert_eq!(merged, Hlc::new(5_000, 8));
        }
        let store = Store::open(&path, dev("kiosk-1")).expect("reopens");
        assert_eq!(store.hlc().expect("hlc"), Hlc::new(5_000, 8));
    }

    #[test]
    fn settings_round_trip() {
        let mut store = Store::open_in_memory(dev("kiosk-1")).expect("opens");
        assert_eq!(store.setting("device_no").expect("read"), None);
        store.set_setting("device_no", "3").expect("write");
        store.set_setting("device_no", "4").expect("overwrite");
        assert_eq!(store.setting("device_no").expect("read").as_deref(), Some("4"));
        assert!(store.remove_setting("device_no").expect("remove"));
        assert!(!store.remove_setting("device_no").expect("remove again"));
    }

    #[test]
    fn a_damaged_file_gives_a_typed_error() {
        use std::io::{Seek, SeekFrom, Write};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        {
            let mut store = Store::open(&path, dev("counter-1")).expect("opens");
            let hall = hall_protocol::HallId::new("h").expect("id");
            for i in 0..300 {
                store.record_counter_action(&hall, 1, &hall_protocol::CounterAction::Recall, DateTime::from_timestamp_millis(i).expect("t")).expect("write");
            }
            // Closing the last connection checkpoints the WAL into the main file.
        }
        let page_size = 4096u64;
        let len = std::fs::metadata(&path).expect("meta").len();
        assert!(len >= 6 * page_size, "enough pages to damage one in the middle");
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).expect("open file");
        f.seek(SeekFrom::Start((len / page_size / 2) * page_size)).expect("seek");
        f.write_all(&[0xAB; 4096]).expect("scribble");
        drop(f);
        // Either opening or the check must fail, with an error, not a panic.
        let result = Store::open(&path, dev("counter-1")).and_then(|s| s.integrity_check());
        assert!(matches!(result, Err(StoreError::IntegrityCheck(_) | StoreError::Sqlite { .. } | StoreError::Open { .. })), "{result:?}");
    }

    #[test]
    fn store_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<Store>();
    }
}

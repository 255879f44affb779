//! The SQLite backend: one database file in WAL mode with `synchronous=FULL` (a committed batch
//! survives a power cut), versioned migrations in `PRAGMA user_version`.
//!
//! A serving central holds an exclusive lock on a small companion file (`<db>.lock`) for as long
//! as it runs, so that a second central (or `central catalogue load`) cannot write the same
//! database behind its back: the queue engine lives in memory, and a write it did not see would
//! make its state differ from what a restart rebuilds. Read-only tools (`central export`) do not
//! take the lock.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, SubsecRound, Utc};
use hall_protocol::api::Lease;
use hall_protocol::{
    Application, ApplicationStatus, Appointment, Catalogue, Change, ChangeBody, Device, DeviceId, DeviceRole, EvaluationLevel, EventOutcome, Hall, HallId, Hlc,
    Priority, Service, ServiceCode, TicketId, Window, WindowNo,
};
use rusqlite::types::Type;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};

use super::schema::MIGRATIONS;
use super::{CentralStore, NewLease, StoreError, StoreRead, StoreResult, StoreWrite};
use crate::engine_log::EngineInput;
use crate::records::{Call, CallEnd, Evaluation, Ticket, TicketState};

/// The SQLite backend. See the [module docs](self).
pub struct SqliteStore {
    conn: Connection,
    /// The file, for opening more readers; `None` in memory.
    path: Option<PathBuf>,
    /// Held while this handle (the writer) lives.
    _owner: Option<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` for a serving central: takes the owner
    /// lock, sets WAL and `synchronous=FULL`, and applies missing migrations.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let owner = take_owner_lock(path)?;
        let conn = Connection::open(path)?;
        configure(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let mut store = Self { conn, path: Some(path.to_owned()), _owner: Some(owner) };
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database for reading only, without the owner lock and without migrating
    /// (for `central export`, which may run next to a serving central).
    pub fn open_read_only(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version != SCHEMA_VERSION {
            return Err(if version > SCHEMA_VERSION {
                StoreError::NewerSchema { found: version, known: SCHEMA_VERSION }
            } else {
                StoreError::Corrupt(format!("schema version {version}; open it once with `central serve` to upgrade it to {SCHEMA_VERSION}"))
            });
        }
        Ok(Self { conn, path: None, _owner: None })
    }

    /// A fresh in-memory database (for tests and the in-process demo). It cannot be shared with
    /// other handles, so [`CentralStore::reader`] gives `None`.
    pub fn open_in_memory() -> StoreResult<Self> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        let mut store = Self { conn, path: None, _owner: None };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> StoreResult<i64> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> StoreResult<()> {
        let version = self.schema_version()?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { found: version, known: SCHEMA_VERSION });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
            tracing::info!(version = i + 1, "database schema migrated");
        }
        Ok(())
    }
}

fn configure(conn: &Connection) -> StoreResult<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Takes the owner lock: an exclusive SQLite lock on `<db>.lock`, held until the returned
/// connection is dropped (also by the OS if the process dies).
fn take_owner_lock(db: &Path) -> StoreResult<Connection> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let lock = Connection::open(PathBuf::from(name))?;
    lock.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let taken = lock
        .execute_batch("CREATE TABLE IF NOT EXISTS owner (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL)")
        .and_then(|()| lock.execute("INSERT OR REPLACE INTO owner (id, pid) VALUES (1, ?1)", [std::process::id()]));
    match taken {
        Ok(_) => Ok(lock),
        Err(rusqlite::Error::SqliteFailure(e, _)) if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            Err(StoreError::InUse(db.display().to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

impl CentralStore for SqliteStore {
    fn read(&mut self) -> StoreResult<Box<dyn StoreRead + '_>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        Ok(Box::new(SqliteTx { tx }))
    }

    fn write(&mut self) -> StoreResult<Box<dyn StoreWrite + '_>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx { tx }))
    }

    fn reader(&self) -> StoreResult<Option<Box<dyn CentralStore>>> {
        let Some(path) = &self.path else { return Ok(None) };
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        configure(&conn)?;
        conn.pragma_update(None, "query_only", "ON")?;
        Ok(Some(Box::new(SqliteStore { conn, path: Some(path.clone()), _owner: None })))
    }
}

/// A transaction on the SQLite database.
struct SqliteTx<'c> {
    tx: rusqlite::Transaction<'c>,
}

// ----- conversions -----

/// Time as stored: RFC 3339, UTC, microseconds, `Z`; fixed width so text order is time order.
pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn bad(i: usize, what: impl Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, Type::Text, what.to_string().into())
}

/// A text column parsed with `FromStr`.
fn parsed<T>(row: &Row<'_>, i: usize) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: Display,
{
    let s: String = row.get(i)?;
    s.parse().map_err(|e| bad(i, format!("{s:?}: {e}")))
}

fn parsed_opt<T>(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<T>>
where
    T: FromStr,
    T::Err: Display,
{
    let s: Option<String> = row.get(i)?;
    s.map(|s| s.parse().map_err(|e| bad(i, format!("{s:?}: {e}")))).transpose()
}

fn json<T: serde::de::DeserializeOwned>(row: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = row.get(i)?;
    serde_json::from_str(&s).map_err(|e| bad(i, e))
}

fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("cannot encode a value as JSON: {e}")))
}

fn prefix_of(row: &Row<'_>, i: usize) -> rusqlite::Result<char> {
    let s: String = row.get(i)?;
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(bad(i, format!("prefix {s:?} is not one letter"))),
    }
}

fn role_of(row: &Row<'_>, i: usize) -> rusqlite::Result<DeviceRole> {
    let s: String = row.get(i)?;
    Ok(match s.as_str() {
        "kiosk" => DeviceRole::Kiosk,
        "board" => DeviceRole::Board,
        "counter" => DeviceRole::Counter,
        _ => return Err(bad(i, format!("unknown device role {s:?}"))),
    })
}

fn priority_of(row: &Row<'_>, i: usize) -> rusqlite::Result<Priority> {
    let s: String = row.get(i)?;
    s.parse().map_err(|e: String| bad(i, e))
}

fn u64_of(row: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    let v: i64 = row.get(i)?;
    u64::try_from(v).map_err(|_| bad(i, format!("negative value {v}")))
}

fn u32_of(row: &Row<'_>, i: usize) -> rusqlite::Result<u32> {
    let v: i64 = row.get(i)?;
    u32::try_from(v).map_err(|_| bad(i, format!("value {v} out of range")))
}

fn window_no_of(row: &Row<'_>, i: usize) -> rusqlite::Result<WindowNo> {
    let v: i64 = row.get(i)?;
    WindowNo::try_from(v).map_err(|_| bad(i, format!("window number {v} out of range")))
}

fn i64_of(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt(format!("number {v} is too large to store")))
}

fn collect<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> StoreResult<Vec<T>> {
    rows.map(|r| r.map_err(StoreError::from)).collect()
}

// ----- row readers -----

const TICKET_COLUMNS: &str =
    "id, hall, service, issued_service, business_day, number, priority, issued_hlc_wall, issued_hlc_logical, issued_at, lease_id, state";

fn ticket_row(row: &Row<'_>) -> rusqlite::Result<Ticket> {
    let state: String = row.get(11)?;
    Ok(Ticket {
        ticket_id: parsed(row, 0)?,
        hall: parsed(row, 1)?,
        service: parsed(row, 2)?,
        issued_service: parsed(row, 3)?,
        business_day: parsed(row, 4)?,
        number: parsed(row, 5)?,
        priority: priority_of(row, 6)?,
        issued_hlc: Hlc::new(u64_of(row, 7)?, u32_of(row, 8)?),
        issued_at: parsed(row, 9)?,
        lease_id: row.get::<_, Option<i64>>(10)?.map(|v| u64::try_from(v).map_err(|_| bad(10, "negative lease id"))).transpose()?,
        state: TicketState::parse(&state).ok_or_else(|| bad(11, format!("unknown ticket state {state:?}")))?,
    })
}

const CALL_COLUMNS: &str = "hall, window, ticket_id, number, service, business_day, called_at, recalls, ended_at, outcome, transferred_to";

fn call_row(row: &Row<'_>) -> rusqlite::Result<Call> {
    let outcome: Option<String> = row.get(9)?;
    Ok(Call {
        hall: parsed(row, 0)?,
        window: window_no_of(row, 1)?,
        ticket_id: parsed(row, 2)?,
        number: parsed(row, 3)?,
        service: parsed(row, 4)?,
        business_day: parsed(row, 5)?,
        called_at: parsed(row, 6)?,
        recalls: u32_of(row, 7)?,
        ended_at: parsed_opt(row, 8)?,
        outcome: outcome.map(|s| CallEnd::parse(&s).ok_or_else(|| bad(9, format!("unknown call outcome {s:?}")))).transpose()?,
        transferred_to: parsed_opt(row, 10)?,
    })
}

const EVALUATION_COLUMNS: &str = "ticket_id, hall, business_day, window, level, comment, device_id, at";

fn evaluation_row(row: &Row<'_>) -> rusqlite::Result<Evaluation> {
    let level: i64 = row.get(4)?;
    Ok(Evaluation {
        ticket_id: parsed(row, 0)?,
        hall: parsed(row, 1)?,
        business_day: parsed(row, 2)?,
        window: row.get::<_, Option<i64>>(3)?.map(|v| WindowNo::try_from(v).map_err(|_| bad(3, "window out of range"))).transpose()?,
        level: u8::try_from(level).ok().and_then(EvaluationLevel::from_score).ok_or_else(|| bad(4, format!("evaluation level {level}")))?,
        comment: row.get(5)?,
        device_id: parsed(row, 6)?,
        at: parsed(row, 7)?,
    })
}

const APPOINTMENT_COLUMNS: &str = "id, hall, service, day, slot, name_masked, id_masked, ticket_id";

fn appointment_row(row: &Row<'_>) -> rusqlite::Result<Appointment> {
    Ok(Appointment {
        id: row.get(0)?,
        hall: parsed(row, 1)?,
        service: parsed(row, 2)?,
        day: parsed(row, 3)?,
        slot: row.get(4)?,
        name_masked: row.get(5)?,
        id_masked: row.get(6)?,
        ticket: parsed_opt(row, 7)?,
    })
}

const LEASE_COLUMNS: &str = r#"id, device_id, hall, service, business_day, start, "end""#;

fn lease_row(row: &Row<'_>) -> rusqlite::Result<Lease> {
    Ok(Lease {
        lease_id: u64_of(row, 0)?,
        device_id: parsed(row, 1)?,
        hall: parsed(row, 2)?,
        service: parsed(row, 3)?,
        business_day: parsed(row, 4)?,
        start: u32_of(row, 5)?,
        end: u32_of(row, 6)?,
    })
}

fn device_row(row: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: parsed(row, 0)?,
        hall: parsed(row, 1)?,
        role: role_of(row, 2)?,
        window: row.get::<_, Option<i64>>(3)?.map(|v| WindowNo::try_from(v).map_err(|_| bad(3, "window out of range"))).transpose()?,
        device_no: u32_of(row, 4)?,
        revoked: row.get(5)?,
    })
}

fn service_row(row: &Row<'_>) -> rusqlite::Result<Service> {
    Ok(Service { hall: parsed(row, 0)?, code: parsed(row, 1)?, name: row.get(2)?, prefix: prefix_of(row, 3)?, materials: json(row, 4)?, enabled: row.get(5)? })
}

fn window_row(row: &Row<'_>) -> rusqlite::Result<Window> {
    Ok(Window { hall: parsed(row, 0)?, no: window_no_of(row, 1)?, name: row.get(2)?, profile: json(row, 3)? })
}

fn hall_text(hall: Option<&HallId>) -> Option<&str> {
    hall.map(HallId::as_str)
}

impl SqliteTx<'_> {
    fn application_history(&self, no: &str) -> StoreResult<Vec<ApplicationStatus>> {
        let mut st = self.tx.prepare_cached("SELECT at, status, note FROM application_status WHERE no = ?1 ORDER BY id")?;
        let rows = st.query_map([no], |r| Ok(ApplicationStatus { at: parsed(r, 0)?, status: r.get(1)?, note: r.get(2)? }))?;
        collect(rows)
    }

    fn applications_where(&self, sql_where: &str, param: &dyn rusqlite::ToSql) -> StoreResult<Vec<Application>> {
        let sql = format!("SELECT no, hall, service, title, name_masked, id_masked FROM applications WHERE {sql_where}");
        let mut st = self.tx.prepare_cached(&sql)?;
        let rows = st.query_map([param], |r| {
            Ok(Application {
                no: r.get(0)?,
                hall: parsed(r, 1)?,
                service: parsed(r, 2)?,
                title: r.get(3)?,
                name_masked: r.get(4)?,
                id_masked: r.get(5)?,
                history: Vec::new(),
            })
        })?;
        let mut apps = collect(rows)?;
        for app in &mut apps {
            app.history = self.application_history(&app.no)?;
        }
        Ok(apps)
    }
}

impl StoreRead for SqliteTx<'_> {
    fn meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    fn catalogue(&self, hall: Option<&HallId>) -> StoreResult<Catalogue> {
        let h = hall_text(hall);
        let mut st = self.tx.prepare_cached("SELECT id, name FROM halls WHERE ?1 IS NULL OR id = ?1 ORDER BY id")?;
        let halls = collect(st.query_map([h], |r| Ok(Hall { id: parsed(r, 0)?, name: r.get(1)? }))?)?;
        let mut st = self
            .tx
            .prepare_cached("SELECT hall, code, name, prefix, materials, enabled FROM services WHERE ?1 IS NULL OR hall = ?1 ORDER BY hall, prefix, code")?;
        let services = collect(st.query_map([h], service_row)?)?;
        let mut st = self.tx.prepare_cached("SELECT hall, no, name, profile FROM windows WHERE ?1 IS NULL OR hall = ?1 ORDER BY hall, no")?;
        let windows = collect(st.query_map([h], window_row)?)?;
        let mut st =
            self.tx.prepare_cached("SELECT id, hall, role, window, device_no, revoked FROM devices WHERE ?1 IS NULL OR hall = ?1 ORDER BY device_no")?;
        let devices = collect(st.query_map([h], device_row)?)?;
        Ok(Catalogue { halls, services, windows, devices })
    }

    fn hall(&self, id: &HallId) -> StoreResult<Option<Hall>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id, name FROM halls WHERE id = ?1")?
            .query_row([id.as_str()], |r| Ok(Hall { id: parsed(r, 0)?, name: r.get(1)? }))
            .optional()?)
    }

    fn service(&self, hall: &HallId, code: &ServiceCode) -> StoreResult<Option<Service>> {
        Ok(self
            .tx
            .prepare_cached("SELECT hall, code, name, prefix, materials, enabled FROM services WHERE hall = ?1 AND code = ?2")?
            .query_row([hall.as_str(), code.as_str()], service_row)
            .optional()?)
    }

    fn window(&self, hall: &HallId, no: WindowNo) -> StoreResult<Option<Window>> {
        Ok(self
            .tx
            .prepare_cached("SELECT hall, no, name, profile FROM windows WHERE hall = ?1 AND no = ?2")?
            .query_row(params![hall.as_str(), no], window_row)
            .optional()?)
    }

    fn device(&self, id: &DeviceId) -> StoreResult<Option<Device>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id, hall, role, window, device_no, revoked FROM devices WHERE id = ?1")?
            .query_row([id.as_str()], device_row)
            .optional()?)
    }

    fn max_device_no(&self) -> StoreResult<u32> {
        Ok(self.tx.query_row("SELECT COALESCE(MAX(device_no), 0) FROM devices", [], |r| u32_of(r, 0))?)
    }

    fn high_water(&self, device: &DeviceId) -> StoreResult<u64> {
        Ok(self
            .tx
            .prepare_cached("SELECT high_water FROM device_marks WHERE device_id = ?1")?
            .query_row([device.as_str()], |r| u64_of(r, 0))
            .optional()?
            .unwrap_or(0))
    }

    fn outcomes(&self, device: &DeviceId, from: u64, to: u64) -> StoreResult<Vec<(u64, EventOutcome)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT device_seq, outcome FROM applied_events WHERE device_id = ?1 AND device_seq BETWEEN ?2 AND ?3 ORDER BY device_seq")?;
        let rows = st.query_map(params![device.as_str(), i64_of(from)?, i64_of(to)?], |r| Ok((u64_of(r, 0)?, json(r, 1)?)))?;
        collect(rows)
    }

    fn changes_after(&self, after: u64, device: Option<&DeviceId>, limit: usize) -> StoreResult<Vec<Change>> {
        let mut st = self.tx.prepare_cached(
            "SELECT cursor, at, device_id, body FROM changes WHERE cursor > ?1 AND (device_id IS NULL OR device_id = ?2) ORDER BY cursor LIMIT ?3",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = st.query_map(params![i64_of(after)?, device.map(DeviceId::as_str), limit], |r| {
            Ok(Change { cursor: u64_of(r, 0)?, at: parsed(r, 1)?, device: parsed_opt(r, 2)?, body: json(r, 3)? })
        })?;
        collect(rows)
    }

    fn ticket(&self, id: &TicketId) -> StoreResult<Option<Ticket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?1");
        Ok(self.tx.prepare_cached(&sql)?.query_row([id.to_string()], ticket_row).optional()?)
    }

    fn tickets(&self, day: NaiveDate, hall: Option<&HallId>) -> StoreResult<Vec<Ticket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE business_day = ?1 AND (?2 IS NULL OR hall = ?2) ORDER BY issued_at, id");
        let mut st = self.tx.prepare_cached(&sql)?;
        collect(st.query_map(params![day_text(day), hall_text(hall)], ticket_row)?)
    }

    fn calls(&self, day: NaiveDate, hall: Option<&HallId>) -> StoreResult<Vec<Call>> {
        let sql = format!("SELECT {CALL_COLUMNS} FROM calls WHERE business_day = ?1 AND (?2 IS NULL OR hall = ?2) ORDER BY called_at, id");
        let mut st = self.tx.prepare_cached(&sql)?;
        collect(st.query_map(params![day_text(day), hall_text(hall)], call_row)?)
    }

    fn last_window(&self, ticket: &TicketId) -> StoreResult<Option<WindowNo>> {
        Ok(self
            .tx
            .prepare_cached("SELECT window FROM calls WHERE ticket_id = ?1 ORDER BY id DESC LIMIT 1")?
            .query_row([ticket.to_string()], |r| window_no_of(r, 0))
            .optional()?)
    }

    fn evaluations(&self, day: NaiveDate, hall: Option<&HallId>) -> StoreResult<Vec<Evaluation>> {
        let sql = format!("SELECT {EVALUATION_COLUMNS} FROM evaluations WHERE business_day = ?1 AND (?2 IS NULL OR hall = ?2) ORDER BY at, ticket_id");
        let mut st = self.tx.prepare_cached(&sql)?;
        collect(st.query_map(params![day_text(day), hall_text(hall)], evaluation_row)?)
    }

    fn appointment(&self, id: &str) -> StoreResult<Option<Appointment>> {
        let sql = format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE id = ?1");
        Ok(self.tx.prepare_cached(&sql)?.query_row([id], appointment_row).optional()?)
    }

    fn appointments(&self, day: NaiveDate, hall: Option<&HallId>) -> StoreResult<Vec<Appointment>> {
        let sql = format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE day = ?1 AND (?2 IS NULL OR hall = ?2) ORDER BY slot, id");
        let mut st = self.tx.prepare_cached(&sql)?;
        collect(st.query_map(params![day_text(day), hall_text(hall)], appointment_row)?)
    }

    fn appointments_by_digest(&self, digest: &[u8]) -> StoreResult<Vec<Appointment>> {
        let sql = format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE id_digest = ?1 ORDER BY day, slot, id");
        let mut st = self.tx.prepare_cached(&sql)?;
        collect(st.query_map([digest], appointment_row)?)
    }

    fn application(&self, no: &str) -> StoreResult<Option<Application>> {
        Ok(self.applications_where("no = ?1", &no)?.into_iter().next())
    }

    fn applications_by_digest(&self, digest: &[u8]) -> StoreResult<Vec<Application>> {
        self.applications_where("id_digest = ?1 ORDER BY created_at DESC, no", &digest)
    }

    fn lease(&self, id: u64) -> StoreResult<Option<Lease>> {
        let sql = format!("SELECT {LEASE_COLUMNS} FROM leases WHERE id = ?1");
        Ok(self.tx.prepare_cached(&sql)?.query_row([i64_of(id)?], lease_row).optional()?)
    }

    fn lease_by_request(&self, device: &DeviceId, request_id: u64) -> StoreResult<Option<Lease>> {
        let sql = format!("SELECT {LEASE_COLUMNS} FROM leases WHERE device_id = ?1 AND request_id = ?2");
        Ok(self.tx.prepare_cached(&sql)?.query_row(params![device.as_str(), i64_of(request_id)?], lease_row).optional()?)
    }

    fn next_number(&self, hall: &HallId, service: &ServiceCode, day: NaiveDate) -> StoreResult<u32> {
        Ok(self
            .tx
            .prepare_cached("SELECT next FROM lease_counters WHERE hall = ?1 AND service = ?2 AND business_day = ?3")?
            .query_row(params![hall.as_str(), service.as_str(), day_text(day)], |r| u32_of(r, 0))
            .optional()?
            .unwrap_or(1))
    }

    fn engine_log_start(&self, hall: &HallId) -> StoreResult<Option<u64>> {
        // Both are index look-ups (engine_inputs_close_day, engine_inputs_hall), never a scan.
        let last_close: Option<i64> =
            self.tx.prepare_cached("SELECT max(seq) FROM engine_inputs WHERE hall = ?1 AND kind = 'close_day'")?.query_row([hall.as_str()], |r| r.get(0))?;
        let start = match last_close {
            Some(seq) => Some(seq),
            None => self.tx.prepare_cached("SELECT min(seq) FROM engine_inputs WHERE hall = ?1")?.query_row([hall.as_str()], |r| r.get(0))?,
        };
        start.map(|seq| u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("engine log position {seq}")))).transpose()
    }

    fn engine_log_from(&self, hall: &HallId, from: u64) -> StoreResult<Vec<EngineInput>> {
        let mut st = self.tx.prepare_cached("SELECT input FROM engine_inputs WHERE hall = ?1 AND seq >= ?2 ORDER BY seq")?;
        collect(st.query_map(params![hall.as_str(), i64_of(from)?], |r| json(r, 0))?)
    }

    fn hall_ids(&self) -> StoreResult<Vec<HallId>> {
        let mut st = self.tx.prepare_cached("SELECT id FROM halls ORDER BY id")?;
        collect(st.query_map([], |r| parsed(r, 0))?)
    }
}

impl StoreWrite for SqliteTx<'_> {
    fn set_meta(&mut self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.tx
            .prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
            .execute(params![key, value])?;
        Ok(())
    }

    fn put_hall(&mut self, hall: &Hall) -> StoreResult<()> {
        self.tx
            .prepare_cached("INSERT INTO halls (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET name = excluded.name")?
            .execute([hall.id.as_str(), &hall.name])?;
        Ok(())
    }

    fn put_service(&mut self, s: &Service) -> StoreResult<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO services (hall, code, name, prefix, materials, enabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (hall, code) DO UPDATE SET name = excluded.name, prefix = excluded.prefix, materials = excluded.materials, enabled = excluded.enabled",
            )?
            .execute(params![s.hall.as_str(), s.code.as_str(), s.name, s.prefix.to_string(), to_json(&s.materials)?, s.enabled])?;
        Ok(())
    }

    fn put_window(&mut self, w: &Window) -> StoreResult<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO windows (hall, no, name, profile) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (hall, no) DO UPDATE SET name = excluded.name, profile = excluded.profile",
            )?
            .execute(params![w.hall.as_str(), w.no, w.name, to_json(&w.profile)?])?;
        Ok(())
    }

    fn put_device(&mut self, d: &Device) -> StoreResult<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO devices (id, hall, role, window, device_no, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET hall = excluded.hall, role = excluded.role, window = excluded.window,
                 device_no = excluded.device_no, revoked = excluded.revoked",
            )?
            .execute(params![d.id.as_str(), d.hall.as_str(), d.role.as_str(), d.window, d.device_no, d.revoked])?;
        Ok(())
    }

    fn set_high_water(&mut self, device: &DeviceId, seq: u64) -> StoreResult<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO device_marks (device_id, high_water) VALUES (?1, ?2) ON CONFLICT (device_id) DO UPDATE SET high_water = excluded.high_water",
            )?
            .execute(params![device.as_str(), i64_of(seq)?])?;
        Ok(())
    }

    fn record_event(
        &mut self,
        device: &DeviceId,
        seq: u64,
        kind: &str,
        event_json: &str,
        outcome: &EventOutcome,
        applied_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.tx
            .prepare_cached("INSERT INTO applied_events (device_id, device_seq, kind, event, outcome, applied_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
            .execute(params![device.as_str(), i64_of(seq)?, kind, event_json, to_json(outcome)?, time_text(applied_at)])?;
        Ok(())
    }

    fn insert_ticket(&mut self, t: &Ticket) -> StoreResult<bool> {
        let sql = format!("INSERT OR IGNORE INTO tickets ({TICKET_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
        let n = self.tx.prepare_cached(&sql)?.execute(params![
            t.ticket_id.to_string(),
            t.hall.as_str(),
            t.service.as_str(),
            t.issued_service.as_str(),
            day_text(t.business_day),
            t.number.to_string(),
            t.priority.as_str(),
            i64_of(t.issued_hlc.wall_ms)?,
            t.issued_hlc.logical,
            time_text(t.issued_at),
            t.lease_id.map(i64_of).transpose()?,
            t.state.as_str(),
        ])?;
        Ok(n == 1)
    }

    fn set_ticket_state(&mut self, id: &TicketId, state: TicketState) -> StoreResult<()> {
        self.tx.prepare_cached("UPDATE tickets SET state = ?2 WHERE id = ?1")?.execute(params![id.to_string(), state.as_str()])?;
        Ok(())
    }

    fn set_ticket_service(&mut self, id: &TicketId, service: &ServiceCode) -> StoreResult<()> {
        self.tx.prepare_cached("UPDATE tickets SET service = ?2 WHERE id = ?1")?.execute(params![id.to_string(), service.as_str()])?;
        Ok(())
    }

    fn delete_ticket(&mut self, id: &TicketId) -> StoreResult<()> {
        self.tx.prepare_cached("DELETE FROM tickets WHERE id = ?1")?.execute([id.to_string()])?;
        Ok(())
    }

    fn insert_call(&mut self, c: &Call) -> StoreResult<()> {
        let sql = format!("INSERT INTO calls ({CALL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
        self.tx.prepare_cached(&sql)?.execute(params![
            c.hall.as_str(),
            c.window,
            c.ticket_id.to_string(),
            c.number.to_string(),
            c.service.as_str(),
            day_text(c.business_day),
            time_text(c.called_at),
            c.recalls,
            c.ended_at.map(time_text),
            c.outcome.map(CallEnd::as_str),
            c.transferred_to.as_ref().map(ServiceCode::as_str),
        ])?;
        Ok(())
    }

    fn set_recalls(&mut self, ticket: &TicketId, recalls: u32) -> StoreResult<()> {
        self.tx.prepare_cached("UPDATE calls SET recalls = ?2 WHERE ticket_id = ?1 AND outcome IS NULL")?.execute(params![ticket.to_string(), recalls])?;
        Ok(())
    }

    fn end_call(&mut self, ticket: &TicketId, at: DateTime<Utc>, end: CallEnd, transferred_to: Option<&ServiceCode>) -> StoreResult<()> {
        self.tx
            .prepare_cached("UPDATE calls SET ended_at = ?2, outcome = ?3, transferred_to = ?4 WHERE ticket_id = ?1 AND outcome IS NULL")?
            .execute(params![ticket.to_string(), time_text(at), end.as_str(), transferred_to.map(ServiceCode::as_str)])?;
        Ok(())
    }

    fn insert_evaluation(&mut self, e: &Evaluation) -> StoreResult<bool> {
        let sql = format!("INSERT OR IGNORE INTO evaluations ({EVALUATION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        let n = self.tx.prepare_cached(&sql)?.execute(params![
            e.ticket_id.to_string(),
            e.hall.as_str(),
            day_text(e.business_day),
            e.window,
            e.level.score(),
            e.comment,
            e.device_id.as_str(),
            time_text(e.at),
        ])?;
        Ok(n == 1)
    }

    fn insert_appointment(&mut self, a: &Appointment, digest: &[u8]) -> StoreResult<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO appointments (id, hall, service, day, slot, name_masked, id_masked, id_digest, ticket_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                a.id,
                a.hall.as_str(),
                a.service.as_str(),
                day_text(a.day),
                a.slot,
                a.name_masked,
                a.id_masked,
                digest,
                a.ticket.as_ref().map(TicketId::to_string),
            ])?;
        Ok(n == 1)
    }

    fn check_in(&mut self, appointment: &str, ticket: &TicketId, at: DateTime<Utc>) -> StoreResult<()> {
        self.tx.prepare_cached("UPDATE appointments SET ticket_id = ?2, checked_in_at = ?3 WHERE id = ?1")?.execute(params![
            appointment,
            ticket.to_string(),
            time_text(at)
        ])?;
        Ok(())
    }

    fn insert_application(&mut self, a: &Application, digest: &[u8], at: DateTime<Utc>) -> StoreResult<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO applications (no, hall, service, title, name_masked, id_masked, id_digest, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![a.no, a.hall.as_str(), a.service.as_str(), a.title, a.name_masked, a.id_masked, digest, time_text(at)])?;
        Ok(n == 1)
    }

    fn add_application_status(&mut self, no: &str, s: &ApplicationStatus) -> StoreResult<()> {
        self.tx.prepare_cached("INSERT INTO application_status (no, at, status, note) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
            no,
            time_text(s.at),
            s.status,
            s.note
        ])?;
        Ok(())
    }

    fn insert_lease(&mut self, l: &NewLease) -> StoreResult<u64> {
        self.tx
            .prepare_cached(
                r#"INSERT INTO leases (device_id, request_id, hall, service, business_day, start, "end", granted_at)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"#,
            )?
            .execute(params![
                l.device.as_str(),
                i64_of(l.request_id)?,
                l.hall.as_str(),
                l.service.as_str(),
                day_text(l.business_day),
                l.start,
                l.end,
                time_text(l.granted_at)
            ])?;
        let id = self.tx.last_insert_rowid();
        self.tx
            .prepare_cached(
                "INSERT INTO lease_counters (hall, service, business_day, next) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (hall, service, business_day) DO UPDATE SET next = excluded.next",
            )?
            .execute(params![l.hall.as_str(), l.service.as_str(), day_text(l.business_day), i64::from(l.end) + 1])?;
        u64::try_from(id).map_err(|_| StoreError::Corrupt(format!("lease id {id}")))
    }

    fn append_change(&mut self, at: DateTime<Utc>, device: Option<&DeviceId>, body: &ChangeBody) -> StoreResult<Change> {
        // Stored with microseconds: return what a reader of the feed will read back.
        let at = at.trunc_subsecs(6);
        self.tx.prepare_cached("INSERT INTO changes (at, device_id, body) VALUES (?1, ?2, ?3)")?.execute(params![
            time_text(at),
            device.map(DeviceId::as_str),
            to_json(body)?
        ])?;
        let cursor = self.tx.last_insert_rowid();
        let cursor = u64::try_from(cursor).map_err(|_| StoreError::Corrupt(format!("feed cursor {cursor}")))?;
        Ok(Change { cursor, at, device: device.cloned(), body: body.clone() })
    }

    fn log_engine_input(&mut self, hall: &HallId, input: &EngineInput) -> StoreResult<()> {
        self.tx.prepare_cached("INSERT INTO engine_inputs (hall, kind, input) VALUES (?1, ?2, ?3)")?.execute(params![
            hall.as_str(),
            input.kind(),
            to_json(input)?
        ])?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> StoreResult<()> {
        Ok(self.tx.commit()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_is_wal_full_sync_and_current() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String = store.conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        let sync: i64 = store.conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 2));
        drop(store);
        // Reopening applies nothing and keeps the data.
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_database_from_a_newer_central_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = SqliteStore::open(&path).unwrap();
        store.conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(store);
        assert!(matches!(SqliteStore::open(&path), Err(StoreError::NewerSchema { found, .. }) if found == SCHEMA_VERSION + 1));
        assert!(matches!(SqliteStore::open_read_only(&path), Err(StoreError::NewerSchema { .. })));
    }

    #[test]
    fn values_changed_by_hand_are_reported_not_panicked() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        store.conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        store.conn.execute_batch("INSERT INTO changes (at, device_id, body) VALUES ('2026-11-24T08:00:00.000000Z', NULL, '{\"type\": \"nonsense\"}')").unwrap();
        store.conn.execute_batch("INSERT INTO device_marks (device_id, high_water) VALUES ('kiosk-1', -5)").unwrap();
        store.conn.execute_batch("INSERT INTO halls (id, name) VALUES ('Not A Slug', 'x')").unwrap();
        let tx = store.read().unwrap();
        assert!(matches!(tx.changes_after(0, None, 10), Err(StoreError::Corrupt(_))));
        assert!(matches!(tx.high_water(&DeviceId::new("kiosk-1").unwrap()), Err(StoreError::Corrupt(_))));
        assert!(matches!(tx.catalogue(None), Err(StoreError::Corrupt(_))));
    }

    fn input(code: &str) -> EngineInput {
        EngineInput::Service { code: ServiceCode::new(code).unwrap() }
    }

    fn close(day: u32) -> EngineInput {
        let at = "2026-11-24T20:00:00Z".parse().unwrap();
        EngineInput::CloseDay { next_day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(), at }
    }

    #[test]
    fn the_engine_log_is_read_per_hall_from_its_last_closed_day() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let (a, b) = (HallId::new("xuhui").unwrap(), HallId::new("minhang").unwrap());
        {
            let mut tx = store.write().unwrap();
            for (hall, i) in [(&a, input("a")), (&b, input("b")), (&a, close(24)), (&a, input("c")), (&b, input("d")), (&a, close(25)), (&a, input("e"))] {
                tx.log_engine_input(hall, &i).unwrap();
            }
            tx.commit().unwrap();
        }
        let tx = store.read().unwrap();
        let start = tx.engine_log_start(&a).unwrap().unwrap();
        assert_eq!(tx.engine_log_from(&a, start).unwrap(), vec![close(25), input("e")]);
        // A hall that never closed a day is read from its first input.
        let start = tx.engine_log_start(&b).unwrap().unwrap();
        assert_eq!(tx.engine_log_from(&b, start).unwrap(), vec![input("b"), input("d")]);
        assert_eq!(tx.engine_log_start(&HallId::new("pudong").unwrap()).unwrap(), None);
    }

    #[test]
    fn finding_and_reading_a_hall_s_day_uses_the_indexes() {
        let store = SqliteStore::open_in_memory().unwrap();
        let plan = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> String {
            let mut st = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            st.query_map(params, |r| r.get::<_, String>(3)).unwrap().map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let last_close = plan("SELECT max(seq) FROM engine_inputs WHERE hall = ?1 AND kind = 'close_day'", &[&"xuhui"]);
        assert!(last_close.contains("engine_inputs_close_day"), "{last_close}");
        let from = plan("SELECT input FROM engine_inputs WHERE hall = ?1 AND seq >= ?2 ORDER BY seq", &[&"xuhui", &1]);
        assert!(from.contains("engine_inputs_hall") && !from.contains("TEMP B-TREE"), "{from}");
    }

    #[test]
    fn upgrading_from_version_1_fills_in_the_kind_of_logged_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            for i in [input("a"), input("b")] {
                conn.execute("INSERT INTO engine_inputs (hall, input) VALUES ('xuhui', ?1)", [serde_json::to_string(&i).unwrap()]).unwrap();
            }
        }
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let kinds: Vec<String> =
            store.conn.prepare("SELECT kind FROM engine_inputs ORDER BY seq").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(kinds, ["service", "service"]);
        let tx = store.read().unwrap();
        let hall = HallId::new("xuhui").unwrap();
        assert_eq!(tx.engine_log_from(&hall, tx.engine_log_start(&hall).unwrap().unwrap()).unwrap(), vec![input("a"), input("b")]);
    }

    #[test]
    fn an_uncommitted_write_leaves_nothing() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        {
            let mut tx = store.write().unwrap();
            tx.put_hall(&Hall { id: HallId::new("xuhui").unwrap(), name: "徐汇".into() }).unwrap();
            tx.append_change(Utc::now(), None, &ChangeBody::Hall(Hall { id: HallId::new("xuhui").unwrap(), name: "徐汇".into() })).unwrap();
        }
        let tx = store.read().unwrap();
        assert!(tx.catalogue(None).unwrap().halls.is_empty());
        assert!(tx.changes_after(0, None, 10).unwrap().is_empty());
    }
}

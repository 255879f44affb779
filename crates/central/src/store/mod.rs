//! Central's storage, behind traits so that a PostgreSQL backend can be added for city-scale
//! deployments. [`sqlite`] is the default backend: one SQLite file in WAL mode.
//!
//! All writes happen in a [`StoreWrite`] transaction: central applies a whole event batch, with
//! the engine inputs it logged and the feed changes it produced, in one transaction, so a crash
//! leaves either all of it or none of it.

mod schema;
pub mod sqlite;

use chrono::{DateTime, NaiveDate, Utc};
use hall_protocol::api::Lease;
use hall_protocol::{
    Application, ApplicationStatus, Appointment, Catalogue, Change, ChangeBody, Device, DeviceId, EventOutcome, Hall, HallId, Service, ServiceCode, TicketId,
    Window, WindowNo,
};

use crate::engine_log::EngineInput;
use crate::records::{Call, CallEnd, Evaluation, Ticket, TicketState};

pub use sqlite::SqliteStore;

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The SQLite library reported an error.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// A stored value could not be read back.
    #[error("the database holds a value central cannot read ({0}); it was changed by hand or by another program: restore a backup")]
    Corrupt(String),
    /// The database was written by a newer central.
    #[error("the database has schema version {found}, but this central knows only up to {known}; run a newer central")]
    NewerSchema {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// Another central process is serving this database.
    #[error("another central process is using the database {0}; stop it first, or change the catalogue through its admin API (PUT /v1/admin/catalogue)")]
    InUse(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            // A stored value that does not parse is corruption, not an I/O problem.
            rusqlite::Error::FromSqlConversionFailure(i, _, err) => Self::Corrupt(format!("column {i}: {err}")),
            rusqlite::Error::InvalidColumnType(i, name, ty) => Self::Corrupt(format!("column {i} ({name}) holds {ty}")),
            e => Self::Sqlite(e),
        }
    }
}

/// A shorthand.
pub type StoreResult<T> = Result<T, StoreError>;

/// A storage backend: a handle on one database.
pub trait CentralStore: Send + 'static {
    /// Starts a read transaction: a consistent snapshot.
    fn read(&mut self) -> StoreResult<Box<dyn StoreRead + '_>>;
    /// Starts a write transaction. Only one is open at a time across all handles; it is rolled back
    /// unless [`StoreWrite::commit`] is called.
    fn write(&mut self) -> StoreResult<Box<dyn StoreWrite + '_>>;
    /// Another handle on the same database, for readers that should not wait for writers. `None`
    /// when the backend cannot share its database (e.g. an in-memory SQLite database).
    fn reader(&self) -> StoreResult<Option<Box<dyn CentralStore>>>;
}

/// Queries, inside a transaction.
pub trait StoreRead {
    /// A value of the key-value table.
    fn meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// The catalogue, or one hall's part of it.
    fn catalogue(&self, hall: Option<&HallId>) -> StoreResult<Catalogue>;
    /// One hall.
    fn hall(&self, id: &HallId) -> StoreResult<Option<Hall>>;
    /// One service.
    fn service(&self, hall: &HallId, code: &ServiceCode) -> StoreResult<Option<Service>>;
    /// One window.
    fn window(&self, hall: &HallId, no: WindowNo) -> StoreResult<Option<Window>>;
    /// One device.
    fn device(&self, id: &DeviceId) -> StoreResult<Option<Device>>;
    /// The largest device number assigned so far (0 if none).
    fn max_device_no(&self) -> StoreResult<u32>;
    /// Highest applied `device_seq` of a device (0 if none).
    fn high_water(&self, device: &DeviceId) -> StoreResult<u64>;
    /// Stored outcomes of a device's events with `from <= device_seq <= to`, by seq.
    fn outcomes(&self, device: &DeviceId, from: u64, to: u64) -> StoreResult<Vec<(u64, EventOutcome)>>;
    /// Up to `limit` changes after `after` that are global or scoped to `device`, oldest first.
    fn changes_after(&self, after: u64, device: Option<&DeviceId>, limit: usize) -> StoreResult<Vec<Change>>;
    /// One ticket.
    fn ticket(&self, id: &TicketId) -> StoreResult<Option<Ticket>>;
    /// A day's tickets, by issue time.
    fn tickets(&self, day: NaiveDate, hall: Option<&HallId>) -> StoreResult<Vec<Ticket>>;
    /// A day's calls, by call time.
    fn calls(&self, day: NaiveDate, hall: Option<&HallId>) -> StoreResult<Vec<Call>>;
    /// The window a ticket was last called to.
    fn last_window(&self, ticket: &TicketId) -> StoreResult<Option<WindowNo>>;
    /// A day's evaluations.
    fn evaluations(&self, day: NaiveDate, hall: Option<&HallId>) -> StoreResult<Vec<Evaluation>>;
    /// One appointment.
    fn appointment(&self, id: &str) -> StoreResult<Option<Appointment>>;
    /// A day's appointments, by slot.
    fn appointments(&self, day: NaiveDate, hall: Option<&HallId>) -> StoreResult<Vec<Appointment>>;
    /// Appointments of the citizen with this ID digest.
    fn appointments_by_digest(&self, digest: &[u8]) -> StoreResult<Vec<Appointment>>;
    /// One application with its history.
    fn application(&self, no: &str) -> StoreResult<Option<Application>>;
    /// Applications of the citizen with this ID digest, newest first.
    fn applications_by_digest(&self, digest: &[u8]) -> StoreResult<Vec<Application>>;
    /// One lease.
    fn lease(&self, id: u64) -> StoreResult<Option<Lease>>;
    /// The lease granted for a device's request.
    fn lease_by_request(&self, device: &DeviceId, request_id: u64) -> StoreResult<Option<Lease>>;
    /// The next unleased number of a queue on a day (1 if none leased yet).
    fn next_number(&self, hall: &HallId, service: &ServiceCode, day: NaiveDate) -> StoreResult<u32>;
    /// Where replay of a hall's engine log starts: the position of its last `CloseDay`, or of its
    /// first input if it never closed a day; `None` if nothing was logged for the hall.
    fn engine_log_start(&self, hall: &HallId) -> StoreResult<Option<u64>>;
    /// A hall's logged engine inputs from position `from` on (inclusive), oldest first.
    fn engine_log_from(&self, hall: &HallId, from: u64) -> StoreResult<Vec<EngineInput>>;
    /// Every hall in the catalogue.
    fn hall_ids(&self) -> StoreResult<Vec<HallId>>;
}

/// Writes, inside a transaction. Dropping it without [`StoreWrite::commit`] rolls back.
pub trait StoreWrite: StoreRead {
    /// Sets a value of the key-value table.
    fn set_meta(&mut self, key: &str, value: &[u8]) -> StoreResult<()>;
    /// Adds or replaces a hall.
    fn put_hall(&mut self, hall: &Hall) -> StoreResult<()>;
    /// Adds or replaces a service.
    fn put_service(&mut self, service: &Service) -> StoreResult<()>;
    /// Adds or replaces a window.
    fn put_window(&mut self, window: &Window) -> StoreResult<()>;
    /// Adds or replaces a device (its `device_no` already assigned).
    fn put_device(&mut self, device: &Device) -> StoreResult<()>;
    /// Sets a device's high-water mark.
    fn set_high_water(&mut self, device: &DeviceId, seq: u64) -> StoreResult<()>;
    /// Records an applied event (its JSON) and its outcome.
    fn record_event(&mut self, device: &DeviceId, seq: u64, kind: &str, event_json: &str, outcome: &EventOutcome, applied_at: DateTime<Utc>)
    -> StoreResult<()>;
    /// Stores a new ticket. `false` if its number is taken in its queue on its day, or its id exists.
    fn insert_ticket(&mut self, ticket: &Ticket) -> StoreResult<bool>;
    /// Sets a ticket's state.
    fn set_ticket_state(&mut self, id: &TicketId, state: TicketState) -> StoreResult<()>;
    /// Moves a ticket to another service's queue (a transfer).
    fn set_ticket_service(&mut self, id: &TicketId, service: &ServiceCode) -> StoreResult<()>;
    /// Removes a ticket that was stored in this transaction but could not be queued.
    fn delete_ticket(&mut self, id: &TicketId) -> StoreResult<()>;
    /// Stores a new call.
    fn insert_call(&mut self, call: &Call) -> StoreResult<()>;
    /// Sets the recall count of a ticket's open call.
    fn set_recalls(&mut self, ticket: &TicketId, recalls: u32) -> StoreResult<()>;
    /// Ends a ticket's open call.
    fn end_call(&mut self, ticket: &TicketId, at: DateTime<Utc>, end: CallEnd, transferred_to: Option<&ServiceCode>) -> StoreResult<()>;
    /// Stores an evaluation. `false` if the ticket was rated before.
    fn insert_evaluation(&mut self, evaluation: &Evaluation) -> StoreResult<bool>;
    /// Stores an appointment. `false` if its booking code exists.
    fn insert_appointment(&mut self, appointment: &Appointment, digest: &[u8]) -> StoreResult<bool>;
    /// Marks an appointment checked in.
    fn check_in(&mut self, appointment: &str, ticket: &TicketId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Stores an application (without history). `false` if its number exists.
    fn insert_application(&mut self, application: &Application, digest: &[u8], at: DateTime<Utc>) -> StoreResult<bool>;
    /// Appends a step to an application's history.
    fn add_application_status(&mut self, no: &str, status: &ApplicationStatus) -> StoreResult<()>;
    /// Stores a lease and moves its queue's next number past it. Returns the lease id.
    fn insert_lease(&mut self, lease: &NewLease) -> StoreResult<u64>;
    /// Appends a change to the feed and returns it with its cursor.
    fn append_change(&mut self, at: DateTime<Utc>, device: Option<&DeviceId>, body: &ChangeBody) -> StoreResult<Change>;
    /// Appends an engine input to a hall's log (with its [`EngineInput::kind`]).
    fn log_engine_input(&mut self, hall: &HallId, input: &EngineInput) -> StoreResult<()>;
    /// Commits.
    fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// A lease about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLease {
    /// Holder.
    pub device: DeviceId,
    /// The holder's request number.
    pub request_id: u64,
    /// Hall.
    pub hall: HallId,
    /// Queue.
    pub service: ServiceCode,
    /// Day.
    pub business_day: NaiveDate,
    /// First number.
    pub start: u32,
    /// Last number.
    pub end: u32,
    /// When granted.
    pub granted_at: DateTime<Utc>,
}

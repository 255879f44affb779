//! The one error type of the store.

use std::path::PathBuf;

use hall_protocol::{DeviceId, TicketId};

/// Everything that can go wrong in the store. Messages say what happened and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database file could not be opened or configured.
    #[error("cannot open the device store at {path}: {source} (check that the directory exists and is writable)")]
    Open {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// A SQLite call failed.
    #[error("device store: {context}: {source}")]
    Sqlite {
        /// What the store was doing.
        context: &'static str,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer hallkit with a schema this build does not know.
    #[error(
        "the device store has schema version {found}, but this build only knows up to {supported}: \
         install the newer hallkit again, or move the file aside to start an empty store"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// The store belongs to another device. Sharing a store would reuse that device's event
    /// sequence numbers and break exactly-once delivery.
    #[error(
        "this device store belongs to device {stored:?}, not {given}: point the config at this device's \
         own store file, or provision the device again"
    )]
    DeviceMismatch {
        /// The id stored in the file.
        stored: String,
        /// The id the caller asked for.
        given: DeviceId,
    },
    /// A row in the database holds data that does not parse (hand-edited or damaged file).
    #[error("corrupt data in the device store ({what}): {reason}; run `PRAGMA integrity_check` and restore from backup if it fails")]
    Corrupt {
        /// Which row or column.
        what: String,
        /// Why it was refused.
        reason: String,
    },
    /// A value could not be encoded for storage (should not happen with valid protocol types).
    #[error("cannot encode {what} for the device store: {source}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A request that cannot be carried out as given.
    #[error("invalid request to the device store: {0}")]
    InvalidRequest(String),
    /// A lease given to another device was offered to this store.
    #[error("lease {lease_id} belongs to device {holder}, not this one ({this}); it was not stored")]
    LeaseForOtherDevice {
        /// Lease.
        lease_id: u64,
        /// Its holder.
        holder: DeviceId,
        /// This store's device.
        this: DeviceId,
    },
    /// A lease arrived again with the same id but different numbers: central's data is inconsistent.
    #[error("lease {lease_id} arrived again with different contents ({reason}); the first version is kept, report this to the central operator")]
    LeaseConflict {
        /// Lease.
        lease_id: u64,
        /// What differs.
        reason: String,
    },
    /// A lease overlaps numbers of another lease of the same queue and day: using it could print a
    /// number twice.
    #[error("lease {lease_id} overlaps lease {other} of the same queue and day; it was not stored, report this to the central operator")]
    LeaseOverlap {
        /// New lease.
        lease_id: u64,
        /// The lease it overlaps.
        other: u64,
    },
    /// A lease that cannot be valid (empty range, number 0, id too large).
    #[error("lease {lease_id} is invalid: {reason}")]
    InvalidLease {
        /// Lease.
        lease_id: u64,
        /// Why.
        reason: String,
    },
    /// No ticket with this id was issued by this device.
    #[error("ticket {0} was not issued by this device")]
    UnknownTicket(TicketId),
    /// The appointment was checked in already.
    #[error("appointment {appointment_id} was already checked in as ticket {ticket_id}; reprint that ticket instead")]
    AlreadyCheckedIn {
        /// Booking code.
        appointment_id: String,
        /// The ticket it became.
        ticket_id: TicketId,
    },
    /// Central acknowledged events this store never wrote: the store was probably replaced or
    /// restored from an old backup while central kept the device's history. New events would be taken
    /// for replays and lost, so this needs a person.
    #[error(
        "central acknowledged events up to {high_water}, but this store has only written up to {last_seq}: \
         the store was probably reset or restored; re-provision the device under a new id"
    )]
    AckBeyondOutbox {
        /// Central's high-water mark.
        high_water: u64,
        /// The last sequence number in this store.
        last_seq: u64,
    },
    /// The outbox has a hole: an event is missing.
    #[error("the outbox is missing event {missing} (events run to {last}); the store is damaged, restore it from backup")]
    OutboxGap {
        /// First missing sequence number.
        missing: u64,
        /// Highest sequence number present.
        last: u64,
    },
    /// `PRAGMA integrity_check` found damage.
    #[error("the device store failed its integrity check: {0}; restore it from backup")]
    IntegrityCheck(String),
}

/// Attaches what the store was doing to a rusqlite error.
pub(crate) trait Context<T> {
    /// Wraps the error with `context`.
    fn ctx(self, context: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn ctx(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { context, source })
    }
}

impl StoreError {
    pub(crate) fn corrupt(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt { what: what.into(), reason: reason.to_string() }
    }
}

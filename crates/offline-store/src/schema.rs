//! The schema and its migrations.
//!
//! The schema version lives in `PRAGMA user_version`. [`MIGRATIONS`] is the ordered list of steps;
//! step `i` takes a database from version `i` to `i + 1`, and each step runs in its own transaction
//! together with the version bump, so a crash mid-upgrade leaves the previous version intact. Steps
//! are append-only: a released step is never edited, a change is a new step. docs/offline-store.md
//! explains each table.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Context, StoreError};

/// One schema step.
pub(crate) struct Migration {
    /// What it adds, for logs.
    pub(crate) name: &'static str,
    /// The SQL that takes version `i` to `i + 1`.
    pub(crate) sql: &'static str,
}

/// Version 1: the device, the outbox, tickets, leases, business rows and the change-feed cache.
const V1_CORE: &str = r#"
CREATE TABLE device_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    device_id   TEXT    NOT NULL,
    hlc_wall_ms INTEGER NOT NULL DEFAULT 0,
    hlc_logical INTEGER NOT NULL DEFAULT 0,
    acked_seq   INTEGER NOT NULL DEFAULT 0,
    feed_cursor INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE outbox (
    device_seq  INTEGER PRIMARY KEY CHECK (device_seq >= 1),
    device_id   TEXT    NOT NULL,
    hlc_wall_ms INTEGER NOT NULL,
    hlc_logical INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    acked_at    TEXT,
    outcome     TEXT
) STRICT;

CREATE TABLE leases (
    lease_id     INTEGER PRIMARY KEY,
    hall         TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    business_day TEXT    NOT NULL,
    start_no     INTEGER NOT NULL CHECK (start_no >= 1),
    end_no       INTEGER NOT NULL CHECK (end_no >= start_no),
    next_no      INTEGER NOT NULL CHECK (next_no BETWEEN start_no AND end_no + 1)
) STRICT;
CREATE INDEX leases_by_queue ON leases (hall, service, business_day, start_no);

CREATE TABLE fallback_counters (
    hall         TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    business_day TEXT    NOT NULL,
    last_n       INTEGER NOT NULL CHECK (last_n >= 1),
    PRIMARY KEY (hall, service, business_day)
) STRICT, WITHOUT ROWID;

CREATE TABLE tickets (
    ticket_seq   INTEGER PRIMARY KEY REFERENCES outbox (device_seq),
    hall         TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    business_day TEXT    NOT NULL,
    number       TEXT    NOT NULL,
    priority     TEXT    NOT NULL,
    hlc_wall_ms  INTEGER NOT NULL,
    hlc_logical  INTEGER NOT NULL,
    issued_at    TEXT    NOT NULL,
    lease_id     INTEGER REFERENCES leases (lease_id),
    printed      INTEGER NOT NULL DEFAULT 0 CHECK (printed IN (0, 1)),
    UNIQUE (hall, service, business_day, number)
) STRICT;
CREATE INDEX tickets_unprinted ON tickets (ticket_seq) WHERE printed = 0;

CREATE TABLE appointment_checkins (
    appointment_id TEXT    PRIMARY KEY,
    ticket_seq     INTEGER NOT NULL REFERENCES tickets (ticket_seq),
    event_seq      INTEGER NOT NULL REFERENCES outbox (device_seq)
) STRICT;

CREATE TABLE evaluations (
    event_seq INTEGER PRIMARY KEY REFERENCES outbox (device_seq),
    ticket_id TEXT    NOT NULL,
    level     INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    comment   TEXT    NOT NULL,
    at        TEXT    NOT NULL
) STRICT;

CREATE TABLE counter_actions (
    event_seq INTEGER PRIMARY KEY REFERENCES outbox (device_seq),
    hall      TEXT    NOT NULL,
    window_no INTEGER NOT NULL,
    action    TEXT    NOT NULL,
    at        TEXT    NOT NULL
) STRICT;

CREATE TABLE halls (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
) STRICT;

CREATE TABLE services (
    hall TEXT NOT NULL,
    code TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (hall, code)
) STRICT;

CREATE TABLE windows (
    hall      TEXT    NOT NULL,
    window_no INTEGER NOT NULL,
    data      TEXT    NOT NULL,
    PRIMARY KEY (hall, window_no)
) STRICT;

CREATE TABLE devices (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
) STRICT;

CREATE TABLE queue_lengths (
    hall      TEXT    NOT NULL,
    service   TEXT    NOT NULL,
    waiting   INTEGER NOT NULL,
    local_seq INTEGER NOT NULL,
    cursor    INTEGER NOT NULL,
    PRIMARY KEY (hall, service)
) STRICT;

CREATE TABLE calls (
    cursor INTEGER PRIMARY KEY,
    hall   TEXT NOT NULL,
    data   TEXT NOT NULL
) STRICT;
CREATE INDEX calls_by_hall ON calls (hall, cursor);

CREATE TABLE window_states (
    hall      TEXT    NOT NULL,
    window_no INTEGER NOT NULL,
    data      TEXT    NOT NULL,
    cursor    INTEGER NOT NULL,
    PRIMARY KEY (hall, window_no)
) STRICT;
"#;

/// Version 2: lease requests are persisted before they are sent, so a request whose answer was lost
/// is retried with the same id and central hands back the same block instead of burning a new one.
const V2_LEASE_REQUESTS: &str = r#"
CREATE TABLE lease_requests (
    request_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    hall         TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    business_day TEXT    NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 1),
    fulfilled_by INTEGER REFERENCES leases (lease_id)
) STRICT;
CREATE UNIQUE INDEX lease_requests_open ON lease_requests (hall, service, business_day) WHERE fulfilled_by IS NULL;
"#;

/// Version 3: print tracking. A ticket reprinted after a crash or at a citizen's request is counted,
/// so support can tell a reprint from a second ticket.
const V3_PRINT_TRACKING: &str = r#"
ALTER TABLE tickets ADD COLUMN print_count INTEGER NOT NULL DEFAULT 0 CHECK (print_count >= 0);
ALTER TABLE tickets ADD COLUMN last_printed_at TEXT;
UPDATE tickets SET print_count = 1 WHERE printed = 1;
"#;

/// Version 4: one counter row per queue and day. Issuing a ticket bumps it in the same statement
/// that hands out fallback numbers, which makes the `waiting_ahead` estimate O(1) instead of a scan of
/// the day's tickets, and replaces `fallback_counters`. The partial index of unprinted tickets goes:
/// it cost a page write on every ticket to speed up a query run once at start-up.
const V4_QUEUE_DAYS: &str = r#"
CREATE TABLE queue_days (
    hall          TEXT    NOT NULL,
    service       TEXT    NOT NULL,
    business_day  TEXT    NOT NULL,
    issued        INTEGER NOT NULL DEFAULT 0 CHECK (issued >= 0),
    since_report  INTEGER NOT NULL DEFAULT 0 CHECK (since_report >= 0),
    fallback_last INTEGER NOT NULL DEFAULT 0 CHECK (fallback_last >= 0),
    PRIMARY KEY (hall, service, business_day)
) STRICT, WITHOUT ROWID;
INSERT INTO queue_days (hall, service, business_day, issued, since_report)
    SELECT t.hall, t.service, t.business_day, COUNT(*),
           SUM(t.ticket_seq > COALESCE((SELECT q.local_seq FROM queue_lengths q WHERE q.hall = t.hall AND q.service = t.service), 0))
    FROM tickets t GROUP BY t.hall, t.service, t.business_day;
INSERT INTO queue_days (hall, service, business_day, fallback_last)
    SELECT hall, service, business_day, last_n FROM fallback_counters WHERE true
    ON CONFLICT (hall, service, business_day) DO UPDATE SET fallback_last = excluded.fallback_last;
DROP TABLE fallback_counters;
DROP INDEX tickets_unprinted;
"#;

/// Every step, oldest first. Append only.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration { name: "core tables", sql: V1_CORE },
    Migration { name: "lease requests", sql: V2_LEASE_REQUESTS },
    Migration { name: "print tracking", sql: V3_PRINT_TRACKING },
    Migration { name: "queue day counters", sql: V4_QUEUE_DAYS },
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The version stored in the file.
pub(crate) fn stored_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0)).ctx("read schema version")
}

/// Brings the database up to `target` (at most [`SCHEMA_VERSION`]). Refuses a file that is newer
/// than this build.
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), StoreError> {
    let found = stored_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew { found, supported: SCHEMA_VERSION });
    }
    if found < 0 {
        return Err(StoreError::corrupt("PRAGMA user_version", format!("negative schema version {found}")));
    }
    for (i, step) in MIGRATIONS.iter().enumerate().take(usize::try_from(target).unwrap_or(0)).skip(usize::try_from(found).unwrap_or(0)) {
        let to = i as i64 + 1;
        // IMMEDIATE: two processes opening an old file at once must not both run the same step.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("begin migration")?;
        // Re-check inside the write lock: another process may have migrated meanwhile.
        let now = stored_version(&tx)?;
        if now >= to {
            continue;
        }
        tracing::info!(from = now, to, step = step.name, "migrating device store");
        tx.execute_batch(step.sql).ctx("apply migration step")?;
        tx.pragma_update(None, "user_version", to).ctx("record schema version")?;
        tx.commit().ctx("commit migration")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_database_reaches_the_current_version() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        migrate_to(&mut conn, SCHEMA_VERSION).expect("migrates");
        assert_eq!(stored_version(&conn).expect("version"), SCHEMA_VERSION);
        // Running again is a no-op.
        migrate_to(&mut conn, SCHEMA_VERSION).expect("migrates again");
        assert_eq!(stored_version(&conn).expect("version"), SCHEMA_VERSION);
    }

    #[test]
    fn newer_file_is_refused() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).expect("set version");
        assert!(matches!(
            migrate_to(&mut conn, SCHEMA_VERSION),
            Err(StoreError::SchemaTooNew { found, supported }) if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ));
    }
}

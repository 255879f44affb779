//! The SQLite schema, as numbered migrations. `PRAGMA user_version` holds the number of migrations
//! applied; opening a database applies the missing ones in order, each in its own transaction.
//! Never edit a migration that has shipped: add a new one.

/// Migrations; `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[V1, V2];

/// Version 1: everything central stores. Times are RFC 3339 text in UTC with microseconds (so text
/// order is time order), days `YYYY-MM-DD`, ids in their text forms, structured values JSON.
const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE halls (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE services (
    hall      TEXT NOT NULL REFERENCES halls(id),
    code      TEXT NOT NULL,
    name      TEXT NOT NULL,
    prefix    TEXT NOT NULL,
    materials TEXT NOT NULL,           -- JSON array of strings
    enabled   INTEGER NOT NULL,
    PRIMARY KEY (hall, code)
);

CREATE TABLE windows (
    hall    TEXT NOT NULL REFERENCES halls(id),
    no      INTEGER NOT NULL,
    name    TEXT NOT NULL,
    profile TEXT NOT NULL,             -- JSON array of service codes, most preferred first
    PRIMARY KEY (hall, no)
);

CREATE TABLE devices (
    id        TEXT PRIMARY KEY,
    hall      TEXT NOT NULL REFERENCES halls(id),
    role      TEXT NOT NULL,
    window    INTEGER,
    device_no INTEGER NOT NULL UNIQUE, -- assigned by central, used in fallback numbers (A-3-017)
    revoked   INTEGER NOT NULL DEFAULT 0
);

-- Highest device_seq applied per device.
CREATE TABLE device_marks (
    device_id  TEXT PRIMARY KEY REFERENCES devices(id),
    high_water INTEGER NOT NULL
);

-- Every applied event and the outcome returned for it, so a replay gets the same answer.
CREATE TABLE applied_events (
    device_id  TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    event      TEXT NOT NULL,          -- the event as received, JSON
    outcome    TEXT NOT NULL,          -- EventOutcome, JSON
    applied_at TEXT NOT NULL,
    PRIMARY KEY (device_id, device_seq)
) WITHOUT ROWID;

CREATE TABLE tickets (
    id              TEXT PRIMARY KEY,  -- DEVICE/SEQ
    hall            TEXT NOT NULL,
    service         TEXT NOT NULL,     -- queued for now (changes on transfer)
    issued_service  TEXT NOT NULL,     -- the queue its number belongs to
    business_day    TEXT NOT NULL,
    number          TEXT NOT NULL,
    priority        TEXT NOT NULL,
    issued_hlc_wall INTEGER NOT NULL,
    issued_hlc_logical INTEGER NOT NULL,
    issued_at       TEXT NOT NULL,
    lease_id        INTEGER,
    state           TEXT NOT NULL,
    UNIQUE (hall, issued_service, business_day, number)
);
CREATE INDEX tickets_day ON tickets (business_day, hall);

CREATE TABLE calls (
    id             INTEGER PRIMARY KEY,
    hall           TEXT NOT NULL,
    window         INTEGER NOT NULL,
    ticket_id      TEXT NOT NULL REFERENCES tickets(id),
    number         TEXT NOT NULL,
    service        TEXT NOT NULL,
    business_day   TEXT NOT NULL,
    called_at      TEXT NOT NULL,
    recalls        INTEGER NOT NULL DEFAULT 0,
    ended_at       TEXT,
    outcome        TEXT,               -- NULL while open
    transferred_to TEXT
);
CREATE INDEX calls_day ON calls (business_day, hall);
CREATE INDEX calls_ticket ON calls (ticket_id);

CREATE TABLE evaluations (
    ticket_id    TEXT PRIMARY KEY,     -- one evaluation per ticket
    hall         TEXT NOT NULL,
    business_day TEXT NOT NULL,
    window       INTEGER,
    level        INTEGER NOT NULL,
    comment      TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX evaluations_day ON evaluations (business_day, hall);

CREATE TABLE appointments (
    id            TEXT PRIMARY KEY,
    hall          TEXT NOT NULL,
    service       TEXT NOT NULL,
    day           TEXT NOT NULL,
    slot          TEXT NOT NULL,
    name_masked   TEXT NOT NULL,
    id_masked     TEXT NOT NULL,
    id_digest     BLOB NOT NULL,       -- HMAC-SHA-256 of the ID number; the number itself is never stored
    ticket_id     TEXT,
    checked_in_at TEXT
);
CREATE INDEX appointments_day ON appointments (day, hall);
CREATE INDEX appointments_digest ON appointments (id_digest);

CREATE TABLE applications (
    no          TEXT PRIMARY KEY,
    hall        TEXT NOT NULL,
    service     TEXT NOT NULL,
    title       TEXT NOT NULL,
    name_masked TEXT NOT NULL,
    id_masked   TEXT NOT NULL,
    id_digest   BLOB NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX applications_digest ON applications (id_digest);

CREATE TABLE application_status (
    id     INTEGER PRIMARY KEY,
    no     TEXT NOT NULL REFERENCES applications(no),
    at     TEXT NOT NULL,
    status TEXT NOT NULL,
    note   TEXT NOT NULL
);
CREATE INDEX application_status_no ON application_status (no, id);

-- Next unleased number per queue per day.
CREATE TABLE lease_counters (
    hall         TEXT NOT NULL,
    service      TEXT NOT NULL,
    business_day TEXT NOT NULL,
    next         INTEGER NOT NULL,
    PRIMARY KEY (hall, service, business_day)
) WITHOUT ROWID;

CREATE TABLE leases (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id    TEXT NOT NULL,
    request_id   INTEGER NOT NULL,
    hall         TEXT NOT NULL,
    service      TEXT NOT NULL,
    business_day TEXT NOT NULL,
    start        INTEGER NOT NULL,
    "end"        INTEGER NOT NULL,
    granted_at   TEXT NOT NULL,
    UNIQUE (device_id, request_id)
);

-- The change feed. AUTOINCREMENT so a cursor is never reused, even after the newest row is gone.
CREATE TABLE changes (
    cursor    INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    device_id TEXT,                    -- NULL: for every device
    body      TEXT NOT NULL            -- ChangeBody, JSON
);
CREATE INDEX changes_device ON changes (device_id, cursor) WHERE device_id IS NOT NULL;

-- Every input given to a hall's queue engine, in order; replayed on start-up.
CREATE TABLE engine_inputs (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    hall  TEXT NOT NULL,
    input TEXT NOT NULL                -- EngineInput, JSON
);
"#;

/// Version 2: business days.
///
/// - Tickets and calls may now be in state / outcome `expired` (the day closed while they were
///   waiting or at a window); both columns are plain text, so only this note changes.
/// - `engine_inputs` gets its input's `kind`, filled in for existing rows, and two indexes: one to
///   find a hall's last `close_day`, one to read a hall's log from there. Start-up replays each hall
///   from its last `close_day` only.
const V2: &str = r#"
ALTER TABLE engine_inputs ADD COLUMN kind TEXT;
UPDATE engine_inputs SET kind = json_extract(input, '$.input');
CREATE INDEX engine_inputs_hall ON engine_inputs (hall, seq);
CREATE INDEX engine_inputs_close_day ON engine_inputs (hall, seq) WHERE kind = 'close_day';
"#;
